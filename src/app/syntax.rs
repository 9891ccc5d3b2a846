//! Command-line values in the compose short syntax (`run -p 8080:80`, `run -v ./src:/src`), read
//! as the loader reads them in a compose file and typed as the model's long form.
//!
//! Must not import `cli`.

use crate::loader::normalize;
use crate::model::{Port, ServiceVolume};

/// `-p`/`--publish`: one short port spec, which may stand for several ports (`8000-8001:80-81`).
pub fn ports(raw: &str) -> Result<Vec<Port>, String> {
    normalize::short_port(raw)?
        .into_iter()
        .map(|v| serde_yaml::from_value(v).map_err(|e| e.to_string()))
        .collect()
}

/// `-v`/`--volume`: one short volume spec.
pub fn volume(raw: &str) -> Result<ServiceVolume, String> {
    serde_yaml::from_value(normalize::short_volume(raw)?).map_err(|e| e.to_string())
}
