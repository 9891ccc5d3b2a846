//! `cp`'s path rules, docker's (`docker cp`, as `docker compose cp` uses them): which side of
//! a copy an argument names ([`split_arg`]), Go's `path` helpers ([`clean`], [`base`], [`dir`]),
//! `SplitPathDirEntry`, the trailing-separator rules, and `PrepareArchiveCopy` ([`place`]: where
//! the archive root lands and under which name) with the root renaming of the archive
//! ([`renamed`]). These are pure: no I/O, no engine. Must not import `cli` or `loader`.
//!
//! Also what reads the engine: the choice of the containers a copy acts on ([`containers`]) and
//! the resolution of a container source ([`container_source`]: `-L`, stat).

use super::query::QueryError;
use crate::engine::{ContainerSummary, Engine, EngineError, LabelFilter, PathKind, PathStat};
use crate::plan::labels;

/// One side of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Local(String),
    Service { service: String, path: String },
}

/// docker compose's reading of a `cp` argument: an absolute path, an argument without `:`, or
/// one whose part before `:` starts with `.` (`./a:b`) is local; else `SERVICE:PATH`.
pub fn split_arg(arg: &str) -> Endpoint {
    if arg.starts_with('/') {
        return Endpoint::Local(arg.to_string());
    }
    match arg.split_once(':') {
        Some((service, path)) if !service.starts_with('.') => Endpoint::Service {
            service: service.to_string(),
            path: path.to_string(),
        },
        _ => Endpoint::Local(arg.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// Path rules (Go's `path` package and docker's archive helpers, on `/`-separated text).
// ---------------------------------------------------------------------------------------------

/// Go's `path.Clean`.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `path.Base`.
pub fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_string();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Go's `path.Dir`.
pub fn dir(p: &str) -> String {
    match p.rfind('/') {
        Some(i) => clean(&p[..=i]),
        None => ".".to_string(),
    }
}

fn specifies_current_dir(p: &str) -> bool {
    base(p) == "."
}

/// Whether `p` says it names a directory (`x/` or `x/.`).
pub fn asserts_directory(p: &str) -> bool {
    p.ends_with('/') || specifies_current_dir(p)
}

/// docker's `SplitPathDirEntry`: `/a/b` and `/a/b/` are (`/a`, `b`); `/a/b/.` is (`/a/b`, `.`).
pub fn split_dir_entry(p: &str) -> (String, String) {
    let mut cleaned = clean(p);
    if specifies_current_dir(p) && cleaned != "." {
        cleaned.push_str("/.");
    }
    (dir(&cleaned), base(&cleaned))
}

/// docker's `PreserveTrailingDotOrSeparator`: `cleaned` keeps the `/.` or `/` that `original`
/// ended with.
pub fn preserve_trailing(cleaned: &str, original: &str) -> String {
    let mut out = cleaned.to_string();
    if !specifies_current_dir(&out) && specifies_current_dir(original) {
        if !out.ends_with('/') {
            out.push('/');
        }
        out.push('.');
    }
    if !out.ends_with('/') && original.ends_with('/') {
        out.push('/');
    }
    out
}

/// docker's `GetRebaseName`: `resolved` with the trailing `/.` or `/` of `path`, and the name the
/// archive's root must take when resolving changed the last component.
pub fn rebase_name(path: &str, resolved: &str) -> (String, Option<String>) {
    let mut r = resolved.to_string();
    if specifies_current_dir(path) && !specifies_current_dir(&r) {
        r.push_str("/.");
    }
    if path.ends_with('/') && !r.ends_with('/') {
        r.push('/');
    }
    let rebase = (base(path) != base(&r)).then(|| base(path));
    (r, rebase)
}

/// A container path as the engine reads it: relative to `/`.
pub fn container_path(p: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    }
}

/// Where an archive is extracted, and the name its root entry must have there (`.` = the
/// root's contents go straight into `dir`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub dir: String,
    pub name: String,
}

/// Why a copy cannot be placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceError {
    /// A directory onto an existing file.
    DirOntoFile,
    /// A file into `x/` where `x` does not exist.
    NoSuchDirectory,
}

/// docker's `PrepareArchiveCopy`. `src_name` is the archive root's name (the source's last
/// component, `.` for `dir/.`); `dst` is `None` when `dst_path` does not exist, else whether it
/// is a directory.
pub fn place(
    src_name: &str,
    src_is_dir: bool,
    dst_path: &str,
    dst: Option<bool>,
) -> Result<Placement, PlaceError> {
    let (dst_dir, dst_base) = split_dir_entry(dst_path);
    match dst {
        // Into the directory, under the source's own name (`.`: its contents).
        Some(true) => Ok(Placement {
            dir: dst_path.to_string(),
            name: src_name.to_string(),
        }),
        Some(false) if src_is_dir => Err(PlaceError::DirOntoFile),
        None if !src_is_dir && asserts_directory(dst_path) => Err(PlaceError::NoSuchDirectory),
        // Replace the file, or create DEST: the root takes DEST's name in DEST's parent.
        _ => Ok(Placement {
            dir: dst_dir,
            name: dst_base,
        }),
    }
}

pub use crate::engine::archive::renamed;

/// The source of a copy out of a container, as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSource {
    /// The absolute path to copy (`/.` for the root; the link's target with `-L`).
    pub path: String,
    pub stat: PathStat,
    /// With `-L` on a symlink: the name the archive root takes (the link's own name).
    pub rebase: Option<String>,
}

/// docker's source resolution for `cp SERVICE:PATH ...`: the path made absolute, a symlink
/// followed when `follow` (`-L`), then its stat.
pub async fn container_source(
    engine: &dyn Engine,
    container: &str,
    path: &str,
    follow: bool,
) -> Result<ContainerSource, EngineError> {
    let mut src = container_path(path);
    if clean(&src) == "/" {
        src = "/.".to_string();
    }
    let mut rebase = None;
    if follow {
        let st = engine.stat_path(container, &src).await?;
        if st.kind == PathKind::Symlink {
            let target = if st.link_target.starts_with('/') {
                st.link_target.clone()
            } else {
                clean(&format!("{}/{}", split_dir_entry(&src).0, st.link_target))
            };
            let (resolved, r) = rebase_name(&src, &target);
            src = resolved;
            rebase = r;
        }
    }
    let stat = engine.stat_path(container, &src).await?;
    Ok(ContainerSource {
        path: src,
        stat,
        rebase,
    })
}

/// Which containers of the service a copy acts on (`--index`, `--all`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Choice {
    /// `--index N` (0: not given).
    pub index: u32,
    /// `--all`: the containers `run` made too.
    pub all: bool,
}

/// Why no container was chosen.
#[derive(Debug, thiserror::Error)]
pub enum ChoiceError {
    #[error(transparent)]
    List(#[from] QueryError),
    #[error("no such service: {service} (project {project} does not define it)")]
    NoSuchService { project: String, service: String },
    #[error(
        "service {service:?} has no container number {index} in project {project}; \
         `rcompose ps -a` lists its containers"
    )]
    NoContainerNumber {
        project: String,
        service: String,
        index: u32,
    },
    #[error(
        "no container found for service {service:?} in project {project}; \
         is it up? (`rcompose up -d {service}` creates it)"
    )]
    NoContainer { project: String, service: String },
}

fn number(c: &ContainerSummary) -> u32 {
    c.labels
        .get(labels::CONTAINER_NUMBER)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn is_oneoff(c: &ContainerSummary) -> bool {
    c.labels
        .get(labels::ONEOFF)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The containers a copy acts on: `--index N`, else every container of the service (one-off
/// ones too with `--all`), sorted by number. `defined`: whether the compose file (when one was
/// read) defines the service.
pub async fn containers(
    engine: &dyn Engine,
    project: &str,
    service: &str,
    defined: Option<bool>,
    choice: Choice,
) -> Result<Vec<ContainerSummary>, ChoiceError> {
    let filter = LabelFilter::project(project).with(labels::SERVICE, service);
    let mut list = engine.list_containers(&filter).await.map_err(|e| {
        QueryError::new(
            format!("cannot list the containers of project {project}"),
            e,
        )
    })?;
    if defined == Some(false) && list.is_empty() {
        return Err(ChoiceError::NoSuchService {
            project: project.to_string(),
            service: service.to_string(),
        });
    }
    if choice.index > 0 {
        list.retain(|c| !is_oneoff(c) && number(c) == choice.index);
        if list.is_empty() {
            return Err(ChoiceError::NoContainerNumber {
                project: project.to_string(),
                service: service.to_string(),
                index: choice.index,
            });
        }
        return Ok(list);
    }
    list.retain(|c| choice.all || !is_oneoff(c));
    list.sort_by_key(|c| (is_oneoff(c), number(c), c.name().to_string()));
    if list.is_empty() {
        return Err(ChoiceError::NoContainer {
            project: project.to_string(),
            service: service.to_string(),
        });
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_split_like_docker_compose() {
        let svc = |s: &str, p: &str| Endpoint::Service {
            service: s.into(),
            path: p.into(),
        };
        assert_eq!(split_arg("web:/tmp/x"), svc("web", "/tmp/x"));
        assert_eq!(split_arg("web:"), svc("web", ""));
        assert_eq!(split_arg("/abs:x"), Endpoint::Local("/abs:x".into()));
        assert_eq!(split_arg("./a:b"), Endpoint::Local("./a:b".into()));
        assert_eq!(split_arg("file.txt"), Endpoint::Local("file.txt".into()));
        assert_eq!(split_arg("-"), Endpoint::Local("-".into()));
    }

    #[test]
    fn go_path_helpers() {
        assert_eq!(clean(""), ".");
        assert_eq!(clean("/a/./b/../c//"), "/a/c");
        assert_eq!(clean("/.."), "/");
        assert_eq!(clean("../x"), "../x");
        assert_eq!(base("/a/b/"), "b");
        assert_eq!(base("/"), "/");
        assert_eq!(base("/a/."), ".");
        assert_eq!(dir("/a/b"), "/a");
        assert_eq!(dir("/a"), "/");
        assert_eq!(dir("a"), ".");
        assert_eq!(split_dir_entry("/a/b"), ("/a".into(), "b".into()));
        assert_eq!(split_dir_entry("/a/b/"), ("/a".into(), "b".into()));
        assert_eq!(split_dir_entry("/a/b/."), ("/a/b".into(), ".".into()));
        assert_eq!(split_dir_entry("/"), ("/".into(), "/".into()));
        assert!(asserts_directory("/x/") && asserts_directory("/x/.") && !asserts_directory("/x"));
        assert_eq!(preserve_trailing("/a/b", "b/"), "/a/b/");
        assert_eq!(preserve_trailing("/a/b", "b/."), "/a/b/.");
        assert_eq!(preserve_trailing("/a/b", "b"), "/a/b");
        assert_eq!(container_path("tmp/x"), "/tmp/x");
    }

    #[test]
    fn rebase_keeps_the_asked_name() {
        assert_eq!(
            rebase_name("/a/link", "/real/target"),
            ("/real/target".into(), Some("link".into()))
        );
        assert_eq!(
            rebase_name("/a/link/.", "/real/dir"),
            ("/real/dir/.".into(), None)
        );
        assert_eq!(rebase_name("/a/same", "/b/same"), ("/b/same".into(), None));
    }

    #[test]
    fn placement_follows_docker_cp() {
        let p = |dir: &str, name: &str| {
            Ok(Placement {
                dir: dir.into(),
                name: name.into(),
            })
        };
        // A directory into an existing directory lands under its own name...
        assert_eq!(place("src", true, "/dst", Some(true)), p("/dst", "src"));
        // ... and `src/.` copies the contents.
        assert_eq!(place(".", true, "/dst", Some(true)), p("/dst", "."));
        // A directory to a new path becomes that path (contents or not).
        assert_eq!(place("src", true, "/new", None), p("/", "new"));
        assert_eq!(place(".", true, "/a/new", None), p("/a", "new"));
        assert_eq!(place("src", true, "/a/new/", None), p("/a", "new"));
        // Never a directory onto a file.
        assert_eq!(
            place("src", true, "/f", Some(false)),
            Err(PlaceError::DirOntoFile)
        );
        // A file into a directory keeps its name, replaces a file, or becomes a new path.
        assert_eq!(place("f.txt", false, "/d", Some(true)), p("/d", "f.txt"));
        assert_eq!(place("f.txt", false, "/d/g", Some(false)), p("/d", "g"));
        assert_eq!(place("f.txt", false, "/d/new", None), p("/d", "new"));
        // A file to `x/` that does not exist is an error.
        assert_eq!(
            place("f.txt", false, "/d/nodir/", None),
            Err(PlaceError::NoSuchDirectory)
        );
    }

    #[test]
    fn renaming_touches_the_root_only() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(renamed(&v(&["src", "a"]), "src", "dst"), v(&["dst", "a"]));
        assert_eq!(renamed(&v(&["src"]), "src", "."), v(&[]));
        assert_eq!(renamed(&v(&["src", "a"]), "src", "."), v(&["a"]));
        assert_eq!(renamed(&v(&["a", "b"]), ".", "dst"), v(&["dst", "a", "b"]));
        assert_eq!(renamed(&v(&[]), ".", "dst"), v(&["dst"]));
        assert_eq!(renamed(&v(&["other"]), "src", "dst"), v(&["other"]));
    }
}
