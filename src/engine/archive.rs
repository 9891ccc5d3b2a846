//! Files in and out of containers: the [`Archive`] area of the [`Engine`](super::Engine) trait
//! (copy a tar in, read one out, stat a path), and the ONE place that writes and reads tar
//! archives: [`Packer`] packs host paths (symlinks archived as links, never followed, so nothing
//! outside the packed tree leaks in), directories with `.dockerignore` rules ([`dockerignore`],
//! [`Packer::add_tree`]), and in-memory files ([`pack_files`]); [`read_entries`] reads an archive
//! and [`unpack`] extracts one to disk (renaming the root entry as `docker cp` does), both safely:
//! an entry that would land outside the destination is refused.
//! Synchronous file I/O for the packing side: call it from `spawn_blocking` where it matters.
//! Must not import `model`, `loader`, `plan`, `app` or `cli`.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::types::*;
use super::EngineResult;

/// Files in and out of containers: one area of the engine.
#[async_trait]
pub trait Archive: Send + Sync {
    /// Extracts a tar archive into the container at `path` (a directory that must exist).
    async fn copy_into(&self, id: &str, path: &str, tar: Bytes) -> EngineResult<()>;

    /// What `path` names in the container, without following a final symlink. Nothing there is
    /// [`EngineError::NotFound`] of kind [`ObjectKind::Path`].
    async fn stat_path(&self, id: &str, path: &str) -> EngineResult<PathStat>;

    /// A tar archive of `path` in the container, as `docker cp` reads it: its root entry is named
    /// after the last component of `path` (`.` for `dir/.`, whose entries are the contents).
    /// A missing path is [`EngineError::NotFound`] of kind [`ObjectKind::Path`].
    fn copy_from(&self, id: &str, path: &str) -> BoxStream<'static, EngineResult<Bytes>>;

    /// The container's whole filesystem as a tar archive (`docker export`).
    fn export_container(&self, id: &str) -> BoxStream<'static, EngineResult<Bytes>>;

    /// [`Archive::copy_into`] with `cp`'s options.
    async fn copy_into_with(
        &self,
        id: &str,
        path: &str,
        tar: Bytes,
        options: &CopyIntoOptions,
    ) -> EngineResult<()>;
}

/// The ignore rules of `dir/.dockerignore` (none when there is no such file), as docker reads
/// them: patterns anchored at the context root, `!` exceptions, `**`, last match wins.
pub fn dockerignore(dir: &Path) -> Result<Gitignore, String> {
    let mut b = GitignoreBuilder::new(dir);
    let path = dir.join(".dockerignore");
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (neg, pat) = match line.strip_prefix('!') {
            Some(p) => ("!", p.trim()),
            None => ("", line),
        };
        // Docker cleans the pattern and anchors it at the context root.
        let pat = pat.trim_start_matches("./").trim_start_matches('/');
        if pat.is_empty() {
            continue;
        }
        let anchored = format!("{neg}/{pat}");
        b.add_line(None, &anchored)
            .map_err(|e| format!("{}: bad pattern {line:?}: {e}", path.display()))?;
    }
    b.build().map_err(|e| format!("{}: {e}", path.display()))
}

/// A tar header carrying `meta`'s mode and mtime (and, with `owner`, its uid and gid).
fn header_for(meta: &fs::Metadata, owner: bool) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        h.set_mode(meta.mode() & 0o7777);
        h.set_mtime(u64::try_from(meta.mtime()).unwrap_or(0));
        if owner {
            h.set_uid(u64::from(meta.uid()));
            h.set_gid(u64::from(meta.gid()));
        }
    }
    #[cfg(not(unix))]
    {
        let _ = owner;
        h.set_mode(if meta.is_dir() { 0o755 } else { 0o644 });
    }
    h
}

/// Builds one tar archive in memory. Entry names are relative (`etc/app.conf`); directories end
/// in `/`. Symlinks are archived as links and never followed; sockets, fifos and devices are
/// skipped, as the docker CLI does.
pub struct Packer {
    builder: tar::Builder<Vec<u8>>,
    files: usize,
    owner: bool,
}

impl Default for Packer {
    fn default() -> Self {
        Packer::new()
    }
}

impl Packer {
    pub fn new() -> Packer {
        let mut builder = tar::Builder::new(Vec::new());
        builder.follow_symlinks(false);
        Packer {
            builder,
            files: 0,
            owner: false,
        }
    }

    /// Records the owner (uid/gid) of host files in the headers (`docker cp -a`).
    pub fn with_owner(mut self) -> Packer {
        self.owner = true;
        self
    }

    /// How many files and symlinks were packed so far.
    pub fn files(&self) -> usize {
        self.files
    }

    /// The bytes packed so far.
    pub fn bytes(&self) -> usize {
        self.builder.get_ref().len()
    }

    /// The archive.
    pub fn finish(self) -> Result<Vec<u8>, String> {
        self.builder
            .into_inner()
            .map_err(|e| format!("cannot write the archive: {e}"))
    }

    /// A regular file with `content` and `mode`.
    pub fn add_file(&mut self, name: &str, content: &[u8], mode: u32) -> Result<(), String> {
        let mut h = tar::Header::new_gnu();
        h.set_mode(mode);
        h.set_size(content.len() as u64);
        h.set_entry_type(tar::EntryType::Regular);
        self.builder
            .append_data(&mut h, name, content)
            .map_err(|e| format!("cannot pack {name}: {e}"))?;
        self.files += 1;
        Ok(())
    }

    /// A directory entry with `mode`.
    pub fn add_dir(&mut self, name: &str, mode: u32) -> Result<(), String> {
        let mut h = tar::Header::new_gnu();
        h.set_mode(mode);
        h.set_size(0);
        h.set_entry_type(tar::EntryType::Directory);
        self.builder
            .append_data(
                &mut h,
                format!("{}/", name.trim_end_matches('/')),
                std::io::empty(),
            )
            .map_err(|e| format!("cannot pack {name}: {e}"))
    }

    /// One host entry (not descending into a directory) named `name`, with `meta` already read.
    fn add_entry(&mut self, host: &Path, name: &str, meta: &fs::Metadata) -> Result<(), String> {
        let mut h = header_for(meta, self.owner);
        let ft = meta.file_type();
        let fail = |e: std::io::Error| format!("cannot archive {}: {e}", host.display());
        if ft.is_symlink() {
            let target = fs::read_link(host).map_err(fail)?;
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            self.builder
                .append_link(&mut h, name, &target)
                .map_err(fail)?;
            self.files += 1;
        } else if ft.is_dir() {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_size(0);
            let dir_name = format!("{}/", name.trim_end_matches('/'));
            self.builder
                .append_data(&mut h, dir_name, std::io::empty())
                .map_err(fail)?;
        } else if ft.is_file() {
            let data =
                fs::read(host).map_err(|e| format!("cannot read {}: {e}", host.display()))?;
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(data.len() as u64);
            self.builder
                .append_data(&mut h, name, data.as_slice())
                .map_err(fail)?;
            self.files += 1;
        }
        Ok(())
    }

    /// The host path `host` as `name` (`.` or empty: a directory's contents only, without an
    /// entry for the directory itself), descending into directories in name order. `keep` says
    /// which paths found inside a directory belong. A path that is gone is skipped.
    pub fn add_path(
        &mut self,
        host: &Path,
        name: &str,
        keep: &dyn Fn(&Path) -> bool,
    ) -> Result<(), String> {
        let meta = match fs::symlink_metadata(host) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(format!("cannot read {}: {e}", host.display())),
        };
        let name = name.trim_start_matches('/');
        let contents_only = name.is_empty() || name == ".";
        if !contents_only {
            self.add_entry(host, name, &meta)?;
        }
        if !meta.is_dir() {
            return Ok(());
        }
        let mut children: Vec<PathBuf> = fs::read_dir(host)
            .map_err(|e| format!("cannot list {}: {e}", host.display()))?
            .flatten()
            .map(|e| e.path())
            .collect();
        children.sort();
        for child in children {
            if !keep(&child) {
                continue;
            }
            let base = child.file_name().unwrap_or_default().to_string_lossy();
            let child_name = if contents_only {
                base.to_string()
            } else {
                format!("{}/{base}", name.trim_end_matches('/'))
            };
            self.add_path(&child, &child_name, keep)?;
        }
        Ok(())
    }

    /// The contents of the directory `dir` (entries named relative to it, in name order) except
    /// what `ignore` excludes; names in `always` are packed even when ignored. A directory that
    /// is ignored is still walked when the rules have `!` exceptions.
    pub fn add_tree(
        &mut self,
        dir: &Path,
        ignore: &Gitignore,
        always: &[&str],
    ) -> Result<(), String> {
        let mut stack: Vec<PathBuf> = vec![PathBuf::new()];
        let mut entries: BTreeMap<String, (PathBuf, fs::Metadata)> = BTreeMap::new();
        while let Some(rel) = stack.pop() {
            let abs = dir.join(&rel);
            let list =
                fs::read_dir(&abs).map_err(|e| format!("cannot read {}: {e}", abs.display()))?;
            for entry in list {
                let entry = entry.map_err(|e| format!("cannot read {}: {e}", abs.display()))?;
                let child_rel = rel.join(entry.file_name());
                let child_abs = dir.join(&child_rel);
                // Never follow symlinks.
                let meta = fs::symlink_metadata(&child_abs)
                    .map_err(|e| format!("cannot read {}: {e}", child_abs.display()))?;
                let name = child_rel.to_string_lossy().replace('\\', "/");
                let is_dir = meta.is_dir();
                let ignored = ignore
                    .matched_path_or_any_parents(&child_abs, is_dir)
                    .is_ignore();
                if ignored && !always.contains(&name.as_str()) {
                    // A directory may still hold re-included files (`!dir/keep`): descend
                    // anyway when the ignore file has exceptions.
                    if !(is_dir && ignore.num_whitelists() > 0) {
                        continue;
                    }
                } else {
                    entries.insert(name, (child_abs.clone(), meta));
                }
                if is_dir {
                    stack.push(child_rel);
                }
            }
        }
        for (name, (abs, meta)) in &entries {
            self.add_entry(abs, name, meta)?;
        }
        Ok(())
    }
}

/// A tar archive of in-memory files: (name, content, mode) each.
pub fn pack_files<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a [u8], u32)>,
) -> Result<Vec<u8>, String> {
    let mut p = Packer::new();
    for (name, content, mode) in files {
        p.add_file(name.trim_start_matches('/'), content, mode)?;
    }
    p.finish()
}

/// What an archive entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Dir,
    Symlink(String),
    /// Hard links, devices, fifos...
    Other,
}

/// One entry of an archive read by [`read_entries`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// The entry's name as path components below the destination (`.` dropped); empty for the
    /// root itself.
    pub path: Vec<String>,
    pub kind: EntryKind,
    pub mode: u32,
    /// A file's content (empty for other kinds).
    pub content: Vec<u8>,
}

/// An entry name as path components below the destination, refusing names that would land
/// outside it (absolute names, `..`).
fn entry_path(raw: &Path) -> Result<Vec<String>, String> {
    let mut path = Vec::new();
    for c in raw.components() {
        match c {
            Component::Normal(n) => path.push(n.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => {
                return Err(format!(
                    "refusing to extract {}: it points outside the destination",
                    raw.display()
                ))
            }
        }
    }
    Ok(path)
}

/// A regular file of an archive, without its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStat {
    /// Path components below the destination, as in [`ArchiveEntry::path`].
    pub path: Vec<String>,
    pub size: u64,
    /// Modification time, seconds since the epoch.
    pub mtime: u64,
}

/// The regular files of `tar` with their sizes and modification times; only the headers are
/// read.
pub fn file_stats(tar: &[u8]) -> Result<Vec<FileStat>, String> {
    let mut archive = tar::Archive::new(tar);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar archive: {e}"))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("bad tar entry: {e}"))?;
        let header = entry.header();
        if !header.entry_type().is_file() {
            continue;
        }
        let raw = entry
            .path()
            .map_err(|e| format!("bad tar entry name: {e}"))?;
        out.push(FileStat {
            path: entry_path(&raw)?,
            size: entry.size(),
            mtime: header.mtime().unwrap_or(0),
        });
    }
    Ok(out)
}

/// Reads all entries of `tar`, refusing any whose name would land outside the destination
/// (absolute names, `..`).
pub fn read_entries(tar: &[u8]) -> Result<Vec<ArchiveEntry>, String> {
    let mut archive = tar::Archive::new(tar);
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar archive: {e}"))?;
    let mut out = Vec::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("bad tar entry: {e}"))?;
        let raw = entry
            .path()
            .map_err(|e| format!("bad tar entry name: {e}"))?
            .into_owned();
        let path = entry_path(&raw)?;
        let header = entry.header();
        let mode = header.mode().unwrap_or(0o644);
        let t = header.entry_type();
        let kind = if t.is_file() {
            EntryKind::File
        } else if t.is_dir() {
            EntryKind::Dir
        } else if t.is_symlink() {
            let target = entry
                .link_name()
                .ok()
                .flatten()
                .map(|l| l.to_string_lossy().into_owned())
                .unwrap_or_default();
            EntryKind::Symlink(target)
        } else {
            EntryKind::Other
        };
        let mut content = Vec::new();
        if kind == EntryKind::File {
            entry
                .read_to_end(&mut content)
                .map_err(|e| format!("bad tar entry: {e}"))?;
        }
        out.push(ArchiveEntry {
            path,
            kind,
            mode,
            content,
        });
    }
    Ok(out)
}

/// `components` with the root entry `from` renamed to `to`, as docker's `RebaseArchiveEntries`
/// does (`.` as `from`: every entry is below the new root; `.` as `to`: the root is dropped).
pub fn renamed(components: &[String], from: &str, to: &str) -> Vec<String> {
    let rest: &[String] = if from == "." {
        components
    } else if components.first().map(String::as_str) == Some(from) {
        &components[1..]
    } else {
        return components.to_vec();
    };
    let mut out = Vec::with_capacity(rest.len() + 1);
    if to != "." {
        out.push(to.to_string());
    }
    out.extend(rest.iter().cloned());
    out
}

/// The normal components of an archive name; `None` when it would leave the destination.
fn safe_components(raw: &Path) -> Option<Vec<String>> {
    let mut comps = Vec::new();
    for c in raw.components() {
        match c {
            Component::Normal(n) => comps.push(n.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(comps)
}

/// Creates the directories between `dir` and the entry `rel`, refusing to go through a symlink.
fn real_parents(dir: &Path, rel: &[String], raw: &Path) -> Result<(), String> {
    let mut walked = dir.to_path_buf();
    for c in rel.iter().take(rel.len().saturating_sub(1)) {
        walked.push(c);
        match fs::symlink_metadata(&walked) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "refusing to extract {} through the symlink {}",
                    raw.display(),
                    walked.display()
                ))
            }
            Ok(_) => {}
            Err(_) => fs::create_dir_all(&walked)
                .map_err(|e| format!("cannot create {}: {e}", walked.display()))?,
        }
    }
    Ok(())
}

/// Extracts `tar` into the local directory `dir`, renaming the root entry `from` to `to` when
/// `rename` is given (`docker cp`), as docker's `Untar` with `NoOverwriteDirNonDir` does: a
/// directory never replaces a file or the other way round, and nothing is written outside `dir`
/// (no `..`, no absolute names, nothing through a symlink, no hard link to outside). Returns how
/// many entries were written.
pub fn unpack(tar: &[u8], dir: &Path, rename: Option<(&str, &str)>) -> Result<usize, String> {
    let (from, to) = rename.unwrap_or((".", "."));
    let mut archive = tar::Archive::new(tar);
    let mut count = 0;
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("broken tar archive: {e}"))?;
        let raw = entry
            .path()
            .map_err(|e| format!("bad name in the archive: {e}"))?
            .into_owned();
        let comps = safe_components(&raw).ok_or_else(|| {
            format!(
                "refusing to extract {}: it points outside the destination",
                raw.display()
            )
        })?;
        let rel = renamed(&comps, from, to);
        let dest = rel.iter().fold(dir.to_path_buf(), |p, c| p.join(c));
        let kind = entry.header().entry_type();
        real_parents(dir, &rel, &raw)?;
        let existing = fs::symlink_metadata(&dest).ok();
        if let Some(m) = &existing {
            if m.is_dir() != kind.is_dir() {
                let (was, now) = if m.is_dir() {
                    ("directory", "non-directory")
                } else {
                    ("non-directory", "directory")
                };
                return Err(format!(
                    "cannot overwrite {was} {} with {now} {}",
                    dest.display(),
                    raw.display()
                ));
            }
            if m.is_dir() && rel.is_empty() {
                continue;
            }
        }
        if kind.is_hard_link() {
            let target = entry
                .link_name()
                .map_err(|e| format!("bad link in the archive: {e}"))?
                .ok_or_else(|| format!("hard link {} has no target", raw.display()))?;
            let tcomps = safe_components(&target).ok_or_else(|| {
                format!(
                    "refusing to extract {}: its link points outside the destination",
                    raw.display()
                )
            })?;
            let source = renamed(&tcomps, from, to)
                .iter()
                .fold(dir.to_path_buf(), |p, c| p.join(c));
            if existing.is_some() {
                fs::remove_file(&dest)
                    .map_err(|e| format!("cannot replace {}: {e}", dest.display()))?;
            }
            fs::hard_link(&source, &dest).map_err(|e| {
                format!(
                    "cannot link {} to {}: {e}",
                    dest.display(),
                    source.display()
                )
            })?;
        } else {
            entry.set_preserve_permissions(true);
            entry.set_preserve_mtime(true);
            entry
                .unpack(&dest)
                .map_err(|e| format!("cannot write {}: {e}", dest.display()))?;
        }
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(tar: &[u8]) -> Result<Vec<(String, EntryKind)>, String> {
        Ok(read_entries(tar)?
            .into_iter()
            .map(|e| (e.path.join("/"), e.kind))
            .collect())
    }

    #[test]
    fn a_path_is_packed_under_its_root_name_or_as_contents() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let d = dir.path().join("d");
        fs::create_dir_all(d.join("sub")).map_err(|e| e.to_string())?;
        fs::write(d.join("sub/a.txt"), "a").map_err(|e| e.to_string())?;
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", d.join("link")).map_err(|e| e.to_string())?;
        let mut p = Packer::new();
        p.add_path(&d, "root", &|_| true)?;
        let got = names(&p.finish()?)?;
        assert!(got.contains(&("root".into(), EntryKind::Dir)), "{got:?}");
        assert!(
            got.contains(&("root/sub/a.txt".into(), EntryKind::File)),
            "{got:?}"
        );
        #[cfg(unix)]
        assert!(
            got.contains(&("root/link".into(), EntryKind::Symlink("/etc/passwd".into()))),
            "the link is archived as a link: {got:?}"
        );
        let mut p = Packer::new();
        p.add_path(&d, ".", &|_| true)?;
        let got = names(&p.finish()?)?;
        assert!(got.iter().all(|(n, _)| !n.starts_with("d")), "{got:?}");
        assert!(
            got.contains(&("sub/a.txt".into(), EntryKind::File)),
            "{got:?}"
        );
        Ok(())
    }

    #[test]
    fn entries_outside_the_destination_are_refused() -> Result<(), String> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_entry_type(tar::EntryType::Regular);
        // `append_data` refuses `..`; write the name into the header directly.
        h.as_old_mut().name[..9].copy_from_slice(b"../escape");
        h.set_cksum();
        b.append(&h, &b"x"[..]).map_err(|e| e.to_string())?;
        let tar = b.into_inner().map_err(|e| e.to_string())?;
        let e = read_entries(&tar).expect_err("refused");
        assert!(e.contains("outside the destination"), "{e}");
        Ok(())
    }

    #[test]
    fn in_memory_files_keep_their_mode() -> Result<(), String> {
        let tar = pack_files([("/run/secrets/s", &b"top"[..], 0o400)])?;
        let e = read_entries(&tar)?;
        assert_eq!(e[0].path, ["run", "secrets", "s"]);
        assert_eq!(e[0].mode, 0o400);
        assert_eq!(e[0].content, b"top");
        Ok(())
    }

    #[test]
    fn unpack_renames_the_root_and_never_writes_through_a_symlink() -> Result<(), String> {
        let src = tempfile::tempdir().map_err(|e| e.to_string())?;
        let d = src.path().join("d");
        fs::create_dir_all(&d).map_err(|e| e.to_string())?;
        fs::write(d.join("a.txt"), "a").map_err(|e| e.to_string())?;
        let mut p = Packer::new();
        p.add_path(&d, "d", &|_| true)?;
        let tar = p.finish()?;
        let out = tempfile::tempdir().map_err(|e| e.to_string())?;
        unpack(&tar, out.path(), Some(("d", "copy")))?;
        let got = fs::read_to_string(out.path().join("copy/a.txt")).map_err(|e| e.to_string())?;
        assert_eq!(got, "a");
        #[cfg(unix)]
        {
            // `link -> /` then `link/x`: the second entry would write outside the destination.
            let mut b = tar::Builder::new(Vec::new());
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Symlink);
            h.set_size(0);
            b.append_link(&mut h, "link", "/")
                .map_err(|e| e.to_string())?;
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Regular);
            h.set_size(1);
            b.append_data(&mut h, "link/x", &b"x"[..])
                .map_err(|e| e.to_string())?;
            let tar = b.into_inner().map_err(|e| e.to_string())?;
            let out = tempfile::tempdir().map_err(|e| e.to_string())?;
            let e = unpack(&tar, out.path(), None).expect_err("refused");
            assert!(e.contains("through the symlink"), "{e}");
        }
        Ok(())
    }
}
