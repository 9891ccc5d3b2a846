//! Lexical path cleaning and joining: the ONE implementation of Go's `filepath.Clean` (host
//! paths, [`clean`], [`resolve`]) and `path.Clean` (Unix container paths, [`clean_unix`]).
//!
//! Purely lexical: never touches the file system (symlinks are not followed) and reads no
//! environment. Used by the loader (relative host paths, `~`, mount targets) and by the
//! application layer (host paths of a service, build contexts). Imports only `std`.

use std::path::{Component, Path, PathBuf};

/// Go's `filepath.Clean`: drops `.`, resolves `..` against the preceding name (a `..` right
/// after the root or a prefix is dropped; leading `..`s of a relative path stay), and removes
/// trailing separators. An empty result is `.`.
pub fn clean(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// `p` made absolute against `base` and cleaned: an absolute `p` stays itself (cleaned), a
/// relative one is joined onto `base` first (compose-go's `if !filepath.IsAbs(p) { p =
/// filepath.Join(base, p) }`).
pub fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        clean(p)
    } else {
        clean(&base.join(p))
    }
}

/// Go's `filepath.Rel`, lexically: the path that leads from `base` to `target` (both cleaned
/// first; `.` when they are the same). `None` when one is absolute and the other not.
pub fn relative(base: &Path, target: &Path) -> Option<PathBuf> {
    let (base, target) = (clean(base), clean(target));
    if base.is_absolute() != target.is_absolute() {
        return None;
    }
    let b: Vec<Component> = base
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    let t: Vec<Component> = target
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    if b[common..].contains(&Component::ParentDir) {
        return None;
    }
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c);
    }
    Some(if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    })
}

/// Go's `path.Clean` for a Unix (container) path, whatever the host: `/`-separated, `.` dropped,
/// `..` resolved (dropped at the root, kept at the start of a relative path), no trailing `/`;
/// an empty result is `.` (and so is an empty input).
pub fn clean_unix(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|l| *l != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            x => out.push(x),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_is_gos_filepath_rel() {
        let rel = |a: &str, b: &str| {
            relative(Path::new(a), Path::new(b)).map(|p| p.display().to_string())
        };
        assert_eq!(rel("/a/b", "/a/b/c"), Some("c".into()));
        assert_eq!(rel("/a/b", "/a/b"), Some(".".into()));
        assert_eq!(rel("/a/b", "/a/x/y"), Some("../x/y".into()));
        assert_eq!(rel("/a", "b"), None);
    }

    fn r(base: &str, p: &str) -> String {
        resolve(Path::new(base), Path::new(p))
            .to_string_lossy()
            .into_owned()
    }

    fn c(p: &str) -> String {
        clean(Path::new(p)).to_string_lossy().into_owned()
    }

    #[test]
    fn resolve_folds_dot_segments() {
        assert_eq!(r("/a/b", "./c/../d"), "/a/b/d");
        assert_eq!(r("/a/b", "."), "/a/b");
        assert_eq!(r("/a/b", "../x"), "/a/x");
        assert_eq!(r("/a/b", "../c/./d"), "/a/c/d");
        assert_eq!(r("/a", "/abs/p"), "/abs/p");
        assert_eq!(r("/a", "/abs/../p/"), "/p");
    }

    #[test]
    fn clean_is_go_filepath_clean() {
        assert_eq!(c(""), ".");
        assert_eq!(c("."), ".");
        assert_eq!(c("./"), ".");
        assert_eq!(c("/"), "/");
        assert_eq!(c("/.."), "/");
        assert_eq!(c("/../a"), "/a");
        assert_eq!(c("a/.."), ".");
        assert_eq!(c("../../a"), "../../a");
        assert_eq!(c("a/../../b"), "../b");
        assert_eq!(c("/a//b/./c/"), "/a/b/c");
    }

    #[test]
    fn clean_unix_mount_targets() {
        assert_eq!(clean_unix("/data/"), "/data");
        assert_eq!(clean_unix("/a/./b/../c"), "/a/c");
        assert_eq!(clean_unix("rel/x/"), "rel/x");
    }

    #[test]
    fn clean_unix_is_go_path_clean() {
        assert_eq!(clean_unix(""), ".");
        assert_eq!(clean_unix("/"), "/");
        assert_eq!(clean_unix("/.."), "/");
        assert_eq!(clean_unix("./"), ".");
        assert_eq!(clean_unix("../a/.."), "..");
        assert_eq!(clean_unix("a//b"), "a/b");
    }
}
