//! Command-line interface: clap definitions, dispatch, and mapping errors to exit codes.
//!
//! Owns argument parsing, docker compose's global flags and `COMPOSE_*` variables, and rendering.
//! The only place (with main.rs) that uses `anyhow`.

pub mod args;
mod config;
pub mod context;
pub mod list;
pub mod logs;
pub mod progress;
pub mod read;
pub mod render;
pub mod runtime;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::loader::{ConfigSource, LoadError, LoadOptions};

/// Exit codes, as docker compose uses them.
pub mod exit {
    pub const OK: i32 = 0;
    pub const FAILURE: i32 = 1;
    pub const USAGE: i32 = 2;
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
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse, resolve and render the compose file in canonical format.
    Config(config::ConfigArgs),
    /// Create and start containers.
    Up(args::UpArgs),
    /// Stop and remove containers, networks (and volumes with -v, images with --rmi).
    Down(args::DownArgs),
    /// Create containers for a service.
    Create(args::CreateArgs),
    /// Start services.
    Start(args::ServicesArgs),
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
    /// Show the rcompose version.
    Version,
}

impl GlobalArgs {
    /// Loader options from the global flags; `services` are those named on the command line.
    pub fn load_options(&self, services: &[String]) -> Result<LoadOptions, LoadError> {
        let mut files = Vec::new();
        for f in &self.file {
            if f.as_os_str() == "-" {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).map_err(|e| {
                    LoadError::new(
                        crate::loader::ErrorKind::Io,
                        format!("cannot read the compose file from standard input: {e}"),
                    )
                })?;
                files.push(ConfigSource::Stdin(text));
            } else {
                files.push(ConfigSource::Path(f.clone()));
            }
        }
        Ok(LoadOptions {
            files,
            project_directory: self.project_directory.clone(),
            project_name: self.project_name.clone(),
            env_files: self.env_file.clone(),
            profiles: self.profile.clone(),
            services: services.to_vec(),
            ..Default::default()
        })
    }
}

/// Runs the CLI with the process arguments and returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
            let _ = e.print();
            return code;
        }
    };
    run(cli)
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Config(args) => config::run(&cli.global, args),
        Command::Version => {
            println!("rcompose version {}", env!("CARGO_PKG_VERSION"));
            Ok(exit::OK)
        }
        other => runtime::dispatch(&cli.global, &cli.runtime, other),
    };
    match result {
        Ok(code) => code,
        Err(e) => runtime::exit_code(&e).unwrap_or_else(|| report(&e)),
    }
}

/// Prints an error and returns its exit code: 2 for a bad compose file or bad usage, else 1.
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
