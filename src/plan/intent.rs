//! What the user asked for: the command and its flags, as the planner needs them.

use indexmap::IndexMap;

/// When to build images of services that have a `build:` section.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuildPolicy {
    /// `--no-build`: never build (a missing image is an error at create time).
    Never,
    /// Default: build when the image is missing.
    #[default]
    IfMissing,
    /// `--build`: always build.
    Always,
}

/// `--pull`: when to pull images (a service's own `pull_policy` takes precedence unless `Always`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PullPolicy {
    #[default]
    Missing,
    Always,
    Never,
}

/// `up` / `create` flags.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpOptions {
    /// Services named on the command line (empty = all).
    pub services: Vec<String>,
    pub force_recreate: bool,
    pub no_recreate: bool,
    pub always_recreate_deps: bool,
    pub no_deps: bool,
    pub remove_orphans: bool,
    /// `--scale svc=n`.
    pub scale: IndexMap<String, u32>,
    /// `create`, or `up --no-start`.
    pub no_start: bool,
    /// `-V`: recreate anonymous volumes instead of carrying them over.
    pub renew_anon_volumes: bool,
    pub build: BuildPolicy,
    pub pull: PullPolicy,
    /// `-t`: stop timeout (seconds) for containers being replaced or scaled down.
    pub timeout: Option<u64>,
}

/// `rmi` for `down --rmi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoveImages {
    /// Only images built by compose (no custom `image:` name).
    Local,
    /// Every image used by a service.
    All,
}

/// `down` flags.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DownOptions {
    pub remove_volumes: bool,
    pub remove_orphans: bool,
    pub rmi: Option<RemoveImages>,
    pub timeout: Option<u64>,
}

/// The command being planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Up(UpOptions),
    Down(DownOptions),
    Stop {
        services: Vec<String>,
        timeout: Option<u64>,
    },
    Start {
        services: Vec<String>,
    },
    Restart {
        services: Vec<String>,
        timeout: Option<u64>,
        no_deps: bool,
    },
    Kill {
        services: Vec<String>,
        signal: Option<String>,
        remove_orphans: bool,
    },
    /// `rm`: remove stopped containers (`stop` first with `-s`), anonymous volumes with `-v`.
    Rm {
        services: Vec<String>,
        stop: bool,
        volumes: bool,
    },
    /// `pause`: pause running containers.
    Pause {
        services: Vec<String>,
    },
    /// `unpause`: resume paused containers.
    Unpause {
        services: Vec<String>,
    },
    /// `run SERVICE` without `--no-deps`: `up` of the services `service` depends on (`up`'s own
    /// `services` are ignored), then a wait for each `depends_on` condition of `service`. The
    /// one-off container itself is created by the app layer once this plan has run.
    Run {
        service: String,
        up: UpOptions,
    },
}

impl Intent {
    /// `create` = `up --no-start`.
    pub fn create(mut opts: UpOptions) -> Intent {
        opts.no_start = true;
        Intent::Up(opts)
    }
    pub fn up() -> Intent {
        Intent::Up(UpOptions::default())
    }
    pub fn down() -> Intent {
        Intent::Down(DownOptions::default())
    }
}
