//! What the engine has for a project: containers (with their compose labels parsed), networks,
//! volumes and images. The executor fills it with one list call per kind; tests write it as YAML.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::labels::ComposeLabels;

pub use crate::model::ContainerState;

/// Health as reported by the engine (`None` when the container has no healthcheck).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Starting,
    Healthy,
    Unhealthy,
}

/// One container of the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ObservedContainer {
    pub id: String,
    /// Name without the leading `/`.
    pub name: String,
    pub service: String,
    pub number: u32,
    pub oneoff: bool,
    pub config_hash: String,
    /// The id of the image the container was created from.
    pub image_id: String,
    /// The container this one was created to replace (label `com.docker.compose.replace`).
    pub replaces: Option<String>,
    pub state: ContainerState,
    pub health: Option<Health>,
    pub exit_code: Option<i64>,
    /// Engine names of the networks the container is attached to.
    pub networks: Vec<String>,
    /// The raw `com.docker.compose.depends_on` label (`svc:condition:restart,...`), used to
    /// order `stop`/`down` when there is no compose file.
    pub depends_on: String,
}

impl ObservedContainer {
    /// Builds the record from the engine's summary fields and labels.
    #[allow(clippy::too_many_arguments)]
    pub fn from_labels(
        id: &str,
        name: &str,
        labels_map: &BTreeMap<String, String>,
        image_id: &str,
        state: ContainerState,
        health: Option<Health>,
        exit_code: Option<i64>,
        networks: Vec<String>,
    ) -> ObservedContainer {
        let l = ComposeLabels::parse(labels_map);
        ObservedContainer {
            id: id.to_string(),
            name: name.trim_start_matches('/').to_string(),
            service: l.service,
            number: l.number,
            oneoff: l.oneoff,
            config_hash: l.config_hash,
            image_id: image_id.to_string(),
            replaces: l.replace,
            state,
            health,
            exit_code,
            networks,
            depends_on: l.depends_on,
        }
    }

    /// The first 12 characters of the id (for temporary names and messages).
    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }
}

/// A network or volume of the project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ObservedResource {
    /// Engine name.
    pub name: String,
    /// Compose key (label `com.docker.compose.network` / `.volume`).
    pub key: String,
    pub config_hash: String,
}

/// A local image: a reference (`name:tag`) and its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ObservedImage {
    pub name: String,
    pub id: String,
}

/// Everything the engine has for one project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Observed {
    pub containers: Vec<ObservedContainer>,
    pub networks: Vec<ObservedResource>,
    pub volumes: Vec<ObservedResource>,
    pub images: Vec<ObservedImage>,
}

/// `nginx` and `nginx:latest` (and `docker.io/library/nginx:latest`) name the same image.
pub fn normalize_image_ref(r: &str) -> String {
    let r = r
        .strip_prefix("docker.io/library/")
        .or_else(|| r.strip_prefix("docker.io/"))
        .unwrap_or(r);
    if r.contains('@') {
        return r.to_string();
    }
    let last = r.rsplit('/').next().unwrap_or(r);
    if last.contains(':') {
        r.to_string()
    } else {
        format!("{r}:latest")
    }
}

impl Observed {
    pub fn network(&self, name: &str) -> Option<&ObservedResource> {
        self.networks.iter().find(|n| n.name == name)
    }
    pub fn volume(&self, name: &str) -> Option<&ObservedResource> {
        self.volumes.iter().find(|n| n.name == name)
    }
    /// The id of a local image by reference, if present.
    pub fn image_id(&self, reference: &str) -> Option<&str> {
        let want = normalize_image_ref(reference);
        self.images
            .iter()
            .find(|i| normalize_image_ref(&i.name) == want)
            .map(|i| i.id.as_str())
    }
    /// Non-one-off containers of a service.
    pub fn service_containers<'a>(
        &'a self,
        service: &'a str,
    ) -> impl Iterator<Item = &'a ObservedContainer> + 'a {
        self.containers
            .iter()
            .filter(move |c| !c.oneoff && c.service == service)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::labels;

    #[test]
    fn image_refs_normalise() {
        assert_eq!(normalize_image_ref("nginx"), "nginx:latest");
        assert_eq!(
            normalize_image_ref("docker.io/library/nginx"),
            "nginx:latest"
        );
        assert_eq!(
            normalize_image_ref("localhost:5000/x"),
            "localhost:5000/x:latest"
        );
        assert_eq!(normalize_image_ref("a/b:1"), "a/b:1");
    }

    #[test]
    fn labels_parse_into_fields() {
        let mut l = BTreeMap::new();
        l.insert(labels::SERVICE.to_string(), "web".to_string());
        l.insert(labels::CONTAINER_NUMBER.to_string(), "2".to_string());
        l.insert(labels::ONEOFF.to_string(), "False".to_string());
        l.insert(labels::CONFIG_HASH.to_string(), "abc".to_string());
        let c = ObservedContainer::from_labels(
            "0123456789abcdef",
            "/p-web-2",
            &l,
            "sha256:1",
            ContainerState::Running,
            None,
            None,
            vec![],
        );
        assert_eq!(c.number, 2);
        assert!(!c.oneoff);
        assert_eq!(c.name, "p-web-2");
        assert_eq!(c.short_id(), "0123456789ab");
    }
}
