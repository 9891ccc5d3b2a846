// The text of progress output is a pure function of the executor's events: snapshots of what a
// fresh `up`, a recreate and a `down` print (`--progress plain` and `--progress json`). The events
// are made by `ExecEvent::of_step`, the constructor the dispatcher uses, so the snapshots see
// what production emits (typed subjects; no plan is consulted while rendering).

use std::path::PathBuf;

use crate::cli::render::{self, Rendered};
use rcompose::app::{ExecEvent, StepPhase};
use rcompose::plan::{
    plan_desired, Action, ContainerRef, Desired, Intent, Observed, Plan, Reason, Step,
};

fn fixture(case: &str, file: &str) -> serde_yaml::Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/plan")
        .join(case)
        .join(file);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn fresh_up_plan() -> Plan {
    let desired = Desired::from_canonical(&fixture("stack_fresh", "compose.yaml"), None)
        .expect("desired state");
    let observed: Observed =
        serde_yaml::from_value(fixture("stack_fresh", "observed.yaml")).expect("observed");
    plan_desired(&desired, &observed, &Intent::up()).expect("plan")
}

/// Every step starts and finishes, in plan order.
fn events(plan: &Plan) -> Vec<ExecEvent> {
    let mut out = Vec::new();
    for w in &plan.warnings {
        out.push(ExecEvent::Warning(w.clone()));
    }
    for s in &plan.steps {
        out.push(ExecEvent::of_step(s, StepPhase::Started));
        out.push(ExecEvent::of_step(s, StepPhase::Finished));
    }
    out
}

fn plain(events: &[ExecEvent]) -> String {
    let mut s = String::new();
    for ev in events {
        match render::event(ev) {
            Rendered::Line(l) => s.push_str(&render::plain(&l)),
            Rendered::Warning(w) => s.push_str(&render::plain_warning(&w)),
            Rendered::Detail { service, text } => {
                s.push_str(&render::plain_detail(&service, &text))
            }
            Rendered::Nothing => continue,
        }
        s.push('\n');
    }
    s
}

fn json(events: &[ExecEvent]) -> String {
    let mut s = String::new();
    for ev in events {
        match render::event(ev) {
            Rendered::Line(l) => s.push_str(&render::json(&l)),
            Rendered::Warning(w) => s.push_str(&render::json_warning(&w)),
            Rendered::Detail { service, text } => s.push_str(&render::json_detail(&service, &text)),
            Rendered::Nothing => continue,
        }
        s.push('\n');
    }
    s
}

fn c(service: &str, name: &str) -> ContainerRef {
    ContainerRef {
        service: service.into(),
        number: 1,
        name: name.into(),
        id: Some(format!("{name}-id")),
    }
}

fn step(id: usize, action: Action, reason: Reason) -> Step {
    Step {
        id,
        action,
        reason,
        deps: vec![],
    }
}

fn recreate_plan() -> Plan {
    let why = Reason::ConfigChanged {
        from: "aaaaaaaaaaaaaaaa".into(),
        to: "bbbbbbbbbbbbbbbb".into(),
    };
    let replacing = Reason::Replacing {
        name: "app-web-1".into(),
        why: Box::new(why.clone()),
    };
    Plan {
        project: "app".into(),
        steps: vec![
            step(
                0,
                Action::CreateContainer {
                    service: "web".into(),
                    number: 1,
                    name: "app-web-1".into(),
                    create_as: "0123456789ab_app-web-1".into(),
                    replaces: Some(c("web", "app-web-1")),
                    inherit_volumes_from: Some(c("web", "app-web-1")),
                    config_hash: "bbbbbbbbbbbbbbbb".into(),
                    image: "busybox".into(),
                    networks: vec!["app_default".into()],
                },
                why,
            ),
            step(
                1,
                Action::StopContainer {
                    container: c("web", "app-web-1"),
                    timeout: None,
                },
                replacing.clone(),
            ),
            step(
                2,
                Action::RemoveContainer {
                    container: c("web", "app-web-1"),
                    volumes: false,
                },
                replacing.clone(),
            ),
            step(
                3,
                Action::RenameContainer {
                    container: c("web", "0123456789ab_app-web-1"),
                    to: "app-web-1".into(),
                },
                replacing,
            ),
            step(
                4,
                Action::StartContainer {
                    container: c("web", "app-web-1"),
                },
                Reason::NotRunning,
            ),
        ],
        ..Default::default()
    }
}

fn down_plan() -> Plan {
    Plan {
        project: "app".into(),
        steps: vec![
            step(
                0,
                Action::StopContainer {
                    container: c("web", "app-web-1"),
                    timeout: None,
                },
                Reason::Requested,
            ),
            step(
                1,
                Action::RemoveContainer {
                    container: c("web", "app-web-1"),
                    volumes: false,
                },
                Reason::Requested,
            ),
            step(
                2,
                Action::RemoveNetwork {
                    name: "app_default".into(),
                },
                Reason::Requested,
            ),
            step(
                3,
                Action::RemoveVolume {
                    name: "app_data".into(),
                },
                Reason::Requested,
            ),
        ],
        ..Default::default()
    }
}

#[test]
fn fresh_up_plain() {
    let plan = fresh_up_plan();
    insta::assert_snapshot!(plain(&events(&plan)));
}

#[test]
fn fresh_up_json() {
    let plan = fresh_up_plan();
    insta::assert_snapshot!(json(&events(&plan)));
}

#[test]
fn recreate_shows_recreate_not_its_internals() {
    let plan = recreate_plan();
    insta::assert_snapshot!(plain(&events(&plan)));
}

#[test]
fn down_plain() {
    let plan = down_plan();
    insta::assert_snapshot!(plain(&events(&plan)));
}

#[test]
fn failures_skips_and_cancellations() {
    let plan = fresh_up_plan();
    let evs = vec![
        ExecEvent::of_step(&plan.steps[4], StepPhase::Started),
        ExecEvent::of_step(
            &plan.steps[4],
            StepPhase::Failed("image postgres:16 not found".into()),
        ),
        ExecEvent::of_step(
            &plan.steps[5],
            StepPhase::Skipped("create container app-db-1 failed".into()),
        ),
        ExecEvent::of_step(&plan.steps[6], StepPhase::Cancelled),
        ExecEvent::Ready {
            service: "db".into(),
        },
    ];
    insta::assert_snapshot!(plain(&evs));
}
