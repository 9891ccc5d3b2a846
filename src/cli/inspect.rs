//! The inspection commands `top`, `events` and `wait`, printed as docker compose v2 prints them.
//! They read the project's containers from the engine's labels, so they need the project name
//! only (`-p` without `-f` reads no file, as docker compose; otherwise the compose file is loaded,
//! which also checks that the named services exist).
//!
//! - `top`: per running container, its name, then `ps -ef`'s table (Go tabwriter's layout:
//!   columns padded by three spaces, at least five wide), then a blank line.
//! - `events`: `<local time> container <action> <id> (k=v, ...)` lines, or with `--json` one
//!   object per line with docker compose's keys (`action attributes id service time type`);
//!   one-off containers are left out, and so are the `com.docker.compose.*` labels. Runs until
//!   Ctrl-C (exit 130).
//! - `wait`: blocks until every running container of the named services has exited, printing
//!   `container "<id>" exited with status code N` for each; the exit status is the code of the
//!   last one to exit (docker compose waits for all of them the same way); `--down-project` then
//!   takes the project down.
//!
//! The engine work is the application layer's (`app::query`, `app::events`); this module holds
//! the clap arguments and the renderers (tables, event lines), which are pure and unit-tested here.

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use futures::stream::StreamExt;

use super::args::RuntimeGlobals;
use super::context::{self};
use super::list::tabwrite;
use super::logtime::{local_offset, local_time, rfc3339_nano};
use super::progress::{style_for, ProgressReporter};
use super::{exit, GlobalArgs};
use rcompose::app::events::{self as app_events, ComposeEvent};
use rcompose::app::types::engine::ProcessList;
use rcompose::app::types::plan;
use rcompose::app::{ops, query, Cancel, CancelLevel, ExecError};
use rcompose::model::Project;

/// `top`.
#[derive(Debug, Args, Clone, Default)]
pub struct TopArgs {
    /// Services (default: all).
    pub services: Vec<String>,
}

/// `events`.
#[derive(Debug, Args, Clone, Default)]
pub struct EventsArgs {
    /// Output events as a stream of json objects.
    #[arg(long)]
    pub json: bool,
    /// Show all events created since this time: RFC 3339, a Unix timestamp, or a duration
    /// before now (`10m`, `1h30m`).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Stream events until this time (same forms as `--since`), then exit.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Services (default: all).
    pub services: Vec<String>,
}

/// `wait`.
#[derive(Debug, Args, Clone, Default)]
pub struct WaitArgs {
    /// Take the project down (`down --remove-orphans`) once the containers have exited.
    #[arg(long)]
    pub down_project: bool,
    /// Services whose containers to wait for.
    #[arg(required = true, value_name = "SERVICE")]
    pub services: Vec<String>,
}

/// The project name, and the project when a compose file was read. `-p` without `-f` reads no
/// file; otherwise the file is loaded (checking that `services` exist), and without any compose
/// file `COMPOSE_PROJECT_NAME` still names the project.
fn project_for(global: &GlobalArgs, services: &[String]) -> Result<(String, Option<Project>)> {
    super::runtime::project_or_name(global, services)
}

fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    // A closed pipe (`| head`) is not an error worth reporting.
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

// ---------------------------------------------------------------------------------------------
// top
// ---------------------------------------------------------------------------------------------

pub async fn top(global: &GlobalArgs, args: TopArgs) -> Result<i32> {
    let (project, _) = project_for(global, &args.services)?;
    let engine = context::connect().await?;
    let rows = query::top(engine, &project, &args.services).await?;
    let out: String = rows
        .iter()
        .map(|r| render_top(&r.name, &r.processes))
        .collect();
    print(&out);
    Ok(exit::OK)
}

/// One container's block: its name, the process table, a blank line.
pub fn render_top(name: &str, list: &ProcessList) -> String {
    let mut lines: Vec<Vec<String>> = Vec::with_capacity(list.processes.len() + 2);
    // The titles end with a cell that is not tab-terminated (not padded); every process row's
    // cells are all terminated (the last one padded too), as docker compose writes them.
    lines.push(list.titles.clone());
    for p in &list.processes {
        let mut row = p.clone();
        row.push(String::new());
        lines.push(row);
    }
    lines.push(vec![String::new()]);
    format!("{name}\n{}", tabwrite(&lines, 5, 3))
}

// ---------------------------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------------------------

/// A future that resolves at the first Ctrl-C (the process-wide handler of `context`).
pub(super) fn interrupted() -> impl std::future::Future<Output = ()> {
    let cancel = Cancel::new();
    context::on_ctrl_c(cancel.clone(), |_| {});
    async move { cancel.reached(CancelLevel::Graceful).await }
}

pub async fn events(global: &GlobalArgs, args: EventsArgs) -> Result<i32> {
    let (project, _) = project_for(global, &args.services)?;
    let time = |flag: &str, v: &Option<String>| -> Result<Option<i64>> {
        v.as_deref()
            .map(|t| super::logtime::parse_now(t).map_err(|e| anyhow::anyhow!("--{flag}: {e}")))
            .transpose()
    };
    let (since, until) = (time("since", &args.since)?, time("until", &args.until)?);
    let engine = context::connect().await?;
    let mut stream = app_events::events(engine.as_ref(), &project, &args.services, since, until);
    let interrupted = interrupted();
    tokio::pin!(interrupted);
    loop {
        tokio::select! {
            ev = stream.next() => match ev {
                Some(Ok(e)) => {
                    let offset = local_offset(e.time_nano.div_euclid(1_000_000_000));
                    let line = if args.json { event_json(&e, offset) } else { event_line(&e, offset) };
                    print(&format!("{line}\n"));
                }
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(exit::OK),
            },
            _ = &mut interrupted => return Ok(exit::INTERRUPTED),
        }
    }
}

/// `2026-11-23 10:00:01.123456 container start <id> (image=busybox, name=p-web-1)`, the time
/// in the zone `offset` seconds east of UTC.
pub fn event_line(e: &ComposeEvent, offset: i64) -> String {
    let attrs: Vec<String> = e
        .attributes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(
        "{} container {} {} ({})",
        local_time(e.time_nano, offset),
        e.action,
        e.id,
        attrs.join(", ")
    )
}

/// One JSON object, keys sorted as Go's `json.Marshal` sorts a map, `time` in RFC 3339 with
/// nanoseconds in the zone `offset`.
pub fn event_json(e: &ComposeEvent, offset: i64) -> String {
    let value = serde_json::json!({
        "action": e.action,
        "attributes": e.attributes,
        "id": e.id,
        "service": e.service,
        "time": rfc3339_nano(e.time_nano, offset),
        "type": "container",
    });
    // Go escapes these inside strings; they appear nowhere else in the text.
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

// ---------------------------------------------------------------------------------------------
// wait
// ---------------------------------------------------------------------------------------------

/// `container "<id>" exited with status code N`.
pub fn exited_line(id: &str, code: i64) -> String {
    format!("container {id:?} exited with status code {code}")
}

pub async fn wait(global: &GlobalArgs, rt: &RuntimeGlobals, args: WaitArgs) -> Result<i32> {
    let (name, project) = project_for(global, &args.services)?;
    let engine = context::connect().await?;
    let containers = query::running(engine.as_ref(), &name, &args.services).await?;
    if containers.is_empty() {
        bail!(
            "no containers for project {name:?}: no container of {} is running; \
             start them first (`rcompose up -d {}`)",
            args.services.join(", "),
            args.services.join(" ")
        );
    }
    let mut exits = app_events::exits(Arc::clone(&engine), &containers);
    // Ctrl-C: while waiting, stops the wait (130); during `--down-project`, cancels the down.
    let cancel = Cancel::new();
    context::on_ctrl_c(cancel.clone(), |_| {});
    let interrupted = cancel.reached(CancelLevel::Graceful);
    tokio::pin!(interrupted);
    let mut code: i64 = 0;
    loop {
        tokio::select! {
            next = exits.next() => match next {
                Some(Ok(e)) => {
                    print(&format!("{}\n", exited_line(&e.id, e.code)));
                    code = e.code;
                }
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            _ = &mut interrupted => return Ok(exit::INTERRUPTED),
        }
    }
    if args.down_project {
        let mut reporter = ProgressReporter::new(style_for(rt.progress, rt.ansi));
        let opts = ops::DownOptions {
            plan: plan::DownOptions {
                remove_orphans: true,
                ..Default::default()
            },
            dry_run: rt.dry_run,
            parallel: rt.parallel_limit(std::env::var("COMPOSE_PARALLEL_LIMIT").ok().as_deref()),
        };
        let r = ops::down(
            Arc::clone(&engine),
            &name,
            project.as_ref(),
            &opts,
            &mut reporter,
            cancel.clone(),
        )
        .await;
        reporter.finish();
        match r {
            Ok(outcome) if outcome.dry_run => print(&outcome.rendered()),
            Ok(_) => {}
            Err(ExecError::Cancelled) => return Ok(exit::INTERRUPTED),
            Err(e) => return Err(e).context(format!("cannot take project {name} down")),
        }
    }
    Ok(i32::try_from(code).unwrap_or(exit::FAILURE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_table_pads_like_go_tabwriter() {
        let list = ProcessList {
            titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
                .map(String::from)
                .to_vec(),
            processes: vec![
                [
                    "root",
                    "4242",
                    "4220",
                    "0",
                    "10:00",
                    "?",
                    "00:00:00",
                    "sleep 100",
                ]
                .map(String::from)
                .to_vec(),
                ["root", "17", "4242", "0", "10:00", "?", "00:00:00", "sh"]
                    .map(String::from)
                    .to_vec(),
            ],
        };
        let text = render_top("p-web-1", &list);
        let want = "p-web-1\n\
            UID    PID    PPID   C    STIME   TTY   TIME       CMD\n\
            root   4242   4220   0    10:00   ?     00:00:00   sleep 100   \n\
            root   17     4242   0    10:00   ?     00:00:00   sh          \n\
            \n";
        assert_eq!(text, want);
    }

    #[test]
    fn empty_process_list_prints_name_and_titles() {
        let list = ProcessList {
            titles: vec!["PID".into(), "CMD".into()],
            processes: vec![],
        };
        assert_eq!(render_top("c", &list), "c\nPID   CMD\n\n");
        assert_eq!(render_top("c", &ProcessList::default()), "c\n\n\n");
    }

    #[test]
    fn event_line_and_json_have_docker_compose_shape() {
        let e = ComposeEvent {
            time_nano: 1_700_000_000_123_456_789, // 2023-11-14T22:13:20.123456789Z
            service: "web".into(),
            id: "abc123".into(),
            action: "start".into(),
            attributes: [("name", "p-web-1"), ("image", "busybox")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        };
        assert_eq!(
            event_line(&e, 0),
            "2023-11-14 22:13:20.123456 container start abc123 (image=busybox, name=p-web-1)"
        );
        assert_eq!(
            event_line(&e, 3600),
            "2023-11-14 23:13:20.123456 container start abc123 (image=busybox, name=p-web-1)"
        );
        let v: serde_json::Value = serde_json::from_str(&event_json(&e, -5400)).expect("json");
        assert_eq!(v["action"], "start");
        assert_eq!(v["service"], "web");
        assert_eq!(v["id"], "abc123");
        assert_eq!(v["type"], "container");
        assert_eq!(v["time"], "2023-11-14T20:43:20.123456789-01:30");
        assert_eq!(v["attributes"]["name"], "p-web-1");
        let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            ["action", "attributes", "id", "service", "time", "type"]
        );
    }

    #[test]
    fn json_escapes_like_go() {
        let e = ComposeEvent {
            time_nano: 0,
            service: "web".into(),
            id: "a".into(),
            action: "exec_start: sh -c a<b && c>d".into(),
            attributes: Default::default(),
        };
        let json = event_json(&e, 0);
        assert!(json.contains(r"a\u003cb \u0026\u0026 c\u003ed"), "{json}");
    }

    #[test]
    fn wait_line_quotes_the_id() {
        assert_eq!(
            exited_line("abc", 3),
            "container \"abc\" exited with status code 3"
        );
    }
}
