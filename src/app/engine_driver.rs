//! The `Driver` over a real (or fake) `engine::Engine`: runs each plan step as engine calls,
//! turns the engine's event stream into container events for the dispatcher, and reads the last
//! health probe output from inspect. Error messages name the service and say what to do.
//! Must not import `loader` or `cli`.

use std::collections::BTreeSet;
use std::sync::Arc;

use futures::future::{ready, BoxFuture};
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};

use crate::engine::{
    Engine, EngineError, EngineEvent, EventAction, EventFilter, EventKind, ExecSpec, LabelFilter,
    Labels, Mount, MountKind, ObjectKind, Progress, RemoveOptions, StateDetails, StopOptions,
};
use crate::model::{Project, ServiceHook};
use crate::plan::{labels, Action, Desired, Step};

use super::cancel::CancelLevel;
use super::driver::{
    ContainerEvent, ContainerEventKind, ContainerNow, Driver, ProgressFn, StepCtx, StepOutput,
};
use super::observe;
use super::spec::{self, InjectedFile, SpecContext};

/// Runs plan steps against an engine. Cheap to clone.
#[derive(Clone)]
pub struct EngineDriver {
    engine: Arc<dyn Engine>,
    project_name: String,
    /// The project, when there is a compose file (needed to create anything).
    project: Option<Arc<Project>>,
    desired: Option<Arc<Desired>>,
}

impl EngineDriver {
    /// A driver for `project_name`; `project`/`desired` are needed for steps that create things.
    pub fn new(
        engine: Arc<dyn Engine>,
        project_name: &str,
        project: Option<Arc<Project>>,
        desired: Option<Arc<Desired>>,
    ) -> Self {
        EngineDriver {
            engine,
            project_name: project_name.to_string(),
            project,
            desired,
        }
    }
}

fn need_project(p: &Option<Arc<Project>>) -> Result<Arc<Project>, String> {
    p.clone()
        .ok_or_else(|| "this step needs the compose file (no project was loaded)".to_string())
}

fn missing_ok(r: Result<(), EngineError>) -> Result<(), EngineError> {
    match r {
        Err(e) if e.is_not_found() => Ok(()),
        other => other,
    }
}

/// The user-facing message of a failed start.
fn start_error(service: &str, container: &str, e: &EngineError) -> String {
    if let EngineError::PortInUse { address, .. } = e {
        let port = if address.is_empty() {
            "a published port"
        } else {
            address
        };
        return format!(
            "service {service}: host port {port} is already in use by another container or process; \
             free it or change the service's `ports:` and run `up` again (container {container} was created and is kept)"
        );
    }
    format!("service {service}: {e}")
}

/// One line of build/pull progress as the user reads it.
pub fn progress_text(p: Progress) -> String {
    match p {
        Progress::Line(l) => l,
        Progress::Status {
            id: Some(id),
            status,
        } => format!("{id}: {status}"),
        Progress::Status { id: None, status } => status,
    }
}

/// Which lifecycle hooks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HookPoint {
    PostStart,
    PreStop,
}

impl HookPoint {
    fn key(self) -> &'static str {
        match self {
            HookPoint::PostStart => "post_start",
            HookPoint::PreStop => "pre_stop",
        }
    }
}

/// Runs the service's `post_start` / `pre_stop` hooks in container `id`, in order; their output
/// goes to `progress`. The first hook that cannot run or exits non-zero is the error (naming the
/// service, the hook and its exit code and output).
async fn run_hooks(
    engine: &dyn Engine,
    project: Option<&Project>,
    service: &str,
    id: &str,
    point: HookPoint,
    progress: &ProgressFn,
) -> Result<(), String> {
    let Some(svc) = project.and_then(|p| p.services.get(service)) else {
        return Ok(());
    };
    let hooks: &[ServiceHook] = match point {
        HookPoint::PostStart => &svc.post_start,
        HookPoint::PreStop => &svc.pre_stop,
    };
    for (i, hook) in hooks.iter().enumerate() {
        let Some(cmd) = hook.command.clone().filter(|c| !c.is_empty()) else {
            continue;
        };
        let shown = shell_words::join(&cmd);
        let spec = ExecSpec {
            cmd,
            env: hook
                .environment
                .iter()
                .map(|(k, v)| match v {
                    Some(v) => format!("{k}={v}"),
                    None => k.clone(),
                })
                .collect(),
            user: hook.user.clone(),
            working_dir: hook.working_dir.clone(),
            privileged: hook.privileged,
            tty: false,
        };
        let out = engine.exec(id, &spec).await.map_err(|e| {
            format!(
                "service {service}: {}[{i}] `{shown}` could not run: {e}",
                point.key()
            )
        })?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for line in text.lines() {
            progress(format!("{}: {line}", point.key()));
        }
        if out.exit_code != 0 {
            return Err(format!(
                "service {service}: {}[{i}] `{shown}` failed with exit code {}{}",
                point.key(),
                out.exit_code,
                if text.trim().is_empty() {
                    String::new()
                } else {
                    format!(": {}", text.trim())
                }
            ));
        }
    }
    Ok(())
}

/// A tar with the injected files (absolute targets become paths under `/`).
pub(crate) fn files_tar(files: &[InjectedFile]) -> Result<Vec<u8>, String> {
    crate::engine::archive::pack_files(
        files
            .iter()
            .map(|f| (f.target.as_str(), f.content.as_slice(), f.mode)),
    )
    .map_err(|e| format!("cannot pack secrets/configs: {e}"))
}

/// Anonymous volumes of `old` worth carrying over: volume mounts that are not project volumes.
async fn anonymous_volumes(
    engine: &dyn Engine,
    project: &Project,
    old_id: &str,
) -> Result<Vec<Mount>, String> {
    let details = match engine.inspect_container(old_id).await {
        Ok(d) => d,
        Err(e) if e.is_not_found() => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot inspect the container being replaced: {e}")),
    };
    let named: BTreeSet<String> = project
        .volumes
        .keys()
        .map(|k| spec::volume_name(project, k))
        .collect();
    Ok(details
        .mounts
        .iter()
        .filter(|m| m.kind == "volume")
        .filter_map(|m| {
            let name = m.name.clone()?;
            (!named.contains(&name)).then(|| Mount {
                kind: MountKind::Volume {
                    nocopy: false,
                    subpath: None,
                    driver: None,
                    driver_opts: Labels::new(),
                    labels: Labels::new(),
                },
                source: Some(name),
                target: m.destination.clone(),
                read_only: m.read_only,
                consistency: None,
            })
        })
        .collect())
}

impl EngineDriver {
    /// Steps on networks, volumes and images (and `Await`); container steps go on to
    /// [`EngineDriver::run_container_step`].
    async fn run_step(self, action: Action, ctx: StepCtx) -> Result<StepOutput, String> {
        let engine = self.engine.clone();
        match action {
            Action::CreateNetwork { key, name } => {
                let project = need_project(&self.project)?;
                let hash = self
                    .desired
                    .as_ref()
                    .and_then(|d| d.networks.get(&key).map(|n| n.config_hash.clone()))
                    .unwrap_or_default();
                let spec = spec::network_spec(&project, &key, &hash);
                match engine.create_network(&spec).await {
                    Ok(_) => Ok(StepOutput::Done),
                    // Created meanwhile (another run): fine if it is there now.
                    Err(e) if e.is_conflict() && engine.inspect_network(&name).await.is_ok() => {
                        Ok(StepOutput::Done)
                    }
                    Err(e) => Err(format!("network {key}: {e}")),
                }
            }
            Action::CreateVolume { key, name } => {
                let project = need_project(&self.project)?;
                let hash = self
                    .desired
                    .as_ref()
                    .and_then(|d| d.volumes.get(&key).map(|n| n.config_hash.clone()))
                    .unwrap_or_default();
                let spec = spec::volume_spec(&project, &key, &hash);
                match engine.create_volume(&spec).await {
                    Ok(_) => Ok(StepOutput::Done),
                    Err(e) if e.is_conflict() && engine.inspect_volume(&name).await.is_ok() => {
                        Ok(StepOutput::Done)
                    }
                    Err(e) => Err(format!("volume {key}: {e}")),
                }
            }
            Action::RemoveNetwork { name } => match missing_ok(engine.remove_network(&name).await) {
                Ok(()) => Ok(StepOutput::Done),
                // Still used by a container outside the project, or (Docker 20.10, moby#42119)
                // by endpoints it leaked: like docker compose v2, warn and leave it rather than
                // fail the whole `down`.
                Err(e) if e.is_conflict() => {
                    (ctx.progress)(format!(
                        "network {name} is still in use (active endpoints); left in place"
                    ));
                    Ok(StepOutput::Done)
                }
                Err(e) => Err(format!("network {name}: {e}")),
            },
            Action::RemoveVolume { name } => missing_ok(engine.remove_volume(&name, false).await)
                .map(|_| StepOutput::Done)
                .map_err(|e| format!("volume {name}: {e}")),
            Action::RemoveImage { image } => missing_ok(engine.remove_image(&image, false).await)
                .map(|_| StepOutput::Done)
                .map_err(|e| format!("image {image}: {e}")),
            Action::PullImage { service, image } => engine
                .pull_image(&image, &|p| (ctx.progress)(progress_text(p)))
                .await
                .map(|_| StepOutput::Done)
                .map_err(|e| {
                    format!(
                        "service {service} needs image {image}, which is not present locally and cannot be pulled: {e}"
                    )
                }),
            Action::BuildImage { service, image } => {
                let project = need_project(&self.project)?;
                let svc = project
                    .services
                    .get(&service)
                    .cloned()
                    .ok_or_else(|| format!("service {service} is not in the project"))?;
                let p = project.clone();
                let spec = tokio::task::spawn_blocking(move || super::context::build_spec(&p, &svc))
                    .await
                    .map_err(|e| format!("service {service}: packing the build context failed: {e}"))??;
                engine
                    .build_image(spec, &|p| (ctx.progress)(progress_text(p)))
                    .await
                    .map(|_| StepOutput::Done)
                    .map_err(|e| format!("service {service}: cannot build image {image}: {e}"))
            }
            Action::PushImage { service, image } => engine
                .push_image(&image, &|p| (ctx.progress)(progress_text(p)))
                .await
                .map(|_| StepOutput::Done)
                .map_err(|e| format!("service {service}: {e}")),
            Action::Await { .. } => Ok(StepOutput::Done),
            Action::PreStart { service } => {
                let project = need_project(&self.project)?;
                super::pre_start::run(engine.as_ref(), &project, &service, &ctx.ids, &ctx.progress)
                    .await
                    .map(|_| StepOutput::Done)
            }
            other => self.run_container_step(other, ctx).await,
        }
    }

    /// Steps on one container.
    async fn run_container_step(self, action: Action, ctx: StepCtx) -> Result<StepOutput, String> {
        let engine = self.engine.clone();
        let cid = || {
            ctx.container_id.clone().ok_or_else(|| {
                "the container to act on is unknown (it was not created)".to_string()
            })
        };
        match action {
            Action::RenameContainer { container, to } => {
                let id = cid()?;
                engine
                    .rename_container(&id, &to)
                    .await
                    .map(|_| StepOutput::Done)
                    .map_err(|e| {
                        format!("service {}: cannot rename to {to}: {e}", container.service)
                    })
            }
            Action::StartContainer { container } => {
                let id = cid()?;
                engine
                    .start_container(&id)
                    .await
                    .map_err(|e| start_error(&container.service, &container.name, &e))?;
                run_hooks(
                    engine.as_ref(),
                    self.project.as_deref(),
                    &container.service,
                    &id,
                    HookPoint::PostStart,
                    &ctx.progress,
                )
                .await?;
                Ok(StepOutput::Done)
            }
            Action::StopContainer { container, timeout } => {
                let id = cid()?;
                let opts = StopOptions {
                    timeout: timeout.and_then(|t| i64::try_from(t).ok()),
                    signal: None,
                };
                let project = self.project.clone();
                let progress = ctx.progress.clone();
                let service = container.service.clone();
                let stop = async {
                    // A failing pre_stop hook never keeps a container from stopping.
                    if let Err(e) = run_hooks(
                        engine.as_ref(),
                        project.as_deref(),
                        &service,
                        &id,
                        HookPoint::PreStop,
                        &progress,
                    )
                    .await
                    {
                        progress(format!("warning: {e}; stopping anyway"));
                    }
                    engine.stop_container(&id, &opts).await
                };
                let forced = ctx.cancel.reached(CancelLevel::Forced);
                let r = tokio::select! {
                    r = stop => r,
                    _ = forced => engine.kill_container(&id, None).await,
                };
                missing_ok(r).map(|_| StepOutput::Done).map_err(|e| {
                    format!(
                        "service {}: cannot stop {}: {e}",
                        container.service, container.name
                    )
                })
            }
            Action::RestartContainer { container, timeout } => {
                let id = cid()?;
                engine
                    .restart_container(&id, timeout.and_then(|t| i64::try_from(t).ok()))
                    .await
                    .map(|_| StepOutput::Done)
                    .map_err(|e| start_error(&container.service, &container.name, &e))
            }
            Action::KillContainer { container, signal } => {
                let id = cid()?;
                match engine.kill_container(&id, signal.as_deref()).await {
                    Ok(()) => Ok(StepOutput::Done),
                    // Not running (any more): nothing to kill.
                    Err(e) if e.is_conflict() || e.is_not_found() => Ok(StepOutput::Done),
                    Err(e) => Err(format!(
                        "service {}: cannot kill {}: {e}",
                        container.service, container.name
                    )),
                }
            }
            Action::RemoveContainer { container, volumes } => {
                let id = cid()?;
                missing_ok(
                    engine
                        .remove_container(
                            &id,
                            RemoveOptions {
                                force: false,
                                volumes,
                            },
                        )
                        .await,
                )
                .map(|_| StepOutput::Done)
                .map_err(|e| {
                    format!(
                        "service {}: cannot remove {}: {e}",
                        container.service, container.name
                    )
                })
            }
            Action::PauseContainer { container } => {
                let id = cid()?;
                engine
                    .pause_container(&id)
                    .await
                    .map(|_| StepOutput::Done)
                    .map_err(|e| {
                        format!(
                            "service {}: cannot pause {}: {e}",
                            container.service, container.name
                        )
                    })
            }
            Action::UnpauseContainer { container } => {
                let id = cid()?;
                engine
                    .unpause_container(&id)
                    .await
                    .map(|_| StepOutput::Done)
                    .map_err(|e| {
                        format!(
                            "service {}: cannot unpause {}: {e}",
                            container.service, container.name
                        )
                    })
            }
            other => self.create_container_step(other, ctx).await,
        }
    }

    /// Creates a container (and copies its secrets and configs in).
    async fn create_container_step(
        self,
        action: Action,
        ctx: StepCtx,
    ) -> Result<StepOutput, String> {
        let engine = self.engine.clone();
        let Action::CreateContainer {
            service,
            number,
            create_as,
            replaces,
            inherit_volumes_from,
            config_hash,
            image,
            ..
        } = action
        else {
            return Err("not a container step".to_string());
        };
        let project = need_project(&self.project)?;
        let svc = project
            .services
            .get(&service)
            .ok_or_else(|| format!("service {service} is not in the project"))?;
        let image_id = engine.inspect_image(&image).await.ok().map(|i| i.id);
        let inherited = match inherit_volumes_from.and_then(|c| c.id) {
            Some(old) => anonymous_volumes(engine.as_ref(), &project, &old).await?,
            None => Vec::new(),
        };
        let sctx = SpecContext {
            number,
            create_as: create_as.clone(),
            config_hash,
            image_id,
            replaces: replaces.and_then(|r| r.id),
            ids: (*ctx.ids).clone(),
            inherited,
        };
        let plan = spec::container_spec(&project, svc, &sctx)?;
        let id = engine.create_container(&plan.spec).await.map_err(|e| match &e {
                EngineError::NotFound {
                    kind: ObjectKind::Image,
                    ..
                } => format!(
                    "service {service}: image {image} is not present locally; pull or build it first"
                ),
                _ => format!("service {service}: cannot create container {create_as}: {e}"),
            })?;
        if !plan.files.is_empty() {
            let tar = files_tar(&plan.files)?;
            engine
                .copy_into(&id, "/", tar.into())
                .await
                .map_err(|e| format!("service {service}: cannot copy secrets/configs in: {e}"))?;
        }
        Ok(StepOutput::Created { id })
    }
}

/// A container event of the project as the dispatcher wants it (one-off containers ignored).
pub fn container_event(e: &EngineEvent) -> Option<ContainerEvent> {
    if e.kind != EventKind::Container {
        return None;
    }
    let attr = |k: &str| e.attributes.get(k);
    if attr(labels::ONEOFF).is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return None;
    }
    let service = attr(labels::SERVICE)?.clone();
    let number = attr(labels::CONTAINER_NUMBER)?.parse().ok()?;
    let kind = match &e.action {
        EventAction::Start => ContainerEventKind::Started,
        EventAction::Die => ContainerEventKind::Died {
            exit_code: e
                .exit_code
                .or_else(|| attr("exitCode").and_then(|c| c.parse().ok()))
                .unwrap_or(-1),
        },
        EventAction::HealthStatus(h) => ContainerEventKind::Health(observe::health(Some(*h))?),
        EventAction::Destroy => ContainerEventKind::Destroyed,
        _ => return None,
    };
    Some(ContainerEvent {
        id: e.id.clone(),
        service,
        number,
        kind,
    })
}

/// What the dispatcher's waits need from an inspected container's state.
pub fn container_now(state: &StateDetails) -> ContainerNow {
    use crate::engine::ContainerState as S;
    let exited = matches!(state.status, S::Exited | S::Dead);
    ContainerNow {
        running: state.running,
        started: state.running || exited || matches!(state.status, S::Paused | S::Restarting),
        exit_code: exited.then_some(state.exit_code),
        health: observe::health(state.health.as_ref().map(|h| h.status)),
    }
}

impl Driver for EngineDriver {
    fn run(&self, step: &Step, ctx: StepCtx) -> BoxFuture<'static, Result<StepOutput, String>> {
        self.clone().run_step(step.action.clone(), ctx).boxed()
    }

    fn events(&self) -> BoxStream<'static, ContainerEvent> {
        let filter = EventFilter {
            labels: LabelFilter::project(&self.project_name),
            kinds: vec!["container".to_string()],
            ..Default::default()
        };
        self.engine
            .events(&filter)
            .take_while(|r| ready(r.is_ok()))
            .filter_map(|r| ready(r.ok().as_ref().and_then(container_event)))
            .boxed()
    }

    fn container_now(&self, container_id: &str) -> BoxFuture<'static, Option<ContainerNow>> {
        let engine = self.engine.clone();
        let id = container_id.to_string();
        async move {
            let d = engine.inspect_container(&id).await.ok()?;
            Some(container_now(&d.state))
        }
        .boxed()
    }

    fn last_health_output(&self, container_id: &str) -> BoxFuture<'static, Option<String>> {
        let engine = self.engine.clone();
        let id = container_id.to_string();
        async move {
            let d = engine.inspect_container(&id).await.ok()?;
            d.state
                .health
                .as_ref()
                .and_then(|h| h.last_output())
                .map(str::to_string)
        }
        .boxed()
    }
}
