//! The loader: compose files -> `model::Project`.
//!
//! Owns discovery, YAML parsing, `.env` and interpolation, multi-file merge, `extends`, `include`,
//! profiles, normalisation to the long syntax, and validation. Synchronous; never touches the engine.
//! Must not import `engine`, `exec`, `plan` or `cli`.
//!
//! The pipeline works on `serde_yaml::Value` trees until the very end, like compose-go: each file is
//! parsed (`yaml`), interpolated (`interpolate`), the files are merged (`merge`), `include` and
//! `extends` are applied, the result is validated against the schema (`validate`), normalised to the
//! canonical long form (`normalize`), checked for semantic errors, and finally deserialised into the
//! typed `model::Project`. `project` drives the steps in that order.

pub mod discover;
pub mod dotenv;
pub mod environment;
pub mod error;
pub mod extends;
mod fields;
pub mod interpolate;
pub mod locate;
pub mod merge;
pub mod model_view;
pub mod normalize;
pub mod options;
pub mod project;
pub mod report;
mod schema_yaml;
pub mod validate;
pub mod yaml;
pub mod yaml_events;

pub use error::{ErrorKind, KeyPath, LoadError, Seg, Warnings};
pub use options::{ConfigSource, LoadOptions};
pub use project::{load, Loaded, SourceText};
pub use report::{explain_variable, variables_json, variables_rows, variables_yaml};
