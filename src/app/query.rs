//! Read-side queries over the project's containers, as typed rows for the cli to render:
//! the running containers of some services (`top`, `wait`) and their process lists (`top`).
//! The engine is read through `engine::Engine` only. Must not import `cli` or `loader`;
//! prints nothing.

use std::sync::Arc;

use crate::engine::{ContainerSummary, Engine, EngineError, LabelFilter, ProcessList};
use crate::plan::labels;

/// A query failed: what was being read, and the engine's error.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct QueryError {
    pub what: String,
    #[source]
    pub source: EngineError,
}

impl QueryError {
    pub fn new(what: impl Into<String>, source: EngineError) -> QueryError {
        QueryError {
            what: what.into(),
            source,
        }
    }
}

/// The service label of a container (empty when it has none).
pub fn service_of(c: &ContainerSummary) -> &str {
    c.labels
        .get(labels::SERVICE)
        .map(String::as_str)
        .unwrap_or_default()
}

/// The project's running (or paused) containers of `services` (all when empty), one-off
/// containers included, sorted by name, as docker compose selects them for `top` and `wait`.
pub async fn running(
    engine: &dyn Engine,
    project: &str,
    services: &[String],
) -> Result<Vec<ContainerSummary>, QueryError> {
    let mut list = engine
        .list_containers(&LabelFilter::project(project))
        .await
        .map_err(|e| {
            QueryError::new(
                format!("cannot list the containers of project {project}"),
                e,
            )
        })?;
    list.retain(|c| {
        c.state.is_up() && (services.is_empty() || services.iter().any(|s| s == service_of(c)))
    });
    list.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(list)
}

/// One container's processes (`top`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopRow {
    /// The container's name.
    pub name: String,
    pub processes: ProcessList,
}

/// `top`: the process list of each running container of `services` (all when empty), in name
/// order; a container that stopped or went away since it was listed is left out.
pub async fn top(
    engine: Arc<dyn Engine>,
    project: &str,
    services: &[String],
) -> Result<Vec<TopRow>, QueryError> {
    let containers = running(engine.as_ref(), project, services).await?;
    let lists = futures::future::join_all(
        containers
            .iter()
            .map(|c| engine.top_processes(&c.id))
            .collect::<Vec<_>>(),
    )
    .await;
    let mut rows = Vec::with_capacity(containers.len());
    for (c, list) in containers.iter().zip(lists) {
        match list {
            Ok(processes) => rows.push(TopRow {
                name: c.name().to_string(),
                processes,
            }),
            // It stopped or went away since it was listed: nothing to show.
            Err(EngineError::Conflict { .. }) | Err(EngineError::NotFound { .. }) => {}
            Err(e) => {
                return Err(QueryError::new(
                    format!("cannot list the processes of {}", c.name()),
                    e,
                ))
            }
        }
    }
    Ok(rows)
}
