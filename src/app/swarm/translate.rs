//! Pure translation of a resolved compose project into swarm objects, as the docker CLI's
//! `cli/compose/convert` does: services `<stack>_<service>`, networks `<stack>_<name>` (overlay),
//! secrets and configs `<stack>_<name>-<content hash>`, every object labelled
//! `com.docker.stack.namespace=<stack>`. What Swarm cannot express is a [`Warning`] naming the
//! service, the key and the reason. No I/O but the caller's `read` of secret and config files.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

pub use crate::app::convert::Warning;
use crate::engine::swarm::SwarmObjectKind;
use crate::engine::types::{Labels, NetworkSpec};
use crate::model::{FileObject, GoDuration, Healthcheck, Project, Service};

/// The label every stack object carries (the docker CLI's).
pub const NAMESPACE: &str = "com.docker.stack.namespace";
/// The image a service was deployed with (the docker CLI's).
pub const IMAGE: &str = "com.docker.stack.image";
/// The hash of the spec rcompose sent, so a second deploy updates only what changed.
pub const SPEC_HASH: &str = "org.rcompose.swarm.spec-hash";

/// A secret or config to exist before the services.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredObject {
    pub kind: SwarmObjectKind,
    /// The compose key (`secrets.<key>`).
    pub key: String,
    /// Engine name; an external one already exists.
    pub name: String,
    pub external: bool,
    pub labels: Labels,
    pub data: Vec<u8>,
}

/// One service's spec, with the secrets and configs it references by name (ids are filled in
/// at deploy time by [`resolve_ids`]).
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredService {
    /// The compose service name.
    pub service: String,
    /// `<stack>_<service>`.
    pub name: String,
    pub spec: Value,
    /// The hash of `spec` (stored as the [`SPEC_HASH`] label).
    pub hash: String,
    /// Desired replicas (`None`: global).
    pub replicas: Option<u64>,
}

/// Everything a deploy needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Desired {
    pub networks: Vec<NetworkSpec>,
    /// External networks that must already exist (engine names).
    pub external_networks: Vec<String>,
    pub objects: Vec<DesiredObject>,
    pub services: Vec<DesiredService>,
    pub warnings: Vec<Warning>,
}

/// Why a project cannot become a stack.
#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    #[error("services.{service}.{key}: {reason}")]
    Unsupported {
        service: String,
        key: String,
        reason: String,
    },
    #[error("{key}: cannot read {path}: {source}")]
    File {
        key: String,
        path: String,
        source: std::io::Error,
    },
}

/// Reads a secret's or config's file.
pub type ReadFile<'a> = &'a dyn Fn(&Path) -> std::io::Result<Vec<u8>>;

/// `<stack>_<name>`.
pub fn scoped(stack: &str, name: &str) -> String {
    format!("{stack}_{name}")
}

fn ns_labels(stack: &str) -> Labels {
    Labels::from([(NAMESPACE.to_string(), stack.to_string())])
}

/// The compose keys `svc` sets that Swarm ignores (the docker CLI's unsupported and deprecated
/// properties, and every single-engine key the engine's swarm API (1.41) has no field for), with
/// the reason. Keys translated in part warn where they are read ([`service`]).
fn set_keys(svc: &Service) -> Vec<(&'static str, &'static str)> {
    let unsupported = "not supported by swarm services; ignored";
    let no_field = "the engine's swarm API has no field for it; ignored";
    let cpu = "use deploy.resources.limits.cpus (or reservations.cpus); ignored";
    let mem = "use deploy.resources.limits.memory (or reservations.memory); ignored";
    let hooks = "lifecycle hooks are not supported by swarm; ignored";
    let set = |o: &Option<String>| o.is_some();
    let checks: &[(&str, bool, &str)] = &[
        ("annotations", !svc.annotations.is_empty(), no_field),
        ("attach", svc.attach.is_some(), "a compose-only setting (swarm services are always detached); ignored"),
        ("build", svc.build.is_some(), "swarm does not build: the image must exist (build it first); ignored"),
        ("develop", svc.develop.is_some(), "a development feature (watch) of docker compose; ignored"),
        ("blkio_config", svc.blkio_config.is_some(), no_field),
        ("cgroup_parent", set(&svc.cgroup_parent), unsupported),
        ("cgroup", set(&svc.cgroup), unsupported),
        ("cpu_count", svc.cpu_count != 0, no_field),
        ("cpu_percent", svc.cpu_percent != 0.0, no_field),
        ("cpu_period", svc.cpu_period != 0, no_field),
        ("cpu_quota", svc.cpu_quota != 0, cpu),
        ("cpu_rt_period", svc.cpu_rt_period != 0, no_field),
        ("cpu_rt_runtime", svc.cpu_rt_runtime != 0, no_field),
        ("cpus", svc.cpus != 0.0, cpu),
        ("cpuset", set(&svc.cpuset), no_field),
        ("cpu_shares", svc.cpu_shares != 0, cpu),
        ("container_name", set(&svc.container_name), "setting the container name is not supported (tasks are named <stack>_<service>.<slot>.<id>); ignored"),
        ("depends_on", !svc.depends_on.is_empty(), "swarm starts services in no order; ignored"),
        ("device_cgroup_rules", !svc.device_cgroup_rules.is_empty(), no_field),
        ("devices", !svc.devices.is_empty(), unsupported),
        ("domainname", set(&svc.domainname), unsupported),
        ("expose", !svc.expose.is_empty(), "exposing ports is unnecessary: services on the same network reach each other's tasks on any port; ignored"),
        ("external_links", !svc.external_links.is_empty(), unsupported),
        ("gpus", !svc.gpus.is_empty(), "use deploy.resources.reservations.generic_resources; ignored"),
        ("ipc", set(&svc.ipc), unsupported),
        ("links", !svc.links.is_empty(), unsupported),
        ("mac_address", set(&svc.mac_address), unsupported),
        ("mem_limit", !svc.mem_limit.is_zero(), mem),
        ("mem_reservation", !svc.mem_reservation.is_zero(), mem),
        ("memswap_limit", !svc.memswap_limit.is_zero(), no_field),
        ("mem_swappiness", !svc.mem_swappiness.is_zero(), no_field),
        ("models", !svc.models.is_empty(), "AI models are a docker compose feature; ignored"),
        ("network_mode", set(&svc.network_mode), unsupported),
        ("oom_kill_disable", svc.oom_kill_disable, no_field),
        ("oom_score_adj", svc.oom_score_adj != 0, no_field),
        ("pid", set(&svc.pid), unsupported),
        ("privileged", svc.privileged, unsupported),
        ("pull_policy", set(&svc.pull_policy), "swarm pulls the image on each node as needed; ignored"),
        ("pull_refresh_after", set(&svc.pull_refresh_after), "swarm pulls the image on each node as needed; ignored"),
        ("runtime", set(&svc.runtime), unsupported),
        ("security_opt", !svc.security_opt.is_empty(), unsupported),
        ("shm_size", !svc.shm_size.is_zero(), unsupported),
        ("storage_opt", !svc.storage_opt.is_empty(), unsupported),
        ("use_api_socket", svc.use_api_socket, "a docker compose feature (the engine socket and credentials in the container); ignored"),
        ("userns_mode", set(&svc.userns_mode), unsupported),
        ("uts", set(&svc.uts), no_field),
        ("volumes_from", !svc.volumes_from.is_empty(), unsupported),
        ("pre_start", !svc.pre_start.is_empty(), hooks),
        ("post_start", !svc.post_start.is_empty(), hooks),
        ("pre_stop", !svc.pre_stop.is_empty(), hooks),
        ("scale", svc.scale.is_some() && svc.deploy.as_ref().and_then(|d| d.replicas).is_none(), "used as deploy.replicas"),
    ];
    checks
        .iter()
        .filter(|(_, on, _)| *on)
        .map(|&(key, _, why)| (key, why))
        .collect()
}

fn nanos(d: &Option<GoDuration>) -> Option<i64> {
    d.as_ref().map(|d| d.0.as_nanos() as i64)
}

fn hash_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Translates `project` into the stack `stack`.
pub fn translate(
    project: &Project,
    stack: &str,
    read: ReadFile<'_>,
) -> Result<Desired, TranslateError> {
    let mut d = Desired::default();
    let labels = ns_labels(stack);
    // Networks: the ones services use (default included).
    let mut used_networks: BTreeMap<String, ()> = BTreeMap::new();
    for svc in project.services.values() {
        if svc.networks.is_empty() {
            used_networks.insert("default".into(), ());
        }
        for n in svc.networks.keys() {
            used_networks.insert(n.clone(), ());
        }
    }
    for key in used_networks.keys() {
        let net = project.networks.get(key).cloned().unwrap_or_default();
        let name = net.name.clone().unwrap_or_else(|| scoped(stack, key));
        if net.external {
            d.external_networks.push(name);
            continue;
        }
        let driver = net.driver.clone().unwrap_or_else(|| "overlay".into());
        let mut l = labels.clone();
        l.extend(net.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
        d.networks.push(NetworkSpec {
            name,
            driver: Some(driver),
            driver_opts: net
                .driver_opts
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            labels: l,
            internal: net.internal,
            attachable: net.attachable,
            enable_ipv6: None,
            ipam: None,
        });
    }
    // Secrets and configs.
    let mut names: BTreeMap<(bool, String), String> = BTreeMap::new();
    for (kind, map) in [
        (
            SwarmObjectKind::Secret,
            project
                .secrets
                .iter()
                .map(|(k, v)| (k, &v.0))
                .collect::<Vec<_>>(),
        ),
        (
            SwarmObjectKind::Config,
            project
                .configs
                .iter()
                .map(|(k, v)| (k, &v.0))
                .collect::<Vec<_>>(),
        ),
    ] {
        for (key, obj) in map {
            let o = file_object(project, stack, kind, key, obj, read, &mut d.warnings)?;
            names.insert(
                (kind == SwarmObjectKind::Secret, key.clone()),
                o.name.clone(),
            );
            d.objects.push(o);
        }
    }
    for (key, svc) in &project.services {
        d.services
            .push(service(project, stack, key, svc, &names, &mut d.warnings)?);
    }
    Ok(d)
}

fn file_object(
    project: &Project,
    stack: &str,
    kind: SwarmObjectKind,
    key: &str,
    obj: &FileObject,
    read: ReadFile<'_>,
    warnings: &mut Vec<Warning>,
) -> Result<DesiredObject, TranslateError> {
    let section = if kind == SwarmObjectKind::Secret {
        "secrets"
    } else {
        "configs"
    };
    let at = format!("{section}.{key}");
    if obj.external {
        return Ok(DesiredObject {
            kind,
            key: key.into(),
            name: obj.name.clone().unwrap_or_else(|| key.to_string()),
            external: true,
            labels: Labels::new(),
            data: Vec::new(),
        });
    }
    let data: Vec<u8> = if let Some(c) = &obj.content {
        c.clone().into_bytes()
    } else if let Some(file) = &obj.file {
        let p = Path::new(file);
        let path = match &project.working_dir {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        };
        read(&path).map_err(|source| TranslateError::File {
            key: format!("{at}.file"),
            path: path.display().to_string(),
            source,
        })?
    } else if let Some(var) = &obj.environment {
        match project.environment.get(var) {
            Some(v) => v.clone().into_bytes(),
            None => {
                warnings.push(Warning {
                    service: None,
                    key: format!("{at}.environment"),
                    reason: format!("the variable {var} is not set; the {section:.6} is empty"),
                });
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    for (what, set) in [("template_driver", obj.template_driver.is_some())] {
        if set {
            warnings.push(Warning {
                service: None,
                key: format!("{at}.{what}"),
                reason: "not supported; ignored".into(),
            });
        }
    }
    // A name that changes with the content, so a changed secret rolls out to its services
    // (swarm secrets and configs are immutable).
    // The loader names an unnamed object `<project>_<key>`; that default gets the hash.
    let default = scoped(stack, key);
    let name = match &obj.name {
        Some(n) if *n != default => n.clone(),
        _ => format!("{default}-{}", &hash_hex(&data)[..12]),
    };
    let mut labels = ns_labels(stack);
    labels.extend(obj.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(DesiredObject {
        kind,
        key: key.into(),
        name,
        external: false,
        labels,
        data,
    })
}

fn warn(w: &mut Vec<Warning>, service: &str, key: &str, reason: impl Into<String>) {
    w.push(Warning {
        service: Some(service.into()),
        key: key.into(),
        reason: reason.into(),
    });
}

/// A warning for each `(sub-key, set, reason)` that is set, named `<prefix><sub-key>`.
fn warn_set(w: &mut Vec<Warning>, service: &str, prefix: &str, keys: &[(&str, bool, &str)]) {
    for (sub, on, why) in keys {
        if *on {
            warn(w, service, &format!("{prefix}{sub}"), *why);
        }
    }
}

fn healthcheck(hc: &Healthcheck) -> Value {
    let mut m = Map::new();
    let test: Vec<String> = if hc.disable {
        vec!["NONE".into()]
    } else {
        match hc.test.first().map(String::as_str) {
            Some("CMD") | Some("CMD-SHELL") | Some("NONE") | None => hc.test.clone(),
            Some(_) => {
                let mut t = vec!["CMD-SHELL".to_string()];
                t.push(hc.test.join(" "));
                t
            }
        }
    };
    if !test.is_empty() {
        m.insert("Test".into(), json!(test));
    }
    if let Some(n) = nanos(&hc.interval) {
        m.insert("Interval".into(), json!(n));
    }
    if let Some(n) = nanos(&hc.timeout) {
        m.insert("Timeout".into(), json!(n));
    }
    if let Some(n) = nanos(&hc.start_period) {
        m.insert("StartPeriod".into(), json!(n));
    }
    if let Some(r) = hc.retries {
        m.insert("Retries".into(), json!(r));
    }
    Value::Object(m)
}

fn update_config(u: &crate::model::UpdateConfig) -> Value {
    let mut m = Map::new();
    m.insert("Parallelism".into(), json!(u.parallelism.unwrap_or(1)));
    if let Some(n) = nanos(&u.delay) {
        m.insert("Delay".into(), json!(n));
    }
    if let Some(f) = &u.failure_action {
        m.insert("FailureAction".into(), json!(f));
    }
    if let Some(n) = nanos(&u.monitor) {
        m.insert("Monitor".into(), json!(n));
    }
    if u.max_failure_ratio != 0.0 {
        m.insert("MaxFailureRatio".into(), json!(u.max_failure_ratio));
    }
    if let Some(o) = &u.order {
        m.insert("Order".into(), json!(o));
    }
    Value::Object(m)
}

/// One `volumes` entry as a swarm mount (`None`: a type swarm has not, warned).
fn mount(
    project: &Project,
    stack: &str,
    key: &str,
    i: usize,
    v: &crate::model::ServiceVolume,
    w: &mut Vec<Warning>,
) -> Result<Option<Value>, TranslateError> {
    let at = format!("volumes[{i}]");
    let target = v.target.clone().unwrap_or_default();
    // A bind's Source comes before Target, as rcompose always sent it (the spec hash keeps the
    // key order: an unchanged service must keep its hash).
    let mut m = if matches!(v.kind.as_str(), "bind" | "npipe") {
        let src = v.source.clone().unwrap_or_default();
        json!({"Type": v.kind, "Source": src, "Target": target, "ReadOnly": v.read_only})
    } else {
        json!({"Type": v.kind, "Target": target, "ReadOnly": v.read_only})
    };
    if let Some(c) = &v.consistency {
        m["Consistency"] = json!(c);
    }
    match v.kind.as_str() {
        "volume" => {
            if let Some(src) = &v.source {
                let vol = project.volumes.get(src).cloned().unwrap_or_default();
                let vname = vol.name.clone().unwrap_or_else(|| scoped(stack, src));
                m["Source"] = json!(vname);
                if !vol.external {
                    let mut l = ns_labels(stack);
                    l.extend(vol.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
                    if let Some(o) = &v.volume {
                        l.extend(o.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
                    }
                    let mut vo = json!({"Labels": l});
                    if let Some(dr) = &vol.driver {
                        vo["DriverConfig"] = json!({"Name": dr, "Options": vol.driver_opts});
                    }
                    if v.volume.as_ref().is_some_and(|o| o.nocopy) {
                        vo["NoCopy"] = json!(true);
                    }
                    m["VolumeOptions"] = vo;
                }
            }
            if v.volume.as_ref().is_some_and(|o| o.subpath.is_some()) {
                warn(
                    w,
                    key,
                    &format!("{at}.volume.subpath"),
                    "volume subpaths need Engine API 1.45; ignored",
                );
            }
        }
        "bind" | "npipe" => {
            let src = v.source.clone().unwrap_or_default();
            if v.kind == "bind" && !Path::new(&src).is_absolute() {
                return Err(TranslateError::Unsupported {
                    service: key.into(),
                    key: at,
                    reason: "a bind mount's source must be an absolute path on every node".into(),
                });
            }
            warn(
                w,
                key,
                &at,
                format!("{} mount of {src}: the path must exist on every node a task may run on (swarm does not create it)", v.kind),
            );
            if let Some(b) = &v.bind {
                if let Some(p) = &b.propagation {
                    m["BindOptions"] = json!({"Propagation": p});
                }
                warn_set(
                    w,
                    key,
                    &format!("{at}.bind."),
                    &[
                        (
                            "selinux",
                            b.selinux.is_some(),
                            "swarm mounts have no SELinux relabelling; ignored",
                        ),
                        (
                            "recursive",
                            b.recursive.is_some(),
                            "recursive bind options need Engine API 1.44; ignored",
                        ),
                    ],
                );
            }
        }
        "tmpfs" => {
            if let Some(t) = &v.tmpfs {
                let mut o = Map::new();
                if !t.size.is_zero() {
                    o.insert("SizeBytes".into(), json!(t.size.0));
                }
                if t.mode != 0 {
                    o.insert("Mode".into(), json!(t.mode));
                }
                if !o.is_empty() {
                    m["TmpfsOptions"] = Value::Object(o);
                }
            }
        }
        other => {
            warn(
                w,
                key,
                &at,
                format!("mount type {other} is not supported by swarm services; ignored"),
            );
            return Ok(None);
        }
    }
    Ok(Some(m))
}

/// `credential_spec` as the engine's `CredentialSpec` (a config by its engine name, which
/// [`resolve_ids`] turns into its id).
fn credential_spec(
    c: &crate::model::CredentialSpec,
    names: &BTreeMap<(bool, String), String>,
) -> Result<Map<String, Value>, String> {
    let mut m = Map::new();
    if let Some(f) = &c.file {
        m.insert("File".into(), json!(f));
    }
    if let Some(r) = &c.registry {
        m.insert("Registry".into(), json!(r));
    }
    if let Some(cfg) = &c.config {
        let name = names
            .get(&(false, cfg.clone()))
            .ok_or_else(|| format!("config {cfg:?} is not defined at the top level (configs:)"))?;
        m.insert("Config".into(), json!(name));
    }
    if m.len() > 1 {
        return Err("set only one of file, registry and config".into());
    }
    Ok(m)
}

/// `platform` (`os/arch[/variant]`) as a placement platform.
fn platform(p: &str) -> Result<(Value, bool), String> {
    let parts: Vec<&str> = p.split('/').collect();
    match parts.as_slice() {
        [os, arch, rest @ ..] if !os.is_empty() && !arch.is_empty() && rest.len() <= 1 => {
            Ok((json!({"OS": os, "Architecture": arch}), !rest.is_empty()))
        }
        _ => Err(format!(
            "{p:?} is not os/arch[/variant] (e.g. linux/amd64); ignored"
        )),
    }
}

/// `deploy.resources` (and `pids_limit`) as the task's `Resources`.
fn resources(
    key: &str,
    svc: &Service,
    r: &crate::model::Resources,
    w: &mut Vec<Warning>,
) -> Option<Value> {
    let res = |x: &crate::model::Resource| {
        let mut m = Map::new();
        if x.cpus != 0.0 {
            m.insert(
                "NanoCPUs".into(),
                json!((f64::from(x.cpus) * 1e9).round() as i64),
            );
        }
        if x.memory.0 != 0 {
            m.insert("MemoryBytes".into(), json!(x.memory.0));
        }
        m
    };
    let limits = r.limits.clone().unwrap_or_default();
    let mut lim = res(&limits);
    if limits.pids != 0 {
        lim.insert("Pids".into(), json!(limits.pids));
        if svc.pids_limit != 0 && svc.pids_limit != limits.pids {
            warn(
                w,
                key,
                "pids_limit",
                "deploy.resources.limits.pids is used instead; ignored",
            );
        }
    } else if svc.pids_limit > 0 {
        lim.insert("Pids".into(), json!(svc.pids_limit));
    }
    let at = "deploy.resources";
    warn_set(
        w,
        key,
        &format!("{at}."),
        &[
            (
                "limits.devices",
                !limits.devices.is_empty(),
                "swarm services cannot be given devices; ignored",
            ),
            (
                "limits.generic_resources",
                !limits.generic_resources.is_empty(),
                "swarm limits have no generic resources (reserve them); ignored",
            ),
        ],
    );
    let mut out = Map::new();
    if r.limits.is_some() || lim.contains_key("Pids") {
        out.insert("Limits".into(), Value::Object(lim));
    }
    if let Some(l) = &r.reservations {
        let mut m = res(l);
        let mut generic = Vec::new();
        for (i, g) in l.generic_resources.iter().enumerate() {
            match &g.discrete_resource_spec {
                Some(d) => generic
                    .push(json!({"DiscreteResourceSpec": {"Kind": d.kind, "Value": d.value}})),
                None => warn(
                    w,
                    key,
                    &format!("{at}.reservations.generic_resources[{i}]"),
                    "no discrete_resource_spec; ignored",
                ),
            }
        }
        if !generic.is_empty() {
            m.insert("GenericResources".into(), json!(generic));
        }
        warn_set(
            w,
            key,
            &format!("{at}.reservations."),
            &[
                (
                    "devices",
                    !l.devices.is_empty(),
                    "swarm services cannot reserve devices (use generic_resources); ignored",
                ),
                (
                    "pids",
                    l.pids != 0,
                    "swarm reserves no pids (set limits.pids); ignored",
                ),
            ],
        );
        out.insert("Reservations".into(), Value::Object(m));
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

fn service(
    project: &Project,
    stack: &str,
    key: &str,
    svc: &Service,
    names: &BTreeMap<(bool, String), String>,
    w: &mut Vec<Warning>,
) -> Result<DesiredService, TranslateError> {
    let unsupported = |k: &str, reason: &str| TranslateError::Unsupported {
        service: key.into(),
        key: k.into(),
        reason: reason.into(),
    };
    if svc.provider.is_some() {
        return Err(unsupported(
            "provider",
            "a provider service is run by a docker compose plugin, not by a container; swarm cannot run it (deploy it separately and refer to it as an external service)",
        ));
    }
    let image = svc
        .image
        .clone()
        .ok_or_else(|| unsupported("image", "a swarm service needs an image (swarm does not build; build and tag it, then set image:)"))?;
    for (k, why) in set_keys(svc) {
        warn(w, key, k, why);
    }
    let deploy = svc.deploy.clone().unwrap_or_default();
    let name = scoped(stack, key);
    let mut cs = Map::new();
    cs.insert("Image".into(), json!(image));
    let mut clabels = ns_labels(stack);
    clabels.extend(svc.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    cs.insert("Labels".into(), json!(clabels));
    if let Some(e) = &svc.entrypoint {
        cs.insert("Command".into(), json!(e));
    }
    if let Some(c) = &svc.command {
        cs.insert("Args".into(), json!(c));
    }
    if let Some(h) = &svc.hostname {
        cs.insert("Hostname".into(), json!(h));
    }
    let mut env: Vec<String> = svc
        .environment
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
        .collect();
    env.sort();
    if !env.is_empty() {
        cs.insert("Env".into(), json!(env));
    }
    if let Some(d) = &svc.working_dir {
        cs.insert("Dir".into(), json!(d));
    }
    if let Some(u) = &svc.user {
        cs.insert("User".into(), json!(u));
    }
    if svc.tty {
        cs.insert("TTY".into(), json!(true));
    }
    if svc.stdin_open {
        cs.insert("OpenStdin".into(), json!(true));
    }
    if svc.read_only {
        cs.insert("ReadOnly".into(), json!(true));
    }
    if let Some(i) = svc.init {
        cs.insert("Init".into(), json!(i));
    }
    if let Some(n) = nanos(&svc.stop_grace_period) {
        cs.insert("StopGracePeriod".into(), json!(n));
    }
    if let Some(s) = &svc.stop_signal {
        cs.insert("StopSignal".into(), json!(s));
    }
    if !svc.extra_hosts.is_empty() {
        // compose `host:ip` / `host=ip` -> the engine's `ip host`.
        let hosts: Vec<String> = svc
            .extra_hosts
            .iter()
            .map(|h| match h.split_once('=').or_else(|| h.split_once(':')) {
                Some((host, ip)) => format!("{ip} {host}"),
                None => h.clone(),
            })
            .collect();
        cs.insert("Hosts".into(), json!(hosts));
    }
    if !svc.dns.is_empty() || !svc.dns_search.is_empty() || !svc.dns_opt.is_empty() {
        cs.insert(
            "DNSConfig".into(),
            json!({"Nameservers": svc.dns, "Search": svc.dns_search, "Options": svc.dns_opt}),
        );
    }
    if !svc.cap_add.is_empty() {
        cs.insert("CapabilityAdd".into(), json!(svc.cap_add));
    }
    if !svc.cap_drop.is_empty() {
        cs.insert("CapabilityDrop".into(), json!(svc.cap_drop));
    }
    if !svc.sysctls.is_empty() {
        cs.insert("Sysctls".into(), json!(svc.sysctls));
    }
    if let Some(i) = &svc.isolation {
        cs.insert("Isolation".into(), json!(i));
    }
    if !svc.ulimits.is_empty() {
        let mut u: Vec<(&String, &crate::model::Ulimit)> = svc.ulimits.iter().collect();
        u.sort_by(|a, b| a.0.cmp(b.0));
        let u: Vec<Value> = u
            .into_iter()
            .map(|(n, l)| json!({"Name": n, "Soft": l.soft(), "Hard": l.hard()}))
            .collect();
        cs.insert("Ulimits".into(), json!(u));
    }
    if !svc.group_add.is_empty() {
        cs.insert("Groups".into(), json!(svc.group_add));
    }
    let mut runtime_configs = Vec::new();
    if let Some(c) = &svc.credential_spec {
        let spec = credential_spec(c, names).map_err(|why| unsupported("credential_spec", &why))?;
        if let Some(name) = spec.get("Config") {
            // As the docker CLI: the config is also a runtime (not a file) reference.
            runtime_configs.push(json!({"Runtime": {}, "ConfigName": name, "ConfigID": ""}));
        }
        cs.insert("Privileges".into(), json!({"CredentialSpec": spec}));
    }
    if let Some(hc) = &svc.healthcheck {
        if hc.start_interval.is_some() {
            warn(
                w,
                key,
                "healthcheck.start_interval",
                "not supported by this engine API for services; ignored",
            );
        }
        cs.insert("HealthCheck".into(), healthcheck(hc));
    }
    // Mounts.
    let mut mounts = Vec::new();
    for (i, v) in svc.volumes.iter().enumerate() {
        if let Some(m) = mount(project, stack, key, i, v, w)? {
            mounts.push(m);
        }
    }
    for t in &svc.tmpfs {
        mounts.push(json!({"Type": "tmpfs", "Target": t.split(':').next().unwrap_or(t)}));
    }
    if !mounts.is_empty() {
        cs.insert("Mounts".into(), json!(mounts));
    }
    // Secrets and configs, by name; `resolve_ids` fills the ids in.
    let refs =
        |secret: bool, list: &[crate::model::FileReference], w: &mut Vec<Warning>| -> Vec<Value> {
            let mut out = Vec::new();
            for (i, r) in list.iter().enumerate() {
                let Some(name) = names.get(&(secret, r.source.clone())) else {
                    warn(
                        w,
                        key,
                        &format!("{}[{i}]", if secret { "secrets" } else { "configs" }),
                        format!("{} is not defined at the top level; ignored", r.source),
                    );
                    continue;
                };
                let file_name = r.target.clone().unwrap_or_else(|| {
                    if secret {
                        r.source.clone()
                    } else {
                        format!("/{}", r.source)
                    }
                });
                let mode = r.mode.as_ref().map(|m| m.0).unwrap_or(0o444);
                let file = json!({
                    "Name": file_name,
                    "UID": r.uid.clone().unwrap_or_else(|| "0".into()),
                    "GID": r.gid.clone().unwrap_or_else(|| "0".into()),
                    "Mode": mode,
                });
                if secret {
                    out.push(json!({"File": file, "SecretName": name, "SecretID": ""}));
                } else {
                    out.push(json!({"File": file, "ConfigName": name, "ConfigID": ""}));
                }
            }
            out
        };
    let secrets = refs(true, &svc.secrets, w);
    if !secrets.is_empty() {
        cs.insert("Secrets".into(), json!(secrets));
    }
    let mut configs = refs(false, &svc.configs, w);
    configs.extend(runtime_configs);
    if !configs.is_empty() {
        cs.insert("Configs".into(), json!(configs));
    }
    let mut task = Map::new();
    task.insert("ContainerSpec".into(), Value::Object(cs));
    // Resources.
    if let Some(r) = resources(key, svc, &deploy.resources, w) {
        task.insert("Resources".into(), r);
    }
    // Restart policy: deploy.restart_policy, else `restart:`.
    let restart = if let Some(rp) = &deploy.restart_policy {
        if svc.restart.is_some() {
            warn(
                w,
                key,
                "restart",
                "deploy.restart_policy is used instead; ignored",
            );
        }
        let mut m = Map::new();
        m.insert(
            "Condition".into(),
            json!(rp.condition.clone().unwrap_or_else(|| "any".into())),
        );
        if let Some(n) = nanos(&rp.delay) {
            m.insert("Delay".into(), json!(n));
        }
        if let Some(n) = rp.max_attempts {
            m.insert("MaxAttempts".into(), json!(n));
        }
        if let Some(n) = nanos(&rp.window) {
            m.insert("Window".into(), json!(n));
        }
        Some(Value::Object(m))
    } else {
        match svc.restart.as_deref() {
            None => None,
            Some("no") => Some(json!({"Condition": "none"})),
            Some("always") | Some("unless-stopped") => Some(json!({"Condition": "any"})),
            Some(r) if r.starts_with("on-failure") => {
                let mut m = json!({"Condition": "on-failure"});
                if let Some(n) = r.split_once(':').and_then(|(_, n)| n.parse::<u64>().ok()) {
                    m["MaxAttempts"] = json!(n);
                }
                Some(m)
            }
            Some(other) => {
                warn(
                    w,
                    key,
                    "restart",
                    format!("unknown policy {other}; ignored"),
                );
                None
            }
        }
    };
    if let Some(rp) = restart {
        task.insert("RestartPolicy".into(), rp);
    }
    // Placement.
    let p = &deploy.placement;
    let mut placement = Map::new();
    if !p.constraints.is_empty() {
        placement.insert("Constraints".into(), json!(p.constraints));
    }
    if !p.preferences.is_empty() {
        let prefs: Vec<Value> = p
            .preferences
            .iter()
            .filter_map(|x| x.spread.as_ref())
            .map(|s| json!({"Spread": {"SpreadDescriptor": s}}))
            .collect();
        placement.insert("Preferences".into(), json!(prefs));
    }
    if p.max_replicas != 0 {
        placement.insert("MaxReplicas".into(), json!(p.max_replicas));
    }
    if let Some(pl) = &svc.platform {
        match platform(pl) {
            Ok((v, variant)) => {
                if variant {
                    warn(
                        w,
                        key,
                        "platform",
                        "swarm places by os and architecture only; the variant is ignored",
                    );
                }
                placement.insert("Platforms".into(), json!([v]));
            }
            Err(why) => warn(w, key, "platform", why),
        }
    }
    if !placement.is_empty() {
        task.insert("Placement".into(), Value::Object(placement));
    }
    if let Some(l) = &svc.logging {
        match &l.driver {
            Some(d) => {
                task.insert("LogDriver".into(), json!({"Name": d, "Options": l.options}));
            }
            None if !l.options.is_empty() => warn(
                w,
                key,
                "logging.options",
                "options without a driver: swarm needs logging.driver to pass them; ignored",
            ),
            None => {}
        }
    }
    // Networks: aliases are the service's own name plus its compose aliases.
    let mut nets = Vec::new();
    let default = [("default".to_string(), None)];
    let attached: Vec<(&String, &Option<crate::model::ServiceNetwork>)> = if svc.networks.is_empty()
    {
        default.iter().map(|(n, s)| (n, s)).collect()
    } else {
        svc.networks.iter().collect()
    };
    for (n, settings) in attached {
        let net = project.networks.get(n).cloned().unwrap_or_default();
        let target = net.name.clone().unwrap_or_else(|| scoped(stack, n));
        let mut a = vec![key.to_string()];
        let mut att = json!({"Target": target});
        if let Some(s) = settings {
            a.extend(s.aliases.iter().cloned());
            if !s.driver_opts.is_empty() {
                att["DriverOpts"] = json!(s.driver_opts);
            }
            let addressing = "swarm assigns the addresses of a service's tasks; ignored";
            warn_set(
                w,
                key,
                &format!("networks.{n}."),
                &[
                    ("ipv4_address", s.ipv4_address.is_some(), addressing),
                    ("ipv6_address", s.ipv6_address.is_some(), addressing),
                    ("link_local_ips", !s.link_local_ips.is_empty(), addressing),
                    ("mac_address", s.mac_address.is_some(), addressing),
                    (
                        "interface_name",
                        s.interface_name.is_some(),
                        "the engine's swarm API has no field for it; ignored",
                    ),
                    (
                        "priority",
                        s.priority != 0,
                        "the engine's swarm API has no field for it; ignored",
                    ),
                    (
                        "gw_priority",
                        s.gw_priority != 0,
                        "the engine's swarm API has no field for it; ignored",
                    ),
                ],
            );
        }
        att["Aliases"] = json!(a);
        nets.push(att);
    }
    task.insert("Networks".into(), json!(nets));
    // Mode and replicas.
    let mode = deploy.mode.clone().unwrap_or_else(|| "replicated".into());
    let (mode_v, replicas) = match mode.as_str() {
        "global" => {
            if deploy.replicas.is_some() {
                return Err(unsupported(
                    "deploy.replicas",
                    "replicas cannot be set with mode: global",
                ));
            }
            (json!({"Global": {}}), None)
        }
        "replicated" => {
            let n = deploy.replicas.or(svc.scale).unwrap_or(1).max(0) as u64;
            (json!({"Replicated": {"Replicas": n}}), Some(n))
        }
        other => {
            return Err(unsupported(
                "deploy.mode",
                &format!("unknown mode {other:?} (replicated or global)"),
            ))
        }
    };
    // Ports.
    let mut ports = Vec::new();
    for (i, port) in svc.ports.iter().enumerate() {
        let at = format!("ports[{i}]");
        if port
            .host_ip
            .as_deref()
            .is_some_and(|ip| !ip.is_empty() && ip != "0.0.0.0")
        {
            warn(
                w,
                key,
                &format!("{at}.host_ip"),
                "swarm publishes on every address; ignored",
            );
        }
        let mode = match port.mode.as_deref() {
            Some("host") => "host",
            _ => "ingress",
        };
        let proto = port.protocol.clone().unwrap_or_else(|| "tcp".into());
        if port.app_protocol.is_some() {
            warn(
                w,
                key,
                &format!("{at}.app_protocol"),
                "the engine's swarm API has no field for it; ignored",
            );
        }
        let published: Vec<Option<u32>> = match port.published.as_deref() {
            None | Some("") => vec![None],
            Some(p) => match p.split_once('-') {
                Some((a, b)) => {
                    let (a, b): (u32, u32) = (a.parse().unwrap_or(0), b.parse().unwrap_or(0));
                    (a..=b).map(Some).collect()
                }
                None => vec![p.parse().ok()],
            },
        };
        for (j, pubp) in published.into_iter().enumerate() {
            let mut m = json!({"Protocol": proto, "TargetPort": port.target + j as u32, "PublishMode": mode});
            if let Some(pp) = pubp {
                m["PublishedPort"] = json!(pp);
            }
            if let Some(n) = &port.name {
                m["Name"] = json!(n);
            }
            ports.push(m);
        }
    }
    // As the docker CLI: by published port.
    ports.sort_by_key(|p| p["PublishedPort"].as_u64().unwrap_or(0));
    let mut endpoint = Map::new();
    if let Some(m) = &deploy.endpoint_mode {
        if m == "dnsrr" && ports.iter().any(|p| p["PublishMode"] == "ingress") {
            return Err(unsupported(
                "deploy.endpoint_mode",
                "dnsrr cannot publish ports through the ingress: use ports with mode: host",
            ));
        }
        endpoint.insert("Mode".into(), json!(m));
    }
    if !ports.is_empty() {
        endpoint.insert("Ports".into(), json!(ports));
    }
    let mut slabels = ns_labels(stack);
    slabels.extend(deploy.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    slabels.insert(IMAGE.into(), image);
    let mut spec = Map::new();
    spec.insert("Name".into(), json!(name));
    spec.insert("TaskTemplate".into(), Value::Object(task));
    spec.insert("Mode".into(), mode_v);
    if let Some(u) = &deploy.update_config {
        spec.insert("UpdateConfig".into(), update_config(u));
    }
    if let Some(u) = &deploy.rollback_config {
        spec.insert("RollbackConfig".into(), update_config(u));
    }
    if !endpoint.is_empty() {
        spec.insert("EndpointSpec".into(), Value::Object(endpoint));
    }
    spec.insert("Labels".into(), json!(slabels));
    let hash =
        hash_hex(serde_json::to_string(&spec).unwrap_or_default().as_bytes())[..16].to_string();
    spec["Labels"][SPEC_HASH] = json!(hash);
    Ok(DesiredService {
        service: key.into(),
        name,
        spec: Value::Object(spec),
        hash,
        replicas,
    })
}

/// Fills in `SecretID` / `ConfigID` (and a credential spec's config) from the engine's name -> id
/// maps; returns the names that are missing.
pub fn resolve_ids(
    spec: &mut Value,
    secrets: &BTreeMap<String, String>,
    configs: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut missing = Vec::new();
    let cs = &mut spec["TaskTemplate"]["ContainerSpec"];
    for (list, name_key, id_key, ids) in [
        ("Secrets", "SecretName", "SecretID", secrets),
        ("Configs", "ConfigName", "ConfigID", configs),
    ] {
        if let Some(items) = cs.get_mut(list).and_then(Value::as_array_mut) {
            for item in items {
                let name = item[name_key].as_str().unwrap_or_default().to_string();
                match ids.get(&name) {
                    Some(id) => item[id_key] = json!(id),
                    None => missing.push(name),
                }
            }
        }
    }
    // A credential spec's config, by name until here (its runtime reference is among Configs).
    if let Some(c) = cs
        .pointer_mut("/Privileges/CredentialSpec/Config")
        .filter(|c| c.is_string())
    {
        let name = c.as_str().unwrap_or_default().to_string();
        match configs.get(&name) {
            Some(id) => *c = json!(id),
            None => missing.push(name),
        }
    }
    missing
}
