//! Files in and out of containers: copy a tar in, read one out, stat a path.
//! One area of the [`Engine`](super::Engine) trait. Must not import `model`, `loader`, `plan`,
//! `app` or `cli`.

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use super::types::*;
use super::EngineResult;

/// Files in and out of containers: one area of the engine.
#[async_trait]
pub trait Archive: Send + Sync {
    /// Extracts a tar archive into the container at `path` (a directory that must exist).
    async fn copy_into(&self, id: &str, path: &str, tar: Bytes) -> EngineResult<()>;

    /// What `path` names in the container, without following a final symlink. Nothing there is
    /// [`EngineError::NotFound`] of kind [`ObjectKind::Path`].
    async fn stat_path(&self, id: &str, path: &str) -> EngineResult<PathStat>;

    /// A tar archive of `path` in the container, as `docker cp` reads it: its root entry is named
    /// after the last component of `path` (`.` for `dir/.`, whose entries are the contents).
    /// A missing path is [`EngineError::NotFound`] of kind [`ObjectKind::Path`].
    fn copy_from(&self, id: &str, path: &str) -> BoxStream<'static, EngineResult<Bytes>>;

    /// [`Archive::copy_into`] with `cp`'s options.
    async fn copy_into_with(
        &self,
        id: &str,
        path: &str,
        tar: Bytes,
        options: &CopyIntoOptions,
    ) -> EngineResult<()>;
}
