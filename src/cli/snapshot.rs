//! `export SERVICE` and `commit SERVICE [REPOSITORY[:TAG]]`, with docker compose v5's flags:
//! the tar goes to `-o FILE` (written whole, then renamed into place, mode 0600) or to standard
//! output when that is not a terminal; `commit -p` is `--pause` (as `run -p` is `--publish`).

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::{ArgAction, Args};
use futures::StreamExt;

use super::args::RuntimeGlobals;
use super::context;
use super::progress::{style_for, ProgressReporter};
use super::{exit, GlobalArgs};
use rcompose::app::snapshot;
use rcompose::app::types::engine::{CommitOptions, EngineError};

/// `export`.
#[derive(Debug, Args, Clone, Default)]
pub struct ExportArgs {
    /// Index of the container if the service has multiple replicas (0: the first).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub index: u32,
    /// Write to a file, instead of STDOUT.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The service.
    pub service: String,
}

/// `commit`.
#[derive(Debug, Args, Clone, Default)]
pub struct CommitArgs {
    /// Author (e.g., "John Hannibal Smith <hannibal@a-team.com>").
    #[arg(short = 'a', long, value_name = "AUTHOR")]
    pub author: Option<String>,
    /// Apply Dockerfile instruction to the created image (repeatable).
    #[arg(short = 'c', long = "change", value_name = "INSTRUCTION")]
    pub change: Vec<String>,
    /// Index of the container if the service has multiple replicas (0: the first).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub index: u32,
    /// Commit message.
    #[arg(short = 'm', long, value_name = "MESSAGE")]
    pub message: Option<String>,
    /// Pause container during commit (`-p` after `commit`; `--pause=false` to not).
    #[arg(long, default_value_t = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", action = ArgAction::Set)]
    pub pause: bool,
    /// The service.
    pub service: String,
    /// `REPOSITORY[:TAG]` of the new image (none: untagged).
    pub reference: Option<String>,
}

/// In `rcompose commit ...`, `-p` (`-p=false`) is `--pause`, as in docker compose, where `commit`
/// shadows the global `-p`; before the command it stays the project name.
pub fn rewrite_args(args: Vec<OsString>) -> Vec<OsString> {
    let Some(at) = super::command_index(&args) else {
        return args;
    };
    if args[at].to_str() != Some("commit") {
        return args;
    }
    let mut out: Vec<OsString> = args[..=at].to_vec();
    let mut rest = args[at + 1..].iter();
    for a in rest.by_ref() {
        match a.to_str() {
            Some("--") => {
                out.push(a.clone());
                break;
            }
            Some("-p") => out.push("--pause".into()),
            Some(p) if p.starts_with("-p=") => out.push(format!("--pause={}", &p[3..]).into()),
            _ => out.push(a.clone()),
        }
    }
    out.extend(rest.cloned());
    out
}

/// `--index 0` is docker compose's "the first".
fn index_of(index: u32) -> Option<u32> {
    (index > 0).then_some(index)
}

/// docker's check of an output path: its directory must exist, and it must not be one.
fn check_output(path: &Path) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        bail!(
            "failed to export container: invalid output path: directory {:?} does not exist",
            dir
        );
    }
    if path.is_dir() {
        bail!(
            "failed to export container: invalid output path: {:?} must be a file, not a directory",
            path
        );
    }
    Ok(())
}

/// A temporary name beside `path`.
fn sibling_temp(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.rcompose-{}", std::process::id()))
}

/// A new file readable by its owner only (0600, as docker compose writes exports).
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
}

/// Copies the export stream to `out`.
async fn write_tar(
    out: &mut dyn Write,
    tar: &mut futures::stream::BoxStream<'static, Result<bytes::Bytes, EngineError>>,
    name: &str,
) -> Result<()> {
    while let Some(chunk) = tar.next().await {
        let chunk = chunk.with_context(|| format!("cannot export {name}"))?;
        out.write_all(&chunk)
            .with_context(|| format!("cannot write the export of {name}"))?;
    }
    out.flush()?;
    Ok(())
}

/// `export SERVICE [-o FILE] [--index N]`.
pub async fn export(global: &GlobalArgs, rt: &RuntimeGlobals, args: ExportArgs) -> Result<i32> {
    let project = super::read::project_name(global, std::slice::from_ref(&args.service))?;
    match &args.output {
        None if std::io::stdout().is_terminal() => {
            bail!("output option is required when exporting to terminal")
        }
        Some(p) => check_output(p)?,
        None => {}
    }
    let engine = context::connect().await?;
    let (name, mut tar) = snapshot::export(
        engine.as_ref(),
        &project,
        &args.service,
        index_of(args.index),
    )
    .await
    .map_err(|m| anyhow!(m))?;
    let mut reporter = ProgressReporter::new(style_for(rt.progress, rt.ansi));
    reporter.note(&format!("Container {name}  Exporting"));
    if rt.dry_run {
        reporter.finish();
        return Ok(exit::OK);
    }
    match &args.output {
        None => write_tar(&mut std::io::stdout().lock(), &mut tar, &name).await?,
        Some(p) => {
            // Written beside the destination, then renamed into place: a failed export leaves
            // no half-written file behind (docker's atomic writer does the same).
            let temp = sibling_temp(p);
            let r = async {
                let mut f =
                    open_private(&temp).with_context(|| format!("cannot write {}", p.display()))?;
                write_tar(&mut f, &mut tar, &name).await?;
                f.sync_all()?;
                std::fs::rename(&temp, p).with_context(|| format!("cannot write {}", p.display()))
            }
            .await;
            if r.is_err() {
                let _ = std::fs::remove_file(&temp);
            }
            r?;
        }
    }
    reporter.note(&format!("Container {name}  Exported"));
    reporter.finish();
    Ok(exit::OK)
}

/// `commit SERVICE [REPOSITORY[:TAG]] [-a -m -c -p --index]`.
pub async fn commit(global: &GlobalArgs, rt: &RuntimeGlobals, args: CommitArgs) -> Result<i32> {
    let project = super::read::project_name(global, std::slice::from_ref(&args.service))?;
    let engine = context::connect().await?;
    let mut reporter = ProgressReporter::new(style_for(rt.progress, rt.ansi));
    let index = index_of(args.index);
    if rt.dry_run {
        let c = snapshot::service_container(engine.as_ref(), &project, &args.service, index)
            .await
            .map_err(|m| anyhow!(m))?;
        reporter.note(&format!("Container {}  Committed", c.name()));
        reporter.finish();
        return Ok(exit::OK);
    }
    let options = CommitOptions {
        reference: args.reference.clone().filter(|r| !r.is_empty()),
        comment: args.message.clone(),
        author: args.author.clone(),
        changes: args.change.clone(),
        pause: args.pause,
    };
    let (name, id) = snapshot::commit(engine.as_ref(), &project, &args.service, index, &options)
        .await
        .map_err(|m| anyhow!(m))?;
    reporter.note(&format!("Container {name}  Committed as {id}"));
    reporter.finish();
    Ok(exit::OK)
}

#[cfg(test)]
mod tests {
    use super::rewrite_args;

    fn rewrite(args: &[&str]) -> Vec<String> {
        rewrite_args(args.iter().map(Into::into).collect())
            .into_iter()
            .map(|a| a.into_string().unwrap_or_default())
            .collect()
    }

    #[test]
    fn commit_p_is_pause_and_the_global_p_stays() {
        assert_eq!(
            rewrite(&["rcompose", "-p", "proj", "commit", "-p", "web", "img:1"]),
            ["rcompose", "-p", "proj", "commit", "--pause", "web", "img:1"]
        );
        assert_eq!(
            rewrite(&["rcompose", "commit", "-p=false", "web"]),
            ["rcompose", "commit", "--pause=false", "web"]
        );
        let other = ["rcompose", "-p", "proj", "ps"];
        assert_eq!(rewrite(&other), other);
    }
}
