//! Catching up when watching starts: changes made while nobody watched (a `git pull`, a branch
//! switch) are applied before the first event, so that a container converges on the host files.
//!
//! For every sync rule, the files at the rule's `target` in one running container of its service
//! are listed with their size and modification time: by `find` and `stat` in the container (only
//! metadata crosses), or, in an image without them, from the engine's archive of that path (only
//! the tar headers are read; the archive is refused past [`MAX_LISTING`]). A host file whose size or
//! modification time (seconds) differs, or that the container lacks, is copied. A container
//! file the host no longer has is removed only when the rule covers its host path, its directory
//! is still on the host, and it is newer than the container (so it was put there by a sync, not
//! by the image): files the image brought, and files in directories the host never had (an
//! install or a cache made in the container), are never removed. Only the copy and removal:
//! nothing restarts or runs.
//!
//! `plan_catch_up` is pure over the host tree; `remote_files` reads the engine. Must not import
//! `cli`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use futures::StreamExt;

use super::rules::{ChangeAction, Trigger};
use crate::app::ops::EngineRef;
use crate::engine::archive::file_stats;
use crate::engine::{EngineError, ExecSpec};

/// The largest archive of a target read to compare it (larger: no catch-up for that rule).
pub const MAX_LISTING: usize = 256 << 20;

/// The container's files under a target: container path -> (size, modification time).
pub type Remote = BTreeMap<String, (u64, u64)>;

/// The regular files at `target` in container `id` (nothing there: none): listed by `find` and
/// `stat` in the container when it has them (metadata only), else from the archive's headers.
pub async fn remote_files(engine: &EngineRef, id: &str, target: &str) -> Result<Remote, String> {
    let root = match target.trim_end_matches('/') {
        "" => "/",
        t => t,
    };
    let cmd = [
        "find", root, "-type", "f", "-exec", "stat", "-c", "%s %Y %n", "{}", "+",
    ];
    let spec = ExecSpec::new(cmd.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    if let Ok(out) = engine.exec(id, &spec).await {
        if out.exit_code == 0 {
            if let Some(listed) = parse_stat_lines(&String::from_utf8_lossy(&out.stdout)) {
                return Ok(listed);
            }
        }
    }
    archived_files(engine, id, target).await
}

/// `find ... -exec stat -c '%s %Y %n'` output: `size mtime path` lines. `None` when a line is
/// not of that form (a `stat` that prints something else).
fn parse_stat_lines(text: &str) -> Option<Remote> {
    let mut out = Remote::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ' ');
        let size = parts.next()?.parse().ok()?;
        let mtime = parts.next()?.parse().ok()?;
        let path = parts.next().filter(|p| p.starts_with('/'))?;
        out.insert(path.to_string(), (size, mtime));
    }
    Some(out)
}

/// [`remote_files`] from the engine's archive of `target` (read up to [`MAX_LISTING`]).
async fn archived_files(engine: &EngineRef, id: &str, target: &str) -> Result<Remote, String> {
    let mut stream = engine.copy_from(id, target);
    let mut tar = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(b) => tar.extend_from_slice(&b),
            Err(EngineError::NotFound { .. }) => return Ok(Remote::new()),
            Err(e) => return Err(e.to_string()),
        }
        if tar.len() > MAX_LISTING {
            return Err(format!(
                "{target} holds more than {} MiB; not compared",
                MAX_LISTING >> 20
            ));
        }
    }
    // The archive's root entry is named after the last component of `target`.
    let base = target.trim_end_matches('/');
    let mut out = Remote::new();
    for f in file_stats(&tar)? {
        let rest = f.path.get(1..).unwrap_or_default();
        let path = if rest.is_empty() {
            base.to_string()
        } else {
            format!("{base}/{}", rest.join("/"))
        };
        out.insert(path, (f.size, f.mtime));
    }
    Ok(out)
}

/// The host files of a rule (not following symlinks), with their size and modification time.
fn host_files(t: &Trigger) -> Vec<(PathBuf, u64, u64)> {
    let mut out = Vec::new();
    let mut todo = vec![t.path.clone()];
    while let Some(p) = todo.pop() {
        let Ok(meta) = fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(rd) = fs::read_dir(&p) {
                todo.extend(rd.flatten().map(|e| e.path()).filter(|c| t.matches(c)));
            }
        } else if meta.is_file() {
            out.push((p, meta.len(), mtime(&meta)));
        }
    }
    out
}

fn mtime(meta: &fs::Metadata) -> u64 {
    meta.modified()
        .ok()
        .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs())
}

/// Adds to `action` what rule `t` needs for the container files `remote` to match the host:
/// copies of the files that differ or are missing; removals of files gone from the host that a
/// sync put there (modified after `since`, the container's creation). `t` must have a target.
pub fn plan_catch_up(t: &Trigger, remote: &Remote, since: u64, action: &mut ChangeAction) {
    let mut on_host: BTreeSet<String> = BTreeSet::new();
    for (host, size, mtime) in host_files(t) {
        let Some(to) = t.container_path(&host) else {
            continue;
        };
        if remote.get(&to) != Some(&(size, mtime)) {
            action.copy.insert(host, to.clone());
        }
        on_host.insert(to);
    }
    let Some(target) = t.target.as_deref() else {
        return;
    };
    for (path, (_, mtime)) in remote {
        if on_host.contains(path) || *mtime <= since {
            continue;
        }
        let rel = path
            .strip_prefix(target.trim_end_matches('/'))
            .unwrap_or_default()
            .trim_start_matches('/');
        let host = if rel.is_empty() {
            t.path.clone()
        } else {
            t.path.join(rel)
        };
        // Its directory must still be on the host: a directory the host never had (an
        // application's cache, an install done in the container) is left alone.
        let dir_kept = host.parent().is_some_and(Path::is_dir);
        if dir_kept && t.matches(&host) && !action.delete.contains(path) {
            action.delete.push(path.clone());
        }
    }
    action.delete.sort();
}

/// A one-line summary of what a catch-up found.
pub fn describe(action: &ChangeAction) -> String {
    format!(
        "{} file(s) out of date, {} gone from the host",
        action.copy.len(),
        action.delete.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::watch::rules::triggers;
    use crate::model::Project;

    fn rule(dir: &Path) -> Trigger {
        let yaml = format!(
            "services:\n  web:\n    image: x\n    develop:\n      watch:\n        - {{action: sync, path: \"{}/site\", target: /www, ignore: [\"*.tmp\"]}}\n",
            dir.display()
        );
        let v: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap();
        let p = Project::from_value(v).unwrap();
        triggers(&p, &[]).unwrap().remove(0)
    }

    fn stat(p: &Path) -> (u64, u64) {
        let m = fs::symlink_metadata(p).unwrap();
        (m.len(), mtime(&m))
    }

    #[tokio::test]
    async fn without_find_in_the_image_the_listing_comes_from_the_archive() {
        use crate::engine::fake::FakeEngine;
        use crate::engine::{ContainerSpec, ExecOutput};
        let fake = FakeEngine::new();
        fake.add_image("img");
        let engine: EngineRef = std::sync::Arc::new(fake.clone());
        let spec = ContainerSpec {
            name: "c".into(),
            image: "img".into(),
            ..Default::default()
        };
        let id = engine.create_container(&spec).await.unwrap();
        engine.start_container(&id).await.unwrap();
        let tar = crate::engine::archive::pack_files([
            ("www/a.txt", &b"aaa"[..], 0o644),
            ("www/sub/b.txt", &b"b"[..], 0o644),
        ])
        .unwrap();
        engine.copy_into(&id, "/", tar.into()).await.unwrap();
        fake.script_exec(
            "c",
            ExecOutput {
                exit_code: 127,
                stdout: Vec::new(),
                stderr: b"find: not found".to_vec(),
            },
        );
        let listed = remote_files(&engine, &id, "/www/").await.unwrap();
        assert_eq!(
            listed.keys().collect::<Vec<_>>(),
            ["/www/a.txt", "/www/sub/b.txt"]
        );
        assert_eq!(listed["/www/a.txt"].0, 3);
        assert!(remote_files(&engine, &id, "/nothing")
            .await
            .unwrap()
            .is_empty());
    }

    #[test]
    fn stat_lines_are_read_and_anything_else_is_refused() {
        let r = parse_stat_lines("3 1700000000 /www/a b.html\n0 5 /www/e\n").unwrap();
        assert_eq!(r["/www/a b.html"], (3, 1_700_000_000));
        assert_eq!(r["/www/e"], (0, 5));
        assert!(parse_stat_lines("stat: unrecognized option\n").is_none());
        assert_eq!(parse_stat_lines(""), Some(Remote::new()));
    }

    #[test]
    fn only_what_differs_is_copied_and_only_synced_leftovers_are_removed() {
        let d = tempfile::tempdir().unwrap();
        let at = |f: &str| d.path().join(f);
        fs::create_dir_all(at("site/sub")).unwrap();
        for f in ["site/same.html", "site/changed.html", "site/sub/new.txt"] {
            fs::write(at(f), "x").unwrap();
        }
        fs::write(at("site/skip.tmp"), "x").unwrap();
        let t = rule(d.path());
        let mut remote = Remote::new();
        remote.insert("/www/same.html".into(), stat(&at("site/same.html")));
        remote.insert("/www/changed.html".into(), (99, 1));
        // Put there by an earlier sync (newer than the container), by the image (older), and
        // an ignored file (never the rule's).
        remote.insert("/www/synced-gone.html".into(), (1, 2000));
        remote.insert("/www/from-image.html".into(), (1, 500));
        remote.insert("/www/old.tmp".into(), (1, 2000));
        // Written in the container at run time, in a directory the host does not have.
        remote.insert("/www/cache/x.bin".into(), (1, 2000));
        let mut a = ChangeAction::default();
        plan_catch_up(&t, &remote, 1000, &mut a);
        assert_eq!(
            a.copy.values().collect::<Vec<_>>(),
            ["/www/changed.html", "/www/sub/new.txt"]
        );
        assert_eq!(a.delete, ["/www/synced-gone.html"]);
        assert!(!a.restart && a.exec.is_empty());
        assert_eq!(describe(&a), "2 file(s) out of date, 1 gone from the host");
    }
}
