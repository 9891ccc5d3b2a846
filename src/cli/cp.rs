//! `cp`: copy files and directories between a service container and the local filesystem, with
//! `docker cp`'s rules, as `docker compose cp` does.
//!
//! - `cp SERVICE:SRC DEST|-` copies out of the service's first container (or `--index N`);
//!   `cp SRC|- SERVICE:DEST` copies into every container of the service (or `--index N`; `--all`
//!   adds the containers `run` made). `-` is a tar stream on standard input or output.
//! - Paths follow docker's rules: `dir` lands as `DEST/dir` when DEST is an existing directory,
//!   as DEST itself when it does not exist; `dir/.` copies the contents; a file lands in an
//!   existing directory under its own name, replaces an existing file, or becomes DEST; a DEST
//!   ending in `/` must be a directory. Container paths are absolute (`tmp/x` is `/tmp/x`).
//!   `-L` follows a symlink SRC; `-a` asks the engine to keep ownership.
//!
//! The path rules (docker's `SplitPathDirEntry`, `PrepareArchiveCopy`...) and the choice of
//! containers are `app::cp`'s; the copy itself (local files, packing and unpacking with the `tar`
//! crate, the engine's archive calls, `-` on standard input/output) is still here.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use bytes::Bytes;
use clap::Args;
use futures::StreamExt;

use super::args::RuntimeGlobals;
use super::context::{self};
use super::progress::{style_for, Style};
use super::{exit, GlobalArgs};
use rcompose::app::cp::{
    self as app_cp, base, clean, container_path, dir, place, preserve_trailing, rebase_name,
    renamed, split_arg, split_dir_entry, Choice, ChoiceError, Endpoint, PlaceError,
};
use rcompose::app::types::engine::{
    ContainerSummary, CopyIntoOptions, Engine, EngineError, ObjectKind, PathKind,
};
use rcompose::app::types::load::{ErrorKind, LoadError};

/// `cp`.
#[derive(Debug, Args, Clone, Default)]
pub struct CpArgs {
    /// Index of the container if the service has multiple replicas (default: every replica when
    /// copying into a service, the first one when copying out of it).
    #[arg(long, value_name = "N", default_value_t = 0, hide_default_value = true)]
    pub index: u32,
    /// Include containers created by the run command.
    #[arg(long)]
    pub all: bool,
    /// Always follow symbol link in SRC_PATH.
    #[arg(short = 'L', long)]
    pub follow_link: bool,
    /// Archive mode (copy all uid/gid information).
    #[arg(short = 'a', long)]
    pub archive: bool,
    /// `SERVICE:SRC_PATH`, or a local `SRC_PATH` (`-`: a tar archive on standard input).
    #[arg(value_name = "SOURCE")]
    pub source: String,
    /// `SERVICE:DEST_PATH`, or a local `DEST_PATH` (`-`: a tar archive on standard output).
    #[arg(value_name = "DEST")]
    pub destination: String,
}

// ---------------------------------------------------------------------------------------------
// Local files.
// ---------------------------------------------------------------------------------------------

/// docker's `resolveLocalPath`: absolute and clean, keeping a trailing `/` or `/.`.
fn resolve_local_path(p: &str) -> Result<String> {
    let abs = if p.starts_with('/') {
        p.to_string()
    } else {
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        format!("{}/{p}", cwd.display())
    };
    Ok(preserve_trailing(&clean(&abs), p))
}

fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        _ => {
            let s = e.to_string();
            // "Not a directory (os error 20)" -> "not a directory"
            let s = s.split(" (os error").next().unwrap_or(&s).to_string();
            let mut c = s.chars();
            match c.next() {
                Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
                None => s,
            }
        }
    }
}

/// docker's `ResolveHostSourcePath`: the source with symlinks in its parent resolved (and the
/// source itself with `-L`, or when it ends in `/`), and the rebase name when that changed the
/// last component.
fn resolve_host_source(path: &str, follow: bool) -> std::io::Result<(String, Option<String>)> {
    let canon = |p: &str| -> std::io::Result<String> {
        Ok(std::fs::canonicalize(p)?.to_string_lossy().into_owned())
    };
    if follow {
        let resolved = canon(path)?;
        return Ok(rebase_name(path, &resolved));
    }
    let cut = path.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (d, b) = path.split_at(cut);
    let resolved_dir = canon(if d.is_empty() { "." } else { d })?;
    let resolved = if resolved_dir.ends_with('/') {
        format!("{resolved_dir}{b}")
    } else {
        format!("{resolved_dir}/{b}")
    };
    let rebase = (path.ends_with('/') && base(path) != base(&resolved)).then(|| base(path));
    Ok((resolved, rebase))
}

/// A tar archive of the local `path` whose root entry is `name` (`.`: just the contents).
/// Symlinks are archived as symlinks; sockets are skipped (as docker does).
pub fn pack(path: &Path, name: &str) -> std::io::Result<Vec<u8>> {
    fn walk(
        b: &mut tar::Builder<Vec<u8>>,
        path: &Path,
        name: Option<PathBuf>,
    ) -> std::io::Result<()> {
        let meta = std::fs::symlink_metadata(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if meta.file_type().is_socket() {
                return Ok(());
            }
        }
        if let Some(n) = &name {
            b.append_path_with_name(path, n)?;
        }
        if meta.is_dir() {
            let mut children: Vec<_> = std::fs::read_dir(path)?
                .map(|e| e.map(|e| e.file_name()))
                .collect::<std::io::Result<_>>()?;
            children.sort();
            for c in children {
                let child_name = match &name {
                    Some(n) => n.join(&c),
                    None => PathBuf::from(&c),
                };
                walk(b, &path.join(&c), Some(child_name))?;
            }
        }
        Ok(())
    }
    let mut b = tar::Builder::new(Vec::new());
    b.follow_symlinks(false);
    let root = (name != ".").then(|| PathBuf::from(name));
    walk(&mut b, path, root)?;
    b.into_inner()
}

/// Extracts `tar` into the local directory `dir`, renaming the root `from` to `to`, as docker's
/// `Untar` with `NoOverwriteDirNonDir` does: a directory never replaces a file or the other way
/// round, and nothing is written outside `dir` (no `..`, no absolute names, nothing through a
/// symlink the archive made).
pub fn unpack(tar: &[u8], dir: &Path, from: &str, to: &str) -> Result<usize> {
    let mut archive = tar::Archive::new(tar);
    let mut count = 0;
    let entries = archive
        .entries()
        .context("the engine sent something that is not a tar archive")?;
    for entry in entries {
        let mut entry = entry.context("the engine sent a broken tar archive")?;
        let raw = entry
            .path()
            .context("bad name in the archive")?
            .into_owned();
        let mut comps = Vec::new();
        for c in raw.components() {
            match c {
                Component::Normal(n) => comps.push(n.to_string_lossy().into_owned()),
                Component::CurDir => {}
                _ => bail!(
                    "refusing to extract {}: it points outside the destination",
                    raw.display()
                ),
            }
        }
        let rel = renamed(&comps, from, to);
        let dest = rel.iter().fold(dir.to_path_buf(), |p, c| p.join(c));
        let kind = entry.header().entry_type();
        // Every directory between `dir` and the entry must be a real directory.
        let mut walked = dir.to_path_buf();
        for c in rel.iter().take(rel.len().saturating_sub(1)) {
            walked.push(c);
            match std::fs::symlink_metadata(&walked) {
                Ok(m) if m.file_type().is_symlink() => bail!(
                    "refusing to extract {} through the symlink {}",
                    raw.display(),
                    walked.display()
                ),
                Ok(_) => {}
                Err(_) => std::fs::create_dir_all(&walked)
                    .with_context(|| format!("cannot create {}", walked.display()))?,
            }
        }
        let existing = std::fs::symlink_metadata(&dest).ok();
        if let Some(m) = &existing {
            if m.is_dir() && !kind.is_dir() {
                bail!(
                    "cannot overwrite directory {} with non-directory {}",
                    dest.display(),
                    raw.display()
                );
            }
            if !m.is_dir() && kind.is_dir() {
                bail!(
                    "cannot overwrite non-directory {} with directory {}",
                    dest.display(),
                    raw.display()
                );
            }
            if m.is_dir() && rel.is_empty() {
                continue;
            }
        }
        if kind.is_hard_link() {
            let target = entry
                .link_name()
                .context("bad link in the archive")?
                .ok_or_else(|| anyhow!("hard link {} has no target", raw.display()))?;
            let mut tcomps = Vec::new();
            for c in target.components() {
                match c {
                    Component::Normal(n) => tcomps.push(n.to_string_lossy().into_owned()),
                    Component::CurDir => {}
                    _ => bail!(
                        "refusing to extract {}: its link points outside the destination",
                        raw.display()
                    ),
                }
            }
            let source = renamed(&tcomps, from, to)
                .iter()
                .fold(dir.to_path_buf(), |p, c| p.join(c));
            if existing.is_some() {
                std::fs::remove_file(&dest)
                    .with_context(|| format!("cannot replace {}", dest.display()))?;
            }
            std::fs::hard_link(&source, &dest).with_context(|| {
                format!("cannot link {} to {}", dest.display(), source.display())
            })?;
        } else {
            entry.set_preserve_permissions(true);
            entry.set_preserve_mtime(true);
            entry
                .unpack(&dest)
                .with_context(|| format!("cannot write {}", dest.display()))?;
        }
        count += 1;
    }
    Ok(count)
}

/// docker's `CopyInfoDestinationPath`: `path` with symlinks followed; `None` when it does not
/// exist (its parent must), else whether it is a directory.
fn local_destination(path: &str, shown: &str) -> Result<(String, Option<bool>)> {
    let mut p = path.to_string();
    for _ in 0..=10 {
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = std::fs::read_link(&p)
                    .with_context(|| format!("cannot read the symlink {p}"))?;
                let t = target.to_string_lossy().into_owned();
                p = if t.starts_with('/') {
                    t
                } else {
                    clean(&format!("{}/{t}", dir(&p)))
                };
            }
            Ok(m) => return Ok((p, Some(m.is_dir()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let (parent, _) = split_dir_entry(&p);
                if !Path::new(&parent).is_dir() {
                    bail!(
                        "cannot copy to {shown}: the directory {parent} does not exist; create it first"
                    );
                }
                return Ok((p, None));
            }
            Err(e) => bail!("cannot copy to {shown}: {}", io_text(&e)),
        }
    }
    bail!("cannot copy to {shown}: too many levels of symbolic links")
}

// ---------------------------------------------------------------------------------------------
// The command.
// ---------------------------------------------------------------------------------------------

fn usage(message: String) -> anyhow::Error {
    LoadError::new(ErrorKind::Usage, message).into()
}

/// The project name, and whether the compose file (when one was read) defines `service`.
fn project_for(global: &GlobalArgs, service: &str) -> Result<(String, Option<bool>)> {
    // Named, the service is checked against the compose file where one is found (one place for
    // "no such service" and its "did you mean").
    let (name, project) = super::runtime::project_or_name(global, &[service.to_string()])?;
    Ok((name, project.map(|p| p.services.contains_key(service))))
}

/// The containers a copy acts on (`app::cp::containers`); an undefined service is a usage error.
async fn containers(
    engine: &Arc<dyn Engine>,
    project: &str,
    service: &str,
    defined: Option<bool>,
    args: &CpArgs,
) -> Result<Vec<ContainerSummary>> {
    let choice = Choice {
        index: args.index,
        all: args.all,
    };
    match app_cp::containers(engine.as_ref(), project, service, defined, choice).await {
        Ok(list) => Ok(list),
        Err(e @ ChoiceError::NoSuchService { .. }) => Err(usage(e.to_string())),
        Err(e) => Err(e.into()),
    }
}

pub async fn cp(global: &GlobalArgs, rt: &RuntimeGlobals, args: CpArgs) -> Result<i32> {
    if args.source.is_empty() {
        return Err(usage("source can not be empty".into()));
    }
    if args.destination.is_empty() {
        return Err(usage("destination can not be empty".into()));
    }
    let (src, dst) = (split_arg(&args.source), split_arg(&args.destination));
    let say = !matches!(style_for(rt.progress, rt.ansi), Style::Quiet | Style::Json);
    match (src, dst) {
        (Endpoint::Service { .. }, Endpoint::Service { .. }) => Err(usage(
            "copying between services is not supported: copy to a local path first, then from it"
                .into(),
        )),
        (Endpoint::Local(_), Endpoint::Local(_)) => Err(usage(format!(
            "one of {:?} and {:?} must be SERVICE:PATH (a service's container); use `cp` for local copies",
            args.source, args.destination
        ))),
        (Endpoint::Service { service, path }, Endpoint::Local(local)) => {
            check_service_arg(&service, &path, &args.source)?;
            let (project, defined) = project_for(global, &service)?;
            let engine = context::connect().await?;
            let list = containers(&engine, &project, &service, defined, &args).await?;
            let Some(c) = list.first() else {
                bail!("no container found for service {service:?}");
            };
            copy_out(&engine, c, &service, &path, &local, &args, rt.dry_run, say).await?;
            Ok(exit::OK)
        }
        (Endpoint::Local(local), Endpoint::Service { service, path }) => {
            check_service_arg(&service, &path, &args.destination)?;
            let (project, defined) = project_for(global, &service)?;
            let engine = context::connect().await?;
            let list = containers(&engine, &project, &service, defined, &args).await?;
            copy_in(&engine, &list, &service, &local, &path, &args, rt.dry_run, say).await?;
            Ok(exit::OK)
        }
    }
}

fn check_service_arg(service: &str, path: &str, arg: &str) -> Result<()> {
    if service.is_empty() {
        return Err(usage(format!(
            "{arg:?} names no service: write SERVICE:PATH, e.g. web:/tmp/file"
        )));
    }
    if path.is_empty() {
        return Err(usage(format!(
            "{arg:?} names no path in the container: write {service}:/path"
        )));
    }
    Ok(())
}

fn note(say: bool, text: &str) {
    if say {
        eprintln!("{text}");
    }
}

/// The engine's error about a path in a container, in words that name it.
fn container_path_error(e: EngineError, shown: &str, container: &str) -> anyhow::Error {
    match e {
        EngineError::NotFound {
            kind: ObjectKind::Path,
            ..
        } => anyhow!("{shown}: no such file or directory in container {container}"),
        other => anyhow::Error::new(other).context(format!("cannot copy {shown} ({container})")),
    }
}

#[allow(clippy::too_many_arguments)]
async fn copy_out(
    engine: &Arc<dyn Engine>,
    c: &ContainerSummary,
    service: &str,
    path: &str,
    local: &str,
    args: &CpArgs,
    dry_run: bool,
    say: bool,
) -> Result<()> {
    let name = c.name().to_string();
    let shown = format!("{service}:{path}");
    let source = app_cp::container_source(engine.as_ref(), &c.id, path, args.follow_link)
        .await
        .map_err(|e| container_path_error(e, &shown, &name))?;
    let (src, st, rebase) = (source.path, source.stat, source.rebase);
    let archive_root = split_dir_entry(&src).1;
    if local == "-" {
        if dry_run {
            note(say, &format!("would copy {name}:{src} to standard output"));
            return Ok(());
        }
        let mut stream = engine.copy_from(&c.id, &src);
        let mut out = std::io::stdout().lock();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| container_path_error(e, &shown, &name))?;
            out.write_all(&chunk)
                .context("cannot write the archive to standard output")?;
        }
        out.flush().ok();
        return Ok(());
    }
    let dst = resolve_local_path(local)?;
    let dst_parent = dir(&clean(&dst));
    if !Path::new(&dst_parent).is_dir() {
        bail!("invalid output path: directory {dst_parent:?} does not exist; create it first");
    }
    let (dst_path, dst_state) = local_destination(&dst, local)?;
    let current = rebase.unwrap_or_else(|| archive_root.clone());
    let placement = place(&current, st.kind == PathKind::Dir, &dst_path, dst_state)
        .map_err(|e| place_error(e, &shown, local))?;
    if dry_run {
        note(say, &format!("would copy {name}:{src} to {local}"));
        return Ok(());
    }
    let mut tar = Vec::new();
    let mut stream = engine.copy_from(&c.id, &src);
    while let Some(chunk) = stream.next().await {
        tar.extend_from_slice(&chunk.map_err(|e| container_path_error(e, &shown, &name))?);
    }
    let into = PathBuf::from(&placement.dir);
    let (from, to) = (archive_root, placement.name);
    tokio::task::spawn_blocking(move || unpack(&tar, &into, &from, &to))
        .await
        .context("the extraction task failed")?
        .with_context(|| format!("cannot copy {shown} to {local}"))?;
    note(say, &format!("Copied {name}:{src} to {local}"));
    Ok(())
}

fn place_error(e: PlaceError, src: &str, dst: &str) -> anyhow::Error {
    match e {
        PlaceError::DirOntoFile => anyhow!(
            "cannot copy the directory {src} onto the file {dst}: remove the file, or name a directory"
        ),
        PlaceError::NoSuchDirectory => anyhow!(
            "cannot copy {src} to {dst}: the directory {dst} does not exist (the trailing / says \
             it must be one); create it first, or drop the /"
        ),
    }
}

#[allow(clippy::too_many_arguments)]
async fn copy_in(
    engine: &Arc<dyn Engine>,
    list: &[ContainerSummary],
    service: &str,
    local: &str,
    path: &str,
    args: &CpArgs,
    dry_run: bool,
    say: bool,
) -> Result<()> {
    let shown_dst = format!("{service}:{path}");
    let options = CopyIntoOptions {
        copy_uid_gid: args.archive,
        no_overwrite_dir_non_dir: true,
    };
    // What is copied: a tar stream from standard input, or a local file or directory.
    enum Source {
        Stream(Bytes),
        Path {
            path: String,
            name: String,
            is_dir: bool,
        },
    }
    let source = if local == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut buf)
            .context("cannot read the archive from standard input")?;
        Source::Stream(Bytes::from(buf))
    } else {
        let abs = resolve_local_path(local)?;
        let (resolved, rebase) = resolve_host_source(&abs, args.follow_link)
            .map_err(|e| anyhow!("cannot copy {local}: {}", io_text(&e)))?;
        let meta = std::fs::symlink_metadata(&resolved)
            .map_err(|e| anyhow!("cannot copy {local}: {}", io_text(&e)))?;
        let name = rebase.unwrap_or_else(|| split_dir_entry(&resolved).1);
        Source::Path {
            path: clean(&resolved),
            name,
            is_dir: meta.is_dir(),
        }
    };
    let mut packed: BTreeMap<String, Bytes> = BTreeMap::new();
    for c in list {
        let name = c.name().to_string();
        let want = container_path(path);
        // Where the destination is, a symlink followed once (as docker does).
        let mut dst_path = want.clone();
        let mut state = match engine.stat_path(&c.id, &want).await {
            Ok(st) => Some(st),
            Err(EngineError::NotFound {
                kind: ObjectKind::Path,
                ..
            }) => None,
            Err(e) => return Err(container_path_error(e, &shown_dst, &name)),
        };
        if let Some(st) = state.clone().filter(|s| s.kind == PathKind::Symlink) {
            dst_path = if st.link_target.starts_with('/') {
                st.link_target.clone()
            } else {
                clean(&format!("{}/{}", split_dir_entry(&want).0, st.link_target))
            };
            state = engine.stat_path(&c.id, &dst_path).await.ok();
        }
        if state.as_ref().is_some_and(|s| s.kind == PathKind::Other) {
            bail!("destination {shown_dst} in {name} must be a directory or a regular file");
        }
        let dst_state = state.map(|s| s.kind == PathKind::Dir);
        let (extract_dir, tar) = match &source {
            Source::Stream(tar) => {
                if dst_state != Some(true) {
                    bail!(
                        "destination {shown_dst} must be an existing directory in {name} to \
                         extract a tar stream into"
                    );
                }
                (dst_path.clone(), tar.clone())
            }
            Source::Path {
                path: src,
                name: src_name,
                is_dir,
            } => {
                let placement = place(src_name, *is_dir, &dst_path, dst_state)
                    .map_err(|e| place_error(e, local, &shown_dst))?;
                let tar = match packed.get(&placement.name) {
                    Some(t) => t.clone(),
                    None => {
                        let (p, n) = (PathBuf::from(src), placement.name.clone());
                        let t = tokio::task::spawn_blocking(move || pack(&p, &n))
                            .await
                            .context("the archive task failed")?
                            .map_err(|e| anyhow!("cannot read {local}: {}", io_text(&e)))?;
                        let t = Bytes::from(t);
                        packed.insert(placement.name.clone(), t.clone());
                        t
                    }
                };
                (placement.dir, tar)
            }
        };
        if dry_run {
            note(say, &format!("would copy {local} to {name}:{want}"));
            continue;
        }
        engine
            .copy_into_with(&c.id, &extract_dir, tar, &options)
            .await
            .map_err(|e| match e {
                EngineError::NotFound {
                    kind: ObjectKind::Path,
                    ..
                } => anyhow!(
                    "cannot copy {local} to {shown_dst}: the directory {extract_dir} does not \
                     exist in container {name}; create it first"
                ),
                other => anyhow::Error::new(other)
                    .context(format!("cannot copy {local} to {shown_dst} ({name})")),
            })?;
        note(say, &format!("Copied {local} to {name}:{want}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_then_unpack_round_trips_with_renames() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        let src = tmp.path().join("src");
        std::fs::create_dir_all(src.join("sub"))?;
        std::fs::write(src.join("a.txt"), "a")?;
        std::fs::write(src.join("sub/b.txt"), "b")?;
        #[cfg(unix)]
        std::os::unix::fs::symlink("a.txt", src.join("link"))?;

        let out = tmp.path().join("out");
        std::fs::create_dir_all(&out)?;
        // `src` into an existing directory: out/src/...
        let tar = pack(&src, "src")?;
        unpack(&tar, &out, "src", "src")?;
        assert_eq!(std::fs::read_to_string(out.join("src/sub/b.txt"))?, "b");
        #[cfg(unix)]
        assert_eq!(
            std::fs::read_link(out.join("src/link"))?,
            Path::new("a.txt")
        );
        // The contents only (`src/.`).
        let tar = pack(&src, ".")?;
        let flat = tmp.path().join("flat");
        std::fs::create_dir_all(&flat)?;
        unpack(&tar, &flat, ".", ".")?;
        assert_eq!(std::fs::read_to_string(flat.join("a.txt"))?, "a");
        // Renamed root.
        let tar = pack(&src, "src")?;
        unpack(&tar, tmp.path(), "src", "renamed")?;
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("renamed/a.txt"))?,
            "a"
        );
        // A file never replaces a directory.
        let tar = pack(&src.join("a.txt"), "sub")?;
        let e = unpack(&tar, &src, "sub", "sub").expect_err("dir replaced");
        assert!(e.to_string().contains("cannot overwrite directory"), "{e}");
        Ok(())
    }

    #[test]
    fn unpack_refuses_to_leave_the_destination() -> Result<()> {
        let tmp = tempfile::tempdir()?;
        // An archive whose link `evil` -> `/`, then `evil/x`.
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, "evil", "/")?;
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "evil/x", &b"x"[..])?;
        let tar = b.into_inner()?;
        let e = unpack(&tar, tmp.path(), "evil", "evil").expect_err("escaped");
        assert!(e.to_string().contains("through the symlink"), "{e}");
        Ok(())
    }
}
