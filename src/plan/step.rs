//! The plan: a DAG of steps, each with the reason it is needed and the steps it waits for.
//! Steps are stored in a topological order (every step after its dependencies); `render` prints
//! the `up --dry-run` text.

use std::fmt;

use indexmap::IndexMap;

use super::observed::{ContainerState, Health};
use crate::model::Condition;

pub type StepId = usize;

/// A container a step acts on. `id` is `None` for a container created by an earlier step of the
/// same plan (the executor resolves it by service and number).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContainerRef {
    pub service: String,
    pub number: u32,
    /// The container's name when the step runs.
    pub name: String,
    pub id: Option<String>,
}

impl fmt::Display for ContainerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// What a step does.
// Plans hold tens of steps, not millions: a flat enum is clearer than boxing the big variant.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    CreateNetwork {
        key: String,
        name: String,
    },
    RemoveNetwork {
        name: String,
    },
    CreateVolume {
        key: String,
        name: String,
    },
    RemoveVolume {
        name: String,
    },
    BuildImage {
        service: String,
        image: String,
    },
    PullImage {
        service: String,
        image: String,
    },
    RemoveImage {
        image: String,
    },
    /// Create the container for replica `number` of `service`, named `create_as` (a temporary
    /// name `<old id>_<name>` when it replaces `replaces`), to be renamed to `name` afterwards.
    CreateContainer {
        service: String,
        number: u32,
        name: String,
        create_as: String,
        replaces: Option<ContainerRef>,
        /// Carry anonymous volumes over from this container.
        inherit_volumes_from: Option<ContainerRef>,
        config_hash: String,
        image: String,
        /// Engine names of the networks it attaches to.
        networks: Vec<String>,
    },
    RenameContainer {
        container: ContainerRef,
        to: String,
    },
    StartContainer {
        container: ContainerRef,
    },
    StopContainer {
        container: ContainerRef,
        timeout: Option<u64>,
    },
    RestartContainer {
        container: ContainerRef,
        timeout: Option<u64>,
    },
    KillContainer {
        container: ContainerRef,
        signal: Option<String>,
    },
    RemoveContainer {
        container: ContainerRef,
        /// Also remove its anonymous volumes.
        volumes: bool,
    },
    PauseContainer {
        container: ContainerRef,
    },
    UnpauseContainer {
        container: ContainerRef,
    },
    /// Wait until every replica of `service` meets `condition` (no engine call; learned from the
    /// engine's events). With `required: false`, a failure is a warning, not an error.
    Await {
        service: String,
        condition: Condition,
        required: bool,
    },
    /// Push a local image (`image:`, or one of `build.tags`) to its registry.
    PushImage {
        service: String,
        image: String,
    },
    /// Run the service's `pre_start` hooks, in order, each in an ephemeral container with the
    /// service's volumes and networks; its containers start only after they all exit 0.
    PreStart {
        service: String,
    },
}

impl Action {
    /// The service the step belongs to, if any.
    pub fn service(&self) -> Option<&str> {
        match self {
            Action::BuildImage { service, .. }
            | Action::PullImage { service, .. }
            | Action::CreateContainer { service, .. }
            | Action::Await { service, .. }
            | Action::PushImage { service, .. }
            | Action::PreStart { service } => Some(service),
            Action::RenameContainer { container, .. }
            | Action::StartContainer { container }
            | Action::StopContainer { container, .. }
            | Action::RestartContainer { container, .. }
            | Action::KillContainer { container, .. }
            | Action::RemoveContainer { container, .. }
            | Action::PauseContainer { container }
            | Action::UnpauseContainer { container } => Some(&container.service),
            _ => None,
        }
    }

    /// A short verb + object, e.g. `create container p-web-1`.
    pub fn describe(&self) -> String {
        match self {
            Action::CreateNetwork { name, .. } => format!("create network {name}"),
            Action::RemoveNetwork { name } => format!("remove network {name}"),
            Action::CreateVolume { name, .. } => format!("create volume {name}"),
            Action::RemoveVolume { name } => format!("remove volume {name}"),
            Action::BuildImage { image, .. } => format!("build image {image}"),
            Action::PullImage { image, .. } => format!("pull image {image}"),
            Action::RemoveImage { image } => format!("remove image {image}"),
            Action::CreateContainer {
                name, create_as, ..
            } => {
                if name == create_as {
                    format!("create container {name}")
                } else {
                    format!("create container {create_as}")
                }
            }
            Action::RenameContainer { container, to } => {
                format!("rename container {} to {to}", container.name)
            }
            Action::StartContainer { container } => format!("start container {container}"),
            Action::StopContainer { container, .. } => format!("stop container {container}"),
            Action::RestartContainer { container, .. } => {
                format!("restart container {container}")
            }
            Action::KillContainer { container, signal } => match signal {
                Some(s) => format!("kill container {container} with {s}"),
                None => format!("kill container {container}"),
            },
            Action::RemoveContainer { container, volumes } => {
                if *volumes {
                    format!("remove container {container} and its anonymous volumes")
                } else {
                    format!("remove container {container}")
                }
            }
            Action::PauseContainer { container } => format!("pause container {container}"),
            Action::UnpauseContainer { container } => format!("unpause container {container}"),
            Action::Await {
                service,
                condition,
                required,
            } => {
                let opt = if *required { "" } else { " (optional)" };
                format!(
                    "wait for {service} to be {}{opt}",
                    condition_word(*condition)
                )
            }
            Action::PushImage { image, .. } => format!("push image {image}"),
            Action::PreStart { service } => format!("run the pre_start hooks of {service}"),
        }
    }
}

/// What kind of object a step acts on, as the progress output names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Network,
    Volume,
    Image,
    Container,
    Service,
}

/// What a step does to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Create,
    /// Create the replacement of an existing container.
    Recreate,
    Remove,
    Build,
    Pull,
    Push,
    Rename,
    Start,
    Stop,
    Restart,
    Kill,
    Pause,
    Unpause,
    /// Wait for a service to meet a condition.
    Await(Condition),
    /// Run a service's `pre_start` hooks.
    PreStart,
}

/// A step as the user sees it: the object, what is done to it, and whether it is an internal
/// part of replacing a container (the stop/rename/remove of the old one, shown only on failure:
/// the user sees `Recreate` on the replacement instead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub kind: SubjectKind,
    pub name: String,
    pub verb: Verb,
    pub internal: bool,
}

impl Step {
    /// The step as the user sees it (typed; the progress renderers read this, never the
    /// description's words).
    pub fn subject(&self) -> Subject {
        use SubjectKind as K;
        let internal = match &self.action {
            Action::RenameContainer { .. } => true,
            Action::StopContainer { .. } | Action::RemoveContainer { .. } => {
                matches!(self.reason, Reason::Replacing { .. })
            }
            _ => false,
        };
        let (kind, name, verb) = match &self.action {
            Action::CreateNetwork { name, .. } => (K::Network, name.clone(), Verb::Create),
            Action::RemoveNetwork { name } => (K::Network, name.clone(), Verb::Remove),
            Action::CreateVolume { name, .. } => (K::Volume, name.clone(), Verb::Create),
            Action::RemoveVolume { name } => (K::Volume, name.clone(), Verb::Remove),
            Action::BuildImage { image, .. } => (K::Image, image.clone(), Verb::Build),
            Action::PullImage { image, .. } => (K::Image, image.clone(), Verb::Pull),
            Action::PushImage { image, .. } => (K::Image, image.clone(), Verb::Push),
            Action::RemoveImage { image } => (K::Image, image.clone(), Verb::Remove),
            Action::CreateContainer { name, replaces, .. } => {
                let verb = if replaces.is_some() {
                    Verb::Recreate
                } else {
                    Verb::Create
                };
                (K::Container, name.clone(), verb)
            }
            Action::RenameContainer { to, .. } => (K::Container, to.clone(), Verb::Rename),
            Action::StartContainer { container } => {
                (K::Container, container.name.clone(), Verb::Start)
            }
            Action::StopContainer { container, .. } => {
                (K::Container, container.name.clone(), Verb::Stop)
            }
            Action::RestartContainer { container, .. } => {
                (K::Container, container.name.clone(), Verb::Restart)
            }
            Action::KillContainer { container, .. } => {
                (K::Container, container.name.clone(), Verb::Kill)
            }
            Action::RemoveContainer { container, .. } => {
                (K::Container, container.name.clone(), Verb::Remove)
            }
            Action::PauseContainer { container } => {
                (K::Container, container.name.clone(), Verb::Pause)
            }
            Action::UnpauseContainer { container } => {
                (K::Container, container.name.clone(), Verb::Unpause)
            }
            Action::Await {
                service, condition, ..
            } => (K::Service, service.clone(), Verb::Await(*condition)),
            Action::PreStart { service } => (K::Service, service.clone(), Verb::PreStart),
        };
        Subject {
            kind,
            name,
            verb,
            internal,
        }
    }
}

fn condition_word(c: Condition) -> &'static str {
    match c {
        Condition::ServiceStarted => "started",
        Condition::ServiceHealthy => "healthy",
        Condition::ServiceCompletedSuccessfully => "completed successfully",
    }
}

fn short(h: &str) -> &str {
    h.get(..12).unwrap_or(h)
}

/// Why a step is needed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    NotFound,
    /// The container's config hash differs from the service's.
    ConfigChanged {
        from: String,
        to: String,
    },
    ImageChanged {
        from: String,
        to: String,
    },
    /// The image is (re)built or pulled by this plan.
    ImageRefreshed {
        image: String,
    },
    /// The container is not attached to a network the service needs (or attached to one it
    /// doesn't).
    NetworkChanged {
        network: String,
    },
    /// A service whose namespace this one joins (`network_mode`/`pid`/`ipc: service:x`) is recreated.
    ParentRecreated {
        service: String,
    },
    ForceRecreate,
    /// `--always-recreate-deps`.
    DependencyOfSelected,
    /// A `depends_on` with `restart: true` whose target is recreated or restarted.
    DependencyRestarted {
        service: String,
    },
    /// Part of replacing a container (the step names the replacement).
    Replacing {
        name: String,
        why: Box<Reason>,
    },
    NotRunning,
    ScaledDown {
        replicas: u32,
    },
    Orphan,
    /// A temporary container left by an interrupted recreate.
    Leftover,
    /// An interrupted recreate left the replacement under its temporary name.
    InterruptedRecreate,
    ImageMissing,
    BuildRequested,
    PullPolicyBuild,
    PullAlways,
    /// Needed by a dependent service.
    DependencyCondition,
    /// Asked for by the command (`down`, `stop`...).
    Requested,
    /// A one-off container (`run`): finished ones are orphans; `down --remove-orphans` takes
    /// running ones too.
    OneOff,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NotFound => f.write_str("not found"),
            Reason::ConfigChanged { from, to } => {
                if from.is_empty() {
                    write!(f, "config changed (no hash -> {})", short(to))
                } else {
                    write!(f, "config changed ({} -> {})", short(from), short(to))
                }
            }
            Reason::ImageChanged { from, to } => {
                write!(
                    f,
                    "image changed ({} -> {})",
                    short_image(from),
                    short_image(to)
                )
            }
            Reason::ImageRefreshed { image } => write!(f, "image {image} is rebuilt or pulled"),
            Reason::NetworkChanged { network } => write!(f, "network {network} attachment changed"),
            Reason::ParentRecreated { service } => {
                write!(f, "shares a namespace with {service}, which is recreated")
            }
            Reason::ForceRecreate => f.write_str("--force-recreate"),
            Reason::DependencyOfSelected => f.write_str("--always-recreate-deps"),
            Reason::DependencyRestarted { service } => {
                write!(
                    f,
                    "depends on {service} (restart: true), which is recreated or restarted"
                )
            }
            Reason::Replacing { name, why } => write!(f, "replacing {name}: {why}"),
            Reason::NotRunning => f.write_str("not running"),
            Reason::ScaledDown { replicas } => write!(f, "scaled down to {replicas}"),
            Reason::Orphan => f.write_str("orphan: its service is not in the project"),
            Reason::OneOff => f.write_str("one-off container (run)"),
            Reason::Leftover => f.write_str("leftover of an interrupted recreate"),
            Reason::InterruptedRecreate => f.write_str("finishing an interrupted recreate"),
            Reason::ImageMissing => f.write_str("image not found locally"),
            Reason::BuildRequested => f.write_str("--build"),
            Reason::PullPolicyBuild => f.write_str("pull_policy: build"),
            Reason::PullAlways => f.write_str("pull policy always"),
            Reason::DependencyCondition => f.write_str("a dependent service waits for it"),
            Reason::Requested => f.write_str("requested"),
        }
    }
}

fn short_image(id: &str) -> &str {
    let s = id.strip_prefix("sha256:").unwrap_or(id);
    short(s)
}

/// An edge: this step waits for `step`. A `soft` edge (a `depends_on` with `required: false`)
/// is satisfied even when `step` fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dep {
    pub step: StepId,
    pub soft: bool,
}

/// One node of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: StepId,
    pub action: Action,
    pub reason: Reason,
    pub deps: Vec<Dep>,
}

/// The state of a container at plan time, for the executor's condition tracking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSnapshot {
    pub service: String,
    pub number: u32,
    pub id: String,
    pub name: String,
    pub state: ContainerState,
    pub health: Option<Health>,
    pub exit_code: Option<i64>,
}

/// Per-service facts the executor needs (for `--wait`, stop timeouts, conditions).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceFacts {
    pub replicas: u32,
    pub has_healthcheck: bool,
    pub stop_grace_period: Option<u64>,
    pub stop_signal: Option<String>,
    /// Some other service waits for it to complete successfully (a one-shot).
    pub is_one_shot: bool,
}

/// The result of planning: steps in topological order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub project: String,
    pub steps: Vec<Step>,
    pub warnings: Vec<String>,
    /// Containers kept as they are, with their state at plan time.
    pub snapshot: Vec<ContainerSnapshot>,
    /// Services in scope, in dependency order.
    pub services: IndexMap<String, ServiceFacts>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Steps that do something (everything but waits).
    pub fn effective_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps
            .iter()
            .filter(|s| !matches!(s.action, Action::Await { .. }))
    }

    /// True when no step changes anything in the engine.
    pub fn is_noop(&self) -> bool {
        self.effective_steps().next().is_none()
    }

    /// The `up --dry-run` text: one line per step, with its reason and what it waits for.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.is_noop() {
            out.push_str("nothing to do\n");
        }
        for s in &self.steps {
            out.push_str(&format!(
                "#{} {} ({})",
                s.id + 1,
                s.action.describe(),
                s.reason
            ));
            if !s.deps.is_empty() {
                let mut deps: Vec<Dep> = s.deps.clone();
                deps.sort();
                let list: Vec<String> = deps
                    .iter()
                    .map(|d| {
                        if d.soft {
                            format!("#{}?", d.step + 1)
                        } else {
                            format!("#{}", d.step + 1)
                        }
                    })
                    .collect();
                out.push_str(&format!(" after {}", list.join(" ")));
            }
            out.push('\n');
        }
        for w in &self.warnings {
            out.push_str(&format!("warning: {w}\n"));
        }
        out
    }

    /// Checks the plan's own invariants: ids are positions, every dependency comes earlier.
    pub fn check_order(&self) -> Result<(), String> {
        for (i, s) in self.steps.iter().enumerate() {
            if s.id != i {
                return Err(format!("step at {i} has id {}", s.id));
            }
            for d in &s.deps {
                if d.step >= i {
                    return Err(format!(
                        "step #{} ({}) waits for #{} which is not earlier",
                        i + 1,
                        s.action.describe(),
                        d.step + 1
                    ));
                }
            }
        }
        Ok(())
    }
}
