//! The typed, resolved Compose model: what a loaded project *is* (compose-go's `types`).
//!
//! Owns: [`Project`], [`Service`] and every structure inside them, with serde mapping to and from
//! the canonical long form that `docker compose config` prints (same key names, key order,
//! omit-empty rules and value spellings), plus the small unit helpers in [`units`].
//!
//! Reading ([`Project::from_value`]) is lenient where the canonical form allows several
//! spellings (`90s` or `1m30s`, numbers as strings, a lone string for a one-item list) and
//! reports anything else as a [`ModelError`] naming the key path
//! (`services.web.healthcheck.interval`), which the loader turns into its `Schema` error. Printing ([`Project::to_yaml`], [`Project::to_json`])
//! reproduces Go's output byte for byte where we know it.
//!
//! Also owns what every layer agrees on about a project's objects: the one `depends_on`
//! [`Condition`] / [`DependsOn`], the one service dependency graph ([`graph`]), the one duration /
//! byte-size parser ([`units`]), engine names ([`names`]), the compose label keys with a typed view
//! ([`labels`]) and a container's run state ([`ContainerState`]).
//!
//! Plain data, no I/O. Imports nothing else of the crate (no `loader`, `plan`, `engine`, `app` or
//! `cli`): everything else depends on the model, not the other way round.

pub mod config_print;
pub mod error;
pub mod go_json;
pub mod graph;
pub mod labels;
mod lenient;
pub mod names;
pub mod path;
pub mod resources;
pub mod serde_util;
pub mod service;
pub mod shellwords;
pub mod state;
pub mod units;
pub mod yaml_out;

use std::collections::BTreeMap;
use std::path::PathBuf;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

pub use error::{KeyPath, ModelError, Seg};
pub use graph::ServiceGraph;
pub use labels::ComposeLabels;
pub use state::ContainerState;

pub use resources::{Config, FileObject, Ipam, IpamPool, Model, Network, Secret, Volume};
pub use serde_util::{Extensions, FileMode, GoDuration, UnitBytes};
pub use service::{
    BindOptions, BlkioConfig, Build, Condition, CredentialSpec, DependsOn, Deploy, Develop,
    DeviceMapping, DeviceRequest, DiscreteResourceSpec, EnvFile, Extends, FileReference,
    GenericResource, Healthcheck, ImageOptions, Logging, Placement, PlacementPreference, Port,
    PreStartHook, Provider, Resource, Resources, RestartPolicy, Service, ServiceHook, ServiceModel,
    ServiceNetwork, ServiceVolume, SshKey, ThrottleDevice, TmpfsOptions, Ulimit, UpdateConfig,
    VolumeOptions, WatchAction, WatchRule, WeightDevice,
};

use lenient::de_map_null_default;
use serde_util::{sorted_map, with_json_mode, SortedValue};

/// A loaded project: the result of loading a set of compose files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Project {
    #[serde(
        deserialize_with = "serde_util::de_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    /// Enabled services, in declaration order (printed sorted).
    #[serde(
        deserialize_with = "service::de_services",
        serialize_with = "sorted_map"
    )]
    pub services: IndexMap<String, Service>,
    #[serde(
        deserialize_with = "de_map_null_default",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub networks: IndexMap<String, Network>,
    #[serde(
        deserialize_with = "de_map_null_default",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub volumes: IndexMap<String, Volume>,
    #[serde(
        deserialize_with = "de_map_null_default",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub secrets: IndexMap<String, Secret>,
    #[serde(
        deserialize_with = "de_map_null_default",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub configs: IndexMap<String, Config>,
    #[serde(
        deserialize_with = "de_map_null_default",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub models: IndexMap<String, Model>,
    /// Top-level `x-*` keys.
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,

    /// The project directory (set by the loader; not printed).
    #[serde(skip)]
    pub working_dir: Option<PathBuf>,
    /// The compose files it was loaded from, in order (set by the loader; not printed).
    #[serde(skip)]
    pub compose_files: Vec<PathBuf>,
    /// The interpolation environment it was loaded with (set by the loader; not printed).
    #[serde(skip)]
    pub environment: IndexMap<String, String>,
    /// Services left out by the active profiles (set by the loader; not printed).
    #[serde(skip)]
    pub disabled_services: IndexMap<String, Service>,
    /// Labels put on every container, network and volume the project creates, outside the
    /// config hash (so that they never cause a recreate). `Stack` records its owner and lease
    /// here. Not printed.
    #[serde(skip)]
    pub resource_labels: IndexMap<String, String>,
}

impl Project {
    /// Reads a project from its canonical (normalised) YAML tree.
    ///
    /// Errors name the key path of the offending value.
    pub fn from_value(value: serde_yaml::Value) -> Result<Project, ModelError> {
        Project::from_value_ref(&value)
    }

    /// [`Project::from_value`] without taking (or cloning) the tree.
    pub fn from_value_ref(value: &serde_yaml::Value) -> Result<Project, ModelError> {
        if let Some((path, tag)) = find_tag(value, KeyPath::root()) {
            return Err(ModelError::new(
                path,
                format!("unexpected YAML tag {tag} in a resolved project"),
            )
            .hint("!reset and !override only apply while merging compose files"));
        }
        // Without path tracking first (it costs a third more); on an error, deserialise again,
        // tracking paths, to say where it failed.
        let mut project = match Project::deserialize(value) {
            Ok(p) => p,
            Err(_) => serde_path_to_error::deserialize(value).map_err(|e| {
                let path = key_path(e.path());
                let message = clean_message(&e.inner().to_string());
                ModelError::new(path, message)
            })?,
        };
        for (name, service) in project.services.iter_mut() {
            service.name = name.clone();
        }
        Ok(project)
    }

    /// Removes the named top-level resources (`kind` is `networks`, `volumes`, `secrets`,
    /// `configs` or `models`), as the loader drops from its tree those no service uses.
    pub fn drop_resources(&mut self, unused: &[(&str, Vec<String>)]) {
        fn drop<T>(map: &mut IndexMap<String, T>, names: &[String]) {
            map.retain(|k, _| !names.contains(k));
        }
        for (kind, names) in unused {
            match *kind {
                "networks" => drop(&mut self.networks, names),
                "volumes" => drop(&mut self.volumes, names),
                "secrets" => drop(&mut self.secrets, names),
                "configs" => drop(&mut self.configs, names),
                "models" => drop(&mut self.models, names),
                _ => {}
            }
        }
    }

    /// The project as the YAML tree `docker compose config` prints (maps in Go's key order).
    pub fn to_value(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(services) = v.get_mut("services") {
            config_print::order_services(services);
        }
        v
    }

    /// The project as `docker compose config` prints it.
    pub fn to_yaml(&self) -> String {
        let mut v = self.to_value();
        if let Some(services) = v.get_mut("services") {
            config_print::omit_default_create_host_path(services);
        }
        yaml_out::to_string(&v)
    }

    /// The project with every mapping sorted, as `docker compose config --no-interpolate`
    /// prints it.
    pub fn to_yaml_sorted(&self) -> String {
        let mut v = self.to_value();
        yaml_out::sort_keys(&mut v);
        yaml_out::to_string(&v)
    }

    /// The project as `docker compose config --format json` prints it (Go's `json.MarshalIndent`
    /// of compose-go's `Project.MarshalJSON`: top-level keys sorted, `x-*` only at top level, no
    /// top-level `models`).
    pub fn to_json(&self) -> String {
        let value = with_json_mode(|| {
            let mut top: BTreeMap<String, serde_json::Value> = BTreeMap::new();
            top.insert("name".into(), self.name.clone().into());
            let mut services = jv(MapRef(&self.services));
            config_print::order_services(&mut services);
            top.insert("services".into(), services);
            if !self.networks.is_empty() {
                top.insert("networks".into(), jv(MapRef(&self.networks)));
            }
            if !self.volumes.is_empty() {
                top.insert("volumes".into(), jv(MapRef(&self.volumes)));
            }
            if !self.secrets.is_empty() {
                top.insert("secrets".into(), jv(MapRef(&self.secrets)));
            }
            if !self.configs.is_empty() {
                top.insert("configs".into(), jv(MapRef(&self.configs)));
            }
            // No `models`: compose-go's `Project.MarshalJSON` leaves them out (v5.6.1 prints
            // them in YAML only), and this is its JSON.
            for (k, v) in &self.extensions.0 {
                top.insert(
                    k.clone(),
                    serde_json::to_value(SortedValue(v)).unwrap_or_default(),
                );
            }
            top
        });
        let text = serde_json::to_string_pretty(&value).unwrap_or_default();
        go_json::escape_html(&text)
    }

    /// Names of the enabled services, sorted (as compose-go returns them).
    pub fn service_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.services.keys().cloned().collect();
        names.sort();
        names
    }

    /// The service called `name`, if enabled.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.get(name)
    }
}

/// A map printed in Go's key order (helper for `to_json`).
struct MapRef<'a, V>(&'a IndexMap<String, V>);

impl<V: Serialize> Serialize for MapRef<'_, V> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        sorted_map(self.0, s)
    }
}

fn jv<T: Serialize>(t: T) -> serde_json::Value {
    serde_json::to_value(t).unwrap_or_default()
}

/// The first tagged node (`!reset`, `!override`, ...) in document order, with its path.
fn find_tag(v: &serde_yaml::Value, at: KeyPath) -> Option<(KeyPath, String)> {
    let (rev, tag) = find_tag_inner(v)?;
    // The path is built only on a hit: the segments come innermost first.
    let mut at = at;
    at.0.extend(rev.into_iter().rev());
    Some((at, tag))
}

fn find_tag_inner(v: &serde_yaml::Value) -> Option<(Vec<Seg>, String)> {
    match v {
        serde_yaml::Value::Tagged(t) => Some((Vec::new(), t.tag.to_string())),
        serde_yaml::Value::Mapping(m) => m.iter().find_map(|(k, v)| {
            let (mut rev, tag) = find_tag_inner(v)?;
            rev.push(Seg::Key(serde_util::key_to_string(k)));
            Some((rev, tag))
        }),
        serde_yaml::Value::Sequence(s) => s.iter().enumerate().find_map(|(i, v)| {
            let (mut rev, tag) = find_tag_inner(v)?;
            rev.push(Seg::Index(i));
            Some((rev, tag))
        }),
        _ => None,
    }
}

fn key_path(path: &serde_path_to_error::Path) -> KeyPath {
    use serde_path_to_error::Segment;
    let mut kp = KeyPath::root();
    for seg in path.iter() {
        kp = match seg {
            Segment::Seq { index } => kp.index(*index),
            Segment::Map { key } => kp.key(key.clone()),
            Segment::Enum { variant } => kp.key(variant.clone()),
            Segment::Unknown => kp,
        };
    }
    kp
}

/// serde's wording, made to read like ours.
fn clean_message(msg: &str) -> String {
    msg.replace("invalid type: ", "wrong type: ")
        .replace("unit value", "null")
}

impl Service {
    /// How many containers to run: `scale`, else `deploy.replicas`, else 1.
    pub fn replicas(&self) -> u64 {
        let n = self
            .scale
            .or_else(|| self.deploy.as_ref().and_then(|d| d.replicas))
            .unwrap_or(1);
        u64::try_from(n).unwrap_or(0)
    }

    /// The image to run: `image`, else the one built for it, `<project>-<service>`.
    pub fn image_name(&self, project: &str) -> String {
        match self.image.as_deref() {
            Some(image) if !image.is_empty() => image.to_string(),
            _ => format!("{project}-{}", self.name),
        }
    }

    /// Names of the services this one depends on, in declaration order.
    pub fn dependencies(&self) -> impl Iterator<Item = &str> {
        self.depends_on.keys().map(String::as_str)
    }

    /// Whether the service has a healthcheck that is not disabled.
    pub fn has_healthcheck(&self) -> bool {
        self.healthcheck.as_ref().is_some_and(|h| {
            !h.disable && !h.test.is_empty() && h.test.first().map(String::as_str) != Some("NONE")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(yaml: &str) -> Result<Project, ModelError> {
        let v: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap();
        Project::from_value(v)
    }

    #[test]
    fn reads_and_prints_a_small_project() {
        let yaml = "name: demo\nservices:\n  web:\n    image: nginx\n    networks:\n      default: null\nnetworks:\n  default:\n    name: demo_default\n";
        let p = load(yaml).unwrap();
        assert_eq!(p.services["web"].name, "web");
        assert_eq!(p.to_yaml(), yaml);
    }

    #[test]
    fn error_names_the_key_path() {
        let e = load("services:\n  web:\n    healthcheck:\n      interval: soon\n").unwrap_err();
        assert_eq!(
            Some(e.path.to_string()).as_deref(),
            Some("services.web.healthcheck.interval")
        );
        assert!(e.message.contains("soon"), "{}", e.message);
    }

    #[test]
    fn error_names_list_indexes() {
        let e = load("services:\n  web:\n    ports:\n      - target: 80\n      - target: eighty\n")
            .unwrap_err();
        assert_eq!(
            Some(e.path.to_string()).as_deref(),
            Some("services.web.ports[1].target")
        );
    }

    #[test]
    fn unknown_keys_are_rejected_but_extensions_kept() {
        let e = load("services:\n  web:\n    image: a\n    enviroment: {}\n").unwrap_err();
        assert!(e.message.contains("enviroment"), "{}", e.message);
        let p = load("services:\n  web:\n    image: a\n    x-foo: {b: 1, a: 2}\n").unwrap();
        assert_eq!(
            p.to_yaml(),
            "services:\n  web:\n    image: a\n    x-foo:\n      a: 2\n      b: 1\n"
        );
    }

    #[test]
    fn depends_on_short_and_long_forms() {
        let p = load(
            "services:\n  a:\n    depends_on: [b, c]\n  b:\n    depends_on:\n      c:\n        condition: service_healthy\n        required: false\n  c: {}\n",
        )
        .unwrap();
        let a = &p.services["a"];
        assert_eq!(a.dependencies().collect::<Vec<_>>(), vec!["b", "c"]);
        assert_eq!(a.depends_on["b"].condition, Condition::ServiceStarted);
        assert!(a.depends_on["b"].required);
        let b = &p.services["b"];
        assert_eq!(b.depends_on["c"].condition, Condition::ServiceHealthy);
        assert!(!b.depends_on["c"].required);
        assert!(p.services["c"].depends_on.is_empty());
    }

    #[test]
    fn replicas_and_image_name() {
        let p = load(
            "name: proj\nservices:\n  a: {image: redis}\n  b: {scale: 3}\n  c: {deploy: {replicas: 2}}\n",
        )
        .unwrap();
        assert_eq!(p.services["a"].replicas(), 1);
        assert_eq!(p.services["b"].replicas(), 3);
        assert_eq!(p.services["c"].replicas(), 2);
        assert_eq!(p.services["a"].image_name(&p.name), "redis");
        assert_eq!(p.services["b"].image_name(&p.name), "proj-b");
        assert_eq!(p.service_names(), vec!["a", "b", "c"]);
    }

    #[test]
    fn lenient_spellings_are_accepted() {
        let p = load(
            "services:\n  web:\n    stop_grace_period: 90s\n    ports:\n      - target: \"80\"\n        published: 8080\n    command: echo hello world\n    environment: [A=1, B]\n    healthcheck: {test: curl x, retries: \"3\"}\n",
        )
        .unwrap();
        let s = &p.services["web"];
        assert_eq!(
            s.stop_grace_period.map(|d| d.0),
            Some(std::time::Duration::from_secs(90))
        );
        assert_eq!(s.ports[0].target, 80);
        assert_eq!(s.ports[0].published.as_deref(), Some("8080"));
        assert_eq!(
            s.command.as_deref(),
            Some(&["echo".to_string(), "hello".into(), "world".into()][..])
        );
        assert_eq!(s.environment["B"], None);
        let y = p.to_yaml();
        assert!(y.contains("stop_grace_period: 1m30s\n"), "{y}");
        assert!(y.contains("published: \"8080\"\n"), "{y}");
        assert!(y.contains("        - CMD-SHELL\n        - curl x\n"), "{y}");
    }

    #[test]
    fn json_flavour_follows_go() {
        let p = load(
            "name: j\nservices:\n  web:\n    image: a<b\n    x-e: 1\nnetworks:\n  n: {}\nx-top: {b: 1, a: 2}\n",
        )
        .unwrap();
        let j: serde_json::Value = serde_json::from_str(&p.to_json()).unwrap();
        assert_eq!(j["services"]["web"]["command"], serde_json::Value::Null);
        assert!(j["services"]["web"].get("x-e").is_none());
        assert_eq!(j["networks"]["n"]["ipam"], serde_json::json!({}));
        assert_eq!(j["x-top"], serde_json::json!({"a": 2, "b": 1}));
        assert!(p.to_json().contains("a\\u003cb"));
        // YAML keeps the extension and omits the unset command.
        let y = p.to_yaml();
        assert!(y.contains("x-e: 1") && !y.contains("command"), "{y}");
    }

    #[test]
    fn secret_content_is_never_printed_config_content_is() {
        let p = load(
            "services: {}\nsecrets:\n  s: {content: hush}\nconfigs:\n  c: {content: shown}\n  e: {environment: E, content: from-env}\n",
        )
        .unwrap();
        assert_eq!(p.secrets["s"].content.as_deref(), Some("hush"));
        let y = p.to_yaml();
        assert!(
            !y.contains("hush") && y.contains("shown") && !y.contains("from-env"),
            "{y}"
        );
    }

    #[test]
    fn sizes_durations_and_modes_print_as_go_does() {
        let p = load(
            "services:\n  web:\n    mem_limit: 512m\n    memswap_limit: -1\n    cpus: 1.5\n    healthcheck: {interval: 90s, start_period: 0s}\n    secrets: [{source: s, mode: 0o440}]\n    ulimits: {nofile: {soft: 1, hard: 2}, nproc: 3}\n",
        )
        .unwrap();
        let y = p.to_yaml();
        for want in [
            "mem_limit: \"536870912\"",
            "memswap_limit: \"-1\"",
            "cpus: 1.5",
            "interval: 1m30s",
            "start_period: 0s",
            "mode: \"0440\"",
            "nofile:\n        soft: 1\n        hard: 2",
            "nproc: 3",
        ] {
            assert!(y.contains(want), "missing {want:?} in\n{y}");
        }
    }

    #[test]
    fn leftover_merge_tags_are_reported_with_their_path() {
        let e = load("services:\n  web:\n    ports: !override\n      - target: 80\n").unwrap_err();
        assert_eq!(
            Some(e.path.to_string()).as_deref(),
            Some("services.web.ports")
        );
        assert!(e.message.contains("!override"), "{}", e.message);
    }

    #[test]
    fn broken_input_is_an_error_not_a_panic() {
        for yaml in [
            "services: 3",
            "services:\n  web:\n    ports: 5",
            "services:\n  web:\n    ulimits: {nofile: {soft: x}}",
            "services:\n  web:\n    mem_limit: lots",
            "services:\n  web:\n    secrets: [{source: a, mode: \"99x\"}]",
            "services:\n  web:\n    depends_on: {db: {condition: stopped}}",
            "services:\n  web:\n    deploy: {resources: {limits: {cpus: many}}}",
            "networks: [a]",
        ] {
            assert!(load(yaml).is_err(), "{yaml}");
        }
    }
}
