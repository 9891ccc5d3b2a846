//! A real, throwaway image registry for tests (included with `#[path]`): Debian's
//! `docker-registry` (distribution 2.x) serving plain HTTP on a free loopback port, its storage in
//! a temporary directory. The Docker engine trusts registries on 127.0.0.0/8 over plain HTTP
//! without any configuration, so `docker push 127.0.0.1:<port>/x` just works.
//!
//! Dropping it kills the registry process (by its pid, nothing else) and removes its storage.
//! A missing `docker-registry` binary fails the test with the command that installs it; it never
//! skips. `.ci/run` installs the package.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running registry.
pub struct LocalRegistry {
    child: Child,
    dir: tempfile::TempDir,
    /// `127.0.0.1:<port>`: the registry part of image names.
    pub host: String,
}

/// The registry binary: `RCOMPOSE_REGISTRY_BIN`, else `docker-registry` from Debian's package.
fn binary() -> PathBuf {
    if let Some(p) = std::env::var_os("RCOMPOSE_REGISTRY_BIN") {
        return PathBuf::from(p);
    }
    let usr = PathBuf::from("/usr/bin/docker-registry");
    if usr.is_file() {
        return usr;
    }
    PathBuf::from("docker-registry")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

/// `GET /v2/` answers 200: the registry is up.
fn answers(host: &str) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(
        &host.parse().unwrap_or_else(|e| panic!("{host}: {e}")),
        Duration::from_millis(300),
    ) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET /v2/ HTTP/1.0\r\nHost: {host}\r\n\r\n");
    if s.write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200")
        || String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.0 200")
}

impl LocalRegistry {
    /// Starts a registry on a free loopback port and waits until it answers (a few attempts, in
    /// case another process takes the port first). Panics with the registry's output, or with
    /// how to install it, when it cannot start.
    pub fn start() -> LocalRegistry {
        let bin = binary();
        let mut last = String::new();
        for _ in 0..5 {
            let dir = tempfile::Builder::new()
                .prefix("rcompose-registry-")
                .tempdir()
                .unwrap_or_else(|e| panic!("temp dir: {e}"));
            let host = format!("127.0.0.1:{}", free_port());
            let config = format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n\
                 storage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n\
                 http:\n  addr: {host}\n  secret: rcompose-test\n",
                dir.path().join("data").display()
            );
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config).unwrap_or_else(|e| panic!("write config: {e}"));
            let log_path = dir.path().join("registry.log");
            let log = std::fs::File::create(&log_path).unwrap_or_else(|e| panic!("log: {e}"));
            let err = log.try_clone().unwrap_or_else(|e| panic!("log: {e}"));
            let child = Command::new(&bin)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(Stdio::from(log))
                .stderr(Stdio::from(err))
                .spawn();
            let mut child = match child {
                Ok(c) => c,
                Err(e) => panic!(
                    "cannot run {} ({e}): these tests need a local image registry; install it \
                     with `apt-get install -y docker-registry` (or set RCOMPOSE_REGISTRY_BIN)",
                    bin.display()
                ),
            };
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if answers(&host) {
                    return LocalRegistry { child, dir, host };
                }
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
            last = std::fs::read_to_string(&log_path).unwrap_or_default();
        }
        panic!(
            "the local registry ({}) did not start on a loopback port: {last}",
            bin.display()
        );
    }

    /// `127.0.0.1:<port>/<path>`.
    pub fn image(&self, path: &str) -> String {
        format!("{}/{path}", self.host)
    }

    /// Where the registry keeps its data (removed on drop).
    pub fn storage(&self) -> PathBuf {
        self.dir.path().join("data")
    }
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
