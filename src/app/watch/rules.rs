//! `develop.watch` rules, and what one batch of changed paths asks of each service.
//!
//! Pure: no engine, no clock. [`triggers`] checks the rules of the services to watch and prepares
//! their ignore matchers; [`plan_batch`] turns the paths that changed in one batch into
//! [`ChangeAction`]s. A path goes to the first rule (in file order) whose `path` contains it and that does
//! not ignore it, as docker compose does; a service to rebuild is only rebuilt (its new container
//! has the new files anyway), and a service is restarted or its `exec` hook run once per batch.
//!
//! Must not import `exec`'s runner, `cli` or the engine.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::app::context::read_dockerignore;
use crate::model::path::clean;
use crate::model::{Project, ServiceHook, WatchAction};

/// Editor and VCS droppings that never trigger anything (vim's swap files and its `4913` probe,
/// emacs lock and backup files, `~` backups, `.git`).
const DEFAULT_IGNORES: &[&str] = &[
    ".git/",
    "*.swp",
    "*.swx",
    "*.swpx",
    "4913",
    "*~",
    ".#*",
    "#*#",
    ".DS_Store",
];

/// A rule that cannot be watched: the service, the rule's index and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("services.{service}.develop.watch[{index}]: {message}")]
pub struct RuleError {
    pub service: String,
    pub index: usize,
    pub message: String,
}

/// One checked rule.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub service: String,
    pub index: usize,
    pub action: WatchAction,
    /// Absolute host path (file or directory).
    pub path: PathBuf,
    /// Where `path` lands in the container (sync actions).
    pub target: Option<String>,
    pub exec: Option<ServiceHook>,
    /// A path any of these ignores does not trigger (the rule's `ignore` with the defaults; the
    /// build context's `.dockerignore`).
    ignores: Vec<Gitignore>,
    include: Option<Gitignore>,
}

impl Trigger {
    /// Whether `path` (absolute) belongs to this rule.
    pub fn matches(&self, path: &Path) -> bool {
        let Ok(rel) = path.strip_prefix(&self.path) else {
            return false;
        };
        if rel.as_os_str().is_empty() {
            return true;
        }
        let is_dir = path.is_dir();
        if self.ignores.iter().any(|i| {
            path.starts_with(i.path()) && i.matched_path_or_any_parents(path, is_dir).is_ignore()
        }) {
            return false;
        }
        match &self.include {
            Some(inc) => inc.matched_path_or_any_parents(path, is_dir).is_ignore(),
            None => true,
        }
    }

    /// The container path of a host path under this rule's `path`.
    pub fn container_path(&self, host: &Path) -> Option<String> {
        let target = self.target.as_deref()?;
        let rel = host.strip_prefix(&self.path).ok()?;
        let mut out = target.trim_end_matches('/').to_string();
        for c in rel.components() {
            out.push('/');
            out.push_str(&c.as_os_str().to_string_lossy());
        }
        if out.is_empty() {
            out.push('/');
        }
        Some(out)
    }
}

fn matcher(root: &Path, patterns: &[String], defaults: bool) -> Result<Gitignore, String> {
    let mut b = GitignoreBuilder::new(root);
    if defaults {
        for p in DEFAULT_IGNORES {
            b.add_line(None, p).map_err(|e| e.to_string())?;
        }
    }
    for p in patterns {
        b.add_line(None, p)
            .map_err(|e| format!("bad pattern {p:?}: {e}"))?;
    }
    b.build().map_err(|e| e.to_string())
}

/// The checked rules of `services` (every service with rules when empty), in file order.
pub fn triggers(project: &Project, services: &[String]) -> Result<Vec<Trigger>, RuleError> {
    let mut out = Vec::new();
    for (name, svc) in &project.services {
        if !services.is_empty() && !services.contains(name) {
            continue;
        }
        let Some(develop) = &svc.develop else {
            continue;
        };
        for (index, rule) in develop.watch.iter().enumerate() {
            let err = |message: String| RuleError {
                service: name.clone(),
                index,
                message,
            };
            if rule.path.is_empty() {
                return Err(err("`path` is required".into()));
            }
            let path = clean(Path::new(&rule.path));
            if let Some(dir) = project.working_dir.as_deref().map(clean) {
                if !path.starts_with(&dir) {
                    return Err(err(format!(
                        "path {} is outside the project directory {}; watch files of the project only",
                        path.display(),
                        dir.display()
                    )));
                }
            }
            if !path.exists() {
                return Err(err(format!(
                    "path {} does not exist; create it or fix `path`",
                    path.display()
                )));
            }
            let syncs = matches!(
                rule.action,
                WatchAction::Sync | WatchAction::SyncRestart | WatchAction::SyncExec
            );
            let target = rule.target.clone().filter(|t| !t.is_empty());
            if syncs && target.is_none() {
                return Err(err(format!(
                    "action {} needs a `target`: the container path to copy {} to",
                    action_name(rule.action),
                    path.display()
                )));
            }
            if let Some(t) = &target {
                if !t.starts_with('/') {
                    return Err(err(format!(
                        "target {t:?} must be an absolute container path"
                    )));
                }
            }
            if rule.action == WatchAction::SyncExec
                && rule
                    .exec
                    .as_ref()
                    .and_then(|e| e.command.as_ref())
                    .is_none_or(|c| c.is_empty())
            {
                return Err(err(
                    "action sync+exec needs `exec: {command: ...}`, the command to run after a sync"
                        .into(),
                ));
            }
            if rule.action == WatchAction::Rebuild && svc.build.is_none() {
                return Err(err(format!(
                    "action rebuild needs a `build` section on service {name:?}"
                )));
            }
            let root = if path.is_dir() {
                path.clone()
            } else {
                path.parent().map(Path::to_path_buf).unwrap_or_default()
            };
            let mut ignores = vec![matcher(&root, &rule.ignore, true).map_err(err)?];
            // The build context's .dockerignore applies to what lies inside the context.
            if let Some(ctx) = svc.build.as_ref().and_then(|b| b.context.as_deref()) {
                let ctx = Path::new(ctx);
                if path.starts_with(ctx) && ctx.join(".dockerignore").is_file() {
                    ignores.push(read_dockerignore(ctx).map_err(err)?);
                }
            }
            let include = if rule.include.is_empty() {
                None
            } else {
                Some(matcher(&root, &rule.include, false).map_err(err)?)
            };
            out.push(Trigger {
                service: name.clone(),
                index,
                action: rule.action,
                path,
                target,
                exec: rule.exec.clone(),
                ignores,
                include,
            });
        }
    }
    Ok(out)
}

fn action_name(a: WatchAction) -> &'static str {
    match a {
        WatchAction::Sync => "sync",
        WatchAction::Rebuild => "rebuild",
        WatchAction::Restart => "restart",
        WatchAction::SyncRestart => "sync+restart",
        WatchAction::SyncExec => "sync+exec",
    }
}

/// What one service needs after a batch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChangeAction {
    /// Host files or directories to copy, with their container paths (sorted, deduplicated).
    pub copy: BTreeMap<PathBuf, String>,
    /// Container paths whose host side is gone.
    pub delete: Vec<String>,
    pub restart: bool,
    pub rebuild: bool,
    /// `exec` hooks to run after the copy, in rule order.
    pub exec: Vec<ServiceHook>,
}

impl ChangeAction {
    pub fn is_empty(&self) -> bool {
        self.copy.is_empty()
            && self.delete.is_empty()
            && !self.restart
            && !self.rebuild
            && self.exec.is_empty()
    }
}

/// The actions a batch of changed paths (absolute) asks for, by service.
pub fn plan_batch(triggers: &[Trigger], changed: &[PathBuf]) -> BTreeMap<String, ChangeAction> {
    let mut out: BTreeMap<String, ChangeAction> = BTreeMap::new();
    let mut execs: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut services: Vec<&str> = triggers.iter().map(|t| t.service.as_str()).collect();
    services.dedup();
    // Each service's rules on their own: the first of its rules that takes the path applies.
    let firsts = changed.iter().flat_map(|path| {
        services.iter().filter_map(move |svc| {
            triggers
                .iter()
                .find(|t| t.service == *svc && t.matches(path))
                .map(|t| (path, t))
        })
    });
    for (path, t) in firsts {
        let a = out.entry(t.service.clone()).or_default();
        match t.action {
            WatchAction::Rebuild => a.rebuild = true,
            WatchAction::Restart => a.restart = true,
            WatchAction::Sync | WatchAction::SyncRestart | WatchAction::SyncExec => {
                if let Some(to) = t.container_path(path) {
                    if path.exists() {
                        a.copy.insert(path.clone(), to);
                    } else if !a.delete.contains(&to) {
                        a.delete.push(to);
                    }
                }
                if t.action == WatchAction::SyncRestart {
                    a.restart = true;
                }
                if t.action == WatchAction::SyncExec {
                    let seen = execs.entry(t.service.clone()).or_default();
                    if !seen.contains(&t.index) {
                        seen.push(t.index);
                        if let Some(h) = &t.exec {
                            a.exec.push(h.clone());
                        }
                    }
                }
            }
        }
    }
    for a in out.values_mut() {
        // A directory being copied brings what is inside it.
        let dirs: Vec<PathBuf> = a.copy.keys().filter(|p| p.is_dir()).cloned().collect();
        a.copy
            .retain(|p, _| !dirs.iter().any(|d| p != d && p.starts_with(d)));
        if a.rebuild {
            // The new container is built from the new files: nothing to copy or restart.
            *a = ChangeAction {
                rebuild: true,
                ..ChangeAction::default()
            };
        }
        a.delete.sort();
    }
    out.retain(|_, a| !a.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    /// A project whose services' rules are `rules` (YAML), `{dir}` standing for `dir`.
    fn project(dir: &Path, services: &str) -> Project {
        let text = services.replace("{dir}", &dir.display().to_string());
        let v: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        Project::from_value(v).unwrap()
    }

    fn tree() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for f in [
            "site/index.html",
            "site/sub/a.txt",
            "site/notes.tmp",
            "conf/app.conf",
            "src/main.c",
        ] {
            let p = d.path().join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, "x").unwrap();
        }
        fs::write(d.path().join(".dockerignore"), "src/*.c\n").unwrap();
        d
    }

    const RULES: &str = r#"
services:
  web:
    image: x
    develop:
      watch:
        - {action: sync, path: "{dir}/site", target: /www, ignore: ["*.tmp"]}
        - {action: sync+restart, path: "{dir}/conf", target: /etc/app}
  api:
    build: {context: "{dir}"}
    develop:
      watch:
        - {action: rebuild, path: "{dir}/src"}
        - {action: sync+exec, path: "{dir}/site", target: /srv, exec: {command: [reload]}}
"#;

    #[test]
    fn a_batch_asks_each_service_for_what_its_first_matching_rule_says() {
        let d = tree();
        let p = project(d.path(), RULES);
        let t = triggers(&p, &[]).unwrap();
        assert_eq!(t.len(), 4);
        let at = |f: &str| d.path().join(f);
        let plan = plan_batch(
            &t,
            &[
                at("site/index.html"),
                at("site/notes.tmp"),
                at("site/gone.html"),
                at("conf/app.conf"),
            ],
        );
        let web = &plan["web"];
        assert_eq!(
            web.copy
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str()))
                .collect::<Vec<_>>(),
            [
                (at("conf/app.conf"), "/etc/app/app.conf"),
                (at("site/index.html"), "/www/index.html")
            ]
        );
        assert_eq!(web.delete, ["/www/gone.html"]);
        assert!(web.restart && !web.rebuild && web.exec.is_empty());
        // api watches `site` too, with its own rule (which ignores nothing).
        let api = &plan["api"];
        assert_eq!(
            api.copy.values().collect::<Vec<_>>(),
            ["/srv/index.html", "/srv/notes.tmp"]
        );
        assert_eq!(api.delete, ["/srv/gone.html"]);
        assert_eq!(api.exec.len(), 1, "one exec per rule and batch");
    }

    #[test]
    fn rebuild_supersedes_and_dockerignore_applies_inside_the_context() {
        let d = tree();
        let p = project(d.path(), RULES);
        let t = triggers(&p, &["api".to_string()]).unwrap();
        let at = |f: &str| d.path().join(f);
        // src/main.c is in the context's .dockerignore: nothing to do.
        assert!(plan_batch(&t, &[at("src/main.c")]).is_empty());
        // Any number of changed files: one rebuild per batch.
        let many: Vec<PathBuf> = (0..500).map(|i| at(&format!("src/f{i}.h"))).collect();
        let plan = plan_batch(&t, &many);
        assert_eq!(plan.len(), 1);
        assert!(plan["api"].rebuild);
        fs::write(at("src/other.h"), "x").unwrap();
        let plan = plan_batch(&t, &[at("src/other.h"), at("site/index.html")]);
        assert_eq!(
            plan["api"],
            ChangeAction {
                rebuild: true,
                ..ChangeAction::default()
            }
        );
    }

    #[test]
    fn editor_droppings_and_vcs_files_never_trigger() {
        let d = tree();
        let p = project(d.path(), RULES);
        let t = triggers(&p, &["web".to_string()]).unwrap();
        let at = |f: &str| d.path().join(f);
        for f in [
            "site/.index.html.swp",
            "site/index.html~",
            "site/4913",
            "site/.git/HEAD",
            "site/.#x",
        ] {
            assert!(plan_batch(&t, &[at(f)]).is_empty(), "{f}");
        }
    }

    #[test]
    fn a_directory_copy_covers_what_is_inside() {
        let d = tree();
        let p = project(
            d.path(),
            r#"
services:
  web:
    image: x
    develop:
      watch:
        - {action: sync+restart, path: "{dir}/site", target: /www, initial_sync: true}
"#,
        );
        let t = triggers(&p, &[]).unwrap();
        let at = |f: &str| d.path().join(f);
        let plan = plan_batch(&t, &[at("site/sub"), at("site/sub/a.txt")]);
        assert_eq!(
            plan["web"].copy.keys().collect::<Vec<_>>(),
            [&at("site/sub")]
        );
    }

    #[test]
    fn bad_rules_name_the_service_the_rule_and_the_fix() {
        let d = tree();
        for (rule, want) in [
            ("{action: sync, path: \"{dir}/site\"}", "needs a `target`"),
            (
                "{action: sync, path: \"{dir}/nope\", target: /x}",
                "does not exist",
            ),
            (
                "{action: sync, path: \"{dir}/site\", target: rel}",
                "absolute container path",
            ),
            (
                "{action: rebuild, path: \"{dir}/site\"}",
                "needs a `build` section",
            ),
            (
                "{action: sync+exec, path: \"{dir}/site\", target: /x}",
                "exec: {command",
            ),
            (
                "{action: sync, path: \"{dir}/site/../..\", target: /x}",
                "outside the project directory",
            ),
            (
                "{action: restart, path: \"/etc\"}",
                "outside the project directory",
            ),
        ] {
            let yaml = format!(
                "services:\n  web:\n    image: x\n    develop:\n      watch:\n        - {rule}\n"
            );
            let mut p = project(d.path(), &yaml);
            p.working_dir = Some(d.path().to_path_buf());
            let e = triggers(&p, &[]).unwrap_err();
            let text = e.to_string();
            assert!(
                text.starts_with("services.web.develop.watch[0]: "),
                "{text}"
            );
            assert!(text.contains(want), "{rule}: {text}");
        }
    }
}
