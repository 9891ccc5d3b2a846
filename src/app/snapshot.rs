//! `export` and `commit`: a running container of a service (replica `--index`, as `exec` picks
//! it) as a tar stream of its filesystem, or as a new image made of its changes.
//! Reads and changes the engine through `engine::Engine` only. Must not import `cli` or
//! `loader`; prints nothing.

use bytes::Bytes;
use futures::stream::BoxStream;

use crate::engine::{CommitOptions, ContainerSummary, Engine, EngineResult, LabelFilter};
use crate::plan::labels;

/// The running container of `service` that `export` / `commit` act on: replica `index`
/// (`None`: the lowest number), as docker compose v5 picks it.
pub async fn service_container(
    engine: &dyn Engine,
    project: &str,
    service: &str,
    index: Option<u32>,
) -> Result<ContainerSummary, String> {
    let filter = LabelFilter::project(project).with(labels::SERVICE, service);
    let containers = engine
        .list_containers(&filter)
        .await
        .map_err(|e| format!("cannot list the containers of service {service}: {e}"))?;
    super::oneoff::exec_target(&containers, service, index).cloned()
}

/// `export SERVICE`: the container's name and its filesystem as a tar stream.
pub async fn export(
    engine: &dyn Engine,
    project: &str,
    service: &str,
    index: Option<u32>,
) -> Result<(String, BoxStream<'static, EngineResult<Bytes>>), String> {
    let c = service_container(engine, project, service, index).await?;
    Ok((c.name().to_string(), engine.export_container(&c.id)))
}

/// `commit SERVICE [REPOSITORY[:TAG]]`: the container's name and the new image's id.
pub async fn commit(
    engine: &dyn Engine,
    project: &str,
    service: &str,
    index: Option<u32>,
    options: &CommitOptions,
) -> Result<(String, String), String> {
    let c = service_container(engine, project, service, index).await?;
    let name = c.name().to_string();
    let id = engine
        .commit_container(&c.id, options)
        .await
        .map_err(|e| format!("service {service}: cannot commit {name}: {e}"))?;
    Ok((name, id))
}
