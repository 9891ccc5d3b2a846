//! The executor: drives a `plan::Plan` to completion. One dispatcher loop owns all state
//! (`dispatch`); each step starts as soon as the steps it waits for have met their condition
//! (started / healthy / completed successfully, learned from the engine's event stream, never by
//! polling), with bounded parallelism, two-level cancellation (`cancel`), failure propagation to
//! dependents, and `--wait` readiness with a deadline. Progress goes to a `Reporter`.
//!
//! Engine effects go through the `Driver` trait (`driver`); `engine_driver` implements it over
//! `engine::Engine`; `spec` turns a `model::Service` into an `engine::ContainerSpec`, `context` packs
//! a build context, `observe` reads what the engine has, and `ops` is the high-level API the CLI
//! and library users call (`up`, `down`, the lifecycle commands through `ops::lifecycle`...;
//! `images` for `build`, `pull`, `push`); `project` resolves the project (the one project-name
//! rule) from typed options.
//! May import `plan`, `loader`, `engine` and `model`; must not import `cli`, print, or read the
//! process environment.

pub mod cancel;
pub mod config;
pub mod context;
pub mod convert;
pub mod cp;
mod dispatch;
pub mod driver;
pub mod engine_driver;
pub mod events;
pub mod images;
pub mod lock;
pub mod logs;
pub mod monitor;
pub mod observe;
pub mod oneoff;
pub mod ops;
pub mod pre_start;
pub mod project;
pub mod publish;
pub mod query;
pub mod reporter;
pub mod snapshot;
pub mod spec;
pub mod stack;
pub mod swarm;
pub mod syntax;
pub mod types;
pub mod watch;

use std::sync::Arc;
use std::time::Duration;

pub use cancel::{Cancel, CancelLevel};
pub use driver::{
    ContainerEvent, ContainerEventKind, ContainerNow, Driver, IdMap, ProgressFn, StepCtx,
    StepOutput,
};
pub use reporter::{ExecEvent, NullReporter, RecordingReporter, Reporter, StepPhase};

use crate::plan::{Plan, StepId};

/// Default number of engine calls in flight (docker compose's default is unlimited; a bound
/// keeps a 1000-service project from flooding the engine).
pub const DEFAULT_PARALLEL: usize = 64;

/// How to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOptions {
    /// Engine calls in flight at once (`--parallel`, `COMPOSE_PARALLEL_LIMIT`).
    pub parallel: usize,
    /// `--wait` with its timeout: after the plan, wait until every service is running/healthy
    /// or completed.
    pub wait: Option<Duration>,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            parallel: DEFAULT_PARALLEL,
            wait: None,
        }
    }
}

impl ExecOptions {
    /// `--parallel n` if given (n > 0), else `COMPOSE_PARALLEL_LIMIT`, else the default.
    pub fn parallel_from(flag: Option<usize>, env: Option<&str>) -> usize {
        flag.filter(|n| *n > 0)
            .or_else(|| {
                env.and_then(|v| v.trim().parse().ok())
                    .filter(|n: &usize| *n > 0)
            })
            .unwrap_or(DEFAULT_PARALLEL)
    }
}

/// One failed step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepFailure {
    pub step: StepId,
    /// What the step was doing (`start container app-web-1`).
    pub what: String,
    pub error: String,
}

/// What happened to each step.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunReport {
    pub done: Vec<StepId>,
    pub failed: Vec<StepFailure>,
    /// Not run because something they need failed.
    pub skipped: Vec<StepId>,
    pub cancelled: Vec<StepId>,
    /// Objects created during the run (`container app-web-1`, `network app_default`).
    pub created: Vec<String>,
    pub cancelled_by_user: bool,
    pub wait_error: Option<ExecError>,
}

/// Why a run did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    #[error("{}", failed_message(.failures, .created))]
    Failed {
        failures: Vec<StepFailure>,
        created: Vec<String>,
    },
    #[error("cancelled")]
    Cancelled,
    #[error("service {service} is not ready: {reason}")]
    NotReady { service: String, reason: String },
    #[error("{}", timeout_message(.services, .timeout, .last_health_output))]
    WaitTimeout {
        services: Vec<String>,
        timeout: Duration,
        last_health_output: Option<String>,
    },
    /// The plan could not be made (cycle, unknown service...): nothing was done.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// An engine call outside the plan failed (listing what exists, inspecting an image...).
    #[error("cannot {doing}: {error}")]
    Engine {
        doing: String,
        error: crate::engine::EngineError,
    },
    /// A service's image is not present and cannot be pulled or built; nothing was created.
    #[error("service {service} needs image {image}, which is not present locally and cannot be obtained: {reason}; build it locally (or add a `build:` section) or fix the image name")]
    ImageMissing {
        service: String,
        image: String,
        reason: String,
    },
    /// A network or volume declared `external` does not exist; nothing was created.
    #[error("service {service} uses {kind} {name:?} ({kind}s.{key} in the compose file), which is declared external but could not be found; create it first (`docker {kind} create {name}`) or drop `external: true` to let rcompose create it")]
    ExternalMissing {
        kind: &'static str,
        key: String,
        name: String,
        service: String,
    },
    /// The project asks for something the executor cannot do (names the service and key).
    #[error("{0}")]
    Unsupported(String),
    /// Another rcompose command holds the project's lock and this one gave up waiting.
    #[error(transparent)]
    Lock(#[from] lock::LockError),
}

fn failed_message(failures: &[StepFailure], created: &[String]) -> String {
    let mut s = String::new();
    for (i, f) in failures.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&format!("{}: {}", f.what, f.error));
    }
    if !created.is_empty() {
        s.push_str(&format!(
            "\nalready created (kept; the next `up` continues from here): {}",
            created.join(", ")
        ));
    }
    s
}

fn timeout_message(services: &[String], timeout: &Duration, last: &Option<String>) -> String {
    let mut s = format!(
        "timed out after {}s waiting for {} to be running or healthy",
        timeout.as_secs(),
        services.join(", ")
    );
    if let Some(out) = last {
        let out = out.trim();
        if !out.is_empty() {
            s.push_str(&format!(
                "; last health check output of {}: {out}",
                services.first().map(String::as_str).unwrap_or("")
            ));
        }
    }
    s
}

impl RunReport {
    /// The run as a result: an error when a step failed, the run was cancelled, or `--wait`
    /// was not satisfied.
    pub fn into_result(self) -> Result<RunReport, ExecError> {
        if !self.failed.is_empty() {
            return Err(ExecError::Failed {
                failures: self.failed,
                created: self.created,
            });
        }
        if self.cancelled_by_user {
            return Err(ExecError::Cancelled);
        }
        if let Some(e) = self.wait_error {
            return Err(e);
        }
        Ok(self)
    }
}

/// Runs `plan` through `driver`, reporting progress to `reporter`. Returns the per-step report
/// (call `into_result` for an error on failure).
pub async fn run_plan(
    plan: &Plan,
    driver: Arc<dyn Driver>,
    reporter: &mut dyn Reporter,
    opts: ExecOptions,
    cancel: Cancel,
) -> RunReport {
    for w in &plan.warnings {
        reporter.report(ExecEvent::Warning(w.clone()));
    }
    dispatch::Dispatcher::new(plan, driver, reporter, opts, cancel)
        .run()
        .await
}

/// `run_plan(...).into_result()`.
pub async fn execute(
    plan: &Plan,
    driver: Arc<dyn Driver>,
    reporter: &mut dyn Reporter,
    opts: ExecOptions,
    cancel: Cancel,
) -> Result<RunReport, ExecError> {
    run_plan(plan, driver, reporter, opts, cancel)
        .await
        .into_result()
}

/// Connects to the engine `options` name (`DOCKER_HOST`, the docker context, else the default
/// socket; the CLI reads those from the environment).
pub async fn connect(
    options: &crate::engine::ConnectOptions,
) -> Result<Arc<dyn crate::engine::Engine>, crate::engine::EngineError> {
    crate::engine::connect(options).await
}
