//! Swarm: the engine's swarm state, services, tasks, secrets and configs (what `stack deploy`
//! needs). One area of the engine, kept out of the [`Engine`](super::Engine) supertrait (the
//! fake engine has no swarm): [`DockerEngine`](super::docker::DockerEngine) implements it.
//! A service spec is the Engine API's `ServiceSpec` as JSON ([`ServiceSpec`]), the thin typed
//! layer the application layer builds; the Docker implementation checks it against bollard's
//! model when it sends it. Must not import `model`, `loader`, `plan`, `app` or `cli`.

use async_trait::async_trait;

use super::types::*;
use super::EngineResult;

/// The Engine API's `ServiceSpec`, as JSON (field names as the API spells them: `Name`,
/// `Labels`, `TaskTemplate`, `Mode`, `EndpointSpec`...).
pub type ServiceSpec = serde_json::Value;

/// Where this engine stands in a swarm.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwarmState {
    /// `inactive`, `pending`, `active`, `error` or `locked` (the engine's LocalNodeState).
    pub local_node_state: String,
    /// The node is a manager (it can create services).
    pub manager: bool,
    pub node_id: String,
}

/// A service as the engine reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct SwarmService {
    pub id: String,
    pub name: String,
    /// The object version an update must name.
    pub version: u64,
    pub labels: Labels,
    /// The spec as the engine holds it (defaults filled in).
    pub spec: ServiceSpec,
    /// `Some(n)` for a replicated service, `None` for a global one.
    pub replicas: Option<u64>,
    /// The engine's count of running tasks and of tasks it wants running (`None` when the
    /// engine did not report them).
    pub running_tasks: Option<u64>,
    pub desired_tasks: Option<u64>,
    /// Published ports (the endpoint's, as the engine resolved them).
    pub ports: Vec<SwarmPort>,
}

/// A published port of a service or a task.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwarmPort {
    /// `tcp`, `udp`, `sctp`.
    pub protocol: String,
    pub target: u32,
    pub published: u32,
    /// `ingress` or `host`.
    pub mode: String,
}

/// A node of the swarm.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SwarmNode {
    pub id: String,
    pub hostname: String,
}

/// A task (one replica's container) of a service.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SwarmTask {
    pub id: String,
    pub service_id: String,
    /// The replica's slot (replicated services).
    pub slot: Option<i64>,
    pub node_id: String,
    /// `running`, `shutdown`...
    pub desired_state: String,
    /// `new`, `pending`, `running`, `failed`, `rejected`...
    pub state: String,
    /// The state's message (`started`).
    pub message: String,
    /// Why the task failed, empty when it did not.
    pub error: String,
    pub image: String,
    pub container_id: String,
    /// RFC 3339 time of the last state change.
    pub timestamp: String,
    /// RFC 3339 time the task was created.
    pub created_at: String,
    /// The ports the task publishes on its node (`mode: host`).
    pub ports: Vec<SwarmPort>,
    /// The task's spec (the service's `TaskTemplate` it was made from), as JSON.
    pub spec: ServiceSpec,
}

/// Secrets or configs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwarmObjectKind {
    Secret,
    Config,
}

/// A secret or a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwarmObject {
    pub id: String,
    pub name: String,
    pub labels: Labels,
}

/// Swarm: one area of the engine.
#[async_trait]
pub trait Swarm: Send + Sync {
    async fn swarm_state(&self) -> EngineResult<SwarmState>;

    async fn list_nodes(&self) -> EngineResult<Vec<SwarmNode>>;

    async fn list_services(&self, filter: &LabelFilter) -> EngineResult<Vec<SwarmService>>;

    /// Returns the service id. The spec names its image; no registry is asked for a digest.
    async fn create_service(&self, spec: &ServiceSpec) -> EngineResult<String>;

    /// Replaces a service's spec; `version` is the version the spec was read at. Returns the
    /// engine's warnings.
    async fn update_service(
        &self,
        id: &str,
        version: u64,
        spec: &ServiceSpec,
    ) -> EngineResult<Vec<String>>;

    async fn remove_service(&self, id: &str) -> EngineResult<()>;

    /// The tasks of the services with these ids (all tasks when `service_ids` is empty).
    async fn list_tasks(&self, service_ids: &[String]) -> EngineResult<Vec<SwarmTask>>;

    async fn list_swarm_objects(
        &self,
        kind: SwarmObjectKind,
        filter: &LabelFilter,
    ) -> EngineResult<Vec<SwarmObject>>;

    /// Returns the object's id.
    async fn create_swarm_object(
        &self,
        kind: SwarmObjectKind,
        name: &str,
        labels: &Labels,
        data: &[u8],
    ) -> EngineResult<String>;

    async fn remove_swarm_object(&self, kind: SwarmObjectKind, id: &str) -> EngineResult<()>;
}
