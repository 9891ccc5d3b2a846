//! The dispatcher against a scripted driver, with paused tokio time: order, conditions learned
//! from events, parallelism bound, failure propagation, optional dependencies, cancellation,
//! healthy-late dependencies, the `--wait` deadline, and waits that re-read containers whose
//! events were missed.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use rcompose::app::{
    execute, run_plan, Cancel, ContainerEvent, ContainerEventKind, ContainerNow, Driver, ExecError,
    ExecEvent, ExecOptions, RecordingReporter, StepCtx, StepOutput,
};
use rcompose::plan::{
    plan_canonical, plan_desired, Action, ContainerState, Desired, Health, Intent, Observed,
    ObservedContainer, Plan, Step,
};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// How a service's containers behave once started.
#[derive(Clone, Default)]
struct Behaviour {
    healthy_after: Option<Duration>,
    unhealthy_after: Option<Duration>,
    exit_after: Option<(Duration, i64)>,
    /// Its exit and health changes happen (an inspect sees them) but their events never reach
    /// the stream.
    events_lost: bool,
}

struct Inner {
    t0: Instant,
    step_time: Duration,
    slow: HashMap<String, Duration>,
    fail: HashSet<String>,
    behaviour: HashMap<String, Behaviour>,
    log: Mutex<Vec<(u128, String)>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    tx: mpsc::UnboundedSender<ContainerEvent>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<ContainerEvent>>>,
    /// What an inspect of each container id reports now.
    engine: Arc<Mutex<HashMap<String, ContainerNow>>>,
}

/// The engine's view of a container after `kind` happened to it.
fn apply(now: &mut ContainerNow, kind: &ContainerEventKind) {
    match kind {
        ContainerEventKind::Started => {
            now.running = true;
            now.started = true;
            now.exit_code = None;
        }
        ContainerEventKind::Died { exit_code } => {
            now.running = false;
            now.exit_code = Some(*exit_code);
        }
        ContainerEventKind::Health(h) => now.health = Some(*h),
        ContainerEventKind::Destroyed => now.running = false,
    }
}

#[derive(Clone)]
struct Script(Arc<Inner>);

impl Script {
    fn builder() -> ScriptBuilder {
        ScriptBuilder {
            step_time: Duration::from_millis(100),
            slow: HashMap::new(),
            fail: HashSet::new(),
            behaviour: HashMap::new(),
            engine: HashMap::new(),
        }
    }
    fn log(&self) -> Vec<(u128, String)> {
        self.0.log.lock().map(|g| g.clone()).unwrap_or_default()
    }
    /// Time (ms since start) at which a step with this description finished.
    fn finished(&self, what: &str) -> Option<u128> {
        self.log()
            .into_iter()
            .find(|(_, l)| l == &format!("end {what}"))
            .map(|(t, _)| t)
    }
    fn began(&self, what: &str) -> Option<u128> {
        self.log()
            .into_iter()
            .find(|(_, l)| l == &format!("begin {what}"))
            .map(|(t, _)| t)
    }
}

struct ScriptBuilder {
    step_time: Duration,
    slow: HashMap<String, Duration>,
    fail: HashSet<String>,
    behaviour: HashMap<String, Behaviour>,
    engine: HashMap<String, ContainerNow>,
}

impl ScriptBuilder {
    /// A container the engine already has, as an inspect reports it.
    fn existing(mut self, id: &str, now: ContainerNow) -> Self {
        self.engine.insert(id.to_string(), now);
        self
    }
    fn fail(mut self, what: &str) -> Self {
        self.fail.insert(what.to_string());
        self
    }
    fn slow(mut self, what: &str, d: Duration) -> Self {
        self.slow.insert(what.to_string(), d);
        self
    }
    fn service(mut self, name: &str, b: Behaviour) -> Self {
        self.behaviour.insert(name.to_string(), b);
        self
    }
    fn build(self) -> Script {
        let (tx, rx) = mpsc::unbounded_channel();
        Script(Arc::new(Inner {
            t0: Instant::now(),
            step_time: self.step_time,
            slow: self.slow,
            fail: self.fail,
            behaviour: self.behaviour,
            log: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            tx,
            rx: Mutex::new(Some(rx)),
            engine: Arc::new(Mutex::new(self.engine)),
        }))
    }
}

impl Inner {
    fn note(&self, line: String) {
        let t = self.t0.elapsed().as_millis();
        if let Ok(mut g) = self.log.lock() {
            g.push((t, line));
        }
    }
}

impl Driver for Script {
    fn run(&self, step: &Step, ctx: StepCtx) -> BoxFuture<'static, Result<StepOutput, String>> {
        let inner = self.0.clone();
        let what = step.action.describe();
        let action = step.action.clone();
        async move {
            let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            inner.max_in_flight.fetch_max(now, Ordering::SeqCst);
            inner.note(format!("begin {what}"));
            let d = inner.slow.get(&what).copied().unwrap_or(inner.step_time);
            tokio::time::sleep(d).await;
            inner.in_flight.fetch_sub(1, Ordering::SeqCst);
            if inner.fail.contains(&what) {
                inner.note(format!("fail {what}"));
                return Err(format!("scripted failure of {what}"));
            }
            inner.note(format!("end {what}"));
            (ctx.progress)(format!("progress of {what}"));
            match action {
                Action::CreateContainer { create_as, .. } => Ok(StepOutput::Created {
                    id: format!("id-{create_as}"),
                }),
                Action::StartContainer { container }
                | Action::RestartContainer { container, .. } => {
                    let id = ctx.container_id.clone().unwrap_or_default();
                    let b = inner
                        .behaviour
                        .get(&container.service)
                        .cloned()
                        .unwrap_or_default();
                    let ev = |kind| ContainerEvent {
                        id: id.clone(),
                        service: container.service.clone(),
                        number: container.number,
                        kind,
                    };
                    let engine = inner.engine.clone();
                    let happen = move |e: &ContainerEvent| {
                        if let Ok(mut g) = engine.lock() {
                            apply(g.entry(e.id.clone()).or_default(), &e.kind);
                        }
                    };
                    let started = ev(ContainerEventKind::Started);
                    happen(&started);
                    let _ = inner.tx.send(started);
                    let tx = inner.tx.clone();
                    let lost = b.events_lost;
                    let later: Vec<(Duration, ContainerEvent)> = [
                        b.healthy_after
                            .map(|d| (d, ev(ContainerEventKind::Health(Health::Healthy)))),
                        b.unhealthy_after
                            .map(|d| (d, ev(ContainerEventKind::Health(Health::Unhealthy)))),
                        b.exit_after
                            .map(|(d, code)| (d, ev(ContainerEventKind::Died { exit_code: code }))),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    tokio::spawn(async move {
                        let start = Instant::now();
                        let mut later = later;
                        later.sort_by_key(|(d, _)| *d);
                        for (d, e) in later {
                            tokio::time::sleep_until(start + d).await;
                            happen(&e);
                            if !lost {
                                let _ = tx.send(e);
                            }
                        }
                    });
                    Ok(StepOutput::Done)
                }
                _ => Ok(StepOutput::Done),
            }
        }
        .boxed()
    }

    fn events(&self) -> BoxStream<'static, ContainerEvent> {
        let rx = self.0.rx.lock().ok().and_then(|mut g| g.take());
        match rx {
            Some(rx) => {
                futures::stream::unfold(
                    rx,
                    |mut rx| async move { rx.recv().await.map(|i| (i, rx)) },
                )
                .boxed()
            }
            None => futures::stream::empty().boxed(),
        }
    }

    fn container_now(&self, container_id: &str) -> BoxFuture<'static, Option<ContainerNow>> {
        self.0.note(format!("inspect {container_id}"));
        let now = self
            .0
            .engine
            .lock()
            .ok()
            .and_then(|g| g.get(container_id).cloned());
        async move { now }.boxed()
    }

    fn last_health_output(&self, container_id: &str) -> BoxFuture<'static, Option<String>> {
        let out = format!("probe of {container_id}: connection refused");
        async move { Some(out) }.boxed()
    }
}

const STACK: &str = r#"
name: app
services:
  db:
    image: db
    healthcheck: {test: ["CMD", "true"]}
  migrate:
    image: migrate
    depends_on:
      db: {condition: service_healthy, required: true, restart: false}
  web:
    image: web
    depends_on:
      db: {condition: service_healthy, required: true, restart: false}
      migrate: {condition: service_completed_successfully, required: true, restart: false}
      cache: {condition: service_started, required: false, restart: false}
  cache:
    image: cache
"#;

fn images(names: &[&str]) -> Observed {
    let mut o = Observed::default();
    for n in names {
        o.images.push(rcompose::plan::observed::ObservedImage {
            name: n.to_string(),
            id: format!("sha256:{n}"),
        });
    }
    o
}

fn plan_of(yaml: &str, observed: &Observed) -> Plan {
    let v: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap_or(serde_yaml::Value::Null);
    plan_canonical(&v, observed, &Intent::up()).unwrap_or_else(|e| panic!("{e}"))
}

fn stack_plan() -> Plan {
    plan_of(STACK, &images(&["db", "migrate", "web", "cache"]))
}

/// The `up` plan of STACK when the engine already has these up-to-date containers (replica 1,
/// id = the service name padded with zeros): (service, state, health, exit code).
fn stack_plan_over(existing: &[(&str, ContainerState, Option<Health>, Option<i64>)]) -> Plan {
    let value: serde_yaml::Value = serde_yaml::from_str(STACK).unwrap();
    let desired = Desired::from_canonical(&value, None).unwrap();
    let mut observed = images(&["db", "migrate", "web", "cache"]);
    for (service, state, health, exit_code) in existing {
        observed.containers.push(ObservedContainer {
            id: format!("{service:0>16}"),
            name: format!("app-{service}-1"),
            service: service.to_string(),
            number: 1,
            config_hash: desired.services[*service].config_hash.clone(),
            image_id: format!("sha256:{service}"),
            state: state.clone(),
            health: *health,
            exit_code: *exit_code,
            ..Default::default()
        });
    }
    plan_desired(&desired, &observed, &Intent::up()).unwrap()
}

fn stack_script() -> ScriptBuilder {
    Script::builder()
        .service(
            "db",
            Behaviour {
                healthy_after: Some(Duration::from_secs(5)),
                ..Behaviour::default()
            },
        )
        .service(
            "migrate",
            Behaviour {
                exit_after: Some((Duration::from_secs(2), 0)),
                ..Behaviour::default()
            },
        )
}

#[tokio::test(start_paused = true)]
async fn dependents_start_only_after_their_conditions_hold() {
    let plan = stack_plan();
    let script = stack_script().build();
    let mut rep = RecordingReporter::new();
    let res = execute(
        &plan,
        Arc::new(script.clone()),
        &mut rep,
        ExecOptions::default(),
        Cancel::new(),
    )
    .await;
    assert!(res.is_ok(), "{res:?}");
    let db_started = script.finished("start container app-db-1");
    let migrate_began = script.began("start container app-migrate-1");
    let migrate_started = script.finished("start container app-migrate-1");
    let web_began = script.began("start container app-web-1");
    // Creates take 100 ms, starts 100 ms; db turns healthy 5 s after its start.
    assert_eq!(db_started, Some(200));
    assert_eq!(migrate_began, Some(5200), "migrate waits for db healthy");
    assert_eq!(migrate_started, Some(5300));
    assert_eq!(web_began, Some(7300), "web waits for migrate to exit 0");
    // The cache (independent) did not wait for anyone.
    assert_eq!(script.finished("start container app-cache-1"), Some(200));
}

#[tokio::test(start_paused = true)]
async fn a_dependency_that_turns_healthy_late_is_waited_for_through_its_event() {
    let plan = stack_plan();
    let script = stack_script()
        .service(
            "db",
            Behaviour {
                healthy_after: Some(Duration::from_secs(120)),
                ..Behaviour::default()
            },
        )
        .build();
    let mut rep = RecordingReporter::new();
    let res = execute(
        &plan,
        Arc::new(script.clone()),
        &mut rep,
        ExecOptions::default(),
        Cancel::new(),
    )
    .await;
    assert!(res.is_ok(), "{res:?}");
    assert_eq!(script.began("start container app-migrate-1"), Some(120_200));
    // The event ended the wait: the driver saw exactly one call per step (plus cheap inspects).
    let calls = script
        .log()
        .iter()
        .filter(|(_, l)| l.starts_with("begin"))
        .count();
    assert_eq!(calls, plan.effective_steps().count());
}

#[tokio::test(start_paused = true)]
async fn parallelism_is_bounded() {
    let mut yaml = String::from("name: p\nservices:\n");
    for i in 0..10 {
        yaml.push_str(&format!("  s{i}:\n    image: img\n"));
    }
    let plan = plan_of(&yaml, &images(&["img"]));
    let script = Script::builder().build();
    let mut rep = RecordingReporter::new();
    let opts = ExecOptions {
        parallel: 3,
        wait: None,
    };
    let t0 = Instant::now();
    let res = execute(
        &plan,
        Arc::new(script.clone()),
        &mut rep,
        opts,
        Cancel::new(),
    )
    .await;
    assert!(res.is_ok(), "{res:?}");
    assert_eq!(script.0.max_in_flight.load(Ordering::SeqCst), 3);
    // 20 steps of 100 ms, 3 at a time, greedily in plan order (create s0, start s0, create
    // s1...): the starts of a batch run before the next creates, so 8 rounds.
    assert_eq!(t0.elapsed(), Duration::from_millis(800));
}

#[test]
fn parallel_limit_comes_from_flag_then_env() {
    assert_eq!(ExecOptions::parallel_from(Some(4), Some("2")), 4);
    assert_eq!(ExecOptions::parallel_from(None, Some("2")), 2);
    assert_eq!(ExecOptions::parallel_from(None, Some("x")), 64);
    assert_eq!(ExecOptions::parallel_from(Some(0), None), 64);
}

#[tokio::test(start_paused = true)]
async fn a_failed_step_fails_its_dependents_and_reports_what_was_created() {
    let plan = stack_plan();
    let script = stack_script().fail("start container app-db-1").build();
    let mut rep = RecordingReporter::new();
    let res = execute(
        &plan,
        Arc::new(script.clone()),
        &mut rep,
        ExecOptions::default(),
        Cancel::new(),
    )
    .await;
    let Err(ExecError::Failed { failures, created }) = res else {
        panic!("expected a failure, got {res:?}");
    };
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0].what, "start container app-db-1");
    assert!(
        created.contains(&"container app-web-1".to_string()),
        "{created:?}"
    );
    assert!(script.began("start container app-web-1").is_none());
    assert!(script.began("start container app-migrate-1").is_none());
    // The independent service still started.
    assert!(script.finished("start container app-cache-1").is_some());
    let skipped: Vec<String> = rep
        .take()
        .into_iter()
        .filter_map(|e| match e {
            ExecEvent::Skipped { what, .. } => Some(what),
            _ => None,
        })
        .collect();
    assert!(
        skipped.contains(&"start container app-web-1".to_string()),
        "{skipped:?}"
    );
    let text = ExecError::Failed {
        failures,
        created: vec!["network app_default".into()],
    }
    .to_string();
    assert_eq!(
        text,
        "start container app-db-1: scripted failure of start container app-db-1\nalready created (kept; the next `up` continues from here): network app_default"
    );
}

#[tokio::test(start_paused = true)]
async fn an_optional_dependency_that_fails_does_not_block() {
    let plan = stack_plan();
    let script = stack_script().fail("start container app-cache-1").build();
    let mut rep = RecordingReporter::new();
    let report = run_plan(
        &plan,
        Arc::new(script.clone()),
        &mut rep,
        ExecOptions::default(),
        Cancel::new(),
    )
    .await;
    assert_eq!(
        report.failed.len(),
        1,
        "only the cache start failed: {:?}",
        report.failed
    );
    assert!(script.finished("start container app-web-1").is_some());
}

#[tokio::test(start_paused = true)]
async fn an_unhealthy_dependency_fails_its_dependents() {
    let plan = stack_plan();
    let script = stack_script()
        .service(
            "db",
            Behaviour {
                unhealthy_after: Some(Duration::from_secs(3)),
                ..Behaviour::default()
            },
        )
        .build();
    let mut rep = RecordingReporter::new();
    let res = execute(
        &plan,
        Arc::new(script.clone()),
        &mut rep,
        ExecOptions::default(),
        Cancel::new(),
    )
    .await;
    let msg = res.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg.contains("db (replica 1) is unhealthy"), "{msg}");
    assert!(script.began("start container app-migrate-1").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_one_shot_exiting_non_zero_fails_its_dependents() {
    let plan = stack_plan();
    let script = stack_script()
        .service(
            "migrate",
            Behaviour {
                exit_after: Some((Duration::from_secs(1), 3)),
                ..Behaviour::default()
            },
        )
        .build();
    let mut rep = RecordingReporter::new();
    let res = execute(
        &plan,
        Arc::new(script.clone()),
        &mut rep,
        ExecOptions::default(),
        Cancel::new(),
    )
    .await;
    let msg = res.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        msg.contains("migrate (replica 1) didn't complete successfully: exit 3"),
        "{msg}"
    );
    assert!(script.began("start container app-web-1").is_none());
}

#[tokio::test(start_paused = true)]
async fn graceful_cancel_stops_scheduling_and_lets_running_steps_finish() {
    let plan = stack_plan();
    // db never turns healthy: the run would wait forever.
    let script = Script::builder().build();
    let cancel = Cancel::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        c2.request();
    });
    let mut rep = RecordingReporter::new();
    let t0 = Instant::now();
    let report = run_plan(
        &plan,
        Arc::new(script.clone()),
        &mut rep,
        ExecOptions::default(),
        cancel,
    )
    .await;
    assert_eq!(t0.elapsed(), Duration::from_secs(30));
    assert!(report.cancelled_by_user);
    assert!(!report.cancelled.is_empty());
    assert!(matches!(report.into_result(), Err(ExecError::Cancelled)));
}

#[tokio::test(start_paused = true)]
async fn forced_cancel_drops_in_flight_steps() {
    let plan = stack_plan();
    let script = stack_script()
        .slow("create container app-db-1", Duration::from_secs(600))
        .build();
    let cancel = Cancel::new();
    let c2 = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        c2.request();
        tokio::time::sleep(Duration::from_secs(1)).await;
        c2.request();
    });
    let mut rep = RecordingReporter::new();
    let t0 = Instant::now();
    let report = run_plan(
        &plan,
        Arc::new(script.clone()),
        &mut rep,
        ExecOptions::default(),
        cancel,
    )
    .await;
    assert_eq!(
        t0.elapsed(),
        Duration::from_secs(2),
        "the second request does not wait for the slow step"
    );
    assert!(script.finished("create container app-db-1").is_none());
    assert!(report.cancelled_by_user);
}

#[tokio::test(start_paused = true)]
async fn wait_accepts_running_healthy_and_exited_zero_one_shots() {
    let yaml = r#"
name: w
services:
  api:
    image: img
    healthcheck: {test: ["CMD", "true"]}
  seed:
    image: img
"#;
    let plan = plan_of(yaml, &images(&["img"]));
    let script = Script::builder()
        .service(
            "api",
            Behaviour {
                healthy_after: Some(Duration::from_secs(4)),
                ..Behaviour::default()
            },
        )
        .service(
            "seed",
            Behaviour {
                exit_after: Some((Duration::from_secs(1), 0)),
                ..Behaviour::default()
            },
        )
        .build();
    let mut rep = RecordingReporter::new();
    let opts = ExecOptions {
        parallel: 8,
        wait: Some(Duration::from_secs(60)),
    };
    let t0 = Instant::now();
    let res = execute(&plan, Arc::new(script), &mut rep, opts, Cancel::new()).await;
    assert!(res.is_ok(), "{res:?}");
    assert_eq!(t0.elapsed(), Duration::from_millis(4200));
    let ready: Vec<String> = rep
        .take()
        .into_iter()
        .filter_map(|e| match e {
            ExecEvent::Ready { service } => Some(service),
            _ => None,
        })
        .collect();
    assert_eq!(ready, vec!["seed", "api"]);
}

#[tokio::test(start_paused = true)]
async fn wait_deadline_names_the_service_and_its_last_health_output() {
    let yaml = r#"
name: w
services:
  api:
    image: img
    healthcheck: {test: ["CMD", "true"]}
"#;
    let plan = plan_of(yaml, &images(&["img"]));
    let script = Script::builder().build();
    let mut rep = RecordingReporter::new();
    let opts = ExecOptions {
        parallel: 8,
        wait: Some(Duration::from_secs(10)),
    };
    let res = execute(&plan, Arc::new(script), &mut rep, opts, Cancel::new()).await;
    let msg = res.err().map(|e| e.to_string()).unwrap_or_default();
    assert_eq!(
        msg,
        "timed out after 10s waiting for api to be running or healthy; last health check output of api: probe of id-w-api-1: connection refused"
    );
}

#[tokio::test(start_paused = true)]
async fn wait_fails_fast_when_a_container_exits_non_zero() {
    // With a healthcheck, `--wait` waits for healthy; the container dies before that.
    let yaml =
        "name: w\nservices:\n  job:\n    image: img\n    healthcheck: {test: [CMD, 'true']}\n";
    let plan = plan_of(yaml, &images(&["img"]));
    let script = Script::builder()
        .service(
            "job",
            Behaviour {
                exit_after: Some((Duration::from_secs(1), 2)),
                ..Behaviour::default()
            },
        )
        .build();
    let mut rep = RecordingReporter::new();
    let opts = ExecOptions {
        parallel: 8,
        wait: Some(Duration::from_secs(600)),
    };
    let t0 = Instant::now();
    let res = execute(&plan, Arc::new(script), &mut rep, opts, Cancel::new()).await;
    assert_eq!(t0.elapsed(), Duration::from_millis(1200), "{res:?}");
    assert_eq!(
        res.err().map(|e| e.to_string()).as_deref(),
        Some("service job is not ready: job (replica 1) exited with code 2")
    );
}

#[tokio::test(start_paused = true)]
async fn recreate_ignores_events_of_the_replaced_container() {
    // db is recreated; the old container's `die` must not count as the new one's exit.
    let yaml = r#"
name: r
services:
  db:
    image: img
  web:
    image: img
    depends_on:
      db: {condition: service_started, required: true, restart: false}
"#;
    let mut observed = images(&["img"]);
    observed.containers.push(rcompose::plan::ObservedContainer {
        id: "oldoldoldold0001".into(),
        name: "r-db-1".into(),
        service: "db".into(),
        number: 1,
        config_hash: "stale".into(),
        image_id: "sha256:img".into(),
        state: rcompose::plan::ContainerState::Running,
        ..Default::default()
    });
    let plan = plan_of(yaml, &observed);
    let script = Script::builder().build();
    let tx = script.0.tx.clone();
    let _ = tx.send(ContainerEvent {
        id: "oldoldoldold0001".into(),
        service: "db".into(),
        number: 1,
        kind: ContainerEventKind::Died { exit_code: 137 },
    });
    let mut rep = RecordingReporter::new();
    let res = execute(
        &plan,
        Arc::new(script.clone()),
        &mut rep,
        ExecOptions::default(),
        Cancel::new(),
    )
    .await;
    assert!(res.is_ok(), "{res:?}");
    let at = |what: &str| {
        script
            .finished(what)
            .unwrap_or_else(|| panic!("{what} did not run: {:?}", script.log()))
    };
    let create_tmp = at("create container oldoldoldold_r-db-1");
    let stop_old = at("stop container r-db-1");
    let remove_old = at("remove container r-db-1");
    let rename = at("rename container oldoldoldold_r-db-1 to r-db-1");
    let start_db = at("start container r-db-1");
    let create_web = at("create container r-web-1");
    let start_web = at("start container r-web-1");
    assert!(create_tmp < stop_old && stop_old < remove_old && remove_old < rename);
    assert!(rename < start_db && rename < create_web);
    assert!(start_db < start_web && create_web < start_web);
}

#[tokio::test(start_paused = true)]
async fn step_progress_is_reported_between_its_start_and_its_end() {
    let plan = stack_plan();
    let script = stack_script().build();
    let mut rep = RecordingReporter::new();
    execute(
        &plan,
        Arc::new(script),
        &mut rep,
        ExecOptions::default(),
        Cancel::new(),
    )
    .await
    .expect("run");
    let events = rep.take();
    let mut checked = 0;
    for (i, e) in events.iter().enumerate() {
        let ExecEvent::Progress {
            step,
            line,
            service,
        } = e
        else {
            continue;
        };
        let what = plan.steps[*step].action.describe();
        assert_eq!(line, &format!("progress of {what}"));
        assert_eq!(
            service.as_str(),
            plan.steps[*step].action.service().unwrap_or_default()
        );
        let started = events[..i]
            .iter()
            .any(|e| matches!(e, ExecEvent::Started { step: s, .. } if s == step));
        let finished_after = events[i..]
            .iter()
            .any(|e| matches!(e, ExecEvent::Finished { step: s, .. } if s == step));
        assert!(
            started && finished_after,
            "{e:?} out of order in {events:?}"
        );
        checked += 1;
    }
    let runnable = plan
        .steps
        .iter()
        .filter(|s| !matches!(s.action, Action::Await { .. }))
        .count();
    assert_eq!(checked, runnable, "{events:?}");
}

/// Runs the plan, failing the test (instead of hanging) when it has not finished in 10 minutes of
/// (paused) time.
async fn execute_bounded(plan: &Plan, script: &Script) -> Result<(), String> {
    let mut rep = RecordingReporter::new();
    let run = execute(
        plan,
        Arc::new(script.clone()),
        &mut rep,
        ExecOptions::default(),
        Cancel::new(),
    );
    match tokio::time::timeout(Duration::from_secs(600), run).await {
        Ok(r) => r.map(|_| ()).map_err(|e| e.to_string()),
        Err(_) => Err(format!(
            "still waiting after 10 minutes: {:?}",
            script.log()
        )),
    }
}

#[tokio::test(start_paused = true)]
async fn a_missed_exit_event_is_caught_by_re_reading_the_container() {
    // migrate exits 0 two seconds after its start, but the engine's `die` event never arrives.
    let plan = stack_plan();
    let script = stack_script()
        .service(
            "migrate",
            Behaviour {
                exit_after: Some((Duration::from_secs(2), 0)),
                events_lost: true,
                ..Behaviour::default()
            },
        )
        .build();
    execute_bounded(&plan, &script).await.unwrap();
    // migrate's start ends at 5300 and it exits at 7300: web starts at the next re-read.
    let web = script
        .began("start container app-web-1")
        .unwrap_or_default();
    assert!((7300..=7300 + 500).contains(&web), "web began at {web}");
}

#[tokio::test(start_paused = true)]
async fn a_one_shot_that_exited_after_the_snapshot_does_not_hang_its_dependents() {
    // The plan was made while migrate still ran; it exited before the event subscription, so no
    // event will ever tell: web must still start (this hung `up` under load).
    let plan = stack_plan_over(&[
        ("db", ContainerState::Running, Some(Health::Healthy), None),
        ("migrate", ContainerState::Running, None, None),
        ("cache", ContainerState::Running, None, None),
    ]);
    let exited = ContainerNow {
        running: false,
        started: true,
        exit_code: Some(0),
        health: None,
    };
    let script = Script::builder()
        .existing(&format!("{:0>16}", "migrate"), exited)
        .build();
    execute_bounded(&plan, &script).await.unwrap();
    assert!(
        script.finished("start container app-web-1").is_some(),
        "{:?}",
        script.log()
    );
}

#[tokio::test(start_paused = true)]
async fn re_reading_a_container_being_started_does_not_see_its_previous_run() {
    // migrate exited 0 before this run and is started again (slowly): until its new run ends,
    // the engine still reports the old exit, which must not let web start early.
    let plan = stack_plan_over(&[
        ("db", ContainerState::Running, Some(Health::Healthy), None),
        ("migrate", ContainerState::Exited, None, Some(0)),
        ("cache", ContainerState::Running, None, None),
    ]);
    let old_run = ContainerNow {
        running: false,
        started: true,
        exit_code: Some(0),
        health: None,
    };
    let script = Script::builder()
        .existing(&format!("{:0>16}", "migrate"), old_run)
        .slow("start container app-migrate-1", Duration::from_secs(3))
        .service(
            "migrate",
            Behaviour {
                exit_after: Some((Duration::from_secs(2), 0)),
                ..Behaviour::default()
            },
        )
        .build();
    execute_bounded(&plan, &script).await.unwrap();
    let migrate_done = script
        .finished("start container app-migrate-1")
        .unwrap_or_else(|| panic!("migrate was not started again: {:?}", script.log()));
    let web = script
        .began("start container app-web-1")
        .unwrap_or_default();
    assert!(
        web >= migrate_done + 2000,
        "web began at {web}, migrate's new run ended at {}",
        migrate_done + 2000
    );
}

/// The plan of `run web` over STACK: its dependencies come up, then the waits for web's own
/// conditions; no step of web itself.
fn run_web_plan() -> Plan {
    let v: serde_yaml::Value = serde_yaml::from_str(STACK).unwrap_or(serde_yaml::Value::Null);
    let intent = Intent::Run {
        service: "web".into(),
        up: Default::default(),
    };
    plan_canonical(&v, &images(&["db", "migrate", "web", "cache"]), &intent)
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test(start_paused = true)]
async fn run_plan_ends_once_the_one_offs_conditions_hold() {
    let plan = run_web_plan();
    assert!(
        !plan.render().contains("app-web-1"),
        "run does not create the service's own container:\n{}",
        plan.render()
    );
    let script = stack_script().build();
    let started = Instant::now();
    let res = execute_bounded(&plan, &script).await;
    assert!(res.is_ok(), "{res:?}");
    // db healthy at 5.2 s lets migrate start (5.3 s); migrate exits 0 two seconds later: the
    // plan (and so the wait before the one-off is created) ends then, not before.
    assert_eq!(script.finished("start container app-migrate-1"), Some(5300));
    assert!(
        started.elapsed() >= Duration::from_millis(7300),
        "the run plan ended before migrate completed: {:?}",
        script.log()
    );
}

#[tokio::test(start_paused = true)]
async fn run_plan_fails_when_a_dependency_cannot_meet_its_condition() {
    let plan = run_web_plan();
    let script = stack_script()
        .service(
            "migrate",
            Behaviour {
                exit_after: Some((Duration::from_secs(1), 3)),
                ..Behaviour::default()
            },
        )
        .build();
    let msg = execute_bounded(&plan, &script)
        .await
        .err()
        .unwrap_or_default();
    assert!(
        msg.contains("migrate (replica 1) didn't complete successfully: exit 3"),
        "{msg}"
    );
}
