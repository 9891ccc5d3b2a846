//! Finding the compose files and naming the project, as docker compose does.
//!
//! Owns: the default file names, the upward search, `COMPOSE_FILE`/`COMPOSE_PATH_SEPARATOR`, the
//! project directory, and project-name normalisation and validation. Pure apart from `stat` calls.

use std::path::{Path, PathBuf};

use super::error::{ErrorKind, LoadError};

/// Default compose file names, in order of preference.
pub const DEFAULT_FILE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// Default override file names, in order of preference.
pub const DEFAULT_OVERRIDE_NAMES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// The files found by discovery, and warnings about ambiguous choices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    pub files: Vec<PathBuf>,
    pub warnings: Vec<String>,
}

fn existing(dir: &Path, names: &[&str]) -> Vec<PathBuf> {
    names
        .iter()
        .map(|n| dir.join(n))
        .filter(|p| p.is_file())
        .collect()
}

/// Searches `start` and then each parent for a default compose file; takes the override next to it.
pub fn discover(start: &Path) -> Result<Discovered, LoadError> {
    let mut warnings = Vec::new();
    let mut dir = Some(start);
    while let Some(d) = dir {
        let candidates = existing(d, &DEFAULT_FILE_NAMES);
        if let Some(winner) = candidates.first() {
            if candidates.len() > 1 {
                warnings.push(format!(
                    "Found multiple config files with supported names: {}; using {}",
                    join(&candidates),
                    winner.display()
                ));
            }
            let mut files = vec![winner.clone()];
            let overrides = existing(d, &DEFAULT_OVERRIDE_NAMES);
            if let Some(o) = overrides.first() {
                if overrides.len() > 1 {
                    warnings.push(format!(
                        "Found multiple override files with supported names: {}; using {}",
                        join(&overrides),
                        o.display()
                    ));
                }
                files.push(o.clone());
            }
            return Ok(Discovered { files, warnings });
        }
        dir = d.parent();
    }
    Err(LoadError::new(
        ErrorKind::Usage,
        format!(
            "no configuration file provided: not found in {} or any parent directory",
            start.display()
        ),
    )
    .hint("create a compose.yaml, or name one with -f FILE or COMPOSE_FILE"))
}

fn join(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits `COMPOSE_FILE` by `COMPOSE_PATH_SEPARATOR` (default `:`), resolving against `cwd`.
pub fn split_compose_file(value: &str, separator: Option<&str>, cwd: &Path) -> Vec<PathBuf> {
    let sep = separator.filter(|s| !s.is_empty()).unwrap_or(":");
    value
        .split(sep)
        .filter(|s| !s.is_empty())
        .map(|s| absolute(cwd, Path::new(s)))
        .collect()
}

/// `path` made absolute against `base`, with `.` and `..` folded lexically (no symlink
/// resolution): the model's one path cleaner.
pub use crate::model::path::resolve as absolute;

pub use crate::model::names::normalize_project_name;

/// An explicit name (`-p`, `COMPOSE_PROJECT_NAME`) must already be normal
/// ([`crate::model::names::check_project_name`], as a load error).
pub fn check_project_name(name: &str, source: &str) -> Result<(), LoadError> {
    crate::model::names::check_project_name(name, source).map_err(|e| {
        let hint = e.hint();
        let err = LoadError::new(ErrorKind::Usage, e.to_string());
        match hint {
            Some(h) => err.hint(h),
            None => err,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implicit_names_are_normalised_like_docker_compose() {
        assert_eq!(normalize_project_name("My App"), "myapp");
        assert_eq!(normalize_project_name("__x.y-Z"), "xy-z");
        assert_eq!(normalize_project_name("-_-"), "");
        assert_eq!(normalize_project_name("ünïcode1"), "ncode1");
    }

    #[test]
    fn explicit_names_must_already_be_normal() {
        assert!(check_project_name("my_app-1", "-p").is_ok());
        let e = check_project_name("My.App", "-p").unwrap_err();
        assert!(e.to_string().contains("not a valid project name"), "{e}");
        assert!(e.to_string().contains("\"myapp\""), "{e}");
        assert!(check_project_name("", "-p").is_err());
        assert!(check_project_name("_x", "-p").is_err());
    }

    #[test]
    fn compose_file_splits_on_the_separator() {
        let cwd = Path::new("/w");
        assert_eq!(
            split_compose_file("a.yml:sub/b.yml", None, cwd),
            vec![PathBuf::from("/w/a.yml"), PathBuf::from("/w/sub/b.yml")]
        );
        assert_eq!(
            split_compose_file("a.yml;/abs/b.yml", Some(";"), cwd),
            vec![PathBuf::from("/w/a.yml"), PathBuf::from("/abs/b.yml")]
        );
    }

    #[test]
    fn absolute_folds_dots() {
        assert_eq!(
            absolute(Path::new("/a/b"), Path::new("../c/./d")),
            PathBuf::from("/a/c/d")
        );
    }

    #[test]
    fn discovery_searches_upward_and_takes_the_override() {
        let tmp = std::env::temp_dir().join(format!("rcompose-discover-{}", std::process::id()));
        let sub = tmp.join("x/y");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(tmp.join("docker-compose.yml"), "services: {}\n").unwrap();
        std::fs::write(tmp.join("compose.yaml"), "services: {}\n").unwrap();
        std::fs::write(tmp.join("compose.override.yaml"), "services: {}\n").unwrap();
        let d = discover(&sub).unwrap();
        assert_eq!(
            d.files,
            vec![tmp.join("compose.yaml"), tmp.join("compose.override.yaml")]
        );
        assert_eq!(d.warnings.len(), 1);
        std::fs::remove_dir_all(&tmp).unwrap();
    }
}
