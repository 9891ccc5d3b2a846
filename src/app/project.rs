//! Project resolution for every command: ONE project-name rule and ONE function that turns typed
//! options into the loaded project, or (for the commands that work from the engine's labels alone)
//! just the project's name.
//!
//! The name rule: `-p`, else `COMPOSE_PROJECT_NAME`, else the compose file's `name:`, else the
//! directory's base name. An explicit name (`-p`, `COMPOSE_PROJECT_NAME`) must already be valid
//! (lowercase letters, digits, `-` and `_`, starting with a letter or digit) and is rejected with
//! the loader's message otherwise, for every command, as docker compose v5 does; only an implicit
//! name (the directory's) is normalised.
//!
//! Owns: choosing between "load the files" and "the name is enough". Imports `loader` and `model`;
//! must not import `cli`, read the process environment or print (warnings are returned).

use crate::loader::discover::check_project_name;
use crate::loader::{self, ErrorKind, LoadError, LoadOptions, Loaded};
use crate::model::Project;

/// What a command needs to know about its project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The loaded project (`up`, `create`, `config`, `run`...): a compose file must be found.
    Project,
    /// The loaded project when a compose file is found, else (none found, and an explicit name
    /// given) the name alone (`down`, `stop`, `start`, `rm`...).
    ProjectOrName,
    /// The name is enough (`ps`, `logs`, `top`, `cp`...): with `-p`, no `-f` and no service
    /// named, no file is read.
    NameFirst,
}

/// How to find the project: the loader's options (from the global flags) and the process's
/// `COMPOSE_PROJECT_NAME`, which the caller reads.
#[derive(Debug, Clone, Default)]
pub struct ProjectOptions {
    /// Files, project directory, `-p`, env files, profiles, services.
    pub load: LoadOptions,
    /// `COMPOSE_PROJECT_NAME` from the process environment (empty counts as unset).
    pub env_project_name: Option<String>,
}

/// A resolved project: its name, and the project itself when a compose file was read.
#[derive(Debug)]
pub struct Resolved {
    pub name: String,
    pub project: Option<Project>,
    /// The loader's warnings (the caller shows them).
    pub warnings: Vec<String>,
}

/// The project name given without a compose file: `-p`, else a non-empty `COMPOSE_PROJECT_NAME`.
/// An invalid one is an error (the same one for every command); `Ok(None)` when neither is set.
pub fn explicit_project_name(
    flag: Option<&str>,
    env: Option<&str>,
) -> Result<Option<String>, LoadError> {
    if let Some(n) = flag {
        check_project_name(n, "-p")?;
        return Ok(Some(n.to_string()));
    }
    match env.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => {
            check_project_name(n, "COMPOSE_PROJECT_NAME")?;
            Ok(Some(n.to_string()))
        }
        None => Ok(None),
    }
}

/// Loads the project (a compose file must be found).
pub fn load(opts: &ProjectOptions) -> Result<Loaded, LoadError> {
    explicit_project_name(
        opts.load.project_name.as_deref(),
        opts.env_project_name.as_deref(),
    )?;
    loader::load(&opts.load)
}

/// The project as `need` asks for it; see [`Need`].
pub fn resolve(opts: &ProjectOptions, need: Need) -> Result<Resolved, LoadError> {
    let explicit = explicit_project_name(
        opts.load.project_name.as_deref(),
        opts.env_project_name.as_deref(),
    )?;
    let no_files = opts.load.files.is_empty();
    // Services named on the command line are checked against the compose file wherever one is
    // found (one place for "no such service", with its "did you mean"), so the name alone is
    // enough only when none is named.
    if need == Need::NameFirst
        && no_files
        && opts.load.project_name.is_some()
        && opts.load.services.is_empty()
    {
        if let Some(name) = explicit {
            return Ok(name_only(name));
        }
    }
    match loader::load(&opts.load) {
        Ok(l) => Ok(Resolved {
            name: l.project.name.clone(),
            project: Some(l.project),
            warnings: l.warnings.0,
        }),
        Err(e) if need != Need::Project && no_files && no_compose_file(&e) => match explicit {
            Some(name) => Ok(name_only(name)),
            None => Err(e),
        },
        Err(e) => Err(e),
    }
}

fn name_only(name: String) -> Resolved {
    Resolved {
        name,
        project: None,
        warnings: Vec::new(),
    }
}

fn no_compose_file(e: &LoadError) -> bool {
    e.kind == ErrorKind::Usage && e.message.starts_with("no configuration file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_explicit_name_is_rejected_whatever_its_source() {
        for (flag, env) in [(Some("My App"), None), (None, Some("My App"))] {
            let e = explicit_project_name(flag, env).unwrap_err();
            assert!(e.to_string().contains("not a valid project name"), "{e}");
        }
        assert!(explicit_project_name(Some("_x"), None).is_err());
        assert!(explicit_project_name(Some(""), None).is_err());
    }

    #[test]
    fn the_flag_wins_and_an_empty_environment_name_is_unset() {
        assert_eq!(
            explicit_project_name(Some("a"), Some("b")).unwrap(),
            Some("a".to_string())
        );
        assert_eq!(
            explicit_project_name(None, Some("b")).unwrap(),
            Some("b".to_string())
        );
        assert_eq!(explicit_project_name(None, Some(" ")).unwrap(), None);
        assert_eq!(explicit_project_name(None, None).unwrap(), None);
    }

    #[test]
    fn a_name_first_command_reads_no_file_with_an_explicit_name() {
        let opts = ProjectOptions {
            load: LoadOptions {
                project_name: Some("p1".into()),
                project_directory: Some("/nonexistent-rcompose-dir".into()),
                ..Default::default()
            },
            env_project_name: None,
        };
        let r = resolve(&opts, Need::NameFirst).unwrap();
        assert_eq!(r.name, "p1");
        assert!(r.project.is_none());
    }

    #[test]
    fn an_invalid_name_is_rejected_before_any_file_is_read() {
        let opts = ProjectOptions {
            load: LoadOptions {
                project_name: Some("My App".into()),
                project_directory: Some("/nonexistent-rcompose-dir".into()),
                ..Default::default()
            },
            env_project_name: None,
        };
        for need in [Need::Project, Need::ProjectOrName, Need::NameFirst] {
            let e = resolve(&opts, need).unwrap_err();
            assert!(e.to_string().contains("not a valid project name"), "{e}");
        }
    }
}
