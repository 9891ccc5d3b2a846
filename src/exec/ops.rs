//! The high-level API the CLI and library users call: `up`, `create`, `down`, `stop`, `start`,
//! `restart`, `kill`, `rm`, `pause`, `unpause`. Each one reads what the engine has (`observe`),
//! plans the command (`plan`), and runs the plan (`run_plan` over an `EngineDriver`), or with
//! `dry_run` returns the plan without touching the engine beyond the list calls.
//!
//! Commands other than `up`/`create` work from the engine's labels alone when no project is given
//! (`down -p name` without a compose file), like docker compose.
//! Must not import `loader` or `cli`.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::Engine;
use crate::model::Project;
use crate::plan::{self, Intent, Plan};

use super::cancel::Cancel;
use super::reporter::Reporter;
use super::{ExecError, RunReport};

/// The engine, shared by the driver's in-flight steps.
pub type EngineRef = Arc<dyn Engine>;

/// `up` / `create` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpOptions {
    /// What to plan (services, `--force-recreate`, `--scale`, `--no-start`, `--build`...).
    pub plan: plan::UpOptions,
    /// `--wait` (with `--wait-timeout`, or a long default): after the plan, wait until every
    /// service is running (healthy when it has a healthcheck) or has completed successfully.
    pub wait: Option<Duration>,
    /// `--dry-run`: plan only; nothing is created.
    pub dry_run: bool,
    /// Engine calls in flight at once; 0 = `COMPOSE_PARALLEL_LIMIT` or the default.
    pub parallel: usize,
}

/// `down` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownOptions {
    pub plan: plan::DownOptions,
    pub dry_run: bool,
    pub parallel: usize,
}

/// `stop` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StopOptions {
    pub services: Vec<String>,
    /// `-t`: seconds before SIGKILL (default: the service's `stop_grace_period`, else 10).
    pub timeout: Option<u64>,
    pub dry_run: bool,
    pub parallel: usize,
}

/// `start` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartOptions {
    pub services: Vec<String>,
    pub wait: Option<Duration>,
    pub dry_run: bool,
    pub parallel: usize,
}

/// `restart` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestartOptions {
    pub services: Vec<String>,
    pub timeout: Option<u64>,
    pub no_deps: bool,
    pub dry_run: bool,
    pub parallel: usize,
}

/// `kill` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KillOptions {
    pub services: Vec<String>,
    /// `-s`: default SIGKILL.
    pub signal: Option<String>,
    pub remove_orphans: bool,
    pub dry_run: bool,
    pub parallel: usize,
}

/// `rm` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RmOptions {
    pub services: Vec<String>,
    /// `-s`: stop running containers first (otherwise they are left alone).
    pub stop: bool,
    /// `-v`: also remove their anonymous volumes.
    pub volumes: bool,
    pub dry_run: bool,
    pub parallel: usize,
}

/// `pause` / `unpause` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PauseOptions {
    pub services: Vec<String>,
    pub dry_run: bool,
    pub parallel: usize,
}

/// What a command did (or, with `dry_run`, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The plan that was run (or would be).
    pub plan: Plan,
    /// What happened to each step (empty for a dry run).
    pub report: RunReport,
    pub dry_run: bool,
}

impl Outcome {
    /// The `--dry-run` text: one line per step with its reason.
    pub fn rendered(&self) -> String {
        self.plan.render()
    }
}

/// The outcome of `up`.
pub type UpOutcome = Outcome;

fn todo_error(what: &str) -> ExecError {
    ExecError::Unsupported(format!("{what} is not implemented yet"))
}

/// `up`: create what is missing, recreate what changed, start everything (in dependency order,
/// each service once its dependencies meet their condition). Fails before creating anything when
/// an image is missing and can be neither pulled nor built.
pub async fn up(
    engine: EngineRef,
    project: &Project,
    opts: &UpOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<UpOutcome, ExecError> {
    let _ = (engine, project, opts, reporter, cancel, Intent::up());
    Err(todo_error("up"))
}

/// `create`: `up --no-start`.
pub async fn create(
    engine: EngineRef,
    project: &Project,
    opts: &UpOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    let mut opts = opts.clone();
    opts.plan.no_start = true;
    opts.wait = None;
    up(engine, project, &opts, reporter, cancel).await
}

/// `down`: stop and remove the project's containers, then its networks (and named volumes with
/// `remove_volumes`, images with `rmi`). Works from the engine's labels alone when `project` is
/// `None`.
pub async fn down(
    engine: EngineRef,
    project_name: &str,
    project: Option<&Project>,
    opts: &DownOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    let _ = (engine, project_name, project, opts, reporter, cancel);
    Err(todo_error("down"))
}

/// `stop`: stop running containers, dependents first.
pub async fn stop(
    engine: EngineRef,
    project_name: &str,
    project: Option<&Project>,
    opts: &StopOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    let _ = (engine, project_name, project, opts, reporter, cancel);
    Err(todo_error("stop"))
}

/// `start`: start existing containers, dependencies first, honouring conditions.
pub async fn start(
    engine: EngineRef,
    project_name: &str,
    project: Option<&Project>,
    opts: &StartOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    let _ = (engine, project_name, project, opts, reporter, cancel);
    Err(todo_error("start"))
}

/// `restart`: restart containers (and dependents with `restart: true` unless `no_deps`).
pub async fn restart(
    engine: EngineRef,
    project_name: &str,
    project: Option<&Project>,
    opts: &RestartOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    let _ = (engine, project_name, project, opts, reporter, cancel);
    Err(todo_error("restart"))
}

/// `kill`: send a signal (default SIGKILL) to running containers.
pub async fn kill(
    engine: EngineRef,
    project_name: &str,
    project: Option<&Project>,
    opts: &KillOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    let _ = (engine, project_name, project, opts, reporter, cancel);
    Err(todo_error("kill"))
}

/// `rm`: remove stopped containers.
pub async fn rm(
    engine: EngineRef,
    project_name: &str,
    project: Option<&Project>,
    opts: &RmOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    let _ = (engine, project_name, project, opts, reporter, cancel);
    Err(todo_error("rm"))
}

/// `pause`: pause running containers.
pub async fn pause(
    engine: EngineRef,
    project_name: &str,
    project: Option<&Project>,
    opts: &PauseOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    let _ = (engine, project_name, project, opts, reporter, cancel);
    Err(todo_error("pause"))
}

/// `unpause`: resume paused containers.
pub async fn unpause(
    engine: EngineRef,
    project_name: &str,
    project: Option<&Project>,
    opts: &PauseOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    let _ = (engine, project_name, project, opts, reporter, cancel);
    Err(todo_error("unpause"))
}
