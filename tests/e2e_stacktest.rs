//! `rcompose test -- CMD`, `rcompose endpoints` and `rcompose reap` from the command line, against
//! the real engine: test runners in any language get a unique stack, its endpoints in their
//! environment, and nothing left behind.

#[path = "e2e_harness.rs"]
mod harness;

use std::time::Duration;

use harness::*;

const DATA: &str = r#"
services:
  store:
    image: busybox:stable
    init: true
    command: ["sh", "-c", "echo ok > /data/index.html; exec httpd -f -p 8080 -h /data"]
    ports: ["8080"]
    volumes: [data:/data]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
      interval: 1s
volumes:
  data:
"#;

/// Containers, volumes and networks of every project whose name starts with `prefix-`.
fn everything_of(prefix: &str) -> String {
    let label = "label=com.docker.compose.project";
    let mut out = String::new();
    for kind in [
        &[
            "ps",
            "-a",
            "--format",
            "{{.Label \"com.docker.compose.project\"}}",
        ][..],
        &[
            "volume",
            "ls",
            "--format",
            "{{.Label \"com.docker.compose.project\"}}",
        ][..],
        &[
            "network",
            "ls",
            "--format",
            "{{.Label \"com.docker.compose.project\"}}",
        ][..],
    ] {
        let mut args = kind.to_vec();
        args.extend(["--filter", label]);
        for line in docker(&args).lines() {
            if line.starts_with(&format!("{prefix}-")) {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// `rcompose ARGS` in an empty directory, with no project from the environment.
fn plain(args: &[&str]) -> std::process::Command {
    let mut c = std::process::Command::new(BIN);
    c.args(args)
        .current_dir(std::env::temp_dir())
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .stdin(std::process::Stdio::null());
    c
}

#[test]
fn test_runs_the_command_with_the_endpoints_and_removes_the_stack() {
    let s = Stack::new("stacktest", DATA);
    let script = r#"wget -q -O - "http://$STORE_8080/index.html" && test "$STORE_HOST:$STORE_PORT" = "$STORE_8080" && echo "project=$COMPOSE_PROJECT_NAME"; exit 7"#;
    let run = s.rc(&["test", "--", "sh", "-c", script]).code_is(7);
    let out = run.stdout();
    assert!(out.starts_with("ok\n"), "{out}");
    let project = out
        .lines()
        .find_map(|l| l.strip_prefix("project="))
        .expect("the command saw COMPOSE_PROJECT_NAME")
        .to_string();
    assert!(project.starts_with(&format!("{}-", s.project)), "{project}");
    assert!(
        run.stderr().contains("STORE_8080=127.0.0.1:"),
        "{}",
        run.stderr()
    );
    assert_eq!(everything_of(&s.project), "", "the stack is removed");
}

#[test]
fn test_keep_leaves_the_stack_and_endpoints_prints_it() {
    let s = Stack::new("stackkeep", DATA);
    let run = s
        .rc(&[
            "test",
            "--keep",
            "--",
            "sh",
            "-c",
            "echo $COMPOSE_PROJECT_NAME",
        ])
        .ok();
    let project = run.stdout().trim().to_string();
    let kept = everything_of(&s.project);
    assert!(kept.contains(&project), "{kept}");

    let env = output_within(
        plain(&["-p", &project, "endpoints", "--format", "env"]),
        "rcompose endpoints --format env",
    );
    let env = String::from_utf8_lossy(&env.stdout).to_string();
    let addr = env
        .lines()
        .find_map(|l| l.strip_prefix("STORE_8080="))
        .unwrap_or_else(|| panic!("no STORE_8080 in {env}"))
        .to_string();
    assert!(env.contains("STORE_HOST=127.0.0.1\n"), "{env}");
    let port: u16 = addr.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(http_get(port).as_deref().map(str::trim_end), Some("ok"));

    let json = output_within(
        plain(&["-p", &project, "endpoints", "--format", "json"]),
        "rcompose endpoints --format json",
    );
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v[0]["service"], "store");
    assert_eq!(v[0]["port"], 8080);
    assert_eq!(v[0]["protocol"], "tcp");
    assert_eq!(v[0]["address"], addr.as_str());

    let table = output_within(plain(&["-p", &project, "endpoints"]), "rcompose endpoints");
    let table = String::from_utf8_lossy(&table.stdout).to_string();
    assert!(table.starts_with("SERVICE"), "{table}");
    assert!(
        table.contains(&format!("store     8080/tcp   {addr}")),
        "{table}"
    );

    // Its owner (that `rcompose test`) has exited: `reap` removes it.
    let reap = output_within(plain(&["reap"]), "rcompose reap");
    let said = String::from_utf8_lossy(&reap.stdout).to_string();
    assert!(
        said.contains(&format!("removed {project} (its owner")),
        "{said}"
    );
    assert_eq!(everything_of(&s.project), "");
}

#[test]
fn test_without_a_command_is_a_usage_error() {
    let s = Stack::new("stackusage", DATA);
    let run = s.rc(&["test"]).code_is(2);
    assert!(
        run.stderr().contains("needs a command to run after `--`"),
        "{}",
        run.stderr()
    );
    s.rc(&["test", "ls"]).code_is(2);
    assert_eq!(everything_of(&s.project), "", "nothing was created");
}

#[test]
fn ctrl_c_during_test_stops_the_command_and_removes_the_stack() {
    let s = Stack::new("stackint", DATA);
    let marker = s.dir.path().join("started");
    let script = format!(
        "echo $COMPOSE_PROJECT_NAME > {}; exec sleep 600",
        marker.display()
    );
    let mut child = s.spawn(&["test", "--", "sh", "-c", &script]);
    assert!(
        eventually(command_deadline(), || exists(&marker)),
        "the command did not start"
    );
    // Only rcompose gets the signal (as with `kill -INT`): it passes it on to the command.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = wait_within(&mut child, "rcompose test after SIGINT");
    assert_eq!(status.code(), Some(130));
    assert!(
        eventually(Duration::from_secs(5), || everything_of(&s.project)
            .is_empty()),
        "left: {}",
        everything_of(&s.project)
    );
}
