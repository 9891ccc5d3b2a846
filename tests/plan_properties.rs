//! Property tests for the planner: every step comes after its dependencies, cycles are always
//! rejected (with a real cycle), and a second plan after applying the first is a no-op.

use std::collections::BTreeSet;

use proptest::prelude::*;
use rcompose::plan::simulate::simulate;
use rcompose::plan::{
    plan_desired, Action, ContainerState, Desired, DownOptions, Intent, Observed,
    ObservedContainer, PlanError, UpOptions,
};
use serde_yaml::{Mapping, Value};

#[derive(Debug, Clone)]
struct Svc {
    deps: Vec<(usize, u8, bool, bool)>, // (target, condition, required, restart)
    replicas: u32,
    healthcheck: bool,
    parent: Option<usize>,
}

#[derive(Debug, Clone)]
struct Existing {
    service: usize,
    number: u32,
    state: u8,
    stale: bool,
}

fn svc_strategy(n: usize) -> impl Strategy<Value = Svc> {
    (
        prop::collection::vec((0..n, 0u8..3, any::<bool>(), any::<bool>()), 0..3),
        1u32..3,
        any::<bool>(),
        prop::option::weighted(0.15, 0..n),
    )
        .prop_map(|(deps, replicas, healthcheck, parent)| Svc {
            deps,
            replicas,
            healthcheck,
            parent,
        })
}

fn project_strategy() -> impl Strategy<Value = (Vec<Svc>, Vec<Existing>)> {
    (1usize..7).prop_flat_map(|n| {
        (
            prop::collection::vec(svc_strategy(n), n),
            prop::collection::vec(
                (0..n, 1u32..4, 0u8..3, any::<bool>()).prop_map(
                    |(service, number, state, stale)| Existing {
                        service,
                        number,
                        state,
                        stale,
                    },
                ),
                0..8,
            ),
        )
    })
}

/// The same shape with every edge pointing to an earlier service: no cycles.
fn acyclic_strategy() -> impl Strategy<Value = (Vec<Svc>, Vec<Existing>)> {
    project_strategy().prop_map(|(mut svcs, existing)| {
        for (i, s) in svcs.iter_mut().enumerate() {
            s.deps.retain(|(t, ..)| *t < i);
            s.parent = s.parent.filter(|p| *p < i);
        }
        (svcs, existing)
    })
}

fn name(i: usize) -> String {
    format!("s{i}")
}

fn key(k: &str) -> Value {
    Value::String(k.to_string())
}

fn to_desired(svcs: &[Svc]) -> Desired {
    let mut services = Mapping::new();
    for (i, s) in svcs.iter().enumerate() {
        let mut m = Mapping::new();
        m.insert(key("image"), key("busybox"));
        m.insert(key("scale"), Value::Number(s.replicas.into()));
        let mut deps = Mapping::new();
        for (t, c, required, restart) in &s.deps {
            let cond = [
                "service_started",
                "service_healthy",
                "service_completed_successfully",
            ]
            .get(*c as usize)
            .copied()
            .unwrap_or("service_started");
            let mut d = Mapping::new();
            d.insert(key("condition"), key(cond));
            d.insert(key("required"), Value::Bool(*required));
            d.insert(key("restart"), Value::Bool(*restart));
            deps.insert(key(&name(*t)), Value::Mapping(d));
        }
        if !deps.is_empty() {
            m.insert(key("depends_on"), Value::Mapping(deps));
        }
        if s.healthcheck {
            let mut h = Mapping::new();
            h.insert(key("test"), Value::Sequence(vec![key("CMD"), key("true")]));
            m.insert(key("healthcheck"), Value::Mapping(h));
        }
        if let Some(p) = s.parent {
            m.insert(key("pid"), key(&format!("service:{}", name(p))));
        }
        let mut nets = Mapping::new();
        nets.insert(key("default"), Value::Null);
        m.insert(key("networks"), Value::Mapping(nets));
        services.insert(key(&name(i)), Value::Mapping(m));
    }
    let mut root = Mapping::new();
    root.insert(key("name"), key("prop"));
    root.insert(key("services"), Value::Mapping(services));
    let mut nets = Mapping::new();
    let mut def = Mapping::new();
    def.insert(key("name"), key("prop_default"));
    nets.insert(key("default"), Value::Mapping(def));
    root.insert(key("networks"), Value::Mapping(nets));
    Desired::from_canonical(&Value::Mapping(root), None).unwrap_or_default()
}

fn to_observed(d: &Desired, existing: &[Existing]) -> Observed {
    let mut o = Observed::default();
    o.images.push(rcompose::plan::observed::ObservedImage {
        name: "busybox".into(),
        id: "sha256:bb".into(),
    });
    let mut seen = BTreeSet::new();
    for (i, e) in existing.iter().enumerate() {
        let svc = name(e.service);
        if !seen.insert((svc.clone(), e.number)) {
            continue;
        }
        let hash = d
            .services
            .get(&svc)
            .map(|s| s.config_hash.clone())
            .unwrap_or_default();
        o.containers.push(ObservedContainer {
            id: format!("{i:016}"),
            name: format!("prop-{svc}-{}", e.number),
            service: svc,
            number: e.number,
            config_hash: if e.stale { "stale".into() } else { hash },
            image_id: "sha256:bb".into(),
            state: match e.state {
                0 => ContainerState::Running,
                1 => ContainerState::Exited,
                _ => ContainerState::Created,
            },
            ..ObservedContainer::default()
        });
    }
    o
}

/// Independent cycle check (Kahn's algorithm) over depends_on + namespace parents.
fn has_cycle(svcs: &[Svc]) -> bool {
    let n = svcs.len();
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for (i, s) in svcs.iter().enumerate() {
        for (t, ..) in &s.deps {
            edges[i].insert(*t);
        }
        if let Some(p) = s.parent {
            edges[i].insert(p);
        }
    }
    let mut indeg = vec![0usize; n];
    for e in &edges {
        for t in e {
            indeg[*t] += 1;
        }
    }
    let mut queue: Vec<usize> = (0..n).filter(|i| indeg[*i] == 0).collect();
    let mut removed = 0;
    while let Some(i) = queue.pop() {
        removed += 1;
        for t in &edges[i] {
            indeg[*t] -= 1;
            if indeg[*t] == 0 {
                queue.push(*t);
            }
        }
    }
    removed < n
}

fn edge_exists(d: &Desired, from: &str, to: &str) -> bool {
    d.services.get(from).is_some_and(|s| {
        s.depends_on.contains_key(to) || s.namespace_parents().iter().any(|p| p == to)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn cycles_are_always_rejected((svcs, existing) in project_strategy()) {
        let d = to_desired(&svcs);
        let o = to_observed(&d, &existing);
        let result = plan_desired(&d, &o, &Intent::up());
        if has_cycle(&svcs) {
            match result {
                Err(PlanError::Cycle { cycle }) => {
                    prop_assert!(cycle.len() >= 2);
                    prop_assert_eq!(cycle.first(), cycle.last());
                    for w in cycle.windows(2) {
                        prop_assert!(edge_exists(&d, &w[0], &w[1]), "{} -> {} is not an edge", w[0], w[1]);
                    }
                }
                other => prop_assert!(false, "expected a cycle error, got {:?}", other.map(|p| p.render())),
            }
        } else {
            prop_assert!(result.is_ok(), "{:?}", result.err());
        }
    }

    #[test]
    fn every_step_comes_after_its_dependencies(
        (svcs, existing) in acyclic_strategy(),
        force in any::<bool>(),
        no_start in any::<bool>(),
        down in any::<bool>(),
    ) {
        prop_assert!(!has_cycle(&svcs));
        let d = to_desired(&svcs);
        let o = to_observed(&d, &existing);
        let intent = if down {
            Intent::Down(DownOptions::default())
        } else {
            Intent::Up(UpOptions { force_recreate: force, no_start, ..UpOptions::default() })
        };
        let p = plan_desired(&d, &o, &intent);
        prop_assert!(p.is_ok(), "{:?}", p.err());
        if let Ok(p) = p {
            prop_assert!(p.check_order().is_ok(), "{:?}\n{}", p.check_order(), p.render());
            // A service's containers start only after every dependency in scope is waited for.
            for s in &p.steps {
                if let Action::StartContainer { container } = &s.action {
                    let svc = &d.services[&container.service];
                    for dep in svc.depends_on.keys() {
                        let waited = s.deps.iter().any(|dd| matches!(
                            &p.steps[dd.step].action,
                            Action::Await { service, .. } if service == dep
                        ));
                        prop_assert!(waited, "start of {} does not wait for {}\n{}", container.name, dep, p.render());
                    }
                }
            }
        }
    }

    #[test]
    fn a_second_plan_after_applying_the_first_is_a_noop(
        (svcs, existing) in acyclic_strategy(),
        no_start in any::<bool>(),
        down in any::<bool>(),
    ) {
        prop_assert!(!has_cycle(&svcs));
        let d = to_desired(&svcs);
        let o = to_observed(&d, &existing);
        let intent = if down {
            Intent::Down(DownOptions { remove_volumes: true, ..DownOptions::default() })
        } else {
            Intent::Up(UpOptions { no_start, ..UpOptions::default() })
        };
        let first = plan_desired(&d, &o, &intent);
        prop_assert!(first.is_ok());
        if let Ok(first) = first {
            let after = simulate(&first, &d, &o);
            let second = plan_desired(&d, &after, &intent);
            prop_assert!(second.is_ok());
            if let Ok(second) = second {
                // Created-but-not-started containers are still "not running" after `create`.
                let changes: Vec<String> = second
                    .effective_steps()
                    .map(|s| s.action.describe())
                    .collect();
                prop_assert!(changes.is_empty(), "first:\n{}\nsecond:\n{}", first.render(), second.render());
            }
        }
    }
}
