//! What every runtime command needs before it acts: the engine connection (one line naming the
//! address tried and how to point elsewhere when it cannot be reached), the project options (the
//! name rule and the loading live in `app::project`), and the process's one Ctrl-C source
//! (`presses`; first press: graceful; second: forced).

use std::sync::{Arc, OnceLock};

use tokio::sync::watch;

use anyhow::Result;

use super::GlobalArgs;
use rcompose::app::project::{self, ProjectOptions};
use rcompose::app::types::engine::{Engine, EngineError};
use rcompose::app::types::load::LoadError;
use rcompose::app::{Cancel, CancelLevel};

/// A runtime command could not reach the engine: names the address and what to set.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Unreachable(pub EngineError);

/// Connects to the engine named by the environment (`DOCKER_HOST`, the docker context, else the
/// default socket).
pub async fn connect() -> Result<Arc<dyn Engine>> {
    // A `docker compose` plugin run: the docker CLI's `--context` / `-H` flags count too.
    let options = super::plugin::connect_options(|name| std::env::var(name).ok());
    match rcompose::app::connect(&options).await {
        Ok(e) => Ok(e),
        Err(e @ EngineError::Unavailable { .. }) => Err(Unreachable(e).into()),
        Err(e) => Err(e.into()),
    }
}

/// The project-resolution options of the global flags and the process environment
/// (`COMPOSE_PROJECT_NAME`); `services` are those named on the command line.
pub fn project_options(global: &GlobalArgs, services: &[String]) -> Result<ProjectOptions> {
    Ok(ProjectOptions {
        load: global.load_options(services)?,
        env_project_name: std::env::var("COMPOSE_PROJECT_NAME").ok(),
    })
}

/// Checks `-p` / `COMPOSE_PROJECT_NAME` with the one project-name rule (`app::project`); every
/// command but `version` runs it before anything else, so `-p "My App"` fails the same way
/// for `up`, `down`, `ps`...
pub fn check_explicit_project_name(global: &GlobalArgs) -> Result<(), LoadError> {
    project::explicit_project_name(
        global.project_name.as_deref(),
        std::env::var("COMPOSE_PROJECT_NAME").ok().as_deref(),
    )
    .map(|_| ())
}

/// The process's ONE Ctrl-C source: a receiver of the number of presses so far (the listener is
/// installed on the first call, on the current tokio runtime). `changed()` resolves at the next
/// press after the call.
pub fn presses() -> watch::Receiver<u32> {
    static PRESSES: OnceLock<watch::Receiver<u32>> = OnceLock::new();
    let mut rx = PRESSES
        .get_or_init(|| {
            let (tx, rx) = watch::channel(0u32);
            tokio::spawn(async move {
                while tokio::signal::ctrl_c().await.is_ok() {
                    tx.send_modify(|n| *n += 1);
                }
            });
            rx
        })
        .clone();
    rx.borrow_and_update();
    rx
}

/// Listens for Ctrl-C for the rest of the process: each press escalates `cancel` one level and
/// `on_press` is told the new level (for "Gracefully stopping..." messages).
pub fn on_ctrl_c<F>(cancel: Cancel, on_press: F)
where
    F: Fn(CancelLevel) + Send + 'static,
{
    let mut rx = presses();
    tokio::spawn(async move {
        let mut seen = *rx.borrow();
        loop {
            if rx.changed().await.is_err() {
                return;
            }
            let now = *rx.borrow_and_update();
            for _ in seen..now {
                let level = cancel.request();
                on_press(level);
                if level == CancelLevel::Forced {
                    return;
                }
            }
            seen = now;
        }
    });
}
