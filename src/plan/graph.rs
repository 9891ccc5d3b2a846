//! The service dependency graph: `depends_on`, namespace sharing (`network_mode`/`pid`/`ipc:
//! service:x`) and `volumes_from`. Cycle detection (tarjan_scc, reporting one whole cycle),
//! dependency order, and the transitive closure used to scope a command.

use std::collections::{BTreeSet, HashMap};

use indexmap::{IndexMap, IndexSet};
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

use super::desired::Desired;
use super::PlanError;

/// Services each service needs (edges point from a service to what it needs), only those present
/// in the project, in declaration order.
pub fn needs(desired: &Desired) -> IndexMap<String, Vec<String>> {
    let mut out = IndexMap::new();
    for (name, svc) in &desired.services {
        let mut list: Vec<String> = Vec::new();
        let mut push = |s: &str| {
            if desired.services.contains_key(s) && !list.iter().any(|x| x == s) {
                list.push(s.to_string());
            }
        };
        for dep in svc.depends_on.keys() {
            push(dep);
        }
        for p in svc.namespace_parents() {
            push(&p);
        }
        for vf in &svc.volumes_from {
            let target = vf.split(':').next().unwrap_or(vf);
            if !vf.starts_with("container:") {
                push(target);
            }
        }
        out.insert(name.clone(), list);
    }
    out
}

/// Rejects dependency cycles (including a service depending on itself) with the whole cycle.
pub fn check_cycles(needs: &IndexMap<String, Vec<String>>) -> Result<(), PlanError> {
    let mut g: DiGraph<&str, ()> = DiGraph::new();
    let mut idx: HashMap<&str, NodeIndex> = HashMap::new();
    for name in needs.keys() {
        idx.insert(name.as_str(), g.add_node(name.as_str()));
    }
    for (name, deps) in needs {
        for d in deps {
            if let (Some(&a), Some(&b)) = (idx.get(name.as_str()), idx.get(d.as_str())) {
                g.add_edge(a, b, ());
            }
        }
    }
    // Report the cycle that involves the earliest-declared service, for a stable message.
    let mut best: Option<Vec<String>> = None;
    let mut best_pos = usize::MAX;
    for scc in tarjan_scc(&g) {
        let members: BTreeSet<&str> = scc
            .iter()
            .filter_map(|n| g.node_weight(*n).copied())
            .collect();
        let is_cycle = scc.len() > 1 || scc.first().is_some_and(|n| g.contains_edge(*n, *n));
        if !is_cycle {
            continue;
        }
        let start_pos = needs
            .keys()
            .position(|k| members.contains(k.as_str()))
            .unwrap_or(usize::MAX);
        if start_pos < best_pos {
            if let Some((start, _)) = needs.get_index(start_pos) {
                best = Some(find_cycle(needs, start, &members));
                best_pos = start_pos;
            }
        }
    }
    match best {
        Some(cycle) => Err(PlanError::Cycle { cycle }),
        None => Ok(()),
    }
}

/// A path `start -> ... -> start` inside one strongly connected component (DFS in declaration
/// order, so the answer is deterministic).
fn find_cycle(
    needs: &IndexMap<String, Vec<String>>,
    start: &str,
    members: &BTreeSet<&str>,
) -> Vec<String> {
    let mut path: Vec<String> = vec![start.to_string()];
    let mut visited: BTreeSet<String> = BTreeSet::new();
    visited.insert(start.to_string());
    // Stack of (node, next child index).
    let mut stack: Vec<(String, usize)> = vec![(start.to_string(), 0)];
    while let Some((node, i)) = stack.last().cloned() {
        let children = needs.get(&node).cloned().unwrap_or_default();
        if let Some(child) = children.get(i) {
            if let Some(top) = stack.last_mut() {
                top.1 += 1;
            }
            if child == start {
                path.push(start.to_string());
                return path;
            }
            if members.contains(child.as_str()) && visited.insert(child.clone()) {
                path.push(child.clone());
                stack.push((child.clone(), 0));
            }
        } else {
            stack.pop();
            path.pop();
        }
    }
    // Unreachable for a real SCC; still return something meaningful.
    vec![start.to_string(), start.to_string()]
}

/// All services in dependency order (what a service needs comes before it; ties keep
/// declaration order). Assumes no cycles.
pub fn dependency_order(needs: &IndexMap<String, Vec<String>>) -> Vec<String> {
    let mut done: IndexSet<String> = IndexSet::new();
    for name in needs.keys() {
        visit(needs, name, &mut done, &mut BTreeSet::new());
    }
    done.into_iter().collect()
}

fn visit(
    needs: &IndexMap<String, Vec<String>>,
    name: &str,
    done: &mut IndexSet<String>,
    on_path: &mut BTreeSet<String>,
) {
    if done.contains(name) || !on_path.insert(name.to_string()) {
        return;
    }
    for d in needs.get(name).map(Vec::as_slice).unwrap_or(&[]) {
        visit(needs, d, done, on_path);
    }
    on_path.remove(name);
    done.insert(name.to_string());
}

/// `selected` plus everything it needs, transitively.
pub fn with_dependencies(
    needs: &IndexMap<String, Vec<String>>,
    selected: &[String],
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo: Vec<String> = selected.to_vec();
    while let Some(s) = todo.pop() {
        if out.insert(s.clone()) {
            for d in needs.get(&s).map(Vec::as_slice).unwrap_or(&[]) {
                todo.push(d.clone());
            }
        }
    }
    out
}

/// Services that need `service`, directly.
pub fn dependents<'a>(needs: &'a IndexMap<String, Vec<String>>, service: &str) -> Vec<&'a str> {
    needs
        .iter()
        .filter(|(_, deps)| deps.iter().any(|d| d == service))
        .map(|(n, _)| n.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(edges: &[(&str, &[&str])]) -> IndexMap<String, Vec<String>> {
        edges
            .iter()
            .map(|(n, d)| (n.to_string(), d.iter().map(|s| s.to_string()).collect()))
            .collect()
    }

    #[test]
    fn cycle_reports_whole_cycle() {
        let n = g(&[
            ("service1", &["service2"]),
            ("service2", &["service3"]),
            ("service3", &["service1"]),
        ]);
        let err = check_cycles(&n).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("dependency cycle detected: service1 -> service2 -> service3 -> service1")
        );
    }

    #[test]
    fn self_dependency_is_a_cycle() {
        let n = g(&[("service1", &["service1"])]);
        let err = check_cycles(&n).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("dependency cycle detected: service1 -> service1")
        );
    }

    #[test]
    fn order_puts_dependencies_first() {
        let n = g(&[("web", &["db", "cache"]), ("db", &[]), ("cache", &["db"])]);
        assert!(check_cycles(&n).is_ok());
        assert_eq!(dependency_order(&n), vec!["db", "cache", "web"]);
        let scope = with_dependencies(&n, &["cache".to_string()]);
        assert_eq!(scope.into_iter().collect::<Vec<_>>(), vec!["cache", "db"]);
    }
}
