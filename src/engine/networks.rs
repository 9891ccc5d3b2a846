//! Networks: list, inspect, create, remove, connect and disconnect containers.
//! One area of the [`Engine`](super::Engine) trait. Must not import `model`, `loader`, `plan`,
//! `app` or `cli`.

use async_trait::async_trait;

use super::types::*;
use super::EngineResult;

/// Networks: one area of the engine.
#[async_trait]
pub trait Networks: Send + Sync {
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
}
