//! One-off containers (`run`) and the container an `exec` lands in.
//!
//! Owns: the service as `run` creates it (command/entrypoint/env/user/workdir/ports/volumes
//! overridden, no restart policy), the one-off's container spec (docker compose v2's name
//! `<project>-<service>-run-<12 hex>`, labels `com.docker.compose.oneoff=True` and
//! `com.docker.compose.slug`, only its own name as network alias unless `--use-aliases`), what it
//! needs before it can be created (its image, networks and named volumes), and the choice of the
//! container `exec` runs in. Its dependencies and the wait for their `depends_on` conditions are
//! a plan (`plan::Intent::Run`, through `ops::run_dependencies`): the dispatcher is the only
//! thing that evaluates a condition.
//! Must not import `loader` or `cli`.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::{ContainerState, ContainerSummary, Engine, ObjectKind};
use crate::loader::{dotenv, LoadError, Warnings};
use crate::model::labels;
use crate::model::{Port, Project, Service, ServiceVolume};
use crate::plan::{Desired, PullPolicy};

use super::engine_driver::progress_text;
use super::spec::{self, ContainerPlan, SpecContext};

/// The label docker compose v2 puts on a one-off container: its full random id.
pub const SLUG: &str = "com.docker.compose.slug";

/// What `run` changes in the service's configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunOptions {
    /// `--name` (default: `<project>-<service>-run-<12 hex>`).
    pub name: Option<String>,
    /// The command; empty keeps the service's.
    pub command: Vec<String>,
    /// `--entrypoint`, already split into words. Without a command it also resets the command.
    pub entrypoint: Option<Vec<String>>,
    /// `-e KEY=VAL`, or `-e KEY` (its value from the project's environment, else left out).
    pub env: Vec<String>,
    /// `-l KEY=VAL`.
    pub labels: Vec<(String, String)>,
    pub user: Option<String>,
    pub workdir: Option<String>,
    /// `-v`, in the long form.
    pub volumes: Vec<ServiceVolume>,
    /// `-p`, in the long form (replaces the service's ports).
    pub publish: Vec<Port>,
    /// `--service-ports`: keep the service's ports (without it, none are published).
    pub service_ports: bool,
    /// `--cap-add`: added to the service's `cap_add` (and taken out of its `cap_drop`).
    pub cap_add: Vec<String>,
    /// `--cap-drop`: added to the service's `cap_drop` (and taken out of its `cap_add`).
    pub cap_drop: Vec<String>,
    /// `--use-aliases`: join networks with the service's aliases too.
    pub use_aliases: bool,
    pub tty: bool,
    /// Keep stdin open (`-i`, the default).
    pub interactive: bool,
    /// `--rm`: the engine removes the container when it exits.
    pub remove: bool,
    /// `--build`: build the service's image (when it has a `build:` section) before running.
    pub build: bool,
    /// `--pull always|missing|never` (`None`: the service's `pull_policy`).
    pub pull: Option<PullPolicy>,
}

/// What `run` does for the one-off's image: build it, pull it, or use what is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ImageStep {
    Build,
    Pull,
    Use,
}

/// The image step for `service` (its image `present` or not) under `--build` / `--pull`, the
/// service's `pull_policy` standing in for a missing `--pull`, as docker compose v5 decides.
/// A missing image that may not be pulled (`never`) is an error naming the service.
fn image_step(service: &Service, o: &RunOptions, present: bool) -> Result<ImageStep, String> {
    let buildable = service.build.is_some();
    let policy = service.pull_policy.as_deref().unwrap_or("missing");
    if buildable && (o.build || (o.pull.is_none() && policy == "build")) {
        return Ok(ImageStep::Build);
    }
    let pull = match o.pull {
        Some(p) => p,
        None => match policy {
            "always" => PullPolicy::Always,
            "never" => PullPolicy::Never,
            _ => PullPolicy::Missing,
        },
    };
    match (pull, present) {
        (PullPolicy::Always, _) if !buildable || present => Ok(ImageStep::Pull),
        (_, true) => Ok(ImageStep::Use),
        (_, false) if buildable => Ok(ImageStep::Build),
        (PullPolicy::Never, false) => Err(format!(
            "service {}: image {} is not present locally and the pull policy is never; build or pull it first",
            service.name,
            service.image.as_deref().unwrap_or_default()
        )),
        (_, false) => Ok(ImageStep::Pull),
    }
}

/// `run --env-from-file FILE...`: the variables of the files (dotenv format) as `KEY=VALUE`,
/// for the one-off's environment, `given` being the `-e KEY=VALUE`s. As docker compose v5 reads
/// them: `-e` wins, then the first file that sets a variable (within one file, its last line);
/// a file may use `-e`'s variables, the earlier files' and its own earlier ones (`${A}`), not
/// the shell's.
pub fn env_from_files(
    files: &[std::path::PathBuf],
    given: &[String],
) -> Result<Vec<String>, LoadError> {
    let mut vars: indexmap::IndexMap<String, String> = given
        .iter()
        .filter_map(|e| e.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let seeded = vars.len();
    let mut warnings = Warnings::default();
    for f in files {
        let mut file_vars = indexmap::IndexMap::new();
        let earlier = |k: &str| vars.get(k).cloned();
        dotenv::read_file(
            f,
            dotenv::Format::DotEnv,
            &earlier,
            &mut file_vars,
            &mut warnings,
        )?;
        for (k, v) in file_vars {
            vars.entry(k).or_insert(v);
        }
    }
    Ok(vars
        .into_iter()
        .skip(seeded)
        .map(|(k, v)| format!("{k}={v}"))
        .collect())
}

/// A fresh random 64-hex id (the slug), from the kernel's random source.
pub fn new_slug() -> String {
    let mut bytes = [0u8; 32];
    let from_kernel = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .is_ok();
    if !from_kernel {
        use sha2::{Digest, Sha256};
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let seed = format!(
            "{}-{}-{:?}",
            std::process::id(),
            now.as_nanos(),
            &bytes as *const _
        );
        bytes.copy_from_slice(&Sha256::digest(seed.as_bytes()));
    }
    hex::encode(bytes)
}

/// docker compose v2's one-off name: `<project>-<service>-run-<first 12 hex of the slug>`.
pub fn oneoff_name(project: &str, service: &str, slug: &str) -> String {
    crate::model::names::oneoff_name(project, service, slug)
}

/// The service as `run` creates it: `o`'s overrides applied; no restart policy, no ports unless
/// asked for, and `tty`/`stdin_open` as the run wants them.
pub fn run_service(project: &Project, service: &Service, o: &RunOptions) -> Service {
    let mut s = service.clone();
    s.container_name = None;
    if !o.command.is_empty() {
        s.command = Some(o.command.clone());
    }
    if let Some(ep) = &o.entrypoint {
        s.entrypoint = Some(ep.clone());
        if o.command.is_empty() {
            s.command = Some(Vec::new());
        }
    }
    if let Some(u) = o.user.as_ref().filter(|u| !u.is_empty()) {
        s.user = Some(u.clone());
    }
    if let Some(w) = o.workdir.as_ref().filter(|w| !w.is_empty()) {
        s.working_dir = Some(w.clone());
    }
    for e in &o.env {
        match e.split_once('=') {
            Some((k, v)) => {
                s.environment.insert(k.to_string(), Some(v.to_string()));
            }
            None => {
                if let Some(v) = project.environment.get(e.as_str()) {
                    s.environment.insert(e.clone(), Some(v.clone()));
                }
            }
        }
    }
    for (k, v) in &o.labels {
        s.labels.insert(k.clone(), v.clone());
    }
    if !o.service_ports {
        s.ports.clear();
    }
    if !o.publish.is_empty() {
        s.ports = o.publish.clone();
    }
    for v in &o.volumes {
        // A volume on a target the service already mounts replaces that mount.
        s.volumes
            .retain(|old| old.target.is_none() || old.target != v.target);
        s.volumes.push(v.clone());
    }
    // As docker compose does: the flag wins over the file's opposite list.
    for c in &o.cap_add {
        s.cap_drop.retain(|d| !d.eq_ignore_ascii_case(c));
        if !s.cap_add.iter().any(|a| a.eq_ignore_ascii_case(c)) {
            s.cap_add.push(c.clone());
        }
    }
    for c in &o.cap_drop {
        s.cap_add.retain(|a| !a.eq_ignore_ascii_case(c));
        if !s.cap_drop.iter().any(|d| d.eq_ignore_ascii_case(c)) {
            s.cap_drop.push(c.clone());
        }
    }
    s.restart = None;
    if let Some(d) = s.deploy.as_mut() {
        d.restart_policy = None;
    }
    s.tty = o.tty;
    s.stdin_open = o.interactive;
    s
}

/// Container ids of the project's service containers by (service, number), for `service:x`
/// references (`network_mode`, `volumes_from`...).
pub fn service_ids(containers: &[ContainerSummary]) -> BTreeMap<(String, u32), String> {
    containers
        .iter()
        .filter(|c| !is_oneoff(c))
        .filter_map(|c| {
            let service = c.labels.get(labels::SERVICE)?.clone();
            let number = c.labels.get(labels::CONTAINER_NUMBER)?.parse().ok()?;
            Some(((service, number), c.id.clone()))
        })
        .collect()
}

/// Whether a container was made by `run`.
pub fn is_oneoff(c: &ContainerSummary) -> bool {
    c.labels
        .get(labels::ONEOFF)
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// The one-off container to create for `service` (already passed through [`run_service`]) in
/// `project` (as `plan::with_default_network` returns it).
#[allow(clippy::too_many_arguments)]
pub fn container_plan(
    project: &Project,
    service: &Service,
    o: &RunOptions,
    name: &str,
    slug: &str,
    config_hash: &str,
    image_id: Option<String>,
    ids: BTreeMap<(String, u32), String>,
) -> Result<ContainerPlan, String> {
    let mut svc = service.clone();
    svc.container_name = Some(name.to_string());
    let ctx = SpecContext {
        number: 1,
        create_as: name.to_string(),
        config_hash: config_hash.to_string(),
        image_id,
        replaces: None,
        ids,
        inherited: Vec::new(),
    };
    let mut plan = spec::container_spec(project, &svc, &ctx)?;
    plan.spec
        .labels
        .insert(labels::ONEOFF.into(), "True".into());
    plan.spec.labels.insert(SLUG.into(), slug.to_string());
    if !o.use_aliases {
        for n in &mut plan.spec.networks {
            n.aliases = vec![name.to_string()];
        }
    }
    plan.spec.restart = None;
    plan.spec.stdin_once = o.interactive;
    plan.spec.auto_remove = o.remove;
    Ok(plan)
}

/// Creates the one-off container and copies its `content`/`environment` secrets and configs in;
/// returns its id. Nothing is left behind when the copy fails.
pub async fn create(engine: &Arc<dyn Engine>, plan: &ContainerPlan) -> Result<String, String> {
    let name = &plan.spec.name;
    let id = engine
        .create_container(&plan.spec)
        .await
        .map_err(|e| match &e {
            crate::engine::EngineError::NotFound {
                kind: ObjectKind::Image,
                ..
            } => format!(
                "image {} is not present locally; pull or build it first",
                plan.spec.image
            ),
            _ => format!("cannot create the one-off container {name}: {e}"),
        })?;
    if !plan.files.is_empty() {
        let tar = super::engine_driver::files_tar(&plan.files)?;
        if let Err(e) = engine.copy_into(&id, "/", tar.into()).await {
            let _ = engine
                .remove_container(
                    &id,
                    crate::engine::RemoveOptions {
                        force: true,
                        volumes: true,
                    },
                )
                .await;
            return Err(format!("cannot copy secrets/configs into {name}: {e}"));
        }
    }
    Ok(id)
}

/// A one-off container `run` created and has not started yet.
#[derive(Debug, Clone)]
pub struct Created {
    pub id: String,
    pub name: String,
    pub slug: String,
}

/// Everything `run` does before it starts the one-off, for `service` of `project` (both as
/// [`prepared`] returns them): makes sure its image, networks and volumes exist (`progress` gets
/// build/pull lines), names it (`name`, else `<project>-<service>-run-<slug>`) and creates it.
/// Returns `None`, having created nothing, when `interrupted()` says the user pressed Ctrl-C
/// meanwhile.
#[allow(clippy::too_many_arguments)]
pub async fn create_for_run(
    engine: &Arc<dyn Engine>,
    project: &Project,
    desired: &Desired,
    service: &Service,
    options: &RunOptions,
    name: Option<String>,
    progress: &(dyn Fn(String) + Send + Sync),
    interrupted: &(dyn Fn() -> bool + Sync),
) -> Result<Option<Created>, String> {
    let config_hash = desired
        .services
        .get(&service.name)
        .map(|d| d.config_hash.clone())
        .unwrap_or_default();
    super::ops::check_externals(engine, Some(project), desired)
        .await
        .map_err(|e| e.to_string())?;
    ensure_resources(engine, project, desired, service, options, progress).await?;
    let run_service = run_service(project, service, options);
    let slug = new_slug();
    let name = name
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| oneoff_name(&project.name, &service.name, &slug));
    let all = engine
        .list_containers(&crate::engine::LabelFilter::project(&project.name))
        .await
        .map_err(|e| {
            format!(
                "cannot list the containers of project {}: {e}",
                project.name
            )
        })?;
    let image_id = engine
        .inspect_image(&run_service.image_name(&project.name))
        .await
        .ok()
        .map(|i| i.id);
    let container = container_plan(
        project,
        &run_service,
        options,
        &name,
        &slug,
        &config_hash,
        image_id,
        service_ids(&all),
    )?;
    if interrupted() {
        // Ctrl-C while the dependencies or the image were being prepared: create nothing.
        return Ok(None);
    }
    let id = create(engine, &container)
        .await
        .map_err(|m| format!("service {}: {m}", service.name))?;
    Ok(Some(Created { id, name, slug }))
}

/// Removes a one-off container with its anonymous volumes; one already gone (or being removed by
/// the engine's `--rm`) is not an error.
pub async fn remove(engine: &Arc<dyn Engine>, id: &str) -> Result<(), crate::engine::EngineError> {
    match engine
        .remove_container(
            id,
            crate::engine::RemoveOptions {
                force: true,
                volumes: true,
            },
        )
        .await
    {
        Err(e) if !gone(&e) && !e.is_conflict() => Err(e),
        _ => Ok(()),
    }
}

/// The project as `run` plans its one-off (the default network added) and its desired state.
pub fn prepared(loaded: &Project) -> Result<(Project, Desired), crate::plan::PlanError> {
    let project = crate::plan::with_default_network(loaded);
    let desired = crate::plan::desired_of(&project)?;
    Ok((project, desired))
}

/// Makes sure what the one-off needs exists: its image (built when the service has `build:`,
/// else pulled), its project networks and named volumes. `progress` gets build/pull lines.
pub async fn ensure_resources(
    engine: &Arc<dyn Engine>,
    project: &Project,
    desired: &Desired,
    service: &Service,
    options: &RunOptions,
    progress: &(dyn Fn(String) + Send + Sync),
) -> Result<(), String> {
    let name = &service.name;
    let image = service.image_name(&project.name);
    let present = engine
        .image_exists(&image)
        .await
        .map_err(|e| format!("service {name}: cannot inspect image {image}: {e}"))?;
    match image_step(service, options, present)? {
        ImageStep::Use => {}
        ImageStep::Build => {
            let p = project.clone();
            let svc = service.clone();
            let spec = tokio::task::spawn_blocking(move || super::context::build_spec(&p, &svc))
                .await
                .map_err(|e| format!("service {name}: packing the build context failed: {e}"))??;
            engine
                .build_image(spec, &|p| progress(progress_text(p)))
                .await
                .map_err(|e| format!("service {name}: cannot build image {image}: {e}"))?;
        }
        ImageStep::Pull => {
            engine
                .pull_image(&image, &|p| progress(progress_text(p)))
                .await
                .map_err(|e| {
                    let missing = if present { "" } else { "is not present locally and " };
                    format!(
                        "service {name} needs image {image}, which {missing}cannot be pulled: {e}; build it locally or fix the image name"
                    )
                })?;
        }
    }
    for key in service.networks.keys() {
        let external = project.networks.get(key).is_some_and(|n| n.external);
        let net = spec::network_name(project, key);
        match engine.inspect_network(&net).await {
            Ok(_) => continue,
            Err(e) if !e.is_not_found() => {
                return Err(format!("service {name}: cannot inspect network {net}: {e}"))
            }
            Err(_) if external => {
                return Err(format!(
                    "service {name}: external network {net} does not exist; create it first (docker network create {net})"
                ))
            }
            Err(_) => {}
        }
        let hash = desired
            .networks
            .get(key)
            .map(|n| n.config_hash.clone())
            .unwrap_or_default();
        match engine
            .create_network(&spec::network_spec(project, key, &hash))
            .await
        {
            Ok(_) => {}
            Err(e) if e.is_conflict() => {}
            Err(e) => return Err(format!("service {name}: cannot create network {net}: {e}")),
        }
    }
    for v in &service.volumes {
        let Some(source) = v.source.as_deref() else {
            continue;
        };
        let Some(def) = project.volumes.get(source) else {
            continue;
        };
        if !matches!(v.kind.as_str(), "volume" | "") || def.external {
            continue;
        }
        let vol = spec::volume_name(project, source);
        match engine.inspect_volume(&vol).await {
            Ok(_) => continue,
            Err(e) if !e.is_not_found() => {
                return Err(format!("service {name}: cannot inspect volume {vol}: {e}"))
            }
            Err(_) => {}
        }
        let hash = desired
            .volumes
            .get(source)
            .map(|n| n.config_hash.clone())
            .unwrap_or_default();
        match engine
            .create_volume(&spec::volume_spec(project, source, &hash))
            .await
        {
            Ok(_) => {}
            Err(e) if e.is_conflict() => {}
            Err(e) => return Err(format!("service {name}: cannot create volume {vol}: {e}")),
        }
    }
    Ok(())
}

/// The container `exec` runs in: among the service's running containers, replica `index`
/// (default: the lowest number, service containers before one-offs).
pub fn exec_target<'a>(
    containers: &'a [ContainerSummary],
    service: &str,
    index: Option<u32>,
) -> Result<&'a ContainerSummary, String> {
    let number = |c: &ContainerSummary| -> u32 {
        c.labels
            .get(labels::CONTAINER_NUMBER)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let mut running: Vec<&ContainerSummary> = containers
        .iter()
        .filter(|c| c.labels.get(labels::SERVICE).map(String::as_str) == Some(service))
        .filter(|c| c.state == ContainerState::Running || c.state == ContainerState::Paused)
        .collect();
    running.sort_by_key(|c| (number(c), is_oneoff(c), c.name().to_string()));
    if running.is_empty() {
        return Err(format!(
            "service {service:?} is not running; start it with `up -d {service}` (or use `run` for a one-off container)"
        ));
    }
    match index {
        None => Ok(running[0]),
        Some(i) => running
            .iter()
            .copied()
            .find(|c| !is_oneoff(c) && number(c) == i)
            .ok_or_else(|| {
                let mut have: Vec<String> = running
                    .iter()
                    .filter(|c| !is_oneoff(c))
                    .map(|c| format!("#{}", number(c)))
                    .collect();
                have.dedup();
                format!(
                    "service {service:?} is not running container #{i} (running: {}); pick one of those with --index",
                    if have.is_empty() { "none".to_string() } else { have.join(", ") }
                )
            }),
    }
}

/// A short reason for a failed one-off start, and the exit code docker gives it: 127 when the
/// command cannot be found, 126 when it cannot be run, else 1.
pub fn start_failure_code(e: &crate::engine::EngineError) -> i32 {
    match e {
        crate::engine::EngineError::CommandNotFound {
            not_executable: false,
            ..
        } => 127,
        crate::engine::EngineError::CommandNotFound {
            not_executable: true,
            ..
        } => 126,
        _ => 1,
    }
}

/// Whether an engine error says the object is gone (e.g. an auto-removed one-off).
pub fn gone(e: &crate::engine::EngineError) -> bool {
    matches!(
        e,
        crate::engine::EngineError::NotFound {
            kind: ObjectKind::Container,
            ..
        }
    ) || matches!(e, crate::engine::EngineError::RemovalInProgress { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_image_step_follows_build_pull_and_the_pull_policy() {
        let image = Service {
            name: "s".into(),
            image: Some("x:1".into()),
            ..Default::default()
        };
        let buildable = Service {
            build: Some(Default::default()),
            ..image.clone()
        };
        let o = |build: bool, pull: Option<PullPolicy>| RunOptions {
            build,
            pull,
            ..Default::default()
        };
        let step = |s: &Service, o: &RunOptions, present: bool| image_step(s, o, present);
        assert_eq!(step(&image, &o(false, None), true), Ok(ImageStep::Use));
        assert_eq!(step(&image, &o(false, None), false), Ok(ImageStep::Pull));
        assert_eq!(
            step(&image, &o(false, Some(PullPolicy::Always)), true),
            Ok(ImageStep::Pull)
        );
        assert!(step(&image, &o(false, Some(PullPolicy::Never)), false)
            .is_err_and(|e| e.contains("service s") && e.contains("never")));
        // --build builds what has a build section, even when the image is there.
        assert_eq!(step(&buildable, &o(true, None), true), Ok(ImageStep::Build));
        assert_eq!(step(&image, &o(true, None), true), Ok(ImageStep::Use));
        assert_eq!(
            step(&buildable, &o(false, None), false),
            Ok(ImageStep::Build)
        );
        // The service's pull_policy stands in for a missing --pull.
        let always = Service {
            pull_policy: Some("always".into()),
            ..image.clone()
        };
        assert_eq!(step(&always, &o(false, None), true), Ok(ImageStep::Pull));
        assert_eq!(
            step(&always, &o(false, Some(PullPolicy::Missing)), true),
            Ok(ImageStep::Use)
        );
    }
    use crate::engine::Labels;

    fn summary(
        name: &str,
        service: &str,
        number: Option<u32>,
        oneoff: bool,
        state: ContainerState,
    ) -> ContainerSummary {
        let mut l = Labels::new();
        l.insert(labels::SERVICE.into(), service.into());
        if let Some(n) = number {
            l.insert(labels::CONTAINER_NUMBER.into(), n.to_string());
        }
        l.insert(
            labels::ONEOFF.into(),
            if oneoff { "True" } else { "False" }.into(),
        );
        ContainerSummary {
            id: format!("id-{name}"),
            names: vec![name.to_string()],
            labels: l,
            state,
            ..Default::default()
        }
    }

    #[test]
    fn oneoff_names_follow_docker_compose_v2() {
        let slug = new_slug();
        assert_eq!(slug.len(), 64);
        assert!(slug.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(slug, new_slug());
        assert_eq!(
            oneoff_name("p", "web", "0123456789abcdef"),
            "p-web-run-0123456789ab"
        );
    }

    #[test]
    fn exec_picks_the_lowest_running_replica_before_one_offs() {
        let list = vec![
            summary("p-web-run-x", "web", Some(1), true, ContainerState::Running),
            summary("p-web-2", "web", Some(2), false, ContainerState::Running),
            summary("p-web-1", "web", Some(1), false, ContainerState::Running),
            summary("p-db-1", "db", Some(1), false, ContainerState::Running),
        ];
        assert_eq!(
            exec_target(&list, "web", None).map(|c| c.name()),
            Ok("p-web-1")
        );
        assert_eq!(
            exec_target(&list, "web", Some(2)).map(|c| c.name()),
            Ok("p-web-2")
        );
        let e = exec_target(&list, "web", Some(3)).unwrap_err();
        assert!(
            e.contains("#3") && e.contains("#1, #2") && e.contains("--index"),
            "{e}"
        );
        let stopped = vec![summary(
            "p-web-1",
            "web",
            Some(1),
            false,
            ContainerState::Exited,
        )];
        let e = exec_target(&stopped, "web", None).unwrap_err();
        assert!(e.contains("not running") && e.contains("up -d web"), "{e}");
        let only_oneoff = vec![summary(
            "p-web-run-x",
            "web",
            Some(1),
            true,
            ContainerState::Running,
        )];
        assert_eq!(
            exec_target(&only_oneoff, "web", None).map(|c| c.name()),
            Ok("p-web-run-x")
        );
    }

    #[test]
    fn run_overrides_command_entrypoint_env_ports_and_restart() {
        let mut project = Project {
            name: "p".into(),
            ..Default::default()
        };
        project
            .environment
            .insert("FROM_SHELL".into(), "shell".into());
        let mut svc = Service {
            name: "web".into(),
            command: Some(vec!["serve".into()]),
            restart: Some("always".into()),
            ports: vec![Port {
                target: 80,
                ..Default::default()
            }],
            ..Default::default()
        };
        svc.environment.insert("KEEP".into(), Some("1".into()));
        let o = RunOptions {
            entrypoint: Some(vec!["sh".into()]),
            env: vec!["A=b".into(), "FROM_SHELL".into(), "UNSET".into()],
            interactive: true,
            ..Default::default()
        };
        let s = run_service(&project, &svc, &o);
        assert_eq!(s.entrypoint, Some(vec!["sh".to_string()]));
        assert_eq!(
            s.command,
            Some(vec![]),
            "--entrypoint without a command resets it"
        );
        assert_eq!(s.environment.get("A"), Some(&Some("b".to_string())));
        assert_eq!(
            s.environment.get("FROM_SHELL"),
            Some(&Some("shell".to_string()))
        );
        assert!(!s.environment.contains_key("UNSET"));
        assert_eq!(s.environment.get("KEEP"), Some(&Some("1".to_string())));
        assert!(
            s.ports.is_empty(),
            "ports are published only with --service-ports"
        );
        assert_eq!(s.restart, None);
        assert!(s.stdin_open);
        let kept = run_service(
            &project,
            &svc,
            &RunOptions {
                service_ports: true,
                command: vec!["echo".into()],
                ..Default::default()
            },
        );
        assert_eq!(kept.ports.len(), 1);
        assert_eq!(kept.command, Some(vec!["echo".to_string()]));
    }

    #[test]
    fn run_cap_flags_extend_the_service_and_win_over_its_opposite_list() {
        let project = Project::default();
        let svc = Service {
            name: "web".into(),
            cap_add: vec!["NET_ADMIN".into(), "SYS_TIME".into()],
            cap_drop: vec!["CHOWN".into()],
            ..Default::default()
        };
        let o = RunOptions {
            cap_add: vec!["chown".into(), "SYS_PTRACE".into()],
            cap_drop: vec!["SYS_TIME".into(), "MKNOD".into()],
            ..Default::default()
        };
        let s = run_service(&project, &svc, &o);
        assert_eq!(s.cap_add, ["NET_ADMIN", "chown", "SYS_PTRACE"]);
        assert_eq!(s.cap_drop, ["SYS_TIME", "MKNOD"]);
    }

    #[test]
    fn oneoff_spec_is_labelled_and_aliased_like_docker_compose() {
        let project = crate::plan::with_default_network(&Project {
            name: "p".into(),
            services: [(
                "web".to_string(),
                Service {
                    name: "web".into(),
                    image: Some("busybox".into()),
                    ..Default::default()
                },
            )]
            .into_iter()
            .collect(),
            ..Default::default()
        });
        let svc = project.services["web"].clone();
        let o = RunOptions {
            remove: true,
            interactive: true,
            ..Default::default()
        };
        let plan = container_plan(
            &project,
            &svc,
            &o,
            "p-web-run-abc",
            "abc",
            "h",
            None,
            BTreeMap::new(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let l = &plan.spec.labels;
        assert_eq!(l[labels::ONEOFF], "True");
        assert_eq!(l[SLUG], "abc");
        assert_eq!(l[labels::SERVICE], "web");
        assert_eq!(l[labels::PROJECT], "p");
        assert_eq!(plan.spec.name, "p-web-run-abc");
        assert_eq!(
            plan.spec.networks[0].aliases,
            vec!["p-web-run-abc".to_string()]
        );
        assert!(plan.spec.auto_remove && plan.spec.stdin_once);
        assert_eq!(
            start_failure_code(&crate::engine::EngineError::CommandNotFound {
                message: "exec: \"nope\": executable file not found in $PATH".into(),
                not_executable: false,
            }),
            127
        );
        assert_eq!(
            start_failure_code(&crate::engine::EngineError::Api {
                status: 500,
                message: "boom".into()
            }),
            1
        );
    }
}
