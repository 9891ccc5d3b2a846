//! The per-project lock: one mutating command (`up`, `down`, `stop`...) at a time for a project on
//! an engine, across processes. An advisory `flock` on
//! `$XDG_RUNTIME_DIR/rcompose/<project>-<engine hash>.lock` (else under the temp directory), held
//! until the returned guard is dropped. A second command waits for it, saying who holds it, and
//! gives up when the user cancels (Ctrl-C) or after the deadline, naming the holder.
//!
//! The lock is released by the kernel when the holder exits, however it exits, so a crash never
//! leaves a stale lock behind. Must not import `loader` or `cli`.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::cancel::{Cancel, CancelLevel};

/// How often a waiting command retries the lock.
const RETRY: Duration = Duration::from_millis(100);

/// Why the lock was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockError {
    #[error("cannot create the lock file {path}: {message}")]
    Io { path: String, message: String },
    #[error("another rcompose command ({holder}) is changing project {project} on this engine; gave up after {}s (lock file {path})", .waited.as_secs())]
    Busy {
        project: String,
        holder: String,
        path: String,
        waited: Duration,
    },
    #[error("cancelled while waiting for another rcompose command ({holder}) to finish with project {project}")]
    Cancelled { project: String, holder: String },
}

/// Held while a command changes a project. Dropping it releases the lock.
#[derive(Debug)]
pub struct ProjectLock {
    file: File,
    path: PathBuf,
}

impl ProjectLock {
    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ProjectLock {
    fn drop(&mut self) {
        // Leave the file (removing it would race with a waiter that has it open); forget the
        // holder's description so a stale one is never shown.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}

/// Where the lock files live and how long a command waits for another's lock. Read once from the
/// environment by the front doors (the CLI, [`crate::app::stack::Stack`]) and set with
/// [`configure`]; below them nothing reads the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockSettings {
    /// The directory holding the lock files.
    pub dir: PathBuf,
    /// How long to wait for another command's lock (`None`: until it is released or cancelled).
    pub deadline: Option<Duration>,
}

impl Default for LockSettings {
    fn default() -> Self {
        LockSettings {
            dir: std::env::temp_dir().join("rcompose-locks"),
            deadline: None,
        }
    }
}

impl LockSettings {
    /// The settings from environment variables read through `get`: the directory is
    /// `$XDG_RUNTIME_DIR/rcompose` (else `<temp dir>/rcompose-locks`), the deadline
    /// `$RCOMPOSE_LOCK_TIMEOUT` seconds (else none; a value that is not a whole number is ignored).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Self {
        let mut s = LockSettings::default();
        if let Some(dir) = get("XDG_RUNTIME_DIR").filter(|v| !v.is_empty()) {
            s.dir = PathBuf::from(dir).join("rcompose");
        }
        s.deadline = get("RCOMPOSE_LOCK_TIMEOUT")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        s
    }
}

static SETTINGS: OnceLock<LockSettings> = OnceLock::new();

/// Sets the process's lock settings; the first call wins (a front door calls it once, before
/// any command runs). Without a call the [`LockSettings::default`] apply.
pub fn configure(settings: LockSettings) {
    let _ = SETTINGS.set(settings);
}

/// The process's lock settings.
pub fn settings() -> &'static LockSettings {
    SETTINGS.get_or_init(LockSettings::default)
}

/// The lock file of `project` on the engine at `engine_address`.
pub fn lock_path(dir: &Path, project: &str, engine_address: &str) -> PathBuf {
    let hash = hex::encode(Sha256::digest(engine_address.as_bytes()));
    let short = hash.get(..16).unwrap_or(&hash);
    // Project names are [a-z0-9_-]; anything else is replaced so the name stays one path segment.
    let safe: String = project
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!("{safe}-{short}.lock"))
}

fn open(path: &Path) -> Result<File, LockError> {
    let io = |e: std::io::Error| LockError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    match OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
    {
        Ok(f) => Ok(f),
        // Created by another user: a read-only descriptor can still hold a flock.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => File::open(path).map_err(io),
        Err(e) => Err(io(e)),
    }
}

fn holder_of(path: &Path) -> String {
    let mut s = String::new();
    let _ = File::open(path).and_then(|mut f| f.read_to_string(&mut s));
    let s = s.trim();
    if s.is_empty() {
        "another process".to_string()
    } else {
        s.to_string()
    }
}

/// Takes the lock of `project` on `engine_address` for `command` in the configured directory,
/// waiting while another process holds it (calling `on_wait` once with a message naming the
/// holder), until `cancel` or the configured deadline.
pub async fn acquire(
    project: &str,
    engine_address: &str,
    command: &str,
    cancel: &Cancel,
    on_wait: &mut (dyn FnMut(String) + Send),
) -> Result<ProjectLock, LockError> {
    let settings = settings();
    acquire_in(
        &settings.dir,
        project,
        engine_address,
        command,
        settings.deadline,
        cancel,
        on_wait,
    )
    .await
}

/// [`acquire`] with the lock directory given (tests).
pub async fn acquire_in(
    dir: &Path,
    project: &str,
    engine_address: &str,
    command: &str,
    deadline: Option<Duration>,
    cancel: &Cancel,
    on_wait: &mut (dyn FnMut(String) + Send),
) -> Result<ProjectLock, LockError> {
    let path = lock_path(dir, project, engine_address);
    let mut file = open(&path)?;
    let started = Instant::now();
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => {
                return Err(LockError::Io {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })
            }
        }
        let holder = holder_of(&path);
        if !told {
            told = true;
            on_wait(format!(
                "waiting for another rcompose command ({holder}) to finish with project {project}"
            ));
        }
        if deadline.is_some_and(|d| started.elapsed() >= d) {
            return Err(LockError::Busy {
                project: project.to_string(),
                holder,
                path: path.display().to_string(),
                waited: started.elapsed(),
            });
        }
        tokio::select! {
            _ = cancel.reached(CancelLevel::Graceful) => {
                return Err(LockError::Cancelled { project: project.to_string(), holder });
            }
            _ = tokio::time::sleep(RETRY) => {}
        }
    }
    // Say who holds it, for the messages of those who wait (best effort: a read-only descriptor
    // cannot write).
    let _ = file.set_len(0).and_then(|_| {
        file.seek(SeekFrom::Start(0))?;
        write!(file, "pid {} running `{command}`", std::process::id())?;
        file.flush()
    });
    Ok(ProjectLock { file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn second_holder_waits_names_the_first_and_gets_it_after_release() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cancel = Cancel::new();
        let first = acquire_in(
            dir.path(),
            "p",
            "unix:///x",
            "up",
            None,
            &cancel,
            &mut |_| {},
        )
        .await
        .expect("first lock");
        let mut msgs = Vec::new();
        let busy = acquire_in(
            dir.path(),
            "p",
            "unix:///x",
            "down",
            Some(Duration::from_millis(250)),
            &cancel,
            &mut |m| msgs.push(m),
        )
        .await;
        match busy {
            Err(LockError::Busy { holder, .. }) => {
                assert!(holder.contains("running `up`"), "{holder}");
            }
            other => panic!("expected Busy, got {other:?}"),
        }
        assert_eq!(msgs.len(), 1, "{msgs:?}");
        assert!(msgs[0].contains("project p"), "{msgs:?}");
        // Another project, or the same project on another engine, is not blocked.
        let other = acquire_in(
            dir.path(),
            "q",
            "unix:///x",
            "up",
            Some(Duration::ZERO),
            &cancel,
            &mut |_| {},
        )
        .await;
        assert!(other.is_ok());
        let other_engine = acquire_in(
            dir.path(),
            "p",
            "tcp://h:2375",
            "up",
            Some(Duration::ZERO),
            &cancel,
            &mut |_| {},
        )
        .await;
        assert!(other_engine.is_ok());
        drop(first);
        let again = acquire_in(
            dir.path(),
            "p",
            "unix:///x",
            "down",
            Some(Duration::ZERO),
            &cancel,
            &mut |_| {},
        )
        .await;
        assert!(again.is_ok());
    }

    #[tokio::test]
    async fn cancel_stops_the_wait() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cancel = Cancel::new();
        let _first = acquire_in(dir.path(), "p", "e", "up", None, &cancel, &mut |_| {})
            .await
            .expect("first lock");
        let c2 = Cancel::new();
        c2.request();
        let r = acquire_in(dir.path(), "p", "e", "up", None, &c2, &mut |_| {}).await;
        assert!(matches!(r, Err(LockError::Cancelled { .. })), "{r:?}");
    }

    #[test]
    fn settings_come_from_the_given_environment() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let s = LockSettings::from_env(env(&[
            ("XDG_RUNTIME_DIR", "/run/user/7"),
            ("RCOMPOSE_LOCK_TIMEOUT", " 30 "),
        ]));
        assert_eq!(s.dir, Path::new("/run/user/7/rcompose"));
        assert_eq!(s.deadline, Some(Duration::from_secs(30)));
        let s = LockSettings::from_env(env(&[
            ("XDG_RUNTIME_DIR", ""),
            ("RCOMPOSE_LOCK_TIMEOUT", "soon"),
        ]));
        assert_eq!(s, LockSettings::default());
    }

    #[test]
    fn lock_paths_are_one_segment() {
        let p = lock_path(Path::new("/d"), "../evil/x", "e");
        assert_eq!(p.parent(), Some(Path::new("/d")));
    }
}
