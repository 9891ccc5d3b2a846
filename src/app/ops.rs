//! The high-level API the CLI and library users call: `up`, `create`, `down`, `stop`, `start`,
//! `restart`, `kill`, `rm`, `pause`, `unpause`. Each one reads what the engine has (`observe`),
//! plans the command (`plan`), and runs the plan (`run_plan` over an `EngineDriver`), or with
//! `dry_run` returns the plan without touching the engine beyond the list calls. The lifecycle
//! commands (`stop`...`unpause`) share one typed `LifecycleOptions` and one path, `lifecycle`.
//!
//! Commands other than `up`/`create` work from the engine's labels alone when no project is given
//! (`down -p name` without a compose file), like docker compose.
//!
//! Every command that changes something holds the project's lock (`lock`) from before it reads
//! the engine until its plan has run, so two `up`s of one project (two terminals) are serialised:
//! the second waits, saying so, then plans against what the first made. `RCOMPOSE_LOCK_TIMEOUT`
//! (seconds, read by the front doors into `lock::LockSettings`)
//! bounds the wait; by default it lasts until Ctrl-C.
//! Must not import `loader` or `cli`.

use std::sync::Arc;
use std::time::Duration;

use crate::engine::Engine;
use crate::model::Project;
use crate::plan::{
    self, desired_of, plan_desired, with_default_network, Action, Desired, Intent, Observed, Plan,
};

use super::cancel::Cancel;
use super::engine_driver::EngineDriver;
use super::lock::{self, LockError, ProjectLock};
use super::observe::observe;
use super::reporter::{ExecEvent, Reporter};
use super::{run_plan, ExecError, ExecOptions, RunReport};

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
    /// Engine calls in flight at once; 0 = the default (the CLI fills in
    /// `--parallel` / `COMPOSE_PARALLEL_LIMIT`).
    pub parallel: usize,
}

/// `scale` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScaleOptions {
    /// `SERVICE=REPLICAS`, in command-line order.
    pub replicas: indexmap::IndexMap<String, u32>,
    /// `--no-deps`: leave the services they depend on alone.
    pub no_deps: bool,
    pub dry_run: bool,
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

fn parallel_of(p: usize) -> usize {
    if p > 0 {
        p
    } else {
        ExecOptions::parallel_from(None, None)
    }
}

/// The command name of an intent, for the lock holder's description.
fn command_of(intent: &Intent) -> &'static str {
    match intent {
        Intent::Up(o) if o.no_start => "create",
        Intent::Up(_) => "up",
        Intent::Down(_) => "down",
        Intent::Stop { .. } => "stop",
        Intent::Start { .. } => "start",
        Intent::Restart { .. } => "restart",
        Intent::Kill { .. } => "kill",
        Intent::Rm { .. } => "rm",
        Intent::Pause { .. } => "pause",
        Intent::Unpause { .. } => "unpause",
        Intent::Run { .. } => "run",
    }
}

/// Takes the project's lock for a mutating command (none for a dry run), waiting while another
/// rcompose command holds it.
pub(crate) async fn lock_project(
    engine: &EngineRef,
    project_name: &str,
    command: &str,
    dry_run: bool,
    reporter: &mut dyn Reporter,
    cancel: &Cancel,
) -> Result<Option<ProjectLock>, ExecError> {
    if dry_run {
        return Ok(None);
    }
    let r = lock::acquire(
        project_name,
        &engine.address(),
        command,
        cancel,
        &mut |msg| reporter.report(ExecEvent::Warning(msg)),
    )
    .await;
    match r {
        Ok(l) => Ok(Some(l)),
        Err(LockError::Cancelled { .. }) => Err(ExecError::Cancelled),
        Err(e) => Err(ExecError::Lock(e)),
    }
}

/// What the engine has for `project_name` (one list call per kind).
pub async fn observed(engine: &EngineRef, project_name: &str) -> Result<Observed, ExecError> {
    observe(engine.as_ref(), project_name)
        .await
        .map_err(|error| ExecError::Engine {
            doing: format!("list the objects of project {project_name}"),
            error,
        })
}

/// Every external network and volume the project uses must exist before anything is created
/// (the engine would fail a container's start on a missing network, and silently create a
/// missing volume as an empty one).
pub(crate) async fn check_externals(
    engine: &EngineRef,
    project: Option<&Project>,
    desired: &Desired,
) -> Result<(), ExecError> {
    for (kind, resources) in [("network", &desired.networks), ("volume", &desired.volumes)] {
        for r in resources.values().filter(|r| r.external) {
            let found = if kind == "network" {
                engine.inspect_network(&r.name).await.map(|_| ())
            } else {
                engine.inspect_volume(&r.name).await.map(|_| ())
            };
            match found {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {
                    let service = project
                        .into_iter()
                        .flat_map(|p| p.services.values())
                        .find(|s| {
                            if kind == "network" {
                                s.networks.contains_key(&r.key)
                            } else {
                                s.volumes.iter().any(|v| {
                                    v.kind == "volume" && v.source.as_deref() == Some(&r.key)
                                })
                            }
                        })
                        .map(|s| s.name.clone())
                        .unwrap_or_default();
                    return Err(ExecError::ExternalMissing {
                        kind,
                        key: r.key.clone(),
                        name: r.name.clone(),
                        service,
                    });
                }
                Err(error) => {
                    return Err(ExecError::Engine {
                        doing: format!("inspect the external {kind} {}", r.name),
                        error,
                    })
                }
            }
        }
    }
    Ok(())
}

/// Images that the plan needs but cannot obtain (missing, and neither pulled nor built by it).
fn unobtainable_image(plan: &Plan, observed: &Observed) -> Option<ExecError> {
    let obtained: Vec<&str> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::PullImage { image, .. } | Action::BuildImage { image, .. } => {
                Some(image.as_str())
            }
            _ => None,
        })
        .collect();
    plan.steps.iter().find_map(|s| match &s.action {
        Action::CreateContainer { service, image, .. }
            if observed.image_id(image).is_none() && !obtained.contains(&image.as_str()) =>
        {
            let reason = plan
                .warnings
                .iter()
                .find(|w| w.contains(image.as_str()) && w.contains(service.as_str()))
                .and_then(|w| w.split(" and ").last())
                .unwrap_or("it is neither pulled nor built")
                .to_string();
            Some(ExecError::ImageMissing {
                service: service.clone(),
                image: image.clone(),
                reason,
            })
        }
        _ => None,
    })
}

/// A failed pull becomes `ImageMissing` (which names the service and image).
fn pull_failure(plan: &Plan, report: &RunReport) -> Option<ExecError> {
    report
        .failed
        .iter()
        .find_map(|f| match plan.steps.get(f.step).map(|s| &s.action) {
            Some(Action::PullImage { service, image }) => Some(ExecError::ImageMissing {
                service: service.clone(),
                image: image.clone(),
                reason: f
                    .error
                    .split_once("cannot be pulled: ")
                    .map(|(_, r)| r.to_string())
                    .unwrap_or_else(|| f.error.clone()),
            }),
            _ => None,
        })
}

#[allow(clippy::too_many_arguments)]
async fn run(
    engine: EngineRef,
    plan: Plan,
    project: Option<Arc<Project>>,
    desired: Option<Arc<Desired>>,
    parallel: usize,
    wait: Option<Duration>,
    dry_run: bool,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    if dry_run {
        for w in &plan.warnings {
            reporter.report(ExecEvent::Warning(w.clone()));
        }
        return Ok(Outcome {
            plan,
            report: RunReport::default(),
            dry_run: true,
        });
    }
    let driver = Arc::new(EngineDriver::new(engine, &plan.project, project, desired));
    let opts = ExecOptions {
        parallel: parallel_of(parallel),
        wait,
    };
    let report = run_plan(&plan, driver, reporter, opts, cancel).await;
    if let Some(e) = pull_failure(&plan, &report) {
        return Err(e);
    }
    let report = report.into_result()?;
    Ok(Outcome {
        plan,
        report,
        dry_run: false,
    })
}

/// The project (when given) and the desired state to plan against: the compose file's, else
/// what the engine's labels say.
fn target(
    project_name: &str,
    project: Option<&Project>,
    observed: &Observed,
) -> Result<(Option<Arc<Project>>, Desired), ExecError> {
    match project {
        Some(p) => {
            let mut p = with_default_network(p);
            if p.name.is_empty() {
                p.name = project_name.to_string();
            }
            let mut desired = desired_of(&p)?;
            desired.project = project_name.to_string();
            Ok((Some(Arc::new(p)), desired))
        }
        None => Ok((None, Desired::from_observed(project_name, observed))),
    }
}

#[allow(clippy::too_many_arguments)]
async fn simple(
    engine: EngineRef,
    project_name: &str,
    project: Option<&Project>,
    intent: Intent,
    parallel: usize,
    wait: Option<Duration>,
    dry_run: bool,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    let _lock = lock_project(
        &engine,
        project_name,
        command_of(&intent),
        dry_run,
        reporter,
        &cancel,
    )
    .await?;
    let observed = observed(&engine, project_name).await?;
    let (project, desired) = target(project_name, project, &observed)?;
    let plan = plan_desired(&desired, &observed, &intent)?;
    run(
        engine,
        plan,
        project,
        Some(Arc::new(desired)),
        parallel,
        wait,
        dry_run,
        reporter,
        cancel,
    )
    .await
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
    let intent = Intent::Up(opts.plan.clone());
    up_intent(engine, project, intent, opts, reporter, cancel).await
}

/// `run SERVICE` (without `--no-deps`), before the one-off is created: `up` of the services it
/// depends on and the wait for each of its `depends_on` conditions, as one plan that the
/// dispatcher runs (`opts.plan.services` is ignored).
pub async fn run_dependencies(
    engine: EngineRef,
    project: &Project,
    service: &str,
    opts: &UpOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<UpOutcome, ExecError> {
    let intent = Intent::Run {
        service: service.to_string(),
        up: opts.plan.clone(),
    };
    up_intent(engine, project, intent, opts, reporter, cancel).await
}

/// `up` or `run`'s dependencies: plan `intent` (an `Up` or a `Run`) and run it.
async fn up_intent(
    engine: EngineRef,
    project: &Project,
    intent: Intent,
    opts: &UpOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<UpOutcome, ExecError> {
    if project.name.is_empty() {
        return Err(ExecError::Plan(plan::PlanError::Invalid(
            "the project has no name; set `name:` or pass -p".into(),
        )));
    }
    let _lock = lock_project(
        &engine,
        &project.name,
        command_of(&intent),
        opts.dry_run,
        reporter,
        &cancel,
    )
    .await?;
    let observed = observed(&engine, &project.name).await?;
    let (project, desired) = target(&project.name, Some(project), &observed)?;
    let plan = plan_desired(&desired, &observed, &intent)?;
    if let Some(e) = unobtainable_image(&plan, &observed) {
        return Err(e);
    }
    check_externals(&engine, project.as_deref(), &desired).await?;
    let wait = if opts.plan.no_start { None } else { opts.wait };
    run(
        engine,
        plan,
        project,
        Some(Arc::new(desired)),
        opts.parallel,
        wait,
        opts.dry_run,
        reporter,
        cancel,
    )
    .await
}

/// `scale SERVICE=N...`: as docker compose v5, `create` then `start` of the named services with
/// their replica counts overridden, which is `up -d --scale` of those services: missing replicas
/// are created and started, surplus ones (highest numbers first) stopped and removed, the
/// others left as they are.
pub async fn scale(
    engine: EngineRef,
    project: &Project,
    opts: &ScaleOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    let up = UpOptions {
        plan: plan::UpOptions {
            services: opts.replicas.keys().cloned().collect(),
            scale: opts.replicas.clone(),
            no_deps: opts.no_deps,
            ..Default::default()
        },
        wait: None,
        dry_run: opts.dry_run,
        parallel: opts.parallel,
    };
    self::up(engine, project, &up, reporter, cancel).await
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
    let intent = Intent::Down(opts.plan.clone());
    simple(
        engine,
        project_name,
        project,
        intent,
        opts.parallel,
        None,
        opts.dry_run,
        reporter,
        cancel,
    )
    .await
}

/// One lifecycle command on existing containers, with what is particular to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lifecycle {
    /// `stop`: stop running containers, dependents first. `timeout` (`-t`): seconds before
    /// SIGKILL (default: the service's `stop_grace_period`, else 10).
    Stop { timeout: Option<u64> },
    /// `start`: start existing containers, dependencies first, honouring conditions; `wait`
    /// bounds the readiness wait.
    Start { wait: Option<Duration> },
    /// `restart`: restart containers (and dependents with `restart: true` unless `no_deps`).
    Restart { timeout: Option<u64>, no_deps: bool },
    /// `kill`: send a signal (default SIGKILL) to running containers.
    Kill {
        signal: Option<String>,
        remove_orphans: bool,
    },
    /// `rm`: remove stopped containers (`stop`: stop running ones first; `volumes`: remove their
    /// anonymous volumes too).
    Rm { stop: bool, volumes: bool },
    /// `pause`: pause running containers.
    Pause,
    /// `unpause`: resume paused containers.
    Unpause,
}

/// The options of every lifecycle command: which one, on which services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleOptions {
    pub command: Lifecycle,
    /// The services named on the command line (empty: all).
    pub services: Vec<String>,
    pub dry_run: bool,
    /// Engine calls in flight at once; 0 = the default.
    pub parallel: usize,
}

impl LifecycleOptions {
    /// What to plan, and the readiness wait after the plan (`start` only).
    fn intent(&self) -> (Intent, Option<Duration>) {
        let services = self.services.clone();
        match self.command.clone() {
            Lifecycle::Stop { timeout } => (Intent::Stop { services, timeout }, None),
            Lifecycle::Start { wait } => (Intent::Start { services }, wait),
            Lifecycle::Restart { timeout, no_deps } => (
                Intent::Restart {
                    services,
                    timeout,
                    no_deps,
                },
                None,
            ),
            Lifecycle::Kill {
                signal,
                remove_orphans,
            } => (
                Intent::Kill {
                    services,
                    signal,
                    remove_orphans,
                },
                None,
            ),
            Lifecycle::Rm { stop, volumes } => (
                Intent::Rm {
                    services,
                    stop,
                    volumes,
                },
                None,
            ),
            Lifecycle::Pause => (Intent::Pause { services }, None),
            Lifecycle::Unpause => (Intent::Unpause { services }, None),
        }
    }
}

/// The lifecycle commands (`stop`, `start`, `restart`, `kill`, `rm`, `pause`, `unpause`): one
/// driver path. Works from the engine's labels alone when `project` is `None`.
pub async fn lifecycle(
    engine: EngineRef,
    project_name: &str,
    project: Option<&Project>,
    opts: &LifecycleOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<Outcome, ExecError> {
    let (intent, wait) = opts.intent();
    simple(
        engine,
        project_name,
        project,
        intent,
        opts.parallel,
        wait,
        opts.dry_run,
        reporter,
        cancel,
    )
    .await
}

/// Each per-command options struct is a [`LifecycleOptions`]; the per-command functions are kept
/// for library users and tests (`ops::stop(...)` is `ops::lifecycle` with `Lifecycle::Stop`).
macro_rules! lifecycle_command {
    ($(#[$doc:meta])* $name:ident, $opts:ty, |$o:ident| $command:expr) => {
        $(#[$doc])*
        pub async fn $name(
            engine: EngineRef,
            project_name: &str,
            project: Option<&Project>,
            $o: &$opts,
            reporter: &mut dyn Reporter,
            cancel: Cancel,
        ) -> Result<Outcome, ExecError> {
            let opts = LifecycleOptions {
                command: $command,
                services: $o.services.clone(),
                dry_run: $o.dry_run,
                parallel: $o.parallel,
            };
            lifecycle(engine, project_name, project, &opts, reporter, cancel).await
        }
    };
}

lifecycle_command!(
    /// `stop`: stop running containers, dependents first.
    stop, StopOptions, |o| Lifecycle::Stop { timeout: o.timeout }
);
lifecycle_command!(
    /// `start`: start existing containers, dependencies first, honouring conditions.
    start, StartOptions, |o| Lifecycle::Start { wait: o.wait }
);
lifecycle_command!(
    /// `restart`: restart containers (and dependents with `restart: true` unless `no_deps`).
    restart, RestartOptions, |o| Lifecycle::Restart {
        timeout: o.timeout,
        no_deps: o.no_deps,
    }
);
lifecycle_command!(
    /// `kill`: send a signal (default SIGKILL) to running containers.
    kill, KillOptions, |o| Lifecycle::Kill {
        signal: o.signal.clone(),
        remove_orphans: o.remove_orphans,
    }
);
lifecycle_command!(
    /// `rm`: remove stopped containers.
    rm, RmOptions, |o| Lifecycle::Rm {
        stop: o.stop,
        volumes: o.volumes,
    }
);
lifecycle_command!(
    /// `pause`: pause running containers.
    pause, PauseOptions, |_o| Lifecycle::Pause
);
lifecycle_command!(
    /// `unpause`: resume paused containers.
    unpause, PauseOptions, |_o| Lifecycle::Unpause
);
