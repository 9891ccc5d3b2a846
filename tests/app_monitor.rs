//! The attached phase of `up` (`app::monitor`) against the scriptable `FakeEngine`, with paused
//! tokio time: it ends when every attached container has exited, on a container exit with the
//! abort flags (the right exit code), on the interrupt, and when its side task fails; its events
//! carry the containers' output and exits.

use std::sync::Arc;
use std::time::Duration;

use rcompose::app::monitor::{monitor, MonitorEnd, MonitorEvent, MonitorOptions, Monitored};
use rcompose::app::ops::{self, UpOptions};
use rcompose::app::{Cancel, NullReporter};
use rcompose::engine::fake::FakeEngine;
use rcompose::engine::{Engine, LogStream};
use rcompose::model::Project;

const YAML: &str = "name: mon\nservices:\n  web:\n    image: busybox\n  job:\n    image: busybox\n";

/// `mon` is up: `web` runs on, `job` prints a line and exits with `job_code`.
async fn started(job_code: i64) -> (FakeEngine, Arc<dyn Engine>, Project) {
    let f = FakeEngine::new();
    f.add_image("busybox");
    f.script_logs("mon-job-1", vec![(LogStream::Stdout, "job says hi\n")]);
    f.script_exit("mon-job-1", Duration::from_millis(50), job_code);
    let e: Arc<dyn Engine> = Arc::new(f.clone());
    let v: serde_yaml::Value = serde_yaml::from_str(YAML).expect("test YAML parses");
    let p = Project::from_value(v).expect("test project is valid");
    ops::up(
        e.clone(),
        &p,
        &UpOptions::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("up");
    (f, e, p)
}

fn attached(services: &[&str]) -> MonitorOptions {
    MonitorOptions {
        attached: Some(services.iter().map(|s| s.to_string()).collect()),
        end_when_all_exited: true,
        ..Default::default()
    }
}

/// Runs the monitor (no side task) until it ends or `interrupt_after` passes.
async fn run(
    e: &Arc<dyn Engine>,
    p: &Project,
    opts: &MonitorOptions,
    interrupt_after: Duration,
) -> (Monitored, Vec<MonitorEvent>) {
    let mut events = Vec::new();
    let m = tokio::time::timeout(
        Duration::from_secs(60),
        monitor(
            e.clone(),
            &p.name,
            opts,
            None,
            tokio::time::sleep(interrupt_after),
            &mut |ev| events.push(ev),
        ),
    )
    .await
    .expect("the monitor ended within a minute")
    .expect("the monitor lists the containers");
    (m, events)
}

#[tokio::test(start_paused = true)]
async fn ends_when_every_attached_container_has_exited() {
    let (_f, e, p) = started(0).await;
    let (m, events) = run(&e, &p, &attached(&["job"]), Duration::from_secs(3600)).await;
    assert_eq!(m.end, MonitorEnd::AllExited, "{events:?}");
    assert_eq!(m.exit_code, None);
    assert!(
        matches!(&events[0], MonitorEvent::Shown { targets, first: true } if targets.len() == 1 && targets[0].label == "job-1"),
        "{events:?}"
    );
    assert!(
        events.contains(&MonitorEvent::Line {
            display: 0,
            text: "job says hi".into()
        }),
        "{events:?}"
    );
    assert!(
        events.contains(&MonitorEvent::Exited {
            display: 0,
            code: 0
        }),
        "{events:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_running_container_keeps_it_going_until_the_interrupt() {
    let (_f, e, p) = started(0).await;
    let (m, events) = run(&e, &p, &attached(&["web", "job"]), Duration::from_secs(5)).await;
    assert_eq!(m.end, MonitorEnd::Interrupted, "{events:?}");
    assert_eq!(m.exit_code, None);
}

#[tokio::test(start_paused = true)]
async fn abort_on_container_exit_ends_it_with_that_exit_code() {
    let (_f, e, p) = started(3).await;
    let opts = MonitorOptions {
        abort_on_exit: true,
        ..attached(&["web", "job"])
    };
    let (m, events) = run(&e, &p, &opts, Duration::from_secs(3600)).await;
    assert_eq!(m.end, MonitorEnd::Aborted, "{events:?}");
    assert_eq!(m.exit_code, Some(3));
    assert!(
        events.contains(&MonitorEvent::Note("Aborting on container exit...".into())),
        "{events:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn abort_on_container_failure_ignores_a_success() {
    let (_f, e, p) = started(0).await;
    let opts = MonitorOptions {
        abort_on_failure: true,
        ..attached(&["web", "job"])
    };
    let (m, _) = run(&e, &p, &opts, Duration::from_secs(5)).await;
    assert_eq!(m.end, MonitorEnd::Interrupted);
    assert_eq!(m.exit_code, None);
}

#[tokio::test(start_paused = true)]
async fn a_failing_side_task_ends_it_with_a_note() {
    let (_f, e, p) = started(0).await;
    let opts = MonitorOptions {
        follow_starts: true,
        end_when_all_exited: false,
        ..attached(&["web"])
    };
    let mut side = std::pin::pin!(async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        Some("watching stopped: boom".to_string())
    });
    let mut events = Vec::new();
    let m = tokio::time::timeout(
        Duration::from_secs(60),
        monitor(
            e.clone(),
            &p.name,
            &opts,
            Some(side.as_mut()),
            std::future::pending(),
            &mut |ev| events.push(ev),
        ),
    )
    .await
    .expect("ended")
    .expect("listed");
    assert_eq!(m.end, MonitorEnd::Aborted);
    assert!(m.side_finished);
    assert_eq!(m.exit_code, Some(1));
    assert!(
        events.contains(&MonitorEvent::Note("watching stopped: boom".into())),
        "{events:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn with_follow_starts_a_container_started_later_is_followed_again() {
    let (_f, e, p) = started(0).await;
    let opts = MonitorOptions {
        follow_starts: true,
        end_when_all_exited: false,
        ..attached(&["job"])
    };
    // The side task starts the exited job again (as a watch rebuild or restart would).
    let engine = e.clone();
    let mut side = std::pin::pin!(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        engine
            .start_container("mon-job-1")
            .await
            .err()
            .map(|e| e.to_string())
    });
    let mut events = Vec::new();
    let m = tokio::time::timeout(
        Duration::from_secs(60),
        monitor(
            e.clone(),
            &p.name,
            &opts,
            Some(side.as_mut()),
            tokio::time::sleep(Duration::from_secs(5)),
            &mut |ev| events.push(ev),
        ),
    )
    .await
    .expect("ended")
    .expect("listed");
    assert_eq!(m.end, MonitorEnd::Interrupted, "{events:?}");
    assert!(m.side_finished);
    let exits = events
        .iter()
        .filter(|e| matches!(e, MonitorEvent::Exited { display: 0, .. }))
        .count();
    assert_eq!(
        exits, 2,
        "the job exited twice, both under job-1: {events:?}"
    );
    assert!(
        events
            .iter()
            .filter(|e| matches!(e, MonitorEvent::Shown { .. }))
            .count()
            == 1,
        "no new prefix for the same container: {events:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_restart_within_the_grace_keeps_it_going_then_it_ends_when_all_have_exited() {
    // Deliberately unlike docker compose v5, whose attached `up` ends the moment nothing runs:
    // a restart or recreate passes through that moment, and v5 then leaves the stack detached
    // with its output gone. The price is ALL_EXITED_GRACE more before a finished stack returns.
    let (_f, e, p) = started(0).await;
    let opts = MonitorOptions {
        follow_starts: true,
        ..attached(&["job"])
    };
    // The job exits after 50 ms; it is started again 1 s later (a restart), inside the grace.
    let engine = e.clone();
    let mut side = std::pin::pin!(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        engine
            .start_container("mon-job-1")
            .await
            .err()
            .map(|e| e.to_string())
    });
    let mut events = Vec::new();
    let m = tokio::time::timeout(
        Duration::from_secs(60),
        monitor(
            e.clone(),
            &p.name,
            &opts,
            Some(side.as_mut()),
            std::future::pending(),
            &mut |ev| events.push(ev),
        ),
    )
    .await
    .expect("ended")
    .expect("listed");
    assert_eq!(m.end, MonitorEnd::AllExited, "{events:?}");
    let exits = events
        .iter()
        .filter(|e| matches!(e, MonitorEvent::Exited { .. }))
        .count();
    assert_eq!(exits, 2, "both runs were followed: {events:?}");
}

#[tokio::test(start_paused = true)]
async fn with_wait_for_stopped_a_stopped_container_is_awaited_and_followed_when_it_starts() {
    // `logs -f` as docker compose v5: a container stopped at the start does not end it; once it
    // starts and exits again, it does.
    let (_f, e, p) = started(0).await;
    tokio::time::sleep(Duration::from_secs(1)).await; // the job has exited
    let opts = MonitorOptions {
        follow_starts: true,
        wait_for_stopped: true,
        ..attached(&["job"])
    };
    let (m, events) = run(&e, &p, &opts, Duration::from_secs(10)).await;
    assert_eq!(m.end, MonitorEnd::Interrupted, "{events:?}");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, MonitorEvent::Exited { .. })),
        "no exit shown for a container that was stopped already: {events:?}"
    );
    let engine = e.clone();
    let mut side = std::pin::pin!(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        engine
            .start_container("mon-job-1")
            .await
            .err()
            .map(|e| e.to_string())
    });
    let mut events = Vec::new();
    let m = tokio::time::timeout(
        Duration::from_secs(60),
        monitor(
            e.clone(),
            &p.name,
            &opts,
            Some(side.as_mut()),
            std::future::pending(),
            &mut |ev| events.push(ev),
        ),
    )
    .await
    .expect("ended")
    .expect("listed");
    assert_eq!(m.end, MonitorEnd::AllExited, "{events:?}");
    assert!(
        events.contains(&MonitorEvent::Exited {
            display: 0,
            code: 0
        }),
        "{events:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn nothing_to_follow_ends_it_at_once() {
    let (_f, e, p) = started(0).await;
    let opts = MonitorOptions {
        follow_starts: true,
        wait_for_stopped: true,
        ..attached(&["nosuch"])
    };
    let (m, events) = run(&e, &p, &opts, Duration::from_secs(3600)).await;
    assert_eq!(m.end, MonitorEnd::AllExited, "{events:?}");
}
