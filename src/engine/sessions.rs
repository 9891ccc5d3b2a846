//! Interactive sessions: `exec` (collected or attached), attaching to a container, and TTY
//! resizing.
//! One area of the [`Engine`](super::Engine) trait. Must not import `model`, `loader`, `plan`,
//! `app` or `cli`.

use async_trait::async_trait;

use super::types::*;
use super::EngineResult;

/// Interactive sessions: one area of the engine.
#[async_trait]
pub trait Sessions: Send + Sync {
    /// Runs a command in a running container and collects its output and exit code.
    async fn exec(&self, id: &str, spec: &ExecSpec) -> EngineResult<ExecOutput>;

    /// Creates (does not start) an exec instance in a running container; returns its id.
    /// `attach_stdin`: the process reads what is written to [`AttachedIo::input`].
    async fn create_exec(
        &self,
        id: &str,
        spec: &ExecSpec,
        attach_stdin: bool,
    ) -> EngineResult<String>;

    /// Starts an exec and attaches to its streams (`tty` as it was created with).
    async fn start_exec_attached(&self, exec_id: &str, tty: bool) -> EngineResult<AttachedIo>;

    /// Starts an exec in the background.
    async fn start_exec_detached(&self, exec_id: &str) -> EngineResult<()>;

    /// Whether the exec still runs, and its exit code once it has ended.
    async fn inspect_exec(&self, exec_id: &str) -> EngineResult<ExecStatus>;

    /// Resizes the TTY of a running exec.
    async fn resize_exec(&self, exec_id: &str, size: TtySize) -> EngineResult<()>;

    /// Attaches to a container's output (and its stdin with `stdin`). Attach before starting
    /// it to miss nothing; the output ends when the container stops.
    async fn attach_container(&self, id: &str, stdin: bool) -> EngineResult<AttachedIo>;

    /// [`Sessions::attach_container`] to a running container, with `detach_keys` (docker's
    /// `ctrl-p,ctrl-q` form) that end the attachment when typed on its stdin (engines that
    /// cannot watch for them attach without).
    async fn attach_container_with(
        &self,
        id: &str,
        stdin: bool,
        detach_keys: Option<&str>,
    ) -> EngineResult<AttachedIo> {
        let _ = detach_keys;
        self.attach_container(id, stdin).await
    }

    /// Resizes the TTY of a running container.
    async fn resize_container(&self, id: &str, size: TtySize) -> EngineResult<()>;
}
