//! The planner: pure and synchronous. Compares the desired state (a `model::Project`, read through
//! its canonical form) with what the engine has (`Observed`) for a command (`Intent`) and produces
//! a `Plan`: a DAG of steps (create network/volume, build/pull image, create/replace/start/stop/
//! remove container, wait for a condition), each with the reason it is needed.
//!
//! Owns: the config hash, the recreate decision, replica numbering and names, orphan detection,
//! cycle detection, the dry-run rendering. Must not import `engine` (except for the
//! `ContainerSpec` conversion), `exec`, `loader` or `cli`, and never performs I/O.

mod build;
pub mod desired;
pub mod graph;
pub mod intent;
pub mod labels;
pub mod observed;
pub mod simulate;
pub mod step;

pub use desired::{service_config_hash, Condition, Dependency, Desired, DesiredService};
pub use intent::{BuildPolicy, DownOptions, Intent, PullPolicy, RemoveImages, UpOptions};
pub use observed::{ContainerState, Health, Observed, ObservedContainer, ObservedResource};
pub use step::{
    Action, ContainerRef, ContainerSnapshot, Dep, Plan, Reason, ServiceFacts, Step, StepId,
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

/// Plans `intent` for a project given as its canonical tree (what `rcompose config` prints).
pub fn plan_canonical(
    project: &serde_yaml::Value,
    observed: &Observed,
    intent: &Intent,
) -> Result<Plan, PlanError> {
    let desired = Desired::from_canonical(project, None)?;
    plan_desired(&desired, observed, intent)
}
