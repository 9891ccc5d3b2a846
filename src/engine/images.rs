//! Images: list, inspect, remove, tag, build, pull and push.
//! One area of the [`Engine`](super::Engine) trait. Must not import `model`, `loader`, `plan`,
//! `app` or `cli`.

use async_trait::async_trait;

use super::types::*;
use super::EngineResult;

/// Images: one area of the engine.
#[async_trait]
pub trait Images: Send + Sync {
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

    /// A new image from container `id`'s changes (`docker commit`); returns the image's id.
    async fn commit_container(&self, id: &str, options: &CommitOptions) -> EngineResult<String>;

    /// Builds an image; returns the image id. Progress lines go to `progress`.
    async fn build_image(
        &self,
        spec: BuildSpec,
        progress: ProgressSink<'_>,
    ) -> EngineResult<String>;

    /// Pulls an image. Fails with [`EngineError::Pull`] when no registry can serve it.
    async fn pull_image(&self, image: &str, progress: ProgressSink<'_>) -> EngineResult<()>;

    /// Pushes a local image (`registry/repo[:tag]`, tag `latest` when none) to its registry, with
    /// the credentials `auth` finds for it (else anonymously). Fails with [`EngineError::Push`].
    async fn push_image(&self, image: &str, progress: ProgressSink<'_>) -> EngineResult<()>;

    /// The digest (`sha256:...`) of `image` in its registry, asked through the engine without
    /// pulling it (the engine's distribution inspect, with the credentials `auth` finds for it).
    async fn registry_digest(&self, image: &str) -> EngineResult<String>;
}
