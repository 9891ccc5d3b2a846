//! Volumes: list, inspect, create, remove.
//! One area of the [`Engine`](super::Engine) trait. Must not import `model`, `loader`, `plan`,
//! `app` or `cli`.

use async_trait::async_trait;

use super::types::*;
use super::EngineResult;

/// Volumes: one area of the engine.
#[async_trait]
pub trait Volumes: Send + Sync {
    async fn list_volumes(&self, filter: &LabelFilter) -> EngineResult<Vec<VolumeDetails>>;

    async fn inspect_volume(&self, name: &str) -> EngineResult<VolumeDetails>;

    async fn create_volume(&self, spec: &VolumeSpec) -> EngineResult<VolumeDetails>;

    async fn remove_volume(&self, name: &str, force: bool) -> EngineResult<()>;
}
