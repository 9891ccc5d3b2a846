//! `exec` (a command in a running service container) and `run` (a one-off container of a
//! service), as docker compose v2 has them: their clap arguments, the `-p` of `run` (publish,
//! not project name), and the flows: find the target / start the dependencies, attach (raw
//! terminal and window size with a TTY, stdin forwarded), and exit with the command's code.
//!
//! Ctrl-C during `run` stops the one-off container (a second press kills it); the exit code is
//! then 130. With a TTY the terminal is raw, so Ctrl-C goes to the process as in docker.
//! Must not import `engine::docker` (the engine comes from `context::connect`).

use std::ffi::OsString;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, Context, Result};
use clap::{ArgAction, Args};
use futures::StreamExt;

use super::args::RuntimeGlobals;
use super::context::{self};
use super::progress::{style_for, ProgressReporter, Style};
use super::tty::{self, Pump, RawMode, ResizeTarget};
use super::{exit, GlobalArgs};
use rcompose::app::oneoff::{self, RunOptions, SLUG};
use rcompose::app::types::engine::{
    Engine, EngineError, EngineEvent, EventAction, EventFilter, ExecSpec, LabelFilter, StopOptions,
};
use rcompose::app::types::load::{ErrorKind, LoadError};
use rcompose::app::types::plan::{self, Verb};
use rcompose::app::{ops, Cancel, ExecError};
use rcompose::app::{project, syntax};
use rcompose::model::labels;
use rcompose::model::{Port, Project, ServiceVolume};

/// `exec`.
#[derive(Debug, Args, Clone, Default)]
pub struct ExecArgs {
    /// Detached mode: run the command in the background.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Set environment variables (repeatable; `KEY` alone takes its value from the environment).
    #[arg(short = 'e', long = "env", value_name = "KEY=VAL")]
    pub env: Vec<String>,
    /// Index of the container if the service has multiple replicas (default: the first).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub index: Option<u32>,
    /// Give extended privileges to the process.
    #[arg(long)]
    pub privileged: bool,
    /// Run the command as this user.
    #[arg(short = 'u', long, value_name = "USER")]
    pub user: Option<String>,
    /// Disable pseudo-TTY allocation (default: a TTY when stdin and stdout are terminals).
    #[arg(short = 'T', long = "no-TTY", alias = "no-tty")]
    pub no_tty: bool,
    /// Path to workdir directory for this command.
    #[arg(short = 'w', long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Keep STDIN open (the default; `--interactive=false` leaves it closed).
    #[arg(short = 'i', long, default_value_t = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", action = ArgAction::Set, hide = true)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY even when the output is not a terminal.
    #[arg(short = 't', long, hide = true)]
    pub tty: bool,
    /// The service whose container runs the command.
    pub service: String,
    /// The command and its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

/// `run`.
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Run the container in the background and print its name.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Remove the container when it exits.
    #[arg(long)]
    pub rm: bool,
    /// Assign a name to the container.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Set environment variables (repeatable; `KEY` alone takes its value from the environment).
    #[arg(short = 'e', long = "env", value_name = "KEY=VAL")]
    pub env: Vec<String>,
    /// Set environment variables from a file (dotenv format; repeatable, later files win,
    /// `-e` wins over them).
    #[arg(long = "env-from-file", value_name = "FILE")]
    pub env_from_file: Vec<std::path::PathBuf>,
    /// Build the image before starting the container.
    #[arg(long)]
    pub build: bool,
    /// Pull the image before running: always, missing, never (default: the service's
    /// `pull_policy`).
    #[arg(long, value_enum, value_name = "POLICY", default_value_t = RunPull::Policy)]
    pub pull: RunPull,
    /// Don't print anything to standard error while the dependencies are started (progress,
    /// pull and build output); the container's own output is shown.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Suppress the build output (the build's start and end are still shown).
    #[arg(long)]
    pub quiet_build: bool,
    /// Pull without printing progress information.
    #[arg(long)]
    pub quiet_pull: bool,
    /// Add or override a label (repeatable).
    #[arg(short = 'l', long = "label", alias = "labels", value_name = "KEY=VAL")]
    pub label: Vec<String>,
    /// Run as this user (name or uid[:gid]).
    #[arg(short = 'u', long, value_name = "USER")]
    pub user: Option<String>,
    /// Working directory inside the container.
    #[arg(short = 'w', long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Override the entrypoint of the image (split like a shell would; "" resets it).
    #[arg(long, value_name = "CMD", allow_hyphen_values = true)]
    pub entrypoint: Option<String>,
    /// Bind mount a volume (repeatable, short syntax `SOURCE:TARGET[:MODE]`).
    #[arg(short = 'v', long = "volume", alias = "volumes", value_name = "VOLUME")]
    pub volume: Vec<String>,
    /// Publish a container's port(s) to the host (`-p` after `run`; repeatable).
    #[arg(long = "publish", value_name = "[IP:][HOST:]CONTAINER")]
    pub publish: Vec<String>,
    /// Run with the service's ports enabled and mapped to the host.
    #[arg(short = 'P', long, conflicts_with = "publish")]
    pub service_ports: bool,
    /// Add a Linux capability (repeatable; `ALL` for all).
    #[arg(long = "cap-add", value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a Linux capability (repeatable; `ALL` for all).
    #[arg(long = "cap-drop", value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Use the service's network aliases in the networks the container joins.
    #[arg(long)]
    pub use_aliases: bool,
    /// Don't start the service's dependencies.
    #[arg(long)]
    pub no_deps: bool,
    /// Remove containers for services not defined in the Compose file (when starting the
    /// dependencies).
    #[arg(long)]
    pub remove_orphans: bool,
    /// Disable pseudo-TTY allocation (default: a TTY when stdin and stdout are terminals).
    #[arg(short = 'T', long = "no-TTY", alias = "no-tty")]
    pub no_tty: bool,
    /// Keep STDIN open (the default; `--interactive=false` leaves it closed).
    #[arg(short = 'i', long, default_value_t = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", action = ArgAction::Set)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY even when the output is not a terminal.
    #[arg(short = 't', long, hide = true)]
    pub tty: bool,
    /// The service to run.
    pub service: String,
    /// The command and its arguments (default: the service's).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

/// `run --pull`: docker compose v5's values (`policy`, the default, follows the service's
/// `pull_policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RunPull {
    #[default]
    Policy,
    Always,
    Missing,
    Never,
}

impl RunPull {
    /// The policy it forces (`None`: the service's own).
    pub fn policy(self) -> Option<plan::PullPolicy> {
        match self {
            RunPull::Policy => None,
            RunPull::Always => Some(plan::PullPolicy::Always),
            RunPull::Missing => Some(plan::PullPolicy::Missing),
            RunPull::Never => Some(plan::PullPolicy::Never),
        }
    }
}

/// Options of `run` that take a value (to find where its SERVICE begins); the global ones may
/// stand there too (`super::GLOBAL_WITH_VALUE`).
const RUN_WITH_VALUE: [&str; 19] = [
    "-e",
    "--env",
    "--env-from-file",
    "--pull",
    "-l",
    "--label",
    "--labels",
    "--name",
    "-u",
    "--user",
    "-w",
    "--workdir",
    "--entrypoint",
    "-v",
    "--volume",
    "--volumes",
    "--publish",
    "--cap-add",
    "--cap-drop",
];

/// In `rcompose run ... SERVICE`, a `-p` between `run` and the service is `--publish` (as in
/// docker compose, where `run` shadows the global `-p`); before the command it stays the project
/// name. Everything from the service on is left alone (it is the command to run).
pub fn rewrite_args(args: Vec<OsString>) -> Vec<OsString> {
    let text = |a: &OsString| a.to_str().map(str::to_string).unwrap_or_default();
    let Some(at) = super::command_index(&args) else {
        return args;
    };
    if text(&args[at]) != "run" {
        return args;
    }
    let mut out: Vec<OsString> = args[..=at].to_vec();
    let mut j = at + 1;
    while j < args.len() {
        let a = text(&args[j]);
        if a == "--" || !a.starts_with('-') || a == "-" {
            break;
        }
        if a == "-p" {
            out.push("--publish".into());
            if let Some(v) = args.get(j + 1) {
                out.push(v.clone());
            }
            j += 2;
            continue;
        }
        if let Some(v) = a.strip_prefix("-p").filter(|_| !a.starts_with("--")) {
            out.push(format!("--publish={}", v.trim_start_matches('=')).into());
            j += 1;
            continue;
        }
        out.push(args[j].clone());
        if RUN_WITH_VALUE.contains(&a.as_str()) || super::GLOBAL_WITH_VALUE.contains(&a.as_str()) {
            if let Some(v) = args.get(j + 1) {
                out.push(v.clone());
            }
            j += 2;
        } else {
            j += 1;
        }
    }
    out.extend(args[j.min(args.len())..].iter().cloned());
    out
}

fn usage(message: impl Into<String>) -> anyhow::Error {
    LoadError::new(ErrorKind::Usage, message).into()
}

impl RunArgs {
    /// The overrides these flags ask for; bad values are usage errors naming the flag.
    pub fn run_options(&self, tty: bool) -> Result<RunOptions> {
        let mut labels = Vec::new();
        for l in &self.label {
            let (k, v) = l
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| usage(format!("invalid --label {l:?}: expected KEY=VALUE")))?;
            labels.push((k.to_string(), v.to_string()));
        }
        for e in &self.env {
            if e.is_empty() || e.starts_with('=') {
                return Err(usage(format!(
                    "invalid --env {e:?}: expected KEY=VALUE or KEY"
                )));
            }
        }
        let entrypoint = match &self.entrypoint {
            None => None,
            Some(ep) => Some(
                shell_words::split(ep)
                    .map_err(|e| usage(format!("invalid --entrypoint {ep:?}: {e}")))?,
            ),
        };
        let mut publish: Vec<Port> = Vec::new();
        for p in &self.publish {
            publish.extend(
                syntax::ports(p).map_err(|e| usage(format!("invalid --publish {p:?}: {e}")))?,
            );
        }
        let mut volumes: Vec<ServiceVolume> = Vec::new();
        for v in &self.volume {
            let mut vol: ServiceVolume =
                syntax::volume(v).map_err(|e| usage(format!("invalid --volume {v:?}: {e}")))?;
            if vol.kind == "bind" {
                // Relative to where the command runs, as a shell user means it.
                if let Some(src) = vol.source.as_deref().filter(|s| s.starts_with('.')) {
                    let cwd = std::env::current_dir().unwrap_or_default();
                    vol.source = Some(
                        rcompose::model::path::clean(&cwd.join(src))
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
            volumes.push(vol);
        }
        // `--env-from-file` first: `-e` wins over the files, as in docker compose v5.
        let mut env = oneoff::env_from_files(&self.env_from_file, &self.env)?;
        env.extend(self.env.iter().cloned());
        Ok(RunOptions {
            name: self.name.clone(),
            command: self.command.clone(),
            entrypoint,
            env,
            labels,
            user: self.user.clone(),
            workdir: self.workdir.clone(),
            volumes,
            publish,
            service_ports: self.service_ports,
            cap_add: self.cap_add.clone(),
            cap_drop: self.cap_drop.clone(),
            use_aliases: self.use_aliases,
            tty,
            interactive: self.interactive,
            remove: self.rm,
            build: self.build,
            pull: self.pull.policy(),
        })
    }
}

/// Loads the project; warnings go to standard error.
fn load(global: &GlobalArgs, service: &str) -> Result<Project> {
    let loaded = project::load(&context::project_options(global, &[service.to_string()])?)?;
    for w in &loaded.warnings.0 {
        eprintln!("WARN: {w}");
    }
    Ok(loaded.project)
}

/// The project for `exec`, which also works from the engine's labels: the compose file's
/// project, else (no file found, `-p` given) the name alone.
fn load_optional(global: &GlobalArgs, service: &str) -> Result<(String, Option<Project>)> {
    super::runtime::load_optional(global, &[service.to_string()])
}

/// `-e KEY` takes its value from the project's environment (the shell and `.env`), else the
/// process's; unset ones are left out.
fn exec_env(env: &[String], project: Option<&Project>) -> Vec<String> {
    env.iter()
        .filter_map(|e| {
            if e.contains('=') {
                return Some(e.clone());
            }
            project
                .and_then(|p| p.environment.get(e.as_str()).cloned())
                .or_else(|| std::env::var(e).ok())
                .map(|v| format!("{e}={v}"))
        })
        .collect()
}

fn code32(code: i64) -> i32 {
    match i32::try_from(code) {
        Ok(c) if c >= 0 => c,
        _ => exit::FAILURE,
    }
}

/// `exec SERVICE COMMAND...`: the exit code is the command's.
pub async fn exec(global: &GlobalArgs, rt: &RuntimeGlobals, args: ExecArgs) -> Result<i32> {
    if rt.dry_run {
        return Err(usage(
            "exec does not support --dry-run: it would have to run the command",
        ));
    }
    let (project_name, project) = load_optional(global, &args.service)?;
    let engine = context::connect().await?;
    let filter = LabelFilter::project(&project_name).with(labels::SERVICE, &args.service);
    let containers = engine
        .list_containers(&filter)
        .await
        .with_context(|| format!("cannot list the containers of service {}", args.service))?;
    let target =
        oneoff::exec_target(&containers, &args.service, args.index).map_err(|m| anyhow!(m))?;
    let interactive = args.interactive && !args.detach;
    let tty = tty::want_tty(args.no_tty, args.tty, interactive).map_err(|m| anyhow!(m))?;
    let spec = ExecSpec {
        cmd: args.command.clone(),
        env: exec_env(&args.env, project.as_ref()),
        user: args.user.clone().filter(|u| !u.is_empty()),
        working_dir: args.workdir.clone().filter(|w| !w.is_empty()),
        privileged: args.privileged,
        tty,
    };
    let container = target.name().to_string();
    let exec_id = engine
        .create_exec(&target.id, &spec, interactive)
        .await
        .with_context(|| format!("service {}: cannot exec in {container}", args.service))?;
    if args.detach {
        engine
            .start_exec_detached(&exec_id)
            .await
            .with_context(|| {
                format!(
                    "service {}: cannot start the command in {container}",
                    args.service
                )
            })?;
        return Ok(exit::OK);
    }
    let io = engine
        .start_exec_attached(&exec_id, tty)
        .await
        .with_context(|| {
            format!(
                "service {}: cannot start the command in {container}",
                args.service
            )
        })?;
    {
        let _raw = if tty { RawMode::enable() } else { None };
        let how = Pump {
            keep_stdin_open: false,
            tty,
            stdin: interactive,
            resize: Some(ResizeTarget::Exec(exec_id.clone())),
        };
        tty::pump(Arc::clone(&engine), io, how)
            .await
            .with_context(|| format!("lost the connection to the command in {container}"))?;
    }
    // The output has ended; the engine records the exit code a moment later.
    for _ in 0..100 {
        let status = engine
            .inspect_exec(&exec_id)
            .await
            .with_context(|| format!("cannot read the exit code of the command in {container}"))?;
        if !status.running {
            return Ok(status.exit_code.map(code32).unwrap_or(exit::FAILURE));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(anyhow!(
        "the command in {container} closed its output but still runs; its exit code is unknown"
    ))
}

/// Counts Ctrl-C presses (the process's one source, `context::presses`).
fn presses() -> tokio::sync::watch::Receiver<u32> {
    super::context::presses()
}

/// Starts the service's dependencies (honouring their own dependencies) and waits for the
/// conditions the service puts on them: one plan (`Intent::Run`) that the dispatcher runs.
async fn start_dependencies(
    engine: &Arc<dyn Engine>,
    project: &Project,
    service: &str,
    args: &RunArgs,
    rt: &RuntimeGlobals,
    ctrl_c: &mut tokio::sync::watch::Receiver<u32>,
) -> Result<Option<i32>> {
    let Some(svc) = project.services.get(service) else {
        return Ok(None);
    };
    if !svc
        .depends_on
        .keys()
        .any(|d| project.services.contains_key(d))
    {
        return Ok(None);
    }
    let style = if args.quiet {
        Style::Quiet
    } else {
        style_for(rt.progress, rt.ansi)
    };
    let mut reporter = ProgressReporter::new(style)
        .hide_output_of(Verb::Pull, args.quiet_pull)
        .hide_output_of(Verb::Build, args.quiet_build);
    let cancel = Cancel::new();
    let opts = ops::UpOptions {
        plan: plan::UpOptions {
            remove_orphans: args.remove_orphans,
            build: if args.build {
                plan::BuildPolicy::Always
            } else {
                plan::BuildPolicy::IfMissing
            },
            pull: args.pull.policy().unwrap_or_default(),
            ..Default::default()
        },
        wait: None,
        dry_run: false,
        parallel: rt.parallel_limit(std::env::var("COMPOSE_PARALLEL_LIMIT").ok().as_deref()),
    };
    let r = {
        let up = ops::run_dependencies(
            Arc::clone(engine),
            project,
            service,
            &opts,
            &mut reporter,
            cancel.clone(),
        );
        tokio::pin!(up);
        loop {
            tokio::select! {
                r = &mut up => break r,
                Ok(()) = ctrl_c.changed() => {
                    if *ctrl_c.borrow() >= 2 { cancel.force() } else { cancel.request(); }
                }
            }
        }
    };
    reporter.finish();
    match r {
        Ok(_) => {}
        Err(ExecError::Cancelled) => return Ok(Some(exit::INTERRUPTED)),
        Err(e) => return Err(e.into()),
    }
    Ok(None)
}

/// Stops (first press) or kills (later presses) the one-off container.
fn interrupt(engine: &Arc<dyn Engine>, id: &str, press: u32) {
    let engine = Arc::clone(engine);
    let id = id.to_string();
    tokio::spawn(async move {
        if press <= 1 {
            let _ = engine.stop_container(&id, &StopOptions::default()).await;
        } else {
            let _ = engine.kill_container(&id, None).await;
        }
    });
}

/// `run SERVICE [COMMAND...]`: the exit code is the container's.
pub async fn run(global: &GlobalArgs, rt: &RuntimeGlobals, args: RunArgs) -> Result<i32> {
    if rt.dry_run {
        return Err(usage(
            "run does not support --dry-run: it would have to start a container",
        ));
    }
    let interactive = args.interactive && !args.detach;
    let tty = tty::want_tty(args.no_tty, args.tty, interactive).map_err(|m| anyhow!(m))?;
    let options = args.run_options(tty)?;
    let loaded = load(global, &args.service)?;
    let (project, desired) = oneoff::prepared(&loaded)?;
    let service = project
        .services
        .get(&args.service)
        .cloned()
        .ok_or_else(|| usage(format!("no such service: {}", args.service)))?;
    let engine = context::connect().await?;
    let mut ctrl_c = presses();

    if !args.no_deps {
        if let Some(code) =
            start_dependencies(&engine, &loaded, &args.service, &args, rt, &mut ctrl_c).await?
        {
            return Ok(code);
        }
    }

    let seen_press = ctrl_c.clone();
    let created = oneoff::create_for_run(
        &engine,
        &project,
        &desired,
        &service,
        &options,
        args.name.clone(),
        &|line: String| eprintln!("{line}"),
        &|| *seen_press.borrow() > 0,
    )
    .await
    .map_err(|m| anyhow!(m))?;
    let Some(oneoff::Created { id, name, slug }) = created else {
        return Ok(exit::INTERRUPTED);
    };

    if args.detach {
        if let Err(e) = engine.start_container(&id).await {
            if args.rm {
                let _ = oneoff::remove(&engine, &id).await;
            }
            eprintln!("error: service {}: cannot start {name}: {e}", service.name);
            return Ok(oneoff::start_failure_code(&e));
        }
        println!("{name}");
        return Ok(exit::OK);
    }

    // Subscribe before starting: the `die` event carries the exit code even when the engine
    // removes the container (--rm) right after.
    let events = engine.events(&EventFilter {
        labels: LabelFilter::project(&project.name).with(SLUG, &slug),
        kinds: vec!["container".to_string()],
        ..Default::default()
    });
    let io = match engine.attach_container(&id, interactive).await {
        Ok(io) => io,
        Err(e) => {
            let _ = oneoff::remove(&engine, &id).await;
            return Err(anyhow!(
                "service {}: cannot attach to {name}: {e}",
                service.name
            ));
        }
    };
    if let Err(e) = engine.start_container(&id).await {
        if args.rm {
            let _ = oneoff::remove(&engine, &id).await;
        }
        eprintln!("error: service {}: cannot start {name}: {e}", service.name);
        return Ok(oneoff::start_failure_code(&e));
    }
    let raw = if tty { RawMode::enable() } else { None };
    let how = Pump {
        keep_stdin_open: false,
        tty,
        stdin: interactive,
        resize: Some(ResizeTarget::Container(id.clone())),
    };
    let pump = tty::pump(Arc::clone(&engine), io, how);
    let ended = follow(&engine, &id, &name, args.rm, pump, events, &mut ctrl_c).await;
    drop(raw);
    let mut exit_code = ended.exit_code;
    if exit_code.is_none() {
        // The event stream failed or lagged: ask the container (if the engine still has it).
        exit_code = engine
            .inspect_container(&id)
            .await
            .ok()
            .filter(|d| !d.state.running)
            .map(|d| d.state.exit_code);
    }
    if args.rm && !ended.destroyed {
        if let Err(e) = oneoff::remove(&engine, &id).await {
            eprintln!("warning: cannot remove {name}: {e}");
        }
    }
    if ended.interrupted {
        return Ok(exit::INTERRUPTED);
    }
    if let Some(e) = ended.pump_error {
        if exit_code.is_none() {
            return Err(anyhow!("lost the connection to {name}: {e}"));
        }
    }
    match exit_code {
        Some(c) => Ok(code32(c)),
        None => Err(anyhow!(
            "{name} closed its output but its exit code is unknown; see `docker inspect {name}`"
        )),
    }
}

/// How an attached one-off ended, as [`follow`] saw it.
#[derive(Debug, Default)]
struct Ended {
    exit_code: Option<i64>,
    /// The engine removed it (`--rm`).
    destroyed: bool,
    /// Ctrl-C was pressed (the container was stopped, or killed on a second press).
    interrupted: bool,
    pump_error: Option<EngineError>,
}

/// Follows the started one-off `id` until its output is pumped and it has exited (and, with
/// `rm`, been removed), or its events end; Ctrl-C stops it (a second press kills it).
async fn follow(
    engine: &Arc<dyn Engine>,
    id: &str,
    name: &str,
    rm: bool,
    pump: impl std::future::Future<Output = Result<(), EngineError>>,
    mut events: impl futures::Stream<Item = Result<EngineEvent, EngineError>> + Unpin,
    ctrl_c: &mut tokio::sync::watch::Receiver<u32>,
) -> Ended {
    tokio::pin!(pump);
    let mut ended = Ended::default();
    let mut pumped = false;
    let mut events_open = true;
    let mut seen = *ctrl_c.borrow();
    let mut drain_until: Option<tokio::time::Instant> = None;
    loop {
        let done = pumped && ended.exit_code.is_some() && (!rm || ended.destroyed);
        if done || (!events_open && pumped) {
            break;
        }
        let deadline =
            drain_until.unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(86400));
        tokio::select! {
            r = &mut pump, if !pumped => {
                pumped = true;
                if let Err(e) = r {
                    ended.pump_error = Some(e);
                }
                // A process may close its output and go on running: wait for its exit.
            }
            ev = events.next(), if events_open => match ev {
                Some(Ok(e)) => match e.action {
                    EventAction::Die => {
                        ended.exit_code = Some(e.exit_code.unwrap_or(-1));
                        // Give the rest of its output (and --rm's removal) a moment.
                        drain_until.get_or_insert(tokio::time::Instant::now() + Duration::from_secs(10));
                    }
                    EventAction::Destroy => ended.destroyed = true,
                    _ => {}
                },
                _ => events_open = false,
            },
            Ok(()) = ctrl_c.changed() => {
                let n = *ctrl_c.borrow();
                if n > seen {
                    seen = n;
                    ended.interrupted = true;
                    if n == 1 {
                        eprintln!("Stopping {name}... (press Ctrl+C again to force)");
                    }
                    interrupt(engine, id, n);
                }
            }
            _ = tokio::time::sleep_until(deadline) => break,
        }
    }
    ended
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw(args: &[&str]) -> Vec<String> {
        rewrite_args(args.iter().map(Into::into).collect())
            .into_iter()
            .map(|a| a.into_string().unwrap_or_default())
            .collect()
    }

    #[test]
    fn run_p_is_publish_but_global_p_is_the_project() {
        assert_eq!(
            rw(&[
                "rcompose",
                "-p",
                "proj",
                "run",
                "-p",
                "8080:80",
                "-p8081:81",
                "web",
                "ls",
                "-p"
            ]),
            [
                "rcompose",
                "-p",
                "proj",
                "run",
                "--publish",
                "8080:80",
                "--publish=8081:81",
                "web",
                "ls",
                "-p"
            ]
        );
        assert_eq!(
            rw(&["rcompose", "run", "-e", "-p", "--rm", "web"]),
            ["rcompose", "run", "-e", "-p", "--rm", "web"],
            "a -p that is the value of -e stays"
        );
        let up = ["rcompose", "up", "-p", "x"];
        assert_eq!(rw(&up), up);
    }
}
