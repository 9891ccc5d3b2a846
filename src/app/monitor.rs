//! Following a project's containers: the attached phase of `up` (and `up --watch`) and
//! `logs -f`. The logs of the chosen services' containers come as typed [`MonitorEvent`]s until
//! every one has exited (`end_when_all_exited`), a container exit ends it
//! (`--abort-on-container-exit`, `--exit-code-from`, `--abort-on-container-failure`), a side task
//! (the watcher) fails, or the caller's interrupt (Ctrl-C) fires. A container that restarts is
//! followed again; with `follow_starts` a container that starts later (a recreate, a scale-up, a
//! rebuild by watch) is followed too, from its start.
//!
//! Stopping the stack afterwards is the caller's (it is `ops::stop`). Rendering is the cli's.
//! Must not import `cli` or `loader`; prints nothing.

use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use std::sync::Arc;

use futures::stream::{BoxStream, SelectAll, StreamExt};

use super::logs::{self, LogEvent, LogTarget};
use super::query::{self, QueryError};
use crate::engine::{
    Engine, EngineEvent, EventAction, EventFilter, EventKind, LabelFilter, LogOptions,
};
use crate::model::labels;

/// What the monitor follows and when it ends.
#[derive(Debug, Clone, Default)]
pub struct MonitorOptions {
    /// The services whose containers are followed (`None`: every service).
    pub attached: Option<BTreeSet<String>>,
    /// Only the container with this number (`logs --index`).
    pub index: Option<u32>,
    /// How the logs there already are are read (`--tail`, `--since`, `--until`, `--timestamps`);
    /// the streams always follow.
    pub log: LogOptions,
    /// Follow containers that start later.
    pub follow_starts: bool,
    /// End when every followed container has exited (attached `up`, `logs -f`); without it only
    /// an abort flag, the side task or the interrupt ends it (`up --watch`).
    pub end_when_all_exited: bool,
    /// `--exit-code-from SERVICE`: its exit ends the monitor and is the exit code.
    pub exit_code_from: Option<String>,
    /// `--abort-on-container-exit`.
    pub abort_on_exit: bool,
    /// `--abort-on-container-failure`.
    pub abort_on_failure: bool,
}

impl MonitorOptions {
    /// Whether containers of `service` are followed.
    fn follows(&self, service: &str) -> bool {
        self.attached.as_ref().is_none_or(|a| a.contains(service))
    }

    /// What a container of `service` exiting with `code` does: the exit code reported from now
    /// on, if that changes, and whether it ends the monitor.
    pub fn on_container_exit(&self, service: &str, code: i64) -> (Option<i32>, bool) {
        let aborts = self.abort_on_exit || self.exit_code_from.is_some();
        let selected = self.exit_code_from.as_deref().is_none_or(|s| s == service);
        let failed = self.abort_on_failure && code != 0;
        let code32 = i32::try_from(code).unwrap_or(1);
        let reported = ((aborts && selected) || failed).then_some(code32);
        (reported, aborts || failed)
    }
}

/// What the monitor reports, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MonitorEvent {
    /// The containers shown (indexes of `Line`/`Exited` point into it); first the initial set
    /// (`first`), then again each time a container that started later adds a prefix.
    Shown {
        targets: Vec<LogTarget>,
        first: bool,
    },
    /// A line of output of shown container `display`.
    Line { display: usize, text: String },
    /// Shown container `display` exited with `code`.
    Exited { display: usize, code: i64 },
    /// Something worth a note on the progress display.
    Note(String),
}

/// Why the monitor ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorEnd {
    /// Every followed container exited (only with `end_when_all_exited`).
    AllExited,
    /// A container exit ended it, or the side task failed.
    Aborted,
    /// The interrupt fired.
    Interrupted,
}

/// How the monitor ended, and the exit code its containers reported (`None`: none did).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Monitored {
    pub end: MonitorEnd,
    pub exit_code: Option<i32>,
    /// The side task finished (with or without an error) before the monitor ended.
    pub side_finished: bool,
}

/// How long the monitor waits, once every followed container has exited, for one to start again
/// before it ends (with `follow_starts`).
pub const ALL_EXITED_GRACE: std::time::Duration = std::time::Duration::from_millis(1500);

/// One followed log stream: which container, shown under which prefix.
struct Feed {
    id: String,
    display: usize,
}

/// The state of one monitor run.
struct Monitor<'a> {
    engine: Arc<dyn Engine>,
    project: &'a str,
    opts: &'a MonitorOptions,
    shown: Vec<LogTarget>,
    feeds: Vec<Feed>,
    live: HashSet<String>,
    streams: SelectAll<BoxStream<'static, LogEvent>>,
    exit_code: Option<i32>,
}

/// Follows the attached containers of `project` (see the module doc) until it ends; `side` (the
/// watcher) runs alongside — `Some(message)` from it means it failed, which ends the monitor —
/// and `interrupt` resolving ends it too.
pub async fn monitor(
    engine: Arc<dyn Engine>,
    project: &str,
    opts: &MonitorOptions,
    side: Option<std::pin::Pin<&mut (dyn Future<Output = Option<String>> + '_)>>,
    interrupt: impl Future<Output = ()>,
    emit: &mut dyn FnMut(MonitorEvent),
) -> Result<Monitored, QueryError> {
    let mut containers = query::service_containers(engine.as_ref(), project).await?;
    containers.retain(|c| {
        c.labels
            .get(labels::SERVICE)
            .is_some_and(|sv| opts.follows(sv))
            && opts
                .index
                .is_none_or(|i| c.labels.get(labels::CONTAINER_NUMBER) == Some(&i.to_string()))
    });
    // Subscribed before the logs are: no start is missed in between.
    let mut starts = if opts.follow_starts {
        Some(engine.events(&EventFilter {
            labels: LabelFilter::project(project),
            kinds: vec!["container".to_string()],
            ..Default::default()
        }))
    } else {
        None
    };
    let shown = logs::targets(project, &containers);
    emit(MonitorEvent::Shown {
        targets: shown.clone(),
        first: true,
    });
    let log_opts = LogOptions {
        follow: true,
        ..opts.log.clone()
    };
    let mut m = Monitor {
        feeds: shown
            .iter()
            .enumerate()
            .map(|(i, t)| Feed {
                id: t.id.clone(),
                display: i,
            })
            .collect(),
        live: shown.iter().map(|t| t.id.clone()).collect(),
        streams: SelectAll::new(),
        engine,
        project,
        opts,
        shown,
        exit_code: None,
    };
    m.streams
        .push(logs::multiplex(Arc::clone(&m.engine), &m.shown, &log_opts));
    let mut side = side;
    let mut side_finished = false;
    tokio::pin!(interrupt);
    // When every followed container has exited and later starts are followed, the end waits
    // [`ALL_EXITED_GRACE`]: a restart (stop, then start) or a recreate passes through a moment
    // when nothing runs.
    let mut all_exited_at: Option<tokio::time::Instant> = None;
    let end = loop {
        if !opts.end_when_all_exited || !m.live.is_empty() {
            all_exited_at = None;
        } else if starts.is_none() {
            break MonitorEnd::AllExited;
        } else {
            all_exited_at.get_or_insert_with(tokio::time::Instant::now);
        }
        let grace_end = all_exited_at.map(|t| t + ALL_EXITED_GRACE);
        tokio::select! {
            _ = async { tokio::time::sleep_until(grace_end.expect("guarded")).await }, if grace_end.is_some() => {
                break MonitorEnd::AllExited;
            }
            r = async { side.as_mut().expect("guarded").as_mut().await }, if side.is_some() && !side_finished => {
                side_finished = true;
                if let Some(message) = r {
                    emit(MonitorEvent::Note(message));
                    m.exit_code = Some(1);
                    break MonitorEnd::Aborted;
                }
            }
            Some(ev) = m.streams.next(), if !m.streams.is_empty() => {
                if m.on_log(ev, emit).await {
                    emit(MonitorEvent::Note("Aborting on container exit...".to_string()));
                    break MonitorEnd::Aborted;
                }
            }
            ev = async { starts.as_mut().expect("guarded").next().await }, if starts.is_some() => match ev {
                Some(Ok(ev)) => m.on_start(ev, emit),
                Some(Err(e)) => {
                    emit(MonitorEvent::Note(format!("cannot follow restarted containers: {e}")));
                    starts = None;
                }
                None => starts = None,
            },
            _ = &mut interrupt => break MonitorEnd::Interrupted,
        }
    };
    Ok(Monitored {
        end,
        exit_code: m.exit_code,
        side_finished,
    })
}

impl Monitor<'_> {
    /// Handles one log event; `true` when a container exit ends the monitor.
    async fn on_log(&mut self, ev: LogEvent, emit: &mut dyn FnMut(MonitorEvent)) -> bool {
        match ev {
            LogEvent::Line { target, text } => {
                if let Some(f) = self.feeds.get(target) {
                    emit(MonitorEvent::Line {
                        display: f.display,
                        text,
                    });
                }
                false
            }
            LogEvent::Error { target, message } => {
                if let Some(f) = self.feeds.get(target) {
                    let label = self
                        .shown
                        .get(f.display)
                        .map(|t| t.label.as_str())
                        .unwrap_or("?");
                    emit(MonitorEvent::Note(format!(
                        "cannot read the output of {label}: {message}"
                    )));
                    self.live.remove(&f.id);
                }
                false
            }
            LogEvent::Ended { target } => {
                let Some((id, display)) = self.feeds.get(target).map(|f| (f.id.clone(), f.display))
                else {
                    return false;
                };
                self.live.remove(&id);
                let state = self.engine.inspect_container(&id).await.ok();
                if state
                    .as_ref()
                    .is_some_and(|d| d.state.running || d.state.restarting)
                {
                    // Restarted (a restart policy): follow it again from now.
                    self.follow(id, display, now_secs());
                    return false;
                }
                let code = state.map(|d| d.state.exit_code).unwrap_or(0);
                emit(MonitorEvent::Exited { display, code });
                let service = self
                    .shown
                    .get(display)
                    .map(|t| t.service.clone())
                    .unwrap_or_default();
                let (reported, abort) = self.opts.on_container_exit(&service, code);
                if reported.is_some() {
                    self.exit_code = reported;
                }
                abort
            }
        }
    }

    /// A container of the project started: follow it if it is an attached service's and not
    /// followed yet.
    fn on_start(&mut self, ev: EngineEvent, emit: &mut dyn FnMut(MonitorEvent)) {
        if ev.kind != EventKind::Container || ev.action != EventAction::Start {
            return;
        }
        let service = ev
            .attributes
            .get(labels::SERVICE)
            .cloned()
            .unwrap_or_default();
        let oneoff = ev
            .attributes
            .get(labels::ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let number: u32 = ev
            .attributes
            .get(labels::CONTAINER_NUMBER)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        if oneoff
            || !self.opts.follows(&service)
            || self.opts.index.is_some_and(|i| i != number)
            || self.live.contains(&ev.id)
        {
            return;
        }
        let name = ev
            .name
            .clone()
            .unwrap_or_else(|| ev.id.chars().take(12).collect());
        let label = logs::display_name(self.project, &service, number, &name);
        let display = match self.shown.iter().position(|t| t.label == label) {
            Some(i) => i,
            None => {
                self.shown.push(LogTarget {
                    id: ev.id.clone(),
                    service,
                    label,
                });
                emit(MonitorEvent::Shown {
                    targets: self.shown.clone(),
                    first: false,
                });
                self.shown.len() - 1
            }
        };
        self.follow(ev.id, display, ev.time_nano.div_euclid(1_000_000_000));
    }

    /// Follows container `id` under prefix `display` from `since` (seconds since the epoch).
    fn follow(&mut self, id: String, display: usize, since: i64) {
        self.feeds.push(Feed {
            id: id.clone(),
            display,
        });
        let Some(shown) = self.shown.get(display) else {
            return;
        };
        let t = LogTarget {
            id: id.clone(),
            ..shown.clone()
        };
        self.streams.push(logs::follow_again(
            Arc::clone(&self.engine),
            self.feeds.len() - 1,
            &t,
            since,
        ));
        self.live.insert(id);
    }
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_exits_follow_the_abort_flags() {
        let plain = MonitorOptions::default();
        assert_eq!(plain.on_container_exit("web", 3), (None, false));
        let abort = MonitorOptions {
            abort_on_exit: true,
            ..Default::default()
        };
        assert_eq!(abort.on_container_exit("web", 3), (Some(3), true));
        let from = MonitorOptions {
            exit_code_from: Some("test".into()),
            ..Default::default()
        };
        assert_eq!(from.on_container_exit("web", 3), (None, true));
        assert_eq!(from.on_container_exit("test", 4), (Some(4), true));
        let failure = MonitorOptions {
            abort_on_failure: true,
            ..Default::default()
        };
        assert_eq!(failure.on_container_exit("web", 0), (None, false));
        assert_eq!(failure.on_container_exit("web", 2), (Some(2), true));
    }
}
