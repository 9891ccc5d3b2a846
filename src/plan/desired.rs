//! The planner's view of the desired state: what it needs to know about each service, read from
//! the project's canonical form (the tree `rcompose config` prints), plus the per-service config
//! hash. Reading the canonical tree rather than the typed fields keeps the hash stable and complete:
//! every key the model serialises takes part, except the ones that don't affect the container.

use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};
use sha2::{Digest, Sha256};

use super::PlanError;

/// Service keys left out of the config hash: they don't change the container itself
/// (same list as docker compose's `ServiceHash`).
pub const HASH_EXCLUDED_KEYS: &[&str] =
    &["build", "pull_policy", "scale", "depends_on", "profiles"];

/// Condition of a `depends_on` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    ServiceStarted,
    ServiceHealthy,
    ServiceCompletedSuccessfully,
}

impl Condition {
    pub fn parse(s: &str) -> Option<Condition> {
        match s {
            "service_started" => Some(Condition::ServiceStarted),
            "service_healthy" => Some(Condition::ServiceHealthy),
            "service_completed_successfully" => Some(Condition::ServiceCompletedSuccessfully),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::ServiceStarted => "service_started",
            Condition::ServiceHealthy => "service_healthy",
            Condition::ServiceCompletedSuccessfully => "service_completed_successfully",
        }
    }
}

/// One `depends_on` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub condition: Condition,
    pub required: bool,
    pub restart: bool,
}

/// What the planner needs to know about one service.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredService {
    pub name: String,
    /// `image:` as written, if any.
    pub image: Option<String>,
    /// The image the containers run: `image`, else `<project>-<service>` (built).
    pub image_name: String,
    pub has_build: bool,
    /// `build.tags`: more names the built image gets (pushed by `push` too).
    pub build_tags: Vec<String>,
    /// `pull_policy:` (`always`, `never`, `missing`, `build`, `if_not_present`, `daily`...).
    pub pull_policy: Option<String>,
    /// `scale` / `deploy.replicas`, default 1.
    pub replicas: u32,
    pub container_name: Option<String>,
    pub depends_on: IndexMap<String, Dependency>,
    pub network_mode: Option<String>,
    pub pid: Option<String>,
    pub ipc: Option<String>,
    pub volumes_from: Vec<String>,
    /// Network keys the service attaches to (empty when `network_mode` is set).
    pub networks: Vec<String>,
    /// Named (project-level) volume keys the service mounts.
    pub named_volumes: Vec<String>,
    pub has_healthcheck: bool,
    /// `stop_grace_period` in seconds, if set.
    pub stop_grace_period: Option<u64>,
    pub stop_signal: Option<String>,
    pub config_hash: String,
}

impl DesiredService {
    /// The service another one shares a namespace with: `network_mode`/`pid`/`ipc: service:x`.
    pub fn namespace_parents(&self) -> Vec<String> {
        let mut out = Vec::new();
        for v in [&self.network_mode, &self.pid, &self.ipc]
            .into_iter()
            .flatten()
        {
            if let Some(s) = v.strip_prefix("service:") {
                if !out.iter().any(|o| o == s) {
                    out.push(s.to_string());
                }
            }
        }
        out
    }

    /// Engine name of the container for replica `number`.
    pub fn container_name_for(&self, project: &str, number: u32) -> String {
        match &self.container_name {
            Some(n) => n.clone(),
            None => format!("{project}-{}-{number}", self.name),
        }
    }
}

/// A project-level network or volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredResource {
    pub key: String,
    /// Engine name (`name:` or `<project>_<key>`).
    pub name: String,
    pub external: bool,
    pub config_hash: String,
}

/// The desired state of a project, as the planner sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Desired {
    pub project: String,
    pub services: IndexMap<String, DesiredService>,
    pub networks: IndexMap<String, DesiredResource>,
    pub volumes: IndexMap<String, DesiredResource>,
}

fn get<'a>(m: &'a Mapping, k: &str) -> Option<&'a Value> {
    m.get(Value::String(k.to_string()))
}

fn get_str(m: &Mapping, k: &str) -> Option<String> {
    match get(m, k)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn get_bool(m: &Mapping, k: &str) -> Option<bool> {
    match get(m, k)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "true" | "True" => Some(true),
            "false" | "False" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn get_u32(m: &Mapping, k: &str) -> Option<u32> {
    match get(m, k)? {
        Value::Number(n) => n.as_u64().and_then(|v| u32::try_from(v).ok()),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn key_str(k: &Value) -> Option<String> {
    match k {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Parses a Go-style duration (`10s`, `1m30s`, `500ms`) into whole seconds (rounded down).
fn duration_secs(s: &str) -> Option<u64> {
    let mut total_ms: u128 = 0;
    let mut num = String::new();
    let mut chars = s.trim().chars().peekable();
    chars.peek()?;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let mut unit = String::from(c);
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() || n == 'µ' {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let v: f64 = num.parse().ok()?;
        num.clear();
        let ms = match unit.as_str() {
            "h" => v * 3_600_000.0,
            "m" => v * 60_000.0,
            "s" => v * 1000.0,
            "ms" => v,
            "us" | "µs" => v / 1000.0,
            "ns" => v / 1_000_000.0,
            _ => return None,
        };
        total_ms += ms as u128;
    }
    if !num.is_empty() {
        // A bare number: seconds.
        let v: f64 = num.parse().ok()?;
        total_ms += (v * 1000.0) as u128;
    }
    u64::try_from(total_ms / 1000).ok()
}

/// SHA-256 (hex) of the canonical JSON text of `value`.
pub fn hash_value(value: &Value) -> String {
    let text = match serde_json::to_string(value) {
        Ok(t) => t,
        // Non-string keys cannot be JSON; fall back to the YAML text, which is just as stable.
        Err(_) => serde_yaml::to_string(value).unwrap_or_default(),
    };
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The config hash of a service given its canonical tree: everything except the keys that don't
/// affect the container (`build`, `pull_policy`, `scale`, `deploy.replicas`, `depends_on`,
/// `profiles`).
pub fn service_config_hash(service: &Value) -> String {
    let mut v = service.clone();
    if let Value::Mapping(m) = &mut v {
        for k in HASH_EXCLUDED_KEYS {
            m.remove(Value::String((*k).to_string()));
        }
        if let Some(Value::Mapping(deploy)) = m.get_mut(Value::String("deploy".into())) {
            deploy.remove(Value::String("replicas".into()));
            if deploy.is_empty() {
                m.remove(Value::String("deploy".into()));
            }
        }
    }
    hash_value(&v)
}

impl Desired {
    /// The desired state as far as the engine's labels tell it, for commands run without a
    /// compose file (`down -p name`): every service that has containers (with its `depends_on`
    /// from the label, so that stops go in reverse dependency order), every network and volume
    /// of the project. Nothing is created from it.
    pub fn from_observed(project: &str, observed: &super::Observed) -> Desired {
        let mut d = Desired {
            project: project.to_string(),
            ..Desired::default()
        };
        for c in observed.containers.iter().filter(|c| !c.oneoff) {
            if c.service.is_empty() {
                continue;
            }
            let entry = d
                .services
                .entry(c.service.clone())
                .or_insert_with(|| DesiredService {
                    name: c.service.clone(),
                    image: None,
                    image_name: String::new(),
                    has_build: false,
                    build_tags: Vec::new(),
                    pull_policy: None,
                    replicas: 0,
                    container_name: None,
                    depends_on: IndexMap::new(),
                    network_mode: None,
                    pid: None,
                    ipc: None,
                    volumes_from: Vec::new(),
                    networks: Vec::new(),
                    named_volumes: Vec::new(),
                    has_healthcheck: false,
                    stop_grace_period: None,
                    stop_signal: None,
                    config_hash: c.config_hash.clone(),
                });
            entry.replicas = entry.replicas.max(c.number);
            for item in c.depends_on.split(',').filter(|s| !s.is_empty()) {
                let mut parts = item.split(':');
                let Some(dep) = parts.next().filter(|s| !s.is_empty()) else {
                    continue;
                };
                let condition = parts
                    .next()
                    .and_then(Condition::parse)
                    .unwrap_or(Condition::ServiceStarted);
                let restart = parts.next() == Some("true");
                entry
                    .depends_on
                    .entry(dep.to_string())
                    .or_insert(Dependency {
                        condition,
                        required: true,
                        restart,
                    });
            }
        }
        // Only services that still have containers take part.
        let present: Vec<String> = d.services.keys().cloned().collect();
        for svc in d.services.values_mut() {
            svc.depends_on.retain(|k, _| present.contains(k));
        }
        for (kind, list, target) in [
            ("network", &observed.networks, &mut d.networks),
            ("volume", &observed.volumes, &mut d.volumes),
        ] {
            for r in list {
                let key = if r.key.is_empty() {
                    format!("{kind}:{}", r.name)
                } else {
                    r.key.clone()
                };
                target.insert(
                    key.clone(),
                    DesiredResource {
                        key,
                        name: r.name.clone(),
                        external: false,
                        config_hash: r.config_hash.clone(),
                    },
                );
            }
        }
        d
    }

    /// Reads the desired state from a project's canonical tree (`name`, `services`, `networks`,
    /// `volumes`). `project_name` overrides `name:` when given.
    pub fn from_canonical(root: &Value, project_name: Option<&str>) -> Result<Desired, PlanError> {
        let empty = Mapping::new();
        let root = match root {
            Value::Mapping(m) => m,
            Value::Null => &empty,
            _ => return Err(PlanError::Invalid("the project is not a mapping".into())),
        };
        let project = project_name
            .map(str::to_string)
            .or_else(|| get_str(root, "name"))
            .filter(|n| !n.is_empty())
            .ok_or_else(|| PlanError::Invalid("the project has no name".into()))?;

        let mut desired = Desired {
            project: project.clone(),
            ..Desired::default()
        };

        for (kind, target) in [
            ("networks", &mut desired.networks),
            ("volumes", &mut desired.volumes),
        ] {
            if let Some(Value::Mapping(m)) = get(root, kind) {
                for (k, v) in m {
                    let Some(key) = key_str(k) else { continue };
                    let body = match v {
                        Value::Mapping(b) => b.clone(),
                        _ => Mapping::new(),
                    };
                    let external = match get(&body, "external") {
                        Some(Value::Bool(b)) => *b,
                        Some(Value::Mapping(_)) => true,
                        _ => false,
                    };
                    let name = get_str(&body, "name").unwrap_or_else(|| {
                        if external {
                            key.clone()
                        } else {
                            format!("{project}_{key}")
                        }
                    });
                    target.insert(
                        key.clone(),
                        DesiredResource {
                            key,
                            name,
                            external,
                            config_hash: hash_value(v),
                        },
                    );
                }
            }
        }

        let services = match get(root, "services") {
            Some(Value::Mapping(m)) => m.clone(),
            Some(Value::Null) | None => Mapping::new(),
            Some(_) => return Err(PlanError::Invalid("`services` is not a mapping".into())),
        };
        for (k, v) in &services {
            let Some(name) = key_str(k) else { continue };
            let svc = read_service(&project, &name, v, &desired)?;
            desired.services.insert(name, svc);
        }
        Ok(desired)
    }
}

fn read_service(
    project: &str,
    name: &str,
    v: &Value,
    desired: &Desired,
) -> Result<DesiredService, PlanError> {
    let empty = Mapping::new();
    let m = match v {
        Value::Mapping(m) => m,
        Value::Null => &empty,
        _ => {
            return Err(PlanError::Invalid(format!(
                "services.{name} is not a mapping"
            )))
        }
    };
    let image = get_str(m, "image");
    let image_name = image.clone().unwrap_or_else(|| format!("{project}-{name}"));
    let deploy_replicas = match get(m, "deploy") {
        Some(Value::Mapping(d)) => get_u32(d, "replicas"),
        _ => None,
    };
    let replicas = get_u32(m, "scale").or(deploy_replicas).unwrap_or(1);

    let mut depends_on = IndexMap::new();
    match get(m, "depends_on") {
        Some(Value::Mapping(d)) => {
            for (dk, dv) in d {
                let Some(dep) = key_str(dk) else { continue };
                let dm = match dv {
                    Value::Mapping(x) => x.clone(),
                    _ => Mapping::new(),
                };
                let condition = match get_str(&dm, "condition") {
                    Some(c) => Condition::parse(&c).ok_or_else(|| {
                        PlanError::Invalid(format!(
                            "services.{name}.depends_on.{dep}.condition: unknown condition {c:?}"
                        ))
                    })?,
                    None => Condition::ServiceStarted,
                };
                depends_on.insert(
                    dep,
                    Dependency {
                        condition,
                        required: get_bool(&dm, "required").unwrap_or(true),
                        restart: get_bool(&dm, "restart").unwrap_or(false),
                    },
                );
            }
        }
        Some(Value::Sequence(seq)) => {
            for d in seq {
                if let Some(dep) = key_str(d) {
                    depends_on.insert(
                        dep,
                        Dependency {
                            condition: Condition::ServiceStarted,
                            required: true,
                            restart: false,
                        },
                    );
                }
            }
        }
        _ => {}
    }

    let network_mode = get_str(m, "network_mode");
    let mut networks = Vec::new();
    if network_mode.is_none() {
        match get(m, "networks") {
            Some(Value::Mapping(n)) => {
                // Priority order (higher first), then declaration order, like compose-go.
                let mut list: Vec<(i64, usize, String)> = Vec::new();
                for (i, (nk, nv)) in n.iter().enumerate() {
                    let Some(key) = key_str(nk) else { continue };
                    let prio = match nv {
                        Value::Mapping(b) => match get(b, "priority") {
                            Some(Value::Number(p)) => p.as_i64().unwrap_or(0),
                            _ => 0,
                        },
                        _ => 0,
                    };
                    list.push((prio, i, key));
                }
                list.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                networks = list.into_iter().map(|(_, _, k)| k).collect();
            }
            Some(Value::Sequence(seq)) => networks = seq.iter().filter_map(key_str).collect(),
            _ => {
                if desired.networks.contains_key("default") {
                    networks.push("default".to_string());
                }
            }
        }
    }

    let mut named_volumes = Vec::new();
    if let Some(Value::Sequence(vols)) = get(m, "volumes") {
        for vol in vols {
            if let Value::Mapping(vm) = vol {
                let is_volume = get_str(vm, "type").is_none_or(|t| t == "volume");
                if let (true, Some(src)) = (is_volume, get_str(vm, "source")) {
                    if desired.volumes.contains_key(&src) && !named_volumes.contains(&src) {
                        named_volumes.push(src);
                    }
                }
            }
        }
    }

    let volumes_from = match get(m, "volumes_from") {
        Some(Value::Sequence(seq)) => seq.iter().filter_map(key_str).collect(),
        _ => Vec::new(),
    };
    let has_healthcheck = match get(m, "healthcheck") {
        Some(Value::Mapping(h)) => {
            let disabled = get_bool(h, "disable").unwrap_or(false);
            let test_none = match get(h, "test") {
                Some(Value::Sequence(t)) => {
                    matches!(t.first(), Some(Value::String(s)) if s == "NONE")
                }
                _ => false,
            };
            !disabled && !test_none
        }
        _ => false,
    };

    Ok(DesiredService {
        name: name.to_string(),
        image,
        image_name,
        has_build: matches!(
            get(m, "build"),
            Some(Value::Mapping(_)) | Some(Value::String(_))
        ),
        build_tags: match get(m, "build") {
            Some(Value::Mapping(b)) => match get(b, "tags") {
                Some(Value::Sequence(tags)) => tags.iter().filter_map(key_str).collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        },
        pull_policy: get_str(m, "pull_policy"),
        replicas,
        container_name: get_str(m, "container_name"),
        depends_on,
        network_mode,
        pid: get_str(m, "pid"),
        ipc: get_str(m, "ipc"),
        volumes_from,
        networks,
        named_volumes,
        has_healthcheck,
        stop_grace_period: get_str(m, "stop_grace_period").and_then(|s| duration_secs(&s)),
        stop_signal: get_str(m, "stop_signal"),
        config_hash: service_config_hash(v),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(y: &str) -> Desired {
        let v: Value = serde_yaml::from_str(y).unwrap_or(Value::Null);
        match Desired::from_canonical(&v, None) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn hash_ignores_build_scale_replicas_and_depends_on() {
        let a = load("name: p\nservices:\n  web:\n    image: x\n    scale: 2\n    build: {context: .}\n    depends_on: {db: {condition: service_started}}\n    deploy: {replicas: 3}\n  db: {image: y}\n");
        let b = load("name: p\nservices:\n  web:\n    image: x\n  db: {image: y}\n");
        assert_eq!(a.services["web"].config_hash, b.services["web"].config_hash);
        let c =
            load("name: p\nservices:\n  web:\n    image: x\n    command: [sh]\n  db: {image: y}\n");
        assert_ne!(a.services["web"].config_hash, c.services["web"].config_hash);
        assert_eq!(a.services["web"].replicas, 2);
    }

    #[test]
    fn reads_names_networks_and_volumes() {
        let d = load("name: p\nservices:\n  web:\n    image: x\n    networks: {front: {priority: 1}, default: null}\n    volumes: [{type: volume, source: data, target: /d}, {type: bind, source: /h, target: /h}]\n    stop_grace_period: 1m30s\nnetworks:\n  default: {name: p_default}\n  front: {}\nvolumes:\n  data: {name: p_data}\n");
        let web = &d.services["web"];
        assert_eq!(web.networks, vec!["front", "default"]);
        assert_eq!(web.named_volumes, vec!["data"]);
        assert_eq!(web.stop_grace_period, Some(90));
        assert_eq!(d.networks["front"].name, "p_front");
        assert_eq!(web.image_name, "x");
        assert_eq!(web.container_name_for("p", 2), "p-web-2");
    }

    #[test]
    fn durations_parse_like_go() {
        assert_eq!(duration_secs("10s"), Some(10));
        assert_eq!(duration_secs("1m30s"), Some(90));
        assert_eq!(duration_secs("1h"), Some(3600));
        assert_eq!(duration_secs("500ms"), Some(0));
        assert_eq!(duration_secs("x"), None);
        assert_eq!(duration_secs(""), None);
    }
}
