//! What the executor tells the user, as typed data. The CLI renders these (progress bars, plain
//! lines, JSON) as pure functions of the events; tests record them. A step's events carry its
//! typed [`Subject`] (object kind, name, verb), so no renderer reads the description's words.

use std::sync::{Arc, Mutex};

use crate::plan::{Step, StepId, Subject};

/// One thing that happened during a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecEvent {
    /// A step began (for a wait: the wait began).
    Started {
        step: StepId,
        what: String,
        subject: Subject,
    },
    Finished {
        step: StepId,
        what: String,
        subject: Subject,
    },
    Failed {
        step: StepId,
        what: String,
        subject: Subject,
        error: String,
    },
    /// Not run because something it needs failed.
    Skipped {
        step: StepId,
        what: String,
        subject: Subject,
        because: String,
    },
    /// Not run because the run was cancelled.
    Cancelled {
        step: StepId,
        what: String,
        subject: Subject,
    },
    /// Something the user should know that does not fail the run.
    Warning(String),
    /// `--wait`: a service is running (healthy) or completed.
    Ready { service: String },
    /// A line of progress of a running step: build output (`Step 1/3 : FROM scratch`), a pull
    /// status (`a1b2: Downloading`), a lifecycle hook's output.
    Progress {
        step: StepId,
        /// The service the step belongs to (empty for networks and volumes).
        service: String,
        line: String,
    },
}

/// Where a step is, for [`ExecEvent::of_step`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepPhase {
    Started,
    Finished,
    Failed(String),
    Skipped(String),
    Cancelled,
}

impl ExecEvent {
    /// The event for `step` reaching `phase`: the one constructor the dispatcher uses.
    pub fn of_step(step: &Step, phase: StepPhase) -> ExecEvent {
        let (id, what, subject) = (step.id, step.action.describe(), step.subject());
        match phase {
            StepPhase::Started => ExecEvent::Started {
                step: id,
                what,
                subject,
            },
            StepPhase::Finished => ExecEvent::Finished {
                step: id,
                what,
                subject,
            },
            StepPhase::Failed(error) => ExecEvent::Failed {
                step: id,
                what,
                subject,
                error,
            },
            StepPhase::Skipped(because) => ExecEvent::Skipped {
                step: id,
                what,
                subject,
                because,
            },
            StepPhase::Cancelled => ExecEvent::Cancelled {
                step: id,
                what,
                subject,
            },
        }
    }
}

/// Receives the executor's events, in order, from the dispatcher's task.
pub trait Reporter: Send {
    fn report(&mut self, event: ExecEvent);
}

/// Drops everything.
pub struct NullReporter;

impl Reporter for NullReporter {
    fn report(&mut self, _: ExecEvent) {}
}

/// Keeps every event (shared, so a test can read them after the run).
#[derive(Clone, Default)]
pub struct RecordingReporter {
    pub events: Arc<Mutex<Vec<ExecEvent>>>,
}

impl RecordingReporter {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn take(&self) -> Vec<ExecEvent> {
        match self.events.lock() {
            Ok(mut g) => std::mem::take(&mut *g),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        }
    }
}

impl Reporter for RecordingReporter {
    fn report(&mut self, event: ExecEvent) {
        match self.events.lock() {
            Ok(mut g) => g.push(event),
            Err(p) => p.into_inner().push(event),
        }
    }
}
