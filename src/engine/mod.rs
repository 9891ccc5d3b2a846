//! The engine layer: the narrow set of container-engine effects the application layer needs.
//!
//! Owns [`Engine`] and its area traits, one file each: [`containers`], [`sessions`] (exec,
//! attach, resize), [`archive`] (copy in/out, stat, and the ONE tar packer/unpacker), [`networks`],
//! [`volumes`], [`images`]; the engine-level types ([`types`]); [`EngineError`] (typed: callers
//! match variants, never message text); the Docker implementation over bollard ([`docker`], the
//! ONLY module in the crate that imports bollard); registry credentials from the docker config
//! file ([`auth`]); and, behind the `fake` cargo feature (tests only), an in-memory scriptable
//! fake ([`fake`]) and test-image helpers ([`testing`]).
//! Must not import `model`, `loader`, `plan`, `app` or `cli`, print, or read environment
//! variables (where the engine is comes in as [`ConnectOptions`]): the application layer
//! translates the Compose model into these types.

pub mod archive;
pub mod auth;
pub mod containers;
pub mod docker;
#[cfg(any(test, feature = "fake"))]
pub mod fake;
pub mod images;
pub mod networks;
pub mod registry;
pub mod sessions;
pub mod swarm;
#[cfg(any(test, feature = "fake"))]
pub mod testing;
pub mod types;
pub mod volumes;

use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;

pub use archive::Archive;
pub use containers::Containers;
pub use docker::ConnectOptions;
pub use images::Images;
pub use networks::Networks;
pub use sessions::Sessions;
pub use swarm::Swarm;
pub use volumes::Volumes;

/// The engine traits, for code that calls engine methods on a concrete engine
/// (`use crate::engine::prelude::*;`). Calls through `dyn Engine` or an `E: Engine` bound need
/// no import.
pub mod prelude {
    pub use super::{Archive, Containers, Engine, Images, Networks, Sessions, Volumes};
}
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
    /// A swarm service.
    Service,
    Secret,
    Config,
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
            ObjectKind::Service => "service",
            ObjectKind::Secret => "secret",
            ObjectKind::Config => "config",
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

/// The container-engine effects rcompose needs, by area ([`Containers`], [`Sessions`],
/// [`Archive`], [`Networks`], [`Volumes`], [`Images`]) plus the engine itself. Object arguments
/// (`id`) accept an id or a name. Code holding a concrete engine (not `dyn Engine`) brings the
/// area traits into scope with `use crate::engine::prelude::*;`.
#[async_trait]
pub trait Engine:
    Containers + Sessions + Archive + Networks + Volumes + Images + Send + Sync
{
    /// The address this engine talks to (`unix:///var/run/docker.sock`), identifying the engine
    /// for per-project locks. Two handles on the same engine return the same address.
    fn address(&self) -> String {
        "default".to_string()
    }

    /// Checks that the engine answers.
    async fn ping(&self) -> EngineResult<()>;

    async fn version(&self) -> EngineResult<EngineVersion>;

    /// Events matching `filter` that happen from the moment of this call (even if the stream is
    /// first polled later), until the stream is dropped.
    fn events(&self, filter: &EventFilter) -> BoxStream<'static, EngineResult<EngineEvent>>;
}

/// Connects to the Docker engine `options` name (`DOCKER_HOST`, the current docker context, else
/// `/var/run/docker.sock`) and negotiates the API version.
pub async fn connect(options: &ConnectOptions) -> EngineResult<std::sync::Arc<dyn Engine>> {
    Ok(std::sync::Arc::new(
        docker::DockerEngine::connect(options).await?,
    ))
}

/// What `stack deploy` and friends need of an engine: swarm services, tasks, secrets and configs,
/// plus overlay networks and volumes.
pub trait SwarmEngine: Swarm + Networks + Volumes + Send + Sync {}
impl<T: Swarm + Networks + Volumes + Send + Sync> SwarmEngine for T {}

/// Connects to the engine `options` name, for its swarm area.
pub async fn connect_swarm(
    options: &ConnectOptions,
) -> EngineResult<std::sync::Arc<dyn SwarmEngine>> {
    Ok(std::sync::Arc::new(
        docker::DockerEngine::connect(options).await?,
    ))
}

/// A progress sink that drops everything.
pub fn no_progress(_: Progress) {}

/// Default stop timeout of the engine, in seconds.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(10);
