//! Engine-level data types: what the executor asks the engine to create, and what the engine reports.
//!
//! These are our own types, independent of bollard and of the Compose model: the executor translates
//! `model::Service` into a [`ContainerSpec`]; `engine::docker` translates a spec into Docker API bodies.
//! All names here are engine names (already prefixed with the project), never Compose keys.
//! Must not import `bollard`, `loader`, `plan`, `exec` or `cli`; of the model it takes only the plain
//! [`ContainerState`].

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use futures::stream::BoxStream;

/// Labels (and other string maps) in a stable order.
pub type Labels = BTreeMap<String, String>;

/// Network protocol of a port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Protocol {
    #[default]
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }

    /// Parses `tcp`/`udp`/`sctp` (case-insensitive); anything else is `None`.
    pub fn parse(s: &str) -> Option<Protocol> {
        match s.to_ascii_lowercase().as_str() {
            "tcp" => Some(Protocol::Tcp),
            "udp" => Some(Protocol::Udp),
            "sctp" => Some(Protocol::Sctp),
            _ => None,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A container port, e.g. `80/tcp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerPort {
    pub port: u16,
    pub protocol: Protocol,
}

impl ContainerPort {
    pub fn tcp(port: u16) -> Self {
        ContainerPort {
            port,
            protocol: Protocol::Tcp,
        }
    }
}

impl fmt::Display for ContainerPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.port, self.protocol)
    }
}

/// Which host port(s) a container port is published on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostPort {
    /// Let the engine pick a free port (`ports: ["80"]`).
    #[default]
    Ephemeral,
    /// Exactly this port.
    Port(u16),
    /// Any free port in this inclusive range (`"8000-8010:80"`).
    Range(u16, u16),
}

impl HostPort {
    /// The Docker `HostPort` string: `""`, `"8080"` or `"8000-8010"`.
    pub fn to_docker_string(self) -> String {
        match self {
            HostPort::Ephemeral => String::new(),
            HostPort::Port(p) => p.to_string(),
            HostPort::Range(a, b) => format!("{a}-{b}"),
        }
    }
}

/// One published port. A Compose range `8000-8001:80-81` arrives here already expanded into one
/// binding per container port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortBinding {
    pub container: ContainerPort,
    /// Host IP to bind (`127.0.0.1`, `::1`); `None` = all interfaces.
    pub host_ip: Option<String>,
    pub host_port: HostPort,
}

/// Bind-mount propagation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    Private,
    RPrivate,
    Shared,
    RShared,
    Slave,
    RSlave,
}

impl Propagation {
    pub fn as_str(self) -> &'static str {
        match self {
            Propagation::Private => "private",
            Propagation::RPrivate => "rprivate",
            Propagation::Shared => "shared",
            Propagation::RShared => "rshared",
            Propagation::Slave => "slave",
            Propagation::RSlave => "rslave",
        }
    }
}

/// What kind of mount, with the options only that kind has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    /// A host path. With `create_host_path` the engine creates a missing source directory (the
    /// short-syntax behaviour); without it a missing source is an error.
    Bind {
        propagation: Option<Propagation>,
        create_host_path: bool,
        /// SELinux relabel: `z` (shared) or `Z` (private).
        selinux: Option<String>,
    },
    /// A named volume (engine name, e.g. `proj_data`) or an anonymous one (`source: None`).
    Volume {
        nocopy: bool,
        subpath: Option<String>,
        /// Driver and options, used only when the engine creates the volume on the fly.
        driver: Option<String>,
        driver_opts: Labels,
        labels: Labels,
    },
    /// A tmpfs at `target`.
    Tmpfs {
        size_bytes: Option<i64>,
        mode: Option<u32>,
    },
    /// A Windows named pipe (passed through).
    Npipe,
}

/// One mount of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub kind: MountKind,
    /// Host path (bind), volume name (volume), `None` for tmpfs and anonymous volumes.
    pub source: Option<String>,
    /// Path inside the container.
    pub target: String,
    pub read_only: bool,
    /// `consistent` / `cached` / `delegated` (ignored on Linux, passed through).
    pub consistency: Option<String>,
}

/// How a container joins one network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkAttachment {
    /// Engine network name (`proj_default`) or id.
    pub network: String,
    pub aliases: Vec<String>,
    pub ipv4_address: Option<String>,
    pub ipv6_address: Option<String>,
    pub link_local_ips: Vec<String>,
    pub mac_address: Option<String>,
    pub driver_opts: Labels,
    /// Higher priority networks are connected first (Compose `priority`).
    pub priority: i32,
    /// Legacy links on this endpoint, `container:alias` (Compose `links` / `external_links` on a
    /// user-defined network, where the engine ignores the host config's links).
    pub links: Vec<String>,
}

/// A healthcheck. `test` is the engine form: `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Healthcheck {
    pub test: Vec<String>,
    pub interval: Option<Duration>,
    pub timeout: Option<Duration>,
    pub start_period: Option<Duration>,
    pub start_interval: Option<Duration>,
    pub retries: Option<u32>,
}

impl Healthcheck {
    /// `["NONE"]`: disables a healthcheck inherited from the image.
    pub fn is_disabled(&self) -> bool {
        self.test.first().map(String::as_str) == Some("NONE")
    }
}

/// Restart policy name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestartPolicyName {
    #[default]
    No,
    Always,
    OnFailure,
    UnlessStopped,
}

impl RestartPolicyName {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicyName::No => "no",
            RestartPolicyName::Always => "always",
            RestartPolicyName::OnFailure => "on-failure",
            RestartPolicyName::UnlessStopped => "unless-stopped",
        }
    }
}

/// Restart policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RestartPolicy {
    pub name: RestartPolicyName,
    /// Only meaningful with `OnFailure`.
    pub max_retries: Option<i64>,
}

/// A resource limit (`ulimits:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// A device mapping (`devices:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceMapping {
    pub host_path: String,
    pub container_path: String,
    /// e.g. `rwm`.
    pub permissions: String,
}

/// Logging driver and options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogConfig {
    pub driver: String,
    pub options: Labels,
}

/// Block-IO weight for one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeightDevice {
    pub path: String,
    pub weight: u16,
}

/// Block-IO rate for one device (bytes or operations per second).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleDevice {
    pub path: String,
    pub rate: i64,
}

/// CPU, memory, pids and block-IO limits. `None` = engine default.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resources {
    /// CPUs as a fraction (`1.5`); sent as NanoCpus.
    pub cpus: Option<f64>,
    pub cpu_shares: Option<i64>,
    pub cpu_period: Option<i64>,
    pub cpu_quota: Option<i64>,
    pub cpu_rt_period: Option<i64>,
    pub cpu_rt_runtime: Option<i64>,
    pub cpuset_cpus: Option<String>,
    pub cpuset_mems: Option<String>,
    /// Memory limit in bytes.
    pub memory: Option<i64>,
    pub memory_reservation: Option<i64>,
    /// Memory + swap in bytes; `-1` = unlimited swap.
    pub memory_swap: Option<i64>,
    pub memory_swappiness: Option<i64>,
    pub pids_limit: Option<i64>,
    pub blkio_weight: Option<u16>,
    pub blkio_weight_device: Vec<WeightDevice>,
    pub blkio_device_read_bps: Vec<ThrottleDevice>,
    pub blkio_device_write_bps: Vec<ThrottleDevice>,
    pub blkio_device_read_iops: Vec<ThrottleDevice>,
    pub blkio_device_write_iops: Vec<ThrottleDevice>,
    /// GPU/device requests are passed as (driver, count, capabilities, device ids, options).
    pub device_requests: Vec<DeviceRequest>,
}

/// A device request (`deploy.resources.reservations.devices`, `gpus`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceRequest {
    pub driver: Option<String>,
    /// `-1` = all.
    pub count: Option<i64>,
    pub device_ids: Vec<String>,
    pub capabilities: Vec<Vec<String>>,
    pub options: Labels,
}

/// Everything needed to create one container. Names are engine names; `network_mode`, `pid`,
/// `ipc` and `volumes_from` referring to another service are already resolved to `container:<id>`
/// by the executor.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContainerSpec {
    /// Container name (`proj-web-1` or `container_name`).
    pub name: String,
    pub image: String,
    pub platform: Option<String>,
    /// `None` = image default; `Some(vec![])` = reset to empty.
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    /// Environment, already resolved. A `None` value is passed as a bare `KEY`: the engine keeps
    /// it in the config but the process does not get the variable.
    pub env: BTreeMap<String, Option<String>>,
    pub labels: Labels,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub hostname: Option<String>,
    pub domainname: Option<String>,
    pub mac_address: Option<String>,
    pub tty: bool,
    pub stdin_open: bool,
    /// `expose:` plus the container side of `ports:`.
    pub exposed_ports: Vec<ContainerPort>,
    pub ports: Vec<PortBinding>,
    pub publish_all_ports: bool,
    pub mounts: Vec<Mount>,
    /// `container:<id>[:ro|:rw]` or `<id>[:ro|:rw]`.
    pub volumes_from: Vec<String>,
    /// Networks to join, in the order to join them. Ignored when `network_mode` is set.
    pub networks: Vec<NetworkAttachment>,
    /// `bridge`, `host`, `none`, `container:<id>`, or a network name.
    pub network_mode: Option<String>,
    /// Legacy links: `container_name:alias`.
    pub links: Vec<String>,
    pub pid: Option<String>,
    pub ipc: Option<String>,
    pub uts: Option<String>,
    pub userns_mode: Option<String>,
    pub cgroup: Option<String>,
    pub cgroup_parent: Option<String>,
    pub healthcheck: Option<Healthcheck>,
    pub restart: Option<RestartPolicy>,
    pub init: Option<bool>,
    /// `host:ip` entries.
    pub extra_hosts: Vec<String>,
    pub dns: Vec<String>,
    pub dns_search: Vec<String>,
    pub dns_options: Vec<String>,
    /// tmpfs mounts by path, value = mount options (`size=64m,mode=1777` or empty).
    pub tmpfs: BTreeMap<String, String>,
    pub read_only: bool,
    pub shm_size: Option<i64>,
    pub ulimits: Vec<Ulimit>,
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    pub privileged: bool,
    pub sysctls: Labels,
    pub devices: Vec<DeviceMapping>,
    pub device_cgroup_rules: Vec<String>,
    pub logging: Option<LogConfig>,
    pub resources: Resources,
    pub stop_signal: Option<String>,
    /// Seconds to wait before killing on stop.
    pub stop_timeout: Option<i64>,
    pub security_opt: Vec<String>,
    pub group_add: Vec<String>,
    pub oom_kill_disable: Option<bool>,
    pub oom_score_adj: Option<i64>,
    pub runtime: Option<String>,
    pub storage_opt: Labels,
    pub isolation: Option<String>,
    pub annotations: Labels,
    /// Close the container's stdin when the attached client closes it (`run` with stdin).
    pub stdin_once: bool,
    /// The engine removes the container when it exits (`run --rm`).
    pub auto_remove: bool,
}

/// IPAM pool of a network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IpamPool {
    pub subnet: Option<String>,
    pub ip_range: Option<String>,
    pub gateway: Option<String>,
    pub aux_addresses: Labels,
}

/// IPAM configuration of a network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ipam {
    pub driver: Option<String>,
    pub config: Vec<IpamPool>,
    pub options: Labels,
}

/// A network to create.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkSpec {
    /// Engine name (`proj_default`).
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: Labels,
    pub labels: Labels,
    pub internal: bool,
    pub attachable: bool,
    pub enable_ipv6: Option<bool>,
    pub ipam: Option<Ipam>,
}

/// A volume to create.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VolumeSpec {
    /// Engine name (`proj_data`).
    pub name: String,
    pub driver: Option<String>,
    pub driver_opts: Labels,
    pub labels: Labels,
}

pub use crate::model::ContainerState;

/// Health of a container that has a healthcheck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthStatus {
    Starting,
    Healthy,
    Unhealthy,
}

impl HealthStatus {
    /// Parses `starting`/`healthy`/`unhealthy`; `none` and anything else is `None`.
    pub fn parse(s: &str) -> Option<HealthStatus> {
        match s.trim() {
            "starting" | "health: starting" => Some(HealthStatus::Starting),
            "healthy" => Some(HealthStatus::Healthy),
            "unhealthy" => Some(HealthStatus::Unhealthy),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Starting => "starting",
            HealthStatus::Healthy => "healthy",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }

    /// Reads the health out of a list `Status` text such as `Up 5 seconds (healthy)`.
    pub fn from_status_text(status: &str) -> Option<HealthStatus> {
        let open = status.rfind('(')?;
        let rest = status.get(open + 1..)?;
        let close = rest.find(')')?;
        HealthStatus::parse(rest.get(..close)?)
    }
}

impl fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of a container list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerSummary {
    pub id: String,
    /// Names without the leading `/`.
    pub names: Vec<String>,
    pub image: String,
    pub image_id: String,
    pub labels: Labels,
    pub state: ContainerState,
    /// Human status, e.g. `Up 3 seconds (healthy)`, `Exited (0) 2 seconds ago`.
    pub status: String,
    pub health: Option<HealthStatus>,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// Names of the networks the container is attached to (from the list call's
    /// `NetworkSettings.Networks`), sorted. Empty for `network_mode: host/none/container:x`
    /// and `service:x` joins, which attach to no named network of their own.
    pub networks: Vec<String>,
    /// The command line as the engine shows it (`sh -c 'touch /tmp/ready'`).
    pub command: String,
    /// Ports the container exposes; `host_port` 0 for those not published.
    pub ports: Vec<PortMapping>,
    /// Its mounts, in the engine's order (the list call's `Mounts`).
    pub mounts: Vec<MountPoint>,
}

impl ContainerSummary {
    /// The first name, or the short id.
    pub fn name(&self) -> &str {
        self.names
            .first()
            .map(String::as_str)
            .unwrap_or_else(|| self.id.get(..12).unwrap_or(&self.id))
    }
}

/// One healthcheck probe result.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HealthProbe {
    pub start: String,
    pub end: String,
    pub exit_code: i64,
    pub output: String,
}

/// Health details from inspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthDetails {
    pub status: HealthStatus,
    pub failing_streak: i64,
    /// Most recent last.
    pub log: Vec<HealthProbe>,
}

impl HealthDetails {
    /// Output of the latest probe, if any.
    pub fn last_output(&self) -> Option<&str> {
        self.log.last().map(|p| p.output.as_str())
    }
}

/// State section of inspect.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateDetails {
    pub status: ContainerState,
    pub running: bool,
    pub paused: bool,
    pub restarting: bool,
    pub oom_killed: bool,
    pub dead: bool,
    pub pid: i64,
    pub exit_code: i64,
    pub error: String,
    pub started_at: String,
    pub finished_at: String,
    pub health: Option<HealthDetails>,
}

/// A mount as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MountPoint {
    /// `bind`, `volume`, `tmpfs`...
    pub kind: String,
    /// Volume name, for volumes.
    pub name: Option<String>,
    pub source: String,
    pub destination: String,
    pub read_only: bool,
    /// Volume driver (`local`), for volumes.
    pub driver: String,
}

/// A network endpoint as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointDetails {
    pub network_id: String,
    pub ip_address: String,
    pub ipv6_address: String,
    pub gateway: String,
    pub mac_address: String,
    pub aliases: Vec<String>,
}

/// A published port as the engine reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortMapping {
    pub container: ContainerPort,
    pub host_ip: String,
    pub host_port: u16,
}

/// Full container inspect.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerDetails {
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    /// The image reference it was created from.
    pub image: String,
    pub image_id: String,
    pub created: String,
    pub labels: Labels,
    pub state: StateDetails,
    /// The container has a TTY (`tty: true`).
    pub tty: bool,
    /// Its stdin is kept open (`stdin_open: true`).
    pub stdin_open: bool,
    pub restart_count: i64,
    pub env: Vec<String>,
    pub cmd: Vec<String>,
    pub entrypoint: Vec<String>,
    pub hostname: String,
    pub network_mode: String,
    pub mounts: Vec<MountPoint>,
    /// By network name.
    pub networks: BTreeMap<String, EndpointDetails>,
    /// Published ports (only those with a host binding).
    pub ports: Vec<PortMapping>,
}

/// An image as listed or inspected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImageDetails {
    pub id: String,
    pub repo_tags: Vec<String>,
    pub labels: Labels,
    /// Creation time as the engine reports it (RFC 3339 for inspect, seconds as text for list).
    pub created: String,
    pub size: i64,
    /// `linux/amd64`, `linux/arm/v7` (os/architecture/variant); empty when not known.
    pub platform: String,
    /// When the image was last tagged here (RFC 3339), empty when never (or not known).
    pub last_tag_time: String,
}

/// A network as listed or inspected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NetworkDetails {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub labels: Labels,
    pub internal: bool,
    pub attachable: bool,
    pub enable_ipv6: bool,
    pub ipam: Ipam,
    pub options: Labels,
    /// Attached containers by id -> (name, IPv4 address with prefix). Empty in list results.
    pub containers: BTreeMap<String, (String, String)>,
}

/// One sample of a container's resource usage (`docker stats`), with the previous CPU reading
/// the engine pairs it with. Counters the engine does not report are 0.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerStats {
    /// Total CPU time used, now and at the previous reading (nanoseconds).
    pub cpu_total: u64,
    pub precpu_total: u64,
    /// The host's CPU time, now and at the previous reading.
    pub system_cpu: u64,
    pub presystem_cpu: u64,
    /// CPUs online (0: unknown, then `percpu` is counted).
    pub online_cpus: u32,
    pub percpu: usize,
    /// Memory in use, the limit, and the inactive file cache docker leaves out of the usage
    /// (`inactive_file` on cgroup v2, `total_inactive_file` on v1).
    pub mem_usage: u64,
    pub mem_limit: u64,
    pub mem_inactive_file: Option<u64>,
    /// Bytes received and sent, over all networks.
    pub net_rx: u64,
    pub net_tx: u64,
    /// Bytes read from and written to block devices.
    pub block_read: u64,
    pub block_write: u64,
    pub pids: u64,
}

/// `commit`: how a container's changes become an image.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommitOptions {
    /// `REPOSITORY[:TAG]` for the new image (none: untagged).
    pub reference: Option<String>,
    /// `-m`.
    pub comment: Option<String>,
    /// `-a`.
    pub author: Option<String>,
    /// `-c`: Dockerfile instructions applied to the image's configuration.
    pub changes: Vec<String>,
    /// `-p`: pause the container while committing.
    pub pause: bool,
}

/// A volume as listed or inspected.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VolumeDetails {
    pub name: String,
    pub driver: String,
    pub labels: Labels,
    pub options: Labels,
    pub mountpoint: String,
    /// `local` or `global` (empty when the engine does not say).
    pub scope: String,
}

/// Engine version information.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EngineVersion {
    pub version: String,
    /// API version the engine speaks at most.
    pub api_version: String,
    pub min_api_version: String,
    pub os: String,
    pub arch: String,
}

/// A label selector list: `key=value` (value must match) or `key` (label must exist). All must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelFilter {
    pub selectors: Vec<(String, Option<String>)>,
}

impl LabelFilter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Objects of one Compose project (`com.docker.compose.project=<name>`).
    pub fn project(name: &str) -> Self {
        Self::new().with("com.docker.compose.project", name)
    }

    /// Require `key=value`.
    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.selectors
            .push((key.to_string(), Some(value.to_string())));
        self
    }

    /// Require that `key` exists.
    pub fn has(mut self, key: &str) -> Self {
        self.selectors.push((key.to_string(), None));
        self
    }

    /// The Docker `label` filter values.
    pub fn to_docker_filters(&self) -> Vec<String> {
        self.selectors
            .iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k.clone(),
            })
            .collect()
    }

    /// Whether `labels` satisfy every selector.
    pub fn matches(&self, labels: &Labels) -> bool {
        self.selectors
            .iter()
            .all(|(k, v)| match (labels.get(k), v) {
                (Some(actual), Some(want)) => actual == want,
                (Some(_), None) => true,
                (None, _) => false,
            })
    }
}

/// Options for stopping.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StopOptions {
    /// Seconds to wait before SIGKILL; `None` = the container's own stop timeout (default 10 s).
    pub timeout: Option<i64>,
    /// Signal to send instead of the container's stop signal.
    pub signal: Option<String>,
}

/// Options for removing a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RemoveOptions {
    /// Kill a running container first.
    pub force: bool,
    /// Also remove its anonymous volumes.
    pub volumes: bool,
}

/// What `wait` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaitCondition {
    /// Returns at once if the container is not running.
    #[default]
    NotRunning,
    /// The next exit, even if it is not running now.
    NextExit,
    /// Removal.
    Removed,
}

/// Which stream a log chunk came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogStream {
    Stdout,
    Stderr,
    Stdin,
    /// TTY output (stdout and stderr merged).
    Console,
}

/// One chunk of container output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogChunk {
    pub stream: LogStream,
    pub bytes: Bytes,
}

/// Options for `logs`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogOptions {
    pub follow: bool,
    pub timestamps: bool,
    /// Last N lines only; `None` = all.
    pub tail: Option<u64>,
    /// Seconds since the epoch.
    pub since: Option<i64>,
    pub until: Option<i64>,
}

/// Object type of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Container,
    Network,
    Volume,
    Image,
    Other(String),
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventAction {
    Create,
    Start,
    Restart,
    Die,
    Stop,
    Kill,
    Pause,
    Unpause,
    Destroy,
    Rename,
    Oom,
    HealthStatus(HealthStatus),
    Connect,
    Disconnect,
    Other(String),
}

impl EventAction {
    /// Parses a Docker action string such as `start` or `health_status: healthy`.
    pub fn parse(s: &str) -> EventAction {
        if let Some(rest) = s.strip_prefix("health_status") {
            let rest = rest.trim_start_matches(':').trim();
            if let Some(h) = HealthStatus::parse(rest) {
                return EventAction::HealthStatus(h);
            }
        }
        match s {
            "create" => EventAction::Create,
            "start" => EventAction::Start,
            "restart" => EventAction::Restart,
            "die" => EventAction::Die,
            "stop" => EventAction::Stop,
            "kill" => EventAction::Kill,
            "pause" => EventAction::Pause,
            "unpause" => EventAction::Unpause,
            "destroy" => EventAction::Destroy,
            "rename" => EventAction::Rename,
            "oom" => EventAction::Oom,
            "connect" => EventAction::Connect,
            "disconnect" => EventAction::Disconnect,
            other => EventAction::Other(other.to_string()),
        }
    }
}

/// One engine event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineEvent {
    pub kind: EventKind,
    pub action: EventAction,
    /// Id of the object (container id, network id, volume name...).
    pub id: String,
    /// Name attribute (container name without `/`), if the engine sent one.
    pub name: Option<String>,
    /// All actor attributes (for containers: its labels plus `name`, `image`, `exitCode`...).
    pub attributes: Labels,
    /// Exit code, for `die`.
    pub exit_code: Option<i64>,
    /// Nanoseconds since the epoch.
    pub time_nano: i64,
}

/// Which events to receive.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventFilter {
    /// Label selectors on the actor's attributes.
    pub labels: LabelFilter,
    /// Object types (`container`, `network`...); empty = all.
    pub kinds: Vec<String>,
    /// Events from this time (seconds since the epoch; past events are replayed); `None` is
    /// from the moment the stream is first polled.
    pub since: Option<i64>,
    /// The stream ends at this time (seconds since the epoch); `None` runs until dropped.
    pub until: Option<i64>,
}

/// Build context.
pub enum BuildContext {
    /// A complete tar archive.
    Tar(Bytes),
    /// A tar archive streamed in chunks.
    Stream(BoxStream<'static, std::io::Result<Bytes>>),
}

impl fmt::Debug for BuildContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildContext::Tar(b) => write!(f, "Tar({} bytes)", b.len()),
            BuildContext::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// An image build (classic builder).
#[derive(Debug)]
pub struct BuildSpec {
    pub context: BuildContext,
    /// Dockerfile path inside the context (default `Dockerfile`).
    pub dockerfile: String,
    /// Build args; `None` values are passed as unset.
    pub args: BTreeMap<String, Option<String>>,
    pub target: Option<String>,
    pub labels: Labels,
    /// The first tag is the main one (`proj-web`); all are applied.
    pub tags: Vec<String>,
    pub no_cache: bool,
    /// Always try to pull a newer base image.
    pub pull: bool,
    pub network: Option<String>,
    pub extra_hosts: Vec<String>,
    pub shm_size: Option<i64>,
    pub cache_from: Vec<String>,
    pub platform: Option<String>,
    /// The memory limit of the build's containers, in bytes (`build -m`).
    pub memory: Option<i64>,
}

impl BuildSpec {
    /// A build of `context` tagged `tag`, with every other option at its default.
    pub fn new(context: BuildContext, tag: &str) -> Self {
        BuildSpec {
            context,
            dockerfile: "Dockerfile".to_string(),
            args: BTreeMap::new(),
            target: None,
            labels: Labels::new(),
            tags: vec![tag.to_string()],
            no_cache: false,
            pull: false,
            network: None,
            extra_hosts: Vec::new(),
            shm_size: None,
            cache_from: Vec::new(),
            platform: None,
            memory: None,
        }
    }
}

/// Build or pull progress, one line at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Builder output text (`Step 1/3 : FROM scratch`), without the trailing newline.
    Line(String),
    /// A layer status (`Downloading`, `Pull complete`) for an id.
    Status { id: Option<String>, status: String },
}

/// Receives progress. Must not block.
pub type ProgressSink<'a> = &'a (dyn Fn(Progress) + Send + Sync);

/// An exec to run in a container.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecSpec {
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub user: Option<String>,
    pub working_dir: Option<String>,
    pub privileged: bool,
    pub tty: bool,
}

impl ExecSpec {
    pub fn new<I, S>(cmd: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ExecSpec {
            cmd: cmd.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

/// The collected result of an exec.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecOutput {
    pub exit_code: i64,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// The processes of a running container, as `ps` shows them (`top`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessList {
    /// Column titles: `UID PID PPID C STIME TTY TIME CMD` (`ps -ef`).
    pub titles: Vec<String>,
    /// One row per process, one value per title.
    pub processes: Vec<Vec<String>>,
}

/// What a path in a container names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PathKind {
    #[default]
    File,
    Dir,
    Symlink,
    /// A device, socket, pipe...
    Other,
}

/// A path in a container, as the engine's archive `stat` reports it (a final symlink is not
/// followed).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathStat {
    /// The last component.
    pub name: String,
    pub kind: PathKind,
    pub size: i64,
    /// Permission bits (`0o644`).
    pub mode: u32,
    /// For a symlink: where it points (as written, possibly relative).
    pub link_target: String,
}

/// How an archive is extracted into a container (`cp`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CopyIntoOptions {
    /// `cp -a`: ask the engine to keep the archive's ownership information.
    pub copy_uid_gid: bool,
    /// Refuse to replace a directory with a file or a file with a directory.
    pub no_overwrite_dir_non_dir: bool,
}

/// A terminal size in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtySize {
    pub rows: u16,
    pub cols: u16,
}

/// The state of an exec instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExecStatus {
    pub running: bool,
    /// `None` while it runs (or if the engine does not know).
    pub exit_code: Option<i64>,
}

/// A live connection to a process's standard streams (an attached exec or container).
pub struct AttachedIo {
    /// Output as it comes: `Stdout`/`Stderr` chunks, or `Console` with a TTY. Ends when the
    /// process closes its output (it exited).
    pub output: BoxStream<'static, Result<LogChunk, super::EngineError>>,
    /// The process's standard input; `shutdown()` sends end-of-file.
    pub input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
}

impl fmt::Debug for AttachedIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AttachedIo")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_read_from_status_text() {
        assert_eq!(
            HealthStatus::from_status_text("Up 5 seconds (healthy)"),
            Some(HealthStatus::Healthy)
        );
        assert_eq!(
            HealthStatus::from_status_text("Up 1 second (health: starting)"),
            Some(HealthStatus::Starting)
        );
        assert_eq!(HealthStatus::from_status_text("Exited (0) 2 s ago"), None);
        assert_eq!(HealthStatus::from_status_text("Up (("), None);
    }

    #[test]
    fn health_status_event_action_parses() {
        assert_eq!(
            EventAction::parse("health_status: unhealthy"),
            EventAction::HealthStatus(HealthStatus::Unhealthy)
        );
        assert_eq!(EventAction::parse("die"), EventAction::Die);
        assert_eq!(
            EventAction::parse("exec_start: sh"),
            EventAction::Other("exec_start: sh".into())
        );
    }

    #[test]
    fn label_filter_requires_every_selector() {
        let f = LabelFilter::project("p").has("com.docker.compose.service");
        let mut l = Labels::new();
        l.insert("com.docker.compose.project".into(), "p".into());
        assert!(!f.matches(&l));
        l.insert("com.docker.compose.service".into(), "web".into());
        assert!(f.matches(&l));
        l.insert("com.docker.compose.project".into(), "q".into());
        assert!(!f.matches(&l));
        assert_eq!(
            f.to_docker_filters(),
            vec!["com.docker.compose.project=p", "com.docker.compose.service"]
        );
    }
}
