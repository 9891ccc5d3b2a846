//! rcompose as the docker CLI's `compose` plugin: `docker compose …` runs it.
//!
//! The docker CLI first asks a plugin `docker-cli-plugin-metadata` (it answers a JSON
//! description), then runs it with its own global flags, the word `compose`, and the rest of the
//! command line (`docker --context x compose up -d` runs `docker-compose --context x compose up
//! -d`). [`split`] takes the docker flags off (they choose the engine: `--context`, `-H`,
//! `--config`, `--tls*`; `--log-level` and `-D` are accepted), and the rest is parsed as rcompose's
//! own command line. `plugin install` links the running binary as
//! `<docker config>/cli-plugins/docker-compose` (`--system`: `/usr/local/lib/docker/cli-plugins`),
//! keeping a plugin already there beside it (only with `--force`) so `plugin uninstall` puts it
//! back.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};

use super::exit;
use rcompose::app::types::engine::ConnectOptions;

/// The argument the docker CLI asks a plugin for its description with.
pub const METADATA: &str = "docker-cli-plugin-metadata";

/// The plugin's file name in a `cli-plugins` directory.
const PLUGIN_NAME: &str = "docker-compose";

/// Where `plugin install --system` puts the link (the docker CLI looks there).
const SYSTEM_DIR: &str = "/usr/local/lib/docker/cli-plugins";

/// A plugin that was there before `plugin install --force`, kept beside it.
const BACKUP_SUFFIX: &str = ".before-rcompose";

/// What the docker CLI wants to know about its plugin.
pub fn metadata() -> String {
    serde_json::json!({
        "SchemaVersion": "0.1.0",
        "Vendor": "rcompose",
        "Version": format!("v{}", env!("CARGO_PKG_VERSION")),
        "ShortDescription": "Docker Compose (rcompose)",
        "URL": "https://github.com/rcompose/rcompose",
    })
    .to_string()
}

/// The docker CLI's global flags that came before `compose`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerGlobals {
    pub context: Option<String>,
    pub host: Option<String>,
    pub config: Option<PathBuf>,
    pub tls_verify: bool,
    /// The directory of `--tlscacert` / `--tlscert` / `--tlskey` (docker's TLS files).
    pub cert_dir: Option<PathBuf>,
}

static GLOBALS: OnceLock<DockerGlobals> = OnceLock::new();

/// The docker flags of this run (none outside plugin mode).
pub fn globals() -> DockerGlobals {
    GLOBALS.get().cloned().unwrap_or_default()
}

/// The engine connection: the environment's settings, with the docker CLI's flags of a plugin
/// run on top (`--context` / `-H` win over `DOCKER_CONTEXT` / `DOCKER_HOST`, as in docker).
pub fn connect_options(env: impl Fn(&str) -> Option<String>) -> ConnectOptions {
    let mut o = ConnectOptions::from_env(env);
    let g = globals();
    if let Some(c) = g.config {
        o.config_dir = Some(c);
    }
    if let Some(c) = g.context {
        o.context = Some(c);
        o.host = None;
    }
    if let Some(h) = g.host {
        o.host = Some(h);
    }
    if g.tls_verify {
        o.tls_verify = true;
    }
    if let Some(d) = g.cert_dir {
        o.cert_path = Some(d);
    }
    o
}

/// With the docker CLI's calling convention (docker flags, then `compose`, then the command),
/// returns the docker flags and the command line rcompose parses (`argv[0]` kept); `None` for a
/// plain rcompose command line.
pub fn split(args: &[OsString]) -> Option<(DockerGlobals, Vec<OsString>)> {
    let text = |i: usize| args.get(i).and_then(|a| a.to_str()).unwrap_or_default();
    let mut g = DockerGlobals::default();
    let mut i = 1;
    while i < args.len() {
        let a = text(i);
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a, None),
        };
        let takes_value = matches!(
            flag,
            "-c" | "--context"
                | "-H"
                | "--host"
                | "--config"
                | "-l"
                | "--log-level"
                | "--tlscacert"
                | "--tlscert"
                | "--tlskey"
        );
        if takes_value {
            let value = match inline {
                Some(v) => v,
                None => {
                    i += 1;
                    args.get(i)?.to_str()?.to_string()
                }
            };
            match flag {
                "-c" | "--context" => g.context = Some(value),
                "-H" | "--host" => g.host = Some(value),
                "--config" => g.config = Some(PathBuf::from(value)),
                "--tlscacert" | "--tlscert" | "--tlskey" => {
                    g.cert_dir = Path::new(&value).parent().map(Path::to_path_buf);
                }
                _ => {} // --log-level: rcompose has its own output
            }
            i += 1;
            continue;
        }
        match flag {
            "--tls" | "-D" | "--debug" => {}
            "--tlsverify" => g.tls_verify = inline.as_deref() != Some("false"),
            "compose" => {
                let mut rest = vec![args[0].clone()];
                rest.extend(args[i + 1..].iter().cloned());
                return Some((g, rest));
            }
            _ => return None,
        }
        i += 1;
    }
    None
}

/// Remembers the docker flags of a plugin run (first call wins).
pub fn set_globals(g: DockerGlobals) {
    let _ = GLOBALS.set(g);
}

/// `plugin`.
#[derive(Debug, Args, Clone)]
pub struct PluginArgs {
    #[command(subcommand)]
    pub action: PluginAction,
}

#[derive(Debug, Subcommand, Clone)]
pub enum PluginAction {
    /// Make `docker compose` run rcompose (a link in the docker CLI's plugin directory).
    Install {
        /// Install for every user (/usr/local/lib/docker/cli-plugins) instead of
        /// $DOCKER_CONFIG/cli-plugins (~/.docker/cli-plugins).
        #[arg(long)]
        system: bool,
        /// Replace a docker-compose plugin that is already there (it is kept beside it and
        /// `plugin uninstall` restores it).
        #[arg(long)]
        force: bool,
    },
    /// Undo `plugin install`: remove the link and put back the plugin it replaced.
    Uninstall {
        #[arg(long)]
        system: bool,
    },
}

/// The plugin directory: `--system`'s, else `$DOCKER_CONFIG/cli-plugins`, else
/// `$HOME/.docker/cli-plugins`.
fn plugin_dir(system: bool) -> Result<PathBuf> {
    if system {
        return Ok(PathBuf::from(SYSTEM_DIR));
    }
    let config = std::env::var_os("DOCKER_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker")))
        .context(
            "neither DOCKER_CONFIG nor HOME is set: cannot find the docker CLI's plugin directory",
        )?;
    Ok(config.join("cli-plugins"))
}

/// Whether `path` is a link to `exe` (what `install` makes).
fn links_to(path: &Path, exe: &Path) -> bool {
    std::fs::read_link(path).is_ok_and(|t| {
        t == exe || std::fs::canonicalize(path).ok() == std::fs::canonicalize(exe).ok()
    })
}

/// `plugin install|uninstall`.
pub fn run(args: PluginArgs) -> Result<i32> {
    let exe = std::env::current_exe().context("cannot find the running rcompose binary")?;
    match args.action {
        PluginAction::Install { system, force } => {
            let dir = plugin_dir(system)?;
            install(&dir, &exe, force)?;
            println!(
                "docker compose now runs {} (link {}); `rcompose plugin uninstall{}` undoes it",
                exe.display(),
                dir.join(PLUGIN_NAME).display(),
                if system { " --system" } else { "" }
            );
        }
        PluginAction::Uninstall { system } => {
            let dir = plugin_dir(system)?;
            let restored = uninstall(&dir, &exe)?;
            match restored {
                Some(p) => println!("removed the rcompose link; restored {}", p.display()),
                None => println!(
                    "removed the rcompose link {}",
                    dir.join(PLUGIN_NAME).display()
                ),
            }
        }
    }
    Ok(exit::OK)
}

/// Links `exe` as `dir/docker-compose`; an existing plugin there is an error without `force`,
/// and with it is moved to `docker-compose.before-rcompose`.
pub fn install(dir: &Path, exe: &Path, force: bool) -> Result<()> {
    let target = dir.join(PLUGIN_NAME);
    if links_to(&target, exe) {
        return Ok(());
    }
    if target.symlink_metadata().is_ok() {
        let what = match std::fs::read_link(&target) {
            Ok(t) => format!("a link to {}", t.display()),
            Err(_) => "a file".to_string(),
        };
        if !force {
            bail!(
                "{} already exists ({what}): installing would replace that docker compose plugin; pass --force to replace it (it is kept as {}{BACKUP_SUFFIX} and `rcompose plugin uninstall` puts it back)",
                target.display(),
                target.display()
            );
        }
        let backup = dir.join(format!("{PLUGIN_NAME}{BACKUP_SUFFIX}"));
        if backup.symlink_metadata().is_ok() {
            bail!(
                "{} exists already: an earlier replaced plugin is kept there; move it away first",
                backup.display()
            );
        }
        std::fs::rename(&target, &backup)
            .with_context(|| format!("cannot move {} to {}", target.display(), backup.display()))?;
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the plugin directory {}", dir.display()))?;
    std::os::unix::fs::symlink(exe, &target)
        .with_context(|| format!("cannot create the link {}", target.display()))?;
    Ok(())
}

/// Removes the link `install` made and restores the plugin it replaced (returned).
pub fn uninstall(dir: &Path, exe: &Path) -> Result<Option<PathBuf>> {
    let target = dir.join(PLUGIN_NAME);
    if target.symlink_metadata().is_err() {
        bail!(
            "{} does not exist: rcompose is not installed there",
            target.display()
        );
    }
    if !links_to(&target, exe) {
        bail!(
            "{} is not rcompose's link (it is another docker compose plugin); left as it is",
            target.display()
        );
    }
    std::fs::remove_file(&target).with_context(|| format!("cannot remove {}", target.display()))?;
    let backup = dir.join(format!("{PLUGIN_NAME}{BACKUP_SUFFIX}"));
    if backup.symlink_metadata().is_ok() {
        std::fs::rename(&backup, &target).with_context(|| {
            format!(
                "cannot move {} back to {}",
                backup.display(),
                target.display()
            )
        })?;
        return Ok(Some(target));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn docker_flags_before_compose_are_taken_off() {
        let (g, rest) = split(&os(&[
            "docker-compose",
            "--context",
            "remote",
            "--host=unix:///x.sock",
            "--log-level",
            "warn",
            "--tlsverify",
            "--tlscert",
            "/certs/cert.pem",
            "compose",
            "-f",
            "a.yaml",
            "up",
            "-d",
        ]))
        .expect("plugin convention");
        assert_eq!(g.context.as_deref(), Some("remote"));
        assert_eq!(g.host.as_deref(), Some("unix:///x.sock"));
        assert!(g.tls_verify);
        assert_eq!(g.cert_dir.as_deref(), Some(Path::new("/certs")));
        assert_eq!(rest, os(&["docker-compose", "-f", "a.yaml", "up", "-d"]));
        let (g, rest) = split(&os(&["docker-compose", "compose", "ps"])).expect("plain plugin");
        assert_eq!(g, DockerGlobals::default());
        assert_eq!(rest, os(&["docker-compose", "ps"]));
    }

    #[test]
    fn a_plain_command_line_is_not_a_plugin_call() {
        assert!(split(&os(&["rcompose", "up", "-d"])).is_none());
        assert!(split(&os(&["rcompose", "-p", "x", "ps"])).is_none());
        assert!(split(&os(&["rcompose"])).is_none());
    }

    #[test]
    fn install_keeps_an_existing_plugin_and_uninstall_restores_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let exe = dir.path().join("rcompose-bin");
        std::fs::write(&exe, b"#!/bin/sh\n").expect("exe");
        let plugins = dir.path().join("cli-plugins");
        std::fs::create_dir_all(&plugins).expect("mkdir");
        std::fs::write(plugins.join(PLUGIN_NAME), b"the real one").expect("old plugin");
        let e = install(&plugins, &exe, false).expect_err("refused without --force");
        assert!(e.to_string().contains("--force"), "{e}");
        assert!(e.to_string().contains("already exists (a file)"), "{e}");
        install(&plugins, &exe, true).expect("forced");
        assert!(links_to(&plugins.join(PLUGIN_NAME), &exe));
        install(&plugins, &exe, false).expect("again: already ours");
        let restored = uninstall(&plugins, &exe).expect("uninstall");
        assert_eq!(restored, Some(plugins.join(PLUGIN_NAME)));
        assert_eq!(
            std::fs::read(plugins.join(PLUGIN_NAME)).expect("read"),
            b"the real one"
        );
        let e = uninstall(&plugins, &exe).expect_err("not ours");
        assert!(e.to_string().contains("not rcompose's link"), "{e}");
    }

    #[test]
    fn metadata_is_what_the_docker_cli_reads() {
        let v: serde_json::Value = serde_json::from_str(&metadata()).expect("json");
        assert_eq!(v["SchemaVersion"], "0.1.0");
        assert!(v["Version"].as_str().is_some_and(|s| s.starts_with('v')));
    }
}
