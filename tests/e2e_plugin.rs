//! rcompose as the docker CLI's compose plugin, through the real docker CLI: `plugin install`
//! into a private DOCKER_CONFIG, then `docker compose up -d` / `ps` / `down` (with docker's own
//! `--context` flag in front) act on the real engine; `plugin uninstall` removes the link.

#[path = "e2e_harness.rs"]
mod harness;

use std::process::Command;

use harness::*;

const STACK: &str = r#"
services:
  web:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
"#;

fn run(program: &str, args: &[&str], config: &std::path::Path, cwd: &std::path::Path) -> Run {
    let mut c = Command::new(program);
    c.args(args)
        .current_dir(cwd)
        .env("DOCKER_CONFIG", config)
        .env("COMPOSE_PROGRESS", "plain")
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE");
    let what = format!("{program} {}", args.join(" "));
    Run {
        out: output_within(c, &what),
        what,
    }
}

#[test]
fn docker_compose_runs_rcompose_once_installed_as_the_plugin() {
    let s = Stack::new("plugin", STACK);
    let config = tempfile::tempdir().expect("docker config dir");
    let cwd = s.dir.path();
    let file = s.file().display().to_string();
    let p = s.project.as_str();

    run(BIN, &["plugin", "install"], config.path(), cwd).ok();
    let version = run("docker", &["compose", "version"], config.path(), cwd).ok();
    assert!(
        version.stdout().contains("rcompose"),
        "{}",
        version.stdout()
    );

    run(
        "docker",
        &["compose", "-p", p, "-f", &file, "up", "-d"],
        config.path(),
        cwd,
    )
    .ok();
    assert_eq!(s.containers().len(), 1, "{:?}", s.containers());
    let ps = run(
        "docker",
        &[
            "--context",
            "default",
            "compose",
            "-p",
            p,
            "-f",
            &file,
            "ps",
            "--services",
        ],
        config.path(),
        cwd,
    )
    .ok();
    assert_eq!(ps.stdout(), "web\n");
    // Bad usage through the plugin still names the command the user typed.
    let bad = run(
        "docker",
        &["compose", "up", "--no-such-flag"],
        config.path(),
        cwd,
    )
    .code_is(1);
    assert!(bad.stderr().contains("docker compose"), "{}", bad.stderr());
    run(
        "docker",
        &["compose", "-p", p, "down", "-t", "0"],
        config.path(),
        cwd,
    )
    .ok();
    assert!(s.containers().is_empty(), "left: {:?}", s.containers());

    run(BIN, &["plugin", "uninstall"], config.path(), cwd).ok();
    assert!(
        !config.path().join("cli-plugins/docker-compose").exists(),
        "the link is gone"
    );
}

#[test]
fn plugin_install_never_replaces_another_plugin_without_force() {
    let config = tempfile::tempdir().expect("docker config dir");
    let plugins = config.path().join("cli-plugins");
    std::fs::create_dir_all(&plugins).expect("mkdir");
    std::fs::write(plugins.join("docker-compose"), "#!/bin/sh\necho other\n").expect("write");
    let r = run(BIN, &["plugin", "install"], config.path(), config.path()).code_is(1);
    assert!(
        r.stderr().contains("already exists") && r.stderr().contains("--force"),
        "{}",
        r.stderr()
    );
    run(
        BIN,
        &["plugin", "install", "--force"],
        config.path(),
        config.path(),
    )
    .ok();
    run(BIN, &["plugin", "uninstall"], config.path(), config.path()).ok();
    assert_eq!(
        std::fs::read_to_string(plugins.join("docker-compose")).expect("restored"),
        "#!/bin/sh\necho other\n"
    );
}

#[test]
fn linked_as_docker_compose_it_takes_the_standalone_command_line() {
    let s = Stack::new("standalone", STACK);
    let bin_dir = tempfile::tempdir().expect("bin dir");
    let link = bin_dir.path().join("docker-compose");
    std::os::unix::fs::symlink(BIN, &link).expect("link");
    let config = tempfile::tempdir().expect("docker config dir");
    let file = s.file().display().to_string();
    let link = link.display().to_string();
    let services = run(
        &link,
        &["-f", &file, "config", "--services"],
        config.path(),
        s.dir.path(),
    )
    .ok();
    assert_eq!(services.stdout(), "web\n");
    run(
        &link,
        &["-p", &s.project, "-f", &file, "up", "-d"],
        config.path(),
        s.dir.path(),
    )
    .ok();
    assert_eq!(s.containers().len(), 1);
    run(
        &link,
        &["-p", &s.project, "down", "-t", "0"],
        config.path(),
        s.dir.path(),
    )
    .ok();
    assert!(s.containers().is_empty());
}
