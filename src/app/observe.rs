//! Reads what the engine has for a project into a `plan::Observed`, with one list call per kind:
//! containers, networks and volumes filtered by the project label, and the local images (one
//! unfiltered list: pulled images carry no project label, and the planner must know whether a
//! service's image is present).
//! Must not import `loader` or `cli`.

use crate::engine::{
    ContainerState as EngineState, ContainerSummary, Engine, EngineError, HealthStatus, LabelFilter,
};
use crate::plan::labels;
use crate::plan::observed::ObservedImage;
use crate::plan::{ContainerState, Health, Observed, ObservedContainer, ObservedResource};

/// The planner reads a state it does not know as `created` (a container that exists, not up).
fn state(s: &EngineState) -> ContainerState {
    match s {
        EngineState::Other(_) => ContainerState::Created,
        known => known.clone(),
    }
}

/// The planner's health for the engine's.
pub(crate) fn health(h: Option<HealthStatus>) -> Option<Health> {
    h.map(|h| match h {
        HealthStatus::Starting => Health::Starting,
        HealthStatus::Healthy => Health::Healthy,
        HealthStatus::Unhealthy => Health::Unhealthy,
    })
}

/// The exit code in a list `Status` text: `Exited (137) 2 seconds ago` -> 137.
pub fn exit_code_from_status(status: &str) -> Option<i64> {
    let rest = status.trim().strip_prefix("Exited (")?;
    let end = rest.find(')')?;
    rest.get(..end)?.trim().parse().ok()
}

/// One container summary as the planner sees it.
pub fn observed_container(c: &ContainerSummary) -> ObservedContainer {
    let st = state(&c.state);
    let exit = if st == ContainerState::Exited {
        exit_code_from_status(&c.status)
    } else {
        None
    };
    ObservedContainer::from_labels(
        &c.id,
        c.name(),
        &c.labels,
        &c.image_id,
        st,
        health(c.health),
        exit,
        c.networks.clone(),
    )
}

/// Everything the engine has for `project`.
pub async fn observe(engine: &dyn Engine, project: &str) -> Result<Observed, EngineError> {
    let filter = LabelFilter::project(project);
    let all = LabelFilter::new();
    let (containers, networks, volumes, images) = futures::try_join!(
        engine.list_containers(&filter),
        engine.list_networks(&filter),
        engine.list_volumes(&filter),
        engine.list_images(&all),
    )?;
    let mut o = Observed::default();
    // Oldest first, so that replica order is stable.
    let mut containers = containers;
    containers.sort_by_key(|c| c.created);
    o.containers = containers.iter().map(observed_container).collect();
    o.networks = networks
        .into_iter()
        .map(|n| ObservedResource {
            key: n.labels.get(labels::NETWORK).cloned().unwrap_or_default(),
            config_hash: n
                .labels
                .get(labels::CONFIG_HASH)
                .cloned()
                .unwrap_or_default(),
            name: n.name,
        })
        .collect();
    o.volumes = volumes
        .into_iter()
        .map(|v| ObservedResource {
            key: v.labels.get(labels::VOLUME).cloned().unwrap_or_default(),
            config_hash: v
                .labels
                .get(labels::CONFIG_HASH)
                .cloned()
                .unwrap_or_default(),
            name: v.name,
        })
        .collect();
    for i in images {
        for tag in &i.repo_tags {
            if tag != "<none>:<none>" {
                o.images.push(ObservedImage {
                    name: tag.clone(),
                    id: i.id.clone(),
                });
            }
        }
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_read_from_status() {
        assert_eq!(exit_code_from_status("Exited (0) 3 seconds ago"), Some(0));
        assert_eq!(exit_code_from_status("Exited (137) 1 hour ago"), Some(137));
        assert_eq!(exit_code_from_status("Up 2 seconds"), None);
        assert_eq!(exit_code_from_status("Exited (x"), None);
    }
}
