//! The one service dependency graph (petgraph): an edge from a service to each service it needs,
//! from `depends_on`, `links`, `volumes_from` and the `service:` namespaces (`network_mode`, `ipc`,
//! `pid`). It answers cycles (the whole cycle, `a -> b -> a`), dependency order, closure (services
//! plus everything they need) and dependents. The loader's cycle check, the planner and the app
//! layer all ask this graph.
//!
//! Pure; must not import anything else of the crate but the model.

use std::collections::BTreeSet;

use indexmap::{IndexMap, IndexSet};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::Direction;

use super::{Project, Service};

/// Services (nodes, in the order given) and what each one needs (edges, in the order given).
/// Edges to services that are not nodes are dropped, as are repeated edges.
#[derive(Debug, Clone, Default)]
pub struct ServiceGraph {
    graph: DiGraph<String, ()>,
    index: IndexMap<String, NodeIndex>,
}

/// The services `service` needs, in declaration order: `depends_on`, then `service:` namespaces
/// (`network_mode`, `pid`, `ipc`), then `volumes_from` (not `container:x`), then `links`
/// (`name` or `name:alias`). Repeats are left to the graph to drop.
pub fn service_needs(service: &Service) -> Vec<String> {
    let mut out: Vec<String> = service.depends_on.keys().cloned().collect();
    for v in [&service.network_mode, &service.pid, &service.ipc]
        .into_iter()
        .flatten()
    {
        if let Some(s) = v.strip_prefix("service:") {
            out.push(s.to_string());
        }
    }
    for vf in &service.volumes_from {
        if !vf.starts_with("container:") {
            out.push(vf.split(':').next().unwrap_or(vf).to_string());
        }
    }
    for link in &service.links {
        out.push(link.split(':').next().unwrap_or(link).to_string());
    }
    out
}

impl ServiceGraph {
    /// A graph of `nodes`, each with the services it needs.
    pub fn new<I, D>(nodes: I) -> ServiceGraph
    where
        I: IntoIterator<Item = (String, D)>,
        D: IntoIterator<Item = String>,
    {
        let nodes: Vec<(String, Vec<String>)> = nodes
            .into_iter()
            .map(|(n, d)| (n, d.into_iter().collect()))
            .collect();
        let mut g = ServiceGraph::default();
        for (name, _) in &nodes {
            if !g.index.contains_key(name) {
                let ix = g.graph.add_node(name.clone());
                g.index.insert(name.clone(), ix);
            }
        }
        for (name, deps) in &nodes {
            let from = g.index[name];
            for d in deps {
                if let Some(&to) = g.index.get(d) {
                    if g.graph.find_edge(from, to).is_none() {
                        g.graph.add_edge(from, to, ());
                    }
                }
            }
        }
        g
    }

    /// The project's enabled services, in declaration order, with [`service_needs`].
    pub fn of_project(project: &Project) -> ServiceGraph {
        ServiceGraph::new(
            project
                .services
                .iter()
                .map(|(name, svc)| (name.clone(), service_needs(svc))),
        )
    }

    /// The services, in the order given.
    pub fn services(&self) -> impl Iterator<Item = &str> {
        self.index.keys().map(String::as_str)
    }

    pub fn contains(&self, service: &str) -> bool {
        self.index.contains_key(service)
    }

    /// What `service` needs directly, in the order given.
    pub fn needs(&self, service: &str) -> Vec<&str> {
        let Some(&ix) = self.index.get(service) else {
            return Vec::new();
        };
        // petgraph lists the newest edge first.
        let mut out: Vec<&str> = self
            .graph
            .neighbors_directed(ix, Direction::Outgoing)
            .map(|n| self.graph[n].as_str())
            .collect();
        out.reverse();
        out
    }

    /// The services that need `service` directly, in node order.
    pub fn dependents(&self, service: &str) -> Vec<&str> {
        let Some(&ix) = self.index.get(service) else {
            return Vec::new();
        };
        let mut out: Vec<NodeIndex> = self
            .graph
            .neighbors_directed(ix, Direction::Incoming)
            .collect();
        out.sort();
        out.dedup();
        out.into_iter().map(|n| self.graph[n].as_str()).collect()
    }

    /// The first dependency cycle, `[a, b, a]` (a self-dependency is `[a, a]`): a depth-first walk
    /// from each service in name order, children in name order, so the answer is stable.
    pub fn find_cycle(&self) -> Option<Vec<String>> {
        #[derive(Clone, Copy, PartialEq)]
        enum State {
            New,
            Active,
            Done,
        }
        let mut names: Vec<&str> = self.services().collect();
        names.sort_unstable();
        let mut state: IndexMap<&str, State> = names.iter().map(|n| (*n, State::New)).collect();
        for start in names {
            if state.get(start) != Some(&State::New) {
                continue;
            }
            // Iterative DFS: stack of (node, next child index).
            let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
            state.insert(start, State::Active);
            while let Some((node, idx)) = stack.last().copied() {
                let mut children = self.needs(node);
                children.sort_unstable();
                let Some(&child) = children.get(idx) else {
                    state.insert(node, State::Done);
                    stack.pop();
                    continue;
                };
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                match state.get(child).copied() {
                    Some(State::Active) => {
                        let from = stack.iter().position(|(n, _)| *n == child).unwrap_or(0);
                        let mut cycle: Vec<String> =
                            stack[from..].iter().map(|(n, _)| n.to_string()).collect();
                        cycle.push(child.to_string());
                        return Some(cycle);
                    }
                    Some(State::New) => {
                        state.insert(child, State::Active);
                        stack.push((child, 0));
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// All services in dependency order: what a service needs comes before it; ties keep the
    /// node order. Services on a cycle come in some order (check [`ServiceGraph::find_cycle`]).
    pub fn order(&self) -> Vec<String> {
        let mut done: IndexSet<&str> = IndexSet::new();
        for name in self.services() {
            self.visit(name, &mut done, &mut BTreeSet::new());
        }
        done.into_iter().map(str::to_string).collect()
    }

    fn visit<'a>(
        &'a self,
        name: &'a str,
        done: &mut IndexSet<&'a str>,
        on_path: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(name) || !on_path.insert(name) {
            return;
        }
        for d in self.needs(name) {
            self.visit(d, done, on_path);
        }
        on_path.remove(name);
        done.insert(name);
    }

    /// `selected` plus everything it needs, transitively (names that are not services are kept).
    pub fn closure<S: AsRef<str>>(&self, selected: &[S]) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut todo: Vec<String> = selected.iter().map(|s| s.as_ref().to_string()).collect();
        while let Some(s) = todo.pop() {
            if out.insert(s.clone()) {
                todo.extend(self.needs(&s).into_iter().map(str::to_string));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(edges: &[(&str, &[&str])]) -> ServiceGraph {
        ServiceGraph::new(
            edges
                .iter()
                .map(|(n, d)| (n.to_string(), d.iter().map(|s| s.to_string()))),
        )
    }

    #[test]
    fn cycle_reports_whole_cycle() {
        let n = g(&[
            ("service1", &["service2"]),
            ("service2", &["service3"]),
            ("service3", &["service1"]),
        ]);
        assert_eq!(
            n.find_cycle().map(|c| c.join(" -> ")).as_deref(),
            Some("service1 -> service2 -> service3 -> service1")
        );
        let selfish = g(&[("service1", &["service1"])]);
        assert_eq!(
            selfish.find_cycle(),
            Some(vec!["service1".to_string(), "service1".to_string()])
        );
    }

    #[test]
    fn cycle_starts_where_the_name_ordered_walk_reenters() {
        let n = g(&[("a", &["c"]), ("c", &["b"]), ("b", &["c"])]);
        assert_eq!(
            n.find_cycle(),
            Some(vec!["c".to_string(), "b".to_string(), "c".to_string()])
        );
    }

    #[test]
    fn order_closure_and_dependents() {
        let n = g(&[
            ("web", &["db", "cache"]),
            ("db", &[]),
            ("cache", &["db", "ghost"]),
        ]);
        assert!(n.find_cycle().is_none());
        assert_eq!(n.order(), vec!["db", "cache", "web"]);
        assert_eq!(n.needs("web"), vec!["db", "cache"]);
        assert_eq!(n.dependents("db"), vec!["web", "cache"]);
        let scope = n.closure(&["cache"]);
        assert_eq!(scope.into_iter().collect::<Vec<_>>(), vec!["cache", "db"]);
    }

    #[test]
    fn project_edges_come_from_every_kind_of_reference() {
        let p = Project::from_value(
            serde_yaml::from_str(
                "services:\n  a:\n    image: x\n    depends_on: {b: {condition: service_started}}\n    links: ['c:alias']\n    volumes_from: [d, 'container:zz']\n    network_mode: service:e\n  b: {image: x}\n  c: {image: x}\n  d: {image: x}\n  e: {image: x}\n",
            )
            .unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let n = ServiceGraph::of_project(&p);
        assert_eq!(n.needs("a"), vec!["b", "e", "d", "c"]);
    }
}
