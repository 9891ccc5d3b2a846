//! `Stack`: the library API for test suites — bring a compose stack up, talk to it, tear it down.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rcompose::StackError> {
//! let stack = rcompose::Stack::builder("tests/compose.yaml")
//!     .project_name("orders-test")
//!     .env("REDIS_PORT", "0")
//!     .up()
//!     .await?; // `up -d --wait`: every service running/healthy, every one-shot exited 0
//! let addr = stack.host_port("redis", 6379).await?; // e.g. 127.0.0.1:49153
//! # let _ = addr;
//! stack.down().await?; // also done (with volumes) when the Stack is dropped
//! # Ok(())
//! # }
//! ```
//!
//! Owns nothing of its own: it strings `loader`, `exec::ops` and `engine` together. A dropped
//! `Stack` removes its containers, networks and volumes (from a separate thread, so it works inside
//! and outside a tokio runtime) unless `keep()` was asked for.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use indexmap::IndexMap;

use crate::app::ops::{self, EngineRef};
use crate::app::{Cancel, ExecError, NullReporter};
use crate::engine::{self, ContainerPort, EngineError, ExecSpec, LabelFilter, LogOptions};
use crate::loader::{self, LoadError, LoadOptions};
use crate::model::Project;
use crate::plan;

/// What can go wrong with a `Stack`.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error("service {service:?} has no running container{}", replica_text(*.replica))]
    NoContainer { service: String, replica: u32 },
    #[error("service {service:?} does not publish container port {port}")]
    NoPort { service: String, port: u16 },
}

fn replica_text(r: u32) -> String {
    if r == 0 {
        String::new()
    } else {
        format!(" (replica {r})")
    }
}

/// How to bring a stack up; see [`Stack::builder`].
#[derive(Debug, Clone)]
pub struct StackBuilder {
    opts: LoadOptions,
    env: IndexMap<String, String>,
    wait: Duration,
    keep: bool,
    build: bool,
}

impl StackBuilder {
    /// Adds a compose file (the first one is given to [`Stack::builder`]).
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.opts
            .files
            .push(loader::ConfigSource::Path(path.into()));
        self
    }
    /// The project name (default: the file's `name:` or its directory). Use a unique one per test.
    pub fn project_name(mut self, name: impl Into<String>) -> Self {
        self.opts.project_name = Some(name.into());
        self
    }
    /// Sets a variable for interpolation (it wins over the process environment and `.env`).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }
    /// Enables a profile.
    pub fn profile(mut self, p: impl Into<String>) -> Self {
        self.opts.profiles.push(p.into());
        self
    }
    /// Only these services (and what they depend on).
    pub fn services<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.opts.services = names.into_iter().map(Into::into).collect();
        self
    }
    /// How long `up` waits for the stack to be ready (default 120 s).
    pub fn wait_timeout(mut self, d: Duration) -> Self {
        self.wait = d;
        self
    }
    /// Build images of services with `build:` even when they exist.
    pub fn build(mut self) -> Self {
        self.build = true;
        self
    }
    /// Leave the stack running when the `Stack` is dropped (for debugging a failed test).
    pub fn keep(mut self) -> Self {
        self.keep = true;
        self
    }

    /// Loads the project without starting anything.
    pub fn load(&self) -> Result<Project, StackError> {
        let mut opts = self.opts.clone();
        let mut env: IndexMap<String, String> = std::env::vars().collect();
        env.extend(self.env.clone());
        opts.environment = env;
        Ok(loader::load(&opts)?.project)
    }

    /// `up -d --wait`: creates and starts everything, and returns once every service is running
    /// (healthy where it has a healthcheck) and every one-shot has exited 0. On failure what was
    /// created is removed again (unless `keep()`).
    pub async fn up(self) -> Result<Stack, StackError> {
        let project = self.load()?;
        super::lock::configure(super::lock::LockSettings::from_env(|k| {
            std::env::var(k).ok()
        }));
        let engine =
            engine::connect(&engine::ConnectOptions::from_env(|k| std::env::var(k).ok())).await?;
        let mut up = ops::UpOptions {
            wait: Some(self.wait),
            ..Default::default()
        };
        up.plan.services = self.opts.services.clone();
        if self.build {
            up.plan.build = plan::BuildPolicy::Always;
        }
        let stack = Stack {
            engine,
            project,
            keep: self.keep,
            down_on_drop: true,
        };
        ops::up(
            stack.engine.clone(),
            &stack.project,
            &up,
            &mut NullReporter,
            Cancel::new(),
        )
        .await?;
        Ok(stack)
    }
}

/// A running compose stack. Dropping it removes everything it created, volumes included.
pub struct Stack {
    engine: EngineRef,
    project: Project,
    keep: bool,
    down_on_drop: bool,
}

impl std::fmt::Debug for Stack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stack")
            .field("project", &self.project.name)
            .finish()
    }
}

impl Stack {
    /// A builder for the stack described by `file`.
    pub fn builder(file: impl Into<PathBuf>) -> StackBuilder {
        StackBuilder {
            opts: LoadOptions::with_files([file.into()]),
            env: IndexMap::new(),
            wait: Duration::from_secs(120),
            keep: false,
            build: false,
        }
    }

    /// The resolved project.
    pub fn project(&self) -> &Project {
        &self.project
    }

    /// The project name (all containers carry it in `com.docker.compose.project`).
    pub fn name(&self) -> &str {
        &self.project.name
    }

    /// The engine the stack runs on.
    pub fn engine(&self) -> EngineRef {
        self.engine.clone()
    }

    /// The id of a service's container (replica 1 for `replica == 0` or `1`).
    pub async fn container_id(&self, service: &str, replica: u32) -> Result<String, StackError> {
        let wanted = replica.max(1).to_string();
        let filter = LabelFilter::project(&self.project.name)
            .with("com.docker.compose.service", service)
            .with("com.docker.compose.container-number", &wanted);
        let list = self.engine.list_containers(&filter).await?;
        list.into_iter()
            .find(|c| {
                c.labels
                    .get("com.docker.compose.oneoff")
                    .map(|v| v != "True")
                    .unwrap_or(true)
            })
            .map(|c| c.id)
            .ok_or(StackError::NoContainer {
                service: service.to_string(),
                replica,
            })
    }

    /// The host address a service's container port (tcp) is published on, e.g. `127.0.0.1:49153`
    /// for `ports: ["6379"]` or `["0:6379"]`. A wildcard host IP is given as 127.0.0.1.
    pub async fn host_port(&self, service: &str, port: u16) -> Result<SocketAddr, StackError> {
        let id = self.container_id(service, 1).await?;
        let details = self.engine.inspect_container(&id).await?;
        let found = details
            .ports
            .iter()
            .find(|p| p.container == ContainerPort::tcp(port))
            .ok_or(StackError::NoPort {
                service: service.to_string(),
                port,
            })?;
        let ip = match found.host_ip.as_str() {
            "" | "0.0.0.0" => "127.0.0.1",
            "::" => "::1",
            other => other,
        };
        let ip: std::net::IpAddr = ip.parse().unwrap_or([127, 0, 0, 1].into());
        Ok(SocketAddr::new(ip, found.host_port))
    }

    /// Runs a command in a service's container and returns (exit code, stdout, stderr).
    pub async fn exec<I, S>(
        &self,
        service: &str,
        cmd: I,
    ) -> Result<(i64, String, String), StackError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let id = self.container_id(service, 1).await?;
        let out = self.engine.exec(&id, &ExecSpec::new(cmd)).await?;
        Ok((
            out.exit_code,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// Everything a service's container has logged so far (stdout and stderr interleaved).
    pub async fn logs(&self, service: &str) -> Result<String, StackError> {
        let id = self.container_id(service, 1).await?;
        let mut stream = self.engine.logs(&id, &LogOptions::default());
        let mut out = Vec::new();
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?.bytes);
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }

    /// `down -v`: removes the stack's containers, networks and volumes now.
    pub async fn down(mut self) -> Result<(), StackError> {
        self.down_on_drop = false;
        down_all(self.engine.clone(), &self.project).await
    }
}

async fn down_all(engine: EngineRef, project: &Project) -> Result<(), StackError> {
    let opts = ops::DownOptions {
        plan: plan::DownOptions {
            remove_volumes: true,
            remove_orphans: true,
            rmi: None,
            timeout: Some(5),
        },
        ..Default::default()
    };
    ops::down(
        engine,
        &project.name,
        Some(project),
        &opts,
        &mut NullReporter,
        Cancel::new(),
    )
    .await?;
    Ok(())
}

impl Drop for Stack {
    fn drop(&mut self) {
        if self.keep || !self.down_on_drop {
            return;
        }
        let project = self.project.clone();
        // Its own thread and runtime: Drop cannot await, and may run inside a runtime.
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async move {
                    if let Ok(engine) = engine::connect(&engine::ConnectOptions::from_env(|k| {
                        std::env::var(k).ok()
                    }))
                    .await
                    {
                        if let Err(e) = down_all(engine, &project).await {
                            eprintln!("rcompose: cleaning up stack {}: {e}", project.name);
                        }
                    }
                });
            }
        });
        let _ = handle.join();
    }
}
