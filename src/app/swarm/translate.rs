//! Pure translation of a resolved compose project into swarm objects, as the docker CLI's
//! `cli/compose/convert` does: services `<stack>_<service>`, networks `<stack>_<name>` (overlay),
//! secrets and configs `<stack>_<name>-<content hash>`, every object labelled
//! `com.docker.stack.namespace=<stack>`. What Swarm cannot express is a [`Warning`] naming the
//! service, the key and the reason. No I/O but the caller's `read` of secret and config files.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::app::convert::Warning;
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
/// properties, plus a few single-engine keys), with the reason.
fn set_keys(svc: &Service) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let mut add = |set: bool, key: &'static str, why: &'static str| {
        if set {
            out.push((key, why));
        }
    };
    let unsupported = "not supported by swarm services; ignored";
    add(
        svc.build.is_some(),
        "build",
        "swarm does not build: the image must exist (build it first); ignored",
    );
    add(svc.cgroup_parent.is_some(), "cgroup_parent", unsupported);
    add(svc.cgroup.is_some(), "cgroup", unsupported);
    add(!svc.devices.is_empty(), "devices", unsupported);
    add(svc.domainname.is_some(), "domainname", unsupported);
    add(
        !svc.external_links.is_empty(),
        "external_links",
        unsupported,
    );
    add(svc.ipc.is_some(), "ipc", unsupported);
    add(!svc.links.is_empty(), "links", unsupported);
    add(svc.mac_address.is_some(), "mac_address", unsupported);
    add(svc.network_mode.is_some(), "network_mode", unsupported);
    add(svc.pid.is_some(), "pid", unsupported);
    add(svc.privileged, "privileged", unsupported);
    add(!svc.security_opt.is_empty(), "security_opt", unsupported);
    add(svc.shm_size.0 != 0, "shm_size", unsupported);
    add(svc.userns_mode.is_some(), "userns_mode", unsupported);
    add(svc.container_name.is_some(), "container_name", "setting the container name is not supported (tasks are named <stack>_<service>.<slot>.<id>); ignored");
    add(!svc.expose.is_empty(), "expose", "exposing ports is unnecessary: services on the same network reach each other's tasks on any port; ignored");
    add(
        !svc.depends_on.is_empty(),
        "depends_on",
        "swarm starts services in no order; ignored",
    );
    add(!svc.volumes_from.is_empty(), "volumes_from", unsupported);
    add(
        svc.cpus != 0.0 || svc.cpu_shares != 0 || svc.cpu_quota != 0 || svc.cpuset.is_some(),
        "cpus",
        "use deploy.resources.limits.cpus; ignored",
    );
    add(
        svc.mem_limit.0 != 0 || svc.mem_reservation.0 != 0,
        "mem_limit",
        "use deploy.resources (limits/reservations).memory; ignored",
    );
    add(
        svc.scale.is_some() && svc.deploy.as_ref().and_then(|d| d.replicas).is_none(),
        "scale",
        "used as deploy.replicas",
    );
    add(
        !svc.pre_start.is_empty() || !svc.post_start.is_empty() || !svc.pre_stop.is_empty(),
        "post_start",
        "lifecycle hooks are not supported by swarm; ignored",
    );
    add(!svc.gpus.is_empty(), "gpus", unsupported);
    add(svc.runtime.is_some(), "runtime", unsupported);
    add(!svc.storage_opt.is_empty(), "storage_opt", unsupported);
    add(
        svc.oom_kill_disable || svc.oom_score_adj != 0,
        "oom_score_adj",
        unsupported,
    );
    out
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
        let at = format!("volumes[{i}]");
        let target = v.target.clone().unwrap_or_default();
        match v.kind.as_str() {
            "volume" => {
                let mut m = json!({"Type": "volume", "Target": target, "ReadOnly": v.read_only});
                if let Some(src) = &v.source {
                    let vol = project.volumes.get(src).cloned().unwrap_or_default();
                    let vname = vol.name.clone().unwrap_or_else(|| scoped(stack, src));
                    m["Source"] = json!(vname);
                    if !vol.external {
                        let mut l = ns_labels(stack);
                        l.extend(vol.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
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
                mounts.push(m);
            }
            "bind" => {
                let src = v.source.clone().unwrap_or_default();
                if !Path::new(&src).is_absolute() {
                    return Err(unsupported(
                        &at,
                        "a bind mount's source must be an absolute path on every node",
                    ));
                }
                warn(
                    w,
                    key,
                    &at,
                    format!(
                        "bind mount of {src}: the path must exist on every node a task may run on"
                    ),
                );
                mounts.push(json!({"Type": "bind", "Source": src, "Target": target, "ReadOnly": v.read_only}));
            }
            "tmpfs" => {
                let mut m = json!({"Type": "tmpfs", "Target": target, "ReadOnly": v.read_only});
                if let Some(t) = &v.tmpfs {
                    if t.size.0 != 0 {
                        m["TmpfsOptions"] = json!({"SizeBytes": t.size.0});
                    }
                }
                mounts.push(m);
            }
            other => warn(
                w,
                key,
                &at,
                format!("mount type {other} is not supported by swarm services; ignored"),
            ),
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
    let configs = refs(false, &svc.configs, w);
    if !configs.is_empty() {
        cs.insert("Configs".into(), json!(configs));
    }
    let mut task = Map::new();
    task.insert("ContainerSpec".into(), Value::Object(cs));
    // Resources.
    let r = &deploy.resources;
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
        Value::Object(m)
    };
    let mut resources = Map::new();
    if let Some(l) = &r.limits {
        let mut v = res(l);
        if l.pids != 0 {
            v["Pids"] = json!(l.pids);
        }
        resources.insert("Limits".into(), v);
    }
    if let Some(l) = &r.reservations {
        if !l.devices.is_empty() {
            warn(
                w,
                key,
                "deploy.resources.reservations.devices",
                "not supported by swarm services; ignored",
            );
        }
        resources.insert("Reservations".into(), res(l));
    }
    if !resources.is_empty() {
        task.insert("Resources".into(), Value::Object(resources));
    }
    // Restart policy: deploy.restart_policy, else `restart:`.
    let restart = if let Some(rp) = &deploy.restart_policy {
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
    if !placement.is_empty() {
        task.insert("Placement".into(), Value::Object(placement));
    }
    if let Some(l) = &svc.logging {
        if let Some(d) = &l.driver {
            task.insert("LogDriver".into(), json!({"Name": d, "Options": l.options}));
        }
    }
    // Networks: aliases are the service's own name plus its compose aliases.
    let mut nets = Vec::new();
    let attached: Vec<(String, Vec<String>)> = if svc.networks.is_empty() {
        vec![("default".into(), Vec::new())]
    } else {
        svc.networks
            .iter()
            .map(|(n, s)| {
                (
                    n.clone(),
                    s.as_ref().map(|s| s.aliases.clone()).unwrap_or_default(),
                )
            })
            .collect()
    };
    for (n, aliases) in attached {
        let net = project.networks.get(&n).cloned().unwrap_or_default();
        let target = net.name.clone().unwrap_or_else(|| scoped(stack, &n));
        let mut a = vec![key.to_string()];
        a.extend(aliases);
        nets.push(json!({"Target": target, "Aliases": a}));
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
            ports.push(m);
        }
    }
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

/// Fills in `SecretID` / `ConfigID` from the engine's name -> id maps; returns the names that
/// are missing.
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
    missing
}
