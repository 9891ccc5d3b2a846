//! End-to-end: `exec` and `run` (one-off containers) with the rcompose binary against the real
//! Docker engine. Each test owns a project with a unique name; the `Stack` guard removes
//! everything it labelled (one-off containers included), even when the test fails. A missing
//! engine fails these tests, never skips them.

#[path = "e2e_harness.rs"]
mod harness;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use harness::*;

/// A long-running `web` (stops at once on SIGTERM) and a `db` that turns healthy after ~1 s.
const APP: &str = r#"
services:
  db:
    image: busybox:stable
    init: true
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; exec sleep 86400"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 30
  web:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
    environment:
      FROM_FILE: file-value
    ports: ["80"]
    depends_on:
      db:
        condition: service_healthy
"#;

/// Just `web`, no dependencies.
const SOLO: &str = r#"
services:
  web:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
    ports: ["80"]
"#;

/// `rcompose -p <project> -f <file> ARGS` with `input` on its standard input.
fn rc_with_stdin(s: &Stack, args: &[&str], input: &[u8]) -> Run {
    let mut child = Command::new(BIN)
        .current_dir(s.dir.path())
        .args(["-p", &s.project, "-f", &s.file().display().to_string()])
        .args(args)
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .env("COMPOSE_PROGRESS", "plain")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rcompose");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).expect("write stdin");
        // Dropping it closes the pipe: end-of-file for the command.
    }
    Run {
        out: finish_within(child, "rcompose"),
        what: format!("rcompose {} (with stdin)", args.join(" ")),
    }
}

/// Runs `command` (a shell line) under `script`, which gives it a pseudo-terminal; stdin stays
/// open (a pipe) until it exits, so the terminal sees no end-of-file.
fn under_pty(s: &Stack, command: &str) -> Run {
    let mut child = Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .current_dir(s.dir.path())
        .env_remove("COMPOSE_PROJECT_NAME")
        .env_remove("COMPOSE_FILE")
        .env("COMPOSE_PROGRESS", "plain")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn script (util-linux)");
    let stdin = child.stdin.take();
    let out = finish_within(child, "script");
    drop(stdin);
    Run {
        out,
        what: format!("script -qec {command:?}"),
    }
}

/// The shell line that runs rcompose on `s` with `args`.
fn rc_line(s: &Stack, args: &str) -> String {
    format!("{BIN} -p {} -f {} {args}", s.project, s.file().display())
}

/// Names of the project's one-off containers (running or not).
fn oneoffs(s: &Stack) -> Vec<String> {
    let project = format!("label=com.docker.compose.project={}", s.project);
    docker(&[
        "ps",
        "-a",
        "--filter",
        &project,
        "--filter",
        "label=com.docker.compose.oneoff=True",
        "--format",
        "{{.Names}}",
    ])
    .lines()
    .map(str::to_string)
    .collect()
}

fn is_oneoff_name(s: &Stack, service: &str, name: &str) -> bool {
    let prefix = format!("{}-{service}-run-", s.project);
    name.strip_prefix(&prefix)
        .is_some_and(|hex| hex.len() == 12 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

#[test]
fn exec_prints_output_and_returns_the_exit_code() {
    let s = Stack::new("exec-code", SOLO);
    s.rc(&["up", "-d"]).ok();
    let r = s
        .rc(&[
            "exec",
            "-T",
            "web",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 7",
        ])
        .code_is(7);
    assert_eq!(r.stdout(), "out\n");
    assert!(r.stderr().contains("err"), "{}", r.stderr());
    // Without -T and without a terminal, no TTY is allocated either: streams stay apart.
    let r = s
        .rc(&["exec", "web", "sh", "-c", "echo out; echo err >&2"])
        .ok();
    assert_eq!(r.stdout(), "out\n");
    // -d: returns at once, the command runs in the background.
    s.rc(&["exec", "-d", "web", "sh", "-c", "sleep 1; touch /tmp/done"])
        .ok();
    assert!(eventually(Duration::from_secs(10), || {
        s.rc(&["exec", "-T", "web", "test", "-f", "/tmp/done"])
            .code()
            == 0
    }));
}

#[test]
fn exec_sets_env_workdir_and_user() {
    let s = Stack::new("exec-opts", APP);
    s.rc(&["up", "-d"]).ok();
    let r = s
        .rc(&[
            "exec",
            "-T",
            "-e",
            "X=from-flag",
            "-w",
            "/tmp",
            "-u",
            "1000:1000",
            "web",
            "sh",
            "-c",
            "echo $X $FROM_FILE; pwd; id -u; id -g",
        ])
        .ok();
    assert_eq!(r.stdout(), "from-flag file-value\n/tmp\n1000\n1000\n");
}

#[test]
fn exec_index_picks_the_replica() {
    let s = Stack::new("exec-index", SOLO);
    s.rc(&["up", "-d", "--scale", "web=2"]).ok();
    let p = &s.project;
    let host = |n: u32| {
        let id = s.inspect(&format!("{p}-web-{n}"), "{{.Id}}");
        id[..12].to_string()
    };
    let r = s.rc(&["exec", "-T", "web", "hostname"]).ok();
    assert_eq!(r.stdout().trim(), host(1), "default: replica 1");
    let r = s
        .rc(&["exec", "-T", "--index", "2", "web", "hostname"])
        .ok();
    assert_eq!(r.stdout().trim(), host(2));
    let r = s
        .rc(&["exec", "-T", "--index", "3", "web", "hostname"])
        .code_is(1);
    assert!(
        r.stderr().contains("#3") && r.stderr().contains("--index"),
        "{}",
        r.stderr()
    );
}

#[test]
fn exec_into_a_stopped_or_missing_service_is_a_clear_error() {
    let s = Stack::new("exec-missing", SOLO);
    // Nothing up yet.
    let r = s.rc(&["exec", "-T", "web", "true"]).code_is(1);
    assert!(
        r.stderr().contains("\"web\" is not running") && r.stderr().contains("up -d web"),
        "{}",
        r.stderr()
    );
    s.rc(&["up", "-d"]).ok();
    s.rc(&["stop", "web"]).ok();
    let r = s.rc(&["exec", "-T", "web", "true"]).code_is(1);
    assert!(r.stderr().contains("is not running"), "{}", r.stderr());
    let r = s.rc(&["exec", "-T", "webb", "true"]).code_is(1);
    assert!(
        r.stderr().contains("no such service: webb") && r.stderr().contains("did you mean \"web\""),
        "{}",
        r.stderr()
    );
    let r = s.rc(&["exec", "web"]).code_is(1);
    assert!(r.stderr().contains("COMMAND"), "{}", r.stderr());
}

#[test]
fn exec_forwards_piped_stdin() {
    let s = Stack::new("exec-stdin", SOLO);
    s.rc(&["up", "-d"]).ok();
    let r = rc_with_stdin(&s, &["exec", "-T", "web", "cat"], b"hi\nthere\n").ok();
    assert_eq!(r.stdout(), "hi\nthere\n");
    let r = rc_with_stdin(&s, &["exec", "web", "wc", "-l"], b"1\n2\n3\n").ok();
    assert_eq!(r.stdout().trim(), "3");
    // --interactive=false: stdin is not attached, the command sees none.
    let r = rc_with_stdin(
        &s,
        &["exec", "-T", "--interactive=false", "web", "cat"],
        b"ignored\n",
    )
    .ok();
    assert_eq!(r.stdout(), "");
}

#[test]
fn run_rm_prints_output_returns_the_exit_code_and_leaves_nothing() {
    let s = Stack::new("run-rm", SOLO);
    let r = s
        .rc(&[
            "run",
            "--rm",
            "web",
            "sh",
            "-c",
            "echo hello; echo oops >&2; exit 3",
        ])
        .code_is(3);
    assert_eq!(r.stdout(), "hello\n");
    assert!(r.stderr().contains("oops"), "{}", r.stderr());
    assert_eq!(
        oneoffs(&s),
        Vec::<String>::new(),
        "--rm: the container is gone"
    );
    let r = rc_with_stdin(&s, &["run", "--rm", "-T", "web", "cat"], b"piped\n").ok();
    assert_eq!(r.stdout(), "piped\n");
    assert!(oneoffs(&s).is_empty());
}

#[test]
fn run_without_rm_leaves_a_oneoff_that_ps_a_and_down_remove_orphans_handle() {
    let s = Stack::new("run-keep", SOLO);
    s.rc(&["up", "-d"]).ok();
    s.rc(&["run", "web", "echo", "kept"]).ok();
    let left = oneoffs(&s);
    assert_eq!(left.len(), 1, "{left:?}");
    let name = &left[0];
    assert!(
        is_oneoff_name(&s, "web", name),
        "docker compose v2's name: {name}"
    );
    assert_eq!(
        s.inspect(
            name,
            "{{index .Config.Labels \"com.docker.compose.service\"}}"
        ),
        "web"
    );
    let slug = s.inspect(name, "{{index .Config.Labels \"com.docker.compose.slug\"}}");
    assert_eq!(slug.len(), 64);
    assert!(name.ends_with(&slug[..12]));
    assert!(
        !s.rc(&["ps"]).ok().stdout().contains(name.as_str()),
        "ps hides one-offs"
    );
    assert!(
        s.rc(&["ps", "-a"]).ok().stdout().contains(name.as_str()),
        "ps -a shows them"
    );
    // rm (like docker compose v2's) leaves one-off containers alone.
    s.rc(&["rm", "-f", "-s"]).ok();
    assert_eq!(oneoffs(&s), left);
    // docker compose v2: `down` leaves one-off containers, `down --remove-orphans` removes them.
    s.rc(&["up", "-d"]).ok();
    s.rc(&["run", "-d", "web", "sleep", "300"]).ok();
    assert_eq!(oneoffs(&s).len(), 2);
    s.rc(&["down"]).ok();
    assert_eq!(
        oneoffs(&s).len(),
        2,
        "down leaves one-offs (docker compose v2)"
    );
    s.rc(&["down", "--remove-orphans"]).ok();
    assert_eq!(oneoffs(&s), Vec::<String>::new());
    assert!(s.containers().is_empty(), "{:?}", s.containers());
}

#[test]
fn run_starts_dependencies_and_no_deps_does_not() {
    let s = Stack::new("run-deps", APP);
    let p = &s.project;
    // The dependency must be healthy (≥ 1 s after it starts) before the one-off starts.
    s.rc(&["run", "web", "echo", "ok"]).ok();
    let db = format!("{p}-db-1");
    assert_eq!(s.inspect(&db, "{{.State.Health.Status}}"), "healthy");
    let name = oneoffs(&s).pop().expect("the one-off container");
    let db_started = time_secs(&s.inspect(&db, "{{.State.StartedAt}}"));
    let run_started = time_secs(&s.inspect(&name, "{{.State.StartedAt}}"));
    assert!(
        run_started >= db_started + 1.0,
        "the one-off started before db could be healthy ({run_started} < {db_started} + 1)"
    );
    assert!(
        s.service("web").keys().all(|n| n == &name),
        "run starts no regular web container: {:?}",
        s.service("web")
    );

    let t = Stack::new("run-nodeps", APP);
    t.rc(&["run", "--rm", "--no-deps", "web", "echo", "alone"])
        .ok();
    assert!(
        t.service("db").is_empty(),
        "--no-deps: {:?}",
        t.containers()
    );
}

#[test]
fn run_sets_env_entrypoint_workdir_and_user() {
    let s = Stack::new("run-opts", SOLO);
    let r = s
        .rc(&[
            "run",
            "--rm",
            "-e",
            "X=flag",
            "-w",
            "/tmp",
            "-u",
            "1000:1000",
            "web",
            "sh",
            "-c",
            "echo $X; pwd; id -u",
        ])
        .ok();
    assert_eq!(r.stdout(), "flag\n/tmp\n1000\n");
    // --entrypoint without a command: the service's command is dropped too.
    let r = s
        .rc(&["run", "--rm", "--entrypoint", "echo entry", "web"])
        .ok();
    assert_eq!(r.stdout(), "entry\n");
    let r = s
        .rc(&[
            "run",
            "--rm",
            "--entrypoint",
            "echo",
            "web",
            "hi",
            "-p",
            "there",
        ])
        .ok();
    assert_eq!(r.stdout(), "hi -p there\n");
    // --cap-drop ALL leaves the command no effective capabilities; --cap-add gives one back
    // (CAP_NET_ADMIN is bit 12: 0x1000).
    let cap_eff = |caps: &[&str]| {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(caps);
        args.extend_from_slice(&["web", "grep", "CapEff", "/proc/self/status"]);
        let r = s.rc(&args).ok();
        r.stdout()
            .split_whitespace()
            .last()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(cap_eff(&["--cap-drop", "ALL"]), "0000000000000000");
    assert_eq!(
        cap_eff(&["--cap-drop", "ALL", "--cap-add", "NET_ADMIN"]),
        "0000000000001000"
    );
    // -l adds a label; --name names the container.
    let name = format!("{}-custom", s.project);
    s.rc(&["run", "-l", "team=core", "--name", &name, "web", "true"])
        .ok();
    assert_eq!(
        s.inspect(&name, "{{index .Config.Labels \"team\"}} {{index .Config.Labels \"com.docker.compose.oneoff\"}}"),
        "core True"
    );
}

#[test]
fn run_publishes_ports_only_when_asked() {
    let s = Stack::new("run-ports", SOLO);
    let detached = |args: &[&str]| -> String {
        let mut a = vec!["run", "-d"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["web", "sleep", "300"]);
        let r = s.rc(&a).ok();
        let name = r.stdout().trim().to_string();
        assert!(
            is_oneoff_name(&s, "web", &name),
            "run -d prints the name: {name:?}"
        );
        name
    };
    let plain = detached(&[]);
    assert_eq!(
        docker(&["port", &plain]),
        "",
        "no ports without --service-ports"
    );
    let service_ports = detached(&["--service-ports"]);
    assert!(
        docker(&["port", &service_ports, "80/tcp"]).contains("0.0.0.0:"),
        "--service-ports publishes the service's ports"
    );
    let port = free_port();
    let published = detached(&["-p", &format!("127.0.0.1:{port}:81")]);
    assert_eq!(
        docker(&["port", &published, "81/tcp"]),
        format!("127.0.0.1:{port}")
    );
    assert_eq!(
        docker(&["port", &published]).lines().count(),
        1,
        "-p replaces the service's ports"
    );
    let r = s.rc(&["run", "-P", "-p", "81", "web", "true"]).code_is(1);
    assert!(
        r.stderr().contains("--service-ports") || r.stderr().contains("cannot be used"),
        "{}",
        r.stderr()
    );
}

#[test]
fn tty_exec_and_run_get_a_pseudo_terminal() {
    let s = Stack::new("tty", SOLO);
    s.rc(&["up", "-d"]).ok();
    let r = under_pty(&s, &rc_line(&s, "exec web tty")).ok();
    assert!(r.stdout().contains("/dev/pts/"), "{:?}", r.stdout());
    let r = under_pty(&s, &rc_line(&s, "exec web sh -c 'exit 4'")).code_is(4);
    drop(r);
    // The window size follows the local terminal's.
    let r = under_pty(
        &s,
        &format!(
            "stty rows 33 cols 111; {}",
            rc_line(&s, "run --rm web sh -c 'sleep 0.5; tty; stty size'")
        ),
    )
    .ok();
    assert!(r.stdout().contains("/dev/pts/"), "{:?}", r.stdout());
    assert!(r.stdout().contains("33 111"), "{:?}", r.stdout());
    // -T: no TTY even on a terminal.
    let r = under_pty(&s, &rc_line(&s, "exec -T web tty")).code_is(1);
    assert!(r.stdout().contains("not a tty"), "{:?}", r.stdout());
    assert!(oneoffs(&s).is_empty());
}

#[test]
fn ctrl_c_stops_the_oneoff_with_exit_130() {
    let s = Stack::new("run-ctrlc", SOLO);
    let mut child = Command::new(BIN)
        .current_dir(s.dir.path())
        .args(["-p", &s.project, "-f", &s.file().display().to_string()])
        .args([
            "run",
            "--rm",
            "-T",
            "web",
            "sh",
            "-c",
            "trap 'exit 0' TERM; echo started; while true; do sleep 0.2; done",
        ])
        .env("COMPOSE_PROGRESS", "plain")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rcompose run");
    // The one-off may not exist yet, or be gone already if `run` failed: asked without
    // panicking, and a run that ended early is reported with its output.
    let running = eventually(Duration::from_secs(30), || {
        let names = oneoffs(&s);
        names.len() == 1
            && docker_try(&["inspect", "-f", "{{.State.Status}}", &names[0]]).as_deref()
                == Some("running")
    });
    if !running {
        let _ = child.kill();
        let out = finish_within(child, "rcompose run");
        panic!(
            "the one-off never ran; rcompose run exited {:?}\n--- stdout\n{}\n--- stderr\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: sends SIGINT to our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let start = Instant::now();
    let out = loop {
        if let Some(_status) = child.try_wait().expect("wait") {
            break finish_within(child, "rcompose");
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("rcompose run did not end after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        out.status.code(),
        Some(130),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("started"));
    assert!(
        eventually(Duration::from_secs(10), || oneoffs(&s).is_empty()),
        "the --rm one-off is gone after Ctrl-C: {:?}",
        oneoffs(&s)
    );
}
