//! `pre_start` hooks against the real engine, as docker compose v5 runs them (its own e2e cases,
//! TestPreStartHook*): before the service's containers start, once per creation of the service
//! (not on a no-op `up`, not on a scale-up; again when the service is recreated), in order,
//! with the service's volumes; a failing hook stops `up` with its exit code and output.

#[path = "e2e_harness.rs"]
mod harness;

use harness::*;

fn yaml(marker: &str) -> String {
    format!(
        r#"
services:
  sample:
    image: busybox:stable
    init: true
    command: ["sh", "-c", "cat /shared/init.txt; exec sleep 300"]
    environment:
      MARKER: {marker}
    volumes:
      - data:/shared
    pre_start:
      - command: ["sh", "-c", "echo initialized-$$MARKER > /shared/init.txt; echo first"]
      - image: busybox:latest
        command: ["sh", "-c", "echo token >> /shared/tokens.txt; echo second"]
volumes:
  data:
"#
    )
}

fn tokens(s: &Stack) -> usize {
    let (code, out) = exec(s, "cat /shared/tokens.txt");
    assert_eq!(code, 0, "{out}");
    out.lines().count()
}

fn exec(s: &Stack, script: &str) -> (i32, String) {
    let run = s.rc(&["exec", "-T", "sample", "sh", "-c", script]);
    (run.code(), run.stdout())
}

#[test]
fn hooks_run_before_the_service_once_per_creation() {
    let s = Stack::new("prestart", &yaml("a"));
    let up = s.rc(&["up", "-d", "--wait"]).ok();
    // The service saw what the first hook wrote: the hooks ran before it started.
    let logs = s.rc(&["logs", "--no-log-prefix", "sample"]).ok().stdout();
    assert_eq!(logs.trim(), "initialized-a", "{logs}\n{}", up.stderr());
    assert_eq!(tokens(&s), 1);
    // No hook container is left.
    let all = s.containers();
    assert_eq!(all.len(), 1, "{all:?}");

    s.rc(&["up", "-d", "--wait"]).ok();
    assert_eq!(tokens(&s), 1, "a no-op up runs no hook");
    s.rc(&["up", "-d", "--wait", "--scale", "sample=2"]).ok();
    assert_eq!(tokens(&s), 1, "a scale-up runs no hook");

    s.write(&yaml("b"));
    s.rc(&["up", "-d", "--wait", "--scale", "sample=2"]).ok();
    assert_eq!(
        tokens(&s),
        2,
        "a recreate runs the hooks again, once for both replicas"
    );
    let (_, seen) = exec(&s, "cat /shared/init.txt");
    assert_eq!(seen.trim(), "initialized-b");
}

#[test]
fn a_failing_hook_stops_up_with_its_code_and_output_like_v5() {
    let yaml = r#"
services:
  sample:
    image: busybox:stable
    command: ["sleep", "300"]
    pre_start:
      - command: ["sh", "-c", "echo about to fail; exit 17"]
      - command: ["sh", "-c", "echo never runs"]
"#;
    let s = Stack::new("prestartfail", yaml);
    let run = s.rc(&["up", "-d"]).code_is(1);
    let err = run.stderr();
    assert!(
        err.contains("pre_start[0] `sh -c 'echo about to fail; exit 17'` failed with exit code 17: about to fail"),
        "{err}"
    );
    assert!(!err.contains("never runs"), "{err}");
    let state = docker(&[
        "inspect",
        "-f",
        "{{.State.Status}}",
        &format!("{}-sample-1", s.project),
    ]);
    assert_eq!(state.trim(), "created", "the service did not start");
    assert_eq!(s.containers().len(), 1, "no hook container is left");
    // v5 fails the same file too.
    s.rc(&["down"]).ok();
    s.v5(&["up", "-d"]).code_is(1);
}
