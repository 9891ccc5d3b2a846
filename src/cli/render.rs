//! The text of progress output, as pure functions: an executor event about a plan step becomes a
//! `Line` (`Container proj-web-1  Started`), rendered plain or as one JSON object. The live (TTY)
//! and plain reporters in `progress` only decide where and when these lines go.
//!
//! Must not do I/O or import `engine`.

use crate::app::ExecEvent;
use crate::plan::{Action, Condition, Plan, Reason};

/// Where a step is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Working,
    Done,
    Failed(String),
    /// Not run because something it needs failed.
    Skipped(String),
    Cancelled,
}

/// One progress line: a resource (`Container proj-web-1`) and its status (`Started`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// `Container`, `Network`, `Volume`, `Image`, `Service`.
    pub kind: &'static str,
    pub name: String,
    pub status: String,
    /// Extra text (an error message, a reason).
    pub detail: Option<String>,
    pub error: bool,
    /// The resource reached its final status for this step.
    pub done: bool,
}

impl Line {
    /// `Container proj-web-1`: the key live progress groups lines by.
    pub fn resource(&self) -> String {
        format!("{} {}", self.kind, self.name)
    }
}

fn line(kind: &'static str, name: &str, status: &str, done: bool) -> Line {
    Line {
        kind,
        name: name.to_string(),
        status: status.to_string(),
        detail: None,
        error: false,
        done,
    }
}

/// Whether a step is an internal part of replacing a container (stop/rename/remove of the old
/// one): the user sees `Recreate` / `Recreated` on the replacement instead.
fn is_replacement_detail(action: &Action, reason: &Reason) -> bool {
    match action {
        Action::RenameContainer { .. } => true,
        Action::StopContainer { .. } | Action::RemoveContainer { .. } => {
            matches!(reason, Reason::Replacing { .. })
        }
        _ => false,
    }
}

/// The words for a step: kind, name, status while working, status when done.
fn words(action: &Action) -> (&'static str, String, &'static str, &'static str) {
    match action {
        Action::CreateNetwork { name, .. } => ("Network", name.clone(), "Creating", "Created"),
        Action::RemoveNetwork { name } => ("Network", name.clone(), "Removing", "Removed"),
        Action::CreateVolume { name, .. } => ("Volume", name.clone(), "Creating", "Created"),
        Action::RemoveVolume { name } => ("Volume", name.clone(), "Removing", "Removed"),
        Action::BuildImage { image, .. } => ("Image", image.clone(), "Building", "Built"),
        Action::PullImage { image, .. } => ("Image", image.clone(), "Pulling", "Pulled"),
        Action::RemoveImage { image } => ("Image", image.clone(), "Removing", "Removed"),
        Action::CreateContainer { name, replaces, .. } => {
            if replaces.is_some() {
                ("Container", name.clone(), "Recreate", "Recreated")
            } else {
                ("Container", name.clone(), "Creating", "Created")
            }
        }
        Action::RenameContainer { to, .. } => ("Container", to.clone(), "Renaming", "Renamed"),
        Action::StartContainer { container } => {
            ("Container", container.name.clone(), "Starting", "Started")
        }
        Action::StopContainer { container, .. } => {
            ("Container", container.name.clone(), "Stopping", "Stopped")
        }
        Action::RestartContainer { container, .. } => (
            "Container",
            container.name.clone(),
            "Restarting",
            "Restarted",
        ),
        Action::KillContainer { container, .. } => {
            ("Container", container.name.clone(), "Killing", "Killed")
        }
        Action::RemoveContainer { container, .. } => {
            ("Container", container.name.clone(), "Removing", "Removed")
        }
        Action::PauseContainer { container } => {
            ("Container", container.name.clone(), "Pausing", "Paused")
        }
        Action::UnpauseContainer { container } => {
            ("Container", container.name.clone(), "Unpausing", "Unpaused")
        }
        Action::Await {
            service, condition, ..
        } => {
            let done = match condition {
                Condition::ServiceStarted => "Started",
                Condition::ServiceHealthy => "Healthy",
                Condition::ServiceCompletedSuccessfully => "Exited",
            };
            ("Service", service.clone(), "Waiting", done)
        }
        Action::PushImage { image, .. } => ("Image", image.clone(), "Pushing", "Pushed"),
    }
}

/// The line for a step in a phase, or `None` for steps the user does not see.
pub fn step_line(action: &Action, reason: &Reason, phase: &Phase) -> Option<Line> {
    if is_replacement_detail(action, reason) {
        // Still worth showing when it goes wrong.
        if !matches!(phase, Phase::Failed(_)) {
            return None;
        }
    }
    let (kind, name, working, done) = words(action);
    let l = match phase {
        Phase::Working => line(kind, &name, working, false),
        Phase::Done => line(kind, &name, done, true),
        Phase::Failed(e) => Line {
            detail: Some(e.clone()),
            error: true,
            ..line(kind, &name, "Error", true)
        },
        Phase::Skipped(because) => Line {
            detail: Some(because.clone()),
            ..line(kind, &name, "Skipped", true)
        },
        Phase::Cancelled => line(kind, &name, "Cancelled", true),
    };
    Some(l)
}

/// What an executor event means for the user: a progress line, a warning, or nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rendered {
    Line(Line),
    Warning(String),
    /// A line of a step's own output (build output, a pull status, a hook's output).
    Detail {
        service: String,
        text: String,
    },
    Nothing,
}

/// Renders an executor event against the plan it came from.
pub fn event(plan: &Plan, ev: &ExecEvent) -> Rendered {
    let step_of = |id: usize| plan.steps.get(id);
    let (id, phase) = match ev {
        ExecEvent::Started { step, .. } => (*step, Phase::Working),
        ExecEvent::Finished { step, .. } => (*step, Phase::Done),
        ExecEvent::Failed { step, error, .. } => (*step, Phase::Failed(error.clone())),
        ExecEvent::Skipped { step, because, .. } => (*step, Phase::Skipped(because.clone())),
        ExecEvent::Cancelled { step, .. } => (*step, Phase::Cancelled),
        ExecEvent::Warning(w) => return Rendered::Warning(w.clone()),
        ExecEvent::Progress { service, line, .. } => {
            return Rendered::Detail {
                service: service.clone(),
                text: line.clone(),
            };
        }
        ExecEvent::Ready { service } => {
            return Rendered::Line(line("Service", service, "Ready", true));
        }
    };
    let what = match ev {
        ExecEvent::Started { what, .. }
        | ExecEvent::Finished { what, .. }
        | ExecEvent::Failed { what, .. }
        | ExecEvent::Skipped { what, .. }
        | ExecEvent::Cancelled { what, .. } => what.as_str(),
        _ => "",
    };
    let line = match step_of(id) {
        Some(s) if s.action.describe() == what => step_line(&s.action, &s.reason, &phase),
        // The plan is not known here (it is made inside the command): read the step's own words.
        _ => match what_line(what, &phase) {
            Some(l) => Some(l),
            None => {
                return match ev {
                    ExecEvent::Failed { what, error, .. } => {
                        Rendered::Warning(format!("{what}: {error}"))
                    }
                    _ => Rendered::Nothing,
                }
            }
        },
    };
    match line {
        Some(l) => Rendered::Line(l),
        None => Rendered::Nothing,
    }
}

/// A step's own output line as plain text: `web | Step 1/3 : FROM scratch`.
pub fn plain_detail(service: &str, text: &str) -> String {
    if service.is_empty() {
        text.to_string()
    } else {
        format!("{service} | {text}")
    }
}

/// A step's own output line as a JSON object.
pub fn json_detail(service: &str, text: &str) -> String {
    serde_json::json!({ "service": service, "detail": text }).to_string()
}

/// A temporary name `<12 hex>_<name>` given to a replacement container while the old one exists.
fn strip_temporary(name: &str) -> Option<&str> {
    let (id, rest) = name.split_once('_')?;
    (id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()) && !rest.is_empty())
        .then_some(rest)
}

/// The line for a step known only by its description (`Action::describe`), e.g.
/// `start container p-web-1`. `None` for descriptions it does not know or hides.
pub fn what_line(what: &str, phase: &Phase) -> Option<Line> {
    let mut words = what.splitn(3, ' ');
    let verb = words.next()?;
    let kind = words.next()?;
    let rest = words.next()?;
    let first = rest.split(' ').next().unwrap_or(rest);
    let (kind, name, working, done): (&'static str, String, &str, &str) = match (verb, kind) {
        ("create", "network") => ("Network", first.into(), "Creating", "Created"),
        ("remove", "network") => ("Network", first.into(), "Removing", "Removed"),
        ("create", "volume") => ("Volume", first.into(), "Creating", "Created"),
        ("remove", "volume") => ("Volume", first.into(), "Removing", "Removed"),
        ("build", "image") => ("Image", first.into(), "Building", "Built"),
        ("pull", "image") => ("Image", first.into(), "Pulling", "Pulled"),
        ("push", "image") => ("Image", first.into(), "Pushing", "Pushed"),
        ("remove", "image") => ("Image", first.into(), "Removing", "Removed"),
        ("create", "container") => match strip_temporary(first) {
            Some(n) => ("Container", n.into(), "Recreate", "Recreated"),
            None => ("Container", first.into(), "Creating", "Created"),
        },
        ("rename", "container") => {
            if !matches!(phase, Phase::Failed(_)) {
                return None;
            }
            ("Container", first.into(), "Renaming", "Renamed")
        }
        ("start", "container") => ("Container", first.into(), "Starting", "Started"),
        ("stop", "container") => ("Container", first.into(), "Stopping", "Stopped"),
        ("restart", "container") => ("Container", first.into(), "Restarting", "Restarted"),
        ("kill", "container") => ("Container", first.into(), "Killing", "Killed"),
        ("remove", "container") => ("Container", first.into(), "Removing", "Removed"),
        ("pause", "container") => ("Container", first.into(), "Pausing", "Paused"),
        ("unpause", "container") => ("Container", first.into(), "Unpausing", "Unpaused"),
        ("wait", "for") => {
            let done = if rest.contains(" to be healthy") {
                "Healthy"
            } else if rest.contains(" to be completed successfully") {
                "Exited"
            } else {
                "Started"
            };
            ("Service", first.into(), "Waiting", done)
        }
        _ => return None,
    };
    Some(match phase {
        Phase::Working => line(kind, &name, working, false),
        Phase::Done => line(kind, &name, done, true),
        Phase::Failed(e) => Line {
            detail: Some(e.clone()),
            error: true,
            ..line(kind, &name, "Error", true)
        },
        Phase::Skipped(because) => Line {
            detail: Some(because.clone()),
            ..line(kind, &name, "Skipped", true)
        },
        Phase::Cancelled => line(kind, &name, "Cancelled", true),
    })
}

/// `Container proj-web-1  Started` (docker compose's plain progress, two spaces before the status).
pub fn plain(l: &Line) -> String {
    match &l.detail {
        Some(d) if l.error => format!("{} {}  {}: {d}", l.kind, l.name, l.status),
        Some(d) => format!("{} {}  {} ({d})", l.kind, l.name, l.status),
        None => format!("{} {}  {}", l.kind, l.name, l.status),
    }
}

/// One JSON object per line (`--progress json`).
pub fn json(l: &Line) -> String {
    let mut m = serde_json::Map::new();
    m.insert("id".into(), l.resource().into());
    m.insert("status".into(), l.status.clone().into());
    if let Some(d) = &l.detail {
        m.insert("text".into(), d.clone().into());
    }
    if l.error {
        m.insert("error".into(), true.into());
    }
    serde_json::Value::Object(m).to_string()
}

/// A warning, plain.
pub fn plain_warning(w: &str) -> String {
    format!("WARN: {w}")
}

/// A warning as a JSON line.
pub fn json_warning(w: &str) -> String {
    serde_json::json!({ "level": "warning", "text": w }).to_string()
}

/// The TTY glyph for a final status.
pub fn glyph(l: &Line) -> &'static str {
    if l.error {
        "✘"
    } else if l.done {
        "✔"
    } else {
        "⠿"
    }
}

/// The text of a finished live row: `✔ Container proj-web-1  Started  0.3s`.
pub fn tty_row(l: &Line, seconds: f64) -> String {
    let mut s = format!("{} {}", glyph(l), plain(l));
    if l.done {
        s.push_str(&format!("  {seconds:.1}s"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{ContainerRef, Step};

    fn c(name: &str) -> ContainerRef {
        ContainerRef {
            service: "web".into(),
            number: 1,
            name: name.into(),
            id: None,
        }
    }

    #[test]
    fn start_reads_like_docker_compose() {
        let a = Action::StartContainer {
            container: c("proj-web-1"),
        };
        let l = step_line(&a, &Reason::NotRunning, &Phase::Done);
        assert_eq!(
            l.as_ref().map(plain).as_deref(),
            Some("Container proj-web-1  Started")
        );
    }

    #[test]
    fn replacement_internals_are_hidden_unless_they_fail() {
        let a = Action::RemoveContainer {
            container: c("proj-web-1"),
            volumes: false,
        };
        let r = Reason::Replacing {
            name: "proj-web-1".into(),
            why: Box::new(Reason::ForceRecreate),
        };
        assert_eq!(step_line(&a, &r, &Phase::Done), None);
        assert!(step_line(&a, &r, &Phase::Failed("boom".into())).is_some());
    }

    #[test]
    fn descriptions_render_without_the_plan() {
        let cases = [
            (
                "create network p_default",
                Phase::Done,
                "Network p_default  Created",
            ),
            (
                "create container 0123456789ab_p-web-1",
                Phase::Working,
                "Container p-web-1  Recreate",
            ),
            (
                "start container p-web-1",
                Phase::Done,
                "Container p-web-1  Started",
            ),
            (
                "remove container p-web-1 and its anonymous volumes",
                Phase::Working,
                "Container p-web-1  Removing",
            ),
            (
                "wait for db to be healthy (optional)",
                Phase::Done,
                "Service db  Healthy",
            ),
            (
                "kill container p-web-1 with SIGTERM",
                Phase::Failed("gone".into()),
                "Container p-web-1  Error: gone",
            ),
        ];
        for (what, phase, want) in cases {
            let got = what_line(what, &phase).map(|l| plain(&l));
            assert_eq!(got.as_deref(), Some(want), "{what}");
        }
        assert_eq!(what_line("rename container a to b", &Phase::Done), None);
        assert_eq!(what_line("frobnicate", &Phase::Done), None);
        assert_eq!(what_line("", &Phase::Done), None);
    }

    #[test]
    fn progress_lines_name_their_service() {
        let plan = Plan::default();
        let ev = ExecEvent::Progress {
            step: 0,
            service: "web".into(),
            line: "Step 1/2 : FROM scratch".into(),
        };
        let Rendered::Detail { service, text } = event(&plan, &ev) else {
            panic!("a progress event renders as a detail line");
        };
        assert_eq!(
            plain_detail(&service, &text),
            "web | Step 1/2 : FROM scratch"
        );
        assert_eq!(
            json_detail(&service, &text),
            r#"{"service":"web","detail":"Step 1/2 : FROM scratch"}"#
        );
        assert_eq!(plain_detail("", "pulling"), "pulling");
    }

    #[test]
    fn unknown_step_failures_still_surface() {
        let plan = Plan {
            steps: vec![Step {
                id: 0,
                action: Action::CreateNetwork {
                    key: "default".into(),
                    name: "p_default".into(),
                },
                reason: Reason::NotFound,
                deps: vec![],
            }],
            ..Default::default()
        };
        let ev = ExecEvent::Failed {
            step: 9,
            what: "x".into(),
            error: "y".into(),
        };
        assert_eq!(event(&plan, &ev), Rendered::Warning("x: y".into()));
    }
}
