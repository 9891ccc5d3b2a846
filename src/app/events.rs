//! `events` and `wait` as typed streams: the project's container events as docker compose
//! reports them ([`ComposeEvent`]: one-off containers and the `com.docker.compose.*` labels
//! left out), and the exits of running containers ([`exits`]). Rendering them (times, lines,
//! JSON) is the cli's. Must not import `cli` or `loader`; prints nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::stream::{BoxStream, FuturesUnordered, StreamExt};

use super::query::QueryError;
use crate::engine::{
    ContainerSummary, Engine, EngineError, EngineEvent, EventAction, EventFilter, EventKind,
    LabelFilter, WaitCondition,
};
use crate::plan::labels;

/// A container event as docker compose reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeEvent {
    pub time_nano: i64,
    pub service: String,
    pub id: String,
    pub action: String,
    /// The actor's attributes without the `com.docker.compose.*` labels.
    pub attributes: BTreeMap<String, String>,
}

impl ComposeEvent {
    /// The event docker compose would show for `ev`, if any: container events only, one-off
    /// containers left out, only `services` when given.
    pub fn from_engine(ev: &EngineEvent, services: &[String]) -> Option<ComposeEvent> {
        if ev.kind != EventKind::Container {
            return None;
        }
        if ev.attributes.get(labels::ONEOFF).map(String::as_str) == Some("True") {
            return None;
        }
        let service = ev
            .attributes
            .get(labels::SERVICE)
            .cloned()
            .unwrap_or_default();
        if !services.is_empty() && !services.contains(&service) {
            return None;
        }
        Some(ComposeEvent {
            time_nano: ev.time_nano,
            service,
            id: ev.id.clone(),
            action: action_text(&ev.action),
            attributes: ev
                .attributes
                .iter()
                .filter(|(k, _)| !k.starts_with("com.docker.compose."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        })
    }
}

/// The engine's action string (`start`, `health_status: healthy`, `exec_start: sh`).
pub fn action_text(a: &EventAction) -> String {
    match a {
        EventAction::Create => "create".into(),
        EventAction::Start => "start".into(),
        EventAction::Restart => "restart".into(),
        EventAction::Die => "die".into(),
        EventAction::Stop => "stop".into(),
        EventAction::Kill => "kill".into(),
        EventAction::Pause => "pause".into(),
        EventAction::Unpause => "unpause".into(),
        EventAction::Destroy => "destroy".into(),
        EventAction::Rename => "rename".into(),
        EventAction::Oom => "oom".into(),
        EventAction::HealthStatus(h) => format!("health_status: {}", h.as_str()),
        EventAction::Connect => "connect".into(),
        EventAction::Disconnect => "disconnect".into(),
        EventAction::Other(s) => s.clone(),
    }
}

/// `events`: the project's container events of `services` (all when empty), from `since`
/// (seconds since the epoch; `None`: from now) as they happen, until `until` or until the
/// engine ends the stream. An engine error names the project.
pub fn events(
    engine: &dyn Engine,
    project: &str,
    services: &[String],
    since: Option<i64>,
    until: Option<i64>,
) -> BoxStream<'static, Result<ComposeEvent, QueryError>> {
    let filter = EventFilter {
        labels: LabelFilter::project(project),
        kinds: vec!["container".to_string()],
        since,
        until,
    };
    let services = services.to_vec();
    let project = project.to_string();
    engine
        .events(&filter)
        .filter_map(move |ev| {
            let out = match ev {
                Ok(ev) => ComposeEvent::from_engine(&ev, &services).map(Ok),
                Err(e) => Some(Err(QueryError::new(
                    format!("the engine's event stream for project {project} failed"),
                    e,
                ))),
            };
            futures::future::ready(out)
        })
        .boxed()
}

/// One container that exited (`wait`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exited {
    pub id: String,
    pub code: i64,
}

/// `wait`: the exit of each of `containers`, in the order they exit.
pub fn exits(
    engine: Arc<dyn Engine>,
    containers: &[ContainerSummary],
) -> BoxStream<'static, Result<Exited, QueryError>> {
    let waits: FuturesUnordered<_> = containers
        .iter()
        .map(|c| {
            let engine = Arc::clone(&engine);
            let (id, label) = (c.id.clone(), c.name().to_string());
            async move {
                let r: Result<i64, EngineError> =
                    engine.wait_container(&id, WaitCondition::NotRunning).await;
                r.map(|code| Exited { id, code })
                    .map_err(|e| QueryError::new(format!("cannot wait for container {label}"), e))
            }
        })
        .collect();
    waits.boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Labels;

    fn event(action: EventAction, attrs: &[(&str, &str)]) -> EngineEvent {
        let attributes: Labels = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EngineEvent {
            kind: EventKind::Container,
            action,
            id: "abc123".into(),
            name: attributes.get("name").cloned(),
            attributes,
            exit_code: None,
            // 2023-11-14T22:13:20.123456789Z
            time_nano: 1_700_000_000_123_456_789,
        }
    }

    #[test]
    fn compose_labels_are_dropped_and_the_service_kept() {
        let ev = event(
            EventAction::Start,
            &[
                ("com.docker.compose.project", "p"),
                ("com.docker.compose.service", "web"),
                ("name", "p-web-1"),
                ("image", "busybox"),
            ],
        );
        let e = ComposeEvent::from_engine(&ev, &[]).expect("kept");
        assert_eq!(e.service, "web");
        assert_eq!(e.id, "abc123");
        assert_eq!(e.action, "start");
        assert_eq!(e.time_nano, 1_700_000_000_123_456_789);
        let keys: Vec<&str> = e.attributes.keys().map(String::as_str).collect();
        assert_eq!(keys, ["image", "name"]);
    }

    #[test]
    fn one_offs_other_services_and_other_kinds_are_left_out() {
        let oneoff = event(
            EventAction::Start,
            &[
                ("com.docker.compose.service", "web"),
                ("com.docker.compose.oneoff", "True"),
            ],
        );
        assert!(ComposeEvent::from_engine(&oneoff, &[]).is_none());
        let db = event(EventAction::Die, &[("com.docker.compose.service", "db")]);
        assert!(ComposeEvent::from_engine(&db, &["web".into()]).is_none());
        assert!(ComposeEvent::from_engine(&db, &["db".into()]).is_some());
        let mut net = db.clone();
        net.kind = EventKind::Network;
        assert!(ComposeEvent::from_engine(&net, &[]).is_none());
    }

    #[test]
    fn actions_keep_the_engine_spelling() {
        assert_eq!(
            action_text(&EventAction::parse("health_status: healthy")),
            "health_status: healthy"
        );
        assert_eq!(
            action_text(&EventAction::parse("exec_start: sh -c x")),
            "exec_start: sh -c x"
        );
        for a in [
            "create", "start", "restart", "die", "stop", "kill", "destroy",
        ] {
            assert_eq!(action_text(&EventAction::parse(a)), a);
        }
    }
}
