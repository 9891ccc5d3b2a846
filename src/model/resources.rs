//! Top-level resources: networks, volumes, secrets, configs and models (compose-go's
//! `NetworkConfig`, `VolumeConfig`, `SecretConfig`, `ConfigObjConfig`, `ModelConfig`), fields in
//! compose-go's declaration order.
//!
//! Plain data; no I/O; imports only sibling model modules.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use super::serde_util::*;

/// `networks.<name>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Network {
    /// The engine-side name (`<project>_<key>` unless set, or the external name).
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub driver: Option<String>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub driver_opts: IndexMap<String, String>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "skip_ipam")]
    pub ipam: Ipam,
    #[serde(deserialize_with = "de_external", skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub internal: bool,
    #[serde(deserialize_with = "de_bool", skip_serializing_if = "is_false")]
    pub attachable: bool,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(
        deserialize_with = "de_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ipv4: Option<bool>,
    #[serde(
        deserialize_with = "de_opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub enable_ipv6: Option<bool>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// JSON always prints `ipam` (Go can't omit an empty struct there).
fn skip_ipam(i: &Ipam) -> bool {
    *i == Ipam::default() && !json_mode()
}

/// `networks.<name>.ipam`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Ipam {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub driver: Option<String>,
    #[serde(deserialize_with = "de_nullable", skip_serializing_if = "empty")]
    pub config: Vec<IpamPool>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub options: IndexMap<String, String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// One `ipam.config` entry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IpamPool {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub subnet: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub gateway: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub ip_range: Option<String>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub aux_addresses: IndexMap<String, String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// `volumes.<name>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Volume {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub driver: Option<String>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub driver_opts: IndexMap<String, String>,
    #[serde(deserialize_with = "de_external", skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// A secret (`secrets.<name>`) or config (`configs.<name>`) definition: compose-go's
/// `FileObjectConfig`. A secret's `content` is never printed; a config's is, unless it came from
/// `environment`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FileObject {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub file: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub environment: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub content: Option<String>,
    #[serde(deserialize_with = "de_external", skip_serializing_if = "is_false")]
    pub external: bool,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub labels: IndexMap<String, String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub driver: Option<String>,
    #[serde(
        deserialize_with = "de_mapping",
        serialize_with = "sorted_map",
        skip_serializing_if = "IndexMap::is_empty"
    )]
    pub driver_opts: IndexMap<String, String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub template_driver: Option<String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}

/// `secrets.<name>`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub FileObject);

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.content.is_some() {
            let mut hidden = self.0.clone();
            hidden.content = None;
            hidden.serialize(s)
        } else {
            self.0.serialize(s)
        }
    }
}

/// `configs.<name>`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Config(pub FileObject);

impl Serialize for Config {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.environment.as_deref().is_some_and(|e| !e.is_empty()) && self.0.content.is_some()
        {
            let mut shown = self.0.clone();
            shown.content = None;
            shown.serialize(s)
        } else {
            self.0.serialize(s)
        }
    }
}

impl std::ops::Deref for Secret {
    type Target = FileObject;
    fn deref(&self) -> &FileObject {
        &self.0
    }
}

impl std::ops::Deref for Config {
    type Target = FileObject;
    fn deref(&self) -> &FileObject {
        &self.0
    }
}

/// `models.<name>`: an AI model the stack uses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Model {
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub name: Option<String>,
    #[serde(deserialize_with = "de_opt_string", skip_serializing_if = "str_empty")]
    pub model: Option<String>,
    #[serde(deserialize_with = "de_i64", skip_serializing_if = "is_zero_i64")]
    pub context_size: i64,
    #[serde(deserialize_with = "de_string_list", skip_serializing_if = "empty")]
    pub runtime_flags: Vec<String>,
    #[serde(flatten, skip_serializing_if = "Extensions::skip")]
    pub extensions: Extensions,
}
