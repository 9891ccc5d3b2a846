//! The archive a sync sends: host files and directories at their container paths.
//!
//! Entries are named by their container path without the leading `/`, so the engine extracts the
//! archive at `/` and creates missing parent directories itself. Directories are walked; `keep`
//! says which of the paths found inside them belong (the rule's ignores apply there too).
//! Symlinks are archived as symlinks, never followed. Synchronous file I/O.
//!
//! Packing goes through the engine's ONE archive module (`engine::archive`). Must not import
//! `cli`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::engine::archive::Packer;

/// The tar archive of `copy` (host path -> container path), and how many files it holds.
pub fn archive(
    copy: &BTreeMap<PathBuf, String>,
    keep: &dyn Fn(&Path) -> bool,
) -> Result<(Vec<u8>, usize), String> {
    let mut packer = Packer::new();
    for (host, to) in copy {
        let name = to.trim_start_matches('/');
        // A path gone since the event is skipped (the next batch sees its removal).
        if name.is_empty() && fs::symlink_metadata(host).is_ok() {
            return Err(format!(
                "{} would be copied over the container's root; set a target below /",
                host.display()
            ));
        }
        packer.add_path(host, name, keep)?;
    }
    let files = packer.files();
    Ok((packer.finish()?, files))
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
