//! Shell completion and the man page. Completion is clap_complete's dynamic kind: the shell
//! script `completion SHELL` prints calls rcompose back (`COMPLETE=<shell> rcompose -- words...`)
//! and [`complete_if_asked`] answers, so commands, flags, service names and profile names come
//! from the binary itself and the compose file in the current directory. `man` prints the
//! roff page (clap_mangen).

use std::io::Write;

use anyhow::{anyhow, Result};
use clap::{Args, CommandFactory, ValueEnum};
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::{CompleteEnv, Shells};

use super::{exit, Cli};
use rcompose::app::project::{self, ProjectOptions};
use rcompose::app::types::load::LoadOptions;

/// The environment variable that asks rcompose for completions.
const VAR: &str = "COMPLETE";

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

/// `completion SHELL`.
#[derive(Debug, Args, Clone)]
pub struct CompletionArgs {
    /// The shell to print the completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The ids of the arguments that take service names.
const SERVICE_ARGS: [&str; 3] = ["services", "service", "service_names"];

/// The command line as clap sees it, with service and profile names completed from the compose
/// file in the current directory.
pub fn command() -> clap::Command {
    with_candidates(Cli::command())
}

fn with_candidates(mut cmd: clap::Command) -> clap::Command {
    // `mut_arg` moves the argument to the end: positionals get their places pinned first.
    let positionals: Vec<String> = cmd
        .get_positionals()
        .map(|a| a.get_id().to_string())
        .collect();
    for (i, id) in positionals.iter().enumerate() {
        cmd = cmd.mut_arg(id, |a| a.index(i + 1));
    }
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        if SERVICE_ARGS.contains(&id.as_str()) {
            cmd = cmd.mut_arg(id, |a| a.add(ArgValueCandidates::new(service_names)));
        } else if id == "profile" {
            cmd = cmd.mut_arg(id, |a| a.add(ArgValueCandidates::new(profile_names)));
        }
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subs {
        cmd = cmd.mut_subcommand(name, with_candidates);
    }
    cmd
}

/// The project in the current directory with every profile on (completion offers all names).
fn project_here() -> Option<rcompose::model::Project> {
    let opts = ProjectOptions {
        load: LoadOptions {
            profiles: vec!["*".into()],
            environment: std::env::vars().collect(),
            ..Default::default()
        },
        env_project_name: None,
    };
    project::load(&opts).ok().map(|l| l.project)
}

fn service_names() -> Vec<CompletionCandidate> {
    project_here()
        .map(|p| {
            p.services
                .keys()
                .map(|s| CompletionCandidate::new(s.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn profile_names() -> Vec<CompletionCandidate> {
    let Some(p) = project_here() else {
        return Vec::new();
    };
    let mut all: Vec<String> = p
        .services
        .values()
        .flat_map(|s| s.profiles.iter().cloned())
        .collect();
    all.sort();
    all.dedup();
    all.into_iter().map(CompletionCandidate::new).collect()
}

/// Answers a completion request from a shell script (`COMPLETE` set) and exits; otherwise
/// returns.
pub fn complete_if_asked() {
    CompleteEnv::with_factory(command).var(VAR).complete();
}

/// `completion SHELL`: the script to source (`source <(rcompose completion bash)`).
pub fn run(args: CompletionArgs) -> Result<i32> {
    let name = match args.shell {
        Shell::Bash => "bash",
        Shell::Zsh => "zsh",
        Shell::Fish => "fish",
        Shell::Powershell => "powershell",
        Shell::Elvish => "elvish",
    };
    let shells = Shells::builtins();
    let shell = shells
        .completer(name)
        .ok_or_else(|| anyhow!("no completion for {name}"))?;
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "rcompose".into());
    let mut out = std::io::stdout().lock();
    shell.write_registration(VAR, "rcompose", "rcompose", &exe, &mut out)?;
    out.flush()?;
    Ok(exit::OK)
}

/// `man`: the roff man page of rcompose(1).
pub fn man() -> Result<i32> {
    let mut out = std::io::stdout().lock();
    match clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .and_then(|()| out.flush())
    {
        // `rcompose man | head`: a reader that stops early is not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(exit::OK),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_completing_command_line_passes_clap_s_own_checks() {
        super::command().debug_assert();
    }
}
