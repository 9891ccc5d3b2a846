//! The planner's view of the desired state: what it needs to know about each service, read from
//! the typed project (`model::Project`), plus the per-service config hash (computed in
//! `config_hash`, exactly as docker compose v5 does; containers carry it as a label).

use indexmap::IndexMap;
use sha2::{Digest, Sha256};

use super::PlanError;
use crate::model::yaml_out::go_key_cmp;
use crate::model::{labels, names, Project, Service};

pub use crate::model::{Condition, DependsOn};

pub use super::config_hash::{service_config_hash, HASH_EXCLUDED_KEYS};

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
    pub depends_on: IndexMap<String, DependsOn>,
    pub network_mode: Option<String>,
    pub pid: Option<String>,
    pub ipc: Option<String>,
    pub volumes_from: Vec<String>,
    /// Network keys the service attaches to (empty when `network_mode` is set).
    pub networks: Vec<String>,
    /// Named (project-level) volume keys the service mounts.
    pub named_volumes: Vec<String>,
    pub has_healthcheck: bool,
    /// How many `pre_start` hooks it has (run before its containers start when replica 1 is
    /// created or recreated).
    pub pre_start_hooks: usize,
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
            // An empty `container_name` is kept as written (the loader rejects it).
            Some(n) => n.clone(),
            None => names::container_name(project, &self.name, None, number),
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

/// SHA-256 (hex) of the JSON text of `value`.
pub fn hash_value(value: &serde_json::Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The map's entries in Go's key order (the order the canonical form prints them).
fn go_ordered<V>(m: &IndexMap<String, V>) -> Vec<(&String, &V)> {
    let mut entries: Vec<_> = m.iter().collect();
    entries.sort_by(|a, b| go_key_cmp(a.0, b.0));
    entries
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
                    pre_start_hooks: 0,
                    stop_grace_period: None,
                    stop_signal: None,
                    config_hash: c.config_hash.clone(),
                });
            entry.replicas = entry.replicas.max(c.number);
            for (dep, spec) in labels::parse_depends_on(&c.depends_on) {
                entry.depends_on.entry(dep).or_insert(spec);
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

    /// Reads the desired state from a typed project (services, networks and volumes in the
    /// order the canonical form prints them).
    pub fn from_project(project: &Project) -> Result<Desired, PlanError> {
        Desired::read(project, Order::Canonical)
    }

    fn read(project: &Project, order: Order) -> Result<Desired, PlanError> {
        if project.name.is_empty() {
            return Err(PlanError::Invalid("the project has no name".into()));
        }
        let mut desired = Desired {
            project: project.name.clone(),
            ..Desired::default()
        };
        for (key, n) in order.entries(&project.networks) {
            let hash = super::config_hash::network_config_hash(n);
            let resource = resource(project, key, n.name.as_deref(), n.external, hash);
            desired.networks.insert(key.clone(), resource);
        }
        for (key, v) in order.entries(&project.volumes) {
            let hash = super::config_hash::volume_config_hash(v);
            let resource = resource(project, key, v.name.as_deref(), v.external, hash);
            desired.volumes.insert(key.clone(), resource);
        }
        for (name, svc) in order.entries(&project.services) {
            let read = read_service(&project.name, name, svc, &desired, order);
            desired.services.insert(name.clone(), read);
        }
        Ok(desired)
    }

    /// Reads the desired state from a project's canonical tree (what `rcompose config` prints):
    /// the tree is read into the typed model first, and its maps are taken in the tree's order.
    /// `project_name` overrides `name:` when given.
    pub fn from_canonical(
        root: &serde_yaml::Value,
        project_name: Option<&str>,
    ) -> Result<Desired, PlanError> {
        let mut project = match root {
            serde_yaml::Value::Null => Project::default(),
            serde_yaml::Value::Mapping(_) => Project::from_value_ref(root)
                .map_err(|e| PlanError::Invalid(format!("cannot read the project: {e}")))?,
            _ => return Err(PlanError::Invalid("the project is not a mapping".into())),
        };
        if let Some(name) = project_name {
            project.name = name.to_string();
        }
        Desired::read(&project, Order::AsWritten)
    }
}

/// The order the planner takes a project's maps in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// As `rcompose config` prints them (Go's key order), as docker compose reads them.
    Canonical,
    /// As written in the tree a test or caller gave.
    AsWritten,
}

impl Order {
    fn entries<V>(self, m: &IndexMap<String, V>) -> Vec<(&String, &V)> {
        match self {
            Order::Canonical => go_ordered(m),
            Order::AsWritten => m.iter().collect(),
        }
    }
}

/// A project-level network or volume: its engine name and its config hash (v5's).
fn resource(
    project: &Project,
    key: &str,
    name: Option<&str>,
    external: bool,
    config_hash: String,
) -> DesiredResource {
    let name = match name {
        Some(n) => n.to_string(),
        None if external => key.to_string(),
        None => names::scoped_name(&project.name, key),
    };
    DesiredResource {
        key: key.to_string(),
        name,
        external,
        config_hash,
    }
}

/// The networks a service attaches to: none with `network_mode`; else its own, higher
/// `priority` first, then in the canonical (Go key) order; else `default` when the project has it.
fn service_networks(svc: &Service, desired: &Desired, order: Order) -> Vec<String> {
    if svc.network_mode.is_some() {
        return Vec::new();
    }
    if svc.networks.is_empty() {
        return if desired.networks.contains_key("default") {
            vec!["default".to_string()]
        } else {
            Vec::new()
        };
    }
    let mut list: Vec<(i64, &String)> = order
        .entries(&svc.networks)
        .into_iter()
        .map(|(k, n)| (n.as_ref().map_or(0, |n| n.priority), k))
        .collect();
    // A stable sort keeps the canonical order among equal priorities.
    list.sort_by_key(|x| std::cmp::Reverse(x.0));
    list.into_iter().map(|(_, k)| k.clone()).collect()
}

/// The project-level volumes a service mounts (`type: volume` with a declared source), once each.
fn named_volumes(svc: &Service, desired: &Desired) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for vol in &svc.volumes {
        let is_volume = vol.kind.is_empty() || vol.kind == "volume";
        if let (true, Some(src)) = (is_volume, &vol.source) {
            if desired.volumes.contains_key(src) && !out.contains(src) {
                out.push(src.clone());
            }
        }
    }
    out
}

fn read_service(
    project: &str,
    name: &str,
    svc: &Service,
    desired: &Desired,
    order: Order,
) -> DesiredService {
    let deploy_replicas = svc.deploy.as_ref().and_then(|d| d.replicas);
    let replicas = [svc.scale, deploy_replicas]
        .into_iter()
        .flatten()
        .find_map(|n| u32::try_from(n).ok())
        .unwrap_or(1);
    let has_healthcheck = svc
        .healthcheck
        .as_ref()
        .is_some_and(|h| !h.disable && h.test.first().map(String::as_str) != Some("NONE"));
    DesiredService {
        name: name.to_string(),
        image: svc.image.clone(),
        image_name: svc
            .image
            .clone()
            .unwrap_or_else(|| names::built_image_name(project, name)),
        has_build: svc.build.is_some(),
        build_tags: svc
            .build
            .as_ref()
            .map(|b| b.tags.clone())
            .unwrap_or_default(),
        pull_policy: svc.pull_policy.clone(),
        replicas,
        container_name: svc.container_name.clone(),
        depends_on: order
            .entries(&svc.depends_on)
            .into_iter()
            .map(|(k, d)| (k.clone(), d.clone()))
            .collect(),
        network_mode: svc.network_mode.clone(),
        pid: svc.pid.clone(),
        ipc: svc.ipc.clone(),
        volumes_from: svc.volumes_from.clone(),
        networks: service_networks(svc, desired, order),
        named_volumes: named_volumes(svc, desired),
        has_healthcheck,
        pre_start_hooks: svc.pre_start.len(),
        stop_grace_period: svc.stop_grace_period.map(|d| d.0.as_secs()),
        stop_signal: svc.stop_signal.clone(),
        config_hash: service_config_hash(svc),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_yaml::Value;

    fn load(y: &str) -> Desired {
        let v: Value = serde_yaml::from_str(y).unwrap_or(Value::Null);
        match Desired::from_canonical(&v, None) {
            Ok(d) => d,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn hash_ignores_build_scale_pull_policy_profiles_and_depends_on() {
        let a = load("name: p\nservices:\n  web:\n    image: x\n    scale: 2\n    build: {context: .}\n    pull_policy: always\n    profiles: [p]\n    depends_on: {db: {condition: service_started}}\n  db: {image: y}\n");
        let b = load("name: p\nservices:\n  web:\n    image: x\n  db: {image: y}\n");
        assert_eq!(a.services["web"].config_hash, b.services["web"].config_hash);
        let c =
            load("name: p\nservices:\n  web:\n    image: x\n    command: [sh]\n  db: {image: y}\n");
        assert_ne!(a.services["web"].config_hash, c.services["web"].config_hash);
        assert_eq!(a.services["web"].replicas, 2);
    }

    /// v5 clears `deploy.replicas` but keeps the (now empty) `deploy`, so `deploy: {replicas: 3}`
    /// hashes unlike no `deploy` at all, and like `deploy: {replicas: 1}` (v5.6.1's hashes).
    #[test]
    fn hash_ignores_replicas_but_keeps_deploy() {
        let with = |d: &str| {
            load(&format!(
                "name: p\nservices:\n  web:\n    image: x\n    networks: {{default: null}}\n{d}"
            ))
            .services["web"]
                .config_hash
                .clone()
        };
        let three = with("    deploy: {replicas: 3}\n");
        assert_eq!(three, with("    deploy: {replicas: 1}\n"));
        assert_eq!(
            three,
            "44afd1045bf833334d45f6fe848d207c5338c9e318b0126c9f1427c9cc291b8e"
        );
        assert_eq!(
            with(""),
            "d5457d0b2799957b606d2ac4ed52d85a1e75799490e56229948300b9a59e8953"
        );
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
}
