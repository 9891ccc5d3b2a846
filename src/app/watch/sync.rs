//! The archive a sync sends: host files and directories at their container paths.
//!
//! Entries are named by their container path without the leading `/`, so the engine extracts the
//! archive at `/` and creates missing parent directories itself. Directories are walked; `keep`
//! says which of the paths found inside them belong (the rule's ignores apply there too).
//! Symlinks are archived as symlinks, never followed. Synchronous file I/O.
//!
//! Packing goes through the engine's ONE archive module (`engine::archive`). Must not import
//! `cli`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::engine::archive::Packer;

/// The most bytes one archive grows to before the rest of a batch goes into the next one (one
/// directory copied whole may pass it).
pub const MAX_ARCHIVE: usize = 64 << 20;

/// The tar archive of the first entries of `copy` (host path -> container path) that fit in
/// `limit` bytes (at least one), how many files it holds and how many entries it took.
pub fn archive(
    copy: &[(&PathBuf, &String)],
    keep: &dyn Fn(&Path) -> bool,
    limit: usize,
) -> Result<(Vec<u8>, usize, usize), String> {
    let mut packer = Packer::new();
    let mut used = 0;
    for (host, to) in copy {
        if used > 0 && packer.bytes() >= limit {
            break;
        }
        used += 1;
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
    Ok((packer.finish()?, files, used))
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
        let (index, sub) = (d.path().join("index.html"), d.path().join("sub"));
        let (to_index, to_sub) = ("/www/index.html".to_string(), "/www/sub".to_string());
        let copy = [(&index, &to_index), (&sub, &to_sub)];
        let keep = |p: &Path| !p.to_string_lossy().ends_with(".swp");
        let (tar, files, used) = archive(&copy, &keep, MAX_ARCHIVE).unwrap();
        assert_eq!((files, used), (2, 2));
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
        let (gone, to) = (d.path().join("gone"), "/x/gone".to_string());
        let (_, files, _) = archive(&[(&gone, &to)], &|_| true, MAX_ARCHIVE).unwrap();
        assert_eq!(files, 0);
        let (dir, root) = (d.path().to_path_buf(), "/".to_string());
        let e = archive(&[(&dir, &root)], &|_| true, MAX_ARCHIVE).unwrap_err();
        assert!(e.contains("root"));
    }

    #[test]
    fn a_large_change_set_is_split_into_archives_of_bounded_size() {
        let d = tempfile::tempdir().unwrap();
        let mut copy = Vec::new();
        for i in 0..10 {
            let p = d.path().join(format!("f{i}"));
            fs::write(&p, vec![b'x'; 4096]).unwrap();
            copy.push((p, format!("/x/f{i}")));
        }
        let entries: Vec<(&PathBuf, &String)> = copy.iter().map(|(a, b)| (a, b)).collect();
        let (mut at, mut parts, mut files) = (0, 0, 0);
        while at < entries.len() {
            let (tar, n, used) = archive(&entries[at..], &|_| true, 3 * 4608).unwrap();
            assert!(tar.len() <= 4 * 4608 + 1024, "{}", tar.len());
            at += used;
            parts += 1;
            files += n;
        }
        assert_eq!(files, 10);
        assert!(parts >= 3, "{parts}");
    }
}
