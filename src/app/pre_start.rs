//! `pre_start` hooks (docker compose v5.3): each hook runs, in order, in an ephemeral container
//! made from the service's own definition (its volumes, networks, environment, secrets and
//! configs) with the hook's command, image, user, working directory, privilege and extra
//! environment; no ports, no healthcheck, no restart policy, no network aliases. The service's
//! containers start only once every hook has exited 0; a hook that fails is the error, with its
//! exit code and output. The hook containers are removed whatever happens.

use crate::engine::{Engine, RemoveOptions, WaitCondition};
use crate::model::{labels, PreStartHook, Project};

use super::driver::{IdMap, ProgressFn};
use super::spec::{self, SpecContext};

/// The label that marks a hook container (never a replica of the service).
pub const HOOK_LABEL: &str = "org.rcompose.hook";

/// Runs the `pre_start` hooks of `service`.
pub(crate) async fn run(
    engine: &dyn Engine,
    project: &Project,
    service: &str,
    ids: &IdMap,
    progress: &ProgressFn,
) -> Result<(), String> {
    let svc = project
        .services
        .get(service)
        .ok_or_else(|| format!("service {service} is not in the project"))?;
    for (i, hook) in svc.pre_start.iter().enumerate() {
        let Some(cmd) = hook.job.command.clone().filter(|c| !c.is_empty()) else {
            continue;
        };
        let shown = shell_words::join(&cmd);
        let fail = |what: String| format!("service {service}: pre_start[{i}] `{shown}` {what}");
        let name = format!("{}-{service}-pre_start-{}", project.name, i + 1);
        let spec = hook_spec(project, service, hook, cmd, &name, ids).map_err(&fail)?;
        // A hook container left by an interrupted run would hold the name.
        let _ = engine
            .remove_container(
                &name,
                RemoveOptions {
                    force: true,
                    volumes: true,
                },
            )
            .await;
        let (code, output) = run_one(engine, spec).await.map_err(&fail)?;
        for line in output.lines() {
            progress(format!("pre_start: {line}"));
        }
        if code != 0 {
            let detail = if output.trim().is_empty() {
                String::new()
            } else {
                format!(": {}", output.trim())
            };
            return Err(fail(format!("failed with exit code {code}{detail}")));
        }
    }
    Ok(())
}

/// The hook's container: the service's, with the hook's overrides.
fn hook_spec(
    project: &Project,
    service: &str,
    hook: &PreStartHook,
    cmd: Vec<String>,
    name: &str,
    ids: &IdMap,
) -> Result<(crate::engine::ContainerSpec, Vec<spec::InjectedFile>), String> {
    let svc = &project.services[service];
    let sctx = SpecContext {
        number: 1,
        create_as: name.to_string(),
        config_hash: String::new(),
        image_id: None,
        replaces: None,
        ids: ids.clone(),
        inherited: Vec::new(),
    };
    let plan = spec::container_spec(project, svc, &sctx)?;
    let mut s = plan.spec;
    s.name = name.to_string();
    // The hook's job (the loader filled in what it takes from the service) decides what runs;
    // the service's container gives the mounts and networks.
    let job = &hook.job;
    if let Some(image) = job.image.clone().filter(|i| !i.is_empty()) {
        s.image = image;
    }
    s.entrypoint = job.entrypoint.clone();
    s.cmd = Some(cmd);
    for (k, v) in &job.environment {
        s.env.insert(k.clone(), v.clone());
    }
    if let Some(u) = job.user.clone().filter(|u| !u.is_empty()) {
        s.user = Some(u);
    }
    if let Some(w) = job.working_dir.clone().filter(|w| !w.is_empty()) {
        s.working_dir = Some(w);
    }
    s.privileged = job.privileged;
    s.ports.clear();
    s.publish_all_ports = false;
    s.exposed_ports.clear();
    s.healthcheck = None;
    s.restart = None;
    s.tty = false;
    s.stdin_open = false;
    s.hostname = None;
    s.mac_address = None;
    for n in &mut s.networks {
        n.aliases.clear();
        n.ipv4_address = None;
        n.ipv6_address = None;
        n.mac_address = None;
    }
    s.labels = [
        (labels::PROJECT.to_string(), project.name.clone()),
        (HOOK_LABEL.to_string(), format!("{service}/pre_start")),
    ]
    .into_iter()
    .chain(project.resource_labels.clone())
    .collect();
    Ok((s, plan.files))
}

/// Creates, starts and waits for one hook container; returns its exit code and output, and
/// removes it.
async fn run_one(
    engine: &dyn Engine,
    (spec, files): (crate::engine::ContainerSpec, Vec<spec::InjectedFile>),
) -> Result<(i64, String), String> {
    let id = engine
        .create_container(&spec)
        .await
        .map_err(|e| format!("could not be created: {e}"))?;
    let result = async {
        if !files.is_empty() {
            let tar = super::engine_driver::files_tar(&files)?;
            engine
                .copy_into(&id, "/", tar.into())
                .await
                .map_err(|e| format!("could not get its secrets/configs: {e}"))?;
        }
        engine
            .start_container(&id)
            .await
            .map_err(|e| format!("could not start: {e}"))?;
        let code = engine
            .wait_container(&id, WaitCondition::NotRunning)
            .await
            .map_err(|e| format!("could not be waited for: {e}"))?;
        let output = super::logs::text(engine, &id, None)
            .await
            .unwrap_or_default();
        Ok::<_, String>((code, output))
    }
    .await;
    let _ = engine
        .remove_container(
            &id,
            RemoveOptions {
                force: true,
                volumes: true,
            },
        )
        .await;
    result
}
