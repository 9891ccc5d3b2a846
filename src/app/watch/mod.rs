//! Watch mode (`rcompose watch`, compose's `develop.watch`): file changes on the host are synced
//! into running containers, or restart or rebuild their service.
//!
//! `rules` (pure) checks the rules and plans each batch of changes; `sync` packs the files to copy;
//! `run` owns the loop: notify events are batched until the files are quiet, then applied through
//! the engine (copy, remove, exec, restart) or through `exec::ops::up` (rebuild). Errors while
//! applying a batch are reported and watching goes on; only a watcher that cannot start is fatal.
//! When watching starts, `catchup` brings each sync rule's target up to date with the host.
//! With a [`Reload`], the files the project was loaded from are watched too: a change loads the
//! project again (through the caller's loader call), brings the stack to it and re-reads the
//! rules; a project that no longer loads is reported and the last good one stays.
//!
//! Uses `exec` and the engine trait; must not import `cli` or `loader`.

pub mod catchup;
pub mod rules;
pub mod run;
pub mod sync;

pub use rules::{plan_batch, triggers, ChangeAction, RuleError, Trigger};
pub use run::{watch, LoadFn, Reload, WatchError};
