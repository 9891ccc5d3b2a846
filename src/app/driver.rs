//! The executor's view of the engine: run one step, stream container events, read a health log.
//! The dispatcher never talks to the engine directly, so it can be tested with a scripted driver
//! under paused tokio time; `engine_driver` implements this over `engine::Engine`.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::BoxStream;

use crate::plan::{Health, ServiceFacts, Step};

use super::cancel::Cancel;

/// Container ids known to the dispatcher, by (service, replica number): the current container of
/// each replica (a replacement becomes current as soon as it is created).
pub type IdMap = BTreeMap<(String, u32), String>;

/// What a step is given besides itself.
#[derive(Clone)]
pub struct StepCtx {
    /// The id of the container the step acts on, resolved by the dispatcher (for containers created
    /// earlier in the same run), when the step acts on one.
    pub container_id: Option<String>,
    /// Current container ids (e.g. to resolve `network_mode: service:x` to `container:<id>`).
    pub ids: Arc<IdMap>,
    pub facts: Option<ServiceFacts>,
    /// Steps that stop containers watch it: a forced cancellation turns a stop into a kill.
    pub cancel: Cancel,
    /// Progress lines of the step (build output, pull status, hook output); the dispatcher
    /// reports them as `ExecEvent::Progress`. Never blocks.
    pub progress: ProgressFn,
}

/// Where a step sends its progress lines.
pub type ProgressFn = Arc<dyn Fn(String) + Send + Sync>;

/// What a successful step produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOutput {
    Done,
    /// A container was created with this id.
    Created {
        id: String,
    },
}

/// A container lifecycle event, already attributed to its service and replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerEvent {
    pub id: String,
    pub service: String,
    pub number: u32,
    pub kind: ContainerEventKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerEventKind {
    Started,
    Died { exit_code: i64 },
    Health(Health),
    Destroyed,
}

/// A container's state as the engine reports it now (see [`Driver::container_now`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerNow {
    pub running: bool,
    /// Has run (is running, or has exited).
    pub started: bool,
    /// Set once it has exited; never for a container that has not run.
    pub exit_code: Option<i64>,
    pub health: Option<Health>,
}

/// The effects the dispatcher needs.
pub trait Driver: Send + Sync {
    /// Runs one step (never an `Await`). The error is the user-facing message.
    fn run(&self, step: &Step, ctx: StepCtx) -> BoxFuture<'static, Result<StepOutput, String>>;
    /// Container events of the project, from now on. Called once, before any step runs.
    fn events(&self) -> BoxStream<'static, ContainerEvent>;
    /// The container's state now, `None` when the engine cannot tell. Waits re-read the
    /// containers they wait on with it, because an event can be missed: a one-shot that exits
    /// between the engine snapshot the plan was made from and the event subscription, or events
    /// that fell out of the engine's replay buffer.
    fn container_now(&self, container_id: &str) -> BoxFuture<'static, Option<ContainerNow>>;
    /// The output of the container's last health probe, for timeout messages.
    fn last_health_output(&self, container_id: &str) -> BoxFuture<'static, Option<String>>;
}
