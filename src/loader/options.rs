//! What the caller (CLI or library user) tells the loader: files, directories, names, environment.

use std::path::PathBuf;

use indexmap::IndexMap;

/// Where the compose files come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file on disk.
    Path(PathBuf),
    /// `-f -`: the text was read from standard input; it is known as `-` in messages.
    Stdin(String),
    /// Text given directly by a library user (tests), known by the given name in messages.
    Inline { name: PathBuf, text: String },
}

/// Options for loading a project, mirroring docker compose's global flags and `COMPOSE_*` variables.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-f` files in order; empty means discovery (`COMPOSE_FILE`, then the default names upward).
    pub files: Vec<ConfigSource>,
    /// `--project-directory`.
    pub project_directory: Option<PathBuf>,
    /// `-p`.
    pub project_name: Option<String>,
    /// `--env-file` (repeatable); empty means `COMPOSE_ENV_FILES`, then `<project dir>/.env`.
    pub env_files: Vec<PathBuf>,
    /// `--profile` (repeatable); empty means `COMPOSE_PROFILES`.
    pub profiles: Vec<String>,
    /// Services named on the command line: they are enabled whatever their profiles.
    pub services: Vec<String>,
    /// `--no-interpolate`.
    pub no_interpolate: bool,
    /// Stop at compose-go's model map (`config --no-interpolate`): the merged tree in its
    /// canonical form, no profiles, no `env_file` reading, no consistency checks and no typed
    /// model (`Loaded::project` then holds only the name; `Loaded::tree` is the map).
    pub model_only: bool,
    /// Skip the schema validation (`config --variables` reads the model without it, as v5 does).
    pub skip_validation: bool,
    /// `--strict`: an unset variable is an error instead of a warning.
    pub strict: bool,
    /// Skip normalisation (`config --no-normalize`).
    pub no_normalize: bool,
    /// Skip resolving `env_file` into `environment` (`--no-env-resolution`).
    pub no_env_resolution: bool,
    /// Skip the semantic consistency checks (`--no-consistency`).
    pub no_consistency: bool,
    /// Keep relative paths (build contexts, bind sources, env and secret files...) as written
    /// instead of resolving them against their file's directory (`--no-path-resolution`).
    pub no_path_resolution: bool,
    /// Load for a swarm stack (`stack deploy`): the checks that only hold for containers on one
    /// engine (a fixed host port on several replicas, `container_name` with replicas) are off.
    pub swarm: bool,
    /// Keep the networks, volumes, secrets, configs and models no service uses
    /// (`--all-resources`); by default they are dropped, as docker compose does.
    pub all_resources: bool,
    /// Keep only the services named in `services` and what they depend on (`config SERVICE...`
    /// prints that subset, as docker compose does); the resources only the others used go too.
    pub select_services: bool,
    /// The shell environment: what `${VAR}` resolves against first, where the `COMPOSE_*`
    /// settings (`COMPOSE_FILE`, `COMPOSE_PROFILES`, `COMPOSE_PROJECT_NAME`, `COMPOSE_ENV_FILES`,
    /// `COMPOSE_PATH_SEPARATOR`, `COMPOSE_DISABLE_ENV_FILE`) and `HOME` (for `~` in paths) come
    /// from. The loader never reads the process environment: the CLI passes `std::env::vars()`;
    /// empty (the default) means no shell variables at all.
    pub environment: IndexMap<String, String>,
    /// The directory relative paths and discovery start from; `None` means the current directory.
    pub working_dir: Option<PathBuf>,
    /// Those of `files` that were pulled from a registry (`-f oci://...`, into a cache directory):
    /// the relative paths in them resolve against their own directory, where their env files
    /// were written, not against the project directory (as compose-go's remote loaders do).
    pub remote_files: Vec<PathBuf>,
}

impl LoadOptions {
    /// Options that load the given files, with an empty shell environment (set `environment`).
    pub fn with_files<I, P>(files: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        LoadOptions {
            files: files
                .into_iter()
                .map(|p| ConfigSource::Path(p.into()))
                .collect(),
            ..Default::default()
        }
    }
}
