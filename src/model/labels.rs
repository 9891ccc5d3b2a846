//! The label keys docker compose writes on the objects it manages, so that a stack started by
//! rcompose is seen (and torn down) by `docker compose`, and the other way round, and
//! [`ComposeLabels`], a typed view of a container's compose labels, parsed once.
//!
//! Plain data; must not import anything else of the crate.

use std::collections::BTreeMap;

use indexmap::IndexMap;

use super::{Condition, DependsOn};

pub const PROJECT: &str = "com.docker.compose.project";
pub const SERVICE: &str = "com.docker.compose.service";
pub const CONTAINER_NUMBER: &str = "com.docker.compose.container-number";
pub const ONEOFF: &str = "com.docker.compose.oneoff";
pub const CONFIG_HASH: &str = "com.docker.compose.config-hash";
pub const WORKING_DIR: &str = "com.docker.compose.project.working_dir";
pub const CONFIG_FILES: &str = "com.docker.compose.project.config_files";
pub const ENVIRONMENT_FILE: &str = "com.docker.compose.project.environment_file";
pub const NETWORK: &str = "com.docker.compose.network";
pub const VOLUME: &str = "com.docker.compose.volume";
pub const VERSION: &str = "com.docker.compose.version";
pub const IMAGE: &str = "com.docker.compose.image";
pub const DEPENDS_ON: &str = "com.docker.compose.depends_on";
/// Set on a container created to replace another one (value: the replaced container's id).
pub const REPLACE: &str = "com.docker.compose.replace";

/// The compose version we claim in `com.docker.compose.version`.
pub const COMPOSE_VERSION: &str = "2.29.0";

/// A container's compose labels, parsed once. Missing labels read as empty (or 0 / false / None).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ComposeLabels {
    pub project: String,
    pub service: String,
    /// `container-number` (0 when missing or not a number).
    pub number: u32,
    /// `oneoff` is `True` (any case).
    pub oneoff: bool,
    pub config_hash: String,
    pub working_dir: String,
    /// `project.config_files`, split at commas.
    pub config_files: Vec<String>,
    pub environment_file: String,
    /// The raw `depends_on` label (`svc:condition:restart,...`).
    pub depends_on: String,
    /// The container this one was created to replace (`replace`), if any.
    pub replace: Option<String>,
    pub image: String,
    pub version: String,
}

impl ComposeLabels {
    /// Reads the compose labels out of a container's (or object's) label map.
    pub fn parse(labels: &BTreeMap<String, String>) -> ComposeLabels {
        let get = |k: &str| labels.get(k).cloned().unwrap_or_default();
        ComposeLabels {
            project: get(PROJECT),
            service: get(SERVICE),
            number: get(CONTAINER_NUMBER).parse().unwrap_or(0),
            oneoff: get(ONEOFF).eq_ignore_ascii_case("true"),
            config_hash: get(CONFIG_HASH),
            working_dir: get(WORKING_DIR),
            config_files: get(CONFIG_FILES)
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            environment_file: get(ENVIRONMENT_FILE),
            depends_on: get(DEPENDS_ON),
            replace: labels.get(REPLACE).cloned(),
            image: get(IMAGE),
            version: get(VERSION),
        }
    }
}

/// `depends_on` as docker compose writes it in the `depends_on` label: `svc:condition:restart`
/// joined by `,`.
pub fn format_depends_on(depends_on: &IndexMap<String, DependsOn>) -> String {
    depends_on
        .iter()
        .map(|(s, d)| format!("{s}:{}:{}", d.condition.as_str(), d.restart))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads the `depends_on` label back: each entry required, an unknown or missing condition
/// `service_started`, `restart` only when it says `true`; the first entry of a service wins.
pub fn parse_depends_on(label: &str) -> IndexMap<String, DependsOn> {
    let mut out = IndexMap::new();
    for item in label.split(',').filter(|s| !s.is_empty()) {
        let mut parts = item.split(':');
        let Some(dep) = parts.next().filter(|s| !s.is_empty()) else {
            continue;
        };
        let condition = parts
            .next()
            .and_then(Condition::parse)
            .unwrap_or(Condition::ServiceStarted);
        let restart = parts.next() == Some("true");
        out.entry(dep.to_string()).or_insert(DependsOn {
            condition,
            required: true,
            restart,
            extensions: Default::default(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_containers_compose_labels() {
        let map: BTreeMap<String, String> = [
            (PROJECT, "p"),
            (SERVICE, "web"),
            (CONTAINER_NUMBER, "2"),
            (ONEOFF, "False"),
            (CONFIG_HASH, "abc"),
            (CONFIG_FILES, "/a/compose.yaml,/a/override.yaml"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let l = ComposeLabels::parse(&map);
        assert_eq!(
            (l.project.as_str(), l.service.as_str(), l.number),
            ("p", "web", 2)
        );
        assert!(!l.oneoff);
        assert_eq!(l.config_files.len(), 2);
        assert_eq!(l.replace, None);
        assert_eq!(ComposeLabels::parse(&BTreeMap::new()).number, 0);
    }

    #[test]
    fn depends_on_label_round_trips() {
        let deps = parse_depends_on(
            "db:service_healthy:true,init:service_completed_successfully:false,,x",
        );
        assert_eq!(deps["db"].condition, Condition::ServiceHealthy);
        assert!(deps["db"].restart);
        assert_eq!(deps["x"].condition, Condition::ServiceStarted);
        assert_eq!(
            format_depends_on(&deps),
            "db:service_healthy:true,init:service_completed_successfully:false,x:service_started:false"
        );
    }
}
