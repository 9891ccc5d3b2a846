//! The runtime commands (`up`, `down`, `create`, `start`, `stop`, `restart`, `kill`, `rm`,
//! `pause`, `unpause`, and the read-only ones in `read`): load the project, connect to the
//! engine, call `app::ops`, render progress, and map the outcome to an exit code (0 ok,
//! 1 failure, bad usage or bad compose file as in docker compose v5, 130 interrupted).
//!
//! Attached `up` streams the containers' logs with `web-1 | ` prefixes; the first Ctrl-C stops
//! the project gracefully, the second kills; the exit code is then 130.
//! Must not import `engine::docker` directly (the engine comes from `context::connect`).

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::sync::Arc;

use anyhow::{bail, Result};
use tokio::sync::watch;

use super::args::{CreateArgs, DownArgs, RuntimeGlobals, ScaleArgs, UpArgs, WatchArgs};
use super::context::{self, Unreachable};
use super::logs::Formatter;
use super::progress::{style_for, ProgressReporter, Style};
use super::read;
use super::{exit, Command, GlobalArgs};
use rcompose::app::monitor::{self, MonitorEnd, MonitorEvent, MonitorOptions, Monitored};
use rcompose::app::ops;
use rcompose::app::project::{self, Need};
use rcompose::app::types::engine::{Engine, LogOptions};
use rcompose::app::types::load::{ErrorKind, LoadError, Loaded};
use rcompose::app::types::plan::{self, PlanError, Verb};
use rcompose::app::{Cancel, ExecError};
use rcompose::model::Project;

/// Runs a runtime command on a fresh tokio runtime.
pub fn dispatch(global: &GlobalArgs, rt: &RuntimeGlobals, cmd: Command) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cmd {
            Command::Up(a) => up(global, rt, a).await,
            Command::Create(a) => create(global, rt, a).await,
            Command::Down(a) => down(global, rt, a).await,
            Command::Start(a) => {
                let wait = super::args::wait_duration(a.wait, a.wait_timeout);
                let command = ops::Lifecycle::Start { wait };
                lifecycle(global, rt, a.services, command, false).await
            }
            Command::Stop(a) => {
                let command = ops::Lifecycle::Stop { timeout: a.timeout };
                lifecycle(global, rt, a.services, command, false).await
            }
            Command::Restart(a) => {
                let command = ops::Lifecycle::Restart {
                    timeout: a.timeout,
                    no_deps: a.no_deps,
                };
                lifecycle(global, rt, a.services, command, false).await
            }
            Command::Kill(a) => {
                let command = ops::Lifecycle::Kill {
                    signal: Some(a.signal),
                    remove_orphans: a.remove_orphans,
                };
                lifecycle(global, rt, a.services, command, false).await
            }
            Command::Rm(a) => {
                let command = ops::Lifecycle::Rm {
                    stop: a.stop,
                    volumes: a.volumes,
                };
                lifecycle(global, rt, a.services, command, !a.force).await
            }
            Command::Pause(a) => {
                lifecycle(global, rt, a.services, ops::Lifecycle::Pause, false).await
            }
            Command::Unpause(a) => {
                lifecycle(global, rt, a.services, ops::Lifecycle::Unpause, false).await
            }
            Command::Ps(a) => read::ps(global, a).await,
            Command::Ls(a) => read::ls(a).await,
            Command::Port(a) => read::port(global, a).await,
            Command::Logs(a) => read::logs(global, a, rt.ansi).await,
            Command::Watch(a) => watch_files(global, rt, a).await,
            Command::Build(a) => super::images::build(global, rt, a).await,
            Command::Pull(a) => super::images::pull(global, rt, a).await,
            Command::Push(a) => super::images::push(global, rt, a).await,
            Command::Images(a) => super::images::images(global, a).await,
            Command::Volumes(a) => super::volumes::volumes(global, a).await,
            Command::Scale(a) => scale(global, rt, a).await,
            Command::Export(a) => super::snapshot::export(global, rt, a).await,
            Command::Commit(a) => super::snapshot::commit(global, rt, a).await,
            Command::Stats(a) => super::stats::stats(global, a).await,
            Command::Attach(a) => super::attach::attach(global, a).await,
            Command::Config(_)
            | Command::Publish(_)
            | Command::Convert(_)
            | Command::Stack(_)
            | Command::Version(_)
            | Command::Plugin(_)
            | Command::Completion(_)
            | Command::Man => Ok(exit::OK),
            Command::Top(a) => super::inspect::top(global, a).await,
            Command::Events(a) => super::inspect::events(global, a).await,
            Command::Cp(a) => super::cp::cp(global, rt, a).await,
            Command::Wait(a) => super::inspect::wait(global, rt, a).await,
            Command::Exec(a) => super::oneoff::exec(global, rt, a).await,
            Command::Run(a) => super::oneoff::run(global, rt, a).await,
            Command::Test(a) => super::stacktest::test(global, a).await,
            Command::Endpoints(a) => super::stacktest::endpoints(global, a).await,
            Command::Reap(a) => super::stacktest::reap(rt, a).await,
        }
    })
}

/// The exit code (after printing the error) for errors that are not plain failures:
/// interrupted runs (130), plan errors such as cycles or unknown services (1, like every failure in docker compose v5), an unreachable
/// engine (1, one line). `None`: the generic report applies.
pub fn exit_code(e: &anyhow::Error) -> Option<i32> {
    if let Some(x) = e.downcast_ref::<ExecError>() {
        return match x {
            ExecError::Cancelled => {
                eprintln!("interrupted");
                Some(exit::INTERRUPTED)
            }
            ExecError::Plan(p) => {
                eprintln!("error: {p}");
                Some(plan_exit(p))
            }
            _ => None,
        };
    }
    if let Some(p) = e.downcast_ref::<PlanError>() {
        eprintln!("error: {p}");
        return Some(plan_exit(p));
    }
    if let Some(u) = e.downcast_ref::<Unreachable>() {
        eprintln!("error: {u}");
        return Some(exit::FAILURE);
    }
    None
}

fn plan_exit(p: &PlanError) -> i32 {
    match p {
        PlanError::NothingToStart { .. } => exit::FAILURE,
        _ => exit::USAGE,
    }
}

/// Counts Ctrl-C presses for the rest of the process.
#[derive(Clone)]
pub(super) struct Interrupts {
    rx: watch::Receiver<u32>,
}

impl Interrupts {
    fn install() -> Interrupts {
        Interrupts {
            rx: context::presses(),
        }
    }

    pub(super) fn count(&self) -> u32 {
        *self.rx.borrow()
    }

    /// Press `first` asks `cancel` for a graceful stop, any later press forces it.
    pub(super) fn drive(&self, cancel: Cancel, first: u32) {
        let mut rx = self.rx.clone();
        tokio::spawn(async move {
            loop {
                let n = *rx.borrow_and_update();
                if n > first {
                    cancel.force();
                    return;
                }
                if n == first && !cancel.is_cancelled() {
                    cancel.request();
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        });
    }

    /// Press `at` (or any later one) forces `cancel`: stops become kills.
    fn force_at(&self, cancel: Cancel, at: u32) {
        let mut rx = self.rx.clone();
        tokio::spawn(async move {
            loop {
                if *rx.borrow_and_update() >= at {
                    cancel.force();
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        });
    }

    /// Resolves at the next press.
    pub(super) async fn next(&mut self) {
        if self.rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// Loads the project named by the global flags; loader warnings go to standard error.
pub(super) fn load(global: &GlobalArgs, services: &[String]) -> Result<Loaded> {
    let loaded = project::load(&context::project_options(global, services)?)?;
    for w in &loaded.warnings.0 {
        eprintln!("WARN: {w}");
    }
    Ok(loaded)
}

/// `app::project::resolve` with the global flags; loader warnings go to standard error.
fn resolve(
    global: &GlobalArgs,
    services: &[String],
    need: Need,
) -> Result<(String, Option<Project>)> {
    let r = project::resolve(&context::project_options(global, services)?, need)?;
    for w in &r.warnings {
        eprintln!("WARN: {w}");
    }
    Ok((r.name, r.project))
}

/// The project for commands that also work from labels alone: the compose file's project when
/// there is one, else (no file found, and `-p` / `COMPOSE_PROJECT_NAME` given) the name only.
pub(super) fn load_optional(
    global: &GlobalArgs,
    services: &[String],
) -> Result<(String, Option<Project>)> {
    resolve(global, services, Need::ProjectOrName)
}

/// [`load_optional`] for commands that only act on the project's containers: `-p` without `-f`
/// reads no compose file at all (the name is enough).
pub(super) fn project_or_name(
    global: &GlobalArgs,
    services: &[String],
) -> Result<(String, Option<Project>)> {
    resolve(global, services, Need::NameFirst)
}

pub(super) struct Session {
    pub(super) engine: Arc<dyn Engine>,
    pub(super) reporter: ProgressReporter,
    pub(super) interrupts: Interrupts,
    pub(super) parallel: usize,
    pub(super) dry_run: bool,
}

pub(super) async fn session(rt: &RuntimeGlobals) -> Result<Session> {
    let engine = context::connect().await?;
    Ok(Session {
        engine,
        reporter: ProgressReporter::new(style_for(rt.progress, rt.ansi)),
        interrupts: Interrupts::install(),
        parallel: rt.parallel_limit(std::env::var("COMPOSE_PARALLEL_LIMIT").ok().as_deref()),
        dry_run: rt.dry_run,
    })
}

impl Session {
    /// A cancel handle driven by Ctrl-C (first press graceful, second forced).
    pub(super) fn cancel(&self) -> Cancel {
        let c = Cancel::new();
        self.interrupts.drive(c.clone(), 1);
        c
    }

    /// The exit code of a finished command.
    fn finish(&mut self, r: Result<ops::Outcome, ExecError>) -> Result<i32> {
        self.reporter.finish();
        let outcome = r?;
        if outcome.dry_run {
            print_stdout(&outcome.rendered());
        }
        if self.interrupts.count() > 0 {
            return Ok(exit::INTERRUPTED);
        }
        Ok(exit::OK)
    }
}

pub(super) fn print_stdout(s: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(s.as_bytes());
    let _ = out.flush();
}

async fn up(global: &GlobalArgs, rt: &RuntimeGlobals, args: UpArgs) -> Result<i32> {
    let loaded = load(global, &args.services)?;
    // `up --watch`: the flags and the watch rules are checked before anything starts.
    let watching = super::upwatch::prepare(&loaded, &args)?;
    let project = loaded.project.clone();
    if let Some(s) = &args.exit_code_from {
        if !project.services.contains_key(s) {
            bail!(LoadError::new(
                ErrorKind::Usage,
                format!("--exit-code-from: no such service: {s}")
            ));
        }
    }
    let mut s = session(rt).await?;
    s.reporter = s
        .reporter
        .hide_output_of(Verb::Pull, args.create.quiet_pull)
        .hide_output_of(Verb::Build, args.quiet_build);
    let menu = args.menu.or_else(|| {
        std::env::var("COMPOSE_MENU")
            .ok()
            .and_then(|v| super::args::parse_bool(&v))
    });
    if menu == Some(true) && args.attached() {
        s.reporter
            .note("rcompose has no interactive shortcuts menu (--menu, COMPOSE_MENU): ignored");
    }
    let wait = super::args::wait_duration(args.wait, args.wait_timeout);
    let opts = ops::UpOptions {
        plan: args.up_options(),
        wait,
        dry_run: s.dry_run,
        parallel: s.parallel,
    };
    let cancel = s.cancel();
    let r = ops::up(
        Arc::clone(&s.engine),
        &project,
        &opts,
        &mut s.reporter,
        cancel,
    )
    .await;
    if args.attached() && !s.dry_run && s.interrupts.count() > 0 {
        // Ctrl-C while the stack was still coming up: an attached `up` stops what it started,
        // whichever phase the press landed in.
        if matches!(r, Ok(_) | Err(ExecError::Cancelled)) {
            s.reporter.finish();
            return teardown(&mut s, &project, &args, true, exit::INTERRUPTED).await;
        }
    }
    let code = s.finish(r)?;
    if code != exit::OK || s.dry_run || !args.attached() {
        return Ok(code);
    }
    if let Some(triggers) = watching {
        let reload = super::upwatch::reload(global, &loaded, &args.services, opts);
        return super::upwatch::attach_watching(&mut s, &project, &args, rt, &triggers, reload)
            .await;
    }
    attach(&mut s, &project, &args, rt).await
}

/// `watch`: `up` (unless `--no-up`), then sync, restart or rebuild services as their watched
/// files change, until Ctrl-C (exit 130).
async fn watch_files(global: &GlobalArgs, rt: &RuntimeGlobals, args: WatchArgs) -> Result<i32> {
    let loaded = load(global, &args.services)?;
    let project = loaded.project.clone();
    let main_file = loaded.files.first().cloned().unwrap_or_default();
    let triggers = rcompose::app::watch::triggers(&project, &args.services)
        .map_err(|e| LoadError::new(ErrorKind::Semantic, e.to_string()).in_file(&main_file))?;
    if triggers.is_empty() {
        bail!(LoadError::new(
            ErrorKind::Usage,
            "none of the selected services is configured for watch"
        )
        .hint("add a `develop: {watch: [...]}` section to a service"));
    }
    let mut s = session(rt).await?;
    if args.quiet {
        s.reporter = ProgressReporter::new(Style::Quiet);
    }
    let opts = ops::UpOptions {
        plan: plan::UpOptions {
            services: args.services.clone(),
            ..Default::default()
        },
        wait: None,
        dry_run: false,
        parallel: s.parallel,
    };
    if !args.no_up {
        let cancel = s.cancel();
        let r = ops::up(
            Arc::clone(&s.engine),
            &project,
            &opts,
            &mut s.reporter,
            cancel,
        )
        .await;
        let code = s.finish(r)?;
        if code != exit::OK {
            return Ok(code);
        }
    }
    let cancel = s.cancel();
    let mut say = |line: &str| print_stdout(&format!("{line}\n"));
    let reload = super::upwatch::reload(global, &loaded, &args.services, opts);
    rcompose::app::watch::watch(
        Arc::clone(&s.engine),
        &project,
        &triggers,
        reload,
        args.prune,
        &mut s.reporter,
        &mut say,
        cancel,
    )
    .await?;
    s.reporter.finish();
    if s.interrupts.count() > 0 {
        return Ok(exit::INTERRUPTED);
    }
    Ok(exit::OK)
}

/// The services whose output attached `up` shows.
pub(super) fn attached_services(project: &Project, args: &UpArgs) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = if !args.attach.is_empty() {
        args.attach.iter().cloned().collect()
    } else if !args.services.is_empty() {
        let mut set: BTreeSet<String> = args.services.iter().cloned().collect();
        if args.attach_dependencies {
            let mut todo: Vec<String> = set.iter().cloned().collect();
            while let Some(name) = todo.pop() {
                if let Some(svc) = project.services.get(&name) {
                    for d in svc.dependencies() {
                        if set.insert(d.to_string()) {
                            todo.push(d.to_string());
                        }
                    }
                }
            }
        }
        set
    } else {
        project.services.keys().cloned().collect()
    };
    for n in &args.no_attach {
        set.remove(n);
    }
    set
}

/// Attached `up`: stream logs until every attached container has exited, a container exits
/// with `--abort-on-container-exit`, or Ctrl-C; then stop the project.
async fn attach(
    s: &mut Session,
    project: &Project,
    args: &UpArgs,
    rt: &RuntimeGlobals,
) -> Result<i32> {
    let m = attached(s, project, args, rt, None).await?;
    let code = m.exit_code.unwrap_or(exit::OK);
    match m.end {
        // Every attached container exited on its own: nothing left to stop.
        MonitorEnd::AllExited => Ok(code),
        MonitorEnd::Aborted => teardown(s, project, args, false, code).await,
        MonitorEnd::Interrupted => teardown(s, project, args, true, code).await,
    }
}

/// The monitor options of an attached `up`.
pub(super) fn monitor_options(project: &Project, args: &UpArgs) -> MonitorOptions {
    MonitorOptions {
        attached: Some(attached_services(project, args)),
        index: None,
        log: LogOptions {
            timestamps: args.timestamps,
            ..Default::default()
        },
        // A container recreated or scaled up meanwhile is followed from its start; `--watch`
        // goes on when all have exited, since a change may bring them back.
        follow_starts: true,
        wait_for_stopped: false,
        end_when_all_exited: !args.watch,
        exit_code_from: args.exit_code_from.clone(),
        abort_on_exit: args.abort_on_container_exit,
        abort_on_failure: args.abort_on_container_failure,
    }
}

/// Runs the attached phase (`app::monitor`) with `side` (the watcher of `up --watch`) beside
/// it: log lines on standard output with `web-1 | ` prefixes, notes on the progress display.
pub(super) async fn attached(
    s: &mut Session,
    project: &Project,
    args: &UpArgs,
    rt: &RuntimeGlobals,
    side: Option<std::pin::Pin<&mut (dyn std::future::Future<Output = Option<String>> + '_)>>,
) -> Result<Monitored> {
    if s.interrupts.count() > 0 {
        return Ok(Monitored {
            end: MonitorEnd::Interrupted,
            exit_code: None,
            side_finished: false,
        });
    }
    let colors = read::log_colors(args.no_color, rt.ansi);
    let prefixes = !args.no_log_prefix;
    let mut fmt = Formatter::new(&[], colors, prefixes);
    let reporter = &mut s.reporter;
    let mut render = |ev: MonitorEvent| match ev {
        MonitorEvent::Shown { targets, first } => {
            fmt = Formatter::new(&targets, colors, prefixes);
            if first {
                let names: Vec<&str> = targets.iter().map(|t| t.label.as_str()).collect();
                reporter.note(&format!("Attaching to {}", names.join(", ")));
            }
        }
        MonitorEvent::Line { display, text } => {
            print_stdout(&format!("{}\n", fmt.line(display, &text)));
        }
        MonitorEvent::Exited { display, code } => {
            print_stdout(&format!("{}\n", fmt.exited(display, code)));
        }
        MonitorEvent::Note(text) => reporter.note(&text),
    };
    let mut interrupts = s.interrupts.clone();
    let opts = monitor_options(project, args);
    Ok(monitor::monitor(
        Arc::clone(&s.engine),
        &project.name,
        &opts,
        side,
        interrupts.next(),
        &mut render,
    )
    .await?)
}

/// The end of an attached `up` (Ctrl-C, or a container exit with `--abort-on-container-exit`):
/// stop the whole project; a further Ctrl-C turns the stops into kills, then kills the rest.
/// Returns 130 when interrupted, else `exit_code`.
pub(super) async fn teardown(
    s: &mut Session,
    project: &Project,
    args: &UpArgs,
    interrupted: bool,
    exit_code: i32,
) -> Result<i32> {
    if interrupted {
        s.reporter
            .note("Gracefully stopping... (press Ctrl+C again to force)");
    }
    let cancel = Cancel::new();
    let presses = s.interrupts.count();
    s.interrupts.force_at(cancel.clone(), presses + 1);
    let opts = ops::StopOptions {
        services: Vec::new(),
        timeout: args.timeout,
        dry_run: false,
        parallel: s.parallel,
    };
    let r = ops::stop(
        Arc::clone(&s.engine),
        &project.name,
        Some(project),
        &opts,
        &mut s.reporter,
        cancel,
    )
    .await;
    let forced = s.interrupts.count() > presses;
    match r {
        Ok(_) => {}
        Err(ExecError::Cancelled) if forced => {}
        Err(e) => return Err(e.into()),
    }
    if forced {
        let opts = ops::KillOptions {
            services: Vec::new(),
            signal: None,
            remove_orphans: false,
            dry_run: false,
            parallel: s.parallel,
        };
        let r = ops::kill(
            Arc::clone(&s.engine),
            &project.name,
            Some(project),
            &opts,
            &mut s.reporter,
            Cancel::new(),
        )
        .await;
        if let Err(e) = r {
            s.reporter
                .note(&format!("cannot kill every container: {e}"));
        }
    }
    s.reporter.finish();
    if interrupted {
        Ok(exit::INTERRUPTED)
    } else {
        Ok(exit_code)
    }
}

/// `scale SERVICE=N...`: `up -d --scale` of the named services (`app::ops::scale`).
async fn scale(global: &GlobalArgs, rt: &RuntimeGlobals, args: ScaleArgs) -> Result<i32> {
    let services: Vec<String> = args.services.iter().map(|(s, _)| s.clone()).collect();
    let loaded = load(global, &services)?;
    let mut s = session(rt).await?;
    let opts = ops::ScaleOptions {
        replicas: args.services.into_iter().collect(),
        no_deps: args.no_deps,
        dry_run: s.dry_run,
        parallel: s.parallel,
    };
    let cancel = s.cancel();
    let r = ops::scale(
        Arc::clone(&s.engine),
        &loaded.project,
        &opts,
        &mut s.reporter,
        cancel,
    )
    .await;
    s.finish(r)
}

async fn create(global: &GlobalArgs, rt: &RuntimeGlobals, args: CreateArgs) -> Result<i32> {
    let loaded = load(global, &args.services)?;
    let mut s = session(rt).await?;
    s.reporter = s
        .reporter
        .hide_output_of(Verb::Pull, args.create.quiet_pull);
    let opts = ops::UpOptions {
        plan: args.create.up_options(&args.services),
        wait: None,
        dry_run: s.dry_run,
        parallel: s.parallel,
    };
    let cancel = s.cancel();
    let r = ops::create(
        Arc::clone(&s.engine),
        &loaded.project,
        &opts,
        &mut s.reporter,
        cancel,
    )
    .await;
    s.finish(r)
}

async fn down(global: &GlobalArgs, rt: &RuntimeGlobals, args: DownArgs) -> Result<i32> {
    let (name, project) = load_optional(global, &args.services)?;
    let mut s = session(rt).await?;
    let cancel = s.cancel();
    if !args.services.is_empty() {
        // `down SERVICE...`: stop and remove just those containers.
        let stop = ops::StopOptions {
            services: args.services.clone(),
            timeout: args.timeout,
            dry_run: s.dry_run,
            parallel: s.parallel,
        };
        let r = ops::stop(
            Arc::clone(&s.engine),
            &name,
            project.as_ref(),
            &stop,
            &mut s.reporter,
            cancel.clone(),
        )
        .await;
        s.finish(r)?;
        let rm = ops::RmOptions {
            services: args.services.clone(),
            stop: true,
            volumes: args.volumes,
            dry_run: s.dry_run,
            parallel: s.parallel,
        };
        let r = ops::rm(
            Arc::clone(&s.engine),
            &name,
            project.as_ref(),
            &rm,
            &mut s.reporter,
            cancel,
        )
        .await;
        return s.finish(r);
    }
    let opts = ops::DownOptions {
        plan: args.down_options(),
        dry_run: s.dry_run,
        parallel: s.parallel,
    };
    let r = ops::down(
        Arc::clone(&s.engine),
        &name,
        project.as_ref(),
        &opts,
        &mut s.reporter,
        cancel,
    )
    .await;
    s.finish(r)
}

/// The lifecycle commands (`start`, `stop`, `restart`, `kill`, `rm`, `pause`, `unpause`): one path
/// to `ops::lifecycle`. `confirm_rm`: `rm` without `-f` asks first (on a terminal).
async fn lifecycle(
    global: &GlobalArgs,
    rt: &RuntimeGlobals,
    services: Vec<String>,
    command: ops::Lifecycle,
    confirm_rm: bool,
) -> Result<i32> {
    let (name, project) = load_optional(global, &services)?;
    let mut s = session(rt).await?;
    if confirm_rm && !s.dry_run {
        let what = if services.is_empty() {
            format!("the stopped containers of project {name}")
        } else {
            format!("the stopped containers of {}", services.join(", "))
        };
        if !confirm(&what) {
            return Ok(exit::OK);
        }
    }
    let opts = ops::LifecycleOptions {
        command,
        services,
        dry_run: s.dry_run,
        parallel: s.parallel,
    };
    let cancel = s.cancel();
    let r = ops::lifecycle(
        Arc::clone(&s.engine),
        &name,
        project.as_ref(),
        &opts,
        &mut s.reporter,
        cancel,
    )
    .await;
    s.finish(r)
}

/// Asks "Going to remove ... Are you sure? [y/N]" on a terminal unless `-f`.
fn confirm(what: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return true;
    }
    eprint!("Going to remove {what}\nAre you sure? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
}
