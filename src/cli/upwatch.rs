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

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::{bail, Result};
use futures::stream::{SelectAll, StreamExt};

use super::args::{RuntimeGlobals, UpArgs};
use super::exit;
use super::logs::{self, Formatter, LogEvent, LogTarget};
use super::progress::{style_for, ProgressReporter};
use super::read::{self, service_containers};
use super::runtime::{attached_services, on_container_exit, print_stdout, teardown, Session};
use crate::app::types::engine::{EventAction, EventFilter, EventKind, LabelFilter, LogOptions};
use crate::app::types::load::{ErrorKind, LoadError, Loaded};
use crate::app::watch::Trigger;
use crate::app::Cancel;
use crate::model::labels;
use crate::model::Project;

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
    let triggers = crate::app::watch::triggers(&loaded.project, &args.services)
        .map_err(|e| LoadError::new(ErrorKind::Semantic, e.to_string()).in_file(&main_file))?;
    if triggers.is_empty() {
        bail!(
            usage("none of the selected services is configured for watch")
                .hint("add a `develop: {watch: [...]}` section to a service, or drop --watch")
        );
    }
    Ok(Some(triggers))
}

/// One followed log stream: which container, shown under which prefix.
struct Feed {
    id: String,
    display: usize,
}

/// The attached phase of `up --watch`: logs, watcher and followed (re)starts until Ctrl-C (or a
/// container exit with the abort flags); then the stack is stopped like an attached `up`.
pub(super) async fn attach_watching(
    s: &mut Session,
    project: &Project,
    args: &UpArgs,
    rt: &RuntimeGlobals,
    triggers: &[Trigger],
) -> Result<i32> {
    let wanted = attached_services(project, args);
    let mut containers = service_containers(&s.engine, &project.name).await?;
    containers.retain(|c| {
        c.labels
            .get(labels::SERVICE)
            .is_some_and(|sv| wanted.contains(sv))
    });
    // Subscribed before the logs are: no start is missed in between.
    let mut starts = s.engine.events(&EventFilter {
        labels: LabelFilter::project(&project.name),
        kinds: vec!["container".to_string()],
    });
    let mut shown: Vec<LogTarget> = read::targets(&project.name, &containers);
    let colors = read::log_colors(args.no_color, rt.ansi);
    let mut fmt = Formatter::new(&shown, colors, !args.no_log_prefix);
    let names: Vec<&str> = shown.iter().map(|t| t.label.as_str()).collect();
    s.reporter
        .note(&format!("Attaching to {}", names.join(", ")));
    let opts = LogOptions {
        follow: true,
        timestamps: args.timestamps,
        ..Default::default()
    };
    let mut feeds: Vec<Feed> = shown
        .iter()
        .enumerate()
        .map(|(i, t)| Feed {
            id: t.id.clone(),
            display: i,
        })
        .collect();
    let mut live: HashSet<String> = feeds.iter().map(|f| f.id.clone()).collect();
    let mut streams = SelectAll::new();
    streams.push(logs::multiplex(Arc::clone(&s.engine), &shown, &opts));

    // The watcher reports on its own progress display and says what it did on standard output;
    // the first Ctrl-C stops it.
    let cancel = Cancel::new();
    s.interrupts.drive(cancel.clone(), 1);
    let mut watch_reporter = ProgressReporter::new(style_for(rt.progress, rt.ansi));
    let mut say = |line: &str| print_stdout(&format!("{line}\n"));
    let mut watcher = Box::pin(crate::app::watch::watch(
        Arc::clone(&s.engine),
        project,
        triggers,
        &mut watch_reporter,
        &mut say,
        cancel.clone(),
    ));
    let mut watching = true;
    let mut following_starts = true;

    let mut interrupts = s.interrupts.clone();
    let mut interrupted = s.interrupts.count() > 0;
    let mut exit_code = exit::OK;
    let mut aborted = false;
    while !interrupted && !aborted {
        tokio::select! {
            r = &mut watcher, if watching => {
                watching = false;
                if let Err(e) = r {
                    s.reporter.note(&format!("watching stopped: {e}"));
                    aborted = true;
                    exit_code = exit::FAILURE;
                }
            }
            ev = streams.next(), if !streams.is_empty() => match ev {
                Some(LogEvent::Line { target, text }) => {
                    if let Some(f) = feeds.get(target) {
                        print_stdout(&format!("{}\n", fmt.line(f.display, &text)));
                    }
                }
                Some(LogEvent::Error { target, message }) => {
                    if let Some(f) = feeds.get(target) {
                        let label = shown.get(f.display).map(|t| t.label.as_str()).unwrap_or("?");
                        s.reporter.note(&format!("cannot read the output of {label}: {message}"));
                        live.remove(&f.id);
                    }
                }
                Some(LogEvent::Ended { target }) => {
                    let Some((id, display)) = feeds.get(target).map(|f| (f.id.clone(), f.display)) else {
                        continue;
                    };
                    live.remove(&id);
                    let state = s.engine.inspect_container(&id).await.ok();
                    if state.as_ref().is_some_and(|d| d.state.running || d.state.restarting) {
                        let since = now_secs();
                        feeds.push(Feed { id: id.clone(), display });
                        let t = LogTarget { id: id.clone(), ..shown[display].clone() };
                        streams.push(logs::follow_again(Arc::clone(&s.engine), feeds.len() - 1, &t, since));
                        live.insert(id);
                        continue;
                    }
                    let code = state.map(|d| d.state.exit_code).unwrap_or(0);
                    print_stdout(&format!("{}\n", fmt.exited(display, code)));
                    let service = shown.get(display).map(|t| t.service.clone()).unwrap_or_default();
                    let (reported, abort) = on_container_exit(args, &service, code);
                    exit_code = reported.unwrap_or(exit_code);
                    if abort {
                        s.reporter.note("Aborting on container exit...");
                        aborted = true;
                    }
                }
                // Nothing is followed right now; a (re)start will be.
                None => {}
            },
            ev = starts.next(), if following_starts => match ev {
                Some(Ok(ev)) if ev.kind == EventKind::Container && ev.action == EventAction::Start => {
                    let service = ev.attributes.get(labels::SERVICE).cloned().unwrap_or_default();
                    let oneoff = ev.attributes.get(labels::ONEOFF).is_some_and(|v| v.eq_ignore_ascii_case("true"));
                    if oneoff || !wanted.contains(&service) || live.contains(&ev.id) {
                        continue;
                    }
                    let number = ev
                        .attributes
                        .get(labels::CONTAINER_NUMBER)
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    let name = ev.name.clone().unwrap_or_else(|| ev.id.chars().take(12).collect());
                    let label = logs::display_name(&project.name, &service, number, &name);
                    let display = match shown.iter().position(|t| t.label == label) {
                        Some(i) => i,
                        None => {
                            shown.push(LogTarget { id: ev.id.clone(), service, label });
                            fmt = Formatter::new(&shown, colors, !args.no_log_prefix);
                            shown.len() - 1
                        }
                    };
                    let t = LogTarget { id: ev.id.clone(), ..shown[display].clone() };
                    feeds.push(Feed { id: ev.id.clone(), display });
                    let since = ev.time_nano.div_euclid(1_000_000_000);
                    streams.push(logs::follow_again(Arc::clone(&s.engine), feeds.len() - 1, &t, since));
                    live.insert(ev.id);
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    s.reporter.note(&format!("cannot follow restarted containers: {e}"));
                    following_starts = false;
                }
                None => following_starts = false,
            },
            _ = interrupts.next() => {
                interrupted = true;
            }
        }
    }
    drop(streams);
    drop(starts);
    if watching {
        cancel.request();
        let _ = (&mut watcher).await;
    }
    drop(watcher);
    watch_reporter.finish();
    teardown(s, project, args, interrupted, exit_code).await
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded(yaml: &str) -> (tempfile::TempDir, Loaded) {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("src")).expect("src");
        let file = dir.path().join("compose.yaml");
        std::fs::write(&file, yaml).expect("write");
        let opts = crate::app::types::load::LoadOptions {
            files: vec![crate::app::types::load::ConfigSource::Path(file)],
            project_name: Some("p".into()),
            ..Default::default()
        };
        let l = crate::loader::load(&opts).expect("load");
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
