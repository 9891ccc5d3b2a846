//! The read-only runtime commands: `ps`, `ls`, `port`, `logs`. They work from the engine's labels
//! (one list call), so they need the project name only: `-p` / `COMPOSE_PROJECT_NAME`, else the
//! compose file's. The engine work is `app::query` / `app::logs`; here: arguments and output.

use std::io::{IsTerminal, Write};

use anyhow::{bail, Result};
use futures::StreamExt;

use super::args::{AnsiMode, LogsArgs, LsArgs, PortArgs, ProtocolArg, PsArgs, Tail};
use super::context;
use super::inspect::interrupted;
use super::list;
use super::logs::{Formatter, LogEvent};
use super::{exit, GlobalArgs};
use rcompose::app::logs::{self as app_logs, LogsOptions};
use rcompose::app::monitor::{self, MonitorEnd, MonitorEvent, MonitorOptions};
use rcompose::app::query::{self, PortAnswer, PsFilter};
use rcompose::app::types::engine::{Engine, LogOptions, Protocol};

/// The project name (`app::project`, `Need::NameFirst`): `-p` / `COMPOSE_PROJECT_NAME` without
/// reading files when no service is named, else the compose file's project, where the named
/// `services` are checked ("no such service", with a "did you mean").
pub fn project_name(global: &GlobalArgs, services: &[String]) -> Result<String> {
    Ok(super::runtime::project_or_name(global, services)?.0)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

pub async fn ps(global: &GlobalArgs, args: PsArgs) -> Result<i32> {
    let project = project_name(global, &args.service_names)?;
    let engine = context::connect().await?;
    let filter = PsFilter {
        all: args.all,
        status: args.statuses().map_err(|e| anyhow::anyhow!(e))?,
        services: args.service_names.clone(),
    };
    // docker compose checks the template before reading anything.
    if !args.quiet && !args.services && !matches!(args.format.as_str(), "" | "table" | "json") {
        list::Template::parse::<list::PsView>(&args.format)
            .map_err(|e| anyhow::anyhow!("template parsing error: {e}"))?;
    }
    let rows = query::ps(engine.as_ref(), &project, &filter).await?;
    let cx = list::PsContext {
        now: now(),
        // `CreatedAt` (JSON, templates) is printed in the local zone; finding that zone reads the
        // time zone database, which the default table (relative times only) does not need.
        zone: if args.quiet || args.services || args.format == "table" {
            jiff::tz::TimeZone::UTC
        } else {
            super::logtime::local_zone()
        },
        trunc: !args.no_trunc,
    };
    print(&list::render_ps(&rows, &args, &cx).map_err(|e| anyhow::anyhow!(e))?);
    Ok(exit::OK)
}

pub async fn ls(args: LsArgs) -> Result<i32> {
    let names = args.name_filters().map_err(|e| anyhow::anyhow!(e))?;
    let engine = context::connect().await?;
    let mut rows = query::ls(engine.as_ref()).await?;
    rows.retain(|r| names.iter().all(|n| n.is_match(&r.name)));
    print(&list::render_ls(&rows, args.all, args.quiet, args.format));
    Ok(exit::OK)
}

pub async fn port(global: &GlobalArgs, args: PortArgs) -> Result<i32> {
    let project = project_name(global, std::slice::from_ref(&args.service))?;
    let engine = context::connect().await?;
    let protocol = match args.protocol {
        ProtocolArg::Tcp => Protocol::Tcp,
        ProtocolArg::Udp => Protocol::Udp,
    };
    let answer = query::port(
        engine.as_ref(),
        &project,
        &args.service,
        args.index,
        args.private_port,
        protocol,
    )
    .await?;
    match answer {
        PortAnswer::Published(addr) => {
            print(&format!("{addr}\n"));
            Ok(exit::OK)
        }
        PortAnswer::NoContainer => bail!(
            "service {:?} has no container number {} in project {project}; is it up?",
            args.service,
            args.index
        ),
        PortAnswer::NotPublished => bail!(
            "no port {}/{} published for service {:?}",
            args.private_port,
            protocol.as_str(),
            args.service
        ),
    }
}

/// Whether log prefixes are coloured.
pub fn log_colors(no_color: bool, ansi: Option<AnsiMode>) -> bool {
    if no_color {
        return false;
    }
    match ansi.unwrap_or_default() {
        AnsiMode::Never => false,
        AnsiMode::Always => true,
        AnsiMode::Auto => std::io::stdout().is_terminal(),
    }
}

pub async fn logs(global: &GlobalArgs, args: LogsArgs, ansi: Option<AnsiMode>) -> Result<i32> {
    let project = project_name(global, &args.services)?;
    let engine = context::connect().await?;
    let opts = LogsOptions {
        services: args.services.clone(),
        index: args.index,
        log: LogOptions {
            follow: args.follow,
            timestamps: args.timestamps,
            tail: match args.tail {
                Tail::All => None,
                Tail::Last(n) => Some(n),
            },
            since: args.since,
            until: args.until,
        },
    };
    let colors = log_colors(args.no_color, ansi);
    let prefixes = !args.no_log_prefix;
    if args.follow {
        return follow(engine, &project, opts, colors, prefixes).await;
    }
    let (targets, mut stream) = app_logs::logs(engine, &project, &opts).await?;
    let fmt = Formatter::new(&targets, colors, prefixes);
    let interrupted = interrupted();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            ev = stream.next() => match ev {
                Some(LogEvent::Line { target, text }) => print(&format!("{}\n", fmt.line(target, &text))),
                Some(LogEvent::Error { target, message }) => {
                    eprintln!("cannot read the logs of {}: {message}", targets.get(target).map(|t| t.label.as_str()).unwrap_or("?"));
                }
                Some(LogEvent::Ended { .. }) => {}
                None => break,
            },
            _ = &mut interrupted => return Ok(exit::INTERRUPTED),
        }
    }
    Ok(exit::OK)
}

/// `logs -f`: the monitor of attached `up` (`app::monitor`) follows the chosen containers, and
/// again across restarts, recreates and scaling, until every one has exited (as docker compose
/// v5 ends it, but a restart or recreate does not end it), `--until` passes, or Ctrl-C.
async fn follow(
    engine: std::sync::Arc<dyn Engine>,
    project: &str,
    opts: LogsOptions,
    colors: bool,
    prefixes: bool,
) -> Result<i32> {
    let mopts = MonitorOptions {
        attached: (!opts.services.is_empty()).then(|| opts.services.iter().cloned().collect()),
        index: opts.index,
        log: opts.log,
        follow_starts: true,
        wait_for_stopped: true,
        end_when_all_exited: true,
        ..Default::default()
    };
    let mut fmt = Formatter::new(&[], colors, prefixes);
    let mut render = |ev: MonitorEvent| match ev {
        MonitorEvent::Shown { targets, .. } => fmt = Formatter::new(&targets, colors, prefixes),
        MonitorEvent::Line { display, text } => print(&format!("{}\n", fmt.line(display, &text))),
        MonitorEvent::Exited { display, code } => {
            print(&format!("{}\n", fmt.exited(display, code)))
        }
        MonitorEvent::Note(text) => eprintln!("{text}"),
    };
    let m = monitor::monitor(engine, project, &mopts, None, interrupted(), &mut render).await?;
    Ok(match m.end {
        MonitorEnd::Interrupted => exit::INTERRUPTED,
        _ => exit::OK,
    })
}
