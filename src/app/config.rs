//! The `config` command's work: load with the command's own options, and the facts it prints
//! about a loaded project (config hashes as `up` labels them, the variables, the environment, where
//! a variable came from). The CLI formats; nothing here prints.
//!
//! Must not import `cli`.

use crate::loader::{self, ErrorKind, LoadError, LoadOptions, Loaded};
use crate::model::Project;
use crate::plan::{self, PlanError};

/// Loads the project as `config` does (its options may skip interpolation, normalisation...).
pub fn load(opts: &LoadOptions) -> Result<Loaded, LoadError> {
    loader::load(opts)
}

/// Why `config --hash` could not answer.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Plan(#[from] PlanError),
}

/// `config --hash`: `(service, hash)` of the named services (`*` for all), sorted by name as
/// docker compose v5 prints them; these are exactly the `com.docker.compose.config-hash` labels
/// `up` writes. A named service that does not exist is a usage error.
pub fn hashes(project: &Project, wanted: &[&str]) -> Result<Vec<(String, String)>, HashError> {
    let desired = plan::desired_of(&plan::with_default_network(project))?;
    let mut out: Vec<(String, String)> = desired
        .services
        .iter()
        .filter(|(name, _)| wanted.contains(&"*") || wanted.contains(&name.as_str()))
        .map(|(name, svc)| (name.clone(), svc.config_hash.clone()))
        .collect();
    out.sort();
    if let Some(w) = wanted
        .iter()
        .find(|w| **w != "*" && !project.services.contains_key(**w))
    {
        return Err(LoadError::new(ErrorKind::Usage, format!("no such service: {w}")).into());
    }
    Ok(out)
}

/// `config --variables`: the variables the model uses, with their defaults, as table rows
/// (header first).
pub fn variables_rows(loaded: &Loaded) -> Vec<Vec<String>> {
    loader::variables_rows(loaded)
}

/// `config --profiles`: every profile a service of the model map (`Loaded::tree` of a
/// `model_only` load, which keeps the services no active profile enables) names, sorted.
pub fn all_profiles(tree: &serde_yaml::Value) -> Vec<String> {
    let mut all: Vec<String> = tree
        .get("services")
        .and_then(serde_yaml::Value::as_mapping)
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(|s| s.get("profiles").and_then(serde_yaml::Value::as_sequence))
        .flatten()
        .filter_map(|p| p.as_str().map(str::to_string))
        .collect();
    all.sort();
    all.dedup();
    all
}

/// `config --variables --format json`.
pub fn variables_json(loaded: &Loaded) -> String {
    loader::variables_json(loaded)
}

/// `config --variables --format yaml`.
pub fn variables_yaml(loaded: &Loaded) -> String {
    loader::variables_yaml(loaded)
}

/// `config --environment`: the interpolation environment, `(name, value)`, sorted by name as
/// v5 prints it.
pub fn environment(loaded: &Loaded) -> Vec<(String, String)> {
    let mut all: Vec<(String, String)> = loader::project::env_map(&loaded.environment)
        .into_iter()
        .collect();
    all.sort();
    all
}

/// `config --explain VAR`: where the variable's value came from.
pub fn explain(loaded: &Loaded, var: &str) -> String {
    loader::explain_variable(loaded, var)
}

/// `config --no-interpolate`: the model map (a loader tree loaded with `model_only`) as docker
/// compose v5 prints it: YAML with every mapping sorted, or Go's indented JSON.
pub fn model_text(tree: &serde_yaml::Value, json: bool) -> String {
    let mut v = serde_json::to_value(tree).unwrap_or(serde_json::Value::Null);
    crate::model::yaml_out::sort_keys(&mut v);
    if json {
        let text = serde_json::to_string_pretty(&v).unwrap_or_default();
        crate::model::go_json::escape_html(&text)
    } else {
        crate::model::yaml_out::to_string(&v)
    }
}

/// Why `config --resolve-image-digests` / `--lock-image-digests` could not pin an image. The
/// texts are docker compose v5's.
#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    /// The image is not a valid reference (`invalid reference format: ...`).
    #[error("{0}")]
    Reference(String),
    /// The registry (or the engine) could not say: `failed to resolve digest for <ref>: <why>`.
    #[error("failed to resolve digest for {reference}: {message}")]
    Resolve {
        /// The image reference in full (`docker.io/library/nginx:latest`).
        reference: String,
        message: String,
    },
}

/// `config --resolve-image-digests`: every service's `image` as its full reference pinned to
/// the digest its registry has for it (asked through the engine, nothing is pulled), as
/// compose-go's `WithImagesResolved`: `nginx` becomes `docker.io/library/nginx:latest@sha256:..`,
/// a reference that already has a digest keeps it (and loses its tag). Services without an
/// image are left alone. The services are asked in name order; the first failure is the error.
pub async fn resolve_image_digests(
    engine: Option<&dyn crate::engine::Engine>,
    project: &mut Project,
) -> Result<(), DigestError> {
    let mut names: Vec<String> = project.services.keys().cloned().collect();
    names.sort();
    for name in names {
        let Some(svc) = project.services.get_mut(&name) else {
            continue;
        };
        if let Some(image) = svc.image.clone().filter(|i| !i.is_empty()) {
            svc.image = Some(pinned(engine, &image).await?);
        }
    }
    Ok(())
}

/// [`resolve_image_digests`] on the model map (`config --no-interpolate`): each service's
/// `image` string, as written (a `${VAR}` in it is not a valid reference).
pub async fn resolve_image_digests_in_map(
    engine: Option<&dyn crate::engine::Engine>,
    tree: &mut serde_yaml::Value,
) -> Result<(), DigestError> {
    let Some(serde_yaml::Value::Mapping(services)) = tree.get_mut("services") else {
        return Ok(());
    };
    let mut names: Vec<serde_yaml::Value> = services.keys().cloned().collect();
    names.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    for name in names {
        let Some(serde_yaml::Value::Mapping(svc)) = services.get_mut(&name) else {
            continue;
        };
        let Some(image) = svc
            .get("image")
            .and_then(serde_yaml::Value::as_str)
            .filter(|i| !i.is_empty())
            .map(str::to_string)
        else {
            continue;
        };
        let p = pinned(engine, &image).await?;
        svc.insert("image".into(), serde_yaml::Value::String(p));
    }
    Ok(())
}

/// Whether some service's image (in the model map with `model_map`) has no digest yet, so that
/// pinning needs the engine.
/// `--resolve-image-digests` / `--lock-image-digests`: pins every service's image to its registry
/// digest (the model map's images with `model_map`, i.e. `--no-interpolate`).
pub async fn pin_image_digests(
    engine: Option<&dyn crate::engine::Engine>,
    loaded: &mut Loaded,
    model_map: bool,
) -> Result<(), DigestError> {
    if model_map {
        resolve_image_digests_in_map(engine, &mut loaded.tree).await
    } else {
        resolve_image_digests(engine, &mut loaded.project).await
    }
}

/// `config --images`: each service's image, then those of its `pre_start` jobs that run another.
pub fn image_list(p: &Project) -> Vec<String> {
    let mut all = Vec::new();
    for s in p.services.values() {
        let own = s.image_name(&p.name);
        let jobs: Vec<String> = s
            .pre_start
            .iter()
            .filter_map(|h| h.job.image.clone())
            .filter(|i| !i.is_empty() && *i != own)
            .collect();
        all.push(own);
        all.extend(jobs);
    }
    all
}

/// `--lock-image-digests`: an override file holding only each service's pinned image, as v5
/// prints it (YAML without a name; JSON with `"name": ""` and Go's null command/entrypoint).
pub fn lock_override(p: &Project, json: bool) -> String {
    use serde_json::{Map, Value};
    let mut names: Vec<&String> = p.services.keys().collect();
    names.sort();
    let mut services = Map::new();
    for n in names {
        let mut svc = Map::new();
        if json {
            svc.insert("command".into(), Value::Null);
            svc.insert("entrypoint".into(), Value::Null);
        }
        if let Some(i) = p.services[n].image.as_ref().filter(|i| !i.is_empty()) {
            svc.insert("image".into(), Value::String(i.clone()));
        }
        services.insert(n.clone(), Value::Object(svc));
    }
    let mut top = Map::new();
    if json {
        top.insert("name".into(), Value::String(String::new()));
    }
    top.insert("services".into(), Value::Object(services));
    let top = Value::Object(top);
    if json {
        let text = serde_json::to_string_pretty(&top).unwrap_or_default();
        crate::model::go_json::escape_html(&text)
    } else {
        crate::model::yaml_out::to_string(&top)
    }
}

pub fn needs_digests(loaded: &Loaded, model_map: bool) -> bool {
    let images: Vec<String> = if model_map {
        loaded
            .tree
            .get("services")
            .and_then(serde_yaml::Value::as_mapping)
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|s| s.get("image").and_then(serde_yaml::Value::as_str))
            .map(str::to_string)
            .collect()
    } else {
        loaded
            .project
            .services
            .values()
            .filter_map(|s| s.image.clone())
            .collect()
    };
    images.iter().any(|i| !i.is_empty() && !i.contains('@'))
}

/// One image as its full reference with the digest its registry has for it (`engine` may be
/// `None` when [`needs_digests`] says no image needs one).
async fn pinned(
    engine: Option<&dyn crate::engine::Engine>,
    image: &str,
) -> Result<String, DigestError> {
    let reference = docker_reference(image).map_err(DigestError::Reference)?;
    if reference.contains('@') {
        return Ok(reference);
    }
    let Some(engine) = engine else {
        return Err(DigestError::Resolve {
            reference,
            message: "no Docker engine to ask the registry through".to_string(),
        });
    };
    let digest = engine
        .registry_digest(&reference)
        .await
        .map_err(|e| DigestError::Resolve {
            reference: reference.clone(),
            message: daemon_message(e),
        })?;
    Ok(format!("{reference}@{digest}"))
}

/// The engine's answer as the docker CLI words it (`Error response from daemon: ...`).
fn daemon_message(e: crate::engine::EngineError) -> String {
    use crate::engine::EngineError;
    match e {
        EngineError::NotFound { message, .. } | EngineError::Api { message, .. } => {
            format!("Error response from daemon: {message}")
        }
        other => other.to_string(),
    }
}

/// A reference in the docker distribution library's full form (its `ParseDockerRef`): the
/// registry spelled out (`docker.io`, `library/` for official images), `:latest` when there is
/// neither tag nor digest, and the tag dropped when there is a digest.
pub fn docker_reference(image: &str) -> Result<String, String> {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let (name, tag) = match name.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, Some(t)),
        _ => (name, None),
    };
    if name.is_empty() {
        return Err("invalid reference format".to_string());
    }
    let (domain, path) = match name.split_once('/') {
        Some((d, rest)) if d.contains('.') || d.contains(':') || d == "localhost" => {
            (d.to_string(), rest.to_string())
        }
        _ => ("docker.io".to_string(), name.to_string()),
    };
    let (domain, path) = crate::engine::registry::canonical_repository(domain, path);
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "invalid reference format: repository name ({path}) must be lowercase"
        ));
    }
    Ok(match (digest, tag) {
        (Some(d), _) => format!("{domain}/{path}@{d}"),
        (None, Some(t)) => format!("{domain}/{path}:{t}"),
        (None, None) => format!("{domain}/{path}:latest"),
    })
}

#[cfg(test)]
mod tests {
    use super::docker_reference;

    #[test]
    fn references_take_the_distribution_librarys_full_form() {
        let r = |s: &str| docker_reference(s).unwrap();
        assert_eq!(r("nginx"), "docker.io/library/nginx:latest");
        assert_eq!(r("nginx:1.25"), "docker.io/library/nginx:1.25");
        assert_eq!(r("me/app"), "docker.io/me/app:latest");
        assert_eq!(r("index.docker.io/me/app:2"), "docker.io/me/app:2");
        assert_eq!(r("127.0.0.1:5000/bb"), "127.0.0.1:5000/bb:latest");
        assert_eq!(r("localhost/x:y"), "localhost/x:y");
        assert_eq!(r("ghcr.io/a/b:c@sha256:00"), "ghcr.io/a/b@sha256:00");
        assert!(docker_reference("Nginx").is_err());
    }
}
