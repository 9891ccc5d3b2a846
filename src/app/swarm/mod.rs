//! `stack deploy / ls / ps / services / rm`: a compose project as a Docker Swarm stack, over the
//! engine's swarm area (services, tasks, secrets, configs, overlay networks), with the docker
//! CLI's names and labels so `docker stack` sees our stacks and we see its. [`translate`] is the
//! pure compose -> swarm translation; this module drives the engine: [`deploy_stack`] loads,
//! translates and deploys (create what is missing, update a service only when its spec hash
//! changed, prune, wait), reporting typed [`DeployEvent`]s; the listings return rows filtered
//! as the docker CLI's `--filter`s do. Nothing here prints. Must not import `cli`.

pub mod translate;
#[cfg(test)]
mod translate_tests;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

pub use crate::engine::swarm::{SwarmObjectKind, SwarmPort, SwarmService, SwarmTask};
use crate::engine::types::LabelFilter;
pub use crate::engine::SwarmEngine;
use crate::engine::{ConnectOptions, EngineError};
use crate::loader::{LoadError, LoadOptions};
pub use translate::{translate, Desired, NAMESPACE};

/// Why a stack command failed.
#[derive(Debug, thiserror::Error)]
pub enum SwarmError {
    #[error("this engine is not a swarm manager (swarm state: {state}): stack commands need one. Make this engine a one-node swarm with `docker swarm init` (`docker swarm init --advertise-addr 127.0.0.1` on a machine with several addresses), or join it to a swarm as a manager with `docker swarm join`")]
    NotManager { state: String },
    #[error(transparent)]
    Translate(#[from] translate::TranslateError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("network {0:?} is declared external but does not exist: create it (`docker network create --driver overlay --attachable {0}`)")]
    MissingNetwork(String),
    #[error("{kind} {name:?} is declared external but does not exist: create it first")]
    MissingObject { kind: &'static str, name: String },
    #[error("timed out after {secs}s waiting for service {service} to have {want} running replicas ({running} running){last}")]
    WaitTimeout {
        service: String,
        want: String,
        running: usize,
        secs: u64,
        last: String,
    },
    #[error("nothing found in stack: {0}")]
    NoStack(String),
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error("invalid argument {0:?} for \"-f, --filter\" flag: bad format of filter (expected name=value)")]
    FilterFormat(String),
    #[error("invalid filter '{0}' (this listing takes {1})")]
    FilterKey(String, String),
    #[error("invalid filter '{key}={value}': {why}")]
    FilterValue {
        key: String,
        value: String,
        why: &'static str,
    },
}

pub type SwarmResult<T> = Result<T, SwarmError>;

/// What a deploy did, for the CLI to report.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DeployReport {
    pub created_networks: Vec<String>,
    pub created_objects: Vec<String>,
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub pruned: Vec<String>,
    pub removed_objects: Vec<String>,
    /// The engine's warnings on updates.
    pub engine_warnings: Vec<String>,
}

/// [`deploy`] options.
#[derive(Debug, Clone, Default)]
pub struct DeployOptions {
    pub prune: bool,
    /// Wait for every service's replicas to be running (and healthy), up to this long.
    pub wait: Option<Duration>,
}

/// `stack deploy -c FILE... STACK` options.
#[derive(Debug, Clone, Default)]
pub struct StackDeployOptions {
    /// The compose files and their environment; [`deploy_stack`] sets the project name to the
    /// stack's and loads for swarm.
    pub load: LoadOptions,
    pub stack: String,
    pub deploy: DeployOptions,
}

/// The kinds of object a stack has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackObject {
    Network,
    Secret,
    Config,
    Service,
}

impl StackObject {
    /// The docker CLI's word (`Creating network x`).
    pub fn as_str(&self) -> &'static str {
        match self {
            StackObject::Network => "network",
            StackObject::Secret => "secret",
            StackObject::Config => "config",
            StackObject::Service => "service",
        }
    }

    fn of(kind: SwarmObjectKind) -> StackObject {
        match kind {
            SwarmObjectKind::Secret => StackObject::Secret,
            SwarmObjectKind::Config => StackObject::Config,
        }
    }
}

/// What `stack deploy` reports, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum DeployEvent {
    /// A compose key Swarm cannot express (the service, the key, what was done instead).
    Untranslated(translate::Warning),
    /// Something else worth knowing that does not fail the deploy: a loader warning, the
    /// engine's warning on an update.
    Warning(String),
    /// An object is about to be created.
    Creating { kind: StackObject, name: String },
    /// A service whose spec changed is about to be updated.
    Updating { name: String, id: String },
    /// An object is about to be removed: a service gone from the file (`--prune`), a secret or
    /// config version no service uses any more.
    Removing { kind: StackObject, name: String },
    /// `--wait`: every service has its replicas running (healthy) on its current spec.
    Ready,
}

/// `stack deploy`: requires a swarm manager, loads the compose files, translates them
/// (reporting what Swarm cannot express) and deploys the stack.
pub async fn deploy_stack(
    engine: &dyn SwarmEngine,
    opts: &StackDeployOptions,
    emit: &mut dyn FnMut(DeployEvent),
) -> SwarmResult<DeployReport> {
    require_manager(engine).await?;
    let mut load = opts.load.clone();
    load.project_name = Some(opts.stack.clone());
    load.swarm = true;
    let loaded = crate::loader::load(&load)?;
    for w in &loaded.warnings.0 {
        emit(DeployEvent::Warning(w.to_string()));
    }
    let desired = translate(&loaded.project, &opts.stack, &|p| std::fs::read(p))?;
    for w in &desired.warnings {
        emit(DeployEvent::Untranslated(w.clone()));
    }
    deploy(engine, &opts.stack, desired, &opts.deploy, emit).await
}

/// Connects to the engine `options` name, for its swarm area.
pub async fn connect(
    options: &ConnectOptions,
) -> Result<std::sync::Arc<dyn SwarmEngine>, EngineError> {
    crate::engine::connect_swarm(options).await
}

fn ns(stack: &str) -> LabelFilter {
    LabelFilter::new().with(NAMESPACE, stack)
}

/// Fails with a clear message unless the engine is a swarm manager.
pub async fn require_manager(engine: &dyn SwarmEngine) -> SwarmResult<()> {
    let s = engine.swarm_state().await?;
    if s.manager {
        Ok(())
    } else {
        Err(SwarmError::NotManager {
            state: if s.local_node_state.is_empty() {
                "inactive".into()
            } else {
                s.local_node_state
            },
        })
    }
}

/// Deploys `desired` as stack `stack`.
pub async fn deploy(
    engine: &dyn SwarmEngine,
    stack: &str,
    mut desired: Desired,
    opts: &DeployOptions,
    emit: &mut dyn FnMut(DeployEvent),
) -> SwarmResult<DeployReport> {
    require_manager(engine).await?;
    let mut report = DeployReport::default();
    // Networks.
    let existing: BTreeSet<String> = engine
        .list_networks(&LabelFilter::new())
        .await?
        .into_iter()
        .map(|n| n.name)
        .collect();
    for name in &desired.external_networks {
        if !existing.contains(name) {
            return Err(SwarmError::MissingNetwork(name.clone()));
        }
    }
    for spec in &desired.networks {
        if !existing.contains(&spec.name) {
            emit(DeployEvent::Creating {
                kind: StackObject::Network,
                name: spec.name.clone(),
            });
            engine.create_network(spec).await?;
            report.created_networks.push(spec.name.clone());
        }
    }
    // Secrets and configs.
    let mut ids: BTreeMap<bool, BTreeMap<String, String>> = BTreeMap::new();
    for kind in [SwarmObjectKind::Secret, SwarmObjectKind::Config] {
        let all = engine.list_swarm_objects(kind, &LabelFilter::new()).await?;
        let map = ids.entry(kind == SwarmObjectKind::Secret).or_default();
        for o in all {
            map.insert(o.name, o.id);
        }
    }
    for o in &desired.objects {
        let map = ids.entry(o.kind == SwarmObjectKind::Secret).or_default();
        if map.contains_key(&o.name) {
            continue;
        }
        if o.external {
            return Err(SwarmError::MissingObject {
                kind: if o.kind == SwarmObjectKind::Secret {
                    "secret"
                } else {
                    "config"
                },
                name: o.name.clone(),
            });
        }
        emit(DeployEvent::Creating {
            kind: StackObject::of(o.kind),
            name: o.name.clone(),
        });
        let id = engine
            .create_swarm_object(o.kind, &o.name, &o.labels, &o.data)
            .await?;
        map.insert(o.name.clone(), id);
        report.created_objects.push(o.name.clone());
    }
    // Services.
    let current: BTreeMap<String, SwarmService> = engine
        .list_services(&ns(stack))
        .await?
        .into_iter()
        .map(|s| (s.name.clone(), s))
        .collect();
    let empty = BTreeMap::new();
    for d in &mut desired.services {
        let missing = translate::resolve_ids(
            &mut d.spec,
            ids.get(&true).unwrap_or(&empty),
            ids.get(&false).unwrap_or(&empty),
        );
        if let Some(m) = missing.first() {
            return Err(SwarmError::MissingObject {
                kind: "secret or config",
                name: m.clone(),
            });
        }
        match current.get(&d.name) {
            Some(s) if s.labels.get(translate::SPEC_HASH) == Some(&d.hash) => {
                report.unchanged.push(d.name.clone())
            }
            Some(s) => {
                emit(DeployEvent::Updating {
                    name: d.name.clone(),
                    id: s.id.clone(),
                });
                let w = engine.update_service(&s.id, s.version, &d.spec).await?;
                for w in &w {
                    emit(DeployEvent::Warning(w.clone()));
                }
                report.engine_warnings.extend(w);
                report.updated.push(d.name.clone());
            }
            None => {
                emit(DeployEvent::Creating {
                    kind: StackObject::Service,
                    name: d.name.clone(),
                });
                engine.create_service(&d.spec).await?;
                report.created.push(d.name.clone());
            }
        }
    }
    if opts.prune {
        let keep: BTreeSet<&str> = desired.services.iter().map(|d| d.name.as_str()).collect();
        for (name, s) in &current {
            if !keep.contains(name.as_str()) {
                emit(DeployEvent::Removing {
                    kind: StackObject::Service,
                    name: name.clone(),
                });
                engine.remove_service(&s.id).await?;
                report.pruned.push(name.clone());
            }
        }
    }
    // Old versions of the stack's secrets and configs that no service uses any more.
    let keep: BTreeSet<&str> = desired.objects.iter().map(|o| o.name.as_str()).collect();
    for kind in [SwarmObjectKind::Secret, SwarmObjectKind::Config] {
        for o in engine.list_swarm_objects(kind, &ns(stack)).await? {
            // One still in use (by a service of another stack, say) stays: not an error.
            if !keep.contains(o.name.as_str())
                && engine.remove_swarm_object(kind, &o.id).await.is_ok()
            {
                emit(DeployEvent::Removing {
                    kind: StackObject::of(kind),
                    name: o.name.clone(),
                });
                report.removed_objects.push(o.name);
            }
        }
    }
    if let Some(timeout) = opts.wait {
        wait(engine, stack, &desired, timeout).await?;
        emit(DeployEvent::Ready);
    }
    Ok(report)
}

/// Waits until every desired service has its replicas running (healthy, for a service with a
/// healthcheck: swarm holds a task at `starting` until it is) on its current spec.
pub async fn wait(
    engine: &dyn SwarmEngine,
    stack: &str,
    desired: &Desired,
    timeout: Duration,
) -> SwarmResult<()> {
    let deadline = Instant::now() + timeout;
    loop {
        let services = engine.list_services(&ns(stack)).await?;
        let ids: Vec<String> = services.iter().map(|s| s.id.clone()).collect();
        let tasks = engine.list_tasks(&ids).await?;
        let mut pending = None;
        for d in &desired.services {
            let Some(s) = services.iter().find(|s| s.name == d.name) else {
                continue;
            };
            let mine: Vec<&SwarmTask> = tasks.iter().filter(|t| t.service_id == s.id).collect();
            // Running on the service's current spec (an update is asynchronous: right after
            // it, the old tasks still run).
            let current = comparable(&s.spec["TaskTemplate"]);
            let running = mine
                .iter()
                .filter(|t| {
                    t.desired_state == "running"
                        && t.state == "running"
                        && comparable(&t.spec) == current
                })
                .count();
            let wanted_running = mine.iter().filter(|t| t.desired_state == "running").count();
            // Tasks on their way out (scale down, replaced) must have stopped.
            let leaving = mine
                .iter()
                .filter(|t| t.desired_state != "running" && ACTIVE.contains(&t.state.as_str()))
                .count();
            let done = leaving == 0
                && match d.replicas {
                    Some(n) => running as u64 == n && wanted_running as u64 == n,
                    None => running > 0 && running == wanted_running,
                };
            if !done {
                let mut failed: Vec<&&SwarmTask> =
                    mine.iter().filter(|t| !t.error.is_empty()).collect();
                failed.sort_by(|a, b| a.timestamp.cmp(&b.timestamp));
                let last = failed
                    .last()
                    .map(|t| format!("; the last failed task {} ({}): {}", t.id, t.state, t.error))
                    .unwrap_or_else(|| {
                        mine.iter()
                            .find(|t| t.desired_state == "running" && t.state != "running")
                            .map(|t| format!("; task {} is {} ({})", t.id, t.state, t.message))
                            .unwrap_or_default()
                    });
                pending = Some((d.name.clone(), d.replicas, running, last));
                break;
            }
        }
        let Some((service, want, running, last)) = pending else {
            return Ok(());
        };
        if Instant::now() >= deadline {
            return Err(SwarmError::WaitTimeout {
                service,
                want: want
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "all (global)".into()),
                running,
                secs: timeout.as_secs(),
                last,
            });
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A task spec as the service and its tasks both hold it: the service's copy names its
/// `Runtime`, the tasks' does not; empty objects count as absent.
fn comparable(spec: &serde_json::Value) -> serde_json::Value {
    match spec {
        serde_json::Value::Object(m) => serde_json::Value::Object(
            m.iter()
                .filter(|(k, v)| {
                    k.as_str() != "Runtime" && !v.as_object().is_some_and(|o| o.is_empty())
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Task states before a task has ended.
const ACTIVE: [&str; 8] = [
    "new",
    "allocated",
    "pending",
    "assigned",
    "accepted",
    "preparing",
    "starting",
    "running",
];

/// A stack, as `stack ls` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackSummary {
    pub name: String,
    pub services: usize,
}

/// Every stack on the engine (by the namespace label of its services).
pub async fn list(engine: &dyn SwarmEngine) -> SwarmResult<Vec<StackSummary>> {
    require_manager(engine).await?;
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for s in engine
        .list_services(&LabelFilter::new().has(NAMESPACE))
        .await?
    {
        if let Some(n) = s.labels.get(NAMESPACE) {
            *count.entry(n.clone()).or_default() += 1;
        }
    }
    Ok(count
        .into_iter()
        .map(|(name, services)| StackSummary { name, services })
        .collect())
}

/// `--filter key=value` of `stack ps` / `stack services`, as the docker CLI takes them: values
/// of one key are alternatives, different keys must all match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(Vec<(String, String)>);

impl Filters {
    /// Reads `key=value` arguments; a key not in `allowed` is an error naming the ones that are.
    pub fn parse(args: &[String], allowed: &[&str]) -> SwarmResult<Filters> {
        let mut out = Vec::new();
        for a in args {
            let (k, v) = a
                .split_once('=')
                .ok_or_else(|| SwarmError::FilterFormat(a.clone()))?;
            let k = k.trim().to_ascii_lowercase();
            if !allowed.contains(&k.as_str()) {
                return Err(SwarmError::FilterKey(k, allowed.join(", ")));
            }
            out.push((k, v.to_string()));
        }
        Ok(Filters(out))
    }

    fn values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether the values given for `key` (if any) admit a row: `ok` holds for one of them.
    fn admits(&self, key: &str, ok: impl Fn(&str) -> bool) -> bool {
        let mut any = false;
        for v in self.values(key) {
            if ok(v) {
                return true;
            }
            any = true;
        }
        !any
    }

    fn check(&self, key: &str, valid: &[&str], why: &'static str) -> SwarmResult<()> {
        match self.values(key).find(|v| !valid.contains(v)) {
            Some(v) => Err(SwarmError::FilterValue {
                key: key.into(),
                value: v.into(),
                why,
            }),
            None => Ok(()),
        }
    }
}

/// The filters `stack services` takes.
pub const SERVICE_FILTERS: [&str; 4] = ["id", "label", "mode", "name"];
/// The filters `stack ps` takes.
pub const TASK_FILTERS: [&str; 4] = ["desired-state", "id", "name", "node"];

/// `label=key` or `label=key=value` against `labels`.
fn label_matches(labels: &crate::engine::types::Labels, f: &str) -> bool {
    match f.split_once('=') {
        Some((k, v)) => labels.get(k).is_some_and(|x| x == v),
        None => labels.contains_key(f),
    }
}

/// A service of a stack with its running and desired task counts.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRow {
    pub service: SwarmService,
    pub running: u64,
    pub desired: u64,
}

/// `stack services`: the stack's services (by name) that pass `filters` ([`SERVICE_FILTERS`]).
pub async fn services(
    engine: &dyn SwarmEngine,
    stack: &str,
    filters: &Filters,
) -> SwarmResult<Vec<ServiceRow>> {
    require_manager(engine).await?;
    filters.check(
        "mode",
        &["replicated", "global"],
        "mode is replicated or global",
    )?;
    let services = engine.list_services(&ns(stack)).await?;
    if services.is_empty() {
        return Err(SwarmError::NoStack(stack.into()));
    }
    // The engine counts tasks itself (API 1.41); count them here when it did not.
    let tasks = if services.iter().any(|s| s.running_tasks.is_none()) {
        let ids: Vec<String> = services.iter().map(|s| s.id.clone()).collect();
        engine.list_tasks(&ids).await?
    } else {
        Vec::new()
    };
    Ok(services
        .into_iter()
        .filter(|s| {
            filters.admits("id", |v| s.id.starts_with(v))
                && filters.admits("name", |v| s.name.starts_with(v))
                && filters.admits("label", |v| label_matches(&s.labels, v))
                && filters.admits("mode", |v| (v == "global") == s.replicas.is_none())
        })
        .map(|s| {
            let mine = || tasks.iter().filter(|t| t.service_id == s.id);
            let running = s
                .running_tasks
                .unwrap_or_else(|| mine().filter(|t| t.state == "running").count() as u64);
            let desired = s.desired_tasks.unwrap_or_else(|| {
                s.replicas.unwrap_or_else(|| {
                    mine().filter(|t| t.desired_state != "shutdown").count() as u64
                })
            });
            ServiceRow {
                service: s,
                running,
                desired,
            }
        })
        .collect())
}

/// A task of a stack, with its service's name and its node's.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    /// `<service>.<slot>` (or `<service>.<node id>` for a global service).
    pub name: String,
    /// The node's hostname (empty while the task has no node).
    pub node: String,
    pub task: SwarmTask,
}

/// `stack ps`: the stack's tasks that pass `filters` ([`TASK_FILTERS`]), by name and, within
/// a name (a slot's history), newest first, as the docker CLI orders them.
pub async fn tasks(
    engine: &dyn SwarmEngine,
    stack: &str,
    filters: &Filters,
) -> SwarmResult<Vec<TaskRow>> {
    require_manager(engine).await?;
    filters.check(
        "desired-state",
        &["running", "shutdown", "accepted"],
        "desired-state is running, shutdown or accepted",
    )?;
    let services = engine.list_services(&ns(stack)).await?;
    if services.is_empty() {
        return Err(SwarmError::NoStack(stack.into()));
    }
    let nodes = engine.list_nodes().await?;
    let me = engine.swarm_state().await?.node_id;
    let hostname = |id: &str| {
        nodes
            .iter()
            .find(|n| n.id == id)
            .map(|n| n.hostname.clone())
            .unwrap_or_default()
    };
    let ids: Vec<String> = services.iter().map(|s| s.id.clone()).collect();
    let mut rows: Vec<TaskRow> = engine
        .list_tasks(&ids)
        .await?
        .into_iter()
        .map(|t| {
            let service = services
                .iter()
                .find(|s| s.id == t.service_id)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            let name = match t.slot {
                Some(n) if n > 0 => format!("{service}.{n}"),
                _ => format!("{service}.{}", t.node_id),
            };
            TaskRow {
                name,
                node: hostname(&t.node_id),
                task: t,
            }
        })
        .filter(|r| {
            let t = &r.task;
            filters.admits("id", |v| t.id.starts_with(v))
                && filters.admits("name", |v| r.name.starts_with(v))
                && filters.admits("desired-state", |v| t.desired_state == v)
                && filters.admits("node", |v| {
                    !t.node_id.is_empty()
                        && (t.node_id.starts_with(v)
                            || r.node == v
                            || (v == "self" && t.node_id == me))
                })
        })
        .collect();
    rows.sort_by(|a, b| {
        a.name
            .cmp(&b.name)
            .then(b.task.created_at.cmp(&a.task.created_at))
    });
    Ok(rows)
}

/// What `stack rm` removed.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RemoveReport {
    pub services: Vec<String>,
    pub secrets: Vec<String>,
    pub configs: Vec<String>,
    pub networks: Vec<String>,
}

/// `stack rm`: the stack's services, secrets, configs and networks (not its volumes, as
/// `docker stack rm`). Waits (up to `timeout`) for the tasks to go before removing networks.
pub async fn remove(
    engine: &dyn SwarmEngine,
    stack: &str,
    timeout: Duration,
) -> SwarmResult<RemoveReport> {
    require_manager(engine).await?;
    let mut r = RemoveReport::default();
    let services = engine.list_services(&ns(stack)).await?;
    let networks: Vec<String> = engine
        .list_networks(&ns(stack))
        .await?
        .into_iter()
        .map(|n| n.name)
        .collect();
    let secrets = engine
        .list_swarm_objects(SwarmObjectKind::Secret, &ns(stack))
        .await?;
    let configs = engine
        .list_swarm_objects(SwarmObjectKind::Config, &ns(stack))
        .await?;
    if services.is_empty() && networks.is_empty() && secrets.is_empty() && configs.is_empty() {
        return Err(SwarmError::NoStack(stack.into()));
    }
    let ids: Vec<String> = services.iter().map(|s| s.id.clone()).collect();
    // A service or object that went meanwhile (a prune, another client) is not an error.
    let gone = |res: Result<(), EngineError>| match res {
        Ok(()) | Err(EngineError::NotFound { .. }) => Ok(()),
        Err(e) => Err(e),
    };
    for s in &services {
        gone(engine.remove_service(&s.id).await)?;
        r.services.push(s.name.clone());
    }
    for o in secrets {
        gone(
            engine
                .remove_swarm_object(SwarmObjectKind::Secret, &o.id)
                .await,
        )?;
        r.secrets.push(o.name);
    }
    for o in configs {
        gone(
            engine
                .remove_swarm_object(SwarmObjectKind::Config, &o.id)
                .await,
        )?;
        r.configs.push(o.name);
    }
    // A network goes once the tasks' containers on it are gone.
    let deadline = Instant::now() + timeout;
    if !ids.is_empty() {
        loop {
            let left = engine.list_tasks(&ids).await?;
            if left.is_empty() || Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    for n in networks {
        loop {
            match engine.remove_network(&n).await {
                Ok(()) | Err(EngineError::NotFound { .. }) => break,
                Err(e) if Instant::now() >= deadline => return Err(e.into()),
                Err(_) => tokio::time::sleep(Duration::from_millis(300)).await,
            }
        }
        r.networks.push(n);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn filters_are_alternatives_per_key_and_all_keys_must_match() {
        let f = Filters::parse(&args(&["name=a_web", "name=a_db", "id=12"]), &TASK_FILTERS)
            .expect("parses");
        assert!(f.admits("name", |v| "a_web.1".starts_with(v)));
        assert!(f.admits("name", |v| "a_db.1".starts_with(v)));
        assert!(!f.admits("name", |v| "a_cache.1".starts_with(v)));
        assert!(
            f.admits("node", |_| false),
            "an absent key admits everything"
        );
        assert!(!f.admits("id", |v| "34ab".starts_with(v)));
    }

    #[test]
    fn bad_filters_are_errors_naming_them() {
        let e = Filters::parse(&args(&["colour=red"]), &TASK_FILTERS).unwrap_err();
        assert!(e.to_string().contains("invalid filter 'colour'"), "{e}");
        assert!(
            e.to_string().contains("desired-state, id, name, node"),
            "{e}"
        );
        let e = Filters::parse(&args(&["name"]), &SERVICE_FILTERS).unwrap_err();
        assert!(e.to_string().contains("expected name=value"), "{e}");
        let f = Filters::parse(&args(&["mode=job"]), &SERVICE_FILTERS).expect("parses");
        let e = f
            .check(
                "mode",
                &["replicated", "global"],
                "mode is replicated or global",
            )
            .unwrap_err();
        assert!(e.to_string().contains("mode=job"), "{e}");
    }

    #[test]
    fn labels_match_by_key_or_key_and_value() {
        let l = crate::engine::types::Labels::from([("tier".to_string(), "front".to_string())]);
        assert!(label_matches(&l, "tier"));
        assert!(label_matches(&l, "tier=front"));
        assert!(!label_matches(&l, "tier=back"));
        assert!(!label_matches(&l, "zone"));
    }
}
