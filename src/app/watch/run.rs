//! The watch loop: file events in, one batch at a time out to the engine.
//!
//! notify's callback only forwards events into a channel (it never blocks). The loop waits for a
//! first event, then keeps collecting until the files have been quiet for [`SETTLE`] (an editor's
//! save is a burst of events within a few milliseconds), or [`MAX_BATCH`] has passed since the
//! first one (a stream of events never postpones a sync for longer), plans the batch
//! (`rules::plan_batch`) and applies it. Events that arrive while a batch is being applied wait in
//! the channel and form the next batch, so the last content written always lands (an editor that
//! truncates and then writes, or writes a temporary file and renames it, produces a later event).
//! A batch is applied service by service: copy the changed files into every running container of the
//! service (one archive), remove the deleted ones, run `exec` hooks, restart, or rebuild the image
//! and recreate the service through `app::ops::up`. A failed action is reported and the loop
//! goes on (the next change may fix it); only a watcher that cannot be set up is fatal. Ends when
//! `cancel` is requested.
//!
//! Before the first event every sync rule catches up (`catchup`); a batch that reports lost
//! events ([`Change::Rescan`]) catches up again. A batch is cut at [`MAX_PATHS`] paths and its
//! files go out in archives of at most [`MAX_ARCHIVE`] bytes, so a branch switch takes bounded
//! memory. With a [`Reload`], a batch that touches a file the project was loaded from loads it
//! again first: a project that loads (and whose rules hold) replaces the last one, the stack is
//! brought to it with `up` (orphans removed) and the watcher is set up again on the new paths;
//! one that does not load is reported and the last good one stays.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::catchup::{describe, plan_catch_up, remote_files};
use super::rules::{plan_batch, triggers, ChangeAction, Trigger};
use super::sync::{archive, MAX_ARCHIVE};
use crate::app::cancel::{Cancel, CancelLevel};
use crate::app::ops::{self, EngineRef, UpOptions};
use crate::app::reporter::Reporter;
use crate::engine::{ContainerSummary, ExecSpec, LabelFilter};
use crate::model::{Project, ServiceHook};
use crate::plan::intent::BuildPolicy;
use crate::plan::labels;

/// How long the files must stay quiet before a batch is applied.
pub const SETTLE: Duration = Duration::from_millis(25);
/// The longest a batch waits for quiet after its first event.
pub const MAX_BATCH: Duration = Duration::from_millis(500);

/// The most distinct paths one batch collects: a larger change set (a branch switch) is
/// applied in several bounded batches.
pub const MAX_PATHS: usize = 20_000;

/// What the file watcher reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Path(PathBuf),
    /// Events were lost (the kernel's queue overflowed, or the watcher failed): every sync rule
    /// is compared with its containers again.
    Rescan,
}

/// One batch of changes: the paths (sorted, without repeats) and whether events were lost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Batch {
    pub paths: Vec<PathBuf>,
    pub rescan: bool,
}

/// The next batch of changes: waits for a first one, then collects until `settle` passes
/// without one, `max` has passed since the first, or [`MAX_PATHS`] distinct paths are in.
/// `None` when `cancel` is requested or the sender is gone.
pub async fn next_batch(
    rx: &mut mpsc::UnboundedReceiver<Change>,
    cancel: &Cancel,
    settle: Duration,
    max: Duration,
) -> Option<Batch> {
    let first = tokio::select! {
        p = rx.recv() => p,
        _ = cancel.reached(CancelLevel::Graceful) => None,
    }?;
    let mut paths = std::collections::BTreeSet::new();
    let mut rescan = false;
    let mut add = |c: Change, paths: &mut std::collections::BTreeSet<PathBuf>| match c {
        Change::Path(p) => {
            paths.insert(p);
        }
        Change::Rescan => rescan = true,
    };
    add(first, &mut paths);
    let started = Instant::now();
    loop {
        let deadline = (Instant::now() + settle).min(started + max);
        tokio::select! {
            c = rx.recv() => match c {
                Some(c) => add(c, &mut paths),
                None => break,
            },
            _ = tokio::time::sleep_until(deadline) => break,
            _ = cancel.reached(CancelLevel::Graceful) => return None,
        }
        if paths.len() >= MAX_PATHS {
            break;
        }
    }
    Some(Batch {
        paths: paths.into_iter().collect(),
        rescan,
    })
}

/// Why watching could not start.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error("cannot watch {path}: {message}")]
    Watcher { path: PathBuf, message: String },
}

/// Loads the project again: the new project and every file it was loaded from, or the loader's
/// error as the text to show (file:line:column, key path, message).
pub type LoadFn<'a> = dyn FnMut() -> Result<(Project, Vec<PathBuf>), String> + 'a;

/// Following the compose files: when one of `inputs` changes, the project is loaded again, the
/// stack brought to it (`up` with `up`'s options, orphans removed) and the rules read again.
pub struct Reload<'a> {
    /// Every file the project was loaded from (compose, included, extended and env files).
    pub inputs: Vec<PathBuf>,
    /// The services to watch (empty: all with rules).
    pub services: Vec<String>,
    /// How the stack is brought to a changed project (`remove_orphans` is always set).
    pub up: UpOptions,
    pub load: Box<LoadFn<'a>>,
}

/// What the loop works with: the last project that loaded, its rules and its input files.
struct State {
    project: Project,
    triggers: Vec<Trigger>,
    inputs: Vec<PathBuf>,
    /// Remove the images a rebuild left dangling.
    prune: bool,
}

/// Starts a watcher that sends every changed path of `triggers` and `inputs` to `tx`.
/// Directories recursively; a single file through its directory, because editors often save
/// by writing a new file and renaming it over the old one, which ends a watch on the file.
fn start_watcher(
    tx: &mpsc::UnboundedSender<Change>,
    triggers: &[Trigger],
    inputs: &[PathBuf],
) -> Result<notify::RecommendedWatcher, WatchError> {
    let tx = tx.clone();
    let mut watcher =
        notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
            Ok(ev) if ev.need_rescan() => {
                let _ = tx.send(Change::Rescan);
            }
            Ok(ev) if !matches!(ev.kind, notify::EventKind::Access(_)) => {
                for p in ev.paths {
                    let _ = tx.send(Change::Path(p));
                }
            }
            Ok(_) => {}
            Err(_) => {
                let _ = tx.send(Change::Rescan);
            }
        })
        .map_err(|e| WatchError::Watcher {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
    let mut watched: Vec<(PathBuf, RecursiveMode)> = Vec::new();
    let paths = triggers.iter().map(|t| &t.path).chain(inputs);
    for path in paths {
        let (dir, mode) = if path.is_dir() {
            (path.clone(), RecursiveMode::Recursive)
        } else {
            let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (parent, RecursiveMode::NonRecursive)
        };
        let covered = watched
            .iter()
            .any(|(w, m)| w == &dir || (*m == RecursiveMode::Recursive && dir.starts_with(w)));
        if covered || !dir.is_dir() {
            continue;
        }
        watcher.watch(&dir, mode).map_err(|e| WatchError::Watcher {
            path: dir.clone(),
            message: e.to_string(),
        })?;
        watched.push((dir, mode));
    }
    Ok(watcher)
}

/// Watches `triggers` (and, with `reload`, the files the project was loaded from) until
/// `cancel`; `say` gets one line per thing done or failed. With `prune`, the service's images
/// that a rebuild left dangling are removed (docker compose's `watch --prune`, its default).
#[allow(clippy::too_many_arguments)]
pub async fn watch(
    engine: EngineRef,
    project: &Project,
    triggers: &[Trigger],
    mut reload: Option<Reload<'_>>,
    prune: bool,
    reporter: &mut dyn Reporter,
    say: &mut dyn FnMut(&str),
    cancel: Cancel,
) -> Result<(), WatchError> {
    let (tx, mut rx) = mpsc::unbounded_channel::<Change>();
    let mut state = State {
        project: project.clone(),
        triggers: triggers.to_vec(),
        inputs: reload
            .as_ref()
            .map(|r| r.inputs.clone())
            .unwrap_or_default(),
        prune,
    };
    let mut watcher = start_watcher(&tx, &state.triggers, &state.inputs)?;
    let mut paths: Vec<String> = Vec::new();
    for t in triggers {
        let p = t.path.display().to_string();
        if !paths.contains(&p) {
            paths.push(p);
        }
    }
    say(&format!(
        "watching {} for changes (Ctrl-C to stop)",
        paths.join(", ")
    ));
    let initial = catch_up(&engine, &state, say).await;
    apply_all(&engine, &state, initial, reporter, say, &cancel).await;
    while let Some(batch) = next_batch(&mut rx, &cancel, SETTLE, MAX_BATCH).await {
        if batch.rescan {
            say("file events were lost: comparing every sync rule with its containers");
            let all = catch_up(&engine, &state, say).await;
            apply_all(&engine, &state, all, reporter, say, &cancel).await;
        }
        let batch = batch.paths;
        if let Some(r) = reload.as_mut() {
            if batch.iter().any(|p| state.inputs.contains(p))
                && reload_project(&engine, &mut state, r, reporter, say, &cancel).await
            {
                match start_watcher(&tx, &state.triggers, &state.inputs) {
                    Ok(w) => watcher = w,
                    Err(e) => say(&format!("{e}; still watching the paths of before")),
                }
            }
        }
        let actions = plan_batch(&state.triggers, &batch);
        apply_all(&engine, &state, actions, reporter, say, &cancel).await;
    }
    drop(watcher);
    Ok(())
}

/// What starting to watch asks for: every sync rule's catch-up (`catchup`), by service.
async fn catch_up(
    engine: &EngineRef,
    state: &State,
    say: &mut dyn FnMut(&str),
) -> BTreeMap<String, ChangeAction> {
    let mut out: BTreeMap<String, ChangeAction> = BTreeMap::new();
    for t in &state.triggers {
        let Some(target) = &t.target else {
            continue;
        };
        let running = containers(engine, &state.project.name, &t.service).await;
        let Some(c) = running.first() else {
            continue;
        };
        match remote_files(engine, &c.id, target).await {
            Ok(remote) => {
                let since = u64::try_from(c.created).unwrap_or(0);
                plan_catch_up(t, &remote, since, out.entry(t.service.clone()).or_default());
            }
            Err(e) => say(&format!(
                "cannot compare {} with {target} in {}: {e}",
                t.path.display(),
                c.name()
            )),
        }
    }
    out.retain(|_, a| !a.is_empty());
    for (service, a) in &out {
        say(&format!("catching up service {service:?}: {}", describe(a)));
    }
    out
}

async fn apply_all(
    engine: &EngineRef,
    state: &State,
    actions: BTreeMap<String, ChangeAction>,
    reporter: &mut dyn Reporter,
    say: &mut dyn FnMut(&str),
    cancel: &Cancel,
) {
    for (service, action) in actions {
        let (p, t) = (&state.project, &state.triggers);
        apply(engine, p, t, &service, &action, reporter, say, cancel).await;
        if action.rebuild && state.prune {
            prune_dangling(engine, &p.name, &service, say).await;
        }
    }
}

/// Loads the project again after one of its files changed. A project that loads and whose rules
/// hold replaces the last one: the stack is brought to it (changed services recreated, new ones
/// started, removed ones stopped and removed) and `true` says the watched paths may have
/// changed; an equal project (a save without a change) only takes the new list of inputs.
/// Otherwise the error is shown and the last good project stays.
async fn reload_project(
    engine: &EngineRef,
    state: &mut State,
    r: &mut Reload<'_>,
    reporter: &mut dyn Reporter,
    say: &mut dyn FnMut(&str),
    cancel: &Cancel,
) -> bool {
    let keeping = "watching goes on with the last project that loaded";
    let (project, inputs) = match (r.load)() {
        Ok(x) => x,
        Err(e) => {
            say(&format!(
                "the compose file no longer loads ({keeping}):\n{e}"
            ));
            return false;
        }
    };
    let triggers = match triggers(&project, &r.services) {
        Ok(t) => t,
        Err(e) => {
            say(&format!("the watch rules no longer hold ({keeping}): {e}"));
            return false;
        }
    };
    if project == state.project {
        // Saved without a change that matters (or only comments): nothing to bring up.
        let moved = inputs != state.inputs;
        state.inputs = inputs;
        return moved;
    }
    say("the project changed: bringing the stack up to date");
    let mut opts = r.up.clone();
    opts.plan.services = r.services.clone();
    opts.plan.remove_orphans = true;
    match ops::up(
        Arc::clone(engine),
        &project,
        &opts,
        reporter,
        cancel.clone(),
    )
    .await
    {
        Ok(_) => say("the stack follows the changed project"),
        Err(e) => say(&format!("bringing the stack up to date failed: {e}")),
    }
    *state = State {
        project,
        triggers,
        inputs,
        prune: state.prune,
    };
    true
}

/// The running containers of a service (one-off containers excluded).
async fn containers(engine: &EngineRef, project: &str, service: &str) -> Vec<ContainerSummary> {
    let filter = LabelFilter::project(project).with(labels::SERVICE, service);
    match engine.list_containers(&filter).await {
        Ok(cs) => cs
            .into_iter()
            .filter(|c| {
                c.state == crate::engine::ContainerState::Running
                    && c.labels.get(labels::ONEOFF).map(String::as_str) != Some("True")
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn apply(
    engine: &EngineRef,
    project: &Project,
    triggers: &[Trigger],
    service: &str,
    action: &ChangeAction,
    reporter: &mut dyn Reporter,
    say: &mut dyn FnMut(&str),
    cancel: &Cancel,
) {
    if action.rebuild {
        say(&format!("rebuilding service {service:?} after changes"));
        let mut opts = UpOptions::default();
        opts.plan.services = vec![service.to_string()];
        opts.plan.no_deps = true;
        opts.plan.build = BuildPolicy::Always;
        match ops::up(Arc::clone(engine), project, &opts, reporter, cancel.clone()).await {
            Ok(_) => say(&format!("service {service:?} rebuilt and recreated")),
            Err(e) => say(&format!("rebuilding service {service:?} failed: {e}")),
        }
        return;
    }
    let targets = containers(engine, &project.name, service).await;
    if targets.is_empty() {
        say(&format!(
            "service {service:?} has no running container: changes not applied"
        ));
        return;
    }
    if !action.copy.is_empty() || !action.delete.is_empty() {
        let keep = |p: &Path| {
            triggers
                .iter()
                .any(|t| t.service == service && t.matches(p))
        };
        sync_service(engine, service, &targets, action, &keep, say).await;
    }
    for hook in &action.exec {
        for c in &targets {
            run_hook(engine, c, hook, say).await;
        }
    }
    if action.restart {
        for c in &targets {
            match engine.restart_container(&c.id, None).await {
                Ok(()) => say(&format!("restarted {}", c.name())),
                Err(e) => say(&format!("restarting {} failed: {e}", c.name())),
            }
        }
    }
}

/// Removes the images of `service` (built by this project, so labelled with it) that no longer
/// have a tag: what a rebuild leaves behind. One still used by a container stays (the engine
/// refuses, and that is fine).
async fn prune_dangling(
    engine: &EngineRef,
    project: &str,
    service: &str,
    say: &mut dyn FnMut(&str),
) {
    let filter = LabelFilter::project(project).with(labels::SERVICE, service);
    let Ok(images) = engine.list_images(&filter).await else {
        return;
    };
    for image in images {
        let dangling = image.repo_tags.iter().all(|t| t == "<none>:<none>");
        if dangling && engine.remove_image(&image.id, false).await.is_ok() {
            say(&format!(
                "removed the dangling image {} of service {service:?}",
                short_id(&image.id)
            ));
        }
    }
}

fn short_id(id: &str) -> &str {
    let id = id.strip_prefix("sha256:").unwrap_or(id);
    &id[..id.len().min(12)]
}

/// Copies `action.copy` into every container of `targets` (archives of at most about
/// [`MAX_ARCHIVE`] bytes, one at a time), then removes `action.delete` there.
async fn sync_service(
    engine: &EngineRef,
    service: &str,
    targets: &[ContainerSummary],
    action: &ChangeAction,
    keep: &dyn Fn(&Path) -> bool,
    say: &mut dyn FnMut(&str),
) {
    let started = Instant::now();
    let entries: Vec<(&PathBuf, &String)> = action.copy.iter().collect();
    let (mut at, mut files) = (0, 0);
    let mut failed: Vec<String> = Vec::new();
    while at < entries.len() {
        let (tar, n, used) = match archive(&entries[at..], keep, MAX_ARCHIVE) {
            Ok(x) => x,
            Err(e) => {
                say(&format!("syncing service {service:?} failed: {e}"));
                return;
            }
        };
        at += used.max(1);
        files += n;
        if n == 0 {
            continue;
        }
        let tar = bytes::Bytes::from(tar);
        for c in targets {
            if failed.contains(&c.id) {
                continue;
            }
            if let Err(e) = engine.copy_into(&c.id, "/", tar.clone()).await {
                say(&format!("syncing to {} failed: {e}", c.name()));
                failed.push(c.id.clone());
            }
        }
    }
    for c in targets.iter().filter(|c| !failed.contains(&c.id)) {
        remove_in(engine, c, &action.delete, say).await;
    }
    say(&format!(
        "synced service {service:?}: {files} file(s) copied, {} removed in {:.2} s",
        action.delete.len(),
        started.elapsed().as_secs_f64()
    ));
}

/// The most paths one `rm` is given (the rest go to further calls).
const RM_CHUNK: usize = 1000;

/// Removes `paths` in container `c`, [`RM_CHUNK`] at a time.
async fn remove_in(
    engine: &EngineRef,
    c: &ContainerSummary,
    paths: &[String],
    say: &mut dyn FnMut(&str),
) {
    for chunk in paths.chunks(RM_CHUNK) {
        let mut cmd = vec!["rm".to_string(), "-rf".to_string(), "--".to_string()];
        cmd.extend(chunk.iter().cloned());
        let failed = match engine.exec(&c.id, &ExecSpec::new(cmd)).await {
            Ok(out) if out.exit_code == 0 => continue,
            Ok(out) => format!(
                "(exit {}): {}",
                out.exit_code,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
            Err(e) => e.to_string(),
        };
        say(&format!(
            "removing deleted files from {} failed {failed}",
            c.name()
        ));
        return;
    }
}

async fn run_hook(
    engine: &EngineRef,
    c: &ContainerSummary,
    hook: &ServiceHook,
    say: &mut dyn FnMut(&str),
) {
    let Some(cmd) = hook.command.clone() else {
        return;
    };
    let mut spec = ExecSpec::new(cmd.clone());
    spec.user = hook.user.clone();
    spec.working_dir = hook.working_dir.clone();
    spec.privileged = hook.privileged;
    spec.env = hook
        .environment
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k.clone(),
        })
        .collect();
    match engine.exec(&c.id, &spec).await {
        Ok(out) if out.exit_code == 0 => say(&format!("ran {:?} in {}", cmd.join(" "), c.name())),
        Ok(out) => say(&format!(
            "{:?} in {} exited with {}: {}",
            cmd.join(" "),
            c.name(),
            out.exit_code,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => say(&format!(
            "running {:?} in {} failed: {e}",
            cmd.join(" "),
            c.name()
        )),
    }
}

#[cfg(test)]
mod batch_tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[tokio::test(start_paused = true)]
    async fn a_burst_is_one_batch_applied_right_after_it_settles() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let cancel = Cancel::new();
        let sender = tokio::spawn(async move {
            for (delay, path) in [(0, "a"), (5, "b"), (10, "a"), (100, "c")] {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                tx.send(Change::Path(p(path))).expect("send");
            }
            tx
        });
        let t0 = Instant::now();
        let first = next_batch(&mut rx, &cancel, SETTLE, MAX_BATCH).await;
        assert_eq!(first.map(|b| b.paths), Some(vec![p("a"), p("b")]));
        // 15 ms of events, then the settle time: applied at once, not after a long quiet.
        assert!(
            t0.elapsed() <= Duration::from_millis(15) + SETTLE,
            "{:?}",
            t0.elapsed()
        );
        let second = next_batch(&mut rx, &cancel, SETTLE, MAX_BATCH).await;
        assert_eq!(second.map(|b| b.paths), Some(vec![p("c")]));
        drop(sender.await.expect("sender"));
        assert_eq!(next_batch(&mut rx, &cancel, SETTLE, MAX_BATCH).await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn an_endless_stream_is_cut_at_the_maximum_wait() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let cancel = Cancel::new();
        let _sender = tokio::spawn(async move {
            let mut i = 0u64;
            loop {
                if tx.send(Change::Path(p(&format!("f{i}")))).is_err() {
                    return;
                }
                i += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
        let t0 = Instant::now();
        let batch = next_batch(&mut rx, &cancel, SETTLE, MAX_BATCH)
            .await
            .expect("a batch");
        assert!(batch.paths.len() > 10, "{}", batch.paths.len());
        let waited = t0.elapsed();
        assert!(
            waited >= MAX_BATCH && waited <= MAX_BATCH + Duration::from_millis(10),
            "{waited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_huge_change_set_is_cut_into_bounded_batches_and_lost_events_ask_for_a_rescan() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let cancel = Cancel::new();
        for i in 0..MAX_PATHS + 10 {
            tx.send(Change::Path(p(&format!("f{i}")))).expect("send");
            // Repeats do not count.
            tx.send(Change::Path(p(&format!("f{i}")))).expect("send");
        }
        tx.send(Change::Rescan).expect("send");
        let first = next_batch(&mut rx, &cancel, SETTLE, MAX_BATCH).await;
        let first = first.expect("a batch");
        assert_eq!(first.paths.len(), MAX_PATHS);
        assert!(!first.rescan);
        let second = next_batch(&mut rx, &cancel, SETTLE, MAX_BATCH).await;
        let second = second.expect("a batch");
        assert!(second.rescan);
        // The repeat of the last path of the first batch may come again: at most 11 paths.
        assert!(
            (10..=11).contains(&second.paths.len()),
            "{}",
            second.paths.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_ends_the_wait() {
        let (_tx, mut rx) = mpsc::unbounded_channel::<Change>();
        let cancel = Cancel::new();
        cancel.request();
        assert_eq!(next_batch(&mut rx, &cancel, SETTLE, MAX_BATCH).await, None);
    }
}
