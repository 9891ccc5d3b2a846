//! The label keys docker compose writes on the objects it manages, so that a stack started by
//! rcompose is seen (and torn down) by `docker compose`, and the other way round.

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
