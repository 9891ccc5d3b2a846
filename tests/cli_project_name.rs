//! One project-name rule for every command: an explicit name (`-p`, `COMPOSE_PROJECT_NAME`) that
//! is not already normal is refused with the same words, whether the command reads a compose
//! file (`up`, `config`) or can work from the engine's labels alone (`down`, `ps`, `stop`...).
//! None of these reach the engine: the name is checked first.

use std::process::Command;

fn rcompose(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rcompose"));
    cmd.current_dir(dir)
        .args(args)
        .env_remove("COMPOSE_PROJECT_NAME");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run rcompose");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Commands that need a compose file (without one, "no configuration file" comes first).
const FILE_COMMANDS: [&[&str]; 3] = [&["up", "-d"], &["config"], &["images"]];

/// Commands that also work from the engine's labels alone, with just a project name.
const LABEL_COMMANDS: [&[&str]; 6] = [
    &["down"],
    &["ps"],
    &["stop"],
    &["logs"],
    &["rm", "-f"],
    &["top"],
];

fn assert_refused(code: i32, stderr: &str, what: &str, from: &str) {
    assert_ne!(code, 0, "{what}: accepted an invalid project name");
    let want = format!("\"My App\" (from {from}) is not a valid project name");
    assert!(stderr.contains(&want), "{what}: stderr was {stderr:?}");
    assert!(
        stderr.contains("\"myapp\""),
        "{what}: no hint in {stderr:?}"
    );
}

#[test]
fn invalid_dash_p_is_refused_by_every_command_with_or_without_a_compose_file() {
    let with_file = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        with_file.path().join("compose.yaml"),
        "services:\n  a:\n    image: busybox:stable\n",
    )
    .expect("write compose.yaml");
    let without_file = tempfile::tempdir().expect("tempdir");
    let cases = FILE_COMMANDS
        .iter()
        .chain(&LABEL_COMMANDS)
        .map(|c| (with_file.path(), c))
        .chain(LABEL_COMMANDS.iter().map(|c| (without_file.path(), c)));
    for (dir, cmd) in cases {
        {
            let mut args = vec!["-p", "My App"];
            args.extend_from_slice(cmd);
            let (code, stderr) = rcompose(dir, &args, &[]);
            assert_refused(code, &stderr, &args.join(" "), "-p");
        }
    }
}

#[test]
fn invalid_compose_project_name_is_refused_by_every_command() {
    let without_file = tempfile::tempdir().expect("tempdir");
    for cmd in LABEL_COMMANDS {
        let (code, stderr) = rcompose(
            without_file.path(),
            cmd,
            &[("COMPOSE_PROJECT_NAME", "My App")],
        );
        assert_refused(code, &stderr, &cmd.join(" "), "COMPOSE_PROJECT_NAME");
    }
}
