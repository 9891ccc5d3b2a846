//! The planner's view of the service dependency graph: the model's [`ServiceGraph`] over the
//! desired services, with edges from `depends_on`, namespace sharing (`network_mode`/`pid`/`ipc:
//! service:x`) and `volumes_from` (a loaded project has its `links` among `depends_on`), and the
//! cycle check as a [`PlanError`].

use crate::model::ServiceGraph;

use super::desired::Desired;
use super::PlanError;

/// The graph of the desired services (edges point from a service to what it needs), only those
/// present in the project, in declaration order.
pub fn needs(desired: &Desired) -> ServiceGraph {
    ServiceGraph::new(desired.services.iter().map(|(name, svc)| {
        let mut list: Vec<String> = svc.depends_on.keys().cloned().collect();
        list.extend(svc.namespace_parents());
        for vf in &svc.volumes_from {
            if !vf.starts_with("container:") {
                list.push(vf.split(':').next().unwrap_or(vf).to_string());
            }
        }
        (name.clone(), list)
    }))
}

/// Rejects dependency cycles (including a service depending on itself) with the whole cycle.
pub fn check_cycles(needs: &ServiceGraph) -> Result<(), PlanError> {
    match needs.find_cycle() {
        Some(cycle) => Err(PlanError::Cycle { cycle }),
        None => Ok(()),
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
    fn self_dependency_is_a_cycle() {
        let n = g(&[("service1", &["service1"])]);
        let err = check_cycles(&n).err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("dependency cycle detected: service1 -> service1")
        );
    }
}
