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

/// `config --variables`: the variables the model uses, with their defaults, as a table.
pub fn variables_table(loaded: &Loaded) -> String {
    loader::variables_table(loaded)
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
