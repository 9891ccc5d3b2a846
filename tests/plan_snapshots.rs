//! Planner snapshots: `fixtures/plan/<case>/{compose.yaml, observed.yaml}` -> `Plan::render()`.
//!
//! `compose.yaml` is in canonical form (what `rcompose config` prints). In `observed.yaml`,
//! containers may leave out `id` (derived from the name), `name` (`<project>-<service>-<n>`) and
//! `config_hash` (`current` = the service's hash now; `stale` = something else); networks and
//! volumes may say `config_hash: current`.

use std::path::PathBuf;

use rcompose::plan::images::{BuildSelection, PullSelection, PushSelection};
use rcompose::plan::simulate::simulate;
use rcompose::plan::{
    plan_desired, plan_images, Action, BuildPolicy, Desired, DownOptions, ImageIntent, Intent,
    Observed, PlanError, RemoveImages, UpOptions,
};
use serde_yaml::{Mapping, Value};

fn fixture_dir(case: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/plan")
        .join(case)
}

fn read_yaml(path: &PathBuf) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

/// Loads a case: the desired state and the observed state with placeholders resolved.
fn load(case: &str) -> (Desired, Observed) {
    let dir = fixture_dir(case);
    let desired = Desired::from_canonical(&read_yaml(&dir.join("compose.yaml")), None)
        .unwrap_or_else(|e| panic!("{case}: {e}"));
    let mut obs = read_yaml(&dir.join("observed.yaml"));
    if let Value::Mapping(root) = &mut obs {
        if let Some(Value::Sequence(cs)) = root.get_mut(s("containers")) {
            for c in cs.iter_mut() {
                let Value::Mapping(m) = c else { continue };
                let service = m
                    .get(s("service"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let number = m.get(s("number")).and_then(Value::as_u64).unwrap_or(1);
                if !m.contains_key(s("name")) {
                    let name = desired
                        .services
                        .get(&service)
                        .map(|svc| svc.container_name_for(&desired.project, number as u32))
                        .unwrap_or_else(|| format!("{}-{service}-{number}", desired.project));
                    m.insert(s("name"), s(&name));
                }
                if !m.contains_key(s("id")) {
                    let name = m.get(s("name")).and_then(Value::as_str).unwrap_or_default();
                    m.insert(s("id"), s(&format!("id-{name:0<16}")));
                }
                let current = desired
                    .services
                    .get(&service)
                    .map(|svc| svc.config_hash.clone())
                    .unwrap_or_else(|| "0rphan".repeat(10));
                let hash = match m.get(s("config_hash")).and_then(Value::as_str) {
                    None | Some("current") => current,
                    Some("stale") => "5ta1e".repeat(12),
                    Some(other) => other.to_string(),
                };
                m.insert(s("config_hash"), s(&hash));
            }
        }
        for (kind, table) in [
            ("networks", &desired.networks),
            ("volumes", &desired.volumes),
        ] {
            if let Some(Value::Sequence(rs)) = root.get_mut(s(kind)) {
                for r in rs.iter_mut() {
                    let Value::Mapping(m) = r else { continue };
                    if m.get(s("config_hash")).and_then(Value::as_str) == Some("current") {
                        let key = m.get(s("key")).and_then(Value::as_str).unwrap_or_default();
                        let h = table
                            .get(key)
                            .map(|r| r.config_hash.clone())
                            .unwrap_or_default();
                        m.insert(s("config_hash"), s(&h));
                    }
                }
            }
        }
    } else {
        obs = Value::Mapping(Mapping::new());
    }
    let observed: Observed =
        serde_yaml::from_value(obs).unwrap_or_else(|e| panic!("{case}/observed.yaml: {e}"));
    (desired, observed)
}

/// Plans, checks the order invariant, and renders.
fn render(case: &str, intent: &Intent) -> String {
    let (d, o) = load(case);
    match plan_desired(&d, &o, intent) {
        Ok(p) => {
            if let Err(e) = p.check_order() {
                panic!("{case}: {e}");
            }
            p.render()
        }
        Err(e) => format!("error: {e}\n"),
    }
}

/// After applying the plan, planning the same intent again does nothing.
fn assert_converges(case: &str, intent: &Intent) {
    let (d, o) = load(case);
    let first = plan_desired(&d, &o, intent).unwrap_or_else(|e| panic!("{case}: {e}"));
    let after = simulate(&first, &d, &o);
    let second = plan_desired(&d, &after, intent).unwrap_or_else(|e| panic!("{case}: {e}"));
    assert!(
        second.is_noop(),
        "{case}: the second plan is not a no-op:\n{}",
        second.render()
    );
}

fn up(f: impl FnOnce(&mut UpOptions)) -> Intent {
    let mut o = UpOptions::default();
    f(&mut o);
    Intent::Up(o)
}

#[test]
fn fresh_up_creates_everything_in_dependency_order() {
    insta::assert_snapshot!(render("stack_fresh", &Intent::up()));
}

#[test]
fn fresh_up_converges() {
    assert_converges("stack_fresh", &Intent::up());
}

#[test]
fn create_does_not_start_or_wait() {
    insta::assert_snapshot!(render("stack_fresh", &Intent::create(UpOptions::default())));
}

#[test]
fn second_up_recreates_nothing() {
    let (d, o) = load("stack_current");
    let p = plan_desired(&d, &o, &Intent::up()).unwrap_or_else(|e| panic!("{e}"));
    let changes: Vec<String> = p
        .effective_steps()
        .filter(|s| !matches!(s.action, Action::StartContainer { .. }))
        .map(|s| s.action.describe())
        .collect();
    assert!(changes.is_empty(), "{changes:?}");
    // Only the exited one-shot is started again; running containers are left alone.
    let starts: Vec<String> = p.effective_steps().map(|s| s.action.describe()).collect();
    assert_eq!(starts, vec!["start container app-migrate-1"]);
}

#[test]
fn up_of_running_services_is_a_noop() {
    let (d, mut o) = load("stack_current");
    for c in &mut o.containers {
        if c.service == "migrate" {
            c.state = rcompose::plan::ContainerState::Running;
        }
    }
    let p = plan_desired(&d, &o, &Intent::up()).unwrap_or_else(|e| panic!("{e}"));
    assert!(p.is_noop(), "{}", p.render());
    assert_eq!(p.steps.len(), 0, "no waits are left when nothing starts");
}

#[test]
fn up_starts_an_exited_one_shot_again() {
    // Like docker compose: `up` starts every container that is not running.
    insta::assert_snapshot!(render("stack_current", &Intent::up()));
}

#[test]
fn changed_config_recreates_and_restarts_dependents() {
    insta::assert_snapshot!(render("stack_changed", &Intent::up()));
}

#[test]
fn changed_stack_converges() {
    assert_converges("stack_changed", &up(|o| o.services = vec!["web".into()]));
}

#[test]
fn no_recreate_keeps_diverged_containers() {
    insta::assert_snapshot!(render(
        "stack_changed",
        &up(|o| {
            o.no_recreate = true;
            o.services = vec!["web".into()];
        })
    ));
}

#[test]
fn force_recreate_only_recreates_selected_unless_always_recreate_deps() {
    insta::assert_snapshot!(
        "force_recreate_selected",
        render(
            "stack_current",
            &up(|o| {
                o.force_recreate = true;
                o.services = vec!["migrate".into()];
            })
        )
    );
    insta::assert_snapshot!(
        "force_recreate_with_deps",
        render(
            "stack_current",
            &up(|o| {
                o.force_recreate = true;
                o.always_recreate_deps = true;
                o.services = vec!["migrate".into()];
                o.timeout = Some(3);
            })
        )
    );
}

#[test]
fn no_deps_leaves_dependencies_alone() {
    insta::assert_snapshot!(render(
        "stack_fresh",
        &up(|o| {
            o.no_deps = true;
            o.services = vec!["web".into()];
        })
    ));
}

#[test]
fn scale_up_down_and_override() {
    insta::assert_snapshot!("scale_default", render("scale", &Intent::up()));
    insta::assert_snapshot!(
        "scale_override",
        render(
            "scale",
            &up(|o| {
                o.scale.insert("web".into(), 1);
                o.scale.insert("worker".into(), 2);
            })
        )
    );
    assert_converges("scale", &Intent::up());
}

#[test]
fn orphans_warn_or_are_removed() {
    insta::assert_snapshot!("orphans_warn", render("orphans", &Intent::up()));
    insta::assert_snapshot!(
        "orphans_removed",
        render("orphans", &up(|o| o.remove_orphans = true))
    );
    assert_converges("orphans", &up(|o| o.remove_orphans = true));
}

#[test]
fn down_leaves_one_offs_unless_removing_orphans() {
    // docker compose v2: `down` leaves `run` containers; `--remove-orphans` takes them all
    // (finished and running), while `up --remove-orphans` leaves a running one-off alone.
    insta::assert_snapshot!(
        "orphans_down",
        render("orphans", &Intent::Down(DownOptions::default()))
    );
    insta::assert_snapshot!(
        "orphans_down_remove_orphans",
        render(
            "orphans",
            &Intent::Down(DownOptions {
                remove_orphans: true,
                ..Default::default()
            })
        )
    );
}

#[test]
fn interrupted_recreate_is_recovered() {
    insta::assert_snapshot!(render("interrupted", &Intent::up()));
    assert_converges("interrupted", &Intent::up());
}

#[test]
fn namespace_parent_recreate_cascades() {
    insta::assert_snapshot!(render("namespace", &Intent::up()));
    assert_converges("namespace", &Intent::up());
}

#[test]
fn images_are_built_pulled_or_reported() {
    insta::assert_snapshot!("images_default", render("missing_images", &Intent::up()));
    insta::assert_snapshot!(
        "images_no_build",
        render("missing_images", &up(|o| o.build = BuildPolicy::Never))
    );
}

#[test]
fn down_stops_in_reverse_order_and_removes_volumes_and_local_images() {
    insta::assert_snapshot!(
        "down_default",
        render("stack_current", &Intent::Down(DownOptions::default()))
    );
    insta::assert_snapshot!(
        "down_everything",
        render(
            "stack_current",
            &Intent::Down(DownOptions {
                remove_volumes: true,
                remove_orphans: true,
                rmi: Some(RemoveImages::Local),
                timeout: Some(5),
            })
        )
    );
    assert_converges("stack_current", &Intent::Down(DownOptions::default()));
}

#[test]
fn stop_start_restart_kill_rm() {
    insta::assert_snapshot!(
        "stop_all",
        render(
            "stack_current",
            &Intent::Stop {
                services: vec![],
                timeout: None
            }
        )
    );
    insta::assert_snapshot!(
        "start_all",
        render("stack_current", &Intent::Start { services: vec![] })
    );
    insta::assert_snapshot!(
        "restart_db",
        render(
            "stack_current",
            &Intent::Restart {
                services: vec!["db".into()],
                timeout: Some(2),
                no_deps: false
            }
        )
    );
    insta::assert_snapshot!(
        "kill_all",
        render(
            "stack_current",
            &Intent::Kill {
                services: vec![],
                signal: Some("SIGTERM".into()),
                remove_orphans: false
            }
        )
    );
    insta::assert_snapshot!(
        "rm_stopped",
        render(
            "stack_current",
            &Intent::Rm {
                services: vec![],
                stop: false,
                volumes: true
            }
        )
    );
}

#[test]
fn cycles_are_rejected_with_the_whole_cycle() {
    let (d, o) = load("cycle");
    let err = plan_desired(&d, &o, &Intent::up()).err();
    assert_eq!(
        err,
        Some(PlanError::Cycle {
            cycle: ["service1", "service2", "service3", "service1"]
                .map(String::from)
                .to_vec()
        })
    );
    assert_eq!(
        err.map(|e| e.to_string()).as_deref(),
        Some("dependency cycle detected: service1 -> service2 -> service3 -> service1")
    );
}

#[test]
fn unknown_service_suggests_a_name() {
    let text = render("stack_fresh", &up(|o| o.services = vec!["wbe".into()]));
    assert_eq!(
        text,
        "error: no such service: wbe (did you mean \"web\"?)\n"
    );
}

#[test]
fn container_name_cannot_scale() {
    let v: Value = serde_yaml::from_str(
        "name: p\nservices:\n  web:\n    image: x\n    container_name: fixed\n    scale: 2\n",
    )
    .unwrap_or(Value::Null);
    let d = Desired::from_canonical(&v, None).unwrap_or_default();
    let err = plan_desired(&d, &Observed::default(), &Intent::up()).err();
    assert!(
        matches!(err, Some(PlanError::ContainerNameWithScale { ref service, replicas: 2, .. }) if service == "web"),
        "{err:?}"
    );
}

#[test]
fn required_dependency_must_exist() {
    let v: Value = serde_yaml::from_str(
        "name: p\nservices:\n  web:\n    image: x\n    depends_on:\n      db: {condition: service_started, required: true}\n",
    )
    .unwrap_or(Value::Null);
    let d = Desired::from_canonical(&v, None).unwrap_or_default();
    let err = plan_desired(&d, &Observed::default(), &Intent::up()).err();
    assert_eq!(
        err.map(|e| e.to_string()).as_deref(),
        Some("service web depends on undefined service db")
    );
}

// ---------------------------------------------------------------------------------------------
// Image commands: `build`, `pull`, `push` (`plan::images`).
// ---------------------------------------------------------------------------------------------

fn render_images(case: &str, intent: &ImageIntent) -> String {
    let (d, o) = load(case);
    match plan_images(&d, &o, intent) {
        Ok(p) => {
            if let Err(e) = p.plan.check_order() {
                panic!("{case}: {e}");
            }
            p.render()
        }
        Err(e) => format!("error: {e}\n"),
    }
}

fn build_of(services: &[&str], with_dependencies: bool) -> ImageIntent {
    ImageIntent::Build(BuildSelection {
        services: services.iter().map(|s| s.to_string()).collect(),
        with_dependencies,
    })
}

#[test]
fn build_builds_each_buildable_image_once_after_its_dependencies() {
    // `twin` shares `base`'s image: one build. `worker` waits for `base` through `mid`, which
    // is not built. Services without `build:` are left out silently.
    insta::assert_snapshot!(
        "build_all",
        render_images("image_commands", &build_of(&[], false))
    );
}

#[test]
fn build_of_named_services_leaves_dependencies_unless_asked() {
    insta::assert_snapshot!(
        "build_named",
        render_images("image_commands", &build_of(&["worker", "cache"], false))
    );
    insta::assert_snapshot!(
        "build_with_dependencies",
        render_images("image_commands", &build_of(&["worker"], true))
    );
    assert_eq!(
        render_images("image_commands", &build_of(&["wroker"], false)),
        "error: no such service: wroker (did you mean \"worker\"?)\n"
    );
}

#[test]
fn pull_follows_docker_compose_policies() {
    insta::assert_snapshot!(
        "pull_all",
        render_images(
            "image_commands",
            &ImageIntent::Pull(PullSelection::default())
        )
    );
    insta::assert_snapshot!(
        "pull_ignore_buildable_policy_always",
        render_images(
            "image_commands",
            &ImageIntent::Pull(PullSelection {
                ignore_buildable: true,
                policy: Some("always".into()),
                ..Default::default()
            })
        )
    );
    insta::assert_snapshot!(
        "pull_named_with_deps",
        render_images(
            "image_commands",
            &ImageIntent::Pull(PullSelection {
                services: vec!["worker".into()],
                include_deps: true,
                ..Default::default()
            })
        )
    );
}

#[test]
fn push_pushes_built_images_under_every_name() {
    insta::assert_snapshot!(
        "push_all",
        render_images(
            "image_commands",
            &ImageIntent::Push(PushSelection::default())
        )
    );
    insta::assert_snapshot!(
        "push_named",
        render_images(
            "image_commands",
            &ImageIntent::Push(PushSelection {
                services: vec!["app".into()],
                include_deps: false,
            })
        )
    );
}

#[test]
fn run_starts_the_dependencies_and_waits_for_the_one_offs_conditions() {
    // `run web`: db and migrate come up (migrate after db is healthy); then the plan waits for
    // web's own conditions (db healthy, migrate completed) though no step of it depends on them.
    let intent = Intent::Run {
        service: "web".into(),
        up: UpOptions::default(),
    };
    insta::assert_snapshot!(render("stack_fresh", &intent));
    // A running stack: nothing to create, still the waits.
    let (d, o) = load("stack_current");
    let p = plan_desired(&d, &o, &intent).unwrap_or_else(|e| panic!("{e}"));
    let waits: Vec<String> = p
        .steps
        .iter()
        .filter(|s| matches!(s.action, Action::Await { .. }))
        .map(|s| s.action.describe())
        .collect();
    assert_eq!(waits.len(), 2, "{}", p.render());
    // A service without dependencies: an empty plan.
    let none = Intent::Run {
        service: "db".into(),
        up: UpOptions::default(),
    };
    assert!(plan_desired(&d, &o, &none)
        .unwrap_or_else(|e| panic!("{e}"))
        .is_empty());
}
