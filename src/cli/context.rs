//! What every runtime command needs before it acts: the engine connection (one line naming the
//! address tried and how to point elsewhere when it cannot be reached), the project name (from
//! `-p` / `COMPOSE_PROJECT_NAME` without reading any file, else from the loaded project), and
//! Ctrl-C handling (first press: graceful; second: forced).

use std::sync::Arc;

use anyhow::Result;

use super::GlobalArgs;
use crate::engine::docker::DockerEngine;
use crate::engine::{Engine, EngineError};
use crate::app::{Cancel, CancelLevel};
use crate::loader::discover::normalize_project_name;

/// A runtime command could not reach the engine: names the address and what to set.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreachable(pub EngineError);

/// Connects to the engine named by the environment (`DOCKER_HOST`, the docker context, else the
/// default socket).
pub async fn connect() -> Result<Arc<dyn Engine>> {
    match DockerEngine::connect().await {
        Ok(e) => Ok(Arc::new(e)),
        Err(e @ EngineError::Unavailable { .. }) => Err(Unreachable(e).into()),
        Err(e) => Err(e.into()),
    }
}

/// The project name given without a compose file: `-p`, else `COMPOSE_PROJECT_NAME`, normalised
/// as docker compose does. `None` when neither is set.
pub fn explicit_project_name(global: &GlobalArgs) -> Option<String> {
    global
        .project_name
        .clone()
        .or_else(|| std::env::var("COMPOSE_PROJECT_NAME").ok())
        .map(|n| normalize_project_name(n.trim()))
        .filter(|n| !n.is_empty())
}

/// Listens for Ctrl-C for the rest of the process: each press escalates `cancel` one level and
/// `on_press` is told the new level (for "Gracefully stopping..." messages).
pub fn on_ctrl_c<F>(cancel: Cancel, on_press: F)
where
    F: Fn(CancelLevel) + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            if tokio::signal::ctrl_c().await.is_err() {
                return;
            }
            let level = cancel.request();
            on_press(level);
            if level == CancelLevel::Forced {
                return;
            }
        }
    });
}
