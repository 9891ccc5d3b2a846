//! Engine names of a project's objects, as docker compose v5 makes them: containers
//! `<project>-<service>-<n>` (or `container_name`), networks and volumes `<project>_<key>` (or their
//! `name:`; the key itself when external), built images `<project>-<service>`, one-off containers
//! `<project>-<service>-run-<12 hex>`, a replacement while it is created `<old id 12>_<name>`.
//!
//! Pure functions; must not import anything else of the crate.

use super::Project;

/// docker compose's normalisation of an implicit project name (a directory's, or a file's
/// `name:`): lowercase, keep only `[a-z0-9_-]`, drop leading `_` and `-`.
pub fn normalize_project_name(name: &str) -> String {
    let lower = name.to_lowercase();
    let kept: String = lower
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// An explicit project name (`-p`, `COMPOSE_PROJECT_NAME`) that is not already normal: the one
/// rule every command applies (no command silently acts on a normalised name instead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectNameError {
    #[error("project name from {from} must not be empty")]
    Empty { from: String },
    #[error(
        "{name:?} (from {from}) is not a valid project name: it must contain only lowercase \
         letters, digits, dashes and underscores, and start with a letter or digit"
    )]
    Invalid { name: String, from: String },
}

impl ProjectNameError {
    /// What to use instead, when something is left after normalisation.
    pub fn hint(&self) -> Option<String> {
        match self {
            ProjectNameError::Invalid { name, .. } => {
                let n = normalize_project_name(name);
                (!n.is_empty()).then(|| format!("use {n:?} instead"))
            }
            ProjectNameError::Empty { .. } => None,
        }
    }
}

/// Checks an explicit project name given by `source` (`-p`, `COMPOSE_PROJECT_NAME`).
pub fn check_project_name(name: &str, source: &str) -> Result<(), ProjectNameError> {
    if name.is_empty() {
        return Err(ProjectNameError::Empty {
            from: source.to_string(),
        });
    }
    if normalize_project_name(name) != name {
        return Err(ProjectNameError::Invalid {
            name: name.to_string(),
            from: source.to_string(),
        });
    }
    Ok(())
}

/// The container of replica `number`: `container_name` when set (and not empty), else
/// `<project>-<service>-<number>`.
pub fn container_name(
    project: &str,
    service: &str,
    container_name: Option<&str>,
    number: u32,
) -> String {
    match container_name {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => format!("{project}-{service}-{number}"),
    }
}

/// The name a replacement container is created under while the old one still holds the final
/// name: `<first 12 hex of the old id>_<final name>`.
pub fn replacement_name(old_short_id: &str, final_name: &str) -> String {
    format!("{old_short_id}_{final_name}")
}

/// A project-level resource (network, volume) with no `name:`: `<project>_<key>`.
pub fn scoped_name(project: &str, key: &str) -> String {
    format!("{project}_{key}")
}

/// The image built for a service that has no `image:`: `<project>-<service>`.
pub fn built_image_name(project: &str, service: &str) -> String {
    format!("{project}-{service}")
}

/// docker compose v2's one-off name: `<project>-<service>-run-<first 12 hex of the slug>`.
pub fn oneoff_name(project: &str, service: &str, slug: &str) -> String {
    let short: String = slug.chars().take(12).collect();
    format!("{project}-{service}-run-{short}")
}

/// The engine name of a network or volume: `name:` when set, else the key for an external one,
/// else `<project>_<key>`.
pub fn resource_name(project: &str, key: &str, name: Option<&str>, external: bool) -> String {
    match name {
        Some(n) if !n.is_empty() => n.to_string(),
        _ if external => key.to_string(),
        _ => scoped_name(project, key),
    }
}

impl Project {
    /// Engine name of the project network `key` (`<project>_<key>` when it is not declared).
    pub fn network_name(&self, key: &str) -> String {
        match self.networks.get(key) {
            Some(n) => resource_name(&self.name, key, n.name.as_deref(), n.external),
            None => scoped_name(&self.name, key),
        }
    }

    /// Engine name of the project volume `key` (`<project>_<key>` when it is not declared).
    pub fn volume_name(&self, key: &str) -> String {
        match self.volumes.get(key) {
            Some(v) => resource_name(&self.name, key, v.name.as_deref(), v.external),
            None => scoped_name(&self.name, key),
        }
    }
}

/// The "did you mean" of every misspelt name (a service, a key): the option closest to `name` by
/// Damerau-Levenshtein distance (a swap of two letters counts once), if it is at most a third of
/// the name's length (at least 1) away; the first of equally close ones.
pub fn closest<'a>(name: &str, options: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    options
        .into_iter()
        .map(|o| (strsim::damerau_levenshtein(name, o), o))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

#[cfg(test)]
mod tests {
    #[test]
    fn closest_names_a_near_miss_only() {
        let options = ["web", "worker", "environment"];
        assert_eq!(super::closest("wbe", options), Some("web"));
        assert_eq!(super::closest("wroker", options), Some("worker"));
        assert_eq!(super::closest("enviroment", options), Some("environment"));
        assert_eq!(super::closest("db", options), None);
    }

    use super::*;

    #[test]
    fn names_follow_docker_compose() {
        assert_eq!(container_name("p", "web", None, 2), "p-web-2");
        assert_eq!(container_name("p", "web", Some(""), 1), "p-web-1");
        assert_eq!(container_name("p", "web", Some("fixed"), 1), "fixed");
        assert_eq!(scoped_name("p", "default"), "p_default");
        assert_eq!(
            replacement_name("0123456789ab", "p-web-1"),
            "0123456789ab_p-web-1"
        );
        assert_eq!(built_image_name("p", "web"), "p-web");
        assert_eq!(
            oneoff_name("p", "web", "0123456789abcdef"),
            "p-web-run-0123456789ab"
        );
        assert_eq!(resource_name("p", "data", None, true), "data");
        assert_eq!(resource_name("p", "data", Some("x"), false), "x");
        assert_eq!(resource_name("p", "data", None, false), "p_data");
    }
}
