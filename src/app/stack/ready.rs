//! Readiness of a stack's services, checked from the host: a TCP accept, an HTTP status, a log
//! line matching a pattern, a command that exits 0 in the container, and (for every service) its
//! state and its compose healthcheck.
//!
//! The healthcheck is run by us (`exec` of its `test`) as well as read from the engine, so a
//! stack is ready as soon as its services answer, not at the engine's next probe (the engine runs
//! the first one only after `interval`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use regex::Regex;

use crate::app::ops::EngineRef;
use crate::engine::{ContainerState, EngineError, ExecSpec, HealthStatus, PortMapping, Protocol};
use crate::model::Service;

/// A readiness check for one service, run from the host until it passes or its deadline ends.
#[derive(Debug, Clone)]
pub enum Ready {
    /// The published container `port` (tcp) accepts a connection that the service keeps open
    /// (a port whose proxy accepts and then drops the connection is not ready).
    Tcp { port: u16 },
    /// `GET path` on the published container `port` answers with `status`.
    Http {
        port: u16,
        path: String,
        status: u16,
    },
    /// The service's log has a line matching `pattern`.
    Log { pattern: Regex },
    /// `argv` run in the service's container exits 0.
    Command { argv: Vec<String> },
}

impl Ready {
    /// The published `port` accepts connections.
    pub fn tcp(port: u16) -> Ready {
        Ready::Tcp { port }
    }
    /// `GET path` on the published `port` answers 200.
    pub fn http(port: u16, path: impl Into<String>) -> Ready {
        Ready::Http {
            port,
            path: path.into(),
            status: 200,
        }
    }
    /// An HTTP check that expects `status` instead of 200.
    pub fn with_status(self, status: u16) -> Ready {
        match self {
            Ready::Http { port, path, .. } => Ready::Http { port, path, status },
            other => other,
        }
    }
    /// A log line matches `pattern` (a regular expression).
    pub fn log(pattern: &str) -> Result<Ready, regex::Error> {
        Ok(Ready::Log {
            pattern: Regex::new(pattern)?,
        })
    }
    /// `argv` exits 0 in the service's container.
    pub fn command<I, S>(argv: I) -> Ready
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Ready::Command {
            argv: argv.into_iter().map(Into::into).collect(),
        }
    }

    /// What the check waits for, for messages.
    pub fn describe(&self) -> String {
        match self {
            Ready::Tcp { port } => format!("port {port} to accept connections"),
            Ready::Http { port, path, status } => {
                format!("GET {path} on port {port} to answer {status}")
            }
            Ready::Log { pattern } => format!("a log line matching /{pattern}/"),
            Ready::Command { argv } => format!("`{}` to exit 0", argv.join(" ")),
        }
    }
}

/// Where one attempt left a check.
#[derive(Debug)]
pub(super) enum Attempt {
    Ready,
    /// Not yet; the text says what was seen.
    NotYet(String),
    /// Will not become ready (the container exited with an error, or is unhealthy).
    Failed(String),
}

/// The state check every service gets: running (healthy where the engine tracks health, its
/// compose healthcheck passing when we run it), or exited 0 (a one-shot).
pub(super) async fn service_state(
    engine: &EngineRef,
    id: &str,
    service: Option<&Service>,
) -> Result<Attempt, EngineError> {
    let d = engine.inspect_container(id).await?;
    match d.state.status {
        ContainerState::Exited | ContainerState::Dead => {
            return Ok(if d.state.exit_code == 0 {
                Attempt::Ready
            } else {
                Attempt::Failed(format!("it exited with code {}", d.state.exit_code))
            });
        }
        ContainerState::Running => {}
        other => return Ok(Attempt::NotYet(format!("it is {}", other.as_str()))),
    }
    match d.state.health.as_ref().map(|h| h.status) {
        None | Some(HealthStatus::Healthy) => return Ok(Attempt::Ready),
        Some(HealthStatus::Unhealthy) => {
            return Ok(Attempt::Failed("its healthcheck reports unhealthy".into()))
        }
        Some(HealthStatus::Starting) => {}
    }
    let Some(argv) = service.and_then(health_argv) else {
        return Ok(Attempt::NotYet("its health is starting".into()));
    };
    if let Some(port) = until_listening(&d.ports, Duration::from_millis(400)).await {
        // Nothing answers on its first published port yet: a healthcheck exec now would only
        // cost the engine (and the service still starting) CPU. The engine's own probe still
        // runs at its interval, so a service that is healthy without that port is seen then.
        return Ok(Attempt::NotYet(format!(
            "nothing listens on its published port {port} yet"
        )));
    }
    let limit = service
        .and_then(|s| s.healthcheck.as_ref())
        .and_then(|h| h.timeout)
        .map(|t| t.0)
        .unwrap_or(Duration::from_secs(30))
        .min(Duration::from_secs(5));
    match tokio::time::timeout(limit, engine.exec(id, &ExecSpec::new(argv))).await {
        Ok(Ok(out)) if out.exit_code == 0 => Ok(Attempt::Ready),
        Ok(Ok(out)) => Ok(Attempt::NotYet(format!(
            "its healthcheck exited {}: {}",
            out.exit_code,
            String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).trim()
        ))),
        Ok(Err(e)) => Ok(Attempt::NotYet(format!(
            "its healthcheck could not run: {e}"
        ))),
        Err(_) => Ok(Attempt::NotYet("its healthcheck timed out".into())),
    }
}

/// The argv of a service's compose healthcheck, if it has one that runs.
fn health_argv(service: &Service) -> Option<Vec<String>> {
    let h = service.healthcheck.as_ref().filter(|h| !h.disable)?;
    let (kind, rest) = h.test.split_first()?;
    match kind.as_str() {
        "CMD" if !rest.is_empty() => Some(rest.to_vec()),
        "CMD-SHELL" => Some(vec!["/bin/sh".into(), "-c".into(), rest.join(" ")]),
        _ => None,
    }
}

/// One attempt of a user's check. `endpoint` resolves a published port.
pub(super) async fn attempt(
    engine: &EngineRef,
    id: &str,
    check: &Ready,
    endpoint: Option<SocketAddr>,
) -> Result<Attempt, EngineError> {
    match check {
        Ready::Tcp { .. } | Ready::Http { .. } => {
            let Some(addr) = endpoint else {
                return Ok(Attempt::NotYet("the port is not published yet".into()));
            };
            let check = check.clone();
            Ok(tokio::task::spawn_blocking(move || probe(addr, &check))
                .await
                .unwrap_or_else(|e| Attempt::NotYet(format!("probe failed: {e}"))))
        }
        Ready::Log { pattern } => {
            let text = crate::app::logs::text(engine.as_ref(), id, None).await?;
            Ok(if text.lines().any(|l| pattern.is_match(l)) {
                Attempt::Ready
            } else {
                Attempt::NotYet("no matching log line yet".into())
            })
        }
        Ready::Command { argv } => {
            let out = engine.exec(id, &ExecSpec::new(argv.clone())).await?;
            Ok(if out.exit_code == 0 {
                Attempt::Ready
            } else {
                Attempt::NotYet(format!(
                    "it exited {}: {}",
                    out.exit_code,
                    String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).trim()
                ))
            })
        }
    }
}

/// A TCP or HTTP probe from the host (blocking, bounded by short timeouts).
fn probe(addr: SocketAddr, check: &Ready) -> Attempt {
    let step = Duration::from_millis(500);
    let mut s = match TcpStream::connect_timeout(&addr, step) {
        Ok(s) => s,
        Err(e) => return Attempt::NotYet(format!("connecting to {addr}: {e}")),
    };
    let _ = s.set_read_timeout(Some(step));
    let _ = s.set_write_timeout(Some(step));
    match check {
        Ready::Http { path, status, .. } => {
            let req = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
            if let Err(e) = s.write_all(req.as_bytes()) {
                return Attempt::NotYet(format!("sending to {addr}: {e}"));
            }
            let mut head = [0u8; 64];
            let n = s.read(&mut head).unwrap_or(0);
            let line = String::from_utf8_lossy(&head[..n]);
            let got = line
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.parse::<u16>().ok());
            match got {
                Some(code) if code == *status => Attempt::Ready,
                Some(code) => Attempt::NotYet(format!("GET {path} answered {code}")),
                None => Attempt::NotYet(format!("GET {path} got no HTTP answer")),
            }
        }
        _ => match listening(&mut s, addr, Duration::from_millis(150)) {
            Ok(()) => Attempt::Ready,
            Err(why) => Attempt::NotYet(why),
        },
    }
}

/// Whether a server is behind a connection to a published port: the engine's port proxy accepts
/// at once and closes when nothing listens behind it, so a connection that stays open for
/// `wait` (or that the server talks on) is a real one.
fn listening(s: &mut TcpStream, addr: SocketAddr, wait: Duration) -> Result<(), String> {
    let _ = s.set_read_timeout(Some(wait));
    let mut b = [0u8; 1];
    match s.read(&mut b) {
        Ok(0) => Err(format!("{addr} closed the connection")),
        Ok(_) => Ok(()),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(format!("{addr}: {e}")),
    }
}

/// Waits (up to `limit`, probing every 20 ms from the host, which costs the engine nothing)
/// until something listens behind the container's first published TCP port. Running a
/// healthcheck in the container before then is wasted work for the engine; running it as soon
/// as the port listens is what makes a stack ready early. Returns the container port when
/// nothing listens by `limit`; `None` when it listens or nothing is published.
async fn until_listening(ports: &[PortMapping], limit: Duration) -> Option<u16> {
    let p = ports
        .iter()
        .find(|p| p.host_port != 0 && p.container.protocol == Protocol::Tcp)?;
    let addr = SocketAddr::new(super::endpoints::host_ip(&p.host_ip), p.host_port);
    let until = Instant::now() + limit;
    loop {
        let up = tokio::task::spawn_blocking(move || {
            let step = Duration::from_millis(100);
            TcpStream::connect_timeout(&addr, step)
                .map_err(|e| e.to_string())
                .and_then(|mut s| listening(&mut s, addr, Duration::from_millis(25)))
                .is_ok()
        })
        .await
        .unwrap_or(true);
        if up {
            return None;
        }
        if Instant::now() >= until {
            return Some(p.container.port);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `step` until it is ready, fails, or `deadline` passes; the error text is what was last
/// seen.
pub(super) async fn poll<F, Fut>(deadline: Instant, mut step: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Attempt, EngineError>>,
{
    let mut last = String::from("no attempt finished");
    // Gentle on the engine: an attempt may exec a healthcheck in the container, which costs the
    // engine far more than an inspect; eight stacks polling at once must not slow each other.
    let mut pause = Duration::from_millis(50);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, step()).await {
            Ok(Ok(Attempt::Ready)) => return Ok(()),
            Ok(Ok(Attempt::Failed(why))) => return Err(why),
            Ok(Ok(Attempt::NotYet(why))) => last = why,
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => return Err(last),
        }
        if Instant::now() + pause >= deadline {
            return Err(last);
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(400));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tcp_probe_tells_a_listener_from_nothing() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        assert!(matches!(probe(addr, &Ready::tcp(1)), Attempt::Ready));
        drop(l);
        assert!(matches!(probe(addr, &Ready::tcp(1)), Attempt::NotYet(_)));
    }

    #[test]
    fn an_http_probe_reads_the_status() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            for _ in 0..2 {
                let (mut s, _) = l.accept().unwrap();
                let mut buf = [0u8; 256];
                let _ = s.read(&mut buf);
                let _ = s.write_all(b"HTTP/1.0 503 Service Unavailable\r\n\r\n");
            }
        });
        assert!(matches!(
            probe(addr, &Ready::http(1, "/health").with_status(503)),
            Attempt::Ready
        ));
        match probe(addr, &Ready::http(1, "/health")) {
            Attempt::NotYet(why) => assert!(why.contains("answered 503"), "{why}"),
            other => panic!("{other:?}"),
        }
        server.join().unwrap();
    }

    #[test]
    fn a_shell_healthcheck_runs_under_sh() {
        let mut s = Service {
            healthcheck: Some(crate::model::Healthcheck {
                test: vec!["CMD-SHELL".into(), "pg_isready -U app".into()],
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            health_argv(&s),
            Some(vec![
                "/bin/sh".into(),
                "-c".into(),
                "pg_isready -U app".into()
            ])
        );
        s.healthcheck.as_mut().unwrap().test = vec!["NONE".into()];
        assert_eq!(health_argv(&s), None);
    }
}
