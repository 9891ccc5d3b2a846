//! The commands of issue 11 item 4 (`volumes`, `scale`, `start --wait`, `run --env-file`...)
//! against the real engine, side by side with docker compose v5.6.1 (`harness::v5_bin`) where
//! their output is comparable. Fails (never skips) when the engine or v5 cannot be had.

#[path = "e2e_harness.rs"]
mod harness;

use harness::*;
use serde_json::Value;

/// A JSON line with its `Labels` sorted (docker prints them in Go's random map order).
fn sorted_labels(line: &str) -> Value {
    let mut v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    if let Some(Value::String(labels)) = v.get("Labels") {
        let mut l: Vec<&str> = labels.split(',').collect();
        l.sort_unstable();
        let sorted = l.join(",");
        v["Labels"] = Value::String(sorted);
    }
    v
}

/// The lines of an output, sorted: the engine lists volumes in no stable order (two calls of
/// one tool can differ), so the lines are compared as sets, each byte for byte.
fn sorted_lines(text: &str) -> Vec<String> {
    let mut l: Vec<String> = text.lines().map(str::to_string).collect();
    l.sort();
    l
}

const VOLUMES_YAML: &str = r#"
services:
  a:
    image: busybox:latest
    command: ["sleep", "86400"]
    volumes: [data:/data, other:/other]
  b:
    image: busybox:latest
    command: ["sleep", "86400"]
    volumes: [data:/data]
  c:
    image: busybox:latest
    command: ["sleep", "86400"]
volumes:
  data:
    labels: {tier: back}
  other:
"#;

#[test]
fn volumes_lists_as_docker_compose_v5() {
    let s = Stack::new("v5vols", VOLUMES_YAML);
    s.rc(&["up", "-d"]).ok();
    let pairs: [&[&str]; 8] = [
        &["volumes"],
        &["volumes", "-q"],
        &["volumes", "b"],
        &["volumes", "-q", "a"],
        &["volumes", "c"],
        &[
            "volumes",
            "--format",
            "table {{.Name}}\t{{.Scope}}\t{{.Mountpoint}}",
        ],
        &[
            "volumes",
            "--format",
            r#"{{.Name}} {{.Driver}} {{.Label "tier"}} {{.Links}} {{.Size}}"#,
        ],
        &["volumes", "--format", "{{json .Name}}"],
    ];
    for args in pairs {
        let rc = s.rc(args).ok().stdout();
        let v5 = s.v5(args).ok().stdout();
        assert_eq!(
            sorted_lines(&rc),
            sorted_lines(&v5),
            "{args:?}\nrc:\n{rc}\nv5:\n{v5}"
        );
    }
    assert_eq!(s.rc(&["volumes", "-q"]).ok().stdout().lines().count(), 2);
    assert_eq!(
        s.rc(&["volumes", "-q", "b"]).ok().stdout().trim(),
        format!("{}_data", s.project)
    );
    // JSON: one object a line, same keys in the same order, same values (labels sorted).
    let rc = s.rc(&["volumes", "--format", "json"]).ok().stdout();
    let v5 = s.v5(&["volumes", "--format", "json"]).ok().stdout();
    let rc: Vec<Value> = sorted_lines(&rc).iter().map(|l| sorted_labels(l)).collect();
    let v5: Vec<Value> = sorted_lines(&v5).iter().map(|l| sorted_labels(l)).collect();
    assert_eq!(rc.len(), 2);
    assert_eq!(rc, v5);
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&rc[0]), keys(&v5[0]));
    // A bad template fails with exit 1, naming the field.
    let bad = s.rc(&["volumes", "--format", "{{.Nope}}"]).code_is(1);
    assert!(bad.stderr().contains("Nope"), "{}", bad.stderr());
}

const SCALE_YAML: &str = r#"
services:
  web:
    image: busybox:latest
    command: ["sleep", "86400"]
    depends_on: [db]
    stop_grace_period: 1s
  db:
    image: busybox:latest
    command: ["sleep", "86400"]
    stop_grace_period: 1s
"#;

/// The names of the project's containers.
fn names(s: &Stack) -> Vec<String> {
    s.containers().into_keys().collect()
}

/// The project's containers with the project name replaced, for comparing two projects.
fn shapes(s: &Stack) -> Vec<String> {
    names(s)
        .iter()
        .map(|n| n.replacen(&s.project, "P", 1))
        .collect()
}

#[test]
fn scale_up_and_down_as_docker_compose_v5() {
    let rc = Stack::new("v5scale", SCALE_YAML);
    let v5 = Stack::new("v5scale5", SCALE_YAML);
    rc.rc(&["up", "-d"]).ok();
    v5.v5(&["up", "-d"]).ok();
    let before = rc.containers();
    rc.rc(&["scale", "web=3"]).ok();
    v5.v5(&["scale", "web=3"]).ok();
    assert_eq!(shapes(&rc), ["P-db-1", "P-web-1", "P-web-2", "P-web-3"]);
    assert_eq!(shapes(&rc), shapes(&v5));
    let after = rc.containers();
    // The containers that were there are kept (not recreated).
    for (name, id) in &before {
        assert_eq!(after.get(name), Some(id), "{name} was recreated");
    }
    for n in names(&rc) {
        assert_eq!(rc.inspect(&n, "{{.State.Status}}").trim(), "running", "{n}");
    }
    let numbers = |s: &Stack| {
        let mut v: Vec<String> = s
            .service("web")
            .keys()
            .map(|n| {
                s.inspect(
                    n,
                    r#"{{index .Config.Labels "com.docker.compose.container-number"}}"#,
                )
                .trim()
                .to_string()
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(numbers(&rc), ["1", "2", "3"]);
    assert_eq!(numbers(&rc), numbers(&v5));

    rc.rc(&["scale", "web=1"]).ok();
    v5.v5(&["scale", "web=1"]).ok();
    assert_eq!(shapes(&rc), ["P-db-1", "P-web-1"]);
    assert_eq!(shapes(&rc), shapes(&v5));
    assert_eq!(
        rc.containers().get(&format!("{}-web-1", rc.project)),
        before.get(&format!("{}-web-1", rc.project))
    );

    // --no-deps: a stopped dependency stays stopped (v5 alike).
    rc.rc(&["stop", "db"]).ok();
    v5.v5(&["stop", "db"]).ok();
    rc.rc(&["scale", "--no-deps", "web=2"]).ok();
    v5.v5(&["scale", "--no-deps", "web=2"]).ok();
    assert_eq!(shapes(&rc), shapes(&v5));
    let db_state = |s: &Stack| s.inspect(&format!("{}-db-1", s.project), "{{.State.Status}}");
    assert_eq!(db_state(&rc), db_state(&v5));

    // Bad specifiers and unknown services: exit 1, as v5, naming the culprit.
    for args in [
        &["scale", "web"][..],
        &["scale", "web=x"],
        &["scale", "nosuch=2"],
    ] {
        let r = rc.rc(args).code_is(1);
        v5.v5(args).code_is(1);
        let culprit = args[1].split('=').next().unwrap_or_default();
        assert!(r.stderr().contains(culprit), "{args:?}: {}", r.stderr());
    }
}

const WAIT_YAML: &str = r#"
services:
  slow:
    image: busybox:latest
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 86400"]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 60
  never:
    image: busybox:latest
    command: ["sleep", "86400"]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      retries: 100
"#;

#[test]
fn start_wait_returns_once_healthy_and_fails_on_its_timeout_as_v5() {
    let s = Stack::new("v5startwait", WAIT_YAML);
    s.rc(&["create"]).ok();
    let health = |c: &str| {
        s.inspect(&format!("{}-{c}-1", s.project), "{{.State.Health.Status}}")
            .trim()
            .to_string()
    };
    s.rc(&["start", "--wait", "slow"]).ok();
    assert_eq!(health("slow"), "healthy");
    // Never healthy: exit 1 once the timeout has passed, as v5.
    let t = std::time::Instant::now();
    let r = s
        .rc(&["start", "--wait", "--wait-timeout", "2", "never"])
        .code_is(1);
    assert!(
        t.elapsed() >= std::time::Duration::from_secs(2),
        "{:?}",
        t.elapsed()
    );
    assert!(r.stderr().contains("never"), "{}", r.stderr());
    s.rc(&["stop", "never"]).ok();
    s.v5(&["start", "--wait", "--wait-timeout", "2", "never"])
        .code_is(1);
    // Without --wait, start returns before the healthcheck passes.
    s.rc(&["stop", "slow"]).ok();
    s.rc(&["rm", "-f", "slow"]).ok();
    s.rc(&["create", "slow"]).ok();
    s.rc(&["start", "slow"]).ok();
    assert_eq!(health("slow"), "starting");
}

/// The environment a `run` prints (`env`), without what differs per container.
fn run_env(out: &str) -> Vec<String> {
    let mut l: Vec<String> = out
        .lines()
        .filter(|l| !l.starts_with("HOSTNAME="))
        .map(str::to_string)
        .collect();
    l.sort();
    l
}

#[test]
fn run_env_from_file_fills_the_one_off_environment_as_v5() {
    let s = Stack::new(
        "v5runenv",
        r#"
services:
  s:
    image: busybox:latest
    environment:
      C: from_compose
      D: from_compose
"#,
    )
    .env("F", "from_shell");
    std::fs::write(
        s.dir.path().join("vars.env"),
        "A=from_file\nB=from_file\nC=from_file\n# a comment\nexport E=\"quoted ${A}\"\nF\n",
    )
    .expect("write vars.env");
    // The first file that sets a variable wins; a file may use `-e`'s variables.
    std::fs::write(s.dir.path().join("more.env"), "A=later\nG=${B}\n").expect("write more.env");
    let args = [
        "run",
        "--rm",
        "-T",
        "-e",
        "B=cli",
        "--env-from-file",
        "vars.env",
        "--env-from-file",
        "more.env",
        "s",
        "env",
    ];
    let rc = run_env(&s.rc(&args).ok().stdout());
    let v5 = run_env(&s.v5(&args).ok().stdout());
    assert!(rc.contains(&"B=cli".to_string()), "{rc:?}");
    assert!(rc.contains(&"C=from_file".to_string()), "{rc:?}");
    assert!(rc.contains(&"A=from_file".to_string()), "{rc:?}");
    // `${B}` in a file reads `-e B=cli`, as v5 does.
    assert!(rc.contains(&"G=cli".to_string()), "{rc:?}");
    assert_eq!(rc, v5);
    // A missing file: exit 1 naming it, nothing run.
    let r = s
        .rc(&[
            "run",
            "--rm",
            "-T",
            "--env-from-file",
            "nofile.env",
            "s",
            "true",
        ])
        .code_is(1);
    assert!(r.stderr().contains("nofile.env"), "{}", r.stderr());
    s.v5(&[
        "run",
        "--rm",
        "-T",
        "--env-from-file",
        "nofile.env",
        "s",
        "true",
    ])
    .code_is(1);
}

#[test]
fn run_build_rebuilds_and_pull_never_refuses_a_missing_image() {
    let s = Stack::new(
        "v5runbuild",
        r#"
services:
  b:
    build: ./ctx
  missing:
    image: rcompose-test/absent:never
"#,
    );
    let ctx = s.dir.path().join("ctx");
    std::fs::create_dir_all(&ctx).expect("ctx");
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM busybox:latest\nCOPY stamp /stamp\n",
    )
    .expect("Dockerfile");
    std::fs::write(ctx.join("stamp"), "one\n").expect("stamp");
    let stamp = |args: &[&str]| s.rc(args).ok().stdout().trim().to_string();
    assert_eq!(stamp(&["run", "--rm", "-T", "b", "cat", "/stamp"]), "one");
    std::fs::write(ctx.join("stamp"), "two\n").expect("stamp");
    // Without --build the image that is there is used; with it, rebuilt.
    assert_eq!(stamp(&["run", "--rm", "-T", "b", "cat", "/stamp"]), "one");
    assert_eq!(
        stamp(&["run", "--rm", "-T", "--build", "b", "cat", "/stamp"]),
        "two"
    );
    assert_eq!(
        s.v5(&["run", "--rm", "-T", "b", "cat", "/stamp"])
            .ok()
            .stdout()
            .trim(),
        "two",
        "v5 runs the image rcompose rebuilt"
    );
    // --pull never on a missing image: exit 1, naming the service, as v5 fails.
    let r = s
        .rc(&["run", "--rm", "-T", "--pull", "never", "missing", "true"])
        .code_is(1);
    assert!(r.stderr().contains("missing"), "{}", r.stderr());
    s.v5(&["run", "--rm", "-T", "--pull", "never", "missing", "true"])
        .code_is(1);
    // --pull never with the image present runs it.
    assert_eq!(
        stamp(&["run", "--rm", "-T", "--pull", "never", "b", "cat", "/stamp"]),
        "two"
    );
    let _ = docker_try(&["rmi", "-f", &format!("{}-b", s.project)]);
}

/// The entry names of a tar archive, sorted.
fn tar_names(bytes: &[u8]) -> Vec<String> {
    let mut a = tar::Archive::new(bytes);
    let mut names: Vec<String> = a
        .entries()
        .expect("tar entries")
        .map(|e| {
            e.expect("tar entry")
                .path()
                .expect("entry path")
                .display()
                .to_string()
        })
        .collect();
    names.sort();
    names
}

/// The content of entry `name` of a tar archive.
fn tar_file(bytes: &[u8], name: &str) -> Option<String> {
    let mut a = tar::Archive::new(bytes);
    let entries = a.entries().ok()?;
    for e in entries {
        let mut e = e.ok()?;
        if e.path().ok()?.display().to_string() == name {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut e, &mut s).ok()?;
            return Some(s);
        }
    }
    None
}

#[test]
fn export_and_commit_a_service_container_as_v5() {
    let s = Stack::new(
        "v5export",
        r#"
services:
  s:
    image: busybox:latest
    command: ["sh", "-c", "echo hi > /marker; exec sleep 86400"]
    stop_grace_period: 1s
"#,
    );
    s.rc(&["up", "-d", "--scale", "s=2"]).ok();
    let marker = format!("{}-s-1", s.project);
    assert!(eventually(command_deadline(), || {
        docker_try(&["exec", &marker, "cat", "/marker"]).is_some_and(|o| o.trim() == "hi")
    }));
    // -o FILE: the container's filesystem, mode 0600, the same entries as v5's export.
    let rc_file = s.dir.path().join("rc.tar");
    let v5_file = s.dir.path().join("v5.tar");
    s.rc(&["export", "-o", &rc_file.display().to_string(), "s"])
        .ok();
    s.v5(&["export", "-o", &v5_file.display().to_string(), "s"])
        .ok();
    let rc_tar = std::fs::read(&rc_file).expect("rc.tar");
    let v5_tar = std::fs::read(&v5_file).expect("v5.tar");
    assert_eq!(tar_file(&rc_tar, "marker").as_deref(), Some("hi\n"));
    assert_eq!(tar_names(&rc_tar), tar_names(&v5_tar));
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777);
    assert_eq!(mode(&rc_file).ok(), Some(0o600));
    assert_eq!(mode(&rc_file).ok(), mode(&v5_file).ok());
    // Standard output (not a terminal here), replica 2.
    let out = s.rc(&["export", "--index", "2", "s"]).ok().out.stdout;
    assert_eq!(tar_file(&out, "marker").as_deref(), Some("hi\n"));
    // Errors as v5: no such replica, a missing directory; exit 1.
    for args in [
        &["export", "--index", "3", "-o", "x.tar", "s"][..],
        &["export", "-o", "/nonexistent-dir/x.tar", "s"],
        &["export", "-o", "x.tar", "nosuch"],
    ] {
        s.rc(args).code_is(1);
        s.v5(args).code_is(1);
    }
    assert!(!s.dir.path().join("x.tar").exists());

    // commit: author, message, changes, the tag; the image has the container's file.
    let tag = format!("{}-committed:v1", s.project);
    s.rc(&[
        "commit", "-a", "me", "-m", "msg", "-c", "ENV X=1", "-p", "s", &tag,
    ])
    .ok();
    let info = docker(&[
        "image",
        "inspect",
        "-f",
        "{{.Author}}|{{.Comment}}|{{.Config.Env}}",
        &tag,
    ]);
    assert!(info.starts_with("me|msg|"), "{info}");
    assert!(info.contains("X=1"), "{info}");
    let cat = docker(&["run", "--rm", &tag, "cat", "/marker"]);
    assert_eq!(cat.trim(), "hi");
    // Untagged, replica 2, without pausing; a bad index fails as in v5.
    let r = s.rc(&["commit", "--pause=false", "--index", "2", "s"]).ok();
    let id = r
        .stderr()
        .split("Committed as ")
        .nth(1)
        .map(|t| t.trim().to_string());
    assert!(
        id.as_deref().is_some_and(|i| i.starts_with("sha256:")),
        "{}",
        r.stderr()
    );
    let _ = docker_try(&["rmi", "-f", id.as_deref().unwrap_or_default()]);
    s.rc(&["commit", "--index", "5", "s"]).code_is(1);
    s.v5(&["commit", "--index", "5", "s"]).code_is(1);
    let _ = docker_try(&["rmi", "-f", &tag]);
}

/// A `stats` JSON object with the values that follow the moment blanked.
fn stable_stats(line: &str) -> Value {
    let mut v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    for k in ["BlockIO", "CPUPerc", "MemPerc", "NetIO"] {
        v[k] = Value::String("<now>".into());
    }
    // The limit stays; the usage follows the moment.
    if let Some(m) = v["MemUsage"].as_str() {
        let limit = m.split(" / ").nth(1).unwrap_or_default().to_string();
        v["MemUsage"] = Value::String(limit);
    }
    v
}

#[test]
fn stats_no_stream_lists_as_docker_compose_v5() {
    let s = Stack::new(
        "v5stats",
        r#"
services:
  a:
    image: busybox:latest
    command: ["sleep", "86400"]
    stop_grace_period: 1s
  b:
    image: busybox:latest
    command: ["sleep", "86400"]
    stop_grace_period: 1s
"#,
    );
    s.rc(&["up", "-d"]).ok();
    let json = |r: Run| -> Vec<Value> {
        let mut v: Vec<Value> = r.stdout().lines().map(stable_stats).collect();
        v.sort_by_key(|o| o["Name"].as_str().unwrap_or_default().to_string());
        v
    };
    for args in [
        &["stats", "--no-stream", "--format", "json"][..],
        &["stats", "--no-stream", "--no-trunc", "--format", "json"],
        &["stats", "--no-stream", "--format", "json", "a"],
    ] {
        let rc = json(s.rc(args).ok());
        let v5 = json(s.v5(args).ok());
        assert!(!rc.is_empty(), "{args:?}");
        assert_eq!(rc, v5, "{args:?}");
        let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
        assert_eq!(keys(&rc[0]), keys(&v5[0]), "key order");
    }
    // The table: the same header and, but for the moment's values, the same rows.
    let rc = s.rc(&["stats", "--no-stream"]).ok().stdout();
    let v5 = s.v5(&["stats", "--no-stream"]).ok().stdout();
    assert_eq!(rc.lines().count(), 3, "{rc}");
    let header = |t: &str| {
        t.lines()
            .next()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
    };
    assert_eq!(header(&rc), header(&v5));
    let template = "{{.Name}} {{.PIDs}} {{.Container}}";
    let sorted = |t: String| {
        let mut l: Vec<String> = t.lines().map(str::to_string).collect();
        l.sort();
        l
    };
    assert_eq!(
        sorted(
            s.rc(&["stats", "--no-stream", "--format", template])
                .ok()
                .stdout()
        ),
        sorted(
            s.v5(&["stats", "--no-stream", "--format", template])
                .ok()
                .stdout()
        )
    );
    // Stopped: left out, shown with -a (zeros), nothing at all when nothing runs.
    s.rc(&["stop", "b"]).ok();
    let f = ["--format", "{{.Name}} {{.PIDs}} {{.MemUsage}}"];
    let rc_all = s
        .rc(&["stats", "--no-stream", "-a", f[0], f[1]])
        .ok()
        .stdout();
    let v5_all = s
        .v5(&["stats", "--no-stream", "-a", f[0], f[1]])
        .ok()
        .stdout();
    assert_eq!(
        s.rc(&["stats", "--no-stream", f[0], f[1]])
            .ok()
            .stdout()
            .lines()
            .count(),
        1
    );
    let stopped = |t: &str| t.lines().find(|l| l.contains("-b-1")).map(str::to_string);
    assert_eq!(stopped(&rc_all), stopped(&v5_all));
    assert_eq!(
        stopped(&rc_all).as_deref(),
        Some(format!("{}-b-1 0 0B / 0B", s.project).as_str())
    );
    s.rc(&["stop"]).ok();
    assert_eq!(s.rc(&["stats", "--no-stream"]).ok().stdout(), "");
    assert_eq!(s.v5(&["stats", "--no-stream"]).ok().stdout(), "");
    // A bad template: exit 1 naming the field.
    let r = s
        .rc(&["stats", "--no-stream", "--format", "{{.Nope}}"])
        .code_is(1);
    assert!(r.stderr().contains("Nope"), "{}", r.stderr());
}

const ATTACH_YAML: &str = r#"
services:
  echo:
    image: busybox:latest
    stdin_open: true
    command: ["sh", "-c", "read line; echo got $$line; exit 3"]
  talker:
    image: busybox:latest
    command: ["sh", "-c", "sleep 3; echo out; echo err >&2; exit 5"]
"#;

/// `program ARGS` of the stack with `input` on its standard input, to completion.
fn with_input(mut c: std::process::Command, input: &str, what: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = c
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input.as_bytes());
    }
    finish_within(child, what)
}

#[test]
fn attach_streams_stdin_and_output_and_returns_the_exit_code_as_v5() {
    let s = Stack::new("v5attach", ATTACH_YAML);
    // stdin goes to the container; its exit code is attach's.
    s.rc(&["up", "-d", "echo"]).ok();
    let rc = with_input(
        s.rc_command(&["attach", "echo"]),
        "hello\n",
        "rcompose attach",
    );
    assert_eq!(String::from_utf8_lossy(&rc.stdout), "got hello\n");
    assert_eq!(
        rc.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&rc.stderr)
    );
    // v5, with stdin open a little longer than the line (when its stdin ends at once, the
    // engine ends the attachment before the answer comes: v5 then prints nothing, rcompose
    // keeps the container's stdin open and prints the answer, as above).
    let slow = |program: &str| {
        let mut c = std::process::Command::new("sh");
        c.current_dir(s.dir.path()).arg("-c").arg(format!(
            "(echo hello; sleep 2) | '{program}' -p {} -f '{}' attach echo",
            s.project,
            s.file().display()
        ));
        output_within(c, "attach with a slow stdin")
    };
    s.rc(&["up", "-d", "--force-recreate", "echo"]).ok();
    let v5 = slow(&v5_bin().display().to_string());
    s.rc(&["up", "-d", "--force-recreate", "echo"]).ok();
    let rc = slow(BIN);
    assert_eq!(String::from_utf8_lossy(&rc.stdout), "got hello\n");
    assert_eq!(v5.stdout, rc.stdout);
    assert_eq!(v5.status.code(), rc.status.code());

    // --no-stdin: output and errors on their own streams, then the exit code.
    s.rc(&["up", "-d", "talker"]).ok();
    let r = s.rc(&["attach", "--no-stdin", "talker"]).code_is(5);
    assert_eq!(r.stdout(), "out\n");
    assert!(r.stderr().contains("err"), "{}", r.stderr());
    // Nothing running: exit 1, as v5.
    s.rc(&["attach", "talker"]).code_is(1);
    s.v5(&["attach", "talker"]).code_is(1);
}

/// The frames of streaming `stats` output (docker redraws each from the cursor home).
fn frames(out: &str) -> Vec<String> {
    out.split("\x1b[H")
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn stats_streams_frames_like_v5_until_ctrl_c() {
    let s = Stack::new(
        "v5statslive",
        r#"
services:
  a:
    image: busybox:latest
    command: ["sleep", "86400"]
    stop_grace_period: 1s
"#,
    );
    s.rc(&["up", "-d"]).ok();
    let run = |program: &str| {
        let mut c = std::process::Command::new("sh");
        // Ctrl-C once two frames are out (or after 30 s), whatever the machine's load.
        c.current_dir(s.dir.path()).arg("-c").arg(format!(
            "'{program}' -p {} -f '{}' stats > out & p=$!; i=0; \
             while [ \"$(grep -c '\\[J' out)\" -lt 2 ] && [ $i -lt 150 ]; do sleep 0.2; i=$((i+1)); done; \
             kill -INT $p; wait $p; code=$?; cat out; rm -f out; exit $code",
            s.project,
            s.file().display()
        ));
        output_within(c, "stats, then Ctrl-C")
    };
    let rc = run(BIN);
    let v5 = run(&v5_bin().display().to_string());
    assert_eq!(rc.status.code(), Some(130));
    assert_eq!(rc.status.code(), v5.status.code());
    let (rc_out, v5_out) = (
        String::from_utf8_lossy(&rc.stdout).into_owned(),
        String::from_utf8_lossy(&v5.stdout).into_owned(),
    );
    let (rc_frames, v5_frames) = (frames(&rc_out), frames(&v5_out));
    assert!(rc_frames.len() >= 2, "{rc_out:?}");
    assert!(!v5_frames.is_empty(), "{v5_out:?}");
    // Each frame: the table's lines erased to their end, then the rest of the screen cleared.
    let shape = |f: &str| {
        let lines: Vec<&str> = f.split('\n').collect();
        let header = lines
            .first()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "));
        (
            header,
            lines.len(),
            f.ends_with("\x1b[K\n\x1b[J") || f.ends_with("\x1b[K\n"),
        )
    };
    assert_eq!(shape(&rc_frames[0]), shape(&v5_frames[0]));
    assert!(
        rc_frames[0].ends_with("\x1b[K\n\x1b[K\n\x1b[J"),
        "{:?}",
        rc_frames[0]
    );
}

const FLAGS_YAML: &str = r#"
services:
  up:
    image: busybox:latest
    init: true
    command: ["sleep", "86400"]
  done:
    image: busybox:latest
    command: ["true"]
  built:
    build:
      context: .
      dockerfile_inline: |
        FROM busybox:latest
        RUN echo building-step-output
    command: ["sleep", "86400"]
    init: true
"#;

/// The rows (first column) of a `ps` table, header left out.
fn ps_names(table: &str) -> Vec<String> {
    table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn ps_and_ls_filters_select_as_docker_compose_v5_does() {
    let s = Stack::new("v5filters", FLAGS_YAML);
    s.rc(&["up", "-d", "up", "done"]).ok();
    // `done` exits at once: wait for it so that both tools see the same states.
    assert!(
        eventually(command_deadline(), || s
            .rc(&["ps", "-a", "--status", "exited", "-q"])
            .stdout()
            .lines()
            .count()
            == 1),
        "service done never exited"
    );
    for args in [
        &["ps", "--filter", "status=running"][..],
        &["ps", "-a", "--filter", "status=exited"],
        &["ps", "--filter", "status=nonsense"],
    ] {
        let rc = s.rc(args).ok().stdout();
        let v5 = s.v5(args).ok().stdout();
        assert_eq!(
            ps_names(&rc),
            ps_names(&v5),
            "{args:?}\nrc:\n{rc}\nv5:\n{v5}"
        );
    }
    assert_eq!(
        ps_names(&s.rc(&["ps", "-a", "--filter", "status=exited"]).stdout()),
        vec![format!("{}-done-1", s.project)]
    );
    for bad in [
        &["ps", "--filter", "status"][..],
        &["ps", "--filter", "name=x"],
    ] {
        s.v5(bad).code_is(1);
        let err = s.rc(bad).code_is(1).stderr();
        assert!(
            err.contains("--filter") || err.contains("filter"),
            "{bad:?}: {err}"
        );
    }

    // ls: a regular expression on the project name.
    let project = s.project.clone();
    let tail = &project[project.len() - 6..];
    for (filter, listed) in [
        (format!("name=^{project}$"), true),
        (format!("name={tail}"), true),
        ("name=^no-such-project-anywhere$".to_string(), false),
    ] {
        for out in [
            s.rc(&["ls", "-q", "--filter", &filter]).ok().stdout(),
            s.v5(&["ls", "-q", "--filter", &filter]).ok().stdout(),
        ] {
            assert_eq!(out.lines().any(|l| l == project), listed, "{filter}: {out}");
        }
    }
    s.v5(&["ls", "--filter", "label=x"]).code_is(1);
    let err = s.rc(&["ls", "--filter", "label=x"]).code_is(1).stderr();
    assert!(err.contains("invalid filter 'label'"), "{err}");
}

#[test]
fn events_since_replays_and_until_ends_the_stream() {
    let s = Stack::new("v5events", FLAGS_YAML);
    let t0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    s.rc(&["up", "-d", "up"]).ok();
    // From before the stack started until a second from now: the engine replays the events
    // in between and ends the stream at `--until`, so the command returns on its own.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let since = (t0 - 1).to_string();
    let until = (now + 1).to_string();
    let out = s
        .rc(&["events", "--json", "--since", &since, "--until", &until])
        .ok()
        .stdout();
    let actions: Vec<String> = out
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            v["action"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert!(
        actions.iter().any(|a| a == "create") && actions.iter().any(|a| a == "start"),
        "replayed events: {actions:?}"
    );
    let err = s
        .rc(&["events", "--since", "yesterday-ish"])
        .code_is(1)
        .stderr();
    assert!(err.contains("--since"), "{err}");
}

#[test]
fn quiet_build_hides_the_build_output_and_run_quiet_hides_the_progress() {
    let s = Stack::new("v5quiet", FLAGS_YAML);
    let image = format!("{}-built", s.project);
    let loud = s
        .rc(&["--progress", "plain", "up", "-d", "built"])
        .ok()
        .stderr();
    assert!(loud.contains("building-step-output"), "{loud}");
    docker_try(&["rmi", "-f", &image]);
    s.rc(&["down"]).ok();
    let quiet = s
        .rc(&["--progress", "plain", "up", "-d", "--quiet-build", "built"])
        .ok()
        .stderr();
    assert!(!quiet.contains("building-step-output"), "{quiet}");
    assert!(
        quiet.contains("Built") || quiet.contains("built"),
        "{quiet}"
    );

    // run -q: the dependencies start without a word; the container's own output stays.
    s.write(&format!(
        "{FLAGS_YAML}  runner:\n    image: busybox:latest\n    depends_on: [up]\n"
    ));
    s.rc(&["down"]).ok();
    let run = s
        .rc(&[
            "--progress",
            "plain",
            "run",
            "--rm",
            "-q",
            "-T",
            "runner",
            "echo",
            "hello",
        ])
        .ok();
    assert_eq!(run.stdout().trim(), "hello");
    assert!(
        !run.stderr().contains("Started"),
        "run -q printed progress: {}",
        run.stderr()
    );
    let loud = s
        .rc(&[
            "--progress",
            "plain",
            "run",
            "--rm",
            "-T",
            "runner",
            "echo",
            "hello",
        ])
        .ok();
    assert_eq!(loud.stdout().trim(), "hello");
}

#[test]
fn config_models_lists_the_models_services_use_as_v5_does() {
    let yaml = "services:\n  a:\n    image: busybox:latest\n    models: [m1]\n  b:\n    image: busybox:latest\n    models:\n      m2: {endpoint_var: URL}\nmodels:\n  m1:\n    model: ai/smollm2\n  m2:\n    model: ai/gemma3\n  unused:\n    model: ai/unused\n";
    let s = Stack::new("v5models", yaml);
    let rc = s.rc(&["config", "--models"]).ok().stdout();
    let v5 = s.v5(&["config", "--models"]).ok().stdout();
    assert_eq!(sorted_lines(&rc), sorted_lines(&v5), "rc:\n{rc}\nv5:\n{v5}");
    assert_eq!(sorted_lines(&rc), ["ai/gemma3", "ai/smollm2"]);
}
