//! Stacks for test runners in any language: `rcompose test -- CMD`, `rcompose endpoints`,
//! `rcompose reap`. The work is the library's (`Stack`, `app::stack`); this is the command line.

use std::time::Duration;

use anyhow::{bail, Result};
use clap::{Args, ValueEnum};

use super::args::RuntimeGlobals;
use super::{context, exit, GlobalArgs};
use rcompose::app::stack::{endpoints, owner, Endpoints};
use rcompose::Stack;

/// `test`: up under a unique name, run a command with the endpoints in its environment, down.
#[derive(Debug, Args, Clone, Default)]
pub struct TestArgs {
    /// Leave the stack running after the command (it is reaped once it is not needed: see `reap`).
    #[arg(long)]
    pub keep: bool,
    /// Build images before starting.
    #[arg(long)]
    pub build: bool,
    /// Seconds to wait for the stack to be ready (default 120).
    #[arg(long, value_name = "SECONDS")]
    pub wait_timeout: Option<u64>,
    /// The command to run, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// Output format of `endpoints`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum EndpointsFormat {
    #[default]
    Table,
    Json,
    Env,
}

/// `endpoints`: the published endpoints of a running project.
#[derive(Debug, Args, Clone, Default)]
pub struct EndpointsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = EndpointsFormat::Table)]
    pub format: EndpointsFormat,
}

/// `reap`: remove the stacks of test runs whose owner process is gone or whose lease ran out.
#[derive(Debug, Args, Clone, Default)]
pub struct ReapArgs {}

/// The exit code of a usage error of `test` (the command's own convention, as test runners
/// expect: 2).
pub const TEST_USAGE: i32 = 2;

pub async fn test(global: &GlobalArgs, args: TestArgs) -> Result<i32> {
    let Some((program, rest)) = args.command.split_first() else {
        eprintln!(
            "error: `rcompose test` needs a command to run after `--`, e.g. `rcompose test -- cargo test`"
        );
        return Ok(TEST_USAGE);
    };
    let mut builder = Stack::with_options(global.load_options(&[])?).unique();
    if args.keep {
        builder = builder.keep();
    }
    if args.build {
        builder = builder.build();
    }
    if let Some(s) = args.wait_timeout {
        builder = builder.wait_timeout(Duration::from_secs(s));
    }
    let mut presses = context::presses();
    let stack = tokio::select! {
        s = builder.up() => s?,
        _ = presses.changed() => {
            // The half-made stack is removed by the builder's own cleanup on drop.
            eprintln!("interrupted");
            return Ok(exit::INTERRUPTED);
        }
    };
    let found = stack.endpoints().await?;
    eprintln!("rcompose test: project {} is ready", stack.name());
    for (k, v) in found.env() {
        eprintln!("  {k}={v}");
    }
    let code = run_child(program, rest, stack.name(), &found, &mut presses).await;
    if args.keep {
        eprintln!(
            "rcompose test: left project {} running (--keep); remove it with `rcompose -p {} down -v`",
            stack.name(),
            stack.name()
        );
        drop(stack);
    } else {
        stack.down().await?;
    }
    code
}

/// Runs the command with the endpoints in its environment and returns its exit status (128 +
/// signal when a signal ended it). Ctrl-C is the child's to handle: the terminal sends it to
/// both; when only rcompose got it, the child is asked too after a moment, and killed if it
/// still runs ten seconds later.
async fn run_child(
    program: &str,
    rest: &[String],
    project: &str,
    found: &Endpoints,
    presses: &mut tokio::sync::watch::Receiver<u32>,
) -> Result<i32> {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(rest)
        .envs(found.env())
        .env("COMPOSE_PROJECT_NAME", project);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => bail!("cannot run {program:?}: {e}"),
    };
    let status = tokio::select! {
        s = child.wait() => s?,
        _ = presses.changed() => {
            let waited = tokio::time::timeout(Duration::from_secs(2), child.wait()).await;
            match waited {
                Ok(s) => s?,
                Err(_) => {
                    if let Some(pid) = child.id() {
                        // SAFETY: kill(2) on our own child's pid with a valid signal number.
                        unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) };
                    }
                    match tokio::time::timeout(Duration::from_secs(10), child.wait()).await {
                        Ok(s) => s?,
                        Err(_) => {
                            let _ = child.kill().await;
                            child.wait().await?
                        }
                    }
                }
            }
        }
    };
    use std::os::unix::process::ExitStatusExt;
    Ok(status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(exit::FAILURE))
}

pub async fn endpoints(global: &GlobalArgs, args: EndpointsArgs) -> Result<i32> {
    let (name, project) = super::runtime::project_or_name(global, &[])?;
    let engine = context::connect().await?;
    let found = endpoints::endpoints(&engine, &name, project.as_ref()).await?;
    let text = match args.format {
        EndpointsFormat::Env => found
            .env()
            .into_iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect::<String>(),
        EndpointsFormat::Json => {
            let list: Vec<_> = found.iter().collect();
            format!("{}\n", serde_json::to_string(&list)?)
        }
        EndpointsFormat::Table => {
            let rows: Vec<Vec<String>> = found
                .iter()
                .map(|e| {
                    vec![
                        e.service.clone(),
                        format!("{}/{}", e.port, e.protocol),
                        e.address.to_string(),
                    ]
                })
                .collect();
            super::list::table(&["SERVICE", "PORT", "ENDPOINT"], &rows, 10)
        }
    };
    super::runtime::print_stdout(&text);
    Ok(exit::OK)
}

pub async fn reap(rt: &RuntimeGlobals, _args: ReapArgs) -> Result<i32> {
    let engine = context::connect().await?;
    let reaped = owner::reap(engine, rt.dry_run).await?;
    let verb = if rt.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for r in &reaped {
        println!("{verb} {} ({})", r.project, r.reason);
    }
    Ok(exit::OK)
}
