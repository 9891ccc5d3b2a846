//! The text of progress output is a pure function of the executor's events: snapshots of what a
//! fresh `up`, a recreate and a `down` print (`--progress plain` and `--progress json`), and the
//! same text when only the events' own descriptions are known.

use std::path::PathBuf;

use rcompose::cli::render::{self, Rendered};
use rcompose::app::ExecEvent;
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
        let what = s.action.describe();
        out.push(ExecEvent::Started {
            step: s.id,
            what: what.clone(),
        });
        out.push(ExecEvent::Finished { step: s.id, what });
    }
    out
}

fn plain(plan: &Plan, events: &[ExecEvent]) -> String {
    let mut s = String::new();
    for ev in events {
        match render::event(plan, ev) {
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

fn json(plan: &Plan, events: &[ExecEvent]) -> String {
    let mut s = String::new();
    for ev in events {
        match render::event(plan, ev) {
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
    insta::assert_snapshot!(plain(&plan, &events(&plan)));
}

#[test]
fn fresh_up_json() {
    let plan = fresh_up_plan();
    insta::assert_snapshot!(json(&plan, &events(&plan)));
}

#[test]
fn recreate_shows_recreate_not_its_internals() {
    let plan = recreate_plan();
    insta::assert_snapshot!(plain(&plan, &events(&plan)));
}

#[test]
fn down_plain() {
    let plan = down_plan();
    insta::assert_snapshot!(plain(&plan, &events(&plan)));
}

#[test]
fn failures_skips_and_cancellations() {
    let plan = fresh_up_plan();
    let evs = vec![
        ExecEvent::Started {
            step: 4,
            what: plan.steps[4].action.describe(),
        },
        ExecEvent::Failed {
            step: 4,
            what: plan.steps[4].action.describe(),
            error: "image postgres:16 not found".into(),
        },
        ExecEvent::Skipped {
            step: 5,
            what: plan.steps[5].action.describe(),
            because: "create container app-db-1 failed".into(),
        },
        ExecEvent::Cancelled {
            step: 6,
            what: plan.steps[6].action.describe(),
        },
        ExecEvent::Ready {
            service: "db".into(),
        },
    ];
    insta::assert_snapshot!(plain(&plan, &evs));
}

/// The CLI does not know the plan while `ops` runs it: the events' own descriptions must give
/// the same lines, except for the steps inside a recreate (which only the plan can hide).
#[test]
fn descriptions_alone_give_the_same_lines() {
    for plan in [fresh_up_plan(), down_plan()] {
        let evs = events(&plan);
        assert_eq!(plain(&Plan::default(), &evs), plain(&plan, &evs));
    }
}
