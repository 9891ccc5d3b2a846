//! The [`Swarm`] area over bollard: swarm state (from `/info`), services, tasks, secrets and
//! configs. Must not import `model`, `loader`, `plan`, `app` or `cli`.

use std::collections::HashMap;

use async_trait::async_trait;
use base64::Engine as _;
use bollard::models as bm;
use bollard::query_parameters as qp;

use super::{label_filters, labels_of, DockerEngine};
use crate::engine::swarm::*;
use crate::engine::types::*;
use crate::engine::{EngineError, EngineResult, ObjectKind};

fn bad_spec(e: serde_json::Error) -> EngineError {
    EngineError::Client(format!("service spec does not match the Engine API: {e}"))
}

/// The spec as bollard's model: a key the model does not know (a misspelt field would be
/// dropped silently) is an error naming it.
fn typed_spec(spec: &ServiceSpec) -> EngineResult<bm::ServiceSpec> {
    let typed: bm::ServiceSpec = serde_json::from_value(spec.clone()).map_err(bad_spec)?;
    let back = serde_json::to_value(&typed).map_err(bad_spec)?;
    if let Some(path) = dropped(spec, &back, "") {
        return Err(EngineError::Client(format!(
            "service spec does not match the Engine API: unknown field {path}"
        )));
    }
    Ok(typed)
}

/// The first key of `sent` that `kept` lacks.
fn dropped(sent: &serde_json::Value, kept: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value;
    match (sent, kept) {
        (Value::Object(a), Value::Object(b)) => a.iter().find_map(|(k, v)| {
            let path = format!("{at}.{k}");
            match b.get(k) {
                None if !v.is_null() => Some(path),
                None => None,
                Some(w) => dropped(v, w, &path),
            }
        }),
        (Value::Array(a), Value::Array(b)) => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (v, w))| dropped(v, w, &format!("{at}[{i}]"))),
        _ => None,
    }
}

fn text<T: serde::Serialize>(v: &Option<T>) -> String {
    match v.as_ref().map(serde_json::to_value) {
        Some(Ok(serde_json::Value::String(s))) => s,
        Some(Ok(other)) if !other.is_null() => other.to_string(),
        _ => String::new(),
    }
}

fn service_of(s: bm::Service) -> SwarmService {
    let spec = s.spec.unwrap_or_default();
    let replicas = match &spec.mode {
        Some(m) if m.global.is_some() => None,
        Some(m) => Some(
            m.replicated
                .as_ref()
                .and_then(|r| r.replicas)
                .unwrap_or(1)
                .max(0) as u64,
        ),
        None => Some(1),
    };
    let ports = ports_of(s.endpoint.and_then(|e| e.ports));
    let status = s.service_status.unwrap_or_default();
    SwarmService {
        id: s.id.unwrap_or_default(),
        name: spec.name.clone().unwrap_or_default(),
        version: s.version.and_then(|v| v.index).unwrap_or(0),
        labels: labels_of(spec.labels.clone()),
        replicas,
        running_tasks: status.running_tasks,
        desired_tasks: status.desired_tasks,
        ports,
        spec: serde_json::to_value(&spec).unwrap_or_default(),
    }
}

fn ports_of(ports: Option<Vec<bm::EndpointPortConfig>>) -> Vec<SwarmPort> {
    ports
        .unwrap_or_default()
        .iter()
        .map(|p| SwarmPort {
            protocol: text(&p.protocol),
            target: u32::try_from(p.target_port.unwrap_or(0)).unwrap_or(0),
            published: u32::try_from(p.published_port.unwrap_or(0)).unwrap_or(0),
            mode: text(&p.publish_mode),
        })
        .collect()
}

/// A secret or config as the engine lists it (both are `{ID, Spec: {Name, Labels}}`).
fn object_of<T: serde::Serialize>(o: &T) -> SwarmObject {
    let v = serde_json::to_value(o).unwrap_or_default();
    let s = |p: &str| {
        v.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_string()
    };
    SwarmObject {
        id: s("/ID"),
        name: s("/Spec/Name"),
        labels: v
            .pointer("/Spec/Labels")
            .and_then(|l| serde_json::from_value(l.clone()).ok())
            .unwrap_or_default(),
    }
}

fn object_kind(kind: SwarmObjectKind) -> ObjectKind {
    match kind {
        SwarmObjectKind::Secret => ObjectKind::Secret,
        SwarmObjectKind::Config => ObjectKind::Config,
    }
}

#[async_trait]
impl Swarm for DockerEngine {
    async fn swarm_state(&self) -> EngineResult<SwarmState> {
        let info = self
            .docker
            .info()
            .await
            .map_err(|e| self.err(e, ObjectKind::Service, "swarm"))?;
        let swarm = info.swarm.unwrap_or_default();
        Ok(SwarmState {
            local_node_state: text(&swarm.local_node_state),
            manager: swarm.control_available.unwrap_or(false),
            node_id: swarm.node_id.unwrap_or_default(),
        })
    }

    async fn list_nodes(&self) -> EngineResult<Vec<SwarmNode>> {
        let nodes = self
            .docker
            .list_nodes(None::<qp::ListNodesOptions>)
            .await
            .map_err(|e| self.err(e, ObjectKind::Service, "nodes"))?;
        Ok(nodes
            .into_iter()
            .map(|n| SwarmNode {
                id: n.id.unwrap_or_default(),
                hostname: n.description.and_then(|d| d.hostname).unwrap_or_default(),
            })
            .collect())
    }

    async fn list_services(&self, filter: &LabelFilter) -> EngineResult<Vec<SwarmService>> {
        let options = qp::ListServicesOptions {
            filters: Some(label_filters(filter)),
            status: Some(true),
        };
        let list = self
            .docker
            .list_services(Some(options))
            .await
            .map_err(|e| self.err(e, ObjectKind::Service, ""))?;
        let mut out: Vec<SwarmService> = list.into_iter().map(service_of).collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn create_service(&self, spec: &ServiceSpec) -> EngineResult<String> {
        let typed = typed_spec(spec)?;
        let name = typed.name.clone().unwrap_or_default();
        let created = self
            .docker
            .create_service(typed, None)
            .await
            .map_err(|e| self.err(e, ObjectKind::Service, &name))?;
        Ok(created.id.unwrap_or_default())
    }

    async fn update_service(
        &self,
        id: &str,
        version: u64,
        spec: &ServiceSpec,
    ) -> EngineResult<Vec<String>> {
        let typed = typed_spec(spec)?;
        let options = qp::UpdateServiceOptions {
            version: i32::try_from(version).unwrap_or(i32::MAX),
            registry_auth_from: "spec".to_string(),
            ..Default::default()
        };
        let answer = self
            .docker
            .update_service(id, typed, options, None)
            .await
            .map_err(|e| self.err(e, ObjectKind::Service, id))?;
        Ok(answer.warnings.unwrap_or_default())
    }

    async fn remove_service(&self, id: &str) -> EngineResult<()> {
        self.docker
            .delete_service(id)
            .await
            .map_err(|e| self.err(e, ObjectKind::Service, id))
    }

    async fn list_tasks(&self, service_ids: &[String]) -> EngineResult<Vec<SwarmTask>> {
        // Filtered here: the engine's `service` filter fails on an id that is gone.
        let options = qp::ListTasksOptions {
            filters: Some(HashMap::new()),
        };
        let list = self
            .docker
            .list_tasks(Some(options))
            .await
            .map_err(|e| self.err(e, ObjectKind::Service, ""))?;
        Ok(list
            .into_iter()
            .filter(|t| {
                service_ids.is_empty()
                    || t.service_id
                        .as_ref()
                        .is_some_and(|id| service_ids.contains(id))
            })
            .map(|t| {
                let status = t.status.unwrap_or_default();
                let spec = serde_json::to_value(&t.spec).unwrap_or_default();
                SwarmTask {
                    id: t.id.unwrap_or_default(),
                    service_id: t.service_id.unwrap_or_default(),
                    slot: t.slot,
                    node_id: t.node_id.unwrap_or_default(),
                    desired_state: text(&t.desired_state),
                    state: text(&status.state),
                    message: status.message.unwrap_or_default(),
                    error: status.err.unwrap_or_default(),
                    image: t
                        .spec
                        .and_then(|s| s.container_spec)
                        .and_then(|c| c.image)
                        .unwrap_or_default(),
                    container_id: status
                        .container_status
                        .and_then(|c| c.container_id)
                        .unwrap_or_default(),
                    timestamp: text(&status.timestamp),
                    created_at: text(&t.created_at),
                    ports: ports_of(status.port_status.and_then(|p| p.ports)),
                    spec,
                }
            })
            .collect())
    }

    async fn list_swarm_objects(
        &self,
        kind: SwarmObjectKind,
        filter: &LabelFilter,
    ) -> EngineResult<Vec<SwarmObject>> {
        let filters = Some(label_filters(filter));
        let map = |e| self.err(e, object_kind(kind), "");
        let mut out: Vec<SwarmObject> = match kind {
            SwarmObjectKind::Secret => self
                .docker
                .list_secrets(Some(qp::ListSecretsOptions { filters }))
                .await
                .map_err(map)?
                .iter()
                .map(object_of)
                .collect(),
            SwarmObjectKind::Config => self
                .docker
                .list_configs(Some(qp::ListConfigsOptions { filters }))
                .await
                .map_err(map)?
                .iter()
                .map(object_of)
                .collect(),
        };
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn create_swarm_object(
        &self,
        kind: SwarmObjectKind,
        name: &str,
        labels: &Labels,
        data: &[u8],
    ) -> EngineResult<String> {
        // SecretSpec and ConfigSpec share these fields: one spec, read as either.
        let spec = serde_json::json!({
            "Name": name,
            "Labels": labels,
            "Data": base64::engine::general_purpose::STANDARD.encode(data),
        });
        let bad = |e: serde_json::Error| EngineError::Client(format!("{name}: {e}"));
        let map = |e| self.err(e, object_kind(kind), name);
        let id = match kind {
            SwarmObjectKind::Secret => {
                let spec = serde_json::from_value(spec).map_err(bad)?;
                self.docker.create_secret(spec).await.map_err(map)?.id
            }
            SwarmObjectKind::Config => {
                let spec = serde_json::from_value(spec).map_err(bad)?;
                self.docker.create_config(spec).await.map_err(map)?.id
            }
        };
        Ok(id)
    }

    async fn remove_swarm_object(&self, kind: SwarmObjectKind, id: &str) -> EngineResult<()> {
        let map = |e| self.err(e, object_kind(kind), id);
        match kind {
            SwarmObjectKind::Secret => self.docker.delete_secret(id).await.map_err(map),
            SwarmObjectKind::Config => self.docker.delete_config(id).await.map_err(map),
        }
    }
}
