//! `Stack`: the library API for test suites — bring a compose stack up, talk to it, tear it down.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rcompose::StackError> {
//! use rcompose::{Ready, Stack};
//! let stack = Stack::builder("tests/compose.yaml") // a unique project name by default
//!     .ready("api", Ready::http(8080, "/health"))
//!     .up()
//!     .await?; // every service running (healthy), one-shots exited 0, the checks passed
//! let redis = stack.endpoint("redis", 6379).await?; // e.g. 127.0.0.1:49153
//! let url = stack.url("api", 8080, "http").await?; // e.g. http://127.0.0.1:49154
//! stack.snapshot("empty").await?;
//! // ... the test writes data ...
//! stack.restore("empty").await?; // back to the snapshot's volumes
//! # let _ = (redis, url);
//! stack.down().await?; // also done (with volumes) when the Stack is dropped
//! # Ok(())
//! # }
//! ```
//!
//! Every stack is labelled with its owner process and a lease ([`owner`]): a stack whose test
//! process was killed is removed by the next `Stack::up` (or `rcompose reap`). A dropped `Stack`
//! removes its containers, networks and volumes (from a separate thread, so it works inside and
//! outside a tokio runtime) unless `keep()` or `reuse()` was asked for.

pub mod endpoints;
pub mod owner;
pub mod ready;
pub mod snapshot;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use indexmap::IndexMap;

use crate::app::ops::{self, EngineRef};
use crate::app::{Cancel, ExecError, NullReporter};
use crate::engine::{self, EngineError, ExecSpec, LabelFilter};
use crate::loader::{self, LoadError, LoadOptions};
use crate::model::Project;
use crate::plan;

pub use endpoints::{Endpoint, Endpoints};
pub use owner::Reaped;
pub use ready::Ready;
pub use snapshot::Snapshot;

/// What can go wrong with a `Stack`.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error("service {service:?} is not in the stack (its services: {})", known.join(", "))]
    UnknownService { service: String, known: Vec<String> },
    #[error("service {service:?} has no running container{}", replica_text(*.replica))]
    NoContainer { service: String, replica: u32 },
    #[error("service {service:?} does not publish container port {port}{}", published_text(.published))]
    NoPort {
        service: String,
        port: u16,
        published: Vec<u16>,
    },
    #[error(
        "service {service:?} was not ready after {:.1}s: waiting for {what}: {why}{}",
        waited.as_secs_f64(),
        evidence(health.as_deref(), logs)
    )]
    NotReady {
        service: String,
        what: String,
        why: String,
        waited: Duration,
        /// The output of its last healthcheck probe, if the engine ran one.
        health: Option<String>,
        /// The last lines of its log.
        logs: String,
    },
    #[error("no snapshot named {name:?} (taken: {})", if taken.is_empty() { "none".to_string() } else { taken.join(", ") })]
    NoSnapshot { name: String, taken: Vec<String> },
}

fn replica_text(r: u32) -> String {
    if r == 0 {
        String::new()
    } else {
        format!(" (replica {r})")
    }
}

fn published_text(ports: &[u16]) -> String {
    if ports.is_empty() {
        " (it publishes none)".to_string()
    } else {
        let list: Vec<String> = ports.iter().map(u16::to_string).collect();
        format!(" (it publishes: {})", list.join(", "))
    }
}

fn evidence(health: Option<&str>, logs: &str) -> String {
    let mut out = String::new();
    if let Some(h) = health.filter(|h| !h.trim().is_empty()) {
        out.push_str(&format!("\n  last health output: {}", h.trim()));
    }
    if logs.trim().is_empty() {
        out.push_str("\n  (its log is empty)");
    } else {
        out.push_str("\n  last log lines:");
        for l in logs.trim_end().lines() {
            out.push_str("\n    ");
            out.push_str(l);
        }
    }
    out
}

/// How to bring a stack up; see [`Stack::builder`].
#[derive(Debug, Clone)]
pub struct StackBuilder {
    opts: LoadOptions,
    env: IndexMap<String, String>,
    wait: Duration,
    keep: bool,
    build: bool,
    reuse: bool,
    unique: bool,
    lease: Duration,
    ready: Vec<(String, Ready)>,
}

impl StackBuilder {
    /// Adds a compose file (the first one is given to [`Stack::builder`]).
    pub fn file(mut self, path: impl Into<PathBuf>) -> Self {
        self.opts
            .files
            .push(loader::ConfigSource::Path(path.into()));
        self
    }
    /// The project name. By default every stack gets its own: the file's `name:` (or its
    /// directory) plus a random suffix, so that tests and test binaries never share one.
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
    /// How long `up` (and `restore`) wait for the stack to be ready (default 120 s).
    pub fn wait_timeout(mut self, d: Duration) -> Self {
        self.wait = d;
        self
    }
    /// A unique name even when one was given: the given name becomes the prefix of the random
    /// suffix (as `rcompose test -p NAME` does).
    pub fn unique(mut self) -> Self {
        self.unique = true;
        self
    }
    /// Build images of services with `build:` even when they exist.
    pub fn build(mut self) -> Self {
        self.build = true;
        self
    }
    /// Leave the stack running when the `Stack` is dropped (for debugging a failed test). It is
    /// still reaped once this process has exited.
    pub fn keep(mut self) -> Self {
        self.keep = true;
        self
    }
    /// Reuse the stack between runs: its name is derived from its configuration, a later run
    /// with the same configuration finds it running, and dropping the `Stack` leaves it. It is
    /// reaped when its lease ends (see [`StackBuilder::lease`]).
    pub fn reuse(mut self) -> Self {
        self.reuse = true;
        self
    }
    /// How long the stack may outlive its owner's checks (default 24 h): after that any `reap`
    /// removes it.
    pub fn lease(mut self, d: Duration) -> Self {
        self.lease = d;
        self
    }
    /// A readiness check for `service`, run from the host after it is running (and healthy):
    /// `up` returns once every check passed, or fails naming the service with its health output
    /// and last log lines.
    pub fn ready(mut self, service: impl Into<String>, check: Ready) -> Self {
        self.ready.push((service.into(), check));
        self
    }

    /// Loads the project without starting anything (under the name given, or the default one).
    pub fn load(&self) -> Result<Project, StackError> {
        let mut opts = self.opts.clone();
        let mut env: IndexMap<String, String> = if opts.environment.is_empty() {
            std::env::vars().collect()
        } else {
            opts.environment.clone()
        };
        env.extend(self.env.clone());
        opts.environment = env;
        Ok(loader::load(&opts)?.project)
    }

    /// The project under its final name: as given, else the default name plus a random suffix
    /// (or, for `reuse()`, a digest of the configuration).
    fn load_named(&self) -> Result<Project, StackError> {
        let first = self.load()?;
        if self.opts.project_name.is_some() && !self.unique {
            return Ok(first);
        }
        let suffix = if self.reuse {
            let text = serde_json::to_string(&first).unwrap_or_default();
            format!("r{}", &hex::encode(sha2_digest(text.as_bytes()))[..10])
        } else {
            unique_suffix()
        };
        let mut again = self.clone();
        again.opts.project_name = Some(format!("{}-{suffix}", first.name));
        again.load()
    }

    /// `up -d`, then waits until every service is running (healthy where it has a
    /// healthcheck), every one-shot has exited 0 and every [`Ready`] check passed. Stacks left
    /// by crashed test processes are reaped first. On failure what was created is removed
    /// again (unless `keep()`).
    pub async fn up(self) -> Result<Stack, StackError> {
        super::lock::configure(super::lock::LockSettings::from_env(|k| {
            std::env::var(k).ok()
        }));
        let engine = connect().await?;
        // A crashed run's leftovers are swept while this stack starts (the sweep never takes a
        // stack whose owner is alive, so never this one); failing to sweep must not fail this run.
        let (_, stack) = tokio::join!(owner::reap(engine.clone(), false), self.start(engine));
        stack
    }

    async fn start(self, engine: EngineRef) -> Result<Stack, StackError> {
        let mut project = self.load_named()?;
        let kind = if self.reuse { "reuse" } else { "owned" };
        project.resource_labels = owner::Owner::current()
            .labels(kind, self.lease, SystemTime::now())
            .into_iter()
            .collect();
        for (service, _) in &self.ready {
            known_service(&project, service)?;
        }
        let mut up = ops::UpOptions::default();
        up.plan.services = self.opts.services.clone();
        if self.build {
            up.plan.build = plan::BuildPolicy::Always;
        }
        let stack = Stack {
            engine: Some(engine.clone()),
            project,
            keep: self.keep || self.reuse,
            down_on_drop: true,
            wait: self.wait,
            ready: self.ready,
            snapshots: Mutex::new(BTreeMap::new()),
            staging: Mutex::new(BTreeMap::new()),
        };
        ops::up(
            engine.clone(),
            &stack.project,
            &up,
            &mut NullReporter,
            Cancel::new(),
        )
        .await?;
        stack.wait_ready(&engine).await?;
        Ok(stack)
    }

    /// One stack for the whole test binary: the first call brings it up, every later call (from
    /// any test, any runtime) gets the same one. It is removed when the process exits, or reaped
    /// later if the process is killed.
    pub async fn shared(self) -> Result<Arc<Stack>, StackError> {
        let key = format!(
            "{:?}|{:?}|{:?}|{:?}|{:?}",
            self.opts.files,
            self.opts.project_name,
            self.opts.profiles,
            self.opts.services,
            self.env
        );
        let cell = {
            let mut map = shared_stacks().lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key).or_default().clone()
        };
        let stack = cell
            .get_or_try_init(|| async {
                let keep = self.keep || self.reuse;
                let mut stack = self.up().await?;
                // Calls come from many runtimes: each one connects afresh.
                stack.engine = None;
                stack.down_on_drop = false;
                if !keep {
                    register_exit_cleanup(stack.project.name.clone());
                }
                Ok::<_, StackError>(Arc::new(stack))
            })
            .await?;
        Ok(stack.clone())
    }
}

type SharedCell = Arc<tokio::sync::OnceCell<Arc<Stack>>>;

fn shared_stacks() -> &'static Mutex<HashMap<String, SharedCell>> {
    static SHARED: OnceLock<Mutex<HashMap<String, SharedCell>>> = OnceLock::new();
    SHARED.get_or_init(Default::default)
}

fn exit_cleanup() -> &'static Mutex<Vec<String>> {
    static NAMES: OnceLock<Mutex<Vec<String>>> = OnceLock::new();
    NAMES.get_or_init(Default::default)
}

/// Removes `project` when the process exits normally (a test binary ends by returning from
/// `main`); a killed process leaves it to `reap`.
fn register_exit_cleanup(project: String) {
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    exit_cleanup()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(project);
    REGISTERED.call_once(|| {
        // SAFETY: `atexit` registers a plain `extern "C"` function with no arguments.
        unsafe {
            libc::atexit(remove_shared_at_exit);
        }
    });
}

extern "C" fn remove_shared_at_exit() {
    let names = std::mem::take(&mut *exit_cleanup().lock().unwrap_or_else(|p| p.into_inner()));
    if names.is_empty() {
        return;
    }
    on_own_runtime(async move {
        if let Ok(engine) = connect().await {
            for name in names {
                let _ = owner::remove_project(engine.clone(), &name).await;
            }
        }
    });
}

/// Runs `f` to the end on a runtime of its own, in a thread of its own: for cleanups from
/// `Drop` and `atexit`, which cannot await and may run inside a runtime.
fn on_own_runtime(f: impl std::future::Future<Output = ()> + Send + 'static) {
    let handle = std::thread::spawn(move || {
        if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            rt.block_on(f);
        }
    });
    let _ = handle.join();
}

fn sha2_digest(bytes: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).to_vec()
}

/// Eight random hex digits (from the one-off containers' slug).
fn unique_suffix() -> String {
    super::oneoff::new_slug()[..8].to_string()
}

async fn connect() -> Result<EngineRef, EngineError> {
    engine::connect(&engine::ConnectOptions::from_env(|k| std::env::var(k).ok())).await
}

fn known_service(project: &Project, service: &str) -> Result<(), StackError> {
    if project.services.contains_key(service) {
        Ok(())
    } else {
        Err(StackError::UnknownService {
            service: service.to_string(),
            known: project.services.keys().cloned().collect(),
        })
    }
}

/// A running compose stack. Dropping it removes everything it created, volumes included.
pub struct Stack {
    /// `None` for a shared stack, whose calls come from many runtimes.
    engine: Option<EngineRef>,
    project: Project,
    keep: bool,
    down_on_drop: bool,
    wait: Duration,
    ready: Vec<(String, Ready)>,
    snapshots: Mutex<BTreeMap<String, Arc<Snapshot>>>,
    /// Copies of snapshots being filled, ahead of `restore` (by snapshot name).
    staging: Mutex<BTreeMap<String, Staging>>,
}

type Staging = tokio::task::JoinHandle<Result<Vec<snapshot::Staged>, EngineError>>;

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
        Stack::with_options(LoadOptions::with_files([file.into()]))
    }

    /// A builder for the project `opts` describes (the command line's files, environment,
    /// profiles and name). An empty `opts.environment` means the process environment.
    pub fn with_options(opts: LoadOptions) -> StackBuilder {
        StackBuilder {
            opts,
            env: IndexMap::new(),
            wait: Duration::from_secs(120),
            keep: false,
            build: false,
            reuse: false,
            unique: false,
            lease: owner::DEFAULT_LEASE,
            ready: Vec::new(),
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
    pub async fn engine(&self) -> Result<EngineRef, StackError> {
        match &self.engine {
            Some(e) => Ok(e.clone()),
            None => Ok(connect().await?),
        }
    }

    /// The id of a service's container (replica 1 for `replica == 0` or `1`).
    pub async fn container_id(&self, service: &str, replica: u32) -> Result<String, StackError> {
        known_service(&self.project, service)?;
        let engine = self.engine().await?;
        let wanted = replica.max(1).to_string();
        let filter = LabelFilter::project(&self.project.name)
            .with("com.docker.compose.service", service)
            .with("com.docker.compose.container-number", &wanted);
        let list = engine.list_containers(&filter).await?;
        list.into_iter()
            .find(|c| !super::oneoff::is_oneoff(c))
            .map(|c| c.id)
            .ok_or(StackError::NoContainer {
                service: service.to_string(),
                replica,
            })
    }

    /// Every published endpoint of the stack, by service.
    pub async fn endpoints(&self) -> Result<Endpoints, StackError> {
        let engine = self.engine().await?;
        Ok(endpoints::endpoints(&engine, &self.project.name, Some(&self.project)).await?)
    }

    /// The host address a service's container port (tcp) is published on, e.g.
    /// `127.0.0.1:49153` for `ports: ["6379"]`. A wildcard host IP is given as loopback.
    pub async fn endpoint(&self, service: &str, port: u16) -> Result<SocketAddr, StackError> {
        known_service(&self.project, service)?;
        let all = self.endpoints().await?;
        all.get(service, port).ok_or_else(|| StackError::NoPort {
            service: service.to_string(),
            port,
            published: all
                .by_service
                .get(service)
                .map(|l| l.iter().map(|e| e.port).collect())
                .unwrap_or_default(),
        })
    }

    /// The same as [`Stack::endpoint`] (its earlier name).
    pub async fn host_port(&self, service: &str, port: u16) -> Result<SocketAddr, StackError> {
        self.endpoint(service, port).await
    }

    /// `scheme://host:port` of a service's published port, e.g. `postgres://127.0.0.1:49153`.
    pub async fn url(&self, service: &str, port: u16, scheme: &str) -> Result<String, StackError> {
        Ok(format!(
            "{scheme}://{}",
            self.endpoint(service, port).await?
        ))
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
        let out = self.engine().await?.exec(&id, &ExecSpec::new(cmd)).await?;
        Ok((
            out.exit_code,
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    /// Everything a service's container has logged so far (stdout and stderr interleaved).
    pub async fn logs(&self, service: &str) -> Result<String, StackError> {
        let id = self.container_id(service, 1).await?;
        Ok(super::logs::text(self.engine().await?.as_ref(), &id, None).await?)
    }

    /// Waits until every service is ready again (running, healthy, its checks passing).
    pub async fn wait_ready(&self, engine: &EngineRef) -> Result<(), StackError> {
        let deadline = Instant::now() + self.wait;
        let list = engine
            .list_containers(&LabelFilter::project(&self.project.name))
            .await?;
        let waits = list
            .into_iter()
            .filter(|c| !super::oneoff::is_oneoff(c))
            .filter_map(|c| {
                let service = c.labels.get("com.docker.compose.service")?.clone();
                let replica1 =
                    c.labels.get("com.docker.compose.container-number") == Some(&"1".to_string());
                Some(self.wait_container(engine, service, c.id, replica1, deadline))
            });
        futures::future::try_join_all(waits).await?;
        Ok(())
    }

    async fn wait_container(
        &self,
        engine: &EngineRef,
        service: String,
        id: String,
        replica1: bool,
        deadline: Instant,
    ) -> Result<(), StackError> {
        let started = Instant::now();
        let model = self.project.services.get(&service);
        let fail =
            |what: String, why: String| self.not_ready(engine, &service, &id, what, why, started);
        if let Err(why) = ready::poll(deadline, || ready::service_state(engine, &id, model)).await {
            return Err(fail("it to be running and healthy".into(), why).await);
        }
        if !replica1 {
            return Ok(());
        }
        for (_, check) in self.ready.iter().filter(|(s, _)| *s == service) {
            let endpoint = match check {
                Ready::Tcp { port } | Ready::Http { port, .. } => {
                    Some(self.endpoint(&service, *port).await?)
                }
                _ => None,
            };
            if let Err(why) =
                ready::poll(deadline, || ready::attempt(engine, &id, check, endpoint)).await
            {
                return Err(fail(check.describe(), why).await);
            }
        }
        Ok(())
    }

    async fn not_ready(
        &self,
        engine: &EngineRef,
        service: &str,
        id: &str,
        what: String,
        why: String,
        started: Instant,
    ) -> StackError {
        let health = engine
            .inspect_container(id)
            .await
            .ok()
            .and_then(|d| d.state.health)
            .and_then(|h| h.last_output().map(str::to_string));
        let logs = super::logs::text(engine.as_ref(), id, Some(20))
            .await
            .unwrap_or_default();
        StackError::NotReady {
            service: service.to_string(),
            what,
            why,
            waited: started.elapsed(),
            health,
            logs,
        }
    }

    /// Takes a snapshot `name` of the stack's named volumes: the services that mount them are
    /// stopped while their volumes are copied, then started again (and waited for). Returns
    /// the snapshot's size in bytes. A copy of it is then prepared in the background for the
    /// next `restore`.
    pub async fn snapshot(&self, name: &str) -> Result<usize, StackError> {
        let engine = self.engine().await?;
        let snap = Arc::new(snapshot::take(&engine, &self.project).await?);
        let size = snap.size();
        self.snapshots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), Arc::clone(&snap));
        // A copy staged for an earlier snapshot of this name is of no use any more.
        if let Some(old) = self.take_staging(name) {
            old.abort();
            let _ = old.await;
            self.remove_unbound_copies(&engine).await;
        }
        self.wait_ready(&engine).await?;
        self.stage_next(&engine, name, &snap, Vec::new());
        Ok(size)
    }

    /// Puts the stack's named volumes back as snapshot `name` found them: the services that
    /// mount them are recreated on volumes holding the snapshot's data, and waited for. For
    /// plain local volumes the data was copied ahead of time (see [`snapshot`]), so this only
    /// swaps volumes; the next copy is prepared in the background afterwards.
    pub async fn restore(&self, name: &str) -> Result<(), StackError> {
        let snap = {
            let map = self.snapshots.lock().unwrap_or_else(|p| p.into_inner());
            map.get(name)
                .cloned()
                .ok_or_else(|| StackError::NoSnapshot {
                    name: name.to_string(),
                    taken: map.keys().cloned().collect(),
                })?
        };
        let engine = self.engine().await?;
        let mut unused = Vec::new();
        if snapshot::bindable(&self.project, &snap) {
            let ready = match self.take_staging(name) {
                Some(h) => h.await.ok().and_then(Result::ok),
                None => None,
            };
            let staged = match ready {
                Some(s) => s,
                None => {
                    let labels = self.owner_labels();
                    snapshot::stage(&engine, &self.project.name, &labels, &snap).await?
                }
            };
            unused = snapshot::bind_back(&engine, &self.project, &staged).await?;
        } else {
            snapshot::put_back(&engine, &self.project, &snap).await?;
        }
        if !snap.services.is_empty() {
            let mut up = ops::UpOptions::default();
            up.plan.services = snap.services.clone();
            up.plan.no_deps = true;
            ops::up(
                engine.clone(),
                &self.project,
                &up,
                &mut NullReporter,
                Cancel::new(),
            )
            .await?;
        }
        let ready = self.wait_ready(&engine).await;
        if snapshot::bindable(&self.project, &snap) {
            self.stage_next(&engine, name, &snap, unused);
        }
        ready
    }

    /// Starts filling a copy of `snap` for the next restore of `name`, after removing the
    /// copies in `unused` (bound before the last restore, used by nothing now).
    fn stage_next(
        &self,
        engine: &EngineRef,
        name: &str,
        snap: &Arc<Snapshot>,
        unused: Vec<String>,
    ) {
        if !snapshot::bindable(&self.project, snap) {
            return;
        }
        let (engine, snap) = (engine.clone(), Arc::clone(snap));
        let (project, labels) = (self.project.name.clone(), self.owner_labels());
        let task = tokio::spawn(async move {
            for v in unused {
                let _ = engine.remove_volume(&v, true).await;
            }
            snapshot::stage(&engine, &project, &labels, &snap).await
        });
        let old = self
            .staging
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), task);
        if let Some(old) = old {
            old.abort();
        }
    }

    fn take_staging(&self, name: &str) -> Option<Staging> {
        self.staging
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name)
    }

    /// The labels of the stack's own resources (its owner), for the copies of its snapshots.
    fn owner_labels(&self) -> engine::Labels {
        self.project.resource_labels.clone().into_iter().collect()
    }

    /// Removes the snapshot copies that no project volume binds (a staging cut short).
    async fn remove_unbound_copies(&self, engine: &EngineRef) {
        let bound: Vec<String> = match engine
            .list_volumes(&LabelFilter::project(&self.project.name))
            .await
        {
            Ok(list) => list
                .into_iter()
                .filter_map(|v| v.labels.get(snapshot::BOUND_TO).cloned())
                .collect(),
            Err(_) => return,
        };
        if let Ok(copies) = snapshot::staged_volumes(engine, &self.project.name).await {
            for c in copies.into_iter().filter(|c| !bound.contains(c)) {
                let _ = engine.remove_volume(&c, true).await;
            }
        }
    }

    /// Stops filling snapshot copies (a copy cut short is removed with the stack).
    fn abort_staging(&self) -> Vec<Staging> {
        let mut map = self.staging.lock().unwrap_or_else(|p| p.into_inner());
        let tasks: Vec<Staging> = std::mem::take(&mut *map).into_values().collect();
        for t in &tasks {
            t.abort();
        }
        tasks
    }

    /// `down -v`: removes the stack's containers, networks and volumes now.
    pub async fn down(mut self) -> Result<(), StackError> {
        self.down_on_drop = false;
        for t in self.abort_staging() {
            let _ = t.await;
        }
        down_all(self.engine().await?, &self.project).await
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
        engine.clone(),
        &project.name,
        Some(project),
        &opts,
        &mut NullReporter,
        Cancel::new(),
    )
    .await?;
    // The copies of its snapshots (bound or not) are not in the compose file.
    snapshot::remove_copies(&engine, &project.name).await?;
    Ok(())
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.abort_staging();
        if self.keep || !self.down_on_drop {
            return;
        }
        let project = self.project.clone();
        on_own_runtime(async move {
            if let Ok(engine) = connect().await {
                if let Err(e) = down_all(engine, &project).await {
                    eprintln!("rcompose: cleaning up stack {}: {e}", project.name);
                }
            }
        });
    }
}
