//! rcompose: a Compose-style multi-container orchestrator.
//!
//! Data flows one way: `loader` turns files into a `model::Project`; `plan` compares it with what
//! the engine runs; `app` runs each command (the dispatcher drives a plan through an
//! `engine::Engine`) and reports typed events. The command line (`src/cli`, clap and the
//! renderers) is the binary's, not part of this library; test suites use [`Stack`].

#![allow(clippy::result_large_err)]

pub mod app;
pub mod engine;
pub mod loader;
pub mod model;
pub mod plan;

pub use app::stack::{Endpoint, Endpoints, Ready, Stack, StackBuilder, StackError};
