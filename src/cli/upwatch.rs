//! `up --watch`: an attached `up` that runs the `develop.watch` watcher at the same time, as
//! docker compose v2 does. The stack comes up as for `up`; then the containers' logs stream with
//! `web-1 | ` prefixes while file changes are synced, restart or rebuild services; containers
//! that (re)start meanwhile (a restart, a rebuilt replacement) are followed too. The first
//! Ctrl-C stops watching and stops the stack like an attached `up` (a second one kills); the exit
//! code is then 130. Unlike a plain attached `up`, the stack is not left when every container has
//! exited: a change may rebuild it, so only Ctrl-C (or `--abort-on-container-exit` and friends)
//! ends it.
//!
//! `-d`/`--wait`/`--no-start` with `--watch` are usage errors (docker compose refuses `-d` and
//! `--wait` the same way), and so is `--no-build` (docker compose: "incompatible"); the watch
//! rules are checked before anything starts.

use std::sync::Arc;

use anyhow::{bail, Result};

use super::args::{RuntimeGlobals, UpArgs};
use super::progress::{style_for, ProgressReporter};
use super::runtime::{attached, load, print_stdout, teardown, Session};
use super::{exit, GlobalArgs};
use rcompose::app::monitor::MonitorEnd;
use rcompose::app::ops::UpOptions;
use rcompose::app::types::load::{ErrorKind, LoadError, Loaded};
use rcompose::app::watch::{Reload, Trigger};
use rcompose::app::Cancel;
use rcompose::model::Project;

/// Checks `--watch` against the other flags and the project's watch rules. `None` without
/// `--watch`; else the rules to watch.
pub(super) fn prepare(loaded: &Loaded, args: &UpArgs) -> Result<Option<Vec<Trigger>>> {
    if !args.watch {
        return Ok(None);
    }
    let usage = |m: &str| LoadError::new(ErrorKind::Usage, m.to_string());
    if args.detach || args.wait {
        bail!(usage("--watch cannot be combined with --detach or --wait")
            .hint("watching runs attached; to watch a detached stack, run `rcompose watch --no-up` beside it"));
    }
    if args.no_start {
        bail!(usage("--watch cannot be combined with --no-start"));
    }
    if args.create.no_build {
        bail!(usage("--no-build and --watch are incompatible")
            .hint("a `rebuild` rule needs to build; drop --no-build"));
    }
    let main_file = loaded.files.first().cloned().unwrap_or_default();
    let triggers = rcompose::app::watch::triggers(&loaded.project, &args.services)
        .map_err(|e| LoadError::new(ErrorKind::Semantic, e.to_string()).in_file(&main_file))?;
    if triggers.is_empty() {
        bail!(
            usage("none of the selected services is configured for watch")
                .hint("add a `develop: {watch: [...]}` section to a service, or drop --watch")
        );
    }
    Ok(Some(triggers))
}

/// Following the compose files while watching: a change to one of `loaded`'s inputs loads the
/// project again with the same flags (loader warnings go to standard error, as at the start)
/// and brings the stack to it with `up`'s options. `None` for a project read from standard
/// input: there is no file to follow, and standard input cannot be read again.
pub(super) fn reload<'a>(
    global: &'a GlobalArgs,
    loaded: &Loaded,
    services: &[String],
    up: UpOptions,
) -> Option<Reload<'a>> {
    if loaded.files.iter().any(|f| !f.is_absolute()) {
        return None;
    }
    let selected = services.to_vec();
    Some(Reload {
        inputs: loaded.inputs(),
        services: services.to_vec(),
        up,
        load: Box::new(move || {
            let l = load(global, &selected).map_err(|e| e.to_string())?;
            let inputs = l.inputs();
            Ok((l.project, inputs))
        }),
    })
}

/// The attached phase of `up --watch`: logs, watcher and followed (re)starts until Ctrl-C (or a
/// container exit with the abort flags); then the stack is stopped like an attached `up`.
pub(super) async fn attach_watching(
    s: &mut Session,
    project: &Project,
    args: &UpArgs,
    rt: &RuntimeGlobals,
    triggers: &[Trigger],
    reload: Option<Reload<'_>>,
) -> Result<i32> {
    // The watcher reports on its own progress display and says what it did on standard output;
    // the first Ctrl-C stops it.
    let cancel = Cancel::new();
    s.interrupts.drive(cancel.clone(), 1);
    let mut watch_reporter = ProgressReporter::new(style_for(rt.progress, rt.ansi));
    let mut say = |line: &str| print_stdout(&format!("{line}\n"));
    let engine = Arc::clone(&s.engine);
    let m = {
        let watcher = async {
            rcompose::app::watch::watch(
                engine,
                project,
                triggers,
                reload,
                true,
                &mut watch_reporter,
                &mut say,
                cancel.clone(),
            )
            .await
            .err()
            .map(|e| format!("watching stopped: {e}"))
        };
        let mut watcher = std::pin::pin!(watcher);
        let m = attached(s, project, args, rt, Some(watcher.as_mut())).await;
        if !m.as_ref().is_ok_and(|m| m.side_finished) {
            cancel.request();
            let _ = watcher.as_mut().await;
        }
        m
    };
    watch_reporter.finish();
    let m = m?;
    let interrupted = m.end == MonitorEnd::Interrupted;
    teardown(
        s,
        project,
        args,
        interrupted,
        m.exit_code.unwrap_or(exit::OK),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(yaml: &str) -> (tempfile::TempDir, Loaded) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("src")).expect("src");
        let file = dir.path().join("compose.yaml");
        std::fs::write(&file, yaml).expect("write");
        let opts = rcompose::app::types::load::LoadOptions {
            files: vec![rcompose::app::types::load::ConfigSource::Path(file)],
            project_name: Some("p".into()),
            ..Default::default()
        };
        let l = rcompose::loader::load(&opts).expect("load");
        (dir, l)
    }

    #[test]
    fn watch_flag_combinations_are_checked_first() {
        let with = "services:\n  web:\n    image: busybox\n    develop:\n      watch:\n        - {action: sync, path: ./src, target: /src}\n";
        let (_dir, l) = loaded(with);
        let base = UpArgs {
            watch: true,
            ..Default::default()
        };
        assert!(prepare(&l, &UpArgs::default()).expect("no watch").is_none());
        assert_eq!(prepare(&l, &base).expect("watch").map(|t| t.len()), Some(1));
        for bad in [
            UpArgs {
                detach: true,
                ..base.clone()
            },
            UpArgs {
                wait: true,
                ..base.clone()
            },
            UpArgs {
                no_start: true,
                ..base.clone()
            },
        ] {
            let e = prepare(&l, &bad).expect_err("accepted");
            assert!(e.to_string().contains("--watch"), "{e}");
        }
        let (_dir2, without) = loaded("services:\n  web:\n    image: busybox\n");
        let e = prepare(&without, &base).expect_err("no rules");
        assert!(e.to_string().contains("configured for watch"), "{e}");
    }
}
