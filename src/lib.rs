//! rcompose: a Compose-style multi-container orchestrator.
//!
//! Data flows one way: `loader` turns files into a `model::Project`; `plan` compares it with what
//! the engine runs; `exec` drives the plan through an `engine::Engine`; `cli` wires it together.

#![allow(clippy::result_large_err)]

pub mod app;
pub mod cli;
pub mod engine;
pub mod loader;
pub mod model;
pub mod plan;

pub use app::stack::{Stack, StackBuilder, StackError};
