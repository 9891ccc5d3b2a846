//! The archive a sync sends: host files and directories at their container paths.
//!
//! Entries are named by their container path without the leading `/`, so the engine extracts the
//! archive at `/` and creates missing parent directories itself. Directories are walked; `keep`
//! says which of the paths found inside them belong (the rule's ignores apply there too).
//! Symlinks are archived as symlinks, never followed. Synchronous file I/O.
//!
//! Must not import the engine or `cli`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::app::context::header_for;

/// The tar archive of `copy` (host path -> container path), and how many files it holds.
pub fn archive(
    copy: &BTreeMap<PathBuf, String>,
    keep: &dyn Fn(&Path) -> bool,
) -> Result<(Vec<u8>, usize), String> {
    let mut b = tar::Builder::new(Vec::new());
    let mut files = 0;
    for (host, to) in copy {
        add(&mut b, host, to, keep, &mut files)?;
    }
    let bytes = b
        .into_inner()
        .map_err(|e| format!("cannot write the archive: {e}"))?;
    Ok((bytes, files))
}

fn add(
    b: &mut tar::Builder<Vec<u8>>,
    host: &Path,
    to: &str,
    keep: &dyn Fn(&Path) -> bool,
    files: &mut usize,
) -> Result<(), String> {
    let meta = match fs::symlink_metadata(host) {
        Ok(m) => m,
        // Gone since the event: the next batch sees its removal.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(format!("cannot read {}: {e}", host.display())),
    };
    let name = to.trim_start_matches('/');
    if name.is_empty() {
        return Err(format!(
            "{} would be copied over the container's root; set a target below /",
            host.display()
        ));
    }
    let mut h = header_for(&meta);
    if meta.file_type().is_symlink() {
        let link = fs::read_link(host).map_err(|e| format!("{}: {e}", host.display()))?;
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, name, &link)
            .map_err(|e| format!("{}: {e}", host.display()))?;
        *files += 1;
    } else if meta.is_dir() {
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        b.append_data(&mut h, format!("{name}/"), std::io::empty())
            .map_err(|e| format!("{}: {e}", host.display()))?;
        let mut entries: Vec<PathBuf> = fs::read_dir(host)
            .map_err(|e| format!("cannot list {}: {e}", host.display()))?
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if !keep(&p) {
                continue;
            }
            let child = format!(
                "{}/{}",
                to.trim_end_matches('/'),
                p.file_name().unwrap_or_default().to_string_lossy()
            );
            add(b, &p, &child, keep, files)?;
        }
    } else if meta.is_file() {
        let data = fs::read(host).map_err(|e| format!("cannot read {}: {e}", host.display()))?;
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(data.len() as u64);
        b.append_data(&mut h, name, data.as_slice())
            .map_err(|e| format!("{}: {e}", host.display()))?;
        *files += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(tar: &[u8]) -> Vec<(String, String)> {
        let mut a = tar::Archive::new(tar);
        let mut out = Vec::new();
        for e in a.entries().unwrap() {
            let mut e = e.unwrap();
            let name = e.path().unwrap().display().to_string();
            let mut body = String::new();
            std::io::Read::read_to_string(&mut e, &mut body).unwrap();
            out.push((name, body));
        }
        out
    }

    #[test]
    fn files_and_directories_land_at_their_container_paths() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("index.html"), "hi").unwrap();
        fs::create_dir(d.path().join("sub")).unwrap();
        fs::write(d.path().join("sub/a.txt"), "a").unwrap();
        fs::write(d.path().join("sub/skip.swp"), "x").unwrap();
        let mut copy = BTreeMap::new();
        copy.insert(d.path().join("index.html"), "/www/index.html".to_string());
        copy.insert(d.path().join("sub"), "/www/sub".to_string());
        let keep = |p: &Path| !p.to_string_lossy().ends_with(".swp");
        let (tar, files) = archive(&copy, &keep).unwrap();
        assert_eq!(files, 2);
        assert_eq!(
            entries(&tar),
            [
                ("www/index.html".to_string(), "hi".to_string()),
                ("www/sub/".to_string(), String::new()),
                ("www/sub/a.txt".to_string(), "a".to_string()),
            ]
        );
    }

    #[test]
    fn a_vanished_file_is_skipped_and_the_root_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let mut copy = BTreeMap::new();
        copy.insert(d.path().join("gone"), "/x/gone".to_string());
        let (_, files) = archive(&copy, &|_| true).unwrap();
        assert_eq!(files, 0);
        let mut root = BTreeMap::new();
        root.insert(d.path().to_path_buf(), "/".to_string());
        assert!(archive(&root, &|_| true).unwrap_err().contains("root"));
    }
}
