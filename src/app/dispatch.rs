//! The dispatcher: ONE loop owns all run state. Steps run as futures polled by this loop (no
//! spawned tasks, no shared state); container events come from one stream. A step starts as soon
//! as every step it waits for has met its condition, up to `parallel` engine calls at a time.
//!
//! ```text
//!   Pending --deps done--> Running --ok--> Done
//!      |                      \--err--> Failed --> dependents Skipped (soft edges: satisfied)
//!      |--a hard dep failed--> Skipped
//!      |--Await: deps done--> Waiting --condition met--> Done / --cannot be met--> Failed
//!      \--cancelled (graceful)--> Cancelled      (forced: Running steps are dropped too)
//! ```
//!
//! Waits are driven by events, and also re-read the containers they wait on every [`POLL`]: an
//! event can be missed (a one-shot that exits between the snapshot the plan was made from and the
//! event subscription), and a wait must never hang on one.

use std::collections::{BTreeMap, BTreeSet};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::{BoxStream, FuturesUnordered};
use futures::{FutureExt, StreamExt};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::plan::{Action, Condition, ContainerState, Health, Plan, StepId};

use super::cancel::{Cancel, CancelLevel};
use super::driver::{ContainerEvent, ContainerEventKind, Driver, IdMap, StepCtx, StepOutput};
use super::reporter::{ExecEvent, Reporter, StepPhase};
use super::{ExecError, ExecOptions, RunReport, StepFailure};

#[derive(Debug, Clone, PartialEq, Eq)]
enum NodeState {
    Pending,
    Running,
    Waiting,
    Done,
    Failed(String),
    Skipped(String),
    Cancelled,
}

/// What the dispatcher knows about one replica's container.
#[derive(Debug, Clone, Default)]
struct Status {
    id: String,
    running: bool,
    health: Option<Health>,
    exit_code: Option<i64>,
    /// Has run at least once during (or before) this run.
    started: bool,
    /// A start or restart of it is in flight: what the engine reports may still be the previous
    /// run's, so polls leave it alone.
    busy: bool,
}

enum Verdict {
    Met,
    NotYet,
    Never(String),
}

type StepResult = (StepId, Result<StepOutput, String>);

/// `--wait`: how long a service that is merely running (no healthcheck) must stay up before the
/// wait trusts it (a one-shot that fails at once reports its `die` within this window).
const WAIT_SETTLE: Duration = Duration::from_millis(300);

/// How often a wait re-reads the containers it waits on (as docker compose does).
pub(super) const POLL: Duration = Duration::from_millis(500);

/// Sleeps until `deadline`, or forever without one.
async fn until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => futures::future::pending::<()>().await,
    }
}

fn condition_text(c: Condition) -> &'static str {
    match c {
        Condition::ServiceStarted => "be started",
        Condition::ServiceHealthy => "be healthy",
        Condition::ServiceCompletedSuccessfully => "complete successfully",
    }
}

pub(super) struct Dispatcher<'a> {
    plan: &'a Plan,
    driver: Arc<dyn Driver>,
    reporter: &'a mut dyn Reporter,
    opts: ExecOptions,
    cancel: Cancel,
    state: Vec<NodeState>,
    ids: IdMap,
    status: BTreeMap<(String, u32), Status>,
    created: Vec<String>,
    progress_tx: mpsc::UnboundedSender<(StepId, String)>,
    progress_rx: mpsc::UnboundedReceiver<(StepId, String)>,
    /// `--wait`: the run (dependency waits included) must be ready by then.
    deadline: Option<Instant>,
}

impl<'a> Dispatcher<'a> {
    pub(super) fn new(
        plan: &'a Plan,
        driver: Arc<dyn Driver>,
        reporter: &'a mut dyn Reporter,
        opts: ExecOptions,
        cancel: Cancel,
    ) -> Self {
        let mut ids = IdMap::new();
        let mut status = BTreeMap::new();
        for c in &plan.snapshot {
            ids.insert((c.service.clone(), c.number), c.id.clone());
            status.insert(
                (c.service.clone(), c.number),
                Status {
                    id: c.id.clone(),
                    running: c.state == ContainerState::Running,
                    health: c.health,
                    exit_code: if c.state == ContainerState::Exited {
                        c.exit_code
                    } else {
                        None
                    },
                    started: c.state.is_up() || c.state == ContainerState::Exited,
                    busy: false,
                },
            );
        }
        // Containers the plan touches but keeps (stop/start/restart of existing ones).
        for s in &plan.steps {
            if let Some(c) = container_of(&s.action) {
                if let Some(id) = &c.id {
                    let key = (c.service.clone(), c.number);
                    let replaced_elsewhere = matches!(
                        s.action,
                        Action::StopContainer { .. } | Action::RemoveContainer { .. }
                    );
                    if !replaced_elsewhere {
                        ids.entry(key.clone()).or_insert_with(|| id.clone());
                        status.entry(key).or_insert_with(|| Status {
                            id: id.clone(),
                            ..Status::default()
                        });
                    }
                }
            }
        }
        let (progress_tx, progress_rx) = mpsc::unbounded_channel();
        let deadline = opts.wait.map(|w| Instant::now() + w);
        Dispatcher {
            progress_tx,
            progress_rx,
            deadline,
            state: vec![NodeState::Pending; plan.steps.len()],
            plan,
            driver,
            reporter,
            opts,
            cancel,
            ids,
            status,
            created: Vec::new(),
        }
    }

    fn what(&self, id: StepId) -> String {
        self.plan
            .steps
            .get(id)
            .map(|s| s.action.describe())
            .unwrap_or_default()
    }

    fn set(&mut self, id: StepId, st: NodeState) {
        let phase = match &st {
            NodeState::Running | NodeState::Waiting => Some(StepPhase::Started),
            NodeState::Done => Some(StepPhase::Finished),
            NodeState::Failed(e) => Some(StepPhase::Failed(e.clone())),
            NodeState::Skipped(b) => Some(StepPhase::Skipped(b.clone())),
            NodeState::Cancelled => Some(StepPhase::Cancelled),
            NodeState::Pending => None,
        };
        let ev = phase.and_then(|p| Some(ExecEvent::of_step(self.plan.steps.get(id)?, p)));
        if let Some(slot) = self.state.get_mut(id) {
            *slot = st;
        }
        if let Some(ev) = ev {
            self.reporter.report(ev);
        }
    }

    /// `Some(Ok)` when every dependency is satisfied, `Some(Err(why))` when one can never be,
    /// `None` while waiting.
    fn deps_ready(&self, id: StepId) -> Option<Result<(), String>> {
        let step = self.plan.steps.get(id)?;
        let mut waiting = false;
        for d in &step.deps {
            match self.state.get(d.step) {
                Some(NodeState::Done) => {}
                Some(NodeState::Failed(_)) | Some(NodeState::Skipped(_)) if d.soft => {}
                Some(NodeState::Failed(_)) | Some(NodeState::Skipped(_)) => {
                    return Some(Err(format!("{} failed", self.what(d.step))));
                }
                Some(NodeState::Cancelled) => return Some(Err("cancelled".into())),
                _ => waiting = true,
            }
        }
        if waiting {
            None
        } else {
            Some(Ok(()))
        }
    }

    fn launch(
        &mut self,
        id: StepId,
        running: &mut FuturesUnordered<BoxFuture<'static, StepResult>>,
    ) {
        let Some(step) = self.plan.steps.get(id) else {
            return;
        };
        let container_id = container_of(&step.action).and_then(|c| {
            c.id.clone()
                .or_else(|| self.ids.get(&(c.service.clone(), c.number)).cloned())
        });
        let facts = step
            .action
            .service()
            .and_then(|s| self.plan.services.get(s))
            .cloned();
        if let Action::StartContainer { container } | Action::RestartContainer { container, .. } =
            &step.action
        {
            // A fresh start: forget the previous run's exit and health.
            let st = self
                .status
                .entry((container.service.clone(), container.number))
                .or_default();
            st.exit_code = None;
            st.health = None;
            st.running = false;
            st.busy = true;
        }
        let tx = self.progress_tx.clone();
        let ctx = StepCtx {
            container_id,
            ids: Arc::new(self.ids.clone()),
            facts,
            cancel: self.cancel.clone(),
            progress: Arc::new(move |line: String| {
                let _ = tx.send((id, line));
            }),
        };
        let fut = self.driver.run(step, ctx);
        running.push(fut.map(move |r| (id, r)).boxed());
        self.set(id, NodeState::Running);
    }

    fn on_progress(&mut self, step: StepId, line: String) {
        let service = self
            .plan
            .steps
            .get(step)
            .and_then(|s| s.action.service())
            .unwrap_or_default()
            .to_string();
        self.reporter.report(ExecEvent::Progress {
            step,
            service,
            line,
        });
    }

    /// Reports the progress lines already sent (before a step's end is reported).
    fn drain_progress(&mut self) {
        while let Ok((step, line)) = self.progress_rx.try_recv() {
            self.on_progress(step, line);
        }
    }

    /// `--wait` deadline reached while dependency waits are pending: each fails, naming the
    /// service and its last health check output.
    async fn fail_waits_at_deadline(&mut self) {
        let total = self.opts.wait.unwrap_or_default().as_secs();
        for id in 0..self.state.len() {
            if self.state.get(id) != Some(&NodeState::Waiting) {
                continue;
            }
            let Some(Action::Await {
                service, condition, ..
            }) = self.plan.steps.get(id).map(|s| s.action.clone())
            else {
                continue;
            };
            let first = self.replicas(&service).first().map(|(_, st)| st.id.clone());
            let last = match first {
                Some(cid) => self.driver.last_health_output(&cid).await,
                None => None,
            };
            let mut msg = format!(
                "timed out after {total}s waiting for {service} to {}",
                condition_text(condition)
            );
            if let Some(out) = last.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
                msg.push_str(&format!("; last health check output of {service}: {out}"));
            }
            self.set(id, NodeState::Failed(msg));
        }
    }

    fn on_step_done(&mut self, id: StepId, result: Result<StepOutput, String>) {
        self.drain_progress();
        let Some(step) = self.plan.steps.get(id) else {
            return;
        };
        if let Action::StartContainer { container } | Action::RestartContainer { container, .. } =
            &step.action
        {
            if let Some(st) = self
                .status
                .get_mut(&(container.service.clone(), container.number))
            {
                st.busy = false;
            }
        }
        match result {
            Err(e) => self.set(id, NodeState::Failed(e)),
            Ok(out) => {
                match (&step.action, out) {
                    (
                        Action::CreateContainer {
                            service,
                            number,
                            create_as,
                            ..
                        },
                        StepOutput::Created { id: cid },
                    ) => {
                        self.ids.insert((service.clone(), *number), cid.clone());
                        self.status.insert(
                            (service.clone(), *number),
                            Status {
                                id: cid,
                                ..Status::default()
                            },
                        );
                        self.created.push(format!("container {create_as}"));
                    }
                    (Action::CreateNetwork { name, .. }, _) => {
                        self.created.push(format!("network {name}"))
                    }
                    (Action::CreateVolume { name, .. }, _) => {
                        self.created.push(format!("volume {name}"))
                    }
                    (
                        Action::StartContainer { container }
                        | Action::RestartContainer { container, .. },
                        _,
                    ) => {
                        let st = self
                            .status
                            .entry((container.service.clone(), container.number))
                            .or_default();
                        st.started = true;
                        // A `die` event may already have arrived: don't undo it.
                        if st.exit_code.is_none() {
                            st.running = true;
                        }
                    }
                    (
                        Action::StopContainer { container, .. }
                        | Action::KillContainer { container, .. },
                        _,
                    ) => {
                        if let Some(st) = self
                            .status
                            .get_mut(&(container.service.clone(), container.number))
                        {
                            if container.id.as_deref().is_none_or(|i| i == st.id) {
                                st.running = false;
                            }
                        }
                    }
                    _ => {}
                }
                self.set(id, NodeState::Done);
            }
        }
    }

    fn on_event(&mut self, ev: ContainerEvent) {
        let key = (ev.service.clone(), ev.number);
        let Some(st) = self.status.get_mut(&key) else {
            return;
        };
        // Only the current container of a replica counts (not the one being replaced).
        if st.id != ev.id && !(st.id.len() >= 12 && ev.id.starts_with(&st.id)) {
            return;
        }
        match ev.kind {
            ContainerEventKind::Started => {
                st.running = true;
                st.started = true;
                st.exit_code = None;
            }
            ContainerEventKind::Died { exit_code } => {
                st.running = false;
                st.exit_code = Some(exit_code);
            }
            ContainerEventKind::Health(h) => st.health = Some(h),
            ContainerEventKind::Destroyed => {
                st.running = false;
            }
        }
    }

    /// Re-reads the current containers of `services` from the engine (not those being started).
    async fn poll(&mut self, services: &BTreeSet<String>) {
        let driver = self.driver.clone();
        let asks: FuturesUnordered<_> = self
            .status
            .iter()
            .filter(|((s, _), st)| services.contains(s) && !st.busy && !st.id.is_empty())
            .map(|(key, st)| {
                let (key, id) = (key.clone(), st.id.clone());
                driver.container_now(&id).map(move |now| (key, id, now))
            })
            .collect();
        // Bounded: the loop does nothing else meanwhile (an engine that stopped answering is
        // the step futures' and the deadline's business).
        let answers = tokio::time::timeout(POLL * 10, asks.collect::<Vec<_>>())
            .await
            .unwrap_or_default();
        for (key, id, now) in answers {
            let (Some(now), Some(st)) = (now, self.status.get_mut(&key)) else {
                continue;
            };
            if st.id != id || st.busy {
                continue;
            }
            st.running = now.running;
            st.started |= now.started;
            st.exit_code = now.exit_code;
            if now.health.is_some() {
                st.health = now.health;
            }
        }
    }

    /// The services the waiting gates wait on.
    fn awaited(&self) -> BTreeSet<String> {
        (0..self.state.len())
            .filter(|id| self.state.get(*id) == Some(&NodeState::Waiting))
            .filter_map(|id| match self.plan.steps.get(id).map(|s| &s.action) {
                Some(Action::Await { service, .. }) => Some(service.clone()),
                _ => None,
            })
            .collect()
    }

    fn replicas(&self, service: &str) -> Vec<(&(String, u32), &Status)> {
        let wanted = self.plan.services.get(service).map(|f| f.replicas);
        self.status
            .iter()
            .filter(|((s, n), _)| s == service && wanted.is_none_or(|w| *n <= w))
            .collect()
    }

    fn evaluate(&self, service: &str, condition: Condition) -> Verdict {
        let replicas = self.replicas(service);
        if replicas.is_empty() {
            return Verdict::Never(format!("service {service} has no container"));
        }
        let has_hc = self
            .plan
            .services
            .get(service)
            .is_some_and(|f| f.has_healthcheck);
        let mut all = true;
        for ((_, n), st) in replicas {
            let name = format!("{service} (replica {n})");
            let ok = match condition {
                Condition::ServiceStarted => st.started || st.running,
                Condition::ServiceHealthy => {
                    if !has_hc {
                        return Verdict::Never(format!(
                            "{name} has no healthcheck configured, so it can never be healthy"
                        ));
                    }
                    if let Some(code) = st.exit_code {
                        return Verdict::Never(format!("{name} exited with code {code}"));
                    }
                    if st.health == Some(Health::Unhealthy) {
                        return Verdict::Never(format!("{name} is unhealthy"));
                    }
                    st.health == Some(Health::Healthy)
                }
                Condition::ServiceCompletedSuccessfully => match st.exit_code {
                    Some(0) => true,
                    Some(code) => {
                        return Verdict::Never(format!(
                            "{name} didn't complete successfully: exit {code}"
                        ))
                    }
                    None => false,
                },
            };
            all &= ok;
        }
        if all {
            Verdict::Met
        } else {
            Verdict::NotYet
        }
    }

    /// Re-checks every waiting gate.
    fn check_waits(&mut self) {
        for id in 0..self.state.len() {
            if self.state.get(id) != Some(&NodeState::Waiting) {
                continue;
            }
            let Some(Action::Await {
                service,
                condition,
                required,
            }) = self.plan.steps.get(id).map(|s| &s.action)
            else {
                continue;
            };
            match self.evaluate(service, *condition) {
                Verdict::Met => self.set(id, NodeState::Done),
                Verdict::NotYet => {}
                Verdict::Never(why) => {
                    if !*required {
                        self.reporter.report(ExecEvent::Warning(format!(
                            "optional dependency {service} not satisfied ({why}); continuing"
                        )));
                    }
                    self.set(id, NodeState::Failed(format!("dependency failed: {why}")));
                }
            }
        }
    }

    /// Marks every node in one of `states` cancelled.
    fn cancel_states(&mut self, states: &[NodeState]) {
        for id in 0..self.state.len() {
            if self.state.get(id).is_some_and(|st| states.contains(st)) {
                self.set(id, NodeState::Cancelled);
            }
        }
    }

    /// Launches what is ready, in plan order (at most `parallel` steps at once); a ready wait
    /// starts waiting, a step whose dependency failed is skipped.
    fn launch_ready(
        &mut self,
        running: &mut FuturesUnordered<BoxFuture<'static, StepResult>>,
        parallel: usize,
    ) {
        let mut progressed = true;
        while progressed {
            progressed = false;
            for id in 0..self.state.len() {
                if self.state.get(id) != Some(&NodeState::Pending) {
                    continue;
                }
                match self.deps_ready(id) {
                    None => {}
                    Some(Err(why)) => {
                        self.set(id, NodeState::Skipped(why));
                        progressed = true;
                    }
                    Some(Ok(())) => {
                        let is_wait = matches!(
                            self.plan.steps.get(id).map(|s| &s.action),
                            Some(Action::Await { .. })
                        );
                        if is_wait {
                            self.set(id, NodeState::Waiting);
                            self.check_waits();
                            progressed = true;
                        } else if running.len() < parallel {
                            self.launch(id, running);
                            progressed = true;
                        }
                    }
                }
            }
        }
    }

    /// The report of the steps' final states (a failed optional wait is not a failure).
    fn report(&mut self) -> RunReport {
        let mut report = RunReport {
            created: std::mem::take(&mut self.created),
            ..RunReport::default()
        };
        for (id, st) in self.state.iter().enumerate() {
            let what = self.what(id);
            match st {
                NodeState::Done => report.done.push(id),
                NodeState::Failed(e) => {
                    let optional = matches!(
                        self.plan.steps.get(id).map(|s| &s.action),
                        Some(Action::Await {
                            required: false,
                            ..
                        })
                    );
                    if !optional {
                        report.failed.push(StepFailure {
                            step: id,
                            what,
                            error: e.clone(),
                        });
                    }
                }
                NodeState::Skipped(_) => report.skipped.push(id),
                NodeState::Cancelled | NodeState::Pending => report.cancelled.push(id),
                NodeState::Running | NodeState::Waiting => report.cancelled.push(id),
            }
        }
        report
    }

    /// Runs the plan to the end. Returns the report; the caller turns failures into an error.
    pub(super) async fn run(mut self) -> RunReport {
        let mut events: BoxStream<'static, ContainerEvent> = self.driver.events();
        let mut events_alive = true;
        let mut running: FuturesUnordered<BoxFuture<'static, StepResult>> = FuturesUnordered::new();
        let parallel = self.opts.parallel.max(1);
        let cancel = self.cancel.clone();
        let mut graceful_seen = false;
        let mut next_poll = Instant::now() + POLL;

        loop {
            // Cancellation.
            if cancel.level() >= CancelLevel::Graceful && !graceful_seen {
                graceful_seen = true;
                self.cancel_states(&[NodeState::Pending, NodeState::Waiting]);
            }
            if cancel.level() >= CancelLevel::Forced && !running.is_empty() {
                running = FuturesUnordered::new();
                self.cancel_states(&[NodeState::Running]);
            }

            self.launch_ready(&mut running, parallel);

            let waiting = self.state.contains(&NodeState::Waiting);
            if running.is_empty() && !waiting {
                break;
            }
            if running.is_empty() && waiting && !events_alive {
                for id in 0..self.state.len() {
                    if self.state.get(id) == Some(&NodeState::Waiting) {
                        self.set(
                            id,
                            NodeState::Failed(
                                "lost the engine's event stream while waiting".into(),
                            ),
                        );
                    }
                }
                continue;
            }

            let level = if graceful_seen {
                CancelLevel::Forced
            } else {
                CancelLevel::Graceful
            };
            let deadline = self.deadline;
            tokio::select! {
                biased;
                _ = cancel.reached(level) => {}
                Some((step, line)) = self.progress_rx.recv() => self.on_progress(step, line),
                _ = until(deadline), if waiting => self.fail_waits_at_deadline().await,
                Some((id, result)) = running.next(), if !running.is_empty() => {
                    self.on_step_done(id, result);
                    self.check_waits();
                }
                ev = events.next(), if events_alive => {
                    match ev {
                        Some(ev) => {
                            self.on_event(ev);
                            self.check_waits();
                        }
                        None => events_alive = false,
                    }
                }
                _ = tokio::time::sleep_until(next_poll), if waiting => {
                    let services = self.awaited();
                    self.poll(&services).await;
                    self.check_waits();
                    next_poll = Instant::now() + POLL;
                }
            }
        }

        let mut report = self.report();
        report.cancelled_by_user = cancel.is_cancelled();

        if report.failed.is_empty() && !report.cancelled_by_user {
            if let Some(timeout) = self.opts.wait {
                if let Err(e) = self
                    .wait_ready(timeout, &mut events, &mut events_alive)
                    .await
                {
                    report.wait_error = Some(e);
                }
            }
        }
        report
    }

    /// `--wait`: every service in the plan running (healthy, when it has a healthcheck) or exited
    /// 0, before the deadline. A service that counts only as "running" (no healthcheck) may be a
    /// one-shot about to fail, so the verdict is confirmed after a short settle window in which
    /// the engine's events (a quick `die`) still arrive.
    async fn wait_ready(
        &mut self,
        timeout: Duration,
        events: &mut BoxStream<'static, ContainerEvent>,
        events_alive: &mut bool,
    ) -> Result<(), ExecError> {
        let deadline = self.deadline.unwrap_or_else(|| Instant::now() + timeout);
        let services: Vec<String> = self.plan.services.keys().cloned().collect();
        let mut reported: BTreeSet<String> = BTreeSet::new();
        let mut settle: Option<Instant> = None;
        let mut next_poll = Instant::now() + POLL;
        let cancel = self.cancel.clone();
        loop {
            let mut all = true;
            let mut only_running = false;
            for s in &services {
                match self.ready_verdict(s) {
                    Verdict::Met => {
                        if reported.insert(s.clone()) {
                            self.reporter
                                .report(ExecEvent::Ready { service: s.clone() });
                        }
                        only_running |= self.ready_by_running_only(s);
                    }
                    Verdict::NotYet => all = false,
                    Verdict::Never(why) => {
                        return Err(ExecError::NotReady {
                            service: s.clone(),
                            reason: why,
                        })
                    }
                }
            }
            let mut wake = deadline;
            if all {
                if !only_running || !*events_alive {
                    return Ok(());
                }
                match settle {
                    Some(t) if Instant::now() >= t => return Ok(()),
                    Some(t) => wake = wake.min(t),
                    None => {
                        let t = Instant::now() + WAIT_SETTLE;
                        settle = Some(t);
                        wake = wake.min(t);
                    }
                }
            } else {
                settle = None;
            }
            let sleep = tokio::time::sleep_until(wake);
            let mut sleep: Pin<Box<tokio::time::Sleep>> = Box::pin(sleep);
            tokio::select! {
                biased;
                _ = cancel.reached(CancelLevel::Graceful) => return Err(ExecError::Cancelled),
                ev = events.next(), if *events_alive => match ev {
                    Some(ev) => self.on_event(ev),
                    None => *events_alive = false,
                },
                _ = tokio::time::sleep_until(next_poll), if !all => {
                    let pending: BTreeSet<String> = services
                        .iter()
                        .filter(|s| !matches!(self.ready_verdict(s), Verdict::Met))
                        .cloned()
                        .collect();
                    self.poll(&pending).await;
                    next_poll = Instant::now() + POLL;
                }
                _ = &mut sleep => {
                    if all && wake < deadline {
                        continue; // settled: re-check, then done
                    }
                    let pending: Vec<String> = services
                        .iter()
                        .filter(|s| !matches!(self.ready_verdict(s), Verdict::Met))
                        .cloned()
                        .collect();
                    if pending.is_empty() {
                        return Ok(());
                    }
                    let first = pending.first().cloned().unwrap_or_default();
                    let last_output = match self.replicas(&first).first().map(|(_, st)| st.id.clone()) {
                        Some(id) => self.driver.last_health_output(&id).await,
                        None => None,
                    };
                    return Err(ExecError::WaitTimeout { services: pending, timeout, last_health_output: last_output });
                }
            }
        }
    }

    /// Ready only because its containers run (no healthcheck, not exited): it may still exit.
    fn ready_by_running_only(&self, service: &str) -> bool {
        let has_hc = self
            .plan
            .services
            .get(service)
            .is_some_and(|f| f.has_healthcheck);
        !has_hc
            && self
                .replicas(service)
                .iter()
                .any(|(_, st)| st.exit_code.is_none())
    }

    fn ready_verdict(&self, service: &str) -> Verdict {
        let replicas = self.replicas(service);
        if replicas.is_empty() {
            return Verdict::Never(format!("service {service} has no container"));
        }
        let has_hc = self
            .plan
            .services
            .get(service)
            .is_some_and(|f| f.has_healthcheck);
        let mut all = true;
        for ((_, n), st) in replicas {
            match st.exit_code {
                Some(0) => continue,
                Some(code) => {
                    return Verdict::Never(format!(
                        "{service} (replica {n}) exited with code {code}"
                    ))
                }
                None => {}
            }
            if !st.running {
                all = false;
                continue;
            }
            if has_hc {
                match st.health {
                    Some(Health::Healthy) => {}
                    Some(Health::Unhealthy) => {
                        return Verdict::Never(format!("{service} (replica {n}) is unhealthy"))
                    }
                    _ => all = false,
                }
            }
        }
        if all {
            Verdict::Met
        } else {
            Verdict::NotYet
        }
    }
}

fn container_of(a: &Action) -> Option<&crate::plan::ContainerRef> {
    match a {
        Action::RenameContainer { container, .. }
        | Action::StartContainer { container }
        | Action::StopContainer { container, .. }
        | Action::RestartContainer { container, .. }
        | Action::KillContainer { container, .. }
        | Action::RemoveContainer { container, .. }
        | Action::PauseContainer { container }
        | Action::UnpauseContainer { container } => Some(container),
        _ => None,
    }
}
