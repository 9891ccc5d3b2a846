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
//! The text pieces (tables, event lines, times) are pure and unit-tested here.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Args;
use futures::stream::{FuturesUnordered, StreamExt};

use super::args::RuntimeGlobals;
use super::context::{self};
use super::progress::{style_for, ProgressReporter};
use super::{exit, GlobalArgs};
use crate::app::{ops, Cancel, ExecError};
use crate::engine::{
    ContainerSummary, Engine, EngineError, EngineEvent, EventAction, EventFilter, EventKind,
    LabelFilter, ProcessList, WaitCondition,
};
use crate::model::Project;
use crate::plan::{self, labels};

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

fn service_of(c: &ContainerSummary) -> &str {
    c.labels
        .get(labels::SERVICE)
        .map(String::as_str)
        .unwrap_or_default()
}

/// The project's running (or paused) containers of `services` (all when empty), one-off
/// containers included, as docker compose selects them for `top` and `wait`.
async fn running(
    engine: &Arc<dyn Engine>,
    project: &str,
    services: &[String],
) -> Result<Vec<ContainerSummary>> {
    let mut list = engine
        .list_containers(&LabelFilter::project(project))
        .await
        .with_context(|| format!("cannot list the containers of project {project}"))?;
    list.retain(|c| {
        c.state.is_up() && (services.is_empty() || services.iter().any(|s| s == service_of(c)))
    });
    list.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(list)
}

// ---------------------------------------------------------------------------------------------
// top
// ---------------------------------------------------------------------------------------------

pub async fn top(global: &GlobalArgs, args: TopArgs) -> Result<i32> {
    let (project, _) = project_for(global, &args.services)?;
    let engine = context::connect().await?;
    let containers = running(&engine, &project, &args.services).await?;
    let lists = futures::future::join_all(
        containers
            .iter()
            .map(|c| engine.top_processes(&c.id))
            .collect::<Vec<_>>(),
    )
    .await;
    let mut out = String::new();
    for (c, list) in containers.iter().zip(lists) {
        match list {
            Ok(list) => out.push_str(&render_top(c.name(), &list)),
            // It stopped or went away since it was listed: nothing to show.
            Err(EngineError::Conflict { .. }) | Err(EngineError::NotFound { .. }) => {}
            Err(e) => {
                return Err(anyhow::Error::new(e))
                    .with_context(|| format!("cannot list the processes of {}", c.name()))
            }
        }
    }
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

/// Go's `text/tabwriter` (left-aligned, space padding, no flags) over lines of cells, where the
/// last cell of each line is its trailing text: a column's width is set by the run of
/// consecutive lines that have a terminated cell in it.
pub fn tabwrite(lines: &[Vec<String>], minwidth: usize, padding: usize) -> String {
    let len = |s: &str| s.chars().count();
    // widths[i][j]: the width of terminated cell j of line i.
    let mut widths: Vec<Vec<usize>> = lines
        .iter()
        .map(|l| vec![0; l.len().saturating_sub(1)])
        .collect();
    let columns = widths.iter().map(Vec::len).max().unwrap_or(0);
    for j in 0..columns {
        let mut i = 0;
        while i < lines.len() {
            if widths[i].len() <= j {
                i += 1;
                continue;
            }
            let start = i;
            let mut w = minwidth;
            while i < lines.len() && widths[i].len() > j {
                w = w.max(len(&lines[i][j]) + padding);
                i += 1;
            }
            for row in widths.iter_mut().take(i).skip(start) {
                row[j] = w;
            }
        }
    }
    let mut out = String::new();
    for (line, ws) in lines.iter().zip(&widths) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if let Some(w) = ws.get(j) {
                out.push_str(&" ".repeat(w.saturating_sub(len(cell))));
            }
        }
        out.push('\n');
    }
    out
}

// ---------------------------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------------------------

pub async fn events(global: &GlobalArgs, args: EventsArgs) -> Result<i32> {
    let (project, _) = project_for(global, &args.services)?;
    let engine = context::connect().await?;
    let filter = EventFilter {
        labels: LabelFilter::project(&project),
        kinds: vec!["container".to_string()],
    };
    let mut stream = engine.events(&filter);
    loop {
        tokio::select! {
            ev = stream.next() => match ev {
                Some(Ok(ev)) => {
                    if let Some(e) = ComposeEvent::from_engine(&ev, &args.services) {
                        let offset = super::logtime::local_offset(e.time_nano.div_euclid(1_000_000_000));
                        let line = if args.json { e.json(offset) } else { e.line(offset) };
                        print(&format!("{line}\n"));
                    }
                }
                Some(Err(e)) => {
                    return Err(anyhow::Error::new(e))
                        .with_context(|| format!("the engine's event stream for project {project} failed"));
                }
                None => return Ok(exit::OK),
            },
            _ = tokio::signal::ctrl_c() => return Ok(exit::INTERRUPTED),
        }
    }
}

/// A container event as docker compose reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeEvent {
    pub time_nano: i64,
    pub service: String,
    pub id: String,
    pub action: String,
    /// The actor's attributes without the `com.docker.compose.*` labels.
    pub attributes: BTreeMap<String, String>,
}

impl ComposeEvent {
    /// The event docker compose would show for `ev`, if any: container events only, one-off
    /// containers left out, only `services` when given.
    pub fn from_engine(ev: &EngineEvent, services: &[String]) -> Option<ComposeEvent> {
        if ev.kind != EventKind::Container {
            return None;
        }
        if ev.attributes.get(labels::ONEOFF).map(String::as_str) == Some("True") {
            return None;
        }
        let service = ev
            .attributes
            .get(labels::SERVICE)
            .cloned()
            .unwrap_or_default();
        if !services.is_empty() && !services.contains(&service) {
            return None;
        }
        Some(ComposeEvent {
            time_nano: ev.time_nano,
            service,
            id: ev.id.clone(),
            action: action_text(&ev.action),
            attributes: ev
                .attributes
                .iter()
                .filter(|(k, _)| !k.starts_with("com.docker.compose."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }

    /// `2026-11-23 10:00:01.123456 container start <id> (image=busybox, name=p-web-1)`, the time
    /// in the zone `offset` seconds east of UTC.
    pub fn line(&self, offset: i64) -> String {
        let attrs: Vec<String> = self
            .attributes
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!(
            "{} container {} {} ({})",
            local_time(self.time_nano, offset),
            self.action,
            self.id,
            attrs.join(", ")
        )
    }

    /// One JSON object, keys sorted as Go's `json.Marshal` sorts a map, `time` in RFC 3339 with
    /// nanoseconds in the zone `offset`.
    pub fn json(&self, offset: i64) -> String {
        let value = serde_json::json!({
            "action": self.action,
            "attributes": self.attributes,
            "id": self.id,
            "service": self.service,
            "time": rfc3339_nano(self.time_nano, offset),
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
}

/// The engine's action string (`start`, `health_status: healthy`, `exec_start: sh`).
pub fn action_text(a: &EventAction) -> String {
    match a {
        EventAction::Create => "create".into(),
        EventAction::Start => "start".into(),
        EventAction::Restart => "restart".into(),
        EventAction::Die => "die".into(),
        EventAction::Stop => "stop".into(),
        EventAction::Kill => "kill".into(),
        EventAction::Pause => "pause".into(),
        EventAction::Unpause => "unpause".into(),
        EventAction::Destroy => "destroy".into(),
        EventAction::Rename => "rename".into(),
        EventAction::Oom => "oom".into(),
        EventAction::HealthStatus(h) => format!("health_status: {}", h.as_str()),
        EventAction::Connect => "connect".into(),
        EventAction::Disconnect => "disconnect".into(),
        EventAction::Other(s) => s.clone(),
    }
}

/// A broken-down time.
struct Civil {
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    nano: i64,
}

/// The date and time of `nanos` since the epoch, shifted by `offset` seconds.
fn civil(nanos: i64, offset: i64) -> Civil {
    let secs = nanos.div_euclid(1_000_000_000) + offset;
    let nano = nanos.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        second: rem % 60,
        nano,
    }
}

/// `2006-01-02 15:04:05.000000` (Go's layout docker compose prints events with).
pub fn local_time(nanos: i64, offset: i64) -> String {
    let c = civil(nanos, offset);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}",
        c.year,
        c.month,
        c.day,
        c.hour,
        c.minute,
        c.second,
        c.nano / 1000
    )
}

/// Go's `time.RFC3339Nano`: fraction without trailing zeros, `Z` for UTC.
pub fn rfc3339_nano(nanos: i64, offset: i64) -> String {
    let c = civil(nanos, offset);
    let mut text = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    if c.nano != 0 {
        let frac = format!("{:09}", c.nano);
        text.push('.');
        text.push_str(frac.trim_end_matches('0'));
    }
    if offset == 0 {
        text.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let a = offset.abs();
        text.push_str(&format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60));
    }
    text
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
    let containers = running(&engine, &name, &args.services).await?;
    if containers.is_empty() {
        bail!(
            "no containers for project {name:?}: no container of {} is running; \
             start them first (`rcompose up -d {}`)",
            args.services.join(", "),
            args.services.join(" ")
        );
    }
    let mut waits: FuturesUnordered<_> = containers
        .iter()
        .map(|c| {
            let engine = Arc::clone(&engine);
            let (id, label) = (c.id.clone(), c.name().to_string());
            async move {
                let r = engine.wait_container(&id, WaitCondition::NotRunning).await;
                (id, label, r)
            }
        })
        .collect();
    let mut code: i64 = 0;
    loop {
        tokio::select! {
            next = waits.next() => match next {
                Some((id, _, Ok(c))) => {
                    print(&format!("{}\n", exited_line(&id, c)));
                    code = c;
                }
                Some((_, label, Err(e))) => {
                    return Err(anyhow::Error::new(e))
                        .with_context(|| format!("cannot wait for container {label}"));
                }
                None => break,
            },
            _ = tokio::signal::ctrl_c() => return Ok(exit::INTERRUPTED),
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
            Cancel::new(),
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
    use crate::engine::Labels;

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

    fn event(action: EventAction, attrs: &[(&str, &str)]) -> EngineEvent {
        let attributes: Labels = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EngineEvent {
            kind: EventKind::Container,
            action,
            id: "abc123".into(),
            name: attributes.get("name").cloned(),
            attributes,
            exit_code: None,
            // 2023-11-14T22:13:20.123456789Z
            time_nano: 1_700_000_000_123_456_789,
        }
    }

    #[test]
    fn event_line_and_json_have_docker_compose_shape() {
        let ev = event(
            EventAction::Start,
            &[
                ("com.docker.compose.project", "p"),
                ("com.docker.compose.service", "web"),
                ("name", "p-web-1"),
                ("image", "busybox"),
            ],
        );
        let e = ComposeEvent::from_engine(&ev, &[]).expect("kept");
        assert_eq!(
            e.line(0),
            "2023-11-14 22:13:20.123456 container start abc123 (image=busybox, name=p-web-1)"
        );
        assert_eq!(
            e.line(3600),
            "2023-11-14 23:13:20.123456 container start abc123 (image=busybox, name=p-web-1)"
        );
        let v: serde_json::Value = serde_json::from_str(&e.json(-5400)).expect("json");
        assert_eq!(v["action"], "start");
        assert_eq!(v["service"], "web");
        assert_eq!(v["id"], "abc123");
        assert_eq!(v["type"], "container");
        assert_eq!(v["time"], "2023-11-14T20:43:20.123456789-01:30");
        assert_eq!(v["attributes"]["name"], "p-web-1");
        assert!(v["attributes"].get("com.docker.compose.project").is_none());
        let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
        assert_eq!(
            keys,
            ["action", "attributes", "id", "service", "time", "type"]
        );
    }

    #[test]
    fn one_offs_other_services_and_other_kinds_are_left_out() {
        let oneoff = event(
            EventAction::Start,
            &[
                ("com.docker.compose.service", "web"),
                ("com.docker.compose.oneoff", "True"),
            ],
        );
        assert!(ComposeEvent::from_engine(&oneoff, &[]).is_none());
        let db = event(EventAction::Die, &[("com.docker.compose.service", "db")]);
        assert!(ComposeEvent::from_engine(&db, &["web".into()]).is_none());
        assert!(ComposeEvent::from_engine(&db, &["db".into()]).is_some());
        let mut net = db.clone();
        net.kind = EventKind::Network;
        assert!(ComposeEvent::from_engine(&net, &[]).is_none());
    }

    #[test]
    fn actions_keep_the_engine_spelling() {
        assert_eq!(
            action_text(&EventAction::parse("health_status: healthy")),
            "health_status: healthy"
        );
        assert_eq!(
            action_text(&EventAction::parse("exec_start: sh -c x")),
            "exec_start: sh -c x"
        );
        for a in [
            "create", "start", "restart", "die", "stop", "kill", "destroy",
        ] {
            assert_eq!(action_text(&EventAction::parse(a)), a);
        }
    }

    #[test]
    fn times_format_like_go() {
        assert_eq!(rfc3339_nano(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_nano(1_500_000_000, 0), "1970-01-01T00:00:01.5Z");
        assert_eq!(rfc3339_nano(-1, 0), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(
            rfc3339_nano(951_868_800_000_000_000, 19_800),
            "2000-03-01T05:30:00+05:30"
        );
        assert_eq!(
            local_time(951_782_400_000_000_000, 0),
            "2000-02-29 00:00:00.000000"
        );
    }

    #[test]
    fn wait_line_quotes_the_id() {
        assert_eq!(
            exited_line("abc", 3),
            "container \"abc\" exited with status code 3"
        );
    }
}
