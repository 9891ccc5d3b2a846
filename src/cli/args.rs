//! Clap definitions of the runtime commands (`up`, `down`, `ps`...) and of the runtime global
//! flags (`--parallel`, `--progress`, `--ansi`, `--dry-run`), spelled as docker compose spells them.
//!
//! Pure data: no I/O here. Conversion into the planner's `Intent` lives next to each struct so
//! that it is unit-testable. Must not import `engine` or `exec` internals.

use clap::{Args, ValueEnum};
use indexmap::IndexMap;

use rcompose::app::types::plan::{BuildPolicy, DownOptions, PullPolicy, RemoveImages, UpOptions};

/// `--progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ProgressMode {
    /// A TTY gets live progress, anything else plain lines.
    #[default]
    Auto,
    Tty,
    Plain,
    Json,
    Quiet,
}

/// `--ansi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum AnsiMode {
    Never,
    Always,
    #[default]
    Auto,
}

/// Global flags docker compose v5 still accepts though they are deprecated or hidden: accepted
/// here with v5's warning (see [`LegacyGlobals::apply`]) instead of a usage error.
#[derive(Debug, Args, Clone, Default)]
pub struct LegacyGlobals {
    /// Deprecated: `--ansi never`.
    #[arg(long, global = true, hide = true)]
    pub no_ansi: bool,
    /// Deprecated: `--project-directory` (before the command only: after `exec`/`run`,
    /// `--workdir` is the container's working directory).
    #[arg(long, hide = true, value_name = "DIR")]
    pub workdir: Option<std::path::PathBuf>,
    /// Accepted and ignored (docker compose v5 hides it too).
    #[arg(long, global = true, hide = true)]
    pub verbose: bool,
    /// docker compose v1's container names (`project_service_1`): not supported; accepted with a
    /// warning so scripts that pass it keep working.
    #[arg(long, global = true)]
    pub compatibility: bool,
}

impl LegacyGlobals {
    /// Folds the deprecated flags into their replacements; returns the warnings to print
    /// (docker compose v5's words).
    pub fn apply(
        &self,
        global: &mut super::GlobalArgs,
        runtime: &mut RuntimeGlobals,
    ) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.no_ansi {
            warnings.push("option '--no-ansi' is DEPRECATED ! Please use '--ansi' instead.".into());
            runtime.ansi.get_or_insert(AnsiMode::Never);
        }
        if let Some(dir) = &self.workdir {
            warnings.push(
                "option '--workdir' is DEPRECATED at root level! Please use '--project-directory' instead."
                    .into(),
            );
            global.project_directory.get_or_insert_with(|| dir.clone());
        }
        if self.compatibility {
            warnings.push(
                "--compatibility: rcompose names containers `<project>-<service>-<n>` as docker compose v2+ does; v1's `_` names are not supported"
                    .into(),
            );
        }
        warnings
    }
}

/// Global flags of the runtime commands.
#[derive(Debug, Args, Clone, Default)]
pub struct RuntimeGlobals {
    /// Maximum number of engine calls in flight (`COMPOSE_PARALLEL_LIMIT`).
    #[arg(long, global = true, value_name = "N", allow_negative_numbers = true)]
    pub parallel: Option<i64>,
    /// Progress output: auto, tty, plain, json or quiet.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "COMPOSE_PROGRESS",
        value_name = "MODE"
    )]
    pub progress: Option<ProgressMode>,
    /// Control characters: never, always or auto.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "COMPOSE_ANSI",
        value_name = "WHEN"
    )]
    pub ansi: Option<AnsiMode>,
    /// Show what would be done, change nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
}

impl RuntimeGlobals {
    /// `--parallel` (a value <= 0 means "no flag", as docker compose's -1 default), else
    /// `COMPOSE_PARALLEL_LIMIT`, else the executor's default.
    pub fn parallel_limit(&self, env: Option<&str>) -> usize {
        let flag = self
            .parallel
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n > 0);
        rcompose::app::ExecOptions::parallel_from(flag, env)
    }
}

/// `--pull`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PullArg {
    Always,
    Missing,
    Never,
}

impl From<PullArg> for PullPolicy {
    fn from(p: PullArg) -> PullPolicy {
        match p {
            PullArg::Always => PullPolicy::Always,
            PullArg::Missing => PullPolicy::Missing,
            PullArg::Never => PullPolicy::Never,
        }
    }
}

/// Flags shared by `up` and `create`.
#[derive(Debug, Args, Clone, Default)]
pub struct CreateFlags {
    /// Build images before starting containers.
    #[arg(long, conflicts_with = "no_build")]
    pub build: bool,
    /// Don't build an image, even if it's missing.
    #[arg(long)]
    pub no_build: bool,
    /// Recreate containers even if their configuration and image haven't changed.
    #[arg(long, conflicts_with = "no_recreate")]
    pub force_recreate: bool,
    /// If containers already exist, don't recreate them.
    #[arg(long)]
    pub no_recreate: bool,
    /// Remove containers for services not defined in the Compose file.
    #[arg(long)]
    pub remove_orphans: bool,
    /// Scale SERVICE to NUM instances (overrides `scale` in the file). Repeatable.
    #[arg(long, value_name = "SERVICE=NUM", value_parser = parse_scale)]
    pub scale: Vec<(String, u32)>,
    /// Pull image before running: always, missing or never.
    #[arg(long, value_enum, value_name = "POLICY")]
    pub pull: Option<PullArg>,
    /// Pull without printing progress information.
    #[arg(long)]
    pub quiet_pull: bool,
    /// Assume "yes" as answer to all prompts.
    #[arg(short = 'y', long = "yes")]
    pub yes: bool,
}

/// Parses `svc=N` for `--scale`.
pub fn parse_scale(s: &str) -> Result<(String, u32), String> {
    let (name, n) = s
        .split_once('=')
        .ok_or_else(|| format!("invalid --scale {s:?}: expected SERVICE=NUM, e.g. web=3"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("invalid --scale {s:?}: the service name is empty"));
    }
    let n: u32 = n.trim().parse().map_err(|_| {
        format!("invalid --scale {s:?}: {n:?} is not a non-negative number of replicas")
    })?;
    Ok((name.to_string(), n))
}

impl CreateFlags {
    /// The planner's options for these flags and the named services.
    pub fn up_options(&self, services: &[String]) -> UpOptions {
        let mut scale = IndexMap::new();
        for (s, n) in &self.scale {
            scale.insert(s.clone(), *n);
        }
        UpOptions {
            services: services.to_vec(),
            force_recreate: self.force_recreate,
            no_recreate: self.no_recreate,
            remove_orphans: self.remove_orphans,
            scale,
            build: if self.build {
                BuildPolicy::Always
            } else if self.no_build {
                BuildPolicy::Never
            } else {
                BuildPolicy::IfMissing
            },
            pull: self.pull.map(PullPolicy::from).unwrap_or_default(),
            ..Default::default()
        }
    }
}

/// `up`.
#[derive(Debug, Args, Clone, Default)]
pub struct UpArgs {
    #[command(flatten)]
    pub create: CreateFlags,
    /// Detached mode: run containers in the background.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Wait for services to be running|healthy. Implies detached mode.
    #[arg(long)]
    pub wait: bool,
    /// Maximum duration in seconds to wait for the project to be running|healthy.
    #[arg(long, value_name = "SECONDS")]
    pub wait_timeout: Option<u64>,
    /// Recreate dependent containers. Incompatible with --no-recreate.
    #[arg(long, conflicts_with = "no_recreate")]
    pub always_recreate_deps: bool,
    /// Don't start linked services.
    #[arg(long)]
    pub no_deps: bool,
    /// Don't start the services after creating them.
    #[arg(long)]
    pub no_start: bool,
    /// Stops all containers if any container was stopped. Incompatible with -d.
    #[arg(long, conflicts_with_all = ["detach", "wait"])]
    pub abort_on_container_exit: bool,
    /// Stops all containers if any container exited with failure. Incompatible with -d.
    #[arg(long, conflicts_with_all = ["detach", "wait", "abort_on_container_exit"])]
    pub abort_on_container_failure: bool,
    /// Return the exit code of the selected service container. Implies --abort-on-container-exit.
    #[arg(long, value_name = "SERVICE", conflicts_with_all = ["detach", "wait"])]
    pub exit_code_from: Option<String>,
    /// Restrict attaching to the specified services. Repeatable.
    #[arg(long, value_name = "SERVICE")]
    pub attach: Vec<String>,
    /// Do not attach (stream logs) to the specified services. Repeatable.
    #[arg(long, value_name = "SERVICE")]
    pub no_attach: Vec<String>,
    /// Automatically attach to log output of dependent services.
    #[arg(long)]
    pub attach_dependencies: bool,
    /// Produce monochrome output.
    #[arg(long)]
    pub no_color: bool,
    /// Don't print prefix in logs.
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Show timestamps.
    #[arg(long)]
    pub timestamps: bool,
    /// Use this timeout in seconds for container shutdown when attached or when containers are
    /// already running.
    #[arg(short = 't', long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Recreate anonymous volumes instead of retrieving data from the previous containers.
    #[arg(short = 'V', long)]
    pub renew_anon_volumes: bool,
    /// Services to start (default: all).
    pub services: Vec<String>,
    /// Watch source code and sync, restart or rebuild containers when files change
    /// (`develop.watch`), while attached.
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// Suppress the build output (the build's start and end are still shown).
    #[arg(long)]
    pub quiet_build: bool,
    /// docker compose's interactive shortcuts menu (also `COMPOSE_MENU`): accepted; there is
    /// no menu, a warning says so when it is asked for while attached.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub menu: Option<bool>,
}

impl UpArgs {
    pub fn up_options(&self) -> UpOptions {
        let mut o = self.create.up_options(&self.services);
        o.always_recreate_deps = self.always_recreate_deps;
        o.no_deps = self.no_deps;
        o.no_start = self.no_start;
        o.renew_anon_volumes = self.renew_anon_volumes;
        o.timeout = self.timeout;
        o
    }

    /// Whether `up` stays attached to the containers' output.
    pub fn attached(&self) -> bool {
        !self.detach && !self.wait && !self.no_start
    }
}

/// `create`.
#[derive(Debug, Args, Clone, Default)]
pub struct CreateArgs {
    #[command(flatten)]
    pub create: CreateFlags,
    /// Services to create (default: all).
    pub services: Vec<String>,
}

/// `--rmi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RmiArg {
    Local,
    All,
}

/// `down`.
#[derive(Debug, Args, Clone, Default)]
pub struct DownArgs {
    /// Remove named volumes declared in the "volumes" section and anonymous volumes.
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Remove images used by services: "local" removes only images without a custom tag.
    #[arg(long, value_enum, value_name = "TYPE")]
    pub rmi: Option<RmiArg>,
    /// Remove containers for services not defined in the Compose file.
    #[arg(long)]
    pub remove_orphans: bool,
    /// Specify a shutdown timeout in seconds.
    #[arg(short = 't', long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Services to stop and remove (default: the whole project).
    pub services: Vec<String>,
}

impl DownArgs {
    pub fn down_options(&self) -> DownOptions {
        DownOptions {
            remove_volumes: self.volumes,
            remove_orphans: self.remove_orphans,
            rmi: self.rmi.map(|r| match r {
                RmiArg::Local => RemoveImages::Local,
                RmiArg::All => RemoveImages::All,
            }),
            timeout: self.timeout,
        }
    }
}

/// `start`, `pause`, `unpause`: services only.
#[derive(Debug, Args, Clone, Default)]
pub struct ServicesArgs {
    /// Services (default: all).
    pub services: Vec<String>,
}

/// `start`.
#[derive(Debug, Args, Clone, Default)]
pub struct StartArgs {
    /// Wait for services to be running|healthy. Implies detached mode.
    #[arg(long)]
    pub wait: bool,
    /// Maximum duration in seconds to wait for the project to be running|healthy (0: no limit).
    #[arg(long, value_name = "SECONDS")]
    pub wait_timeout: Option<u64>,
    /// Services (default: all).
    pub services: Vec<String>,
}

/// The readiness wait of `--wait` / `--wait-timeout` (`up`, `start`): none without `--wait`;
/// no limit (a day) without a timeout or with 0, as in docker compose v5.
pub fn wait_duration(wait: bool, timeout: Option<u64>) -> Option<std::time::Duration> {
    const DAY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
    wait.then(|| match timeout {
        Some(n) if n > 0 => std::time::Duration::from_secs(n),
        _ => DAY,
    })
}

/// `stop`.
#[derive(Debug, Args, Clone, Default)]
pub struct StopArgs {
    /// Specify a shutdown timeout in seconds.
    #[arg(short = 't', long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    pub services: Vec<String>,
}

/// `restart`.
#[derive(Debug, Args, Clone, Default)]
pub struct RestartArgs {
    /// Specify a shutdown timeout in seconds.
    #[arg(short = 't', long, value_name = "SECONDS")]
    pub timeout: Option<u64>,
    /// Don't restart dependent services.
    #[arg(long)]
    pub no_deps: bool,
    pub services: Vec<String>,
}

/// `kill`.
#[derive(Debug, Args, Clone, Default)]
pub struct KillArgs {
    /// SIGNAL to send to the container.
    #[arg(short = 's', long, value_name = "SIGNAL", default_value = "SIGKILL")]
    pub signal: String,
    /// Remove containers for services not defined in the Compose file.
    #[arg(long)]
    pub remove_orphans: bool,
    pub services: Vec<String>,
}

/// `rm`.
#[derive(Debug, Args, Clone, Default)]
pub struct RmArgs {
    /// Don't ask to confirm removal.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Stop the containers, if required, before removing.
    #[arg(short = 's', long)]
    pub stop: bool,
    /// Remove any anonymous volumes attached to containers.
    #[arg(short = 'v', long)]
    pub volumes: bool,
    pub services: Vec<String>,
}

/// `--format` of `ps` and `ls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ListFormat {
    #[default]
    Table,
    Json,
}

/// `--status` of `ps`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Paused,
    Restarting,
    Removing,
    Running,
    Dead,
    Created,
    Exited,
}

impl StatusArg {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusArg::Paused => "paused",
            StatusArg::Restarting => "restarting",
            StatusArg::Removing => "removing",
            StatusArg::Running => "running",
            StatusArg::Dead => "dead",
            StatusArg::Created => "created",
            StatusArg::Exited => "exited",
        }
    }
}

/// `ps`.
#[derive(Debug, Args, Clone, Default)]
pub struct PsArgs {
    /// Show all stopped containers (including those created by the run command).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only display IDs.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Display services.
    #[arg(long)]
    pub services: bool,
    /// Filter services by status. Repeatable.
    #[arg(long, value_enum, value_name = "STATUS")]
    pub status: Vec<StatusArg>,
    /// Format the output: `table` (default), `table TEMPLATE`, `json`, or a Go template
    /// (`{{.Name}}\t{{.Status}}`: fields, `.Label "key"`, `json`, `upper`/`lower`/`title`).
    #[arg(long, default_value = "table", value_name = "FORMAT")]
    pub format: String,
    /// Don't truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Include orphaned services (not declared by project).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub orphans: bool,
    /// Filter services by a property: `status=STATUS` (the only filter, as in docker compose).
    #[arg(long, value_name = "KEY=VAL")]
    pub filter: Option<String>,
    pub service_names: Vec<String>,
}

impl PsArgs {
    /// The states `--status` and `--filter status=...` ask for.
    pub fn statuses(&self) -> Result<Vec<String>, String> {
        let mut out: Vec<String> = self.status.iter().map(|s| s.as_str().to_string()).collect();
        if let Some(f) = &self.filter {
            let (key, value) = f
                .split_once('=')
                .ok_or("arguments to --filter should be in form KEY=VAL")?;
            if key != "status" {
                return Err(format!(
                    "unknown filter {key} (the only one is status=STATE)"
                ));
            }
            out.push(value.to_string());
        }
        Ok(out)
    }
}

/// `ls`.
#[derive(Debug, Args, Clone, Default)]
pub struct LsArgs {
    /// Show all stopped Compose projects.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Only display project names.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Format the output: table or json.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Only projects whose name matches: `name=REGEX` (repeatable; the only filter, as in
    /// docker compose).
    #[arg(long, value_name = "name=REGEX")]
    pub filter: Vec<String>,
}

impl LsArgs {
    /// The `--filter name=...` patterns.
    pub fn name_filters(&self) -> Result<Vec<regex::Regex>, String> {
        self.filter
            .iter()
            .map(|f| {
                let (key, value) = f
                    .split_once('=')
                    .ok_or_else(|| format!("bad format of filter {f:?} (expected name=value)"))?;
                if key != "name" {
                    return Err(format!(
                        "invalid filter '{key}' (the only one is name=REGEX)"
                    ));
                }
                regex::Regex::new(value).map_err(|e| format!("invalid --filter name={value}: {e}"))
            })
            .collect()
    }
}

/// `--protocol` of `port`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ProtocolArg {
    #[default]
    Tcp,
    Udp,
}

/// `port`.
#[derive(Debug, Args, Clone, Default)]
pub struct PortArgs {
    /// Index of the container if the service has multiple replicas.
    #[arg(long, default_value_t = 1)]
    pub index: u32,
    /// tcp or udp.
    #[arg(long, value_enum, default_value_t = ProtocolArg::Tcp)]
    pub protocol: ProtocolArg,
    pub service: String,
    pub private_port: u16,
}

/// `logs`.
#[derive(Debug, Args, Clone, Default)]
pub struct LogsArgs {
    /// Follow log output.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Number of lines to show from the end of the logs for each container ("all" or a number).
    #[arg(short = 'n', long, default_value = "all", value_parser = parse_tail)]
    pub tail: Tail,
    /// Show timestamps.
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// Show logs since a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes).
    #[arg(long, value_name = "TIME", value_parser = super::logtime::parse_now)]
    pub since: Option<i64>,
    /// Show logs before a timestamp (e.g. 2013-01-02T13:23:37Z) or relative (e.g. 42m for 42 minutes).
    #[arg(long, value_name = "TIME", value_parser = super::logtime::parse_now)]
    pub until: Option<i64>,
    /// Produce monochrome output.
    #[arg(long)]
    pub no_color: bool,
    /// Don't print prefix in logs.
    #[arg(long)]
    pub no_log_prefix: bool,
    /// Index of the container if the service has multiple replicas.
    #[arg(long)]
    pub index: Option<u32>,
    pub services: Vec<String>,
}

/// `watch`.
#[derive(Debug, Args, Clone, Default)]
pub struct WatchArgs {
    /// Do not build and start the services before watching.
    #[arg(long)]
    pub no_up: bool,
    /// Hide the progress of the initial up and of rebuilds.
    #[arg(long)]
    pub quiet: bool,
    /// Remove the images a rebuild leaves dangling (`--prune=false` keeps them).
    #[arg(long, default_value_t = true, num_args = 0..=1, default_missing_value = "true", action = clap::ArgAction::Set, value_name = "BOOL")]
    pub prune: bool,
    /// Services to watch (default: every service with `develop.watch`).
    pub services: Vec<String>,
}

/// `--tail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tail {
    #[default]
    All,
    Last(u64),
}

pub fn parse_tail(s: &str) -> Result<Tail, String> {
    if s.eq_ignore_ascii_case("all") || s == "-1" {
        return Ok(Tail::All);
    }
    s.trim()
        .parse()
        .map(Tail::Last)
        .map_err(|_| format!("invalid --tail {s:?}: expected \"all\" or a number of lines"))
}

/// `build`.
#[derive(Debug, Args, Clone, Default)]
pub struct BuildArgs {
    /// Set build-time variables for services: KEY=VAL, or KEY to take the value from the
    /// environment. Repeatable.
    #[arg(long = "build-arg", value_name = "KEY[=VAL]", value_parser = parse_build_arg)]
    pub build_args: Vec<(String, Option<String>)>,
    /// Do not use cache when building the image.
    #[arg(long)]
    pub no_cache: bool,
    /// Always attempt to pull a newer version of the image.
    #[arg(long)]
    pub pull: bool,
    /// Push service images after building them.
    #[arg(long)]
    pub push: bool,
    /// Don't print anything (no progress, no build output).
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Also build dependencies (transitively).
    #[arg(long)]
    pub with_dependencies: bool,
    /// Set memory limit for the build container (`64m`, `1g`, bytes).
    #[arg(short = 'm', long, value_name = "BYTES", value_parser = parse_memory)]
    pub memory: Option<i64>,
    /// BuildKit (docker buildx) options: accepted as docker compose accepts them, and, as it
    /// does with the classic builder (which rcompose drives), ignored with a warning.
    #[command(flatten)]
    pub buildkit: BuildKitFlags,
    /// Deprecated in docker compose, accepted and ignored.
    #[arg(long, hide = true)]
    pub compress: bool,
    /// Deprecated in docker compose, accepted and ignored.
    #[arg(long, hide = true)]
    pub force_rm: bool,
    /// Deprecated in docker compose, accepted and ignored.
    #[arg(long, hide = true)]
    pub no_rm: bool,
    /// Services to build (default: every service with a `build:` section).
    pub services: Vec<String>,
}

/// `build`'s options that only BuildKit (docker buildx) understands.
#[derive(Debug, Args, Clone, Default)]
pub struct BuildKitFlags {
    /// Set builder to use (BuildKit only: ignored with a warning).
    #[arg(long, value_name = "NAME")]
    pub builder: Option<String>,
    /// Check build configuration (BuildKit only: ignored with a warning).
    #[arg(long)]
    pub check: bool,
    /// Print equivalent bake file (BuildKit only: ignored with a warning).
    #[arg(long)]
    pub print: bool,
    /// Add a provenance attestation (BuildKit only: ignored with a warning).
    #[arg(long, value_name = "VALUE")]
    pub provenance: Option<String>,
    /// Add a SBOM attestation (BuildKit only: ignored with a warning).
    #[arg(long, value_name = "VALUE")]
    pub sbom: Option<String>,
    /// Set SSH authentications used when building service images (BuildKit only: ignored
    /// with a warning).
    #[arg(long, value_name = "SPEC")]
    pub ssh: Option<String>,
}

impl BuildKitFlags {
    /// The flags given, as `--name`, for the warning.
    pub fn given(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for (set, name) in [
            (self.builder.is_some(), "--builder"),
            (self.check, "--check"),
            (self.print, "--print"),
            (self.provenance.is_some(), "--provenance"),
            (self.sbom.is_some(), "--sbom"),
            (self.ssh.is_some(), "--ssh"),
        ] {
            if set {
                out.push(name);
            }
        }
        out
    }
}

/// Parses `build -m`'s size (`64m`, `1g`, a number of bytes), as docker's `RAMInBytes`.
pub fn parse_memory(s: &str) -> Result<i64, String> {
    rcompose::model::units::parse_bytes(s).map_err(|_| format!("invalid size: '{s}'"))
}

/// Parses `KEY=VAL` (or a bare `KEY`) for `--build-arg`.
pub fn parse_build_arg(s: &str) -> Result<(String, Option<String>), String> {
    let (key, value) = match s.split_once('=') {
        Some((k, v)) => (k, Some(v.to_string())),
        None => (s, None),
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(format!(
            "invalid --build-arg {s:?}: expected KEY=VALUE or KEY, e.g. VERSION=1.2"
        ));
    }
    Ok((key.to_string(), value))
}

/// `pull --policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PullPolicyArg {
    Missing,
    Always,
}

impl PullPolicyArg {
    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicyArg::Missing => "missing",
            PullPolicyArg::Always => "always",
        }
    }
}

/// `pull`.
#[derive(Debug, Args, Clone, Default)]
pub struct PullArgs {
    /// Pull without printing progress information.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Also pull services declared as dependencies.
    #[arg(long)]
    pub include_deps: bool,
    /// Pull what it can and ignore images with pull failures.
    #[arg(long)]
    pub ignore_pull_failures: bool,
    /// Ignore images that can be built.
    #[arg(long)]
    pub ignore_buildable: bool,
    /// Apply pull policy: missing or always.
    #[arg(long, value_enum, value_name = "POLICY")]
    pub policy: Option<PullPolicyArg>,
    /// Deprecated in docker compose, accepted and ignored.
    #[arg(long, hide = true)]
    pub no_parallel: bool,
    /// Services to pull (default: all).
    pub services: Vec<String>,
}

/// `push`.
#[derive(Debug, Args, Clone, Default)]
pub struct PushArgs {
    /// Push what it can and ignore images with push failures.
    #[arg(long)]
    pub ignore_push_failures: bool,
    /// Also push images of services declared as dependencies.
    #[arg(long)]
    pub include_deps: bool,
    /// Push without printing progress information.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Services to push (default: all).
    pub services: Vec<String>,
}

/// `images`.
#[derive(Debug, Args, Clone, Default)]
pub struct ImagesArgs {
    /// Format the output: table or json.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Only display IDs.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Services (default: all).
    pub services: Vec<String>,
}

/// `scale`.
#[derive(Debug, Args, Clone, Default)]
pub struct ScaleArgs {
    /// Don't start linked services.
    #[arg(long)]
    pub no_deps: bool,
    /// `SERVICE=REPLICAS`, one or more.
    #[arg(required = true, value_name = "SERVICE=REPLICAS", value_parser = parse_replicas)]
    pub services: Vec<(String, u32)>,
}

/// Parses `SERVICE=REPLICAS` for `scale`, with docker compose v5's messages.
pub fn parse_replicas(s: &str) -> Result<(String, u32), String> {
    match s.split_once('=') {
        Some((name, n)) if !name.is_empty() && !n.is_empty() => n
            .parse::<u32>()
            .map(|n| (name.to_string(), n))
            .map_err(|_| format!("invalid scale specifier: can't parse replica value as int: {s}")),
        _ => Err(format!("invalid scale specifier: {s}")),
    }
}

/// `volumes`.
#[derive(Debug, Args, Clone, Default)]
pub struct VolumesArgs {
    /// Only display volume names.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Format the output: `table` (default), `table TEMPLATE`, `json`, or a Go template
    /// (`{{.Name}}\t{{.Driver}}`).
    #[arg(long, default_value = "table", value_name = "FORMAT")]
    pub format: String,
    /// Services (default: all).
    pub services: Vec<String>,
}

/// A boolean environment value as Go's `strconv.ParseBool` reads it (`1`, `t`, `true`, `0`,
/// `f`, `false`, any case); anything else is `None`.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "t" | "true" => Some(true),
        "0" | "f" | "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_parses_service_and_count() {
        assert_eq!(parse_scale("web=3"), Ok(("web".to_string(), 3)));
        assert_eq!(parse_scale(" web = 0 "), Ok(("web".to_string(), 0)));
        assert!(parse_scale("web").is_err());
        assert!(parse_scale("=3").is_err());
        assert!(parse_scale("web=-1").is_err());
        assert!(parse_scale("web=x").is_err());
    }

    #[test]
    fn replicas_parse_as_docker_compose_v5() {
        assert_eq!(parse_replicas("web=3"), Ok(("web".to_string(), 3)));
        assert_eq!(
            parse_replicas("web"),
            Err("invalid scale specifier: web".into())
        );
        assert_eq!(
            parse_replicas("=3"),
            Err("invalid scale specifier: =3".into())
        );
        assert_eq!(
            parse_replicas("web="),
            Err("invalid scale specifier: web=".into())
        );
        assert!(parse_replicas("web=x")
            .is_err_and(|e| e.contains("can't parse replica value as int: web=x")));
    }

    #[test]
    fn tail_accepts_all_or_a_count() {
        assert_eq!(parse_tail("all"), Ok(Tail::All));
        assert_eq!(parse_tail("-1"), Ok(Tail::All));
        assert_eq!(parse_tail("10"), Ok(Tail::Last(10)));
        assert!(parse_tail("ten").is_err());
    }

    #[test]
    fn parallel_flag_wins_over_the_environment() {
        let g = RuntimeGlobals {
            parallel: Some(3),
            ..Default::default()
        };
        assert_eq!(g.parallel_limit(Some("7")), 3);
        let g = RuntimeGlobals {
            parallel: Some(-1),
            ..Default::default()
        };
        assert_eq!(g.parallel_limit(Some("7")), 7);
        assert_eq!(g.parallel_limit(None), rcompose::app::DEFAULT_PARALLEL);
    }

    #[test]
    fn up_flags_become_planner_options() {
        let a = UpArgs {
            create: CreateFlags {
                build: true,
                scale: vec![("web".into(), 3)],
                pull: Some(PullArg::Never),
                ..Default::default()
            },
            no_deps: true,
            timeout: Some(4),
            services: vec!["web".into()],
            ..Default::default()
        };
        let o = a.up_options();
        assert_eq!(o.build, BuildPolicy::Always);
        assert_eq!(o.pull, PullPolicy::Never);
        assert_eq!(o.scale.get("web"), Some(&3));
        assert!(o.no_deps);
        assert_eq!(o.timeout, Some(4));
        assert_eq!(o.services, vec!["web".to_string()]);
    }

    #[test]
    fn wait_and_detach_are_not_attached() {
        let mut a = UpArgs::default();
        assert!(a.attached());
        a.wait = true;
        assert!(!a.attached());
    }
}
