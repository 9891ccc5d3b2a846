//! The planner: pure and synchronous. Compares the desired state (a `model::Project`, read from
//! its typed fields) with what the engine has (`Observed`) for a command (`Intent`) and produces
//! a `Plan`: a DAG of steps (create network/volume, build/pull image, create/replace/start/stop/
//! remove container, wait for a condition), each with the reason it is needed.
//!
//! Owns: the config hash, the recreate decision, replica numbering, orphan detection, the
//! dry-run rendering, and the plans of the image commands `build`, `pull`,
//! `push` (`images`). Names, label keys, the dependency graph and `Condition` come from the model.
//! Imports only `model`: must not import `engine`, `app`, `loader` or `cli`, and never performs
//! I/O (the `ContainerSpec` conversion lives in `app::spec`).

mod build;
pub mod config_hash;
pub mod desired;
pub mod graph;
pub mod images;
pub mod intent;
pub mod labels;
pub mod observed;
pub mod simulate;
pub mod step;

pub use desired::{
    service_config_hash, Condition, DependsOn, Desired, DesiredResource, DesiredService,
};
pub use images::{plan_images, ImageIntent, ImagePlan};
pub use intent::{BuildPolicy, DownOptions, Intent, PullPolicy, RemoveImages, UpOptions};
pub use observed::{ContainerState, Health, Observed, ObservedContainer, ObservedResource};
pub use step::{
    Action, ContainerRef, ContainerSnapshot, Dep, Plan, Reason, ServiceFacts, Step, StepId,
    Subject, SubjectKind, Verb,
};

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// `cycle` starts and ends with the same service: `a -> b -> a`.
    #[error("dependency cycle detected: {}", cycle.join(" -> "))]
    Cycle { cycle: Vec<String> },
    #[error("no such service: {name}{}", hint.as_ref().map(|h| format!(" (did you mean {h:?}?)")).unwrap_or_default())]
    UnknownService { name: String, hint: Option<String> },
    #[error("service {service} depends on undefined service {dependency}")]
    MissingDependency { service: String, dependency: String },
    #[error("service {service} sets container_name {container_name:?} and cannot be scaled to {replicas} (a container name must be unique); remove container_name or set the scale to 1")]
    ContainerNameWithScale {
        service: String,
        container_name: String,
        replicas: u32,
    },
    #[error("service {service} has no container to start; run `up` or `create` first")]
    NothingToStart { service: String },
    #[error("invalid project: {0}")]
    Invalid(String),
}

/// Plans `intent` for the desired state `desired` against `observed`.
pub fn plan_desired(
    desired: &Desired,
    observed: &Observed,
    intent: &Intent,
) -> Result<Plan, PlanError> {
    build::build(desired, observed, intent)
}

/// The project as the planner and executor see it: every service that has neither `networks`
/// nor `network_mode` joins the `default` network, which exists (`<project>_default`), as the
/// loader's normalisation does (a `provider` service runs no container and joins nothing, as in
/// compose-go). A project from the loader is returned unchanged.
pub fn with_default_network(project: &crate::model::Project) -> crate::model::Project {
    let mut p = project.clone();
    let mut needs_default = false;
    for svc in p.services.values_mut() {
        if svc.networks.is_empty()
            && svc.network_mode.as_deref().is_none_or(str::is_empty)
            && svc.provider.is_none()
        {
            svc.networks.insert("default".to_string(), None);
            needs_default = true;
        }
    }
    if needs_default && !p.networks.contains_key("default") {
        p.networks.insert(
            "default".to_string(),
            crate::model::Network {
                name: Some(crate::model::names::scoped_name(&p.name, "default")),
                ..Default::default()
            },
        );
    }
    p
}

/// The planner's desired state of a (typed) project.
pub fn desired_of(project: &crate::model::Project) -> Result<Desired, PlanError> {
    Desired::from_project(project)
}

/// Plans `intent` for `project` against `observed`. The project is taken as
/// [`with_default_network`] returns it.
pub fn plan(
    project: &crate::model::Project,
    observed: &Observed,
    intent: &Intent,
) -> Result<Plan, PlanError> {
    let project = with_default_network(project);
    let desired = desired_of(&project)?;
    plan_desired(&desired, observed, intent)
}

/// Plans `intent` for a project given as its canonical tree (what `rcompose config` prints).
pub fn plan_canonical(
    project: &serde_yaml::Value,
    observed: &Observed,
    intent: &Intent,
) -> Result<Plan, PlanError> {
    let desired = Desired::from_canonical(project, None)?;
    plan_desired(&desired, observed, intent)
}
