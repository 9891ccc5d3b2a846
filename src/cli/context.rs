//! What every runtime command needs before it acts: the engine connection (one line naming the
//! address tried and how to point elsewhere when it cannot be reached), the project name (from
//! `-p` / `COMPOSE_PROJECT_NAME` without reading any file, else from the loaded project), and
//! Ctrl-C handling (first press: graceful; second: forced).

use std::sync::Arc;

use anyhow::Result;

use super::GlobalArgs;
use crate::app::{Cancel, CancelLevel};
use crate::engine::docker::DockerEngine;
use crate::engine::{ConnectOptions, Engine, EngineError};
use crate::loader::discover::check_project_name;
use crate::loader::LoadError;

/// A runtime command could not reach the engine: names the address and what to set.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreachable(pub EngineError);

/// Connects to the engine named by the environment (`DOCKER_HOST`, the docker context, else the
/// default socket).
pub async fn connect() -> Result<Arc<dyn Engine>> {
    let options = ConnectOptions::from_env(|name| std::env::var(name).ok());
    match DockerEngine::connect(&options).await {
        Ok(e) => Ok(Arc::new(e)),
        Err(e @ EngineError::Unavailable { .. }) => Err(Unreachable(e).into()),
        Err(e) => Err(e.into()),
    }
}

/// The project name given without a compose file: `-p`, else a non-empty
/// `COMPOSE_PROJECT_NAME`. `None` when neither is set; an error when the name is not valid, with
/// the same rule and words as the loader's (every command, with or without a compose file).
pub fn explicit_project_name(global: &GlobalArgs) -> Result<Option<String>, LoadError> {
    if let Some(n) = &global.project_name {
        check_project_name(n, "-p")?;
        return Ok(Some(n.clone()));
    }
    match std::env::var("COMPOSE_PROJECT_NAME") {
        Ok(n) if !n.is_empty() => {
            check_project_name(&n, "COMPOSE_PROJECT_NAME")?;
            Ok(Some(n))
        }
        _ => Ok(None),
    }
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
