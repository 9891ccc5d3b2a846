//! An in-memory [`Engine`] for tests: keeps containers, networks, volumes and images, records every
//! call, emits events, and can be scripted (fail a call, turn healthy after a delay, exit a
//! one-shot with a code, produce logs or exec output).
//!
//! Timers use `tokio::time`, so tests can run with paused time (`#[tokio::test(start_paused =
//! true)]`). The fake answers like Docker 20.10 does where the executor cares: name conflicts,
//! missing images and networks, "port is already allocated", removing a running container,
//! removing a network that has endpoints. It runs no processes: a started container stays running
//! until stopped, killed, or a scripted exit fires. No registry answers unless one is added
//! (`add_registry`): images named after it can then be pushed and pulled back, as with a real one.
//! Must not import `bollard`, `model`, `loader`, `plan`, `exec` or `cli`.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};
use tokio::sync::{broadcast, watch};

use super::archive::{read_entries, EntryKind, Packer};
use super::prelude::*;
use super::types::*;
use super::{EngineError, EngineResult, ObjectKind};

/// One recorded call: the operation (the trait method name without `_container` etc., e.g.
/// `create`, `start`, `network_create`) and its main target (name or id as passed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub op: String,
    pub target: String,
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.op, self.target)
    }
}

#[derive(Debug, Clone)]
struct Failure {
    op: String,
    /// `None` = any target.
    target: Option<String>,
    error: EngineError,
    /// `None` = every time.
    remaining: Option<usize>,
}

#[derive(Debug, Clone)]
struct FakeContainer {
    id: String,
    name: String,
    spec: ContainerSpec,
    state: ContainerState,
    health: Option<HealthStatus>,
    exit_code: i64,
    created: i64,
    /// Bumped on every start/stop so stale timers do nothing.
    generation: u64,
    logs: Vec<LogChunk>,
    networks: BTreeMap<String, EndpointDetails>,
    files: BTreeMap<String, Vec<u8>>,
    restart_count: i64,
}

#[derive(Debug, Clone)]
struct FakeNetwork {
    details: NetworkDetails,
    index: u32,
    next_host: u32,
}

#[derive(Debug, Clone, Default)]
struct ContainerScript {
    health: Option<(Duration, HealthStatus)>,
    exit: Option<(Duration, i64)>,
    stop_exit_code: Option<i64>,
    logs: Vec<LogChunk>,
    exec: Vec<ExecOutput>,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    containers: BTreeMap<String, FakeContainer>,
    networks: BTreeMap<String, FakeNetwork>,
    volumes: BTreeMap<String, VolumeDetails>,
    /// By normalised reference (`busybox:latest`).
    images: BTreeMap<String, ImageDetails>,
    pullable: Vec<String>,
    failures: Vec<Failure>,
    scripts: HashMap<String, ContainerScript>,
    next_id: u64,
    clock: i64,
    /// Registry hosts that answer (`add_registry`).
    registries: Vec<String>,
    /// What was pushed, by normalised reference.
    registry: BTreeMap<String, ImageDetails>,
    /// Exec instances by id (`create_exec`).
    execs: HashMap<String, FakeExec>,
}

/// An exec instance of the fake.
#[derive(Debug, Clone)]
struct FakeExec {
    container: String,
    spec: ExecSpec,
    stdin: bool,
    started: bool,
    running: bool,
    exit_code: Option<i64>,
}

struct Shared {
    state: Mutex<State>,
    events: broadcast::Sender<EngineEvent>,
    changed: watch::Sender<u64>,
}

/// The in-memory engine. Cheap to clone (shared state); hand it out as `Arc<dyn Engine>`.
#[derive(Clone)]
pub struct FakeEngine {
    shared: Arc<Shared>,
}

impl Default for FakeEngine {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for FakeEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FakeEngine")
    }
}

/// Normalises an image reference: `busybox` -> `busybox:latest`.
fn normalize_image(r: &str) -> String {
    if r.starts_with("sha256:") {
        return r.to_string();
    }
    let last = r.rsplit('/').next().unwrap_or(r);
    if last.contains(':') || r.contains('@') {
        r.to_string()
    } else {
        format!("{r}:latest")
    }
}

fn conflict(message: impl Into<String>) -> EngineError {
    EngineError::Conflict {
        message: message.into(),
    }
}

fn hex_id(n: u64, salt: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(format!("{salt}-{n}").as_bytes()))
}

impl FakeEngine {
    /// An empty engine with the `bridge`, `host` and `none` networks and no images.
    pub fn new() -> Self {
        let (events, _) = broadcast::channel(4096);
        let (changed, _) = watch::channel(0);
        let fake = FakeEngine {
            shared: Arc::new(Shared {
                state: Mutex::new(State::default()),
                events,
                changed,
            }),
        };
        {
            let mut st = fake.lock();
            for (i, (name, driver)) in [("bridge", "bridge"), ("host", "host"), ("none", "null")]
                .into_iter()
                .enumerate()
            {
                let id = hex_id(i as u64, "builtin-network");
                st.networks.insert(
                    name.to_string(),
                    FakeNetwork {
                        details: NetworkDetails {
                            id,
                            name: name.to_string(),
                            driver: driver.to_string(),
                            ..Default::default()
                        },
                        index: 17 + i as u32,
                        next_host: 2,
                    },
                );
            }
        }
        fake
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn notify(&self) {
        self.shared.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    fn emit(&self, event: EngineEvent) {
        let _ = self.shared.events.send(event);
    }

    // ----- scripting -----

    /// Adds a local image (`busybox` means `busybox:latest`).
    pub fn add_image(&self, reference: &str) {
        let mut st = self.lock();
        st.next_id += 1;
        let r = normalize_image(reference);
        let id = format!("sha256:{}", hex_id(st.next_id, &r));
        st.images.insert(
            r.clone(),
            ImageDetails {
                id,
                repo_tags: vec![r],
                ..Default::default()
            },
        );
    }

    /// Lets `pull_image` succeed for this reference (by default every pull fails, as with no
    /// registry).
    pub fn allow_pull(&self, reference: &str) {
        self.lock().pullable.push(normalize_image(reference));
    }

    /// Makes the registry at `host` (`127.0.0.1:5000`) reachable: images named after it can be
    /// pushed there and pulled back (by default no registry answers, as without a network).
    pub fn add_registry(&self, host: &str) {
        self.lock().registries.push(host.to_string());
    }

    /// Makes every call `op` on `target` (any target when `None`) fail with `error`.
    pub fn fail(&self, op: &str, target: Option<&str>, error: EngineError) {
        self.lock().failures.push(Failure {
            op: op.to_string(),
            target: target.map(str::to_string),
            error,
            remaining: None,
        });
    }

    /// Makes the next call `op` on `target` fail once with `error`.
    pub fn fail_once(&self, op: &str, target: Option<&str>, error: EngineError) {
        self.lock().failures.push(Failure {
            op: op.to_string(),
            target: target.map(str::to_string),
            error,
            remaining: Some(1),
        });
    }

    /// After each start, the container named `name` reports `status` after `after` (instead of
    /// turning healthy after its healthcheck interval).
    pub fn script_health(&self, name: &str, after: Duration, status: HealthStatus) {
        self.lock()
            .scripts
            .entry(name.to_string())
            .or_default()
            .health = Some((after, status));
    }

    /// After each start, the container named `name` exits with `code` after `after`.
    pub fn script_exit(&self, name: &str, after: Duration, code: i64) {
        self.lock()
            .scripts
            .entry(name.to_string())
            .or_default()
            .exit = Some((after, code));
    }

    /// Exit code the container named `name` reports after `stop` (default 0).
    pub fn script_stop_exit_code(&self, name: &str, code: i64) {
        self.lock()
            .scripts
            .entry(name.to_string())
            .or_default()
            .stop_exit_code = Some(code);
    }

    /// Output the container named `name` writes when it starts.
    pub fn script_logs(&self, name: &str, chunks: Vec<(LogStream, &str)>) {
        self.lock()
            .scripts
            .entry(name.to_string())
            .or_default()
            .logs = chunks
            .into_iter()
            .map(|(stream, text)| LogChunk {
                stream,
                bytes: Bytes::copy_from_slice(text.as_bytes()),
            })
            .collect();
    }

    /// Queues the result of the next exec in the container named `name`.
    pub fn script_exec(&self, name: &str, output: ExecOutput) {
        self.lock()
            .scripts
            .entry(name.to_string())
            .or_default()
            .exec
            .push(output);
    }

    // ----- observation -----

    /// Every call so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Calls of one operation, as their targets.
    pub fn calls_of(&self, op: &str) -> Vec<String> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.op == op)
            .map(|c| c.target.clone())
            .collect()
    }

    /// Forgets the recorded calls.
    pub fn clear_calls(&self) {
        self.lock().calls.clear();
    }

    /// The spec a container was created with.
    pub fn container_spec(&self, id_or_name: &str) -> Option<ContainerSpec> {
        let st = self.lock();
        find_id(&st, id_or_name).and_then(|id| st.containers.get(&id).map(|c| c.spec.clone()))
    }

    /// Names of all containers, sorted.
    pub fn container_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .lock()
            .containers
            .values()
            .map(|c| c.name.clone())
            .collect();
        v.sort();
        v
    }

    /// Names of all networks, sorted (including `bridge`, `host`, `none`).
    pub fn network_names(&self) -> Vec<String> {
        self.lock().networks.keys().cloned().collect()
    }

    /// Names of all volumes, sorted.
    pub fn volume_names(&self) -> Vec<String> {
        self.lock().volumes.keys().cloned().collect()
    }

    /// Normalised references of all images, sorted.
    pub fn image_names(&self) -> Vec<String> {
        self.lock().images.keys().cloned().collect()
    }

    // ----- internals -----

    /// Records the call and returns a scripted failure if one matches.
    fn enter(&self, st: &mut State, op: &str, target: &str) -> EngineResult<()> {
        st.calls.push(Call {
            op: op.to_string(),
            target: target.to_string(),
        });
        let resolved = find_id(st, target).and_then(|id| {
            st.containers
                .get(&id)
                .map(|c| (c.id.clone(), c.name.clone()))
        });
        let matches = |f: &Failure| {
            f.op == op
                && match &f.target {
                    None => true,
                    Some(t) => {
                        t == target
                            || resolved
                                .as_ref()
                                .is_some_and(|(id, name)| t == id || t == name)
                    }
                }
        };
        let Some(pos) = st.failures.iter().position(matches) else {
            return Ok(());
        };
        let Some(failure) = st.failures.get_mut(pos) else {
            return Ok(());
        };
        let error = failure.error.clone();
        if let Some(n) = failure.remaining.as_mut() {
            *n = n.saturating_sub(1);
            if *n == 0 {
                st.failures.remove(pos);
            }
        }
        Err(error)
    }

    fn container_event(&self, c: &FakeContainer, action: EventAction, st: &mut State) {
        let mut attributes = c.spec.labels.clone();
        attributes.insert("name".to_string(), c.name.clone());
        attributes.insert("image".to_string(), c.spec.image.clone());
        let exit_code = matches!(action, EventAction::Die).then_some(c.exit_code);
        if let Some(code) = exit_code {
            attributes.insert("exitCode".to_string(), code.to_string());
        }
        st.clock += 1;
        self.emit(EngineEvent {
            kind: EventKind::Container,
            action,
            id: c.id.clone(),
            name: Some(c.name.clone()),
            attributes,
            exit_code,
            time_nano: st.clock,
        });
    }

    fn object_event(&self, kind: EventKind, action: EventAction, id: &str, name: &str) {
        let mut attributes = Labels::new();
        attributes.insert("name".to_string(), name.to_string());
        self.emit(EngineEvent {
            kind,
            action,
            id: id.to_string(),
            name: Some(name.to_string()),
            attributes,
            exit_code: None,
            time_nano: 0,
        });
    }

    /// Moves a container to a stopped state and emits `die` (and `stop` when asked).
    fn exit_container(&self, st: &mut State, id: &str, code: i64, stop_event: bool) {
        let Some(c) = st.containers.get_mut(id) else {
            return;
        };
        if !c.state.is_up() {
            return;
        }
        c.state = ContainerState::Exited;
        c.exit_code = code;
        c.health = None;
        c.generation += 1;
        let snapshot = c.clone();
        self.container_event(&snapshot, EventAction::Die, st);
        if stop_event {
            self.container_event(&snapshot, EventAction::Stop, st);
        }
        if snapshot.spec.auto_remove {
            // Like the engine, remove it a moment after it exits (attached readers get the
            // rest of its output first).
            if tokio::runtime::Handle::try_current().is_ok() {
                let me = self.clone();
                let id = id.to_string();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let mut st = me.lock();
                    me.auto_remove(&mut st, &id);
                    drop(st);
                    me.notify();
                });
            } else {
                self.auto_remove(st, id);
            }
        }
    }

    fn auto_remove(&self, st: &mut State, id: &str) {
        let Some(c) = st.containers.get(id).cloned() else {
            return;
        };
        if c.state.is_up() {
            return;
        }
        for net in st.networks.values_mut() {
            net.details.containers.remove(id);
        }
        st.containers.remove(id);
        self.container_event(&c, EventAction::Destroy, st);
    }

    fn spawn_timers(&self, st: &State, id: &str) {
        // Timers need a tokio runtime; without one (a foreign executor) nothing is scheduled.
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let Some(c) = st.containers.get(id) else {
            return;
        };
        let script = st.scripts.get(&c.name).cloned().unwrap_or_default();
        let generation = c.generation;
        let health = match (&c.spec.healthcheck, script.health) {
            (_, Some(h)) => Some(h),
            (Some(hc), None) if !hc.is_disabled() => Some((
                hc.start_interval
                    .filter(|_| hc.start_period.is_some())
                    .or(hc.interval)
                    .unwrap_or(Duration::from_secs(30)),
                HealthStatus::Healthy,
            )),
            _ => None,
        };
        if let Some((after, status)) = health {
            let me = self.clone();
            let id = id.to_string();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                let mut st = me.lock();
                let Some(c) = st.containers.get_mut(&id) else {
                    return;
                };
                if c.generation != generation || c.state != ContainerState::Running {
                    return;
                }
                c.health = Some(status);
                let snapshot = c.clone();
                me.container_event(&snapshot, EventAction::HealthStatus(status), &mut st);
                drop(st);
                me.notify();
            });
        }
        if let Some((after, code)) = script.exit {
            let me = self.clone();
            let id = id.to_string();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                let mut st = me.lock();
                let current = st.containers.get(&id).map(|c| c.generation);
                if current != Some(generation) {
                    return;
                }
                me.exit_container(&mut st, &id, code, false);
                drop(st);
                me.notify();
            });
        }
    }

    fn attach(
        st: &mut State,
        container_id: &str,
        attachment: &NetworkAttachment,
    ) -> EngineResult<()> {
        let Some(net) = st.networks.get_mut(&attachment.network).or(None) else {
            return Err(EngineError::not_found(
                ObjectKind::Network,
                &attachment.network,
            ));
        };
        let ip = match &attachment.ipv4_address {
            Some(ip) => ip.clone(),
            None => {
                net.next_host += 1;
                format!("172.{}.0.{}", net.index, net.next_host)
            }
        };
        let endpoint = EndpointDetails {
            network_id: net.details.id.clone(),
            ip_address: ip.clone(),
            ipv6_address: attachment.ipv6_address.clone().unwrap_or_default(),
            gateway: format!("172.{}.0.1", net.index),
            mac_address: attachment.mac_address.clone().unwrap_or_default(),
            aliases: attachment.aliases.clone(),
        };
        let network_name = net.details.name.clone();
        let Some(c) = st.containers.get_mut(container_id) else {
            return Err(EngineError::not_found(ObjectKind::Container, container_id));
        };
        if c.networks.contains_key(&network_name) {
            return Err(EngineError::Api {
                status: 403,
                message: format!(
                    "endpoint with name {} already exists in network {network_name}",
                    c.name
                ),
            });
        }
        c.networks.insert(network_name.clone(), endpoint);
        let name = c.name.clone();
        if let Some(net) = st.networks.get_mut(&network_name) {
            net.details
                .containers
                .insert(container_id.to_string(), (name, ip));
        }
        Ok(())
    }
}

/// Resolves an id, a name, or a unique id prefix to the container id.
fn find_id(st: &State, key: &str) -> Option<String> {
    let key = key.strip_prefix('/').unwrap_or(key);
    if st.containers.contains_key(key) {
        return Some(key.to_string());
    }
    if let Some(c) = st.containers.values().find(|c| c.name == key) {
        return Some(c.id.clone());
    }
    if key.len() >= 4 {
        let mut found = st.containers.keys().filter(|id| id.starts_with(key));
        if let (Some(id), None) = (found.next(), found.next()) {
            return Some(id.clone());
        }
    }
    None
}

fn find_network<'a>(st: &'a State, key: &str) -> Option<&'a FakeNetwork> {
    st.networks
        .get(key)
        .or_else(|| st.networks.values().find(|n| n.details.id == key))
}

fn find_image(st: &State, key: &str) -> Option<ImageDetails> {
    st.images
        .get(&normalize_image(key))
        .or_else(|| {
            st.images.values().find(|i| {
                i.id == key
                    || i.id
                        .strip_prefix("sha256:")
                        .is_some_and(|h| h.starts_with(key) && key.len() >= 4)
            })
        })
        .cloned()
}

fn require(st: &State, id: &str) -> EngineResult<String> {
    find_id(st, id).ok_or_else(|| EngineError::not_found(ObjectKind::Container, id))
}

/// The mounts of a fake container as the engine reports them (volumes on the `local` driver).
fn mount_points(c: &FakeContainer) -> Vec<MountPoint> {
    c.spec
        .mounts
        .iter()
        .map(|m| MountPoint {
            kind: match m.kind {
                MountKind::Bind { .. } => "bind",
                MountKind::Volume { .. } => "volume",
                MountKind::Tmpfs { .. } => "tmpfs",
                MountKind::Npipe => "npipe",
            }
            .to_string(),
            name: match m.kind {
                MountKind::Volume { .. } => m.source.clone(),
                _ => None,
            },
            source: m.source.clone().unwrap_or_default(),
            destination: m.target.clone(),
            read_only: m.read_only,
            driver: match m.kind {
                MountKind::Volume { .. } => "local".to_string(),
                _ => String::new(),
            },
        })
        .collect()
}

fn summary_of(c: &FakeContainer) -> ContainerSummary {
    let status = match &c.state {
        ContainerState::Running => match c.health {
            Some(h) => format!(
                "Up ({})",
                if h == HealthStatus::Starting {
                    "health: starting"
                } else {
                    h.as_str()
                }
            ),
            None => "Up".to_string(),
        },
        ContainerState::Paused => "Up (Paused)".to_string(),
        ContainerState::Exited => format!("Exited ({})", c.exit_code),
        ContainerState::Created => "Created".to_string(),
        other => other.to_string(),
    };
    ContainerSummary {
        id: c.id.clone(),
        names: vec![c.name.clone()],
        image: c.spec.image.clone(),
        image_id: String::new(),
        labels: c.spec.labels.clone(),
        state: c.state.clone(),
        status,
        health: c.health,
        created: c.created,
        networks: c.networks.keys().cloned().collect(),
        command: c
            .spec
            .entrypoint
            .iter()
            .flatten()
            .chain(c.spec.cmd.iter().flatten())
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        ports: fake_ports(c),
        mounts: mount_points(c),
    }
}

/// The ports a fake container publishes while it is up (ephemeral ones from 32768 on).
fn fake_ports(c: &FakeContainer) -> Vec<PortMapping> {
    let mut ports = Vec::new();
    if c.state.is_up() {
        for (i, p) in c.spec.ports.iter().enumerate() {
            let host_port = match p.host_port {
                HostPort::Port(n) | HostPort::Range(n, _) => n,
                HostPort::Ephemeral => 32768u16.saturating_add(i as u16),
            };
            ports.push(PortMapping {
                container: p.container,
                host_ip: p.host_ip.clone().unwrap_or_else(|| "0.0.0.0".to_string()),
                host_port,
            });
        }
    }
    ports
}

fn details_of(c: &FakeContainer, image_id: String) -> ContainerDetails {
    let health = c.health.map(|status| HealthDetails {
        status,
        failing_streak: i64::from(status == HealthStatus::Unhealthy),
        log: Vec::new(),
    });
    let mut env: Vec<String> = c
        .spec
        .env
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k.clone(),
        })
        .collect();
    env.sort();
    let ports = fake_ports(c);
    ContainerDetails {
        id: c.id.clone(),
        name: c.name.clone(),
        image: c.spec.image.clone(),
        image_id,
        created: c.created.to_string(),
        labels: c.spec.labels.clone(),
        state: StateDetails {
            status: c.state.clone(),
            running: c.state.is_up(),
            paused: c.state == ContainerState::Paused,
            restarting: false,
            oom_killed: false,
            dead: false,
            pid: if c.state.is_up() { 1000 } else { 0 },
            exit_code: c.exit_code,
            error: String::new(),
            started_at: String::new(),
            finished_at: String::new(),
            health,
        },
        tty: c.spec.tty,
        stdin_open: c.spec.stdin_open,
        restart_count: c.restart_count,
        env,
        cmd: c.spec.cmd.clone().unwrap_or_default(),
        entrypoint: c.spec.entrypoint.clone().unwrap_or_default(),
        hostname: c
            .spec
            .hostname
            .clone()
            .unwrap_or_else(|| c.id.chars().take(12).collect()),
        network_mode: c
            .spec
            .network_mode
            .clone()
            .or_else(|| c.spec.networks.first().map(|n| n.network.clone()))
            .unwrap_or_else(|| "default".to_string()),
        mounts: mount_points(c),
        networks: c.networks.clone(),
        ports,
    }
}

/// Whether a running container other than `except` already holds this host port.
fn port_taken(st: &State, except: &str, p: &PortBinding) -> bool {
    let HostPort::Port(port) = p.host_port else {
        return false;
    };
    let ip = p.host_ip.as_deref().unwrap_or("0.0.0.0");
    st.containers.values().any(|c| {
        c.id != except
            && c.state.is_up()
            && c.spec.ports.iter().any(|q| {
                let q_ip = q.host_ip.as_deref().unwrap_or("0.0.0.0");
                q.host_port == HostPort::Port(port)
                    && q.container.protocol == p.container.protocol
                    && (q_ip == ip || q_ip == "0.0.0.0" || ip == "0.0.0.0")
            })
    })
}

#[async_trait]
impl Engine for FakeEngine {
    /// Unique per fake (clones share it), so fakes never share a project lock.
    fn address(&self) -> String {
        format!("fake://{:p}", Arc::as_ptr(&self.shared))
    }

    async fn ping(&self) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "ping", "")
    }

    async fn version(&self) -> EngineResult<EngineVersion> {
        let mut st = self.lock();
        self.enter(&mut st, "version", "")?;
        Ok(EngineVersion {
            version: "20.10.24-fake".to_string(),
            api_version: "1.41".to_string(),
            min_api_version: "1.12".to_string(),
            os: "linux".to_string(),
            arch: "amd64".to_string(),
        })
    }

    fn events(&self, filter: &EventFilter) -> BoxStream<'static, EngineResult<EngineEvent>> {
        {
            let mut st = self.lock();
            if let Err(e) = self.enter(&mut st, "events", "") {
                return stream::once(async move { Err(e) }).boxed();
            }
        }
        let rx = self.shared.events.subscribe();
        let filter = filter.clone();
        stream::unfold(rx, move |mut rx| {
            let filter = filter.clone();
            async move {
                loop {
                    match rx.recv().await {
                        Ok(event) => {
                            let kind = match &event.kind {
                                EventKind::Container => "container",
                                EventKind::Network => "network",
                                EventKind::Volume => "volume",
                                EventKind::Image => "image",
                                EventKind::Other(s) => s.as_str(),
                            };
                            if (filter.kinds.is_empty() || filter.kinds.iter().any(|k| k == kind))
                                && filter.labels.matches(&event.attributes)
                            {
                                return Some((Ok(event), rx));
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            }
        })
        .boxed()
    }
}

#[async_trait]
impl Containers for FakeEngine {
    async fn list_containers(&self, filter: &LabelFilter) -> EngineResult<Vec<ContainerSummary>> {
        let mut st = self.lock();
        self.enter(&mut st, "list_containers", "")?;
        let mut v: Vec<ContainerSummary> = st
            .containers
            .values()
            .filter(|c| filter.matches(&c.spec.labels))
            .map(summary_of)
            .collect();
        v.sort_by_key(|c| std::cmp::Reverse(c.created));
        Ok(v)
    }

    async fn inspect_container(&self, id: &str) -> EngineResult<ContainerDetails> {
        let mut st = self.lock();
        self.enter(&mut st, "inspect", id)?;
        let cid = require(&st, id)?;
        let c = st
            .containers
            .get(&cid)
            .ok_or_else(|| EngineError::not_found(ObjectKind::Container, id))?;
        let image_id = find_image(&st, &c.spec.image)
            .map(|i| i.id)
            .unwrap_or_default();
        Ok(details_of(c, image_id))
    }

    async fn create_container(&self, spec: &ContainerSpec) -> EngineResult<String> {
        let mut st = self.lock();
        self.enter(&mut st, "create", &spec.name)?;
        if st.containers.values().any(|c| c.name == spec.name) {
            return Err(conflict(format!(
                "Conflict. The container name \"/{}\" is already in use by another container. \
                 You have to remove (or rename) that container to be able to reuse that name.",
                spec.name
            )));
        }
        if find_image(&st, &spec.image).is_none() {
            return Err(EngineError::NotFound {
                kind: ObjectKind::Image,
                name: spec.image.clone(),
                message: format!("No such image: {}", spec.image),
            });
        }
        if spec.network_mode.is_none() {
            for n in &spec.networks {
                if find_network(&st, &n.network).is_none() {
                    return Err(EngineError::not_found(ObjectKind::Network, &n.network));
                }
            }
        }
        st.next_id += 1;
        st.clock += 1;
        let id = hex_id(st.next_id, &spec.name);
        // Named volumes are created on the fly, like the engine does.
        for m in &spec.mounts {
            if let (MountKind::Volume { driver, labels, .. }, Some(name)) = (&m.kind, &m.source) {
                if !st.volumes.contains_key(name) {
                    st.volumes.insert(
                        name.clone(),
                        VolumeDetails {
                            name: name.clone(),
                            driver: driver.clone().unwrap_or_else(|| "local".to_string()),
                            labels: labels.clone(),
                            options: Labels::new(),
                            mountpoint: format!("/var/lib/docker/volumes/{name}/_data"),
                            scope: "local".to_string(),
                        },
                    );
                }
            }
        }
        let container = FakeContainer {
            id: id.clone(),
            name: spec.name.clone(),
            spec: spec.clone(),
            state: ContainerState::Created,
            health: None,
            exit_code: 0,
            created: st.clock,
            generation: 0,
            logs: Vec::new(),
            networks: BTreeMap::new(),
            files: BTreeMap::new(),
            restart_count: 0,
        };
        st.containers.insert(id.clone(), container);
        if spec.network_mode.is_none() {
            for n in &spec.networks {
                if let Err(e) = Self::attach(&mut st, &id, n) {
                    st.containers.remove(&id);
                    return Err(e);
                }
            }
        }
        if let Some(c) = st.containers.get(&id).cloned() {
            self.container_event(&c, EventAction::Create, &mut st);
        }
        drop(st);
        self.notify();
        Ok(id)
    }

    async fn start_container(&self, id: &str) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "start", id)?;
        let cid = require(&st, id)?;
        let Some(c) = st.containers.get(&cid).cloned() else {
            return Err(EngineError::not_found(ObjectKind::Container, id));
        };
        if c.state.is_up() {
            return Ok(());
        }
        // Like the engine, `container:<x>` modes are resolved at start, not at create.
        for mode in [&c.spec.network_mode, &c.spec.pid, &c.spec.ipc]
            .into_iter()
            .flatten()
        {
            if let Some(other) = mode.strip_prefix("container:") {
                let running = find_id(&st, other)
                    .and_then(|o| st.containers.get(&o))
                    .map(|o| o.state.is_up());
                match running {
                    None => {
                        return Err(EngineError::NotFound {
                            kind: ObjectKind::Container,
                            name: other.to_string(),
                            message: format!("No such container: {other}"),
                        })
                    }
                    Some(false) => {
                        return Err(conflict(format!(
                            "cannot join namespace of a non running container: {other}"
                        )))
                    }
                    Some(true) => {}
                }
            }
        }
        for p in &c.spec.ports {
            if port_taken(&st, &cid, p) {
                let address = format!(
                    "{}:{}",
                    p.host_ip.as_deref().unwrap_or("0.0.0.0"),
                    p.host_port.to_docker_string()
                );
                return Err(EngineError::PortInUse {
                    message: format!(
                        "driver failed programming external connectivity on endpoint {}: \
                         Bind for {address} failed: port is already allocated",
                        c.name,
                    ),
                    address,
                });
            }
        }
        let script_logs = st
            .scripts
            .get(&c.name)
            .map(|s| s.logs.clone())
            .unwrap_or_default();
        let Some(c) = st.containers.get_mut(&cid) else {
            return Err(EngineError::not_found(ObjectKind::Container, id));
        };
        c.state = ContainerState::Running;
        c.exit_code = 0;
        c.generation += 1;
        c.health = c
            .spec
            .healthcheck
            .as_ref()
            .filter(|h| !h.is_disabled())
            .map(|_| HealthStatus::Starting);
        c.logs.extend(script_logs);
        let snapshot = c.clone();
        self.container_event(&snapshot, EventAction::Start, &mut st);
        self.spawn_timers(&st, &cid);
        drop(st);
        self.notify();
        Ok(())
    }

    async fn stop_container(&self, id: &str, _options: &StopOptions) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "stop", id)?;
        let cid = require(&st, id)?;
        let name = st
            .containers
            .get(&cid)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let code = st
            .scripts
            .get(&name)
            .and_then(|s| s.stop_exit_code)
            .unwrap_or(0);
        if let Some(c) = st.containers.get(&cid).cloned() {
            if c.state.is_up() {
                self.container_event(&c, EventAction::Kill, &mut st);
            }
        }
        self.exit_container(&mut st, &cid, code, true);
        drop(st);
        self.notify();
        Ok(())
    }

    async fn kill_container(&self, id: &str, signal: Option<&str>) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "kill", id)?;
        let cid = require(&st, id)?;
        let Some(c) = st.containers.get(&cid).cloned() else {
            return Err(EngineError::not_found(ObjectKind::Container, id));
        };
        if !c.state.is_up() {
            return Err(conflict(format!("Container {} is not running", c.id)));
        }
        self.container_event(&c, EventAction::Kill, &mut st);
        let signal = signal.unwrap_or("SIGKILL").trim_start_matches("SIG");
        let code = match signal {
            "KILL" | "9" => 137,
            "TERM" | "15" => 143,
            "INT" | "2" => 130,
            // Other signals (HUP, USR1...) are assumed to be handled by the process.
            _ => return Ok(()),
        };
        self.exit_container(&mut st, &cid, code, false);
        drop(st);
        self.notify();
        Ok(())
    }

    async fn remove_container(&self, id: &str, options: RemoveOptions) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "remove", id)?;
        let cid = require(&st, id)?;
        let Some(c) = st.containers.get(&cid).cloned() else {
            return Err(EngineError::not_found(ObjectKind::Container, id));
        };
        if c.state.is_up() {
            if !options.force {
                return Err(conflict(format!(
                    "You cannot remove a running container {}. Stop the container before \
                     attempting removal or force remove",
                    c.id
                )));
            }
            self.exit_container(&mut st, &cid, 137, false);
        }
        for net in st.networks.values_mut() {
            net.details.containers.remove(&cid);
        }
        st.containers.remove(&cid);
        self.container_event(&c, EventAction::Destroy, &mut st);
        drop(st);
        self.notify();
        Ok(())
    }

    async fn rename_container(&self, id: &str, new_name: &str) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "rename", id)?;
        let cid = require(&st, id)?;
        if st
            .containers
            .values()
            .any(|c| c.name == new_name && c.id != cid)
        {
            return Err(conflict(format!(
                "Conflict. The container name \"/{new_name}\" is already in use"
            )));
        }
        if let Some(c) = st.containers.get_mut(&cid) {
            c.name = new_name.to_string();
            c.spec.name = new_name.to_string();
            let snapshot = c.clone();
            self.container_event(&snapshot, EventAction::Rename, &mut st);
        }
        Ok(())
    }

    async fn pause_container(&self, id: &str) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "pause", id)?;
        let cid = require(&st, id)?;
        let Some(c) = st.containers.get_mut(&cid) else {
            return Err(EngineError::not_found(ObjectKind::Container, id));
        };
        match c.state {
            ContainerState::Running => c.state = ContainerState::Paused,
            ContainerState::Paused => {
                return Err(conflict(format!("Container {} is already paused", c.id)))
            }
            _ => return Err(conflict(format!("Container {} is not running", c.id))),
        }
        let snapshot = c.clone();
        self.container_event(&snapshot, EventAction::Pause, &mut st);
        drop(st);
        self.notify();
        Ok(())
    }

    async fn unpause_container(&self, id: &str) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "unpause", id)?;
        let cid = require(&st, id)?;
        let Some(c) = st.containers.get_mut(&cid) else {
            return Err(EngineError::not_found(ObjectKind::Container, id));
        };
        if c.state != ContainerState::Paused {
            return Err(conflict(format!("Container {} is not paused", c.id)));
        }
        c.state = ContainerState::Running;
        let snapshot = c.clone();
        self.container_event(&snapshot, EventAction::Unpause, &mut st);
        drop(st);
        self.notify();
        Ok(())
    }

    async fn restart_container(&self, id: &str, timeout: Option<i64>) -> EngineResult<()> {
        {
            let mut st = self.lock();
            self.enter(&mut st, "restart", id)?;
            let cid = require(&st, id)?;
            if let Some(c) = st.containers.get_mut(&cid) {
                c.restart_count += 1;
            }
        }
        self.stop_container(
            id,
            &StopOptions {
                timeout,
                signal: None,
            },
        )
        .await?;
        self.start_container(id).await?;
        let mut st = self.lock();
        if let Some(cid) = find_id(&st, id) {
            if let Some(c) = st.containers.get(&cid).cloned() {
                self.container_event(&c, EventAction::Restart, &mut st);
            }
        }
        Ok(())
    }

    async fn wait_container(&self, id: &str, condition: WaitCondition) -> EngineResult<i64> {
        let mut changed = self.shared.changed.subscribe();
        let (cid, start_gen) = {
            let mut st = self.lock();
            self.enter(&mut st, "wait", id)?;
            let cid = require(&st, id)?;
            let generation = st.containers.get(&cid).map(|c| c.generation).unwrap_or(0);
            (cid, generation)
        };
        loop {
            {
                let st = self.lock();
                match (st.containers.get(&cid), condition) {
                    (None, _) => return Ok(0),
                    (Some(_), WaitCondition::Removed) => {}
                    (Some(c), WaitCondition::NotRunning) if !c.state.is_up() => {
                        return Ok(c.exit_code)
                    }
                    (Some(c), WaitCondition::NextExit)
                        if !c.state.is_up() && c.generation != start_gen =>
                    {
                        return Ok(c.exit_code)
                    }
                    _ => {}
                }
            }
            if changed.changed().await.is_err() {
                return Err(EngineError::Client("fake engine dropped".to_string()));
            }
        }
    }

    fn logs(&self, id: &str, options: &LogOptions) -> BoxStream<'static, EngineResult<LogChunk>> {
        let (cid, snapshot) = {
            let mut st = self.lock();
            if let Err(e) = self.enter(&mut st, "logs", id) {
                return stream::once(async move { Err(e) }).boxed();
            }
            match require(&st, id) {
                Ok(cid) => {
                    let logs = st
                        .containers
                        .get(&cid)
                        .map(|c| c.logs.clone())
                        .unwrap_or_default();
                    (cid, logs)
                }
                Err(e) => return stream::once(async move { Err(e) }).boxed(),
            }
        };
        let skip = match options.tail {
            Some(n) => snapshot
                .len()
                .saturating_sub(usize::try_from(n).unwrap_or(usize::MAX)),
            None => 0,
        };
        if !options.follow {
            return stream::iter(snapshot.into_iter().skip(skip).map(Ok)).boxed();
        }
        let me = self.clone();
        let changed = self.shared.changed.subscribe();
        stream::unfold((skip, changed), move |(mut index, mut changed)| {
            let me = me.clone();
            let cid = cid.clone();
            async move {
                loop {
                    {
                        let st = me.lock();
                        let c = st.containers.get(&cid)?;
                        if let Some(chunk) = c.logs.get(index) {
                            index += 1;
                            return Some((Ok(chunk.clone()), (index, changed)));
                        }
                        if !c.state.is_up() {
                            return None;
                        }
                    }
                    changed.changed().await.ok()?;
                }
            }
        })
        .boxed()
    }

    async fn stats(&self, id: &str) -> EngineResult<ContainerStats> {
        let mut st = self.lock();
        self.enter(&mut st, "stats", id)?;
        let cid = require(&st, id)?;
        let running = st
            .containers
            .get(&cid)
            .is_some_and(|c| c.state == ContainerState::Running);
        // A running container uses a little of everything; a stopped one, nothing.
        Ok(if running {
            ContainerStats {
                cpu_total: 2_000_000,
                precpu_total: 1_000_000,
                system_cpu: 2_000_000_000,
                presystem_cpu: 1_000_000_000,
                online_cpus: 2,
                mem_usage: 2 * 1024 * 1024,
                mem_limit: 1024 * 1024 * 1024,
                pids: 1,
                ..Default::default()
            }
        } else {
            ContainerStats::default()
        })
    }

    async fn top_processes(&self, id: &str) -> EngineResult<ProcessList> {
        let mut st = self.lock();
        self.enter(&mut st, "top", id)?;
        let cid = require(&st, id)?;
        let Some(c) = st.containers.get(&cid) else {
            return Err(EngineError::not_found(ObjectKind::Container, id));
        };
        if !c.state.is_up() {
            return Err(conflict(format!("Container {} is not running", c.id)));
        }
        let cmd = summary_of(c).command;
        let titles = ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"];
        let row = [
            "root",
            "1000",
            "999",
            "0",
            "00:00",
            "?",
            "00:00:00",
            cmd.as_str(),
        ];
        Ok(ProcessList {
            titles: titles.iter().map(|t| t.to_string()).collect(),
            processes: vec![row.iter().map(|v| v.to_string()).collect()],
        })
    }
}

#[async_trait]
impl Sessions for FakeEngine {
    async fn exec(&self, id: &str, spec: &ExecSpec) -> EngineResult<ExecOutput> {
        let mut st = self.lock();
        self.enter(&mut st, "exec", id)?;
        let cid = require(&st, id)?;
        let Some(c) = st.containers.get(&cid) else {
            return Err(EngineError::not_found(ObjectKind::Container, id));
        };
        if c.state != ContainerState::Running {
            return Err(conflict(format!("Container {} is not running", c.id)));
        }
        // `cat <path>` reads what copy_into put there.
        if let [cmd, path] = spec.cmd.as_slice() {
            if cmd == "cat" {
                if let Some(content) = c.files.get(path) {
                    return Ok(ExecOutput {
                        exit_code: 0,
                        stdout: content.clone(),
                        stderr: Vec::new(),
                    });
                }
            }
        }
        let name = c.name.clone();
        let scripted = st.scripts.get_mut(&name).and_then(|s| {
            if s.exec.is_empty() {
                None
            } else {
                Some(s.exec.remove(0))
            }
        });
        Ok(scripted.unwrap_or_default())
    }

    async fn create_exec(
        &self,
        id: &str,
        spec: &ExecSpec,
        attach_stdin: bool,
    ) -> EngineResult<String> {
        let mut st = self.lock();
        self.enter(&mut st, "create_exec", id)?;
        let cid = require(&st, id)?;
        let Some(c) = st.containers.get(&cid) else {
            return Err(EngineError::not_found(ObjectKind::Container, id));
        };
        if c.state != ContainerState::Running {
            return Err(conflict(format!("Container {} is not running", c.id)));
        }
        st.next_id += 1;
        let exec_id = hex_id(st.next_id, "exec");
        st.execs.insert(
            exec_id.clone(),
            FakeExec {
                container: cid,
                spec: spec.clone(),
                stdin: attach_stdin,
                started: false,
                running: false,
                exit_code: None,
            },
        );
        Ok(exec_id)
    }

    /// `cat` with stdin echoes its input until end-of-file; any other command gives the output
    /// queued with [`FakeEngine::script_exec`] for its container (default: nothing, exit 0).
    async fn start_exec_attached(&self, exec_id: &str, tty: bool) -> EngineResult<AttachedIo> {
        let mut st = self.lock();
        self.enter(&mut st, "start_exec", exec_id)?;
        let exec = self.start_exec_in(&mut st, exec_id)?;
        let console = |stream: LogStream| if tty { LogStream::Console } else { stream };
        if exec.stdin && exec.spec.cmd == ["cat"] {
            let (client, server) = tokio::io::duplex(64 * 1024);
            let me = self.clone();
            let id = exec_id.to_string();
            let stream = console(LogStream::Stdout);
            let output = stream::unfold(Some(server), move |server| {
                let me = me.clone();
                let id = id.clone();
                async move {
                    use tokio::io::AsyncReadExt;
                    let mut server = server?;
                    let mut buf = vec![0u8; 8192];
                    match server.read(&mut buf).await {
                        Ok(n) if n > 0 => {
                            buf.truncate(n);
                            let chunk = LogChunk {
                                stream,
                                bytes: Bytes::from(buf),
                            };
                            Some((Ok(chunk), Some(server)))
                        }
                        _ => {
                            me.finish_exec(&id, 0);
                            None
                        }
                    }
                }
            })
            .boxed();
            return Ok(AttachedIo {
                output,
                input: Box::pin(client),
            });
        }
        let name = st
            .containers
            .get(&exec.container)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let out = st
            .scripts
            .get_mut(&name)
            .and_then(|s| (!s.exec.is_empty()).then(|| s.exec.remove(0)))
            .unwrap_or_default();
        if let Some(e) = st.execs.get_mut(exec_id) {
            e.running = false;
            e.exit_code = Some(out.exit_code);
        }
        let mut chunks = Vec::new();
        for (stream, bytes) in [
            (LogStream::Stdout, out.stdout),
            (LogStream::Stderr, out.stderr),
        ] {
            if !bytes.is_empty() {
                chunks.push(Ok(LogChunk {
                    stream: console(stream),
                    bytes: Bytes::from(bytes),
                }));
            }
        }
        Ok(AttachedIo {
            output: stream::iter(chunks).boxed(),
            input: Box::pin(tokio::io::sink()),
        })
    }

    /// A detached exec ends at once with its scripted exit code (default 0).
    async fn start_exec_detached(&self, exec_id: &str) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "start_exec", exec_id)?;
        let exec = self.start_exec_in(&mut st, exec_id)?;
        let name = st
            .containers
            .get(&exec.container)
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let code = st
            .scripts
            .get_mut(&name)
            .and_then(|s| (!s.exec.is_empty()).then(|| s.exec.remove(0)))
            .map(|o| o.exit_code)
            .unwrap_or(0);
        if let Some(e) = st.execs.get_mut(exec_id) {
            e.running = false;
            e.exit_code = Some(code);
        }
        Ok(())
    }

    async fn inspect_exec(&self, exec_id: &str) -> EngineResult<ExecStatus> {
        let mut st = self.lock();
        self.enter(&mut st, "inspect_exec", exec_id)?;
        let e = st
            .execs
            .get(exec_id)
            .ok_or_else(|| EngineError::not_found(ObjectKind::Exec, exec_id))?;
        Ok(ExecStatus {
            running: e.running,
            exit_code: e.exit_code,
        })
    }

    async fn resize_exec(&self, exec_id: &str, _size: TtySize) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "resize_exec", exec_id)?;
        match st.execs.get(exec_id) {
            Some(e) if e.started => Ok(()),
            Some(_) => Err(conflict(format!("exec {exec_id} is not running"))),
            None => Err(EngineError::not_found(ObjectKind::Exec, exec_id)),
        }
    }

    /// Streams what the container writes from now on until it stops. A container created with
    /// `stdin_open` running `cat` echoes its stdin and exits 0 at end-of-file.
    async fn attach_container(&self, id: &str, stdin: bool) -> EngineResult<AttachedIo> {
        let (cid, from, generation, echo, tty) = {
            let mut st = self.lock();
            self.enter(&mut st, "attach", id)?;
            let cid = require(&st, id)?;
            let Some(c) = st.containers.get(&cid) else {
                return Err(EngineError::not_found(ObjectKind::Container, id));
            };
            let echo = stdin
                && c.spec.stdin_open
                && c.spec.cmd.as_deref() == Some(&["cat".to_string()][..]);
            (cid, c.logs.len(), c.generation, echo, c.spec.tty)
        };
        let input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>> = if echo {
            let (client, mut server) = tokio::io::duplex(64 * 1024);
            let me = self.clone();
            let cid = cid.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncReadExt;
                let mut buf = vec![0u8; 8192];
                loop {
                    let n = server.read(&mut buf).await.unwrap_or(0);
                    let mut st = me.lock();
                    if n == 0 {
                        me.exit_container(&mut st, &cid, 0, false);
                        drop(st);
                        me.notify();
                        return;
                    }
                    if let Some(c) = st.containers.get_mut(&cid) {
                        c.logs.push(LogChunk {
                            stream: if tty {
                                LogStream::Console
                            } else {
                                LogStream::Stdout
                            },
                            bytes: Bytes::copy_from_slice(&buf[..n]),
                        });
                    }
                    drop(st);
                    me.notify();
                }
            });
            Box::pin(client)
        } else {
            Box::pin(tokio::io::sink())
        };
        let me = self.clone();
        let changed = self.shared.changed.subscribe();
        // Output is taken from the container's log as it grows; what was written before an
        // auto-removal is still delivered.
        let state = (from, std::collections::VecDeque::new(), changed, false);
        let output = stream::unfold(
            state,
            move |(mut index, mut pending, mut changed, mut ended)| {
                let me = me.clone();
                let cid = cid.clone();
                async move {
                    loop {
                        if let Some(chunk) = pending.pop_front() {
                            return Some((Ok(chunk), (index, pending, changed, ended)));
                        }
                        if ended {
                            return None;
                        }
                        {
                            let st = me.lock();
                            match st.containers.get(&cid) {
                                None => ended = true,
                                Some(c) => {
                                    pending.extend(c.logs.iter().skip(index).cloned());
                                    index = c.logs.len();
                                    ended = c.generation != generation && !c.state.is_up();
                                }
                            }
                        }
                        if pending.is_empty() && !ended && changed.changed().await.is_err() {
                            ended = true;
                        }
                    }
                }
            },
        )
        .boxed();
        Ok(AttachedIo { output, input })
    }

    async fn resize_container(&self, id: &str, _size: TtySize) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "resize", id)?;
        let cid = require(&st, id)?;
        match st.containers.get(&cid) {
            Some(c) if c.state == ContainerState::Running => Ok(()),
            Some(c) => Err(conflict(format!("Container {} is not running", c.id))),
            None => Err(EngineError::not_found(ObjectKind::Container, id)),
        }
    }
}

#[async_trait]
impl Archive for FakeEngine {
    async fn copy_into(&self, id: &str, path: &str, tar: Bytes) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "copy_into", id)?;
        let cid = require(&st, id)?;
        let entries = read_entries(tar.as_ref()).map_err(|message| EngineError::Api {
            status: 400,
            message,
        })?;
        let files: Vec<(String, Vec<u8>)> = entries
            .into_iter()
            .filter(|e| e.kind == EntryKind::File)
            .map(|e| {
                let to = format!("{}/{}", path.trim_end_matches('/'), e.path.join("/"));
                (to, e.content)
            })
            .collect();
        if let Some(c) = st.containers.get_mut(&cid) {
            c.files.extend(files);
        }
        Ok(())
    }

    async fn stat_path(&self, id: &str, path: &str) -> EngineResult<PathStat> {
        let mut st = self.lock();
        self.enter(&mut st, "stat_path", id)?;
        let cid = require(&st, id)?;
        let files = st
            .containers
            .get(&cid)
            .map(|c| c.files.clone())
            .unwrap_or_default();
        let p = fake_clean(path);
        let name = p.rsplit('/').next().unwrap_or_default().to_string();
        if let Some(content) = files.get(&p) {
            if path.ends_with('/') || path.ends_with("/.") {
                return Err(EngineError::Api {
                    status: 400,
                    message: format!("not a directory: {path}"),
                });
            }
            return Ok(PathStat {
                name,
                kind: PathKind::File,
                size: content.len() as i64,
                mode: 0o644,
                link_target: String::new(),
            });
        }
        if fake_is_dir(&files, &p) {
            return Ok(PathStat {
                name: if p == "/" { "/".to_string() } else { name },
                kind: PathKind::Dir,
                size: 4096,
                mode: 0o755,
                link_target: String::new(),
            });
        }
        Err(EngineError::NotFound {
            kind: ObjectKind::Path,
            name: path.to_string(),
            message: format!("Could not find the file {path} in container {id}"),
        })
    }

    fn copy_from(&self, id: &str, path: &str) -> BoxStream<'static, EngineResult<Bytes>> {
        let files = {
            let mut st = self.lock();
            if let Err(e) = self.enter(&mut st, "copy_from", id) {
                return stream::once(async move { Err(e) }).boxed();
            }
            match require(&st, id) {
                Ok(cid) => st
                    .containers
                    .get(&cid)
                    .map(|c| c.files.clone())
                    .unwrap_or_default(),
                Err(e) => return stream::once(async move { Err(e) }).boxed(),
            }
        };
        let r = fake_archive(&files, path).and_then(|tar| {
            tar.ok_or_else(|| EngineError::NotFound {
                kind: ObjectKind::Path,
                name: path.to_string(),
                message: format!("Could not find the file {path} in container {id}"),
            })
        });
        stream::once(async move { r.map(Bytes::from) }).boxed()
    }

    fn export_container(&self, id: &str) -> BoxStream<'static, EngineResult<Bytes>> {
        self.copy_from(id, "/")
    }

    async fn copy_into_with(
        &self,
        id: &str,
        path: &str,
        tar: Bytes,
        options: &CopyIntoOptions,
    ) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "copy_into", id)?;
        let cid = require(&st, id)?;
        let Some(c) = st.containers.get_mut(&cid) else {
            return Err(EngineError::not_found(ObjectKind::Container, id));
        };
        let base = fake_clean(path);
        if c.files.contains_key(&base) {
            return Err(EngineError::Api {
                status: 400,
                message: format!("extraction point is not a directory: {path}"),
            });
        }
        let entries = read_entries(tar.as_ref()).map_err(|message| EngineError::Api {
            status: 400,
            message,
        })?;
        let mut files = c.files.clone();
        for entry in entries {
            let rel = entry.path;
            let target = if rel.is_empty() {
                base.clone()
            } else {
                format!("{}/{}", base.trim_end_matches('/'), rel.join("/"))
            };
            if entry.kind == EntryKind::Dir {
                if options.no_overwrite_dir_non_dir && files.contains_key(&target) {
                    return Err(EngineError::Api {
                        status: 400,
                        message: format!("cannot overwrite non-directory {target} with directory"),
                    });
                }
                files.insert(format!("{}/", target.trim_end_matches('/')), Vec::new());
            } else if entry.kind == EntryKind::File {
                if options.no_overwrite_dir_non_dir && fake_is_dir(&files, &target) {
                    return Err(EngineError::Api {
                        status: 400,
                        message: format!("cannot overwrite directory {target} with non-directory"),
                    });
                }
                files.insert(target, entry.content);
            }
        }
        c.files = files;
        Ok(())
    }
}

#[async_trait]
impl Networks for FakeEngine {
    async fn list_networks(&self, filter: &LabelFilter) -> EngineResult<Vec<NetworkDetails>> {
        let mut st = self.lock();
        self.enter(&mut st, "list_networks", "")?;
        Ok(st
            .networks
            .values()
            .filter(|n| filter.matches(&n.details.labels))
            .map(|n| NetworkDetails {
                containers: BTreeMap::new(),
                ..n.details.clone()
            })
            .collect())
    }

    async fn inspect_network(&self, name: &str) -> EngineResult<NetworkDetails> {
        let mut st = self.lock();
        self.enter(&mut st, "network_inspect", name)?;
        find_network(&st, name)
            .map(|n| n.details.clone())
            .ok_or_else(|| EngineError::not_found(ObjectKind::Network, name))
    }

    async fn create_network(&self, spec: &NetworkSpec) -> EngineResult<String> {
        let mut st = self.lock();
        self.enter(&mut st, "network_create", &spec.name)?;
        if st.networks.contains_key(&spec.name) {
            return Err(conflict(format!(
                "network with name {} already exists",
                spec.name
            )));
        }
        st.next_id += 1;
        let id = hex_id(st.next_id, &spec.name);
        let index = 20 + st.networks.len() as u32;
        let details = NetworkDetails {
            id: id.clone(),
            name: spec.name.clone(),
            driver: spec.driver.clone().unwrap_or_else(|| "bridge".to_string()),
            labels: spec.labels.clone(),
            internal: spec.internal,
            attachable: spec.attachable,
            enable_ipv6: spec.enable_ipv6.unwrap_or(false),
            ipam: spec.ipam.clone().unwrap_or_default(),
            options: spec.driver_opts.clone(),
            containers: BTreeMap::new(),
        };
        st.networks.insert(
            spec.name.clone(),
            FakeNetwork {
                details,
                index,
                next_host: 1,
            },
        );
        self.object_event(EventKind::Network, EventAction::Create, &id, &spec.name);
        Ok(id)
    }

    async fn remove_network(&self, name: &str) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "network_remove", name)?;
        let Some(net) = find_network(&st, name).cloned() else {
            return Err(EngineError::not_found(ObjectKind::Network, name));
        };
        if !net.details.containers.is_empty() {
            return Err(conflict(format!(
                "error while removing network: network {} id {} has active endpoints",
                net.details.name, net.details.id
            )));
        }
        st.networks.remove(&net.details.name);
        self.object_event(
            EventKind::Network,
            EventAction::Destroy,
            &net.details.id,
            &net.details.name,
        );
        Ok(())
    }

    async fn connect_network(
        &self,
        container: &str,
        attachment: &NetworkAttachment,
    ) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "network_connect", &attachment.network)?;
        let cid = require(&st, container)?;
        let network = find_network(&st, &attachment.network)
            .map(|n| n.details.name.clone())
            .ok_or_else(|| EngineError::not_found(ObjectKind::Network, &attachment.network))?;
        let attachment = NetworkAttachment {
            network,
            ..attachment.clone()
        };
        Self::attach(&mut st, &cid, &attachment)
    }

    async fn disconnect_network(
        &self,
        container: &str,
        network: &str,
        _force: bool,
    ) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "network_disconnect", network)?;
        let cid = require(&st, container)?;
        let name = find_network(&st, network)
            .map(|n| n.details.name.clone())
            .ok_or_else(|| EngineError::not_found(ObjectKind::Network, network))?;
        let removed = st
            .containers
            .get_mut(&cid)
            .and_then(|c| c.networks.remove(&name));
        if removed.is_none() {
            return Err(EngineError::Api {
                status: 500,
                message: format!("container {cid} is not connected to network {name}"),
            });
        }
        if let Some(n) = st.networks.get_mut(&name) {
            n.details.containers.remove(&cid);
        }
        Ok(())
    }
}

#[async_trait]
impl Volumes for FakeEngine {
    async fn list_volumes(&self, filter: &LabelFilter) -> EngineResult<Vec<VolumeDetails>> {
        let mut st = self.lock();
        self.enter(&mut st, "list_volumes", "")?;
        Ok(st
            .volumes
            .values()
            .filter(|v| filter.matches(&v.labels))
            .cloned()
            .collect())
    }

    async fn inspect_volume(&self, name: &str) -> EngineResult<VolumeDetails> {
        let mut st = self.lock();
        self.enter(&mut st, "volume_inspect", name)?;
        st.volumes
            .get(name)
            .cloned()
            .ok_or_else(|| EngineError::not_found(ObjectKind::Volume, name))
    }

    async fn create_volume(&self, spec: &VolumeSpec) -> EngineResult<VolumeDetails> {
        let mut st = self.lock();
        self.enter(&mut st, "volume_create", &spec.name)?;
        if let Some(existing) = st.volumes.get(&spec.name) {
            // The engine returns the existing volume.
            return Ok(existing.clone());
        }
        let v = VolumeDetails {
            name: spec.name.clone(),
            driver: spec.driver.clone().unwrap_or_else(|| "local".to_string()),
            labels: spec.labels.clone(),
            options: spec.driver_opts.clone(),
            mountpoint: format!("/var/lib/docker/volumes/{}/_data", spec.name),
            scope: "local".to_string(),
        };
        st.volumes.insert(spec.name.clone(), v.clone());
        self.object_event(
            EventKind::Volume,
            EventAction::Create,
            &spec.name,
            &spec.name,
        );
        Ok(v)
    }

    async fn remove_volume(&self, name: &str, _force: bool) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "volume_remove", name)?;
        if !st.volumes.contains_key(name) {
            return Err(EngineError::not_found(ObjectKind::Volume, name));
        }
        let users: Vec<String> = st
            .containers
            .values()
            .filter(|c| {
                c.spec.mounts.iter().any(|m| {
                    matches!(m.kind, MountKind::Volume { .. }) && m.source.as_deref() == Some(name)
                })
            })
            .map(|c| c.id.clone())
            .collect();
        if !users.is_empty() {
            return Err(conflict(format!(
                "remove {name}: volume is in use - [{}]",
                users.join(", ")
            )));
        }
        st.volumes.remove(name);
        self.object_event(EventKind::Volume, EventAction::Destroy, name, name);
        Ok(())
    }
}

#[async_trait]
impl Images for FakeEngine {
    async fn list_images(&self, filter: &LabelFilter) -> EngineResult<Vec<ImageDetails>> {
        let mut st = self.lock();
        self.enter(&mut st, "list_images", "")?;
        // One row per image id, with all its tags.
        let mut by_id: BTreeMap<String, ImageDetails> = BTreeMap::new();
        for (r, i) in &st.images {
            if !filter.matches(&i.labels) {
                continue;
            }
            by_id
                .entry(i.id.clone())
                .and_modify(|e| e.repo_tags.push(r.clone()))
                .or_insert_with(|| ImageDetails {
                    repo_tags: vec![r.clone()],
                    ..i.clone()
                });
        }
        Ok(by_id.into_values().collect())
    }

    async fn inspect_image(&self, name: &str) -> EngineResult<ImageDetails> {
        let mut st = self.lock();
        self.enter(&mut st, "image_inspect", name)?;
        let Some(found) = find_image(&st, name) else {
            return Err(EngineError::NotFound {
                kind: ObjectKind::Image,
                name: name.to_string(),
                message: format!("No such image: {name}"),
            });
        };
        let tags = st
            .images
            .iter()
            .filter(|(_, i)| i.id == found.id)
            .map(|(r, _)| r.clone())
            .collect();
        Ok(ImageDetails {
            repo_tags: tags,
            ..found
        })
    }

    async fn remove_image(&self, name: &str, force: bool) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "image_remove", name)?;
        let Some(found) = find_image(&st, name) else {
            return Err(EngineError::NotFound {
                kind: ObjectKind::Image,
                name: name.to_string(),
                message: format!("No such image: {name}"),
            });
        };
        let in_use = st
            .containers
            .values()
            .any(|c| find_image(&st, &c.spec.image).is_some_and(|i| i.id == found.id));
        if in_use && !force {
            return Err(conflict(format!(
                "conflict: unable to remove repository reference \"{name}\" - container is using its referenced image"
            )));
        }
        let key = normalize_image(name);
        if st.images.remove(&key).is_none() {
            st.images.retain(|_, i| i.id != found.id);
        }
        Ok(())
    }

    async fn commit_container(&self, id: &str, options: &CommitOptions) -> EngineResult<String> {
        let mut st = self.lock();
        self.enter(&mut st, "commit", id)?;
        let cid = require(&st, id)?;
        let image = st
            .containers
            .get(&cid)
            .map(|c| c.spec.image.clone())
            .unwrap_or_default();
        let base = find_image(&st, &image).unwrap_or_default();
        st.clock += 1;
        let new_id = format!("sha256:{}", hex_id(st.clock.unsigned_abs(), &cid));
        let tags: Vec<String> = options
            .reference
            .iter()
            .map(|r| normalize_image(r))
            .collect();
        let details = ImageDetails {
            id: new_id.clone(),
            repo_tags: tags.clone(),
            ..base
        };
        let key = tags.first().cloned().unwrap_or_else(|| new_id.clone());
        st.images.insert(key, details);
        Ok(new_id)
    }

    async fn tag_image(&self, source: &str, target: &str) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "image_tag", source)?;
        let Some(found) = find_image(&st, source) else {
            return Err(EngineError::not_found(ObjectKind::Image, source));
        };
        let r = normalize_image(target);
        st.images.insert(
            r.clone(),
            ImageDetails {
                repo_tags: vec![r],
                ..found
            },
        );
        Ok(())
    }

    async fn build_image(
        &self,
        spec: BuildSpec,
        progress: ProgressSink<'_>,
    ) -> EngineResult<String> {
        let tag = spec.tags.first().cloned().unwrap_or_default();
        {
            let mut st = self.lock();
            self.enter(&mut st, "build", &tag)?;
        }
        let size = match spec.context {
            BuildContext::Tar(b) => b.len(),
            BuildContext::Stream(mut s) => {
                let mut n = 0;
                while let Some(chunk) = s.next().await {
                    n += chunk
                        .map_err(|e| EngineError::Client(format!("build context: {e}")))?
                        .len();
                }
                n
            }
        };
        progress(Progress::Line(format!(
            "Sending build context to Docker daemon  {size}B"
        )));
        progress(Progress::Line(format!(
            "Step 1/1 : (fake build of {})",
            spec.dockerfile
        )));
        let mut st = self.lock();
        st.next_id += 1;
        let id = format!("sha256:{}", hex_id(st.next_id, &tag));
        let created = st.clock.to_string();
        for t in &spec.tags {
            let r = normalize_image(t);
            st.images.insert(
                r.clone(),
                ImageDetails {
                    id: id.clone(),
                    repo_tags: vec![r],
                    labels: spec.labels.clone(),
                    created: created.clone(),
                    size: size as i64,
                    platform: "linux/amd64".to_string(),
                    last_tag_time: String::new(),
                },
            );
        }
        progress(Progress::Line(format!(
            "Successfully built {}",
            id.trim_start_matches("sha256:")
                .chars()
                .take(12)
                .collect::<String>()
        )));
        Ok(id)
    }

    async fn pull_image(&self, image: &str, progress: ProgressSink<'_>) -> EngineResult<()> {
        let (allowed, pushed, reachable) = {
            let mut st = self.lock();
            self.enter(&mut st, "pull", image)?;
            let key = normalize_image(image);
            let host = super::auth::registry_of(image);
            (
                st.pullable.contains(&key),
                st.registry.get(&key).cloned(),
                st.registries.contains(&host),
            )
        };
        if let Some(pushed) = pushed {
            progress(Progress::Status {
                id: None,
                status: format!("Pulling from {image}"),
            });
            let key = normalize_image(image);
            self.lock().images.insert(
                key.clone(),
                ImageDetails {
                    repo_tags: vec![key],
                    ..pushed
                },
            );
            return Ok(());
        }
        if !allowed {
            let (repo, _) = image.rsplit_once(':').unwrap_or((image, ""));
            let message = if reachable {
                format!("manifest for {image} not found: manifest unknown (repository {repo})")
            } else {
                "no registry is reachable (fake engine)".to_string()
            };
            return Err(EngineError::Pull {
                image: image.to_string(),
                message,
            });
        }
        progress(Progress::Status {
            id: None,
            status: format!("Pulling from {image}"),
        });
        self.add_image(image);
        Ok(())
    }

    /// The fake has no registry: every image is unknown to it.
    async fn registry_digest(&self, image: &str) -> EngineResult<String> {
        Err(EngineError::NotFound {
            kind: ObjectKind::Image,
            name: image.to_string(),
            message: "manifest unknown: manifest unknown".to_string(),
        })
    }

    async fn push_image(&self, image: &str, progress: ProgressSink<'_>) -> EngineResult<()> {
        let mut st = self.lock();
        self.enter(&mut st, "push", image)?;
        let key = normalize_image(image);
        let repo = key.rsplit_once(':').map(|(r, _)| r).unwrap_or(&key);
        let push_error = |message: String| EngineError::Push {
            image: image.to_string(),
            message,
        };
        let Some(found) = st.images.get(&key).cloned() else {
            return Err(push_error(format!(
                "An image does not exist locally with the tag: {repo}"
            )));
        };
        let host = super::auth::registry_of(image);
        if !st.registries.contains(&host) {
            return Err(push_error(format!(
                "Get \"https://{host}/v2/\": no registry is reachable (fake engine)"
            )));
        }
        let status = format!("The push refers to repository [{repo}]");
        st.registry.insert(key, found);
        drop(st);
        progress(Progress::Status { id: None, status });
        progress(Progress::Status {
            id: None,
            status: "Pushed".to_string(),
        });
        Ok(())
    }
}

impl FakeEngine {
    /// Marks an exec started (it must exist, not be started yet, and its container run).
    fn start_exec_in(&self, st: &mut State, exec_id: &str) -> EngineResult<FakeExec> {
        let Some(e) = st.execs.get(exec_id).cloned() else {
            return Err(EngineError::not_found(ObjectKind::Exec, exec_id));
        };
        if e.started {
            return Err(conflict(format!("exec {exec_id} has already been started")));
        }
        let running = st
            .containers
            .get(&e.container)
            .is_some_and(|c| c.state == ContainerState::Running);
        if !running {
            return Err(conflict(format!(
                "Container {} is not running",
                e.container
            )));
        }
        if let Some(x) = st.execs.get_mut(exec_id) {
            x.started = true;
            x.running = true;
        }
        Ok(e)
    }

    fn finish_exec(&self, exec_id: &str, code: i64) {
        if let Some(e) = self.lock().execs.get_mut(exec_id) {
            e.running = false;
            e.exit_code = Some(code);
        }
    }
}

/// An absolute path without `.`, `..`, repeated or trailing slashes (`/` stays `/`).
fn fake_clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

/// Whether the fake file map has a directory at the clean path `p` (a `p/` marker, a file
/// below it, or the root).
fn fake_is_dir(files: &BTreeMap<String, Vec<u8>>, p: &str) -> bool {
    let prefix = format!("{}/", p.trim_end_matches('/'));
    p == "/" || files.keys().any(|k| k.starts_with(&prefix))
}

/// A `docker cp`-style archive of `path` from the fake file map; `None` when nothing is there.
fn fake_archive(files: &BTreeMap<String, Vec<u8>>, path: &str) -> EngineResult<Option<Vec<u8>>> {
    let p = fake_clean(path);
    let contents_only = path.ends_with("/.") || path == "." || p == "/";
    let root = if contents_only {
        ".".to_string()
    } else {
        p.rsplit('/').next().unwrap_or_default().to_string()
    };
    let io = |e: String| EngineError::Client(format!("fake archive: {e}"));
    let mut packer = Packer::new();
    let mut add = |name: &str, content: Option<&[u8]>| match content {
        Some(data) => packer.add_file(name, data, 0o644),
        None => packer.add_dir(name, 0o755),
    };
    if let Some(content) = files.get(&p) {
        if path.ends_with('/') || contents_only {
            return Err(EngineError::Api {
                status: 400,
                message: format!("not a directory: {path}"),
            });
        }
        add(&root, Some(content)).map_err(io)?;
    } else if fake_is_dir(files, &p) {
        let prefix = format!("{}/", p.trim_end_matches('/'));
        let named = |rel: &str| {
            if root == "." {
                rel.to_string()
            } else {
                format!("{root}/{rel}")
            }
        };
        add(&root, None).map_err(io)?;
        let mut dirs: Vec<String> = Vec::new();
        for k in files.keys().filter_map(|k| k.strip_prefix(&prefix)) {
            let rel = k.trim_end_matches('/');
            let parts: Vec<&str> = rel.split('/').collect();
            let last = if k.ends_with('/') {
                parts.len()
            } else {
                parts.len() - 1
            };
            for i in 1..=last {
                let d = parts[..i].join("/");
                if !d.is_empty() && !dirs.contains(&d) {
                    dirs.push(d);
                }
            }
        }
        dirs.sort();
        for d in &dirs {
            add(&named(d), None).map_err(io)?;
        }
        for (k, content) in files.iter() {
            if let Some(rel) = k.strip_prefix(&prefix) {
                if !k.ends_with('/') {
                    add(&named(rel), Some(content)).map_err(io)?;
                }
            }
        }
    } else {
        return Ok(None);
    }
    packer.finish().map(Some).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::no_progress;

    fn spec(name: &str) -> ContainerSpec {
        ContainerSpec {
            name: name.to_string(),
            image: "busybox".to_string(),
            ..Default::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn healthcheck_turns_healthy_after_interval_with_paused_time() -> EngineResult<()> {
        let fake = FakeEngine::new();
        fake.add_image("busybox");
        let mut s = spec("p-db-1");
        s.healthcheck = Some(Healthcheck {
            test: vec!["CMD".into(), "true".into()],
            interval: Some(Duration::from_secs(5)),
            ..Default::default()
        });
        let id = fake.create_container(&s).await?;
        fake.start_container(&id).await?;
        let h = fake
            .inspect_container(&id)
            .await?
            .state
            .health
            .map(|h| h.status);
        assert_eq!(h, Some(HealthStatus::Starting));
        tokio::time::sleep(Duration::from_secs(6)).await;
        let h = fake
            .inspect_container(&id)
            .await?
            .state
            .health
            .map(|h| h.status);
        assert_eq!(h, Some(HealthStatus::Healthy));
        Ok(())
    }

    #[tokio::test(start_paused = true)]
    async fn scripted_one_shot_exits_with_code() -> EngineResult<()> {
        let fake = FakeEngine::new();
        fake.add_image("busybox");
        fake.script_exit("p-migrate-1", Duration::from_millis(300), 3);
        let id = fake.create_container(&spec("p-migrate-1")).await?;
        fake.start_container(&id).await?;
        assert_eq!(
            fake.wait_container(&id, WaitCondition::NotRunning).await?,
            3
        );
        let d = fake.inspect_container(&id).await?;
        assert_eq!(d.state.status, ContainerState::Exited);
        Ok(())
    }

    #[tokio::test]
    async fn scripted_failure_fires_once_and_calls_are_recorded() -> EngineResult<()> {
        let fake = FakeEngine::new();
        fake.add_image("busybox");
        fake.fail_once(
            "start",
            Some("p-web-1"),
            EngineError::PortInUse {
                address: "0.0.0.0:8080".into(),
                message: "port is already allocated".into(),
            },
        );
        let id = fake.create_container(&spec("p-web-1")).await?;
        assert!(fake.start_container(&id).await.is_err());
        fake.start_container(&id).await?;
        assert_eq!(fake.calls_of("start").len(), 2);
        assert_eq!(fake.calls_of("create"), vec!["p-web-1".to_string()]);
        Ok(())
    }

    #[tokio::test]
    async fn pull_fails_unless_allowed() {
        let fake = FakeEngine::new();
        let e = fake.pull_image("redis:7", &no_progress).await;
        assert!(matches!(e, Err(EngineError::Pull { .. })));
        fake.allow_pull("redis:7");
        assert!(fake.pull_image("redis:7", &no_progress).await.is_ok());
        assert!(matches!(fake.image_exists("redis:7").await, Ok(true)));
    }
}
