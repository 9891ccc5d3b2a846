//! End-to-end interoperability with docker-compose v1 (installed): a stack started by one tool
//! is listed and torn down by the other, through the labels both write.

#[path = "e2e_harness.rs"]
mod harness;

use harness::*;

const STACK: &str = r#"
services:
  web:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
    depends_on: [db]
  db:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
    volumes:
      - data:/data
volumes:
  data:
"#;

fn require_v1() {
    let ok = std::process::Command::new("docker-compose")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(ok, "docker-compose (v1) is required for the interop tests");
}

#[test]
fn docker_compose_v1_lists_and_removes_a_stack_rcompose_started() {
    require_v1();
    let s = Stack::new("to-v1", STACK);
    s.rc(&["up", "-d"]).ok();
    let ps = s.v1(&["ps", "-q"]).ok().stdout();
    assert_eq!(ps.lines().count(), 2, "docker-compose ps:\n{ps}");
    s.v1(&["down", "-v"]).ok();
    assert!(s.containers().is_empty(), "left: {:?}", s.containers());
    assert!(s.networks().is_empty(), "left: {:?}", s.networks());
    assert!(s.volumes().is_empty(), "left: {:?}", s.volumes());
}

#[test]
fn rcompose_lists_and_removes_a_stack_docker_compose_v1_started() {
    require_v1();
    let s = Stack::new("from-v1", STACK);
    s.v1(&["up", "-d"]).ok();
    let ps = s.rc(&["ps", "--services"]).ok().stdout();
    assert_eq!(ps, "db\nweb\n");
    // From labels alone, as well as with the file.
    s.rc_without_file(&["down", "-v"]).ok();
    assert!(s.containers().is_empty(), "left: {:?}", s.containers());
    assert!(s.networks().is_empty(), "left: {:?}", s.networks());
    assert!(s.volumes().is_empty(), "left: {:?}", s.volumes());
}
