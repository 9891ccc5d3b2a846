//! The translation from the Compose model to engine objects: `model::Service` -> `ContainerSpec`
//! (names, docker compose's labels, networks with aliases and static IPs, mounts, secrets and
//! configs, namespaces resolved to `container:<id>`, resources...), `model::Network` ->
//! `NetworkSpec`, `model::Volume` -> `VolumeSpec`, `model::Build` -> `BuildSpec` (with the context
//! packed by `context`).
//!
//! Pure: every engine fact it needs (ids of other services' containers, the image id, the
//! anonymous volumes to carry over) is passed in. Must not import `loader`, `cli` or `bollard`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::engine::{
    ContainerPort, ContainerSpec, DeviceMapping, DeviceRequest, Healthcheck, HostPort, Ipam,
    IpamPool, Labels, LogConfig, Mount, MountKind, NetworkAttachment, NetworkSpec, PortBinding,
    Propagation, Protocol, Resources, RestartPolicy, RestartPolicyName, ThrottleDevice, Ulimit,
    VolumeSpec, WeightDevice,
};
use crate::model::{self, FileObject, Project, Service};
use crate::plan::labels;

/// What the conversion needs to know about the engine and the run.
#[derive(Debug, Clone, Default)]
pub struct SpecContext {
    /// Replica number (1-based).
    pub number: u32,
    /// The name to create the container under (a temporary name when replacing).
    pub create_as: String,
    /// The service's config hash (label `com.docker.compose.config-hash`).
    pub config_hash: String,
    /// Id of the image the container runs (label `com.docker.compose.image`), if known.
    pub image_id: Option<String>,
    /// The container this one replaces (label `com.docker.compose.replace`).
    pub replaces: Option<String>,
    /// Container ids by (service, replica number), for `service:x` references.
    pub ids: BTreeMap<(String, u32), String>,
    /// Anonymous volume mounts to carry over from the replaced container.
    pub inherited: Vec<Mount>,
}

/// A file to copy into the container after it is created (a secret or config given by
/// `content` or `environment`): absolute target path, bytes, mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedFile {
    pub target: String,
    pub content: Vec<u8>,
    pub mode: u32,
}

/// A container to create: the spec plus files to copy in before it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerPlan {
    pub spec: ContainerSpec,
    pub files: Vec<InjectedFile>,
}

/// The final name of replica `number`: `container_name`, else `<project>-<service>-<n>`.
pub fn container_name(project: &str, service: &Service, number: u32) -> String {
    match service.container_name.as_deref() {
        Some(n) if !n.is_empty() => n.to_string(),
        _ => format!("{project}-{}-{number}", service.name),
    }
}

/// Engine name of a project network: `name:`, else `<project>_<key>` (the key for external).
pub fn network_name(project: &Project, key: &str) -> String {
    match project.networks.get(key) {
        Some(n) => match n.name.as_deref() {
            Some(name) if !name.is_empty() => name.to_string(),
            _ if n.external => key.to_string(),
            _ => format!("{}_{key}", project.name),
        },
        None => format!("{}_{key}", project.name),
    }
}

/// Engine name of a project volume: `name:`, else `<project>_<key>` (the key for external).
pub fn volume_name(project: &Project, key: &str) -> String {
    match project.volumes.get(key) {
        Some(v) => match v.name.as_deref() {
            Some(name) if !name.is_empty() => name.to_string(),
            _ if v.external => key.to_string(),
            _ => format!("{}_{key}", project.name),
        },
        None => format!("{}_{key}", project.name),
    }
}

/// The project's working directory, or `.`.
fn working_dir(project: &Project) -> PathBuf {
    project
        .working_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A host path resolved against the project directory (`~` is left to the loader).
fn host_path(project: &Project, p: &str) -> String {
    let path = Path::new(p);
    if path.is_absolute() {
        p.to_string()
    } else {
        model::path::clean(&working_dir(project).join(path))
            .to_string_lossy()
            .into_owned()
    }
}

/// Labels every object of the project carries.
fn project_labels(project: &Project) -> Labels {
    let mut l: Labels = project
        .resource_labels
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    l.insert(labels::PROJECT.into(), project.name.clone());
    l.insert(labels::VERSION.into(), labels::COMPOSE_VERSION.into());
    l
}

fn service_err(service: &str, key: &str, what: impl std::fmt::Display) -> String {
    format!("services.{service}.{key}: {what}")
}

/// Resolves `service:x` (to `container:<id>` of x's first replica) in `network_mode`/`pid`/`ipc`.
fn resolve_mode(
    service: &str,
    key: &str,
    mode: &Option<String>,
    ids: &BTreeMap<(String, u32), String>,
) -> Result<Option<String>, String> {
    let Some(m) = mode.as_deref().filter(|m| !m.is_empty()) else {
        return Ok(None);
    };
    match m.strip_prefix("service:") {
        Some(target) => {
            let id = first_container(ids, target).ok_or_else(|| {
                service_err(
                    service,
                    key,
                    format!("service {target} has no container to share with; start it first"),
                )
            })?;
            Ok(Some(format!("container:{id}")))
        }
        None => Ok(Some(m.to_string())),
    }
}

fn first_container<'a>(ids: &'a BTreeMap<(String, u32), String>, service: &str) -> Option<&'a str> {
    ids.iter()
        .filter(|((s, _), _)| s == service)
        .min_by_key(|((_, n), _)| *n)
        .map(|(_, id)| id.as_str())
}

fn parse_protocol(service: &str, p: Option<&str>) -> Result<Protocol, String> {
    match p {
        None | Some("") => Ok(Protocol::Tcp),
        Some(s) => Protocol::parse(s)
            .ok_or_else(|| service_err(service, "ports", format!("unknown protocol {s:?}"))),
    }
}

fn parse_port_num(service: &str, key: &str, s: &str) -> Result<u16, String> {
    s.trim()
        .parse::<u16>()
        .map_err(|_| service_err(service, key, format!("invalid port {s:?}")))
}

fn ports(service: &Service) -> Result<(Vec<ContainerPort>, Vec<PortBinding>), String> {
    let name = &service.name;
    let mut exposed: Vec<ContainerPort> = Vec::new();
    let mut bindings = Vec::new();
    for e in &service.expose {
        let (range, proto) = match e.split_once('/') {
            Some((r, p)) => (r, Some(p)),
            None => (e.as_str(), None),
        };
        let protocol = parse_protocol(name, proto)?;
        let (a, b) = match range.split_once('-') {
            Some((a, b)) => (
                parse_port_num(name, "expose", a)?,
                parse_port_num(name, "expose", b)?,
            ),
            None => {
                let p = parse_port_num(name, "expose", range)?;
                (p, p)
            }
        };
        for port in a..=b.max(a) {
            let cp = ContainerPort { port, protocol };
            if !exposed.contains(&cp) {
                exposed.push(cp);
            }
        }
    }
    for (i, p) in service.ports.iter().enumerate() {
        let key = format!("ports[{i}]");
        let target = u16::try_from(p.target)
            .ok()
            .filter(|t| *t > 0)
            .ok_or_else(|| service_err(name, &key, format!("invalid target port {}", p.target)))?;
        let container = ContainerPort {
            port: target,
            protocol: parse_protocol(name, p.protocol.as_deref())?,
        };
        if !exposed.contains(&container) {
            exposed.push(container);
        }
        let host_port = match p.published.as_deref().map(str::trim) {
            None | Some("") => HostPort::Ephemeral,
            Some(s) => match s.split_once('-') {
                Some((a, b)) => HostPort::Range(
                    parse_port_num(name, &key, a)?,
                    parse_port_num(name, &key, b)?,
                ),
                None => HostPort::Port(parse_port_num(name, &key, s)?),
            },
        };
        bindings.push(PortBinding {
            container,
            host_ip: p.host_ip.clone().filter(|h| !h.is_empty()),
            host_port,
        });
    }
    Ok((exposed, bindings))
}

fn propagation(s: &str) -> Option<Propagation> {
    Some(match s {
        "private" => Propagation::Private,
        "rprivate" => Propagation::RPrivate,
        "shared" => Propagation::Shared,
        "rshared" => Propagation::RShared,
        "slave" => Propagation::Slave,
        "rslave" => Propagation::RSlave,
        _ => return None,
    })
}

fn mounts(project: &Project, service: &Service, inherited: &[Mount]) -> Result<Vec<Mount>, String> {
    let name = &service.name;
    let mut out: Vec<Mount> = Vec::new();
    let mut targets: BTreeSet<String> = BTreeSet::new();
    for (i, v) in service.volumes.iter().enumerate() {
        let key = format!("volumes[{i}]");
        let target = v
            .target
            .clone()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| service_err(name, &key, "missing target"))?;
        let source = v.source.clone().filter(|s| !s.is_empty());
        let kind = match v.kind.as_str() {
            "bind" => {
                let src = source
                    .as_deref()
                    .ok_or_else(|| service_err(name, &key, "a bind mount needs a source"))?;
                let opts = v.bind.clone().unwrap_or_default();
                let prop = match opts.propagation.as_deref().filter(|p| !p.is_empty()) {
                    Some(p) => Some(propagation(p).ok_or_else(|| {
                        service_err(name, &key, format!("unknown propagation {p:?}"))
                    })?),
                    None => None,
                };
                out.push(Mount {
                    kind: MountKind::Bind {
                        propagation: prop,
                        create_host_path: opts.creates_host_path(),
                        selinux: opts.selinux.filter(|s| !s.is_empty()),
                    },
                    source: Some(host_path(project, src)),
                    target: target.clone(),
                    read_only: v.read_only,
                    consistency: v.consistency.clone(),
                });
                targets.insert(target);
                continue;
            }
            "volume" | "" => {
                let opts = v.volume.clone().unwrap_or_default();
                if source.is_none() {
                    // Anonymous: reuse the replaced container's volume if there is one.
                    if let Some(m) = inherited.iter().find(|m| m.target == target) {
                        out.push(m.clone());
                        targets.insert(target);
                        continue;
                    }
                }
                MountKind::Volume {
                    nocopy: opts.nocopy,
                    subpath: opts.subpath.filter(|s| !s.is_empty()),
                    driver: None,
                    driver_opts: Labels::new(),
                    labels: opts.labels.into_iter().collect(),
                }
            }
            "tmpfs" => {
                let opts = v.tmpfs.clone().unwrap_or_default();
                MountKind::Tmpfs {
                    size_bytes: (opts.size.0 != 0).then_some(opts.size.0),
                    mode: (opts.mode != 0).then_some(opts.mode),
                }
            }
            "npipe" => MountKind::Npipe,
            other => {
                return Err(service_err(
                    name,
                    &key,
                    format!("volume type {other:?} is not supported by rcompose"),
                ))
            }
        };
        let source = match (&kind, source) {
            (MountKind::Volume { .. }, Some(s)) => Some(volume_name(project, &s)),
            (MountKind::Tmpfs { .. }, _) => None,
            (_, s) => s,
        };
        out.push(Mount {
            kind,
            source,
            target: target.clone(),
            read_only: v.read_only,
            consistency: v.consistency.clone(),
        });
        targets.insert(target);
    }
    // Anonymous volumes of the image (or no longer declared) carried over from the old container.
    for m in inherited {
        if !targets.contains(&m.target) {
            targets.insert(m.target.clone());
            out.push(m.clone());
        }
    }
    Ok(out)
}

/// Secrets and configs: files become read-only binds, `content`/`environment` ones are copied in.
fn file_objects(
    project: &Project,
    service: &Service,
    mounts: &mut Vec<Mount>,
    files: &mut Vec<InjectedFile>,
) -> Result<(), String> {
    let name = &service.name;
    let kinds: [(&str, &str, &[model::FileReference]); 2] = [
        ("secrets", "/run/secrets/", &service.secrets),
        ("configs", "/", &service.configs),
    ];
    for (kind, base, refs) in kinds {
        for (i, r) in refs.iter().enumerate() {
            let key = format!("{kind}[{i}]");
            let def: Option<&FileObject> = if kind == "secrets" {
                project.secrets.get(&r.source).map(|s| &s.0)
            } else {
                project.configs.get(&r.source).map(|c| &c.0)
            };
            let def = def.ok_or_else(|| {
                service_err(
                    name,
                    &key,
                    format!(
                        "{} {:?} is not defined at the top level",
                        &kind[..kind.len() - 1],
                        r.source
                    ),
                )
            })?;
            if def.external {
                return Err(service_err(
                    name,
                    &key,
                    format!(
                        "external {} {:?} is not supported outside swarm mode",
                        &kind[..kind.len() - 1],
                        r.source
                    ),
                ));
            }
            let target = match r.target.as_deref().filter(|t| !t.is_empty()) {
                None => format!("{base}{}", r.source),
                Some(t) if t.starts_with('/') => t.to_string(),
                Some(t) => format!("{base}{t}"),
            };
            if mounts.iter().any(|m| m.target == target) {
                continue;
            }
            if let Some(file) = def.file.as_deref().filter(|f| !f.is_empty()) {
                mounts.push(Mount {
                    kind: MountKind::Bind {
                        propagation: None,
                        create_host_path: false,
                        selinux: None,
                    },
                    source: Some(host_path(project, file)),
                    target,
                    read_only: true,
                    consistency: None,
                });
                continue;
            }
            let content = match (&def.content, &def.environment) {
                (Some(c), _) => c.clone(),
                (None, Some(var)) => project.environment.get(var).cloned().ok_or_else(|| {
                    service_err(
                        name,
                        &key,
                        format!(
                            "environment variable {var} (the content of {:?}) is not set",
                            r.source
                        ),
                    )
                })?,
                (None, None) => {
                    return Err(service_err(
                        name,
                        &key,
                        format!("{:?} has no file, content or environment", r.source),
                    ))
                }
            };
            files.push(InjectedFile {
                target,
                content: content.into_bytes(),
                mode: r.mode.map(|m| m.0).unwrap_or(0o444),
            });
        }
    }
    Ok(())
}

fn healthcheck(h: &model::Healthcheck) -> Healthcheck {
    let d = |g: &Option<model::GoDuration>| g.map(|g| g.0);
    Healthcheck {
        test: if h.disable {
            vec!["NONE".to_string()]
        } else {
            h.test.clone()
        },
        interval: d(&h.interval),
        timeout: d(&h.timeout),
        start_period: d(&h.start_period),
        start_interval: d(&h.start_interval),
        retries: h.retries.and_then(|r| u32::try_from(r).ok()),
    }
}

fn restart_policy(service: &Service) -> Result<Option<RestartPolicy>, String> {
    let parse = |s: &str, attempts: Option<i64>| -> Result<RestartPolicy, String> {
        let (name, n) = match s.split_once(':') {
            Some((a, b)) => (a, b.trim().parse::<i64>().ok()),
            None => (s, None),
        };
        let name = match name {
            "no" | "none" | "" => RestartPolicyName::No,
            "always" | "any" => RestartPolicyName::Always,
            "on-failure" => RestartPolicyName::OnFailure,
            "unless-stopped" => RestartPolicyName::UnlessStopped,
            other => {
                return Err(service_err(
                    &service.name,
                    "restart",
                    format!("unknown restart policy {other:?}"),
                ))
            }
        };
        Ok(RestartPolicy {
            name,
            max_retries: n.or(attempts),
        })
    };
    if let Some(rp) = service
        .deploy
        .as_ref()
        .and_then(|d| d.restart_policy.as_ref())
    {
        let attempts = rp.max_attempts.and_then(|a| i64::try_from(a).ok());
        return parse(rp.condition.as_deref().unwrap_or("any"), attempts).map(Some);
    }
    match service.restart.as_deref() {
        Some(r) => parse(r, None).map(Some),
        None => Ok(None),
    }
}

fn nonzero(v: i64) -> Option<i64> {
    (v != 0).then_some(v)
}

fn resources(service: &Service) -> Resources {
    let mut r = Resources {
        cpus: (service.cpus != 0.0).then_some(f64::from(service.cpus)),
        cpu_shares: nonzero(service.cpu_shares),
        cpu_period: nonzero(service.cpu_period),
        cpu_quota: nonzero(service.cpu_quota),
        cpu_rt_period: nonzero(service.cpu_rt_period),
        cpu_rt_runtime: nonzero(service.cpu_rt_runtime),
        cpuset_cpus: service.cpuset.clone().filter(|s| !s.is_empty()),
        memory: nonzero(service.mem_limit.0),
        memory_reservation: nonzero(service.mem_reservation.0),
        memory_swap: nonzero(service.memswap_limit.0),
        memory_swappiness: nonzero(service.mem_swappiness.0),
        pids_limit: nonzero(service.pids_limit),
        ..Resources::default()
    };
    if let Some(b) = &service.blkio_config {
        r.blkio_weight = u16::try_from(b.weight).ok().filter(|w| *w != 0);
        r.blkio_weight_device = b
            .weight_device
            .iter()
            .map(|w| WeightDevice {
                path: w.path.clone(),
                weight: u16::try_from(w.weight).unwrap_or(u16::MAX),
            })
            .collect();
        let t = |v: &[model::ThrottleDevice]| -> Vec<ThrottleDevice> {
            v.iter()
                .map(|d| ThrottleDevice {
                    path: d.path.clone(),
                    rate: d.rate.0,
                })
                .collect()
        };
        r.blkio_device_read_bps = t(&b.device_read_bps);
        r.blkio_device_write_bps = t(&b.device_write_bps);
        r.blkio_device_read_iops = t(&b.device_read_iops);
        r.blkio_device_write_iops = t(&b.device_write_iops);
    }
    let request = |d: &model::DeviceRequest, extra_cap: Option<&str>| {
        let mut caps = d.capabilities.clone();
        if let Some(c) = extra_cap {
            if !caps.iter().any(|x| x == c) {
                caps.push(c.to_string());
            }
        }
        DeviceRequest {
            driver: d.driver.clone(),
            count: (d.count != 0).then_some(d.count),
            device_ids: d.device_ids.clone(),
            capabilities: vec![caps],
            options: d.options.clone().into_iter().collect(),
        }
    };
    for g in &service.gpus {
        r.device_requests.push(request(g, Some("gpu")));
    }
    if let Some(deploy) = &service.deploy {
        if let Some(l) = &deploy.resources.limits {
            if l.memory.0 != 0 {
                r.memory = Some(l.memory.0);
            }
            if l.cpus != 0.0 {
                r.cpus = Some(f64::from(l.cpus));
            }
            if l.pids > 0 {
                r.pids_limit = Some(l.pids);
            }
        }
        if let Some(res) = &deploy.resources.reservations {
            if res.memory.0 != 0 {
                r.memory_reservation = Some(res.memory.0);
            }
            for d in &res.devices {
                r.device_requests.push(request(d, None));
            }
        }
    }
    r
}

/// `depends_on` as docker compose writes it in `com.docker.compose.depends_on`:
/// `svc:condition:restart` joined by `,`.
pub fn depends_on_label(service: &Service) -> String {
    service
        .depends_on
        .iter()
        .map(|(s, d)| format!("{s}:{}:{}", d.condition.as_str(), d.restart))
        .collect::<Vec<_>>()
        .join(",")
}

/// The networks a service joins, by priority (higher first), then declaration order.
fn networks_by_priority(service: &Service) -> Vec<(String, Option<model::ServiceNetwork>)> {
    let mut list: Vec<(i64, usize, String, Option<model::ServiceNetwork>)> = service
        .networks
        .iter()
        .enumerate()
        .map(|(i, (k, v))| {
            (
                v.as_ref().map(|n| n.priority).unwrap_or(0),
                i,
                k.clone(),
                v.clone(),
            )
        })
        .collect();
    list.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    list.into_iter().map(|(_, _, k, v)| (k, v)).collect()
}

/// The container to create for replica `ctx.number` of `service`.
pub fn container_spec(
    project: &Project,
    service: &Service,
    ctx: &SpecContext,
) -> Result<ContainerPlan, String> {
    let name = &service.name;
    let final_name = container_name(&project.name, service, ctx.number);

    let l = container_labels(project, service, ctx);

    let (exposed_ports, port_bindings) = ports(service)?;
    let mut mount_list = mounts(project, service, &ctx.inherited)?;
    let mut files = Vec::new();
    file_objects(project, service, &mut mount_list, &mut files)?;

    let network_mode = resolve_mode(name, "network_mode", &service.network_mode, &ctx.ids)?;
    let mut networks = if network_mode.is_none() {
        network_attachments(project, service, &final_name)
    } else {
        Vec::new()
    };

    let volumes_from = volumes_from_ids(service, ctx)?;

    // On user-defined networks the engine takes links per endpoint (docker compose v5 puts them
    // on every network); only a container without networks of its own keeps them in the host
    // config.
    let mut links = container_links(project, service, ctx);
    if !networks.is_empty() {
        for n in &mut networks {
            n.links = links.clone();
        }
        links.clear();
    }
    let tmpfs = tmpfs_mounts(service);
    let extra_hosts = extra_hosts(service);
    let logging = log_config(service);
    let devices = device_mappings(service);

    let spec = ContainerSpec {
        name: ctx.create_as.clone(),
        image: service.image_name(&project.name),
        platform: service.platform.clone().filter(|p| !p.is_empty()),
        entrypoint: service.entrypoint.clone(),
        cmd: service.command.clone(),
        env: service.environment.clone().into_iter().collect(),
        labels: l,
        user: service.user.clone().filter(|s| !s.is_empty()),
        working_dir: service.working_dir.clone().filter(|s| !s.is_empty()),
        hostname: service.hostname.clone().filter(|s| !s.is_empty()),
        domainname: service.domainname.clone().filter(|s| !s.is_empty()),
        mac_address: None,
        tty: service.tty,
        stdin_open: service.stdin_open,
        exposed_ports,
        ports: port_bindings,
        publish_all_ports: false,
        mounts: mount_list,
        volumes_from,
        networks,
        network_mode,
        links,
        pid: resolve_mode(name, "pid", &service.pid, &ctx.ids)?,
        ipc: resolve_mode(name, "ipc", &service.ipc, &ctx.ids)?,
        uts: service.uts.clone().filter(|s| !s.is_empty()),
        userns_mode: service.userns_mode.clone().filter(|s| !s.is_empty()),
        cgroup: service.cgroup.clone().filter(|s| !s.is_empty()),
        cgroup_parent: service.cgroup_parent.clone().filter(|s| !s.is_empty()),
        healthcheck: service.healthcheck.as_ref().map(healthcheck),
        restart: restart_policy(service)?,
        init: service.init,
        extra_hosts,
        dns: service.dns.clone(),
        dns_search: service.dns_search.clone(),
        dns_options: service.dns_opt.clone(),
        tmpfs,
        read_only: service.read_only,
        shm_size: nonzero(service.shm_size.0),
        ulimits: service
            .ulimits
            .iter()
            .map(|(k, u)| Ulimit {
                name: k.clone(),
                soft: u.soft(),
                hard: u.hard(),
            })
            .collect(),
        cap_add: service.cap_add.clone(),
        cap_drop: service.cap_drop.clone(),
        privileged: service.privileged,
        sysctls: service.sysctls.clone().into_iter().collect(),
        devices,
        device_cgroup_rules: service.device_cgroup_rules.clone(),
        logging,
        resources: resources(service),
        stop_signal: service.stop_signal.clone().filter(|s| !s.is_empty()),
        stop_timeout: service
            .stop_grace_period
            .map(|g| i64::try_from(g.0.as_secs()).unwrap_or(i64::MAX)),
        security_opt: service.security_opt.clone(),
        group_add: service.group_add.clone(),
        oom_kill_disable: service.oom_kill_disable.then_some(true),
        oom_score_adj: nonzero(service.oom_score_adj),
        runtime: service.runtime.clone().filter(|s| !s.is_empty()),
        storage_opt: service.storage_opt.clone().into_iter().collect(),
        isolation: service.isolation.clone().filter(|s| !s.is_empty()),
        annotations: service.annotations.clone().into_iter().collect(),
        stdin_once: false,
        auto_remove: false,
    };
    Ok(ContainerPlan { spec, files })
}

/// The container's labels: the user's (and `deploy.labels`), then compose's (compose's win).
fn container_labels(project: &Project, service: &Service, ctx: &SpecContext) -> Labels {
    let name = &service.name;
    let mut l: Labels = service.labels.clone().into_iter().collect();
    if let Some(d) = &service.deploy {
        for (k, v) in &d.labels {
            l.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    l.extend(project_labels(project));
    l.insert(labels::SERVICE.into(), name.clone());
    l.insert(labels::CONTAINER_NUMBER.into(), ctx.number.to_string());
    l.insert(labels::ONEOFF.into(), "False".into());
    l.insert(labels::CONFIG_HASH.into(), ctx.config_hash.clone());
    l.insert(
        labels::WORKING_DIR.into(),
        working_dir(project).to_string_lossy().into_owned(),
    );
    l.insert(
        labels::CONFIG_FILES.into(),
        project
            .compose_files
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(","),
    );
    l.insert(labels::DEPENDS_ON.into(), depends_on_label(service));
    if let Some(id) = &ctx.image_id {
        l.insert(labels::IMAGE.into(), id.clone());
    }
    if let Some(r) = &ctx.replaces {
        l.insert(labels::REPLACE.into(), r.clone());
    }
    l
}

/// The networks the container joins, by priority, with its aliases and addresses.
fn network_attachments(
    project: &Project,
    service: &Service,
    final_name: &str,
) -> Vec<NetworkAttachment> {
    let name = &service.name;
    let mut networks = Vec::new();
    for (key, cfg) in networks_by_priority(service) {
        let cfg = cfg.unwrap_or_default();
        let mut aliases = vec![final_name.to_string(), name.clone()];
        for a in &cfg.aliases {
            if !aliases.contains(a) {
                aliases.push(a.clone());
            }
        }
        networks.push(NetworkAttachment {
            network: network_name(project, &key),
            aliases,
            ipv4_address: cfg.ipv4_address.clone().filter(|s| !s.is_empty()),
            ipv6_address: cfg.ipv6_address.clone().filter(|s| !s.is_empty()),
            link_local_ips: cfg.link_local_ips.clone(),
            mac_address: cfg
                .mac_address
                .clone()
                .filter(|s| !s.is_empty())
                .or_else(|| {
                    // The service-level mac_address goes to the main network.
                    if service.networks.len() == 1 {
                        service.mac_address.clone().filter(|s| !s.is_empty())
                    } else {
                        None
                    }
                }),
            driver_opts: cfg.driver_opts.clone().into_iter().collect(),
            priority: i32::try_from(cfg.priority).unwrap_or(0),
            links: Vec::new(),
        });
    }
    networks
}

/// `volumes_from` with each service replaced by the id of its first container.
fn volumes_from_ids(service: &Service, ctx: &SpecContext) -> Result<Vec<String>, String> {
    let name = &service.name;
    let mut volumes_from = Vec::new();
    for vf in &service.volumes_from {
        if let Some(rest) = vf.strip_prefix("container:") {
            volumes_from.push(rest.to_string());
            continue;
        }
        let (svc, mode) = match vf.split_once(':') {
            Some((s, m)) => (s, Some(m)),
            None => (vf.as_str(), None),
        };
        let id = first_container(&ctx.ids, svc).ok_or_else(|| {
            service_err(
                name,
                "volumes_from",
                format!("service {svc} has no container to share volumes with"),
            )
        })?;
        volumes_from.push(match mode {
            Some(m) => format!("{id}:{m}"),
            None => id.to_string(),
        });
    }
    Ok(volumes_from)
}

/// `links` and `external_links` as docker compose v5 sets them, `container:alias`: for every
/// existing container of a linked service, its link alias, then `<service>-<n>` and
/// `<project>-<service>-<n>` where `n` is the number of the container being created (v5's
/// `getLinks` uses that number, not the linked container's); an external link `name[:alias]`
/// as `name:alias`.
fn container_links(project: &Project, service: &Service, ctx: &SpecContext) -> Vec<String> {
    let mut links = Vec::new();
    let n = ctx.number;
    for link in &service.links {
        let (svc, alias) = match link.split_once(':') {
            Some((s, a)) => (s, a),
            None => (link.as_str(), link.as_str()),
        };
        let Some(target) = project.services.get(svc) else {
            links.push(format!("{svc}:{alias}"));
            continue;
        };
        let mut numbers: Vec<u32> = ctx
            .ids
            .keys()
            .filter(|(s, _)| s == svc)
            .map(|(_, m)| *m)
            .collect();
        if numbers.is_empty() {
            numbers.push(1);
        }
        numbers.sort_unstable_by(|a, b| b.cmp(a));
        for m in numbers {
            let c = container_name(&project.name, target, m);
            links.push(format!("{c}:{alias}"));
            links.push(format!("{c}:{svc}-{n}"));
            links.push(format!("{c}:{}-{svc}-{n}", project.name));
        }
    }
    for ext in &service.external_links {
        match ext.split_once(':') {
            Some(_) => links.push(ext.clone()),
            None => links.push(format!("{ext}:{ext}")),
        }
    }
    links
}

/// `tmpfs` entries as path -> options.
fn tmpfs_mounts(service: &Service) -> BTreeMap<String, String> {
    let mut tmpfs = BTreeMap::new();
    for t in &service.tmpfs {
        match t.split_once(':') {
            Some((p, o)) => tmpfs.insert(p.to_string(), o.to_string()),
            None => tmpfs.insert(t.clone(), String::new()),
        };
    }
    tmpfs
}

/// `extra_hosts` as the engine takes them (`host:ip`).
fn extra_hosts(service: &Service) -> Vec<String> {
    service
        .extra_hosts
        .iter()
        .map(|h| match h.split_once('=') {
            Some((host, ip)) => format!("{host}:{ip}"),
            None => h.clone(),
        })
        .collect()
}

/// The log driver and its options, when any is set.
fn log_config(service: &Service) -> Option<LogConfig> {
    service.logging.as_ref().and_then(|lg| {
        let driver = lg.driver.clone().unwrap_or_default();
        (!driver.is_empty() || !lg.options.is_empty()).then(|| LogConfig {
            driver,
            options: lg.options.clone().into_iter().collect(),
        })
    })
}

/// `devices` as engine device mappings (`rwm` unless given).
fn device_mappings(service: &Service) -> Vec<DeviceMapping> {
    service
        .devices
        .iter()
        .map(|d| {
            let src = d.source.clone().unwrap_or_default();
            DeviceMapping {
                container_path: d.target.clone().unwrap_or_else(|| src.clone()),
                host_path: src,
                permissions: d.permissions.clone().unwrap_or_else(|| "rwm".to_string()),
            }
        })
        .collect()
}

/// The network `key` of the project, to create. `config_hash` is recorded as a label so that a
/// changed definition is noticed.
pub fn network_spec(project: &Project, key: &str, config_hash: &str) -> NetworkSpec {
    let def = project.networks.get(key).cloned().unwrap_or_default();
    let mut l: Labels = def.labels.clone().into_iter().collect();
    l.extend(project_labels(project));
    l.insert(labels::NETWORK.into(), key.to_string());
    if !config_hash.is_empty() {
        l.insert(labels::CONFIG_HASH.into(), config_hash.to_string());
    }
    let ipam = (def.ipam != model::Ipam::default()).then(|| Ipam {
        driver: def.ipam.driver.clone(),
        config: def
            .ipam
            .config
            .iter()
            .map(|p| IpamPool {
                subnet: p.subnet.clone(),
                ip_range: p.ip_range.clone(),
                gateway: p.gateway.clone(),
                aux_addresses: p.aux_addresses.clone().into_iter().collect(),
            })
            .collect(),
        options: def.ipam.options.clone().into_iter().collect(),
    });
    NetworkSpec {
        name: network_name(project, key),
        driver: def.driver.clone().filter(|d| !d.is_empty()),
        driver_opts: def.driver_opts.clone().into_iter().collect(),
        labels: l,
        internal: def.internal,
        attachable: def.attachable,
        enable_ipv6: def.enable_ipv6,
        ipam,
    }
}

/// The volume `key` of the project, to create.
pub fn volume_spec(project: &Project, key: &str, config_hash: &str) -> VolumeSpec {
    let def = project.volumes.get(key).cloned().unwrap_or_default();
    let mut l: Labels = def.labels.clone().into_iter().collect();
    l.extend(project_labels(project));
    l.insert(labels::VOLUME.into(), key.to_string());
    if !config_hash.is_empty() {
        l.insert(labels::CONFIG_HASH.into(), config_hash.to_string());
    }
    VolumeSpec {
        name: volume_name(project, key),
        driver: def.driver.clone().filter(|d| !d.is_empty()),
        driver_opts: def.driver_opts.clone().into_iter().collect(),
        labels: l,
    }
}

/// Stop timeout of a service in whole seconds, if set.
pub fn stop_timeout(service: &Service) -> Option<Duration> {
    service.stop_grace_period.map(|g| g.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(yaml: &str) -> Project {
        let v: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap_or(serde_yaml::Value::Null);
        let mut p = Project::from_value(v).unwrap_or_default();
        p.working_dir = Some(PathBuf::from("/srv/app"));
        p.compose_files = vec![PathBuf::from("/srv/app/compose.yaml")];
        p
    }

    const P: &str = r#"
name: app
services:
  db:
    image: postgres
  web:
    image: nginx
    container_name: front
    depends_on:
      db: {condition: service_healthy, required: true, restart: true}
    environment: {A: "1", B: null}
    labels: {mine: "yes"}
    ports:
      - {target: 80, published: "8080", protocol: tcp}
      - {target: 53, protocol: udp, host_ip: 127.0.0.1}
    expose: ["9000-9001"]
    networks:
      back: {aliases: [www], ipv4_address: 10.5.0.9}
      default: {priority: 10}
    volumes:
      - {type: bind, source: ./html, target: /usr/share/nginx/html, read_only: true}
      - {type: volume, source: data, target: /data}
      - {type: volume, target: /cache}
      - {type: tmpfs, target: /tmp, tmpfs: {size: 1024}}
    secrets: [token]
    configs: [{source: conf, target: etc/app.conf}, {source: inline}]
    pid: "service:db"
    tmpfs: ["/run:size=64k"]
    extra_hosts: ["db.local=10.0.0.1"]
    restart: on-failure:3
    stop_grace_period: 30s
    healthcheck: {test: ["CMD", "true"], interval: 2s}
networks:
  default: {name: app_default}
  back: {}
volumes:
  data: {name: shared-data}
secrets:
  token: {file: ./token.txt}
configs:
  conf: {file: /etc/conf}
  inline: {content: "hello"}
"#;

    fn ctx() -> SpecContext {
        let mut ids = BTreeMap::new();
        ids.insert(("db".to_string(), 1), "dbid".to_string());
        SpecContext {
            number: 1,
            create_as: "front".into(),
            config_hash: "h".into(),
            image_id: Some("sha256:img".into()),
            replaces: None,
            ids,
            inherited: vec![],
        }
    }

    #[test]
    fn service_becomes_a_container_spec() {
        let p = project(P);
        let web = &p.services["web"];
        let out = container_spec(&p, web, &ctx()).unwrap();
        let s = &out.spec;
        assert_eq!(s.name, "front");
        assert_eq!(s.image, "nginx");
        assert_eq!(s.labels[labels::PROJECT], "app");
        assert_eq!(s.labels[labels::SERVICE], "web");
        assert_eq!(s.labels[labels::CONTAINER_NUMBER], "1");
        assert_eq!(s.labels[labels::ONEOFF], "False");
        assert_eq!(s.labels[labels::CONFIG_HASH], "h");
        assert_eq!(s.labels[labels::WORKING_DIR], "/srv/app");
        assert_eq!(s.labels[labels::CONFIG_FILES], "/srv/app/compose.yaml");
        assert_eq!(s.labels[labels::DEPENDS_ON], "db:service_healthy:true");
        assert_eq!(s.labels[labels::IMAGE], "sha256:img");
        assert_eq!(s.labels["mine"], "yes");
        assert_eq!(s.env["A"], Some("1".into()));
        assert_eq!(s.env["B"], None);
        // Networks: by priority, aliases = container name, service name, user aliases.
        assert_eq!(s.networks[0].network, "app_default");
        assert_eq!(s.networks[1].network, "app_back");
        assert_eq!(s.networks[1].aliases, vec!["front", "web", "www"]);
        assert_eq!(s.networks[1].ipv4_address.as_deref(), Some("10.5.0.9"));
        // Ports.
        assert_eq!(s.ports[0].host_port, HostPort::Port(8080));
        assert_eq!(s.ports[1].container.protocol, Protocol::Udp);
        assert_eq!(s.ports[1].host_ip.as_deref(), Some("127.0.0.1"));
        assert!(s.exposed_ports.contains(&ContainerPort::tcp(9001)));
        // Mounts.
        let m = |t: &str| s.mounts.iter().find(|m| m.target == t).cloned();
        assert_eq!(
            m("/usr/share/nginx/html").and_then(|m| m.source),
            Some("/srv/app/html".to_string())
        );
        assert_eq!(
            m("/data").and_then(|m| m.source),
            Some("shared-data".into())
        );
        assert_eq!(m("/cache").map(|m| m.source), Some(None));
        assert!(matches!(
            m("/tmp").map(|m| m.kind),
            Some(MountKind::Tmpfs {
                size_bytes: Some(1024),
                ..
            })
        ));
        let secret = m("/run/secrets/token").unwrap();
        assert!(secret.read_only);
        assert_eq!(secret.source.as_deref(), Some("/srv/app/token.txt"));
        assert!(m("/etc/app.conf").is_some());
        assert_eq!(out.files.len(), 1);
        assert_eq!(out.files[0].target, "/inline");
        assert_eq!(out.files[0].content, b"hello");
        // Namespaces and the rest.
        assert_eq!(s.pid.as_deref(), Some("container:dbid"));
        assert_eq!(s.tmpfs["/run"], "size=64k");
        assert_eq!(s.extra_hosts, vec!["db.local:10.0.0.1"]);
        assert_eq!(
            s.restart,
            Some(RestartPolicy {
                name: RestartPolicyName::OnFailure,
                max_retries: Some(3)
            })
        );
        assert_eq!(s.stop_timeout, Some(30));
        assert_eq!(
            s.healthcheck.as_ref().and_then(|h| h.interval),
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn anonymous_volumes_are_carried_over() {
        let p = project(P);
        let mut c = ctx();
        c.inherited = vec![
            Mount {
                kind: MountKind::Volume {
                    nocopy: false,
                    subpath: None,
                    driver: None,
                    driver_opts: Labels::new(),
                    labels: Labels::new(),
                },
                source: Some("anon123".into()),
                target: "/cache".into(),
                read_only: false,
                consistency: None,
            },
            Mount {
                kind: MountKind::Volume {
                    nocopy: false,
                    subpath: None,
                    driver: None,
                    driver_opts: Labels::new(),
                    labels: Labels::new(),
                },
                source: Some("imgvol".into()),
                target: "/var/lib/x".into(),
                read_only: false,
                consistency: None,
            },
        ];
        let s = container_spec(&p, &p.services["web"], &c).unwrap().spec;
        let src = |t: &str| {
            s.mounts
                .iter()
                .find(|m| m.target == t)
                .and_then(|m| m.source.clone())
        };
        assert_eq!(src("/cache").as_deref(), Some("anon123"));
        assert_eq!(src("/var/lib/x").as_deref(), Some("imgvol"));
    }

    #[test]
    fn service_namespace_without_container_is_an_error() {
        let p = project(P);
        let mut c = ctx();
        c.ids.clear();
        let e = container_spec(&p, &p.services["web"], &c).unwrap_err();
        assert!(e.contains("services.web.pid") && e.contains("db"), "{e}");
    }

    #[test]
    fn broken_values_are_errors_not_panics() {
        for y in [
            "name: a\nservices:\n  s:\n    image: x\n    ports: [{target: 70000}]\n",
            "name: a\nservices:\n  s:\n    image: x\n    ports: [{target: 80, published: \"x\"}]\n",
            "name: a\nservices:\n  s:\n    image: x\n    expose: [\"a-b\"]\n",
            "name: a\nservices:\n  s:\n    image: x\n    restart: sometimes\n",
            "name: a\nservices:\n  s:\n    image: x\n    secrets: [nope]\n",
            "name: a\nservices:\n  s:\n    image: x\n    volumes: [{type: bind, target: /x}]\n",
        ] {
            let p = project(y);
            let s = p.services.get("s").cloned().unwrap_or_default();
            assert!(container_spec(&p, &s, &ctx()).is_err(), "{y}");
        }
    }

    #[test]
    fn network_and_volume_specs_carry_compose_labels() {
        let p = project(P);
        let n = network_spec(&p, "back", "nh");
        assert_eq!(n.name, "app_back");
        assert_eq!(n.labels[labels::NETWORK], "back");
        assert_eq!(n.labels[labels::PROJECT], "app");
        assert_eq!(n.labels[labels::CONFIG_HASH], "nh");
        let v = volume_spec(&p, "data", "");
        assert_eq!(v.name, "shared-data");
        assert_eq!(v.labels[labels::VOLUME], "data");
    }
}
