//! The read-only runtime commands: `ps`, `ls`, `port`, `logs`. They work from the engine's labels
//! (one list call), so they need the project name only: `-p` / `COMPOSE_PROJECT_NAME`, else the
//! compose file's.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use futures::StreamExt;

use super::args::{AnsiMode, LogsArgs, LsArgs, PortArgs, ProtocolArg, PsArgs, Tail};
use super::context::{self, explicit_project_name};
use super::list::{self, PsRow};
use super::logs::{self, Formatter, LogEvent, LogTarget};
use super::{exit, GlobalArgs};
use crate::engine::{ContainerSummary, Engine, LabelFilter, LogOptions, Protocol};
use crate::loader;
use crate::plan::labels;

/// The project name: `-p` / `COMPOSE_PROJECT_NAME` without reading files, else the loaded
/// project's.
pub fn project_name(global: &GlobalArgs) -> Result<String> {
    if let Some(n) = explicit_project_name(global) {
        return Ok(n);
    }
    let loaded = loader::load(&global.load_options(&[])?)?;
    Ok(loaded.project.name)
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

/// The project's containers (services only, not one-offs), sorted by service and number.
pub async fn service_containers(
    engine: &Arc<dyn Engine>,
    project: &str,
) -> Result<Vec<ContainerSummary>> {
    let mut list = engine
        .list_containers(&LabelFilter::project(project))
        .await
        .with_context(|| format!("cannot list the containers of project {project}"))?;
    list.retain(|c| {
        !c.labels
            .get(labels::ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    });
    list.sort_by_key(|c| {
        (
            c.labels.get(labels::SERVICE).cloned().unwrap_or_default(),
            c.labels
                .get(labels::CONTAINER_NUMBER)
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0),
        )
    });
    Ok(list)
}

pub async fn ps(global: &GlobalArgs, args: PsArgs) -> Result<i32> {
    let project = project_name(global)?;
    let engine = context::connect().await?;
    let all = engine
        .list_containers(&LabelFilter::project(&project))
        .await
        .with_context(|| format!("cannot list the containers of project {project}"))?;
    let rows = list::select(all.iter().map(PsRow::from_summary).collect(), &args);
    print(&list::render_ps(&rows, &args, now()));
    Ok(exit::OK)
}

pub async fn ls(args: LsArgs) -> Result<i32> {
    let engine = context::connect().await?;
    let all = engine
        .list_containers(&LabelFilter::new().has(labels::PROJECT))
        .await
        .context("cannot list containers")?;
    let rows = list::projects(&all);
    print(&list::render_ls(&rows, args.all, args.quiet, args.format));
    Ok(exit::OK)
}

pub async fn port(global: &GlobalArgs, args: PortArgs) -> Result<i32> {
    let project = project_name(global)?;
    let engine = context::connect().await?;
    let containers = service_containers(&engine, &project).await?;
    let Some(c) = containers.iter().find(|c| {
        c.labels.get(labels::SERVICE) == Some(&args.service)
            && c.labels.get(labels::CONTAINER_NUMBER) == Some(&args.index.to_string())
    }) else {
        bail!(
            "service {:?} has no container number {} in project {project}; is it up?",
            args.service,
            args.index
        );
    };
    let details = engine
        .inspect_container(&c.id)
        .await
        .with_context(|| format!("cannot inspect container {}", c.name()))?;
    let protocol = match args.protocol {
        ProtocolArg::Tcp => Protocol::Tcp,
        ProtocolArg::Udp => Protocol::Udp,
    };
    match list::published(&details.ports, args.private_port, protocol) {
        Some(addr) => {
            print(&format!("{addr}\n"));
            Ok(exit::OK)
        }
        None => bail!(
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

/// Log targets for containers: label `web-1` (or the container name).
pub fn targets(project: &str, containers: &[ContainerSummary]) -> Vec<LogTarget> {
    containers
        .iter()
        .map(|c| {
            let service = c.labels.get(labels::SERVICE).cloned().unwrap_or_default();
            let number = c
                .labels
                .get(labels::CONTAINER_NUMBER)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            LogTarget {
                id: c.id.clone(),
                label: logs::display_name(project, &service, number, c.name()),
                service,
            }
        })
        .collect()
}

pub async fn logs(global: &GlobalArgs, args: LogsArgs, ansi: Option<AnsiMode>) -> Result<i32> {
    let project = project_name(global)?;
    let engine = context::connect().await?;
    let mut containers = service_containers(&engine, &project).await?;
    if !args.services.is_empty() {
        containers.retain(|c| {
            c.labels
                .get(labels::SERVICE)
                .is_some_and(|s| args.services.contains(s))
        });
    }
    if let Some(i) = args.index {
        containers.retain(|c| c.labels.get(labels::CONTAINER_NUMBER) == Some(&i.to_string()));
    }
    let targets = targets(&project, &containers);
    let fmt = Formatter::new(
        &targets,
        log_colors(args.no_color, ansi),
        !args.no_log_prefix,
    );
    let opts = LogOptions {
        follow: args.follow,
        timestamps: args.timestamps,
        tail: match args.tail {
            Tail::All => None,
            Tail::Last(n) => Some(n),
        },
        since: args.since,
        until: args.until,
    };
    let mut stream = logs::multiplex(Arc::clone(&engine), &targets, &opts);
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
            _ = tokio::signal::ctrl_c() => return Ok(exit::INTERRUPTED),
        }
    }
    Ok(exit::OK)
}
