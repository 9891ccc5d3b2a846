//! The engine layer: the narrow set of container-engine effects the executor needs.
//!
//! Owns [`Engine`] (the trait), its engine-level types ([`types`]), [`EngineError`], the Docker
//! implementation over bollard ([`docker`], the ONLY file in the crate that imports bollard), an
//! in-memory scriptable fake for tests ([`fake`]), test-image helpers ([`testing`]), and registry
//! credentials from the docker config file ([`auth`]).
//! Must not import `model`, `loader`, `plan`, `exec`, `watch` or `cli`: the executor translates the
//! Compose model into these types.
//!
//! The trait is object safe (`#[async_trait]`): the executor holds an `Arc<dyn Engine>`. Every
//! method is cancel-safe in the sense that dropping its future leaves no half-applied local state
//! (the engine itself may of course have done the work already).

pub mod auth;
pub mod docker;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
#[cfg(any(test, feature = "fake"))]
pub mod testing;
pub mod types;

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

pub use docker::ConnectOptions;
pub use types::*;

/// What kind of object an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Container,
    Network,
    Volume,
    Image,
    Exec,
    /// A file or directory inside a container.
    Path,
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ObjectKind::Container => "container",
            ObjectKind::Network => "network",
            ObjectKind::Volume => "volume",
            ObjectKind::Image => "image",
            ObjectKind::Exec => "exec",
            ObjectKind::Path => "path",
        })
    }
}

/// An engine failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The object does not exist (HTTP 404).
    #[error("{kind} {name} not found: {message}")]
    NotFound {
        kind: ObjectKind,
        name: String,
        message: String,
    },
    /// The request conflicts with the current state (HTTP 409): name in use, container running...
    #[error("conflict: {message}")]
    Conflict { message: String },
    /// A host port a container publishes is taken (by another container or process).
    /// `address` is the `ip:port` the engine names, empty when it names none.
    #[error("host port {address} is already in use: {message}")]
    PortInUse { address: String, message: String },
    /// A container (or exec) could not start its command: the binary is not there (docker's
    /// exit code 127), or with `not_executable` it is there but cannot be run (126).
    #[error("{message}")]
    CommandNotFound {
        message: String,
        not_executable: bool,
    },
    /// The container is already being removed (HTTP 409 "removal ... is already in progress").
    #[error("conflict: {message}")]
    RemovalInProgress { message: String },
    /// The engine cannot be reached at all.
    #[error("cannot reach the Docker engine at {address}: {hint}")]
    Unavailable { address: String, hint: String },
    /// An image cannot be pulled (no registry, unknown image, auth...).
    #[error("cannot pull image {image}: {message}; build it locally or check the image name")]
    Pull { image: String, message: String },
    /// A build failed (the builder reported an error).
    #[error("build of {tag} failed: {message}")]
    Build { tag: String, message: String },
    /// Any other engine answer.
    #[error("engine error (HTTP {status}): {message}")]
    Api { status: u16, message: String },
    /// A local failure while talking to the engine (bad TLS files, bad DOCKER_HOST, I/O).
    #[error("{0}")]
    Client(String),
    /// An image cannot be pushed (not present locally, registry unreachable, denied...).
    #[error("cannot push image {image}: {message}; check the image name, that the registry is reachable, and `docker login` for a private one")]
    Push { image: String, message: String },
}

impl EngineError {
    pub fn not_found(kind: ObjectKind, name: &str) -> Self {
        EngineError::NotFound {
            kind,
            name: name.to_string(),
            message: format!("no such {kind}: {name}"),
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, EngineError::NotFound { .. })
    }

    /// A state conflict (HTTP 409), a removal already in progress included.
    pub fn is_conflict(&self) -> bool {
        matches!(
            self,
            EngineError::Conflict { .. } | EngineError::RemovalInProgress { .. }
        )
    }
}

/// Result of engine calls.
pub type EngineResult<T> = Result<T, EngineError>;

/// The container-engine effects rcompose needs. Object arguments (`id`) accept an id or a name.
#[async_trait]
pub trait Engine: Send + Sync {
    // ----- system -----
    /// The address this engine talks to (`unix:///var/run/docker.sock`), identifying the engine
    /// for per-project locks. Two handles on the same engine return the same address.
    fn address(&self) -> String {
        "default".to_string()
    }
    /// Checks that the engine answers.
    async fn ping(&self) -> EngineResult<()>;
    async fn version(&self) -> EngineResult<EngineVersion>;

    // ----- containers -----
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
    /// Events matching `filter` that happen from the moment of this call (even if the stream is
    /// first polled later), until the stream is dropped.
    fn events(&self, filter: &EventFilter) -> BoxStream<'static, EngineResult<EngineEvent>>;
    /// Runs a command in a running container and collects its output and exit code.
    async fn exec(&self, id: &str, spec: &ExecSpec) -> EngineResult<ExecOutput>;
    /// Extracts a tar archive into the container at `path` (a directory that must exist).
    async fn copy_into(&self, id: &str, path: &str, tar: Bytes) -> EngineResult<()>;

    // ----- networks -----
    async fn list_networks(&self, filter: &LabelFilter) -> EngineResult<Vec<NetworkDetails>>;
    async fn inspect_network(&self, name: &str) -> EngineResult<NetworkDetails>;
    /// Returns the network id.
    async fn create_network(&self, spec: &NetworkSpec) -> EngineResult<String>;
    async fn remove_network(&self, name: &str) -> EngineResult<()>;
    async fn connect_network(
        &self,
        container: &str,
        attachment: &NetworkAttachment,
    ) -> EngineResult<()>;
    async fn disconnect_network(
        &self,
        container: &str,
        network: &str,
        force: bool,
    ) -> EngineResult<()>;

    // ----- volumes -----
    async fn list_volumes(&self, filter: &LabelFilter) -> EngineResult<Vec<VolumeDetails>>;
    async fn inspect_volume(&self, name: &str) -> EngineResult<VolumeDetails>;
    async fn create_volume(&self, spec: &VolumeSpec) -> EngineResult<VolumeDetails>;
    async fn remove_volume(&self, name: &str, force: bool) -> EngineResult<()>;

    // ----- images -----
    async fn list_images(&self, filter: &LabelFilter) -> EngineResult<Vec<ImageDetails>>;
    async fn inspect_image(&self, name: &str) -> EngineResult<ImageDetails>;
    /// Whether the image exists locally.
    async fn image_exists(&self, name: &str) -> EngineResult<bool> {
        match self.inspect_image(name).await {
            Ok(_) => Ok(true),
            Err(e) if e.is_not_found() => Ok(false),
            Err(e) => Err(e),
        }
    }
    async fn remove_image(&self, name: &str, force: bool) -> EngineResult<()>;
    /// Tags `source` as `target` (`repo[:tag]`).
    async fn tag_image(&self, source: &str, target: &str) -> EngineResult<()>;
    /// Builds an image; returns the image id. Progress lines go to `progress`.
    async fn build_image(
        &self,
        spec: BuildSpec,
        progress: ProgressSink<'_>,
    ) -> EngineResult<String>;
    /// Pulls an image. Fails with [`EngineError::Pull`] when no registry can serve it.
    async fn pull_image(&self, image: &str, progress: ProgressSink<'_>) -> EngineResult<()>;

    // ----- processes and archives (`top`, `cp`) -----
    /// The processes of a running container (`ps -ef` columns). A stopped container is a
    /// [`EngineError::Conflict`].
    async fn top_processes(&self, id: &str) -> EngineResult<ProcessList>;
    /// What `path` names in the container, without following a final symlink. Nothing there is
    /// [`EngineError::NotFound`] of kind [`ObjectKind::Path`].
    async fn stat_path(&self, id: &str, path: &str) -> EngineResult<PathStat>;
    /// A tar archive of `path` in the container, as `docker cp` reads it: its root entry is named
    /// after the last component of `path` (`.` for `dir/.`, whose entries are the contents).
    /// A missing path is [`EngineError::NotFound`] of kind [`ObjectKind::Path`].
    fn copy_from(&self, id: &str, path: &str) -> BoxStream<'static, EngineResult<Bytes>>;
    /// [`Engine::copy_into`] with `cp`'s options.
    async fn copy_into_with(
        &self,
        id: &str,
        path: &str,
        tar: Bytes,
        options: &CopyIntoOptions,
    ) -> EngineResult<()>;
    // ----- interactive sessions (`exec`, `run`) -----
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
    /// Resizes the TTY of a running container.
    async fn resize_container(&self, id: &str, size: TtySize) -> EngineResult<()>;
    /// Pushes a local image (`registry/repo[:tag]`, tag `latest` when none) to its registry, with
    /// the credentials `auth` finds for it (else anonymously). Fails with [`EngineError::Push`].
    async fn push_image(&self, image: &str, progress: ProgressSink<'_>) -> EngineResult<()>;
}

/// Connects to the Docker engine `options` name (`DOCKER_HOST`, the current docker context, else
/// `/var/run/docker.sock`) and negotiates the API version.
pub async fn connect(options: &ConnectOptions) -> EngineResult<std::sync::Arc<dyn Engine>> {
    Ok(std::sync::Arc::new(
        docker::DockerEngine::connect(options).await?,
    ))
}

/// A progress sink that drops everything.
pub fn no_progress(_: Progress) {}

/// Default stop timeout of the engine, in seconds.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);
