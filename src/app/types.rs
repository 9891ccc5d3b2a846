//! The types of the lower layers that are part of the application layer's API: the options the
//! commands take (`plan::UpOptions`...), the errors they return (`LoadError`, `EngineError`...) and
//! the typed results the CLI renders (`ContainerSummary`, `Subject`...). Re-exported here so the CLI
//! names nothing below `app`; the functions that act on them are app functions, never re-exported.
//!
//! Only `pub use` lines of types; must not import `cli`.

/// Loading: options, the loaded project and the load error.
pub mod load {
    pub use crate::loader::{ConfigSource, ErrorKind, LoadError, LoadOptions, Loaded};
}

/// Planning: what a command asks for and what a plan step is.
pub mod plan {
    pub use crate::plan::images::{BuildSelection, PullSelection, PushSelection, Skipped};
    pub use crate::plan::{
        Action, BuildPolicy, Condition, ContainerRef, DownOptions, Plan, PlanError, PullPolicy,
        Reason, RemoveImages, Step, StepId, Subject, SubjectKind, UpOptions, Verb,
    };
}

/// The engine: the handle type, how to reach it, and its data types (what it answers).
pub mod engine {
    pub use crate::engine::types::*;
    pub use crate::engine::{ConnectOptions, Engine, EngineError, ObjectKind};
}
