//! The rcompose binary as a process: exit codes of bad usage and bad input, and the checks
//! every command shares (the project name).

fn bin(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"));
    c.args(args)
        .env_remove("COMPOSE_PROGRESS")
        .env_remove("COMPOSE_ANSI");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run rcompose")
}

#[test]
fn bad_usage_exits_1_like_docker_compose_v5_and_help_exits_0() {
    assert_eq!(bin(&["up", "--no-such-flag"], &[]).status.code(), Some(1));
    assert_eq!(bin(&["frobnicate"], &[]).status.code(), Some(1));
    assert_eq!(bin(&["up", "--help"], &[]).status.code(), Some(0));
}

#[test]
fn compose_progress_env_is_validated() {
    let out = bin(&["ps"], &[("COMPOSE_PROGRESS", "sparkly")]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn missing_compose_file_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"))
        .current_dir(dir.path())
        .env_remove("COMPOSE_FILE")
        .env_remove("COMPOSE_PROJECT_NAME")
        .args(["up", "-d"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no configuration file"), "{err}");
}

/// `-p "My App"` (or the same in `COMPOSE_PROJECT_NAME`) is rejected with one message by every
/// command, before any file is read or the engine is reached (it used to be rejected by `up` only,
/// while `down` / `ps` silently acted on project `myapp`).
#[test]
fn an_invalid_project_name_is_rejected_by_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: alpine\n",
    )
    .expect("write compose file");
    let commands: [&[&str]; 8] = [
        &["up", "-d"],
        &["down"],
        &["ps"],
        &["stop"],
        &["logs"],
        &["rm", "-f"],
        &["config"],
        &["images"],
    ];
    for cmd in commands {
        for (flag, env) in [(true, None), (false, Some("My App"))] {
            let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"));
            c.current_dir(dir.path())
                .env_remove("COMPOSE_FILE")
                .env_remove("COMPOSE_PROJECT_NAME")
                // An engine that cannot be reached: the name must be rejected before connecting.
                .env("DOCKER_HOST", "unix:///nonexistent/rcompose-test.sock");
            if flag {
                c.args(["-p", "My App"]);
            }
            if let Some(v) = env {
                c.env("COMPOSE_PROJECT_NAME", v);
            }
            let out = c.args(cmd).output().expect("run rcompose");
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{cmd:?} flag={flag}: {err}");
            assert!(
                err.contains("\"My App\"") && err.contains("not a valid project name"),
                "{cmd:?} flag={flag}: {err}"
            );
        }
    }
}
