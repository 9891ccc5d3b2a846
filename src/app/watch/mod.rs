//! Watch mode (`rcompose watch`, compose's `develop.watch`): file changes on the host are synced
//! into running containers, or restart or rebuild their service.
//!
//! `rules` (pure) checks the rules and plans each batch of changes; `sync` packs the files to copy;
//! `run` owns the loop: notify events are batched until the files are quiet, then applied through
//! the engine (copy, remove, exec, restart) or through `exec::ops::up` (rebuild). Errors while
//! applying a batch are reported and watching goes on; only a watcher that cannot start is fatal.
//!
//! Uses `exec` and the engine trait; must not import `cli` or `loader`.

pub mod rules;
pub mod run;
pub mod sync;

pub use rules::{plan_batch, triggers, ChangeAction, RuleError, Trigger};
pub use run::{watch, WatchError};
