//! The `convert` command's work: the resolved project translated for another orchestrator. Pure
//! translation (no engine involved): the only I/O is reading the files of file-based secrets and
//! configs, through a reader the caller passes. What a target cannot express comes back as a
//! [`Warning`] naming the service, the key and the reason, never silently dropped; what makes the
//! output wrong (two services with one name there, a secret's file missing) is a [`ConvertError`].
//! The CLI renders the result; nothing here prints.
//!
//! Targets: [`kubernetes`] (Namespace, Deployments / StatefulSets, Services, PVCs, ConfigMaps,
//! Secrets). Must not import `cli`.

pub mod kubernetes;

use std::fmt;
use std::path::PathBuf;

/// The targets `convert --to` knows, by the name the flag takes.
pub const TARGETS: [&str; 1] = ["kubernetes"];

/// Something a target cannot express, and what was done instead.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Warning {
    /// The service it concerns; `None` for a top-level resource (`volumes.data...`).
    pub service: Option<String>,
    /// The key under the service (`network_mode`, `volumes[1]`), or the full path of a
    /// top-level resource's key (`volumes.data.driver`).
    pub key: String,
    /// Why it cannot be translated and what the output does instead.
    pub reason: String,
}

impl Warning {
    /// The key's full path in the compose model: `services.<svc>.<key>`.
    pub fn path(&self) -> String {
        match &self.service {
            Some(s) if self.key.is_empty() => format!("services.{s}"),
            Some(s) => format!("services.{s}.{}", self.key),
            None => self.key.clone(),
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path(), self.reason)
    }
}

/// Why a project cannot be converted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// Two compose objects map to one Kubernetes name.
    #[error("{first} and {second} both become {kind} {name:?} in Kubernetes (names are lower-case, `_` becomes `-`, at most 63 characters): rename one of them")]
    NameClash {
        kind: String,
        name: String,
        first: String,
        second: String,
    },
    /// A file-based secret or config whose file cannot be read.
    #[error("{key}: cannot read {}: {source}", path.display())]
    File {
        key: String,
        path: PathBuf,
        source: std::io::Error,
    },
}
