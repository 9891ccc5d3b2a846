//! Applies a plan to an `Observed` snapshot in memory: what the engine would have afterwards if
//! every step succeeded. Used by `--dry-run` summaries and by the tests that prove a second plan
//! after the first is a no-op.

use super::desired::Desired;
use super::observed::{
    ContainerState, Health, Observed, ObservedContainer, ObservedImage, ObservedResource,
};
use super::step::{Action, ContainerRef, Plan};

fn find<'a>(o: &'a mut Observed, r: &ContainerRef) -> Option<&'a mut ObservedContainer> {
    o.containers.iter_mut().find(|c| match &r.id {
        Some(id) => &c.id == id,
        None => c.service == r.service && c.number == r.number && c.name == r.name,
    })
}

/// The state after applying `plan` to `observed`.
pub fn simulate(plan: &Plan, desired: &Desired, observed: &Observed) -> Observed {
    let mut o = observed.clone();
    let mut counter = 0u64;
    for step in &plan.steps {
        match &step.action {
            Action::CreateNetwork { key, name } => o.networks.push(ObservedResource {
                name: name.clone(),
                key: key.clone(),
                config_hash: desired
                    .networks
                    .get(key)
                    .map(|n| n.config_hash.clone())
                    .unwrap_or_default(),
            }),
            Action::CreateVolume { key, name } => o.volumes.push(ObservedResource {
                name: name.clone(),
                key: key.clone(),
                config_hash: desired
                    .volumes
                    .get(key)
                    .map(|n| n.config_hash.clone())
                    .unwrap_or_default(),
            }),
            Action::RemoveNetwork { name } => o.networks.retain(|n| &n.name != name),
            Action::RemoveVolume { name } => o.volumes.retain(|n| &n.name != name),
            Action::BuildImage { image, .. } | Action::PullImage { image, .. } => {
                if o.image_id(image).is_none() {
                    o.images.push(ObservedImage {
                        name: image.clone(),
                        id: format!("sha256:sim-{image}"),
                    });
                }
            }
            // The registry is not part of the observed state.
            Action::PushImage { .. } | Action::PreStart { .. } => {}
            Action::RemoveImage { image } => {
                let want = super::observed::normalize_image_ref(image);
                o.images
                    .retain(|i| super::observed::normalize_image_ref(&i.name) != want);
            }
            Action::CreateContainer {
                service,
                number,
                create_as,
                config_hash,
                image,
                networks,
                ..
            } => {
                counter += 1;
                let image_id = o.image_id(image).unwrap_or_default().to_string();
                o.containers.push(ObservedContainer {
                    id: format!("{counter:012x}{:052x}", 0),
                    name: create_as.clone(),
                    service: service.clone(),
                    number: *number,
                    oneoff: false,
                    config_hash: config_hash.clone(),
                    image_id,
                    replaces: None,
                    state: ContainerState::Created,
                    health: None,
                    exit_code: None,
                    networks: networks.clone(),
                    depends_on: String::new(),
                });
            }
            Action::RenameContainer { container, to } => {
                if let Some(c) = find(&mut o, container) {
                    c.name = to.clone();
                }
            }
            Action::StartContainer { container } | Action::RestartContainer { container, .. } => {
                let healthy = desired
                    .services
                    .get(&container.service)
                    .is_some_and(|s| s.has_healthcheck);
                if let Some(c) = find(&mut o, container) {
                    c.state = ContainerState::Running;
                    c.health = healthy.then_some(Health::Healthy);
                    c.exit_code = None;
                }
            }
            Action::StopContainer { container, .. } => {
                if let Some(c) = find(&mut o, container) {
                    c.state = ContainerState::Exited;
                    c.exit_code = Some(0);
                    c.health = None;
                }
            }
            Action::KillContainer { container, .. } => {
                if let Some(c) = find(&mut o, container) {
                    c.state = ContainerState::Exited;
                    c.exit_code = Some(137);
                    c.health = None;
                }
            }
            Action::RemoveContainer { container, .. } => {
                let target = find(&mut o, container).map(|c| c.id.clone());
                if let Some(id) = target {
                    o.containers.retain(|c| c.id != id);
                }
            }
            Action::PauseContainer { container } => {
                if let Some(c) = find(&mut o, container) {
                    c.state = ContainerState::Paused;
                }
            }
            Action::UnpauseContainer { container } => {
                if let Some(c) = find(&mut o, container) {
                    c.state = ContainerState::Running;
                }
            }
            Action::Await { .. } => {}
        }
    }
    o
}
