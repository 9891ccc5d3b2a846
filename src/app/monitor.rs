//! Following a project's containers: the attached phase of `up` (and `up --watch`) and
//! `logs -f`. The logs of the chosen services' containers come as typed [`MonitorEvent`]s until
//! every one has exited (`end_when_all_exited`), a container exit ends it
//! (`--abort-on-container-exit`, `--exit-code-from`, `--abort-on-container-failure`), a side task
//! (the watcher) fails, `--until` passes, or the caller's interrupt (Ctrl-C) fires.
//!
//! With `follow_starts` the engine's container events drive it: a `start` of a followed
//! container (a restart) follows it again, a `start` of a new container of a followed service (a
//! recreate's replacement, a scale-up, a rebuild by watch) follows that from its start, a `die`
//! shows `web-1 exited with code N` once the stream has delivered its last lines, and a container
//! removed (scale-down) ends with its stream. Streams always ask the engine for timestamps (shown
//! only with `--timestamps`): the last one shown per container is kept, and a later stream of the
//! same container asks `since` that second and skips every line up to and including it, so no
//! line is lost or shown twice at a switch. One stream per container at a time: a restart seen
//! while the old stream still delivers waits for its end.
//!
//! Stopping the stack afterwards is the caller's (it is `ops::stop`). Rendering is the cli's.
//! Must not import `cli` or `loader`; prints nothing.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;

use futures::stream::{abortable, AbortHandle, BoxStream, SelectAll, StreamExt};

use super::logs::{self, LogEvent, LogTarget};
use super::query::{self, QueryError};
use crate::engine::{
    Engine, EngineEvent, EventAction, EventFilter, EventKind, LabelFilter, LogOptions,
};
use crate::model::labels;
use crate::model::ContainerState;

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
    /// Follow containers that start later, and every container again when it restarts (from
    /// the engine's events).
    pub follow_starts: bool,
    /// Containers not running at the start are waited for, not counted as exited (`logs -f`,
    /// as docker compose v5 does): a later start of one is followed.
    pub wait_for_stopped: bool,
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
/// before it ends (with `follow_starts`). A window is unavoidable here: `restart` (the engine's,
/// and a stop then a start) passes through `die` and `stop` exactly as a plain `stop` does, and
/// nothing says whether a `start` follows. A recreate needs no window: the replacement is
/// created (`create` with the `replace` label) before the old container stops.
pub const ALL_EXITED_GRACE: std::time::Duration = std::time::Duration::from_millis(1500);

/// [`ALL_EXITED_GRACE`] when the last container to exit was being stopped (a `kill` event came
/// first, as for every `stop` and `restart`): the engine's restart takes its stop and its start
/// in turn, and a busy machine can take a second between them.
pub const STOPPED_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// With `--until`, how long after that moment the last reads start: the engine stamps a line
/// when it reads it from the container and writes it to the log a moment later.
pub const UNTIL_SETTLE: std::time::Duration = std::time::Duration::from_millis(500);

/// Where a followed container is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    /// Running, or restarting under its restart policy: its end is awaited.
    Running,
    /// Not running when `logs -f` began (`wait_for_stopped`): a start is awaited, as v5 does.
    Waiting,
    /// Exited (or removed): nothing awaited.
    Exited,
}

/// One container of a followed service.
struct Track {
    id: String,
    display: usize,
    service: String,
    run: Run,
    /// The generation of its open log stream.
    stream: Option<u64>,
    /// It started again while its previous stream was still open: follow it again once that
    /// stream ends.
    refollow: bool,
    /// A `die` came since its stream was opened: a `start` now is a new run, not one the open
    /// stream already covers (as a start replayed from just before the listing is).
    died: bool,
    /// The exit code of a `die` not shown yet (its stream is still delivering lines).
    exit_pending: Option<i64>,
    /// Exited before the monitor began (attached `up`): its exit code is read when its stream
    /// ends.
    inspect_on_end: bool,
    /// The engine's timestamp (ns) of the last line shown: a later stream of this container asks
    /// `since` that second and skips lines up to and including it.
    seen_through: Option<i128>,
    /// Its logs cannot be read (a log driver such as `none`): reported once, never followed
    /// again.
    unreadable: bool,
}

/// The state of one monitor run.
struct Monitor<'a> {
    engine: Arc<dyn Engine>,
    project: &'a str,
    opts: &'a MonitorOptions,
    shown: Vec<LogTarget>,
    tracks: Vec<Track>,
    /// Open stream generation -> track index, and the handle that drops the stream.
    streams_of: HashMap<u64, (usize, AbortHandle)>,
    next_gen: u64,
    streams: SelectAll<BoxStream<'static, LogEvent>>,
    /// Containers created to replace a followed one, not started yet.
    successors: HashSet<String>,
    /// The engine's events are being received (`die`/`start` drive the tracks).
    events_live: bool,
    /// `--until` has passed: the last bounded reads run, nothing is followed any more.
    until_passed: bool,
    /// A followed container was told to stop (`kill`) since the last start: the end waits
    /// [`STOPPED_GRACE`].
    stopping: bool,
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
    // Subscribed from a moment before the listing (the engine replays what came since): no
    // start or exit between the listing and the subscription is missed. A replayed event the
    // listing already shows changes nothing (see `on_event`).
    let mut events = if opts.follow_starts {
        Some(engine.events(&EventFilter {
            labels: LabelFilter::project(project),
            kinds: vec!["container".to_string()],
            since: Some(now_secs()),
            ..Default::default()
        }))
    } else {
        None
    };
    let mut containers = query::service_containers(engine.as_ref(), project).await?;
    containers.retain(|c| {
        c.labels
            .get(labels::SERVICE)
            .is_some_and(|sv| opts.follows(sv))
            && opts
                .index
                .is_none_or(|i| c.labels.get(labels::CONTAINER_NUMBER) == Some(&i.to_string()))
    });
    let shown = logs::targets(project, &containers);
    emit(MonitorEvent::Shown {
        targets: shown.clone(),
        first: true,
    });
    let nothing_followed = shown.is_empty();
    let mut m = Monitor {
        tracks: Vec::new(),
        streams_of: HashMap::new(),
        next_gen: 0,
        streams: SelectAll::new(),
        successors: HashSet::new(),
        events_live: events.is_some(),
        until_passed: false,
        stopping: false,
        engine,
        project,
        opts,
        shown: shown.clone(),
        exit_code: None,
    };
    for (i, (t, c)) in shown.iter().zip(&containers).enumerate() {
        let running = matches!(
            c.state,
            ContainerState::Running | ContainerState::Restarting
        );
        m.tracks.push(Track {
            id: t.id.clone(),
            display: i,
            service: t.service.clone(),
            run: if running {
                Run::Running
            } else if opts.wait_for_stopped {
                Run::Waiting
            } else {
                Run::Exited
            },
            stream: None,
            refollow: false,
            died: false,
            exit_pending: None,
            inspect_on_end: !running && !opts.wait_for_stopped,
            seen_through: None,
            unreadable: false,
        });
        let initial = LogOptions {
            follow: true,
            timestamps: true,
            ..opts.log.clone()
        };
        m.open(i, initial);
    }
    let mut side = side;
    let mut side_finished = false;
    tokio::pin!(interrupt);
    let until_at = opts.log.until.map(|u| {
        let wait = u.saturating_mul(1_000_000_000) as i128 - now_nanos();
        tokio::time::Instant::now()
            + std::time::Duration::from_nanos(u64::try_from(wait).unwrap_or(0))
            + UNTIL_SETTLE
    });
    // When every followed container has exited and later starts are followed, the end waits
    // [`ALL_EXITED_GRACE`], or [`STOPPED_GRACE`] after a stop (see there).
    let mut all_exited_at: Option<tokio::time::Instant> = None;
    let end = loop {
        if opts.end_when_all_exited && nothing_followed {
            break MonitorEnd::AllExited;
        }
        if m.until_passed && m.streams_of.is_empty() {
            break MonitorEnd::AllExited;
        }
        if !opts.end_when_all_exited || !m.all_exited() {
            all_exited_at = None;
        } else if !m.events_live {
            break MonitorEnd::AllExited;
        } else {
            all_exited_at.get_or_insert_with(tokio::time::Instant::now);
        }
        let grace = if m.stopping {
            STOPPED_GRACE
        } else {
            ALL_EXITED_GRACE
        };
        let grace_end = all_exited_at.map(|t| t + grace);
        let until_due = until_at.filter(|_| !m.until_passed);
        tokio::select! {
            _ = async { tokio::time::sleep_until(grace_end.expect("guarded")).await }, if grace_end.is_some() => {
                break MonitorEnd::AllExited;
            }
            _ = async { tokio::time::sleep_until(until_due.expect("guarded")).await }, if until_due.is_some() => {
                m.until_reached();
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
            ev = async { events.as_mut().expect("guarded").next().await }, if events.is_some() => match ev {
                Some(Ok(ev)) => {
                    if m.on_event(ev, emit).await {
                        emit(MonitorEvent::Note("Aborting on container exit...".to_string()));
                        break MonitorEnd::Aborted;
                    }
                }
                Some(Err(e)) => {
                    emit(MonitorEvent::Note(format!("cannot follow restarted containers: {e}")));
                    events = None;
                    m.events_live = false;
                }
                None => {
                    events = None;
                    m.events_live = false;
                }
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
    /// Nothing runs, nothing is awaited, every stream has ended.
    fn all_exited(&self) -> bool {
        self.successors.is_empty()
            && self
                .tracks
                .iter()
                .all(|t| t.run == Run::Exited && t.stream.is_none())
    }

    /// Opens a log stream of track `ti` with `log` (unless it cannot be read, or `--until` has
    /// passed).
    fn open(&mut self, ti: usize, log: LogOptions) {
        let Some(t) = self.tracks.get_mut(ti) else {
            return;
        };
        if t.unreadable || t.stream.is_some() {
            return;
        }
        let g = self.next_gen;
        self.next_gen += 1;
        t.stream = Some(g);
        t.refollow = false;
        t.died = false;
        let (stream, handle) = abortable(logs::one(
            Arc::clone(&self.engine),
            usize::try_from(g).unwrap_or(usize::MAX),
            t.id.clone(),
            log,
        ));
        self.streams_of.insert(g, (ti, handle));
        self.streams.push(stream.boxed());
    }

    /// Follows track `ti` again: from the second of the last line shown (the lines up to it are
    /// skipped), else from `from` (seconds), else as the user asked.
    fn follow_again(&mut self, ti: usize, from: Option<i64>) {
        let Some(t) = self.tracks.get(ti) else {
            return;
        };
        let since = t
            .seen_through
            .map(|ns| i64::try_from(ns.div_euclid(1_000_000_000)).unwrap_or(0))
            .or(from)
            .or(self.opts.log.since);
        self.open(
            ti,
            LogOptions {
                follow: true,
                timestamps: true,
                tail: None,
                since,
                until: self.opts.log.until,
            },
        );
    }

    /// `--until` has passed (and settled): every open stream is replaced by a bounded read up to
    /// it, and nothing is followed any more.
    fn until_reached(&mut self) {
        self.until_passed = true;
        let open: Vec<(u64, usize)> = self
            .streams_of
            .iter()
            .map(|(g, (ti, _))| (*g, *ti))
            .collect();
        for (g, ti) in open {
            if let Some((_, h)) = self.streams_of.remove(&g) {
                h.abort();
            }
            let Some(t) = self.tracks.get_mut(ti) else {
                continue;
            };
            t.stream = None;
            let since = t
                .seen_through
                .map(|ns| i64::try_from(ns.div_euclid(1_000_000_000)).unwrap_or(0))
                .or(self.opts.log.since);
            let tail = if t.seen_through.is_some() {
                None
            } else {
                self.opts.log.tail
            };
            self.open(
                ti,
                LogOptions {
                    follow: false,
                    timestamps: true,
                    tail,
                    since,
                    until: self.opts.log.until,
                },
            );
        }
    }

    /// The text to show for a line of track `ti`, or `None` when it was shown already (or is
    /// past `--until`).
    fn accept(&mut self, ti: usize, text: String) -> Option<String> {
        let until = self
            .opts
            .log
            .until
            .map(|u| i128::from(u).saturating_mul(1_000_000_000));
        let keep_stamp = self.opts.log.timestamps;
        let t = self.tracks.get_mut(ti)?;
        let Some((ns, rest)) = logs::split_timestamp(&text) else {
            return Some(text);
        };
        if t.seen_through.is_some_and(|s| ns <= s) || until.is_some_and(|u| ns > u) {
            return None;
        }
        t.seen_through = Some(ns);
        Some(if keep_stamp { text } else { rest.to_string() })
    }

    /// Shows the exit of track `ti` with `code`; `true` when it ends the monitor.
    fn exited(&mut self, ti: usize, code: i64, emit: &mut dyn FnMut(MonitorEvent)) -> bool {
        let Some(t) = self.tracks.get(ti) else {
            return false;
        };
        emit(MonitorEvent::Exited {
            display: t.display,
            code,
        });
        let (reported, abort) = self.opts.on_container_exit(&t.service, code);
        if reported.is_some() {
            self.exit_code = reported;
        }
        abort
    }

    /// Handles one log event; `true` when a container exit ends the monitor.
    async fn on_log(&mut self, ev: LogEvent, emit: &mut dyn FnMut(MonitorEvent)) -> bool {
        let g = match &ev {
            LogEvent::Line { target, .. }
            | LogEvent::Error { target, .. }
            | LogEvent::Ended { target } => *target as u64,
        };
        let Some(&(ti, _)) = self.streams_of.get(&g) else {
            return false; // a stream replaced meanwhile
        };
        match ev {
            LogEvent::Line { text, .. } => {
                if let Some(text) = self.accept(ti, text) {
                    let display = self.tracks[ti].display;
                    emit(MonitorEvent::Line { display, text });
                }
                false
            }
            LogEvent::Error { message, .. } => {
                let t = &mut self.tracks[ti];
                if !t.unreadable && !message.to_ascii_lowercase().contains("no such container") {
                    let label = self
                        .shown
                        .get(t.display)
                        .map(|s| s.label.as_str())
                        .unwrap_or("?");
                    emit(MonitorEvent::Note(format!(
                        "cannot read the output of {label}: {message}"
                    )));
                }
                t.unreadable = true;
                false
            }
            LogEvent::Ended { .. } => {
                self.streams_of.remove(&g);
                let t = &mut self.tracks[ti];
                t.stream = None;
                if self.until_passed {
                    return false;
                }
                if let Some(code) = t.exit_pending.take() {
                    let refollow = t.refollow;
                    if self.exited(ti, code, emit) {
                        return true;
                    }
                    if refollow {
                        self.follow_again(ti, None);
                    }
                    return false;
                }
                if t.refollow {
                    self.follow_again(ti, None);
                    return false;
                }
                if t.inspect_on_end {
                    t.inspect_on_end = false;
                    let code = self
                        .engine
                        .inspect_container(&t.id)
                        .await
                        .map(|d| d.state.exit_code)
                        .unwrap_or(0);
                    return self.exited(ti, code, emit);
                }
                if t.run != Run::Running || self.events_live {
                    // Its `die` (or a start) is still to come, or nothing is awaited.
                    return false;
                }
                // No events: the engine's word now decides.
                let id = t.id.clone();
                let state = self.engine.inspect_container(&id).await.ok();
                if state
                    .as_ref()
                    .is_some_and(|d| d.state.running || d.state.restarting)
                {
                    self.follow_again(ti, Some(now_secs()));
                    return false;
                }
                self.tracks[ti].run = Run::Exited;
                let code = state.map(|d| d.state.exit_code).unwrap_or(0);
                self.exited(ti, code, emit)
            }
        }
    }

    /// A container event of the project; `true` when a container exit ends the monitor.
    async fn on_event(&mut self, ev: EngineEvent, emit: &mut dyn FnMut(MonitorEvent)) -> bool {
        if ev.kind != EventKind::Container || self.until_passed {
            return false;
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
        if oneoff || !self.opts.follows(&service) || self.opts.index.is_some_and(|i| i != number) {
            return false;
        }
        let tracked = self.tracks.iter().position(|t| t.id == ev.id);
        match (&ev.action, tracked) {
            (EventAction::Kill, Some(_)) => {
                self.stopping = true;
                false
            }
            (EventAction::Start, Some(ti)) => {
                self.stopping = false;
                let t = &mut self.tracks[ti];
                let from = t
                    .seen_through
                    .is_none()
                    .then(|| ev.time_nano.div_euclid(1_000_000_000));
                if t.seen_through.is_none() && t.stream.is_none() {
                    // Nothing of it shown, no stream delivering: its earlier lines were all read
                    // (or cut by --tail) — show this run's, from its start.
                    t.seen_through = Some(i128::from(ev.time_nano) - 1);
                }
                let was = t.run;
                t.run = Run::Running;
                if t.stream.is_some() {
                    // A stopped container's first stream may end before or after this start.
                    if t.died || was == Run::Waiting {
                        t.refollow = true;
                    }
                } else {
                    self.follow_again(ti, from);
                }
                false
            }
            (EventAction::Start, None) => {
                self.stopping = false;
                self.successors.remove(&ev.id);
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
                            service: service.clone(),
                            label,
                        });
                        emit(MonitorEvent::Shown {
                            targets: self.shown.clone(),
                            first: false,
                        });
                        self.shown.len() - 1
                    }
                };
                self.tracks.push(Track {
                    id: ev.id.clone(),
                    display,
                    service,
                    run: Run::Running,
                    stream: None,
                    refollow: false,
                    died: false,
                    exit_pending: None,
                    inspect_on_end: false,
                    seen_through: None,
                    unreadable: false,
                });
                // A new container: everything it logged is from its start.
                self.follow_again(self.tracks.len() - 1, None);
                false
            }
            (EventAction::Die, Some(ti)) => {
                if self.tracks[ti].run != Run::Running {
                    return false; // replayed: the listing showed it stopped
                }
                let restarting = self
                    .engine
                    .inspect_container(&ev.id)
                    .await
                    .is_ok_and(|d| d.state.restarting);
                let code = ev.exit_code.unwrap_or(0);
                let t = &mut self.tracks[ti];
                if !restarting {
                    t.run = Run::Exited;
                }
                if t.stream.is_some() {
                    t.died = true;
                    // An earlier exit still waiting for this stream's end is shown now rather
                    // than lost.
                    if let Some(earlier) = t.exit_pending.replace(code) {
                        return self.exited(ti, earlier, emit);
                    }
                    false
                } else {
                    self.exited(ti, code, emit)
                }
            }
            (EventAction::Destroy, _) => {
                self.successors.remove(&ev.id);
                if let Some(ti) = tracked {
                    self.tracks[ti].run = Run::Exited;
                }
                false
            }
            (EventAction::Create, None) => {
                let replaces = ev.attributes.get(labels::REPLACE);
                if replaces.is_some_and(|r| {
                    self.tracks.iter().any(|t| {
                        !r.is_empty() && (t.id.starts_with(r.as_str()) || r.starts_with(&t.id))
                    })
                }) {
                    self.successors.insert(ev.id.clone());
                }
                false
            }
            _ => false,
        }
    }
}

fn now_nanos() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

fn now_secs() -> i64 {
    i64::try_from(now_nanos().div_euclid(1_000_000_000)).unwrap_or(0)
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
