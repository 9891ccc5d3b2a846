//! A service and everything inside it (compose-go's `ServiceConfig` and friends), in the
//! canonical long form. Field order is compose-go's declaration order: that is the order
//! `docker compose config` prints.
//!
//! Plain data; no I/O; imports only sibling model modules.

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};

use super::lenient::{
    de_map_null_default, de_names_or_map, de_opt_string_or, de_vec_string_or, FromName, FromScalar,
};
use super::serde_util::*;

/// Declares `FromName for Option<T>`: a name listed without settings has none (`null`).
impl<T> FromName for Option<T> {
    fn from_name() -> Self {
        None
    }
}

/// One service (`services.<name>`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Service {
    /// The service's key in `services` (not printed).
    #[serde(skip)]
    pub name: String,

    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub profiles: Vec<String>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub annotations: IndexMap<String, String>,
    #[serde(
        deserialize_with = "de_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub attach: Option<bool>,
    #[serde(
        deserialize_with = "de_opt_string_or",
        skip_serializing_if = "Option::is_none"
    )]
    pub build: Option<Build>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub develop: Option<Develop>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blkio_config: Option<BlkioConfig>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub cap_add: Vec<String>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub cap_drop: Vec<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub cgroup_parent: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub cgroup: Option<String>,
    #[serde(deserialize_with = "de_i64", skip_serializing_if = "is_zero_i64")]
    pub cpu_count: i64,
    #[serde(
        deserialize_with = "de_f32",
        serialize_with = "ser_f32",
        skip_serializing_if = "is_zero_f32"
    )]
    pub cpu_percent: f32,
    #[serde(deserialize_with = "de_i64", skip_serializing_if = "is_zero_i64")]
    pub cpu_period: i64,
    #[serde(deserialize_with = "de_i64", skip_serializing_if = "is_zero_i64")]
    pub cpu_quota: i64,
    #[serde(deserialize_with = "de_i64", skip_serializing_if = "is_zero_i64")]
    pub cpu_rt_period: i64,
    #[serde(deserialize_with = "de_i64", skip_serializing_if = "is_zero_i64")]
    pub cpu_rt_runtime: i64,
    #[serde(
        deserialize_with = "de_f32",
        serialize_with = "ser_f32",
        skip_serializing_if = "is_zero_f32"
    )]
    pub cpus: f32,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub cpuset: Option<String>,
    #[serde(deserialize_with = "de_i64", skip_serializing_if = "is_zero_i64")]
    pub cpu_shares: i64,
    /// `None`: not set (the image's command). `Some(vec![])`: explicitly cleared.
    #[serde(deserialize_with = "de_command", skip_serializing_if = "skip_command")]
    pub command: Option<Vec<String>>,
    #[serde(deserialize_with = "de_vec_string_or", skip_serializing_if = "empty")]
    pub configs: Vec<FileReference>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub container_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_spec: Option<CredentialSpec>,
    #[serde(
        deserialize_with = "de_names_or_map",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub depends_on: IndexMap<String, DependsOn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub device_cgroup_rules: Vec<String>,
    #[serde(deserialize_with = "de_vec_string_or", skip_serializing_if = "empty")]
    pub devices: Vec<DeviceMapping>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub dns: Vec<String>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub dns_opt: Vec<String>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub dns_search: Vec<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub domainname: Option<String>,
    /// `None`: not set (the image's entrypoint). `Some(vec![])`: explicitly cleared.
    #[serde(deserialize_with = "de_command", skip_serializing_if = "skip_command")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Provider>,
    /// `None` values are variables declared without a value (`FOO` alone), printed as `null`.
    #[serde(
        deserialize_with = "de_mapping_opt",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub environment: IndexMap<String, Option<String>>,
    #[serde(deserialize_with = "de_vec_string_or", skip_serializing_if = "empty")]
    pub env_file: Vec<EnvFile>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub expose: Vec<String>,
    #[serde(
        deserialize_with = "de_opt_string_or",
        skip_serializing_if = "Option::is_none"
    )]
    pub extends: Option<Extends>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub external_links: Vec<String>,
    /// `host=ip` entries (printed sorted).
    #[serde(
        deserialize_with = "de_extra_hosts",
        serialize_with = "ser_sorted_strings",
        skip_serializing_if = "empty"
    )]
    pub extra_hosts: Vec<String>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub group_add: Vec<String>,
    #[serde(deserialize_with = "de_gpus", skip_serializing_if = "empty")]
    pub gpus: Vec<DeviceRequest>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub image: Option<String>,
    #[serde(
        deserialize_with = "de_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub init: Option<bool>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub ipc: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub isolation: Option<String>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub label_file: Vec<String>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub links: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging: Option<Logging>,
    #[serde(skip_serializing_if = "UnitBytes::is_zero")]
    pub mem_limit: UnitBytes,
    #[serde(skip_serializing_if = "UnitBytes::is_zero")]
    pub mem_reservation: UnitBytes,
    #[serde(skip_serializing_if = "UnitBytes::is_zero")]
    pub memswap_limit: UnitBytes,
    /// compose-go types this as a byte size, so it prints as a string (`"60"`).
    #[serde(skip_serializing_if = "UnitBytes::is_zero")]
    pub mem_swappiness: UnitBytes,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub mac_address: Option<String>,
    #[serde(
        deserialize_with = "de_names_or_map",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub models: IndexMap<String, Option<ServiceModel>>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub network_mode: Option<String>,
    /// Networks the service joins; `None` is joined with no settings (`default: null`).
    #[serde(
        deserialize_with = "de_names_or_map",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub networks: IndexMap<String, Option<ServiceNetwork>>,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub oom_kill_disable: bool,
    #[serde(deserialize_with = "de_i64", skip_serializing_if = "is_zero_i64")]
    pub oom_score_adj: i64,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub pid: Option<String>,
    #[serde(deserialize_with = "de_i64", skip_serializing_if = "is_zero_i64")]
    pub pids_limit: i64,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub platform: Option<String>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub ports: Vec<Port>,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub pull_policy: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub pull_refresh_after: Option<String>,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub restart: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub runtime: Option<String>,
    #[serde(
        deserialize_with = "de_opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub scale: Option<i64>,
    #[serde(deserialize_with = "de_vec_string_or", skip_serializing_if = "empty")]
    pub secrets: Vec<FileReference>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub security_opt: Vec<String>,
    #[serde(skip_serializing_if = "UnitBytes::is_zero")]
    pub shm_size: UnitBytes,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub stdin_open: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stop_grace_period: Option<GoDuration>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub stop_signal: Option<String>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub storage_opt: IndexMap<String, String>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub sysctls: IndexMap<String, String>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub tmpfs: Vec<String>,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub tty: bool,
    #[serde(
        deserialize_with = "de_map",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub ulimits: IndexMap<String, Ulimit>,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub use_api_socket: bool,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub user: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub userns_mode: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub uts: Option<String>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub volumes: Vec<ServiceVolume>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub volumes_from: Vec<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub working_dir: Option<String>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub pre_start: Vec<PreStartHook>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub post_start: Vec<ServiceHook>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub pre_stop: Vec<ServiceHook>,

    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// JSON always has `command`/`entrypoint` (Go can't omit them there); YAML omits unset ones.
fn skip_command(c: &Option<Vec<String>>) -> bool {
    c.is_none() && !json_mode()
}

/// What a dependency waits for.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The dependency has been started (the default).
    #[default]
    ServiceStarted,
    /// The dependency's healthcheck reports healthy.
    ServiceHealthy,
    /// The dependency ran to completion with exit code 0.
    ServiceCompletedSuccessfully,
}

impl Condition {
    /// Reads `service_started`, `service_healthy` or `service_completed_successfully`.
    pub fn parse(s: &str) -> Option<Condition> {
        match s {
            "service_started" => Some(Condition::ServiceStarted),
            "service_healthy" => Some(Condition::ServiceHealthy),
            "service_completed_successfully" => Some(Condition::ServiceCompletedSuccessfully),
            _ => None,
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Condition::ServiceStarted => "service_started",
            Condition::ServiceHealthy => "service_healthy",
            Condition::ServiceCompletedSuccessfully => "service_completed_successfully",
        }
    }
}

/// One `depends_on` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DependsOn {
    #[serde(default)]
    pub condition: Condition,
    /// Restart this service when the dependency is updated.
    #[serde(
        default,
        deserialize_with = "de_bool",
        skip_serializing_if = "is_false"
    )]
    pub restart: bool,
    /// When false, a missing or failed dependency is tolerated.
    #[serde(default = "yes", deserialize_with = "de_bool_default_true")]
    pub required: bool,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

fn yes() -> bool {
    true
}

fn de_bool_default_true<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v: Option<bool> = de_opt_bool(d)?;
    Ok(v.unwrap_or(true))
}

impl Default for DependsOn {
    fn default() -> Self {
        DependsOn {
            condition: Condition::ServiceStarted,
            restart: false,
            required: true,
            extensions: Extensions::default(),
        }
    }
}

impl FromName for DependsOn {
    fn from_name() -> Self {
        DependsOn::default()
    }
}

/// `build`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Build {
    /// `build -m/--memory`: the memory limit of the build's containers, in bytes. A command-line
    /// flag, not a compose key: never read from a file, printed or hashed.
    #[serde(skip)]
    pub memory: Option<i64>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub context: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub dockerfile: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub dockerfile_inline: Option<String>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub entitlements: Vec<String>,
    #[serde(
        deserialize_with = "de_mapping_opt",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub args: IndexMap<String, Option<String>>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub provenance: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub sbom: Option<String>,
    #[serde(deserialize_with = "de_ssh", skip_serializing_if = "empty")]
    pub ssh: Vec<SshKey>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub cache_from: Vec<String>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub cache_to: Vec<String>,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub no_cache: bool,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub no_cache_filter: Vec<String>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub additional_contexts: IndexMap<String, String>,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub pull: bool,
    #[serde(
        deserialize_with = "de_extra_hosts",
        serialize_with = "ser_sorted_strings",
        skip_serializing_if = "empty"
    )]
    pub extra_hosts: Vec<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub isolation: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub network: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub target: Option<String>,
    #[serde(deserialize_with = "de_vec_string_or", skip_serializing_if = "empty")]
    pub secrets: Vec<FileReference>,
    #[serde(skip_serializing_if = "UnitBytes::is_zero")]
    pub shm_size: UnitBytes,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub tags: Vec<String>,
    #[serde(
        deserialize_with = "de_map",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub ulimits: IndexMap<String, Ulimit>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub platforms: Vec<String>,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

impl FromScalar for Build {
    const EXPECTING: &'static str = "a build context path or a build mapping";
    fn from_scalar(s: String) -> Self {
        Build {
            context: Some(s),
            ..Build::default()
        }
    }
}

/// One `build.ssh` entry: `default`, or `id` with a path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshKey {
    pub id: String,
    pub path: Option<String>,
}

impl Serialize for SshKey {
    /// Printed as compose-go does: `id` or `id: path` (one string).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.path.as_deref().filter(|p| !p.is_empty()) {
            None => s.serialize_str(&self.id),
            Some(p) => s.serialize_str(&format!("{}: {}", self.id, p)),
        }
    }
}

fn de_ssh<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SshKey>, D::Error> {
    use serde::de::Error;
    let v = serde_yaml::Value::deserialize(d)?;
    let parse = |s: &str| -> SshKey {
        let split = s.split_once('=').or_else(|| s.split_once(": "));
        match split {
            Some((id, path)) => SshKey {
                id: id.trim().to_string(),
                path: Some(path.trim().to_string()),
            },
            None => SshKey {
                id: s.to_string(),
                path: None,
            },
        }
    };
    match &v {
        serde_yaml::Value::Null => Ok(Vec::new()),
        serde_yaml::Value::Sequence(items) => items
            .iter()
            .map(|it| {
                scalar_text(it)
                    .map(|s| parse(&s))
                    .ok_or_else(|| D::Error::custom("expected `id` or `id=path`"))
            })
            .collect(),
        serde_yaml::Value::Mapping(m) => Ok(m
            .iter()
            .map(|(k, v)| SshKey {
                id: key_to_string(k),
                path: scalar_text(v),
            })
            .collect()),
        serde_yaml::Value::String(s) => Ok(vec![parse(s)]),
        other => Err(type_error("a list of ssh keys", other)),
    }
}

/// `develop`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Develop {
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub watch: Vec<WatchRule>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// What a watch rule does when a file changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WatchAction {
    #[serde(rename = "sync")]
    Sync,
    #[serde(rename = "rebuild")]
    Rebuild,
    #[serde(rename = "restart")]
    Restart,
    #[serde(rename = "sync+restart")]
    SyncRestart,
    #[serde(rename = "sync+exec")]
    SyncExec,
}

/// One `develop.watch` rule (compose-go's `Trigger`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WatchRule {
    #[serde(default, deserialize_with = "de_string")]
    pub path: String,
    pub action: WatchAction,
    #[serde(
        default,
        deserialize_with = "de_opt_string",
        skip_serializing_if = "str_empty"
    )]
    pub target: Option<String>,
    /// Go's `exec` is a struct value, never omitted from JSON (`{"command":null}` when unset).
    #[serde(
        default,
        skip_serializing_if = "skip_exec",
        serialize_with = "ser_exec"
    )]
    pub exec: Option<ServiceHook>,
    #[serde(
        default,
        deserialize_with = "de_string_list",
        skip_serializing_if = "empty"
    )]
    pub include: Vec<String>,
    #[serde(
        default,
        deserialize_with = "de_string_list",
        skip_serializing_if = "empty"
    )]
    pub ignore: Vec<String>,
    #[serde(
        default,
        deserialize_with = "de_bool",
        skip_serializing_if = "is_false"
    )]
    pub initial_sync: bool,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

fn skip_exec(e: &Option<ServiceHook>) -> bool {
    e.is_none() && !json_mode()
}

fn ser_exec<S: serde::Serializer>(e: &Option<ServiceHook>, s: S) -> Result<S::Ok, S::Error> {
    match e {
        Some(h) => h.serialize(s),
        None => ServiceHook::default().serialize(s),
    }
}

/// A `pre_start` hook: a one-shot job run before the service's containers start. compose-go
/// makes it a service of its own: the hook's keys over a copy of the service without what only
/// the service's own containers have (ports, volumes, build, deploy, restart, healthcheck,
/// depends_on, links...; the loader makes that copy when it normalises), printed as a service,
/// then `per_replica`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PreStartHook {
    #[serde(flatten)]
    pub job: Service,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub per_replica: bool,
}

/// A command run in a container at a lifecycle point (`post_start`, `pre_stop`, watch `exec`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceHook {
    /// JSON always has it (`null` when unset), as Go's `ShellCommand` tagged `json:"command"`.
    #[serde(deserialize_with = "de_command", skip_serializing_if = "skip_command")]
    pub command: Option<Vec<String>>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub user: Option<String>,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub privileged: bool,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub working_dir: Option<String>,
    #[serde(
        deserialize_with = "de_mapping_opt",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub environment: IndexMap<String, Option<String>>,
    /// `pre_start` only: run in this image instead of the service's.
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub image: Option<String>,
    /// `pre_start` only.
    #[serde(
        deserialize_with = "de_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub per_replica: Option<bool>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// `blkio_config`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlkioConfig {
    #[serde(deserialize_with = "de_u32", skip_serializing_if = "is_zero_u32")]
    pub weight: u32,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub weight_device: Vec<WeightDevice>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub device_read_bps: Vec<ThrottleDevice>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub device_read_iops: Vec<ThrottleDevice>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub device_write_bps: Vec<ThrottleDevice>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub device_write_iops: Vec<ThrottleDevice>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// One `blkio_config.weight_device` entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct WeightDevice {
    /// `Path` / `Weight` are the JSON spellings (Go reads field names case-insensitively).
    #[serde(alias = "Path", deserialize_with = "de_string")]
    pub path: String,
    #[serde(alias = "Weight", deserialize_with = "de_u32")]
    pub weight: u32,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// One `blkio_config.device_{read,write}_{bps,iops}` entry.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ThrottleDevice {
    #[serde(alias = "Path", deserialize_with = "de_string")]
    pub path: String,
    #[serde(alias = "Rate")]
    pub rate: UnitBytes,
    #[serde(flatten)]
    pub extensions: Extensions,
}

/// Writes a blkio device entry: `path` and the value in YAML (extensions after), but `Path` and
/// the capitalised value name in JSON, where compose-go's structs have no json tags (Go then uses
/// the field names) and extensions are left out.
fn ser_blkio_device<S: serde::Serializer, V: Serialize>(
    s: S,
    path: &str,
    (yaml_key, json_key): (&str, &str),
    value: &V,
    extensions: &Extensions,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let json = json_mode();
    let mut m = s.serialize_map(None)?;
    m.serialize_entry(if json { "Path" } else { "path" }, path)?;
    m.serialize_entry(if json { json_key } else { yaml_key }, value)?;
    if !extensions.skip() {
        for (k, v) in extensions.sorted() {
            m.serialize_entry(k, &v)?;
        }
    }
    m.end()
}

impl Serialize for WeightDevice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let keys = ("weight", "Weight");
        ser_blkio_device(s, &self.path, keys, &self.weight, &self.extensions)
    }
}

impl Serialize for ThrottleDevice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let keys = ("rate", "Rate");
        ser_blkio_device(s, &self.path, keys, &self.rate, &self.extensions)
    }
}

/// One `devices` entry (`/dev/ttyUSB0:/dev/ttyUSB0:rwm` in long form).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceMapping {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub source: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub target: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub permissions: Option<String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

impl FromScalar for DeviceMapping {
    const EXPECTING: &'static str = "a device mapping `host[:container[:permissions]]`";
    fn from_scalar(s: String) -> Self {
        let parts: Vec<&str> = s.split(':').collect();
        let (src, dst, perm) = match parts.as_slice() {
            [a] => (*a, *a, "rwm"),
            [a, b] => (*a, *b, "rwm"),
            [a, b, c, ..] => (*a, *b, *c),
            [] => ("", "", "rwm"),
        };
        DeviceMapping {
            source: Some(src.to_string()),
            target: Some(dst.to_string()),
            permissions: Some(perm.to_string()),
            extensions: Extensions::default(),
        }
    }
}

/// A device reservation (`gpus`, `deploy.resources.reservations.devices`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceRequest {
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub capabilities: Vec<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub driver: Option<String>,
    /// Number of devices; -1 means all.
    #[serde(
        deserialize_with = "de_device_count",
        skip_serializing_if = "is_zero_i64"
    )]
    pub count: i64,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub device_ids: Vec<String>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub options: IndexMap<String, String>,
}

fn de_device_count<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    let v = serde_yaml::Value::deserialize(d)?;
    match &v {
        serde_yaml::Value::String(s) if s.eq_ignore_ascii_case("all") => Ok(-1),
        serde_yaml::Value::String(s) => s.trim().parse().map_err(|_| {
            D::Error::custom(format!(
                "invalid value {s:?}, the only value allowed is 'all' or a number"
            ))
        }),
        serde_yaml::Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| D::Error::custom(format!("invalid device count {n}"))),
        serde_yaml::Value::Null => Ok(0),
        other => Err(type_error("'all' or a number", other)),
    }
}

fn de_gpus<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<DeviceRequest>, D::Error> {
    use serde::de::Error;
    let v = serde_yaml::Value::deserialize(d)?;
    match v {
        serde_yaml::Value::Null => Ok(Vec::new()),
        serde_yaml::Value::String(s) if s.eq_ignore_ascii_case("all") => Ok(vec![DeviceRequest {
            count: -1,
            ..DeviceRequest::default()
        }]),
        serde_yaml::Value::Sequence(_) => {
            serde_yaml::from_value(v).map_err(|e| D::Error::custom(e.to_string()))
        }
        other => Err(type_error("'all' or a list of device requests", &other)),
    }
}

/// `environment`-like references to variables? No: `env_file` entries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EnvFile {
    #[serde(deserialize_with = "de_string")]
    pub path: String,
    /// `None` means required (the default). Printed only when set (`false` in practice).
    #[serde(deserialize_with = "de_opt_bool", skip_serializing_if = "skip_opt_out")]
    pub required: Option<bool>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub format: Option<String>,
}

impl EnvFile {
    /// Whether a missing file is an error (default true).
    pub fn is_required(&self) -> bool {
        self.required.unwrap_or(true)
    }
}

/// compose-go's `OptOut`: `true` is the default and is not printed.
fn skip_opt_out(b: &Option<bool>) -> bool {
    b.is_none_or(|b| b)
}

impl FromScalar for EnvFile {
    const EXPECTING: &'static str = "an env file path or {path, required, format}";
    fn from_scalar(s: String) -> Self {
        EnvFile {
            path: s,
            ..EnvFile::default()
        }
    }
}

/// `extends`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Extends {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub file: Option<String>,
    #[serde(
        deserialize_with = "de_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub service: String,
}

impl FromScalar for Extends {
    const EXPECTING: &'static str = "a service name or {service, file}";
    fn from_scalar(s: String) -> Self {
        Extends {
            file: None,
            service: s,
        }
    }
}

/// `credential_spec` (Windows).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CredentialSpec {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub config: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub file: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub registry: Option<String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// `provider`: a service implemented by a plugin instead of a container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Provider {
    #[serde(rename = "type", deserialize_with = "de_string")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(
        deserialize_with = "de_multi_options",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub options: IndexMap<String, Vec<String>>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

fn de_multi_options<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, Vec<String>>, D::Error> {
    let m: IndexMap<String, serde_yaml::Value> = de_map(d)?;
    let mut out = IndexMap::new();
    for (k, v) in m {
        let list = match &v {
            serde_yaml::Value::Sequence(items) => items.iter().filter_map(scalar_text).collect(),
            other => scalar_text(other).into_iter().collect(),
        };
        out.insert(k, list);
    }
    Ok(out)
}

/// `healthcheck`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Healthcheck {
    /// `["CMD", ...]`, `["CMD-SHELL", "..."]` or `["NONE"]`.
    #[serde(deserialize_with = "de_health_test", skip_serializing_if = "empty")]
    pub test: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<GoDuration>,
    #[serde(
        deserialize_with = "de_opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub retries: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<GoDuration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_interval: Option<GoDuration>,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub disable: bool,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// `logging`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Logging {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub driver: Option<String>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub options: IndexMap<String, String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// `deploy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Deploy {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub mode: Option<String>,
    #[serde(
        deserialize_with = "de_opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub replicas: Option<i64>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub update_config: Option<UpdateConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rollback_config: Option<UpdateConfig>,
    #[serde(
        deserialize_with = "de_nullable",
        skip_serializing_if = "skip_resources"
    )]
    pub resources: Resources,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    #[serde(
        deserialize_with = "de_nullable",
        skip_serializing_if = "skip_placement"
    )]
    pub placement: Placement,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub endpoint_mode: Option<String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

fn skip_resources(r: &Resources) -> bool {
    *r == Resources::default() && !json_mode()
}

fn skip_placement(p: &Placement) -> bool {
    *p == Placement::default() && !json_mode()
}

/// `deploy.update_config` / `deploy.rollback_config`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UpdateConfig {
    #[serde(
        deserialize_with = "de_opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub parallelism: Option<u64>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "dur_zero")]
    pub delay: Option<GoDuration>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub failure_action: Option<String>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "dur_zero")]
    pub monitor: Option<GoDuration>,
    #[serde(
        deserialize_with = "de_f32",
        serialize_with = "ser_f32",
        skip_serializing_if = "is_zero_f32"
    )]
    pub max_failure_ratio: f32,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub order: Option<String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// `deploy.resources`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Resources {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limits: Option<Resource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reservations: Option<Resource>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// `deploy.resources.limits` / `.reservations`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Resource {
    #[serde(
        deserialize_with = "de_f32",
        serialize_with = "ser_f32",
        skip_serializing_if = "is_zero_f32"
    )]
    pub cpus: f32,
    #[serde(skip_serializing_if = "UnitBytes::is_zero")]
    pub memory: UnitBytes,
    #[serde(deserialize_with = "de_i64", skip_serializing_if = "is_zero_i64")]
    pub pids: i64,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub devices: Vec<DeviceRequest>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub generic_resources: Vec<GenericResource>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GenericResource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discrete_resource_spec: Option<DiscreteResourceSpec>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiscreteResourceSpec {
    #[serde(deserialize_with = "de_string")]
    pub kind: String,
    #[serde(deserialize_with = "de_i64")]
    pub value: i64,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// `deploy.restart_policy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RestartPolicy {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub condition: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay: Option<GoDuration>,
    #[serde(
        deserialize_with = "de_opt_u64",
        skip_serializing_if = "Option::is_none"
    )]
    pub max_attempts: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<GoDuration>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// `deploy.placement`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Placement {
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub constraints: Vec<String>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub preferences: Vec<PlacementPreference>,
    #[serde(
        rename = "max_replicas_per_node",
        deserialize_with = "de_u64",
        skip_serializing_if = "is_zero_u64"
    )]
    pub max_replicas: u64,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PlacementPreference {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub spread: Option<String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// A service's settings on one network (`services.<s>.networks.<n>`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceNetwork {
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub aliases: Vec<String>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub driver_opts: IndexMap<String, String>,
    #[serde(deserialize_with = "de_i64", skip_serializing_if = "is_zero_i64")]
    pub gw_priority: i64,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub interface_name: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub ipv4_address: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub ipv6_address: Option<String>,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub link_local_ips: Vec<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub mac_address: Option<String>,
    #[serde(deserialize_with = "de_i64", skip_serializing_if = "is_zero_i64")]
    pub priority: i64,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// A service's use of a model (`services.<s>.models.<m>`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceModel {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub endpoint_var: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub model_var: Option<String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// One published or exposed port, long form. `published` is a string (it may be a range).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Port {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub mode: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub host_ip: Option<String>,
    #[serde(deserialize_with = "de_u32", skip_serializing_if = "is_zero_u32")]
    pub target: u32,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub published: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub protocol: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub app_protocol: Option<String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// One `volumes` entry of a service, long form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceVolume {
    /// `bind`, `volume`, `tmpfs`, `npipe`, `cluster` or `image`.
    #[serde(rename = "type", deserialize_with = "de_string")]
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub source: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub target: Option<String>,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub consistency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bind: Option<BindOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<VolumeOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tmpfs: Option<TmpfsOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageOptions>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BindOptions {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub selinux: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub propagation: Option<String>,
    /// `None` means the default (create it). Kept as given so both of docker compose's
    /// renderings round-trip; JSON omits `true` (Go's `OptOut`, `omitzero`).
    #[serde(
        deserialize_with = "de_opt_bool",
        skip_serializing_if = "skip_create_host_path"
    )]
    pub create_host_path: Option<bool>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub recursive: Option<String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

fn skip_create_host_path(b: &Option<bool>) -> bool {
    match b {
        None => true,
        Some(true) => json_mode(),
        Some(false) => false,
    }
}

impl BindOptions {
    /// Whether a missing host path is created (default true).
    pub fn creates_host_path(&self) -> bool {
        self.create_host_path.unwrap_or(true)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VolumeOptions {
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub nocopy: bool,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub subpath: Option<String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TmpfsOptions {
    #[serde(skip_serializing_if = "UnitBytes::is_zero")]
    pub size: UnitBytes,
    #[serde(
        deserialize_with = "de_tmpfs_mode",
        skip_serializing_if = "is_zero_u32"
    )]
    pub mode: u32,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// tmpfs `mode`: an integer, or an octal string (`"1777"`).
fn de_tmpfs_mode<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    use serde::de::Error;
    let v = serde_yaml::Value::deserialize(d)?;
    match &v {
        serde_yaml::Value::String(s) => u32::from_str_radix(s.trim(), 8)
            .map_err(|_| D::Error::custom(format!("invalid mode {s:?}: expected octal"))),
        serde_yaml::Value::Number(n) => n
            .as_u64()
            .and_then(|u| u32::try_from(u).ok())
            .ok_or_else(|| D::Error::custom(format!("invalid mode {n}"))),
        serde_yaml::Value::Null => Ok(0),
        other => Err(type_error("a file mode", other)),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ImageOptions {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub subpath: Option<String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// A service's use of a secret or config (`secrets:` / `configs:` / `build.secrets:` entries).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FileReference {
    #[serde(
        deserialize_with = "de_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub source: String,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub target: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub uid: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub gid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<FileMode>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

impl FromScalar for FileReference {
    const EXPECTING: &'static str = "a name or {source, target, uid, gid, mode}";
    fn from_scalar(s: String) -> Self {
        FileReference {
            source: s,
            ..FileReference::default()
        }
    }
}

/// A ulimit: one value for both soft and hard, or the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ulimit {
    Single(i64),
    SoftHard { soft: i64, hard: i64 },
}

impl Ulimit {
    pub fn soft(&self) -> i64 {
        match *self {
            Ulimit::Single(v) => v,
            Ulimit::SoftHard { soft, .. } => soft,
        }
    }
    pub fn hard(&self) -> i64 {
        match *self {
            Ulimit::Single(v) => v,
            Ulimit::SoftHard { hard, .. } => hard,
        }
    }
}

impl Serialize for Ulimit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match *self {
            Ulimit::Single(v) => s.serialize_i64(v),
            Ulimit::SoftHard { soft, hard } => {
                let json = json_mode();
                let mut m = s.serialize_map(None)?;
                if !json || soft != 0 {
                    m.serialize_entry("soft", &soft)?;
                }
                if !json || hard != 0 {
                    m.serialize_entry("hard", &hard)?;
                }
                m.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Ulimit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = serde_yaml::Value::deserialize(d)?;
        let int = |v: &serde_yaml::Value, what: &str| -> Result<i64, D::Error> {
            match v {
                serde_yaml::Value::Number(n) => n
                    .as_i64()
                    .ok_or_else(|| D::Error::custom(format!("{what}: expected an integer"))),
                serde_yaml::Value::String(s) => s.trim().parse().map_err(|_| {
                    D::Error::custom(format!("{what}: expected an integer, found {s:?}"))
                }),
                other => Err(type_error("an integer", other)),
            }
        };
        match &v {
            serde_yaml::Value::Mapping(m) => {
                let mut soft = 0;
                let mut hard = 0;
                for (k, val) in m {
                    match key_to_string(k).as_str() {
                        "soft" => soft = int(val, "soft")?,
                        "hard" => hard = int(val, "hard")?,
                        other => {
                            return Err(D::Error::custom(format!(
                                "unknown key {other:?} (expected soft and hard)"
                            )))
                        }
                    }
                }
                Ok(Ulimit::SoftHard { soft, hard })
            }
            other => int(other, "ulimit").map(Ulimit::Single),
        }
    }
}

/// Reads `services`: a mapping of names to services (a `null` body is an empty service).
pub(crate) fn de_services<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, Service>, D::Error> {
    de_map_null_default(d)
}
