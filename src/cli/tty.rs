//! The local terminal while `exec` and `run` are attached to a process: raw mode (restored when
//! the guard drops, also on an error path), the window size (sent at start and on every
//! SIGWINCH), standard input read on a thread of its own (a read blocked on a quiet terminal must
//! never keep the process from exiting), and the pump between the local streams and the process.
//! Must not import `engine::docker` (the engine is passed in).

use std::io::{IsTerminal, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

use rcompose::app::types::engine::{AttachedIo, Engine, EngineError, LogStream, TtySize};

/// Puts the terminal on standard input in raw mode until dropped (rustix's termios: no unsafe
/// code here).
pub struct RawMode {
    original: rustix::termios::Termios,
}

impl RawMode {
    /// Raw mode on standard input, if it is a terminal (else `None`, nothing changed).
    pub fn enable() -> Option<RawMode> {
        if !std::io::stdin().is_terminal() {
            return None;
        }
        let stdin = std::io::stdin();
        let original = rustix::termios::tcgetattr(&stdin).ok()?;
        let mut raw = original.clone();
        raw.make_raw();
        rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &raw).ok()?;
        Some(RawMode { original })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = rustix::termios::tcsetattr(
            std::io::stdin(),
            rustix::termios::OptionalActions::Now,
            &self.original,
        );
    }
}

/// The size of the terminal on stdout (else stdin, stderr), if there is one.
pub fn window_size() -> Option<TtySize> {
    let sizes = [
        rustix::termios::tcgetwinsize(std::io::stdout()),
        rustix::termios::tcgetwinsize(std::io::stdin()),
        rustix::termios::tcgetwinsize(std::io::stderr()),
    ];
    sizes.into_iter().flatten().find_map(|ws| {
        (ws.ws_row > 0 && ws.ws_col > 0).then_some(TtySize {
            rows: ws.ws_row,
            cols: ws.ws_col,
        })
    })
}

/// Whether `exec`/`run` allocate a TTY: never with `-T`; with `-t`, or by default when both
/// standard input and output are terminals. `-t` on a non-terminal stdin with stdin attached is
/// an error, as in docker.
pub fn want_tty(no_tty: bool, tty: bool, interactive: bool) -> Result<bool, String> {
    if no_tty {
        return Ok(false);
    }
    let stdin = std::io::stdin().is_terminal();
    if tty {
        if interactive && !stdin {
            return Err(
                "the input device is not a TTY; run with -T (--no-TTY) to go without one".into(),
            );
        }
        return Ok(true);
    }
    Ok(stdin && std::io::stdout().is_terminal())
}

/// Standard input in chunks, read on a detached thread; the channel closes at end-of-file.
fn stdin_chunks() -> mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = mpsc::channel(16);
    let spawned = std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let mut stdin = std::io::stdin();
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match stdin.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        if tx.blocking_send(buf[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(_) => return,
                }
            }
        });
    if spawned.is_err() {
        // No thread: behave as an empty stdin.
        let (_tx, rx) = mpsc::channel(1);
        return rx;
    }
    rx
}

/// What to resize when the local window changes.
#[derive(Debug, Clone)]
pub enum ResizeTarget {
    Exec(String),
    Container(String),
}

/// How to pump.
#[derive(Debug, Clone)]
pub struct Pump {
    /// The process has a TTY: its output is one stream and stdin stays open at local EOF.
    pub tty: bool,
    /// Forward local standard input.
    pub stdin: bool,
    /// Leave the process's stdin open at local end-of-file even without a TTY (`attach`: the
    /// engine ends a running container's attachment when its stdin closes, output and all).
    pub keep_stdin_open: bool,
    pub resize: Option<ResizeTarget>,
}

async fn resize(engine: &Arc<dyn Engine>, target: &ResizeTarget, size: TtySize) -> bool {
    match target {
        ResizeTarget::Exec(id) => engine.resize_exec(id, size).await.is_ok(),
        ResizeTarget::Container(id) => engine.resize_container(id, size).await.is_ok(),
    }
}

fn write_out(stream: LogStream, bytes: &[u8]) {
    // A closed pipe (`| head`) is not worth an error.
    if stream == LogStream::Stderr {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(bytes);
        let _ = err.flush();
    } else {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(bytes);
        let _ = out.flush();
    }
}

/// Copies the process's output to stdout/stderr and local stdin to the process until its output
/// ends; keeps its TTY the size of the local window. Local end-of-file closes the process's stdin
/// (without a TTY; with one, docker keeps it open too).
pub async fn pump(engine: Arc<dyn Engine>, io: AttachedIo, how: Pump) -> Result<(), EngineError> {
    let AttachedIo { mut output, input } = io;
    let resize_to = how
        .resize
        .clone()
        .filter(|_| how.tty)
        .and_then(|t| window_size().map(|s| (t, s)));
    if let Some((target, size)) = &resize_to {
        // The process may not have its TTY yet right after start: retry a few times.
        let engine = Arc::clone(&engine);
        let (target, size) = (target.clone(), *size);
        tokio::spawn(async move {
            for attempt in 0..5u64 {
                if resize(&engine, &target, size).await {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20 * (attempt + 1))).await;
            }
        });
    }
    let forward = how.stdin.then(|| {
        let mut rx = stdin_chunks();
        let close_at_eof = !how.tty && !how.keep_stdin_open;
        let mut input = input;
        tokio::spawn(async move {
            while let Some(chunk) = rx.recv().await {
                if input.write_all(&chunk).await.is_err() || input.flush().await.is_err() {
                    return;
                }
            }
            if close_at_eof {
                let _ = input.shutdown().await;
            }
            // Keep the connection's write half open until the output ends.
            std::future::pending::<()>().await;
        })
    });
    let mut winch = if resize_to.is_some() {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::window_change()).ok()
    } else {
        None
    };
    let result = loop {
        tokio::select! {
            item = output.next() => match item {
                Some(Ok(chunk)) => write_out(chunk.stream, &chunk.bytes),
                Some(Err(e)) => break Err(e),
                None => break Ok(()),
            },
            Some(()) = async {
                match winch.as_mut() {
                    Some(w) => w.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                if let (Some((target, _)), Some(size)) = (&resize_to, window_size()) {
                    resize(&engine, target, size).await;
                }
            }
        }
    };
    if let Some(task) = forward {
        task.abort();
    }
    result
}
