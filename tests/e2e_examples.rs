//! End-to-end: the example stacks in compose-examples/ come up with `scripts/example-up.sh`
//! (using the test binary, not a release build) and do what their comments say.

#[path = "e2e_harness.rs"]
mod harness;

use std::process::Command;

use harness::*;

/// Runs `scripts/example-up.sh NAME -p PROJECT` with this build of rcompose.
fn example_up(name: &str, project: &str, env: &[(&str, &str)]) {
    require_engine();
    let mut c = Command::new("bash");
    c.arg(repo_path("scripts/example-up.sh"))
        .args([name, "-p", project])
        .env("RCOMPOSE_BIN", BIN)
        .env("COMPOSE_PROGRESS", "plain");
    for (k, v) in env {
        c.env(k, v);
    }
    let out = output_within(c, &format!("example-up.sh {name}"));
    assert!(
        out.status.success(),
        "example-up.sh {name} failed\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Removes a project's objects when dropped.
struct Guard(String);
impl Drop for Guard {
    fn drop(&mut self) {
        purge(&self.0);
    }
}

#[test]
fn web_example_serves_its_page() {
    let project = unique_name("ex-web");
    let _g = Guard(project.clone());
    let port = free_port();
    example_up("web", &project, &[("WEB_PORT", &port.to_string())]);
    let body = http_get(port).unwrap_or_default();
    assert!(body.contains("Hello from rcompose"), "GET / gave: {body:?}");
}

#[test]
fn migrate_example_runs_the_job_before_the_app() {
    let project = unique_name("ex-migrate");
    let _g = Guard(project.clone());
    example_up("migrate", &project, &[("SCHEMA_VERSION", "7")]);
    let app = format!("{project}-app-1");
    let job = format!("{project}-migrate-1");
    assert_eq!(docker(&["inspect", "-f", "{{.State.ExitCode}}", &job]), "0");
    assert_eq!(
        docker(&["inspect", "-f", "{{.State.Health.Status}}", &app]),
        "healthy"
    );
    let logs = docker(&["logs", &app]);
    assert!(logs.contains("app sees schema 7"), "{logs}");
}
