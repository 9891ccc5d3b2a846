//! The container lifecycle: list, inspect, create, start, stop, kill, remove, rename, pause,
//! restart, wait, logs and `top`.
//! One area of the [`Engine`](super::Engine) trait. Must not import `model`, `loader`, `plan`,
//! `app` or `cli`.

use async_trait::async_trait;
use futures::stream::BoxStream;

use super::types::*;
use super::EngineResult;

/// The container lifecycle: one area of the engine.
#[async_trait]
pub trait Containers: Send + Sync {
    /// All containers (running or not) whose labels match, in ONE list call.
    async fn list_containers(&self, filter: &LabelFilter) -> EngineResult<Vec<ContainerSummary>>;

    async fn inspect_container(&self, id: &str) -> EngineResult<ContainerDetails>;

    /// Creates a container and connects it to all `spec.networks` (still stopped). Returns its id.
    async fn create_container(&self, spec: &ContainerSpec) -> EngineResult<String>;

    /// Starting a running container is not an error.
    async fn start_container(&self, id: &str) -> EngineResult<()>;

    /// Stopping a stopped container is not an error.
    async fn stop_container(&self, id: &str, options: &StopOptions) -> EngineResult<()>;

    /// `signal` `None` = SIGKILL.
    async fn kill_container(&self, id: &str, signal: Option<&str>) -> EngineResult<()>;

    async fn remove_container(&self, id: &str, options: RemoveOptions) -> EngineResult<()>;

    async fn rename_container(&self, id: &str, new_name: &str) -> EngineResult<()>;

    async fn pause_container(&self, id: &str) -> EngineResult<()>;

    async fn unpause_container(&self, id: &str) -> EngineResult<()>;

    /// `timeout` in seconds before SIGKILL.
    async fn restart_container(&self, id: &str, timeout: Option<i64>) -> EngineResult<()>;

    /// Waits and returns the exit code.
    async fn wait_container(&self, id: &str, condition: WaitCondition) -> EngineResult<i64>;

    /// Container output. Without `follow` the stream ends after the current output.
    fn logs(&self, id: &str, options: &LogOptions) -> BoxStream<'static, EngineResult<LogChunk>>;

    /// The processes of a running container (`ps -ef` columns). A stopped container is a
    /// [`EngineError::Conflict`].
    async fn top_processes(&self, id: &str) -> EngineResult<ProcessList>;

    /// One sample of the container's resource usage (with the previous CPU reading).
    async fn stats(&self, id: &str) -> EngineResult<ContainerStats>;
}
