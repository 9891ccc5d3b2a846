//! Same state, both ways (issue 11): a stack brought up by docker compose v5.6.1 is a no-op `up`
//! for rcompose and the other way round — same container ids, no warning, no prompt — and `down`
//! by either removes the other's containers, networks and volumes. The matrix stack has what
//! real projects have: ports (short and long), bind, named and tmpfs volumes, a config file, an
//! env_file, labels, networks with aliases and ipam, healthchecks, `depends_on` conditions,
//! `scale: 2`, `init`, `stop_grace_period`, deploy limits, `restart` and a profile.

#[path = "e2e_harness.rs"]
mod harness;

use harness::*;

fn matrix(test: u32) -> String {
    // A subnet of its own per test and test process, so parallel runs never collide.
    let pid = std::process::id();
    let subnet = format!("10.{}.{}.0/24", 200 + pid % 50, (pid / 50 * 2 + test) % 250);
    format!(
        r#"
services:
  db:
    image: busybox:stable
    init: true
    command: ["sh", "-c", "touch /data/ready; exec sleep 3600"]
    volumes:
      - data:/data
      - type: tmpfs
        target: /scratch
    healthcheck:
      test: ["CMD", "test", "-f", "/data/ready"]
      interval: 1s
      retries: 30
    networks:
      back:
        aliases: [database]
    stop_grace_period: 3s
    labels:
      org.example.role: db
  web:
    image: busybox:stable
    init: true
    command: ["httpd", "-f", "-p", "8080", "-h", "/site"]
    ports:
      - "8080"
      - target: 8081
        protocol: tcp
    volumes:
      - ./site:/site:ro
    configs:
      - source: app
        target: /etc/app.conf
    env_file: [web.env]
    environment:
      MODE: test
    depends_on:
      db:
        condition: service_healthy
    networks: [front, back]
    restart: unless-stopped
    deploy:
      resources:
        limits:
          memory: 64M
  worker:
    image: busybox:stable
    command: ["sleep", "3600"]
    scale: 2
    init: true
    networks: [back]
  tools:
    image: busybox:stable
    profiles: [tools]
    command: ["true"]
networks:
  front: {{}}
  back:
    ipam:
      config:
        - subnet: {subnet}
volumes:
  data: {{}}
configs:
  app:
    content: "mode=test\n"
"#
    )
}

fn setup(tag: &str, test: u32) -> Stack {
    let s = Stack::new(tag, &matrix(test));
    std::fs::create_dir_all(s.dir.path().join("site")).unwrap();
    std::fs::write(s.dir.path().join("site/index.html"), "matrix\n").unwrap();
    std::fs::write(s.dir.path().join("web.env"), "FROM_FILE=yes\n").unwrap();
    s
}

/// What a second `up` must not say.
fn assert_quiet(run: &Run, tool: &str) {
    let err = run.stderr().to_lowercase();
    for word in [
        "recreate",
        "differs",
        "warn",
        "doesn't match",
        "data will be lost",
    ] {
        assert!(
            !err.contains(word),
            "{tool} said {word:?}:\n{}",
            run.stderr()
        );
    }
}

fn volumes_and_networks(s: &Stack) -> (Vec<String>, Vec<String>) {
    (s.volumes(), s.networks())
}

#[test]
fn a_stack_made_by_v5_is_a_no_op_up_for_rcompose_and_rcompose_down_removes_it() {
    let s = setup("v5state1", 0);
    s.v5(&["up", "-d", "--wait"]).ok();
    let before = s.containers();
    assert_eq!(before.len(), 4, "{before:?}"); // db, web, worker x2
    let resources = volumes_and_networks(&s);
    let run = s.rc(&["up", "-d", "--wait"]).ok();
    assert_quiet(&run, "rcompose");
    assert_eq!(s.containers(), before, "rcompose recreated v5's containers");
    assert_eq!(volumes_and_networks(&s), resources);
    // rcompose lists v5's stack.
    let ps = s.rc(&["ps", "--format", "{{.Name}}"]).ok().stdout();
    assert_eq!(ps.lines().count(), 4, "{ps}");
    s.rc(&["down", "-v"]).ok();
    assert!(s.containers().is_empty());
    assert_eq!(volumes_and_networks(&s), (vec![], vec![]));
}

#[test]
fn a_stack_made_by_rcompose_is_a_no_op_up_for_v5_and_v5_down_removes_it() {
    let s = setup("v5state2", 1);
    s.rc(&["up", "-d", "--wait"]).ok();
    let before = s.containers();
    assert_eq!(before.len(), 4, "{before:?}");
    let resources = volumes_and_networks(&s);
    let run = s.v5(&["up", "-d", "--wait"]).ok();
    assert_quiet(&run, "docker compose v5");
    assert_eq!(s.containers(), before, "v5 recreated rcompose's containers");
    assert_eq!(volumes_and_networks(&s), resources);
    let ps = s.v5(&["ps", "--format", "{{.Name}}"]).ok().stdout();
    assert_eq!(ps.lines().count(), 4, "{ps}");
    s.v5(&["down", "-v"]).ok();
    assert!(s.containers().is_empty());
    assert_eq!(volumes_and_networks(&s), (vec![], vec![]));
}

/// Every stack in compose-examples/, both ways: made by one tool, a no-op `up` for the other,
/// removed by the other's `down -v`.
#[test]
fn every_example_stack_is_shared_with_v5_both_ways() {
    let dir = repo_path("compose-examples");
    let mut examples: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("compose.yaml").is_file())
        .collect();
    examples.sort();
    assert!(examples.len() >= 2, "{examples:?}");
    for example in examples {
        let name = example.file_name().unwrap().to_string_lossy().to_string();
        let yaml = std::fs::read_to_string(example.join("compose.yaml")).unwrap();
        for (first, second) in [("v5", "rcompose"), ("rcompose", "v5")] {
            let s = Stack::new(&format!("ex{name}"), &yaml).env("WEB_PORT", "0");
            let run = |tool: &str, args: &[&str]| {
                if tool == "v5" {
                    s.v5(args)
                } else {
                    s.rc(args)
                }
            };
            run(first, &["up", "-d", "--wait"]).ok();
            let before = s.containers();
            assert!(!before.is_empty(), "{name}: nothing was created");
            let again = run(second, &["up", "-d", "--wait"]).ok();
            assert_quiet(&again, second);
            assert_eq!(
                s.containers(),
                before,
                "{name}: {second} recreated what {first} made"
            );
            run(second, &["down", "-v"]).ok();
            assert!(
                s.containers().is_empty(),
                "{name}: {second} down left containers"
            );
            assert_eq!(volumes_and_networks(&s), (vec![], vec![]), "{name}");
        }
    }
}
