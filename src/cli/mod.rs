//! Command-line interface: clap definitions, dispatch, and mapping errors to exit codes.
//!
//! Owns argument parsing, docker compose's global flags and `COMPOSE_*` variables, and rendering.
//! The only place (with main.rs) that uses `anyhow`.

pub mod args;
pub mod attach;
mod completion;
mod config;
pub mod context;
mod convert;
pub mod cp;
pub mod images;
pub mod inspect;
pub mod list;
pub mod logs;
mod logtime;
pub mod oneoff;
pub mod plugin;
pub mod progress;
mod publish;
pub mod read;
pub mod render;
pub mod runtime;
pub mod snapshot;
mod stack;
pub mod stacktest;
pub mod stats;
pub mod template;
pub mod tty;
mod upwatch;
pub mod volumes;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use rcompose::app::types::load::{ConfigSource, ErrorKind, LoadError, LoadOptions};

/// Exit codes, as docker compose uses them.
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILURE: i32 = 1;
    /// Bad usage or a bad compose file: 1, as docker compose v5 exits for every failure (scripts
    /// written for it test `$? -eq 1`); kept apart from `FAILURE` so the cause stays readable.
    pub const USAGE: i32 = 1;
    pub const INTERRUPTED: i32 = 130;
}

#[derive(Debug, Parser)]
#[command(
    name = "rcompose",
    version,
    about = "Define and run multi-container applications (a fast docker compose drop-in)"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub runtime: args::RuntimeGlobals,
    #[command(flatten)]
    pub legacy: args::LegacyGlobals,
    #[command(subcommand)]
    pub command: Command,
}

/// docker compose's global options.
#[derive(Debug, Args, Clone, Default)]
pub struct GlobalArgs {
    /// Compose configuration files (`-` for standard input). Before the command, as in
    /// docker compose: after it, `-f` is `logs -f` (follow).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Vec<PathBuf>,
    /// Project name.
    #[arg(short = 'p', long = "project-name", global = true, value_name = "NAME")]
    pub project_name: Option<String>,
    /// Alternate working directory (default: the directory of the first compose file).
    #[arg(long, global = true, value_name = "DIR")]
    pub project_directory: Option<PathBuf>,
    /// Alternate environment files (repeatable).
    #[arg(long = "env-file", global = true, value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Profiles to enable (repeatable).
    #[arg(long = "profile", global = true, value_name = "PROFILE")]
    pub profile: Vec<String>,
    /// Include all resources, even those not used by services.
    #[arg(long, global = true)]
    pub all_resources: bool,
    /// Use insecure registry to pull Compose OCI artifacts (`-f oci://...`). Doesn't apply to
    /// images. Loopback registries are always reached over plain HTTP.
    #[arg(long = "insecure-registry", value_name = "HOST", hide = true)]
    pub insecure_registry: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, resolve and render the compose file in canonical format.
    Config(config::ConfigArgs),
    /// Convert the project for another orchestrator: `--to kubernetes` writes Kubernetes
    /// manifests (and names every key it cannot translate).
    Convert(convert::ConvertArgs),
    /// Manage Docker Swarm stacks (`deploy -c FILE NAME`, `ls`, `ps`, `services`, `rm`).
    Stack(stack::StackArgs),
    /// Create and start containers.
    Up(args::UpArgs),
    /// Stop and remove containers, networks (and volumes with -v, images with --rmi).
    Down(args::DownArgs),
    /// Create containers for a service.
    Create(args::CreateArgs),
    /// Start services.
    Start(args::StartArgs),
    /// Stop services.
    Stop(args::StopArgs),
    /// Restart service containers.
    Restart(args::RestartArgs),
    /// Force stop service containers.
    Kill(args::KillArgs),
    /// Remove stopped service containers.
    Rm(args::RmArgs),
    /// Pause services.
    Pause(args::ServicesArgs),
    /// Unpause services.
    Unpause(args::ServicesArgs),
    /// List containers.
    Ps(args::PsArgs),
    /// List running compose projects.
    Ls(args::LsArgs),
    /// Print the public port for a port binding.
    Port(args::PortArgs),
    /// View output from containers.
    Logs(args::LogsArgs),
    /// Watch the build contexts and files of services (`develop.watch`) and sync, restart or
    /// rebuild them when files change.
    Watch(args::WatchArgs),
    /// Show the rcompose version information.
    Version(VersionArgs),
    /// Install rcompose as the docker CLI's compose plugin (`docker compose` runs it), or undo it.
    Plugin(plugin::PluginArgs),
    /// Print the shell completion script (`source <(rcompose completion bash)`).
    Completion(completion::CompletionArgs),
    /// Print the man page (roff): `rcompose man | man -l -`.
    Man,
    /// Display the running processes.
    Top(inspect::TopArgs),
    /// Receive real time events from containers.
    Events(inspect::EventsArgs),
    /// Copy files/folders between a service container and the local filesystem.
    #[command(
        override_usage = "rcompose cp [OPTIONS] SERVICE:SRC_PATH DEST_PATH|-\n       rcompose cp [OPTIONS] SRC_PATH|- SERVICE:DEST_PATH"
    )]
    Cp(cp::CpArgs),
    /// Block until the containers of the given services stop.
    Wait(inspect::WaitArgs),
    /// Execute a command in a running container of a service.
    Exec(oneoff::ExecArgs),
    /// Run a one-off command on a service (in a new container).
    Run(oneoff::RunArgs),
    /// Build or rebuild services.
    Build(args::BuildArgs),
    /// Pull service images.
    Pull(args::PullArgs),
    /// Push service images.
    Push(args::PushArgs),
    /// Publish compose application (the compose files as an OCI artifact).
    #[command(override_usage = "rcompose publish [OPTIONS] REPOSITORY[:TAG]")]
    Publish(publish::PublishArgs),
    /// List images used by the created containers.
    Images(args::ImagesArgs),
    /// Bring the project up under a unique name, run a command with its endpoints in the
    /// environment (`<SERVICE>_<PORT>=host:port`), then remove it; exits with the command's status.
    Test(stacktest::TestArgs),
    /// Print the published endpoints of a running project.
    Endpoints(stacktest::EndpointsArgs),
    /// Remove the stacks of test runs whose owner process is gone or whose lease ran out.
    Reap(stacktest::ReapArgs),
    /// List volumes.
    Volumes(args::VolumesArgs),
    /// Scale services.
    Scale(args::ScaleArgs),
    /// Export a service container's filesystem as a tar archive.
    Export(snapshot::ExportArgs),
    /// Create a new image from a service container's changes.
    #[command(override_usage = "rcompose commit [OPTIONS] SERVICE [REPOSITORY[:TAG]]")]
    Commit(snapshot::CommitArgs),
    /// Display a live stream of container(s) resource usage statistics.
    Stats(stats::StatsArgs),
    /// Attach local standard input, output, and error streams to a service's running container.
    Attach(attach::AttachArgs),
}

impl GlobalArgs {
    /// Loader options from the global flags; `services` are those named on the command line.
    pub fn load_options(&self, services: &[String]) -> Result<LoadOptions, LoadError> {
        let mut files = Vec::new();
        let mut remote_files = Vec::new();
        for f in &self.file {
            if f.as_os_str() == "-" {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
                    LoadError::new(
                        ErrorKind::Io,
                        format!("cannot read the compose file from standard input: {e}"),
                    )
                })?;
                files.push(ConfigSource::Stdin(text));
            } else if let Some(remote) = f.to_str().filter(|t| publish::is_remote(t)) {
                let local = publish::fetch(remote, &self.insecure_registry)?;
                remote_files.push(local.clone());
                files.push(ConfigSource::Path(local));
            } else {
                files.push(ConfigSource::Path(f.clone()));
            }
        }
        // A published application's project directory is the current one, as in docker compose.
        let first_remote = self
            .file
            .first()
            .and_then(|f| f.to_str())
            .is_some_and(publish::is_remote);
        let project_directory = match &self.project_directory {
            None if first_remote => std::env::current_dir().ok(),
            d => d.clone(),
        };
        Ok(LoadOptions {
            files,
            project_directory,
            all_resources: self.all_resources,
            remote_files,
            project_name: self.project_name.clone(),
            env_files: self.env_file.clone(),
            profiles: self.profile.clone(),
            services: services.to_vec(),
            environment: shell_environment(),
            ..Default::default()
        })
    }
}

/// The shell environment the loader interpolates with: the process's, plus `PWD` (the current
/// directory) when the shell did not export it, as docker compose v5 has it.
fn shell_environment() -> indexmap::IndexMap<String, String> {
    let mut env: indexmap::IndexMap<String, String> = std::env::vars().collect();
    if !env.contains_key("PWD") {
        if let Ok(dir) = std::env::current_dir() {
            env.insert("PWD".to_string(), dir.to_string_lossy().into_owned());
        }
    }
    env
}

/// Runs the CLI with the process arguments and returns the exit code.
pub fn main() -> i32 {
    completion::complete_if_asked();
    let mut raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The docker CLI asks its plugins for a description first, then runs them with its own flags
    // and the word `compose` in front of the command line.
    if raw.get(1).and_then(|a| a.to_str()) == Some(plugin::METADATA) {
        println!("{}", plugin::metadata());
        return exit::OK;
    }
    if let Some((docker, mut rest)) = plugin::split(&raw) {
        plugin::set_globals(docker);
        // Help and errors then say `docker compose ...`, as the user typed it.
        rest[0] = "docker compose".into();
        raw = rest;
    }
    let raw_copy = raw.clone();
    let args = snapshot::rewrite_args(oneoff::rewrite_args(hoist_file_flags(raw)));
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if !e.use_stderr() {
                exit::OK
            } else if e.get(clap::error::ContextKind::InvalidSubcommand).is_none()
                && command_word(&raw_copy) == Some("test")
            {
                // `rcompose test` is for test runners: its usage errors exit 2, as theirs do.
                stacktest::TEST_USAGE
            } else {
                exit::USAGE
            };
            let _ = e.print();
            return code;
        }
    };
    run(cli)
}

/// The command word of a command line, if any.
fn command_word(args: &[std::ffi::OsString]) -> Option<&str> {
    command_index(args).and_then(|i| args[i].to_str())
}

/// The global flags that take a value (`-f FILE`), as they can stand before the command.
pub(crate) const GLOBAL_WITH_VALUE: [&str; 12] = [
    "--insecure-registry",
    "-f",
    "--file",
    "-p",
    "--project-name",
    "--project-directory",
    "--env-file",
    "--profile",
    "--parallel",
    "--progress",
    "--ansi",
    "--workdir",
];

/// Where the command (`up`, `run`...) stands in `args` (`args[0]` is the program): the first
/// word that is neither a global flag nor a global flag's value; `None` before `--` or without one.
pub(crate) fn command_index(args: &[std::ffi::OsString]) -> Option<usize> {
    let mut i = 1;
    while i < args.len() {
        let a = args[i].to_str().unwrap_or_default();
        if a == "--" {
            return None;
        }
        if GLOBAL_WITH_VALUE.contains(&a) {
            i += 2;
            continue;
        }
        if !a.starts_with('-') {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// docker compose accepts `-f FILE` after the command too (`docker compose config -f a.yaml`),
/// except where the command gives `-f` its own meaning (`logs -f` follows, `rm -f` forces). clap
/// cannot express that, so such `-f`s are moved in front of the command before parsing.
pub fn hoist_file_flags(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let text = |a: &std::ffi::OsString| a.to_str().map(str::to_string).unwrap_or_default();
    let Some(at) = command_index(&args) else {
        return args;
    };
    // `exec`/`run`: what follows the service is the command to run, `-f` included;
    // `version -f` is its `--format`.
    if matches!(
        text(&args[at]).as_str(),
        "logs" | "rm" | "exec" | "run" | "version"
    ) {
        return args;
    }
    let mut moved = Vec::new();
    let mut rest = Vec::new();
    let mut j = at + 1;
    while j < args.len() {
        let a = text(&args[j]);
        if a == "--" {
            rest.extend(args[j..].iter().cloned());
            break;
        }
        if (a == "-f" || a == "--file") && j + 1 < args.len() {
            moved.push(args[j].clone());
            moved.push(args[j + 1].clone());
            j += 2;
            continue;
        }
        if a.starts_with("--file=") || (a.starts_with("-f") && a.len() > 2 && !a.starts_with("--"))
        {
            moved.push(args[j].clone());
        } else {
            rest.push(args[j].clone());
        }
        j += 1;
    }
    let mut out: Vec<std::ffi::OsString> = args[..at].to_vec();
    out.extend(moved);
    out.push(args[at].clone());
    out.extend(rest);
    out
}

/// `version`, with docker compose v5's options.
#[derive(Debug, Args, Clone, Default)]
pub struct VersionArgs {
    /// Format the output. Values: [pretty | json].
    #[arg(short = 'f', long, value_enum, default_value_t = VersionFormat::Pretty)]
    pub format: VersionFormat,
    /// Shows only the version number.
    #[arg(long)]
    pub short: bool,
}

/// `--format` of `version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum VersionFormat {
    #[default]
    Pretty,
    Json,
}

/// What `version` prints, shaped as docker compose v5's (`Docker Compose version v5.6.1`,
/// `5.6.1` with `--short`, `{"version":"v5.6.1"}` with `--format json`) with rcompose's own
/// name and number.
pub fn version_text(args: &VersionArgs, version: &str) -> String {
    if args.short {
        return format!("{version}\n");
    }
    match args.format {
        VersionFormat::Pretty => format!("rcompose version v{version}\n"),
        VersionFormat::Json => format!(
            "{}\n",
            serde_json::json!({ "version": format!("v{version}") })
        ),
    }
}

/// Runs a parsed command line.
pub fn run(mut cli: Cli) -> i32 {
    for w in cli.legacy.apply(&mut cli.global, &mut cli.runtime) {
        eprintln!("WARN: {w}");
    }
    rcompose::app::lock::configure(rcompose::app::lock::LockSettings::from_env(|k| {
        std::env::var(k).ok()
    }));
    if !matches!(
        cli.command,
        Command::Version(_) | Command::Plugin(_) | Command::Completion(_) | Command::Man
    ) {
        if let Err(e) = context::check_explicit_project_name(&cli.global) {
            return report(&e.into());
        }
    }
    let result = match cli.command {
        Command::Config(args) => config::run(&cli.global, args),
        Command::Publish(args) => publish::run(&cli.global, &cli.runtime, args),
        Command::Convert(args) => convert::run(&cli.global, args),
        Command::Stack(args) => stack::run(&cli.global, args),
        Command::Plugin(args) => plugin::run(args),
        Command::Completion(args) => completion::run(args),
        Command::Man => completion::man(),
        Command::Version(args) => {
            print!("{}", version_text(&args, env!("CARGO_PKG_VERSION")));
            Ok(exit::OK)
        }
        other => runtime::dispatch(&cli.global, &cli.runtime, other),
    };
    match result {
        Ok(code) => code,
        Err(e) => runtime::exit_code(&e).unwrap_or_else(|| report(&e)),
    }
}

/// Prints an error and returns its exit code ([`exit::USAGE`] for a bad compose file or bad
/// usage, else [`exit::FAILURE`]; both 1, as in docker compose v5).
pub fn report(e: &anyhow::Error) -> i32 {
    eprintln!("error: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        eprintln!("  caused by: {s}");
        source = s.source();
    }
    if e.downcast_ref::<LoadError>().is_some() {
        exit::USAGE
    } else {
        exit::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::hoist_file_flags;

    fn hoist(args: &[&str]) -> Vec<String> {
        hoist_file_flags(args.iter().map(Into::into).collect())
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn file_flags_after_the_command_move_in_front_of_it() {
        assert_eq!(
            hoist(&[
                "rcompose",
                "config",
                "-f",
                "a.yaml",
                "--services",
                "-f",
                "b.yaml"
            ]),
            [
                "rcompose",
                "-f",
                "a.yaml",
                "-f",
                "b.yaml",
                "config",
                "--services"
            ]
        );
        // `version -f` is `--format`, as in docker compose.
        assert_eq!(
            hoist(&["rcompose", "version", "-f", "json"]),
            ["rcompose", "version", "-f", "json"]
        );
        assert_eq!(
            hoist(&["rcompose", "-p", "x", "up", "--file=c.yaml", "-d"]),
            ["rcompose", "-p", "x", "--file=c.yaml", "up", "-d"]
        );
    }

    #[test]
    fn logs_and_rm_keep_their_own_f() {
        let logs = ["rcompose", "-f", "a.yaml", "logs", "-f", "web"];
        assert_eq!(hoist(&logs), logs);
        let rm = ["rcompose", "rm", "-f"];
        assert_eq!(hoist(&rm), rm);
    }

    #[test]
    fn arguments_after_a_double_dash_are_left_alone() {
        let a = ["rcompose", "config", "--", "-f", "x"];
        assert_eq!(hoist(&a), a);
    }
}

#[cfg(test)]
mod args_tests;
#[cfg(test)]
mod render_tests;
