//! Read-side queries over the project's containers, as typed rows for the cli to render:
//! the running containers of some services (`top`, `wait`), their process lists (`top`), and
//! the images of the project's containers (`images`).
//! The engine is read through `engine::Engine` only. Must not import `cli` or `loader`;
//! prints nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::{
    ContainerSummary, Engine, EngineError, ImageDetails, LabelFilter, ProcessList,
};
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

/// `images`: one row per container of the project (of `services` when given), with its image's
/// details; an image removed since its container was created is listed without size.
pub async fn images(
    engine: &dyn Engine,
    project: &str,
    services: &[String],
) -> Result<Vec<ImageRow>, QueryError> {
    let containers = engine
        .list_containers(&LabelFilter::project(project))
        .await
        .map_err(|e| {
            QueryError::new(
                format!("cannot list the containers of project {project}"),
                e,
            )
        })?;
    let containers: Vec<ContainerSummary> = containers
        .into_iter()
        .filter(|c| {
            services.is_empty()
                || c.labels
                    .get(labels::SERVICE)
                    .is_some_and(|s| services.contains(s))
        })
        .collect();
    let mut found: BTreeMap<String, ImageDetails> = BTreeMap::new();
    for c in &containers {
        if found.contains_key(&c.image_id) {
            continue;
        }
        match engine.inspect_image(&c.image_id).await {
            Ok(i) => {
                found.insert(c.image_id.clone(), i);
            }
            // Removed since the container was created: listed without size.
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                return Err(QueryError::new(
                    format!("cannot inspect image {} of container {}", c.image, c.name()),
                    e,
                ))
            }
        }
    }
    Ok(image_rows(&containers, &found))
}

/// One row of `images`: a container and its image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRow {
    pub container: String,
    /// Familiar name (`busybox`, `127.0.0.1:5000/app`); empty when the container's image is
    /// known by id only.
    pub repository: String,
    pub tag: String,
    /// `sha256:...`.
    pub id: String,
    pub size: i64,
    pub created: String,
}

/// Repository and tag of an image reference, as docker compose shows them: the familiar name
/// (`docker.io/library/` left out) and the tag (`latest` when none is written, empty for a
/// digest reference). An image id gives neither.
pub fn repository_and_tag(reference: &str) -> (String, String) {
    if reference.starts_with("sha256:") || reference.is_empty() {
        return (String::new(), String::new());
    }
    let r = reference
        .strip_prefix("docker.io/library/")
        .or_else(|| reference.strip_prefix("docker.io/"))
        .or_else(|| reference.strip_prefix("index.docker.io/library/"))
        .or_else(|| reference.strip_prefix("index.docker.io/"))
        .unwrap_or(reference);
    if let Some((name, _digest)) = r.split_once('@') {
        let last_slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
        let name = match name.get(last_slash..).and_then(|t| t.rfind(':')) {
            Some(i) => name.get(..last_slash + i).unwrap_or(name),
            None => name,
        };
        return (name.to_string(), String::new());
    }
    let last_slash = r.rfind('/').map(|i| i + 1).unwrap_or(0);
    match r.get(last_slash..).and_then(|t| t.rfind(':')) {
        Some(i) => {
            let at = last_slash + i;
            (
                r.get(..at).unwrap_or(r).to_string(),
                r.get(at + 1..).unwrap_or("").to_string(),
            )
        }
        None => (r.to_string(), "latest".to_string()),
    }
}

/// The rows of `images`, sorted by container name.
pub fn image_rows(
    containers: &[ContainerSummary],
    images: &BTreeMap<String, ImageDetails>,
) -> Vec<ImageRow> {
    let mut rows: Vec<ImageRow> = containers
        .iter()
        .map(|c| {
            let (repository, tag) = repository_and_tag(&c.image);
            let image = images.get(&c.image_id);
            ImageRow {
                container: c.name().to_string(),
                repository,
                tag,
                id: image
                    .map(|i| i.id.clone())
                    .unwrap_or_else(|| c.image_id.clone()),
                size: image.map(|i| i.size).unwrap_or(0),
                created: image.map(|i| i.created.clone()).unwrap_or_default(),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.container.cmp(&b.container));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_and_tag_are_familiar() {
        let rt = |r: &str| repository_and_tag(r);
        assert_eq!(rt("busybox:stable"), ("busybox".into(), "stable".into()));
        assert_eq!(rt("busybox"), ("busybox".into(), "latest".into()));
        assert_eq!(
            rt("docker.io/library/redis:7"),
            ("redis".into(), "7".into())
        );
        assert_eq!(
            rt("127.0.0.1:5000/p/app"),
            ("127.0.0.1:5000/p/app".into(), "latest".into())
        );
        assert_eq!(rt("app@sha256:abc"), ("app".into(), String::new()));
        assert_eq!(rt("sha256:0123"), (String::new(), String::new()));
    }
}
