//! The text of progress output, as pure functions: an executor event about a plan step becomes a
//! `Line` (`Container proj-web-1  Started`), rendered plain or as one JSON object. The live (TTY)
//! and plain reporters in `progress` only decide where and when these lines go.
//!
//! Must not do I/O or import `engine`.

use rcompose::app::types::plan::{Condition, Subject, SubjectKind, Verb};
use rcompose::app::ExecEvent;

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

/// The words for a subject: kind, status while working, status when done.
fn words(subject: &Subject) -> (&'static str, &'static str, &'static str) {
    let kind = match subject.kind {
        SubjectKind::Network => "Network",
        SubjectKind::Volume => "Volume",
        SubjectKind::Image => "Image",
        SubjectKind::Container => "Container",
        SubjectKind::Service => "Service",
    };
    let (working, done) = match subject.verb {
        Verb::Create => ("Creating", "Created"),
        Verb::Recreate => ("Recreate", "Recreated"),
        Verb::Remove => ("Removing", "Removed"),
        Verb::Build => ("Building", "Built"),
        Verb::Pull => ("Pulling", "Pulled"),
        Verb::Push => ("Pushing", "Pushed"),
        Verb::Rename => ("Renaming", "Renamed"),
        Verb::Start => ("Starting", "Started"),
        Verb::Stop => ("Stopping", "Stopped"),
        Verb::Restart => ("Restarting", "Restarted"),
        Verb::Kill => ("Killing", "Killed"),
        Verb::Pause => ("Pausing", "Paused"),
        Verb::Unpause => ("Unpausing", "Unpaused"),
        Verb::PreStart => ("Running pre_start", "pre_start done"),
        Verb::Await(c) => (
            "Waiting",
            match c {
                Condition::ServiceStarted => "Started",
                Condition::ServiceHealthy => "Healthy",
                Condition::ServiceCompletedSuccessfully => "Exited",
            },
        ),
    };
    (kind, working, done)
}

/// The line for a step in a phase, or `None` for steps the user does not see (the internals of
/// a recreate, unless they fail).
pub fn step_line(subject: &Subject, phase: &Phase) -> Option<Line> {
    if subject.internal && !matches!(phase, Phase::Failed(_)) {
        return None;
    }
    let (kind, working, done) = words(subject);
    let name = subject.name.as_str();
    Some(match phase {
        Phase::Working => line(kind, name, working, false),
        Phase::Done => line(kind, name, done, true),
        Phase::Failed(e) => Line {
            detail: Some(e.clone()),
            error: true,
            ..line(kind, name, "Error", true)
        },
        Phase::Skipped(because) => Line {
            detail: Some(because.clone()),
            ..line(kind, name, "Skipped", true)
        },
        Phase::Cancelled => line(kind, name, "Cancelled", true),
    })
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

/// Renders an executor event: a pure function of the event.
pub fn event(ev: &ExecEvent) -> Rendered {
    let (subject, phase) = match ev {
        ExecEvent::Started { subject, .. } => (subject, Phase::Working),
        ExecEvent::Finished { subject, .. } => (subject, Phase::Done),
        ExecEvent::Failed { subject, error, .. } => (subject, Phase::Failed(error.clone())),
        ExecEvent::Skipped {
            subject, because, ..
        } => (subject, Phase::Skipped(because.clone())),
        ExecEvent::Cancelled { subject, .. } => (subject, Phase::Cancelled),
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
    match step_line(subject, &phase) {
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
    use rcompose::app::types::plan::{Action, ContainerRef, Reason, Step};
    use rcompose::app::StepPhase;

    fn c(name: &str) -> ContainerRef {
        ContainerRef {
            service: "web".into(),
            number: 1,
            name: name.into(),
            id: None,
        }
    }

    fn step(action: Action, reason: Reason) -> Step {
        Step {
            id: 0,
            action,
            reason,
            deps: vec![],
        }
    }

    fn plain_of(step: &Step, phase: StepPhase) -> Option<String> {
        match event(&ExecEvent::of_step(step, phase)) {
            Rendered::Line(l) => Some(plain(&l)),
            _ => None,
        }
    }

    #[test]
    fn start_reads_like_docker_compose() {
        let s = step(
            Action::StartContainer {
                container: c("proj-web-1"),
            },
            Reason::NotRunning,
        );
        assert_eq!(
            plain_of(&s, StepPhase::Finished).as_deref(),
            Some("Container proj-web-1  Started")
        );
    }

    #[test]
    fn replacement_internals_are_hidden_unless_they_fail() {
        let s = step(
            Action::RemoveContainer {
                container: c("proj-web-1"),
                volumes: false,
            },
            Reason::Replacing {
                name: "proj-web-1".into(),
                why: Box::new(Reason::ForceRecreate),
            },
        );
        assert_eq!(plain_of(&s, StepPhase::Finished), None);
        assert_eq!(
            plain_of(&s, StepPhase::Failed("boom".into())).as_deref(),
            Some("Container proj-web-1  Error: boom")
        );
    }

    #[test]
    fn waits_and_kills_read_like_docker_compose() {
        let wait = step(
            Action::Await {
                service: "db".into(),
                condition: Condition::ServiceHealthy,
                required: false,
            },
            Reason::NotFound,
        );
        assert_eq!(
            plain_of(&wait, StepPhase::Finished).as_deref(),
            Some("Service db  Healthy")
        );
        let kill = step(
            Action::KillContainer {
                container: c("p-web-1"),
                signal: Some("SIGTERM".into()),
            },
            Reason::NotFound,
        );
        assert_eq!(
            plain_of(&kill, StepPhase::Failed("gone".into())).as_deref(),
            Some("Container p-web-1  Error: gone")
        );
    }

    #[test]
    fn progress_lines_name_their_service() {
        let ev = ExecEvent::Progress {
            step: 0,
            service: "web".into(),
            line: "Step 1/2 : FROM scratch".into(),
        };
        let Rendered::Detail { service, text } = event(&ev) else {
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
}
