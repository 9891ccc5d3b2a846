//! End-to-end harness shared by `tests/e2e_*.rs` (included with `#[path]`): a `Stack` is one
//! compose project with a unique name in its own temporary directory; it runs the real rcompose
//! binary against the real engine and inspects the result with the docker CLI (independent of
//! our engine code). Dropping it removes every container, network and volume carrying its project
//! label, even when the test failed. A missing engine is a failure, never a skip.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_rcompose");

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

static IMAGES: Once = Once::new();
static V5: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The yardstick, docker compose v5.6.1: `$RCOMPOSE_COMPOSE_V5`, else installed (pinned, cached)
/// by `scripts/install-compose-v5.sh`. A test that compares with it fails when it cannot be had.
pub fn v5_bin() -> PathBuf {
    V5.get_or_init(|| {
        if let Some(p) = std::env::var_os("RCOMPOSE_COMPOSE_V5").filter(|p| !p.is_empty()) {
            let p = PathBuf::from(p);
            assert!(
                p.is_file(),
                "RCOMPOSE_COMPOSE_V5={} is not a file",
                p.display()
            );
            return p;
        }
        let mut c = Command::new("bash");
        c.arg(repo().join("scripts/install-compose-v5.sh"));
        let out = output_within(c, "scripts/install-compose-v5.sh");
        assert!(
            out.status.success(),
            "docker compose v5 is required to compare with and could not be installed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
    .clone()
}
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Fails the test unless the engine answers; builds the local test images once.
pub fn require_engine() {
    let out = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output();
    match out {
        Ok(o) if o.status.success() => {}
        Ok(o) => panic!(
            "the Docker engine is required for end-to-end tests and did not answer: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("the docker CLI is required for end-to-end tests: {e}"),
    }
    IMAGES.call_once(|| {
        let st = Command::new("bash")
            .arg(repo().join("scripts/build-test-images.sh"))
            .status()
            .expect("run scripts/build-test-images.sh");
        assert!(st.success(), "scripts/build-test-images.sh failed");
    });
}

/// A unique, valid project name: `e2e-<tag>-<pid>-<n>`.
pub fn unique_name(tag: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    format!("e2e-{tag}-{}-{n}", std::process::id())
}

/// How long one command of a test may take before the test fails naming it (a hang must cost
/// one failed test, never the whole run). `RCOMPOSE_E2E_COMMAND_DEADLINE` (seconds) overrides.
pub fn command_deadline() -> Duration {
    std::env::var("RCOMPOSE_E2E_COMMAND_DEADLINE")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(300))
}

/// Runs `c` to completion with its output captured, failing the test (after killing it) when it
/// is still running at [`command_deadline`]: the message names `what` and shows its output so
/// far.
#[track_caller]
pub fn output_within(mut c: Command, what: &str) -> Output {
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    finish_within(child, what)
}

/// Waits for a started `child` (its piped output read meanwhile), failing the test as
/// [`output_within`] does when it outlives [`command_deadline`].
#[track_caller]
pub fn finish_within(mut child: std::process::Child, what: &str) -> Output {
    use std::io::Read;
    fn drain(r: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    }
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let deadline = Instant::now() + command_deadline();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                let stdout = out.join().unwrap_or_default();
                let stderr = err.join().unwrap_or_default();
                panic!(
                    "{what} was still running after {}s; killed.\n--- stdout\n{}\n--- stderr\n{}",
                    command_deadline().as_secs(),
                    String::from_utf8_lossy(&stdout),
                    String::from_utf8_lossy(&stderr)
                );
            }
            Err(e) => panic!("cannot wait for {what}: {e}"),
        }
    };
    Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    }
}

/// Waits for `child` (whose output the caller reads), failing the test after killing it when it
/// outlives [`command_deadline`].
#[track_caller]
pub fn wait_within(child: &mut std::process::Child, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + command_deadline();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{what} was still running after {}s; killed",
                    command_deadline().as_secs()
                );
            }
            Err(e) => panic!("cannot wait for {what}: {e}"),
        }
    }
}

/// The docker CLI's stdout, trimmed; panics with its stderr on failure.
#[track_caller]
pub fn docker(args: &[&str]) -> String {
    let mut c = Command::new("docker");
    c.args(args);
    let o = output_within(c, &format!("docker {}", args.join(" ")));
    assert!(
        o.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Like `docker` but returns `None` on failure.
#[track_caller]
pub fn docker_try(args: &[&str]) -> Option<String> {
    let mut c = Command::new("docker");
    c.args(args);
    let o = output_within(c, &format!("docker {}", args.join(" ")));
    o.status
        .success()
        .then(|| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// Removes everything labelled with `project` (containers, then networks and volumes).
pub fn purge(project: &str) {
    let label = format!("label=com.docker.compose.project={project}");
    let ids = docker_try(&["ps", "-aq", "--filter", &label]).unwrap_or_default();
    let ids: Vec<&str> = ids.split_whitespace().collect();
    if !ids.is_empty() {
        let mut args = vec!["rm", "-f", "-v"];
        args.extend(ids);
        let _ = docker_try(&args);
    }
    // Images the project built carry its label too (`{project}-{service}` and the like).
    let images = docker_try(&["images", "-q", "--filter", &label]).unwrap_or_default();
    let mut images: Vec<&str> = images.split_whitespace().collect();
    images.dedup();
    if !images.is_empty() {
        let mut args = vec!["rmi", "-f"];
        args.extend(images);
        let _ = docker_try(&args);
    }
    for kind in ["network", "volume"] {
        let names = docker_try(&[kind, "ls", "-q", "--filter", &label]).unwrap_or_default();
        for n in names.split_whitespace() {
            let _ = docker_try(&[kind, "rm", "-f", n]);
        }
        if kind == "network" {
            // Networks made by a compose without labels are still named `<project>_...`.
            let names = docker_try(&[
                "network",
                "ls",
                "--format",
                "{{.Name}}",
                "--filter",
                &format!("name={project}_"),
            ])
            .unwrap_or_default();
            for n in names.split_whitespace() {
                if n.starts_with(&format!("{project}_")) {
                    let _ = docker_try(&["network", "rm", n]);
                }
            }
        }
    }
}

/// A command's result, with helpers for assertions.
pub struct Run {
    pub out: Output,
    pub what: String,
}

impl Run {
    pub fn code(&self) -> i32 {
        self.out.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
    /// Asserts exit code 0 and returns self.
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code(),
            0,
            "{} failed\n--- stdout\n{}\n--- stderr\n{}",
            self.what,
            self.stdout(),
            self.stderr()
        );
        self
    }
    #[track_caller]
    pub fn code_is(self, want: i32) -> Run {
        assert_eq!(
            self.code(),
            want,
            "{}: unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.what,
            self.stdout(),
            self.stderr()
        );
        self
    }
}

/// One compose project under test.
pub struct Stack {
    pub project: String,
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Stack {
    /// A project named `e2e-<tag>-...` with `compose.yaml` = `yaml`.
    pub fn new(tag: &str, yaml: &str) -> Stack {
        require_engine();
        let project = unique_name(tag);
        let dir = tempfile::Builder::new()
            .prefix("rcompose-e2e-")
            .tempdir()
            .expect("temp dir");
        let s = Stack {
            project,
            dir,
            env: Vec::new(),
        };
        s.write(yaml);
        s
    }

    pub fn file(&self) -> PathBuf {
        self.dir.path().join("compose.yaml")
    }

    pub fn write(&self, yaml: &str) {
        std::fs::write(self.file(), yaml).expect("write compose.yaml");
    }

    pub fn env(mut self, k: &str, v: &str) -> Stack {
        self.env.push((k.to_string(), v.to_string()));
        self
    }

    fn command(&self, program: &str, global: &[String], args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.current_dir(self.dir.path())
            .args(global)
            .args(args)
            .env_remove("COMPOSE_PROJECT_NAME")
            .env_remove("COMPOSE_FILE")
            .env("COMPOSE_PROGRESS", "plain")
            .stdin(Stdio::null());
        for (k, v) in &self.env {
            c.env(k, v);
        }
        c
    }

    fn globals(&self) -> Vec<String> {
        vec![
            "-p".into(),
            self.project.clone(),
            "-f".into(),
            self.file().display().to_string(),
        ]
    }

    /// `rcompose -p <project> -f <file> ARGS`.
    #[track_caller]
    pub fn rc(&self, args: &[&str]) -> Run {
        let what = format!("rcompose {}", args.join(" "));
        let out = output_within(self.command(BIN, &self.globals(), args), &what);
        Run { out, what }
    }

    /// `rcompose -p <project> ARGS` run in an empty directory (no compose file anywhere).
    pub fn rc_without_file(&self, args: &[&str]) -> Run {
        let empty = tempfile::tempdir().expect("temp dir");
        let mut c = self.command(BIN, &["-p".into(), self.project.clone()], args);
        c.current_dir(empty.path());
        let what = format!("rcompose -p {} {}", self.project, args.join(" "));
        Run {
            out: output_within(c, &what),
            what,
        }
    }

    /// A running `rcompose` child (for attached `up`).
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        self.command(BIN, &self.globals(), args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rcompose")
    }

    /// `docker-compose` (v1) `-p <project> -f <file> ARGS`.
    #[track_caller]
    pub fn v1(&self, args: &[&str]) -> Run {
        let mut c = self.command("docker-compose", &self.globals(), args);
        c.env("COMPOSE_INTERACTIVE_NO_CLI", "1");
        let what = format!("docker-compose {}", args.join(" "));
        Run {
            out: output_within(c, &what),
            what,
        }
    }

    /// docker compose v5 (`v5_bin`) `-p <project> -f <file> ARGS`.
    #[track_caller]
    pub fn v5(&self, args: &[&str]) -> Run {
        let bin = v5_bin();
        let c = self.command(&bin.display().to_string(), &self.globals(), args);
        let what = format!("docker compose v5 {}", args.join(" "));
        Run {
            out: output_within(c, &what),
            what,
        }
    }

    /// Container name -> id, for every container of the project (running or not).
    pub fn containers(&self) -> BTreeMap<String, String> {
        let label = format!("label=com.docker.compose.project={}", self.project);
        let out = docker(&[
            "ps",
            "-a",
            "--no-trunc",
            "--filter",
            &label,
            "--format",
            "{{.Names}} {{.ID}}",
        ]);
        out.lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, i)| (n.to_string(), i.to_string()))
            .collect()
    }

    /// Containers of one service: name -> id.
    pub fn service(&self, service: &str) -> BTreeMap<String, String> {
        let filters = [
            format!("label=com.docker.compose.project={}", self.project),
            format!("label=com.docker.compose.service={service}"),
        ];
        let out = docker(&[
            "ps",
            "-a",
            "--no-trunc",
            "--filter",
            &filters[0],
            "--filter",
            &filters[1],
            "--format",
            "{{.Names}} {{.ID}}",
        ]);
        out.lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(n, i)| (n.to_string(), i.to_string()))
            .collect()
    }

    /// `docker inspect -f FORMAT NAME`.
    pub fn inspect(&self, name: &str, format: &str) -> String {
        docker(&["inspect", "-f", format, name])
    }

    /// Names of the project's volumes.
    pub fn volumes(&self) -> Vec<String> {
        let label = format!("label=com.docker.compose.project={}", self.project);
        docker(&["volume", "ls", "-q", "--filter", &label])
            .split_whitespace()
            .map(String::from)
            .collect()
    }

    /// Names of the project's networks (by name prefix, whoever made them).
    pub fn networks(&self) -> Vec<String> {
        let prefix = format!("{}_", self.project);
        docker(&["network", "ls", "--format", "{{.Name}}"])
            .split_whitespace()
            .filter(|n| n.starts_with(&prefix))
            .map(String::from)
            .collect()
    }

    /// A configured `rcompose -p <project> -f <file> ARGS` command, for tests that wire its
    /// standard streams themselves (a file to read while it runs, bytes on standard input).
    pub fn rc_command(&self, args: &[&str]) -> Command {
        self.command(BIN, &self.globals(), args)
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        purge(&self.project);
    }
}

/// Polls `cond` every 100 ms until it holds or `timeout` passes.
pub fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    cond()
}

/// Parses docker's RFC 3339 time (`2026-11-23T10:00:01.123456789Z`) into seconds since a fixed
/// epoch (good for comparing times on one machine).
pub fn time_secs(t: &str) -> f64 {
    let t = t.trim().trim_end_matches('Z');
    let (date, time) = t.split_once('T').unwrap_or((t, "0:0:0"));
    let d: Vec<f64> = date.split('-').filter_map(|x| x.parse().ok()).collect();
    let tm: Vec<f64> = time.split(':').filter_map(|x| x.parse().ok()).collect();
    let get = |v: &Vec<f64>, i: usize| v.get(i).copied().unwrap_or(0.0);
    ((get(&d, 0) * 372.0 + get(&d, 1) * 31.0 + get(&d, 2)) * 86400.0)
        + get(&tm, 0) * 3600.0
        + get(&tm, 1) * 60.0
        + get(&tm, 2)
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// `GET /` over plain HTTP/1.0; the body.
pub fn http_get(port: u16) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
        .ok()?;
    let mut buf = String::new();
    s.read_to_string(&mut buf).ok()?;
    buf.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

/// The repository root (for `compose-examples/`, `scripts/`).
pub fn repo_path(p: &str) -> PathBuf {
    repo().join(p)
}

/// Whether `path` exists (helper for readability).
pub fn exists(path: &Path) -> bool {
    path.exists()
}
