//! The Docker implementation of [`Engine`] and its area traits over bollard. The ONLY module in
//! the crate that imports bollard: everything crossing this boundary is an engine-level type from
//! [`super::types`]. `address` resolves where the engine is; `errors` is the one place the
//! engine's answers become typed [`EngineError`]s.
//!
//! Address ([`ConnectOptions`]): `DOCKER_HOST` (`unix://`, `tcp://`, TLS through
//! `DOCKER_TLS_VERIFY` / `DOCKER_CERT_PATH`), else the current docker context (`DOCKER_CONTEXT`
//! or `currentContext` in `$DOCKER_CONFIG/config.json`), else `unix:///var/run/docker.sock`. The
//! API version is negotiated down to what the engine speaks (this code works against API 1.41,
//! Docker 20.10).
//!
//! Version notes: before API 1.44 a container can be created on one network only, so the others
//! are connected between create and start; before 1.42 `stop` takes no signal, so a custom stop
//! signal is sent with `kill` followed by a bounded wait.
//! Must not import `model`, `loader`, `plan`, `app` or `cli`, and reads no environment variable:
//! where the engine is comes in as [`ConnectOptions`].

mod address;
mod errors;
mod swarm;

use errors::{is_status, map_error, unavailable};

pub use address::{resolve_address, ConnectOptions, EngineAddress, TlsFiles};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use bollard::errors::Error as BollardError;
use bollard::models as bm;
use bollard::query_parameters as qp;
use bollard::{ClientVersion, Docker, API_DEFAULT_VERSION};
use bytes::Bytes;
use futures::stream::{BoxStream, StreamExt};

use super::prelude::*;
use super::types::*;
use super::{EngineError, EngineResult, ObjectKind};

/// The Docker engine over bollard.
#[derive(Debug, Clone)]
pub struct DockerEngine {
    docker: Docker,
    address: String,
    /// The docker config directory, where registry credentials are read from.
    config_dir: Option<PathBuf>,
}

/// Seconds bollard waits for response headers (long: `stop` waits for the grace period).
const REQUEST_TIMEOUT_SECS: u64 = 600;

impl DockerEngine {
    /// Connects to the engine `options` name, and negotiates the API version.
    pub async fn connect(options: &ConnectOptions) -> EngineResult<DockerEngine> {
        let address = resolve_address(options)?;
        let mut engine = Self::connect_to(&address).await?;
        engine.config_dir = options.config_dir.clone();
        Ok(engine)
    }

    /// Connects to `address` and negotiates the API version (no registry credentials).
    pub async fn connect_to(address: &EngineAddress) -> EngineResult<DockerEngine> {
        let shown = address.to_string();
        let version: &ClientVersion = API_DEFAULT_VERSION;
        let docker = match address {
            EngineAddress::Unix(path) => {
                let path = path.to_string_lossy();
                Docker::connect_with_unix(&path, REQUEST_TIMEOUT_SECS, version)
            }
            EngineAddress::Tcp { addr, tls: None } => {
                Docker::connect_with_http(addr, REQUEST_TIMEOUT_SECS, version)
            }
            EngineAddress::Tcp {
                addr,
                tls: Some(tls),
            } => Docker::connect_with_ssl(
                addr,
                &tls.key,
                &tls.cert,
                &tls.ca,
                REQUEST_TIMEOUT_SECS,
                version,
            ),
        }
        .map_err(|e| unavailable(&shown, &e))?;
        let docker = docker
            .negotiate_version()
            .await
            .map_err(|e| unavailable(&shown, &e))?;
        Ok(DockerEngine {
            docker,
            address: shown,
            config_dir: None,
        })
    }

    /// The address this engine talks to, e.g. `unix:///var/run/docker.sock`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The negotiated API version, e.g. `1.41`.
    pub fn api_version(&self) -> String {
        let v = self.docker.client_version();
        format!("{}.{}", v.major_version, v.minor_version)
    }

    fn err(&self, e: BollardError, kind: ObjectKind, name: &str) -> EngineError {
        map_error(&self.address, e, kind, name)
    }
}

fn hashmap(m: &Labels) -> HashMap<String, String> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

fn labels_of(m: Option<HashMap<String, String>>) -> Labels {
    m.unwrap_or_default().into_iter().collect()
}

fn label_filters(filter: &LabelFilter) -> HashMap<String, Vec<String>> {
    let mut f = HashMap::new();
    let labels = filter.to_docker_filters();
    if !labels.is_empty() {
        f.insert("label".to_string(), labels);
    }
    f
}

fn none_if_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

fn nanos(d: Option<Duration>) -> Option<i64> {
    d.map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

fn strip_slash(s: &str) -> String {
    s.strip_prefix('/').unwrap_or(s).to_string()
}

/// Splits `repo[:tag]` (a `:` inside a registry host:port is not a tag).
fn split_tag(image: &str) -> (String, Option<String>) {
    let last_slash = image.rfind('/').map(|i| i + 1).unwrap_or(0);
    match image.get(last_slash..).and_then(|tail| tail.rfind(':')) {
        Some(i) => {
            let at = last_slash + i;
            (
                image.get(..at).unwrap_or(image).to_string(),
                image.get(at + 1..).map(str::to_string),
            )
        }
        None => (image.to_string(), None),
    }
}

fn endpoint_settings(a: &NetworkAttachment) -> bm::EndpointSettings {
    let ipam =
        (a.ipv4_address.is_some() || a.ipv6_address.is_some() || !a.link_local_ips.is_empty())
            .then(|| bm::EndpointIpamConfig {
                ipv4_address: a.ipv4_address.clone(),
                ipv6_address: a.ipv6_address.clone(),
                link_local_ips: none_if_empty(a.link_local_ips.clone()),
            });
    bm::EndpointSettings {
        ipam_config: ipam,
        aliases: none_if_empty(a.aliases.clone()),
        links: none_if_empty(a.links.clone()),
        mac_address: a.mac_address.clone(),
        driver_opts: (!a.driver_opts.is_empty()).then(|| hashmap(&a.driver_opts)),
        ..Default::default()
    }
}

fn bind_string(m: &Mount, selinux: &Option<String>, propagation: &Option<Propagation>) -> String {
    let mut opts = Vec::new();
    if m.read_only {
        opts.push("ro".to_string());
    }
    if let Some(z) = selinux {
        opts.push(z.clone());
    }
    if let Some(p) = propagation {
        opts.push(p.as_str().to_string());
    }
    let src = m.source.clone().unwrap_or_default();
    if opts.is_empty() {
        format!("{src}:{}", m.target)
    } else {
        format!("{src}:{}:{}", m.target, opts.join(","))
    }
}

/// Splits mounts into legacy `Binds` strings (binds that may create their source) and `Mounts`.
fn mounts_for(spec: &ContainerSpec) -> (Vec<String>, Vec<bm::Mount>) {
    let mut binds = Vec::new();
    let mut mounts = Vec::new();
    for m in &spec.mounts {
        let mut out = bm::Mount {
            target: Some(m.target.clone()),
            source: m.source.clone(),
            read_only: Some(m.read_only),
            consistency: m.consistency.clone(),
            ..Default::default()
        };
        match &m.kind {
            MountKind::Bind {
                propagation,
                create_host_path: true,
                selinux,
            } => {
                binds.push(bind_string(m, selinux, propagation));
                continue;
            }
            MountKind::Bind { propagation, .. } => {
                out.typ = Some(bm::MountType::BIND);
                out.bind_options = propagation.map(|p| bm::MountBindOptions {
                    propagation: Some(match p {
                        Propagation::Private => bm::MountBindOptionsPropagationEnum::PRIVATE,
                        Propagation::RPrivate => bm::MountBindOptionsPropagationEnum::RPRIVATE,
                        Propagation::Shared => bm::MountBindOptionsPropagationEnum::SHARED,
                        Propagation::RShared => bm::MountBindOptionsPropagationEnum::RSHARED,
                        Propagation::Slave => bm::MountBindOptionsPropagationEnum::SLAVE,
                        Propagation::RSlave => bm::MountBindOptionsPropagationEnum::RSLAVE,
                    }),
                    ..Default::default()
                });
            }
            MountKind::Volume {
                nocopy,
                subpath,
                driver,
                driver_opts,
                labels,
            } => {
                out.typ = Some(bm::MountType::VOLUME);
                let driver_config = driver.as_ref().map(|d| bm::MountVolumeOptionsDriverConfig {
                    name: Some(d.clone()),
                    options: (!driver_opts.is_empty()).then(|| hashmap(driver_opts)),
                });
                if *nocopy || subpath.is_some() || driver_config.is_some() || !labels.is_empty() {
                    out.volume_options = Some(bm::MountVolumeOptions {
                        no_copy: nocopy.then_some(true),
                        labels: (!labels.is_empty()).then(|| hashmap(labels)),
                        driver_config,
                        subpath: subpath.clone(),
                    });
                }
            }
            MountKind::Tmpfs { size_bytes, mode } => {
                out.typ = Some(bm::MountType::TMPFS);
                out.source = None;
                if size_bytes.is_some() || mode.is_some() {
                    out.tmpfs_options = Some(bm::MountTmpfsOptions {
                        size_bytes: *size_bytes,
                        mode: mode.map(i64::from),
                        options: None,
                    });
                }
            }
            MountKind::Npipe => out.typ = Some(bm::MountType::NPIPE),
        }
        mounts.push(out);
    }
    (binds, mounts)
}

fn port_map(spec: &ContainerSpec) -> (Vec<String>, HashMap<String, Option<Vec<bm::PortBinding>>>) {
    let mut exposed: Vec<String> = spec.exposed_ports.iter().map(|p| p.to_string()).collect();
    let mut bindings: HashMap<String, Option<Vec<bm::PortBinding>>> = HashMap::new();
    for p in &spec.ports {
        let key = p.container.to_string();
        if !exposed.contains(&key) {
            exposed.push(key.clone());
        }
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(bm::PortBinding {
                host_ip: p.host_ip.clone(),
                host_port: Some(p.host_port.to_docker_string()),
            });
    }
    (exposed, bindings)
}

/// The host part of a container's create body (everything but the resource limits).
fn host_config(spec: &ContainerSpec, network_mode: Option<String>) -> bm::HostConfig {
    let (_, bindings) = port_map(spec);
    let (binds, mounts) = mounts_for(spec);
    bm::HostConfig {
        binds: none_if_empty(binds),
        mounts: none_if_empty(mounts),
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        publish_all_ports: spec.publish_all_ports.then_some(true),
        network_mode,
        links: none_if_empty(spec.links.clone()),
        volumes_from: none_if_empty(spec.volumes_from.clone()),
        pid_mode: spec.pid.clone(),
        ipc_mode: spec.ipc.clone(),
        uts_mode: spec.uts.clone(),
        userns_mode: spec.userns_mode.clone(),
        cgroup: spec.cgroup.clone(),
        cgroup_parent: spec.cgroup_parent.clone(),
        restart_policy: spec.restart.map(|p| bm::RestartPolicy {
            name: Some(match p.name {
                RestartPolicyName::No => bm::RestartPolicyNameEnum::NO,
                RestartPolicyName::Always => bm::RestartPolicyNameEnum::ALWAYS,
                RestartPolicyName::OnFailure => bm::RestartPolicyNameEnum::ON_FAILURE,
                RestartPolicyName::UnlessStopped => bm::RestartPolicyNameEnum::UNLESS_STOPPED,
            }),
            maximum_retry_count: p.max_retries,
        }),
        init: spec.init,
        extra_hosts: none_if_empty(spec.extra_hosts.clone()),
        dns: none_if_empty(spec.dns.clone()),
        dns_search: none_if_empty(spec.dns_search.clone()),
        dns_options: none_if_empty(spec.dns_options.clone()),
        tmpfs: (!spec.tmpfs.is_empty()).then(|| hashmap(&spec.tmpfs)),
        readonly_rootfs: spec.read_only.then_some(true),
        shm_size: spec.shm_size,
        ulimits: none_if_empty(
            spec.ulimits
                .iter()
                .map(|u| bm::ResourcesUlimits {
                    name: Some(u.name.clone()),
                    soft: Some(u.soft),
                    hard: Some(u.hard),
                })
                .collect(),
        ),
        cap_add: none_if_empty(spec.cap_add.clone()),
        cap_drop: none_if_empty(spec.cap_drop.clone()),
        privileged: spec.privileged.then_some(true),
        sysctls: (!spec.sysctls.is_empty()).then(|| hashmap(&spec.sysctls)),
        devices: none_if_empty(
            spec.devices
                .iter()
                .map(|d| bm::DeviceMapping {
                    path_on_host: Some(d.host_path.clone()),
                    path_in_container: Some(d.container_path.clone()),
                    cgroup_permissions: Some(d.permissions.clone()),
                })
                .collect(),
        ),
        device_cgroup_rules: none_if_empty(spec.device_cgroup_rules.clone()),
        log_config: spec.logging.as_ref().map(|l| bm::HostConfigLogConfig {
            typ: Some(l.driver.clone()),
            config: (!l.options.is_empty()).then(|| hashmap(&l.options)),
        }),
        security_opt: none_if_empty(spec.security_opt.clone()),
        group_add: none_if_empty(spec.group_add.clone()),
        oom_kill_disable: spec.oom_kill_disable,
        oom_score_adj: spec.oom_score_adj,
        runtime: spec.runtime.clone(),
        storage_opt: (!spec.storage_opt.is_empty()).then(|| hashmap(&spec.storage_opt)),
        annotations: (!spec.annotations.is_empty()).then(|| hashmap(&spec.annotations)),
        auto_remove: spec.auto_remove.then_some(true),
        ..resource_limits(&spec.resources)
    }
}

/// The resource limits of a container (`deploy.resources`, `cpus`, `mem_limit`, blkio...).
fn resource_limits(r: &Resources) -> bm::HostConfig {
    bm::HostConfig {
        nano_cpus: r.cpus.map(|c| (c * 1e9).round() as i64),
        cpu_shares: r.cpu_shares,
        cpu_period: r.cpu_period,
        cpu_quota: r.cpu_quota,
        cpu_realtime_period: r.cpu_rt_period,
        cpu_realtime_runtime: r.cpu_rt_runtime,
        cpuset_cpus: r.cpuset_cpus.clone(),
        cpuset_mems: r.cpuset_mems.clone(),
        memory: r.memory,
        memory_reservation: r.memory_reservation,
        memory_swap: r.memory_swap,
        memory_swappiness: r.memory_swappiness,
        pids_limit: r.pids_limit,
        blkio_weight: r.blkio_weight,
        blkio_weight_device: none_if_empty(
            r.blkio_weight_device
                .iter()
                .map(|w| bm::ResourcesBlkioWeightDevice {
                    path: Some(w.path.clone()),
                    weight: Some(usize::from(w.weight)),
                })
                .collect(),
        ),
        blkio_device_read_bps: throttle(&r.blkio_device_read_bps),
        blkio_device_write_bps: throttle(&r.blkio_device_write_bps),
        blkio_device_read_iops: throttle(&r.blkio_device_read_iops),
        blkio_device_write_iops: throttle(&r.blkio_device_write_iops),
        device_requests: none_if_empty(
            r.device_requests
                .iter()
                .map(|d| bm::DeviceRequest {
                    driver: d.driver.clone(),
                    count: d.count,
                    device_ids: none_if_empty(d.device_ids.clone()),
                    capabilities: none_if_empty(d.capabilities.clone()),
                    options: (!d.options.is_empty()).then(|| hashmap(&d.options)),
                })
                .collect(),
        ),
        ..Default::default()
    }
}

/// Translates a spec into the create body. `first_network` is the only network joined at create.
fn create_body(spec: &ContainerSpec) -> bm::ContainerCreateBody {
    let env: Vec<String> = spec
        .env
        .iter()
        .map(|(k, v)| match v {
            Some(v) => format!("{k}={v}"),
            None => k.clone(),
        })
        .collect();
    let (exposed, _) = port_map(spec);
    let first_network = if spec.network_mode.is_none() {
        spec.networks.first()
    } else {
        None
    };
    let network_mode = spec
        .network_mode
        .clone()
        .or_else(|| first_network.map(|n| n.network.clone()));
    let healthcheck = spec.healthcheck.as_ref().map(|h| bm::HealthConfig {
        test: Some(h.test.clone()),
        interval: nanos(h.interval),
        timeout: nanos(h.timeout),
        retries: h.retries.map(i64::from),
        start_period: nanos(h.start_period),
        start_interval: nanos(h.start_interval),
    });
    let host_config = host_config(spec, network_mode);
    let networking_config = first_network.map(|n| bm::NetworkingConfig {
        endpoints_config: Some(HashMap::from([(n.network.clone(), endpoint_settings(n))])),
    });
    bm::ContainerCreateBody {
        image: Some(spec.image.clone()),
        entrypoint: spec.entrypoint.clone(),
        cmd: spec.cmd.clone(),
        env: none_if_empty(env),
        labels: Some(hashmap(&spec.labels)),
        user: spec.user.clone(),
        working_dir: spec.working_dir.clone(),
        hostname: spec.hostname.clone(),
        domainname: spec.domainname.clone(),
        tty: spec.tty.then_some(true),
        open_stdin: spec.stdin_open.then_some(true),
        stdin_once: spec.stdin_once.then_some(true),
        attach_stdin: spec.stdin_once.then_some(true),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        exposed_ports: none_if_empty(exposed),
        healthcheck,
        stop_signal: spec.stop_signal.clone(),
        stop_timeout: spec.stop_timeout,
        host_config: Some(host_config),
        networking_config,
        ..Default::default()
    }
}

fn throttle(v: &[ThrottleDevice]) -> Option<Vec<bm::ThrottleDevice>> {
    none_if_empty(
        v.iter()
            .map(|t| bm::ThrottleDevice {
                path: Some(t.path.clone()),
                rate: Some(t.rate),
            })
            .collect(),
    )
}

/// `os/architecture[/variant]` as containerd's `platforms.Format` writes it (`unknown` when the
/// os is not known).
fn platform_text(os: Option<&str>, arch: Option<&str>, variant: Option<&str>) -> String {
    match os.filter(|o| !o.is_empty()) {
        None => "unknown".to_string(),
        Some(os) => [Some(os), arch, variant]
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("/"),
    }
}

fn summary(c: bm::ContainerSummary) -> ContainerSummary {
    let mut networks: Vec<String> = c
        .network_settings
        .and_then(|n| n.networks)
        .map(|m| m.into_keys().collect())
        .unwrap_or_default();
    networks.sort();
    let status = c.status.unwrap_or_default();
    let health = c
        .health
        .and_then(|h| h.status)
        .and_then(|s| HealthStatus::parse(s.as_ref()))
        .or_else(|| HealthStatus::from_status_text(&status));
    ContainerSummary {
        id: c.id.unwrap_or_default(),
        names: c
            .names
            .unwrap_or_default()
            .iter()
            .map(|n| strip_slash(n))
            .collect(),
        image: c.image.unwrap_or_default(),
        image_id: c.image_id.unwrap_or_default(),
        labels: labels_of(c.labels),
        state: c
            .state
            .map(|s| ContainerState::parse(s.as_ref()))
            .unwrap_or_default(),
        status,
        health,
        created: c.created.unwrap_or_default(),
        networks,
        command: c.command.unwrap_or_default(),
        mounts: c
            .mounts
            .unwrap_or_default()
            .into_iter()
            .map(|m| MountPoint {
                kind: m.typ.map(|t| t.to_string()).unwrap_or_default(),
                name: m.name.filter(|n| !n.is_empty()),
                source: m.source.unwrap_or_default(),
                destination: m.destination.unwrap_or_default(),
                read_only: !m.rw.unwrap_or(true),
                driver: m.driver.unwrap_or_default(),
            })
            .collect(),
        ports: c
            .ports
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| {
                let proto = p.typ.map(|t| t.to_string()).unwrap_or_default();
                Some(PortMapping {
                    container: ContainerPort {
                        port: p.private_port,
                        protocol: Protocol::parse(if proto.is_empty() { "tcp" } else { &proto })?,
                    },
                    host_ip: p.ip.unwrap_or_default(),
                    host_port: p.public_port.unwrap_or(0),
                })
            })
            .collect(),
    }
}

fn parse_port_key(key: &str) -> Option<ContainerPort> {
    let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
    Some(ContainerPort {
        port: port.parse().ok()?,
        protocol: Protocol::parse(proto)?,
    })
}

fn details(c: bm::ContainerInspectResponse) -> ContainerDetails {
    let state = c.state.unwrap_or_default();
    let health = state.health.and_then(|h| {
        let status = HealthStatus::parse(h.status?.as_ref())?;
        Some(HealthDetails {
            status,
            failing_streak: h.failing_streak.unwrap_or_default(),
            log: h
                .log
                .unwrap_or_default()
                .into_iter()
                .map(|p| HealthProbe {
                    start: p.start.map(|d| d.to_string()).unwrap_or_default(),
                    end: p.end.map(|d| d.to_string()).unwrap_or_default(),
                    exit_code: p.exit_code.unwrap_or_default(),
                    output: p.output.unwrap_or_default(),
                })
                .collect(),
        })
    });
    let config = c.config.unwrap_or_default();
    let net = c.network_settings.unwrap_or_default();
    let mut ports = Vec::new();
    for (key, bindings) in net.ports.unwrap_or_default() {
        let Some(container) = parse_port_key(&key) else {
            continue;
        };
        for b in bindings.unwrap_or_default() {
            if let Some(host_port) = b.host_port.and_then(|p| p.parse().ok()) {
                ports.push(PortMapping {
                    container,
                    host_ip: b.host_ip.unwrap_or_default(),
                    host_port,
                });
            }
        }
    }
    ports.sort_by_key(|p| (p.container, p.host_port));
    ContainerDetails {
        id: c.id.unwrap_or_default(),
        name: strip_slash(&c.name.unwrap_or_default()),
        image: config.image.unwrap_or_default(),
        image_id: c.image.unwrap_or_default(),
        created: c.created.map(|d| d.to_string()).unwrap_or_default(),
        labels: labels_of(config.labels),
        state: StateDetails {
            status: state
                .status
                .map(|s| ContainerState::parse(s.as_ref()))
                .unwrap_or_default(),
            running: state.running.unwrap_or_default(),
            paused: state.paused.unwrap_or_default(),
            restarting: state.restarting.unwrap_or_default(),
            oom_killed: state.oom_killed.unwrap_or_default(),
            dead: state.dead.unwrap_or_default(),
            pid: state.pid.unwrap_or_default(),
            exit_code: state.exit_code.unwrap_or_default(),
            error: state.error.unwrap_or_default(),
            started_at: state.started_at.unwrap_or_default(),
            finished_at: state.finished_at.unwrap_or_default(),
            health,
        },
        tty: config.tty.unwrap_or_default(),
        stdin_open: config.open_stdin.unwrap_or_default(),
        restart_count: c.restart_count.unwrap_or_default(),
        env: config.env.unwrap_or_default(),
        cmd: config.cmd.unwrap_or_default(),
        entrypoint: config.entrypoint.unwrap_or_default(),
        hostname: config.hostname.unwrap_or_default(),
        network_mode: c
            .host_config
            .and_then(|h| h.network_mode)
            .unwrap_or_default(),
        mounts: c
            .mounts
            .unwrap_or_default()
            .into_iter()
            .map(|m| MountPoint {
                kind: m.typ.map(|t| t.to_string()).unwrap_or_default(),
                name: m.name,
                source: m.source.unwrap_or_default(),
                destination: m.destination.unwrap_or_default(),
                read_only: !m.rw.unwrap_or(true),
                driver: m.driver.unwrap_or_default(),
            })
            .collect(),
        networks: net
            .networks
            .unwrap_or_default()
            .into_iter()
            .map(|(name, e)| {
                (
                    name,
                    EndpointDetails {
                        network_id: e.network_id.unwrap_or_default(),
                        ip_address: e.ip_address.unwrap_or_default(),
                        ipv6_address: e.global_ipv6_address.unwrap_or_default(),
                        gateway: e.gateway.unwrap_or_default(),
                        mac_address: e.mac_address.unwrap_or_default(),
                        aliases: e.aliases.unwrap_or_default(),
                    },
                )
            })
            .collect(),
        ports,
    }
}

fn ipam_of(i: Option<bm::Ipam>) -> Ipam {
    let i = i.unwrap_or_default();
    Ipam {
        driver: i.driver,
        config: i
            .config
            .unwrap_or_default()
            .into_iter()
            .map(|c| IpamPool {
                subnet: c.subnet,
                ip_range: c.ip_range,
                gateway: c.gateway,
                aux_addresses: labels_of(c.auxiliary_addresses),
            })
            .collect(),
        options: labels_of(i.options),
    }
}

fn network_of(n: bm::Network) -> NetworkDetails {
    NetworkDetails {
        id: n.id.unwrap_or_default(),
        name: n.name.unwrap_or_default(),
        driver: n.driver.unwrap_or_default(),
        labels: labels_of(n.labels),
        internal: n.internal.unwrap_or_default(),
        attachable: n.attachable.unwrap_or_default(),
        enable_ipv6: n.enable_ipv6.unwrap_or_default(),
        ipam: ipam_of(n.ipam),
        options: labels_of(n.options),
        containers: Default::default(),
    }
}

fn stats_of(r: bm::ContainerStatsResponse) -> ContainerStats {
    let cpu = r.cpu_stats.unwrap_or_default();
    let pre = r.precpu_stats.unwrap_or_default();
    let total = |c: &bm::ContainerCpuStats| {
        c.cpu_usage
            .as_ref()
            .and_then(|u| u.total_usage)
            .unwrap_or(0)
    };
    let mem = r.memory_stats.unwrap_or_default();
    let stats = mem.stats.unwrap_or_default();
    let (mut net_rx, mut net_tx) = (0, 0);
    for n in r.networks.unwrap_or_default().values() {
        net_rx += n.rx_bytes.unwrap_or(0);
        net_tx += n.tx_bytes.unwrap_or(0);
    }
    let (mut block_read, mut block_write) = (0, 0);
    let entries = r
        .blkio_stats
        .and_then(|b| b.io_service_bytes_recursive)
        .unwrap_or_default();
    for e in entries {
        match e.op.unwrap_or_default().to_lowercase().as_str() {
            "read" => block_read += e.value.unwrap_or(0),
            "write" => block_write += e.value.unwrap_or(0),
            _ => {}
        }
    }
    ContainerStats {
        cpu_total: total(&cpu),
        precpu_total: total(&pre),
        system_cpu: cpu.system_cpu_usage.unwrap_or(0),
        presystem_cpu: pre.system_cpu_usage.unwrap_or(0),
        online_cpus: cpu.online_cpus.unwrap_or(0),
        percpu: cpu
            .cpu_usage
            .as_ref()
            .and_then(|u| u.percpu_usage.as_ref())
            .map_or(0, Vec::len),
        mem_usage: mem.usage.unwrap_or(0),
        mem_limit: mem.limit.unwrap_or(0),
        mem_inactive_file: stats
            .get("total_inactive_file")
            .or_else(|| stats.get("inactive_file"))
            .copied(),
        net_rx,
        net_tx,
        block_read,
        block_write,
        pids: r.pids_stats.and_then(|p| p.current).unwrap_or(0),
    }
}

/// `repo[:tag]` split where docker splits it: at the last `:` after the last `/` (a registry's
/// port is not a tag).
fn split_reference(r: &str) -> (String, Option<String>) {
    let slash = r.rfind('/').map(|i| i + 1).unwrap_or(0);
    match r[slash..].rfind(':') {
        Some(i) => (
            r[..slash + i].to_string(),
            Some(r[slash + i + 1..].to_string()),
        ),
        None => (r.to_string(), None),
    }
}

fn volume_of(v: bm::Volume) -> VolumeDetails {
    VolumeDetails {
        name: v.name,
        driver: v.driver,
        labels: v.labels.into_iter().collect(),
        options: v.options.into_iter().collect(),
        mountpoint: v.mountpoint,
        scope: v.scope.map(|s| s.to_string()).unwrap_or_default(),
    }
}

fn event_of(m: bm::EventMessage) -> EngineEvent {
    let kind = match m.typ.map(|t| t.to_string()).as_deref() {
        Some("container") => EventKind::Container,
        Some("network") => EventKind::Network,
        Some("volume") => EventKind::Volume,
        Some("image") => EventKind::Image,
        other => EventKind::Other(other.unwrap_or_default().to_string()),
    };
    let actor = m.actor.unwrap_or_default();
    let attributes = labels_of(actor.attributes);
    EngineEvent {
        kind,
        action: EventAction::parse(m.action.as_deref().unwrap_or_default()),
        id: actor.id.unwrap_or_default(),
        name: attributes.get("name").cloned(),
        exit_code: attributes.get("exitCode").and_then(|c| c.parse().ok()),
        attributes,
        time_nano: m.time_nano.unwrap_or_default(),
    }
}

/// The current time as the engine's `since` parameter (`seconds.nanoseconds`).
fn now_since() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!("{}.{:09}", now.as_secs(), now.subsec_nanos())
}

/// Splits builder output into lines and forwards them.
fn forward_lines(buffer: &mut String, text: &str, progress: ProgressSink<'_>) {
    buffer.push_str(text);
    while let Some(i) = buffer.find('\n') {
        let line: String = buffer.drain(..=i).collect();
        let line = line.trim_end_matches(['\n', '\r']).to_string();
        if !line.is_empty() {
            progress(Progress::Line(line));
        }
    }
}

#[async_trait]
impl Engine for DockerEngine {
    fn address(&self) -> String {
        self.address.clone()
    }

    async fn ping(&self) -> EngineResult<()> {
        self.docker
            .ping()
            .await
            .map(|_| ())
            .map_err(|e| unavailable(&self.address, &e))
    }

    async fn version(&self) -> EngineResult<EngineVersion> {
        let v = self
            .docker
            .version()
            .await
            .map_err(|e| unavailable(&self.address, &e))?;
        Ok(EngineVersion {
            version: v.version.unwrap_or_default(),
            api_version: v.api_version.unwrap_or_default(),
            min_api_version: v.min_api_version.unwrap_or_default(),
            os: v.os.unwrap_or_default(),
            arch: v.arch.unwrap_or_default(),
        })
    }

    fn events(&self, filter: &EventFilter) -> BoxStream<'static, EngineResult<EngineEvent>> {
        let mut filters = label_filters(&filter.labels);
        if !filter.kinds.is_empty() {
            filters.insert("type".to_string(), filter.kinds.clone());
        }
        let address = self.address.clone();
        self.docker
            .events(Some(qp::EventsOptions {
                // The request is only sent when the stream is first polled: `since` = now makes
                // the engine replay what happened in between, so no event is lost.
                since: Some(filter.since.map_or_else(now_since, |t| t.to_string())),
                until: filter.until.map(|t| t.to_string()),
                filters: Some(filters),
            }))
            .map(move |item| match item {
                Ok(m) => Ok(event_of(m)),
                Err(e) => Err(map_error(&address, e, ObjectKind::Container, "events")),
            })
            .boxed()
    }
}

#[async_trait]
impl Containers for DockerEngine {
    async fn list_containers(&self, filter: &LabelFilter) -> EngineResult<Vec<ContainerSummary>> {
        let options = qp::ListContainersOptions {
            all: true,
            filters: Some(label_filters(filter)),
            ..Default::default()
        };
        let list = self
            .docker
            .list_containers(Some(options))
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, "*"))?;
        Ok(list.into_iter().map(summary).collect())
    }

    async fn inspect_container(&self, id: &str) -> EngineResult<ContainerDetails> {
        let c = self
            .docker
            .inspect_container(id, None::<qp::InspectContainerOptions>)
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))?;
        Ok(details(c))
    }

    async fn create_container(&self, spec: &ContainerSpec) -> EngineResult<String> {
        let options = qp::CreateContainerOptions {
            name: Some(spec.name.clone()),
            platform: spec.platform.clone().unwrap_or_default(),
        };
        let created = self
            .docker
            .create_container(Some(options), create_body(spec))
            .await
            .map_err(|e| match e {
                // A 404 on create is about the image, not the container.
                BollardError::DockerResponseServerError {
                    status_code: 404,
                    message,
                } => EngineError::NotFound {
                    kind: ObjectKind::Image,
                    name: spec.image.clone(),
                    message,
                },
                e => self.err(e, ObjectKind::Container, &spec.name),
            })?;
        let id = created.id;
        if spec.network_mode.is_none() {
            for extra in spec.networks.iter().skip(1) {
                if let Err(e) = self.connect_network(&id, extra).await {
                    // Leave nothing half-made behind.
                    let _ = self
                        .remove_container(
                            &id,
                            RemoveOptions {
                                force: true,
                                volumes: true,
                            },
                        )
                        .await;
                    return Err(e);
                }
            }
        }
        Ok(id)
    }

    async fn start_container(&self, id: &str) -> EngineResult<()> {
        match self
            .docker
            .start_container(id, None::<qp::StartContainerOptions>)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if is_status(&e, 304) => Ok(()),
            Err(e) => Err(self.err(e, ObjectKind::Container, id)),
        }
    }

    async fn stop_container(&self, id: &str, options: &StopOptions) -> EngineResult<()> {
        let t = options
            .timeout
            .map(|t| t.clamp(0, i64::from(i32::MAX)) as i32);
        if let Some(signal) = &options.signal {
            // API < 1.42 has no stop signal parameter: send it, wait, then kill.
            match self.kill_container(id, Some(signal)).await {
                Ok(()) => {}
                Err(EngineError::Conflict { .. }) => return Ok(()), // not running
                Err(e) => return Err(e),
            }
            let grace = Duration::from_secs(u64::try_from(t.unwrap_or(10)).unwrap_or(10));
            let waited =
                tokio::time::timeout(grace, self.wait_container(id, WaitCondition::NotRunning))
                    .await;
            if waited.is_err() {
                match self.kill_container(id, None).await {
                    Ok(()) | Err(EngineError::Conflict { .. }) => {}
                    Err(e) => return Err(e),
                }
                let _ = self.wait_container(id, WaitCondition::NotRunning).await;
            }
            return Ok(());
        }
        match self
            .docker
            .stop_container(id, Some(qp::StopContainerOptions { signal: None, t }))
            .await
        {
            Ok(()) => Ok(()),
            Err(e) if is_status(&e, 304) => Ok(()),
            Err(e) => Err(self.err(e, ObjectKind::Container, id)),
        }
    }

    async fn kill_container(&self, id: &str, signal: Option<&str>) -> EngineResult<()> {
        let options = qp::KillContainerOptions {
            signal: signal.unwrap_or("SIGKILL").to_string(),
        };
        self.docker
            .kill_container(id, Some(options))
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))
    }

    async fn remove_container(&self, id: &str, options: RemoveOptions) -> EngineResult<()> {
        let o = qp::RemoveContainerOptions {
            v: options.volumes,
            force: options.force,
            link: false,
        };
        self.docker
            .remove_container(id, Some(o))
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))
    }

    async fn rename_container(&self, id: &str, new_name: &str) -> EngineResult<()> {
        self.docker
            .rename_container(
                id,
                qp::RenameContainerOptions {
                    name: new_name.to_string(),
                },
            )
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))
    }

    async fn pause_container(&self, id: &str) -> EngineResult<()> {
        self.docker
            .pause_container(id)
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))
    }

    async fn unpause_container(&self, id: &str) -> EngineResult<()> {
        self.docker
            .unpause_container(id)
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))
    }

    async fn restart_container(&self, id: &str, timeout: Option<i64>) -> EngineResult<()> {
        let t = timeout.map(|t| t.clamp(0, i64::from(i32::MAX)) as i32);
        self.docker
            .restart_container(id, Some(qp::RestartContainerOptions { signal: None, t }))
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))
    }

    async fn wait_container(&self, id: &str, condition: WaitCondition) -> EngineResult<i64> {
        let condition = match condition {
            WaitCondition::NotRunning => "not-running",
            WaitCondition::NextExit => "next-exit",
            WaitCondition::Removed => "removed",
        };
        let mut stream = self.docker.wait_container(
            id,
            Some(qp::WaitContainerOptions {
                condition: condition.to_string(),
            }),
        );
        match stream.next().await {
            Some(Ok(r)) => Ok(r.status_code),
            Some(Err(BollardError::DockerContainerWaitError { code, .. })) => Ok(code),
            Some(Err(e)) => Err(self.err(e, ObjectKind::Container, id)),
            None => Err(EngineError::Client(format!(
                "wait for container {id} ended without a status"
            ))),
        }
    }

    fn logs(&self, id: &str, options: &LogOptions) -> BoxStream<'static, EngineResult<LogChunk>> {
        let o = qp::LogsOptions {
            follow: options.follow,
            stdout: true,
            stderr: true,
            since: options
                .since
                .map(|s| s.clamp(0, i64::from(i32::MAX)) as i32)
                .unwrap_or(0),
            until: options
                .until
                .map(|s| s.clamp(0, i64::from(i32::MAX)) as i32)
                .unwrap_or(0),
            timestamps: options.timestamps,
            tail: options
                .tail
                .map(|n| n.to_string())
                .unwrap_or_else(|| "all".to_string()),
        };
        let address = self.address.clone();
        let name = id.to_string();
        self.docker
            .logs(id, Some(o))
            .map(move |item| match item {
                Ok(out) => {
                    let stream = match &out {
                        bollard::container::LogOutput::StdErr { .. } => LogStream::Stderr,
                        bollard::container::LogOutput::StdOut { .. } => LogStream::Stdout,
                        bollard::container::LogOutput::StdIn { .. } => LogStream::Stdin,
                        bollard::container::LogOutput::Console { .. } => LogStream::Console,
                    };
                    Ok(LogChunk {
                        stream,
                        bytes: out.into_bytes(),
                    })
                }
                Err(e) => Err(map_error(&address, e, ObjectKind::Container, &name)),
            })
            .boxed()
    }

    async fn stats(&self, id: &str) -> EngineResult<ContainerStats> {
        let mut stream = self.docker.stats(
            id,
            Some(qp::StatsOptions {
                stream: false,
                one_shot: false,
            }),
        );
        match stream.next().await {
            Some(r) => Ok(stats_of(
                r.map_err(|e| self.err(e, ObjectKind::Container, id))?,
            )),
            None => Ok(ContainerStats::default()),
        }
    }

    async fn top_processes(&self, id: &str) -> EngineResult<ProcessList> {
        let top = self
            .docker
            .top_processes(
                id,
                Some(qp::TopOptions {
                    ps_args: "-ef".to_string(),
                }),
            )
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))?;
        Ok(ProcessList {
            titles: top.titles.unwrap_or_default(),
            processes: top.processes.unwrap_or_default(),
        })
    }
}

#[async_trait]
impl Sessions for DockerEngine {
    async fn exec(&self, id: &str, spec: &ExecSpec) -> EngineResult<ExecOutput> {
        let config = bm::ExecConfig {
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(spec.tty),
            env: none_if_empty(spec.env.clone()),
            cmd: Some(spec.cmd.clone()),
            privileged: Some(spec.privileged),
            user: spec.user.clone(),
            working_dir: spec.working_dir.clone(),
            ..Default::default()
        };
        let created = self
            .docker
            .create_exec(id, config)
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))?;
        let started = self
            .docker
            .start_exec(
                &created.id,
                Some(bollard::exec::StartExecOptions {
                    detach: false,
                    tty: spec.tty,
                    output_capacity: None,
                }),
            )
            .await
            .map_err(|e| self.err(e, ObjectKind::Exec, &created.id))?;
        let mut out = ExecOutput::default();
        if let bollard::exec::StartExecResults::Attached { mut output, .. } = started {
            while let Some(item) = output.next().await {
                match item.map_err(|e| self.err(e, ObjectKind::Exec, &created.id))? {
                    bollard::container::LogOutput::StdErr { message } => {
                        out.stderr.extend_from_slice(&message)
                    }
                    other => out.stdout.extend_from_slice(&other.into_bytes()),
                }
            }
        }
        let inspect = self
            .docker
            .inspect_exec(&created.id)
            .await
            .map_err(|e| self.err(e, ObjectKind::Exec, &created.id))?;
        out.exit_code = inspect.exit_code.unwrap_or(-1);
        Ok(out)
    }

    async fn create_exec(
        &self,
        id: &str,
        spec: &ExecSpec,
        attach_stdin: bool,
    ) -> EngineResult<String> {
        let config = bm::ExecConfig {
            attach_stdin: Some(attach_stdin),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(spec.tty),
            env: none_if_empty(spec.env.clone()),
            cmd: Some(spec.cmd.clone()),
            privileged: Some(spec.privileged),
            user: spec.user.clone(),
            working_dir: spec.working_dir.clone(),
            ..Default::default()
        };
        self.docker
            .create_exec(id, config)
            .await
            .map(|c| c.id)
            .map_err(|e| self.err(e, ObjectKind::Container, id))
    }

    async fn start_exec_attached(&self, exec_id: &str, tty: bool) -> EngineResult<AttachedIo> {
        let started = self
            .docker
            .start_exec(
                exec_id,
                Some(bollard::exec::StartExecOptions {
                    detach: false,
                    tty,
                    output_capacity: None,
                }),
            )
            .await
            .map_err(|e| self.err(e, ObjectKind::Exec, exec_id))?;
        match started {
            bollard::exec::StartExecResults::Attached { output, input } => {
                Ok(attached_io(&self.address, exec_id, output, input))
            }
            bollard::exec::StartExecResults::Detached => Err(EngineError::Client(format!(
                "exec {exec_id} started detached although an attached start was asked for"
            ))),
        }
    }

    async fn start_exec_detached(&self, exec_id: &str) -> EngineResult<()> {
        self.docker
            .start_exec(
                exec_id,
                Some(bollard::exec::StartExecOptions {
                    detach: true,
                    tty: false,
                    output_capacity: None,
                }),
            )
            .await
            .map(|_| ())
            .map_err(|e| self.err(e, ObjectKind::Exec, exec_id))
    }

    async fn inspect_exec(&self, exec_id: &str) -> EngineResult<ExecStatus> {
        let i = self
            .docker
            .inspect_exec(exec_id)
            .await
            .map_err(|e| self.err(e, ObjectKind::Exec, exec_id))?;
        let running = i.running.unwrap_or(false);
        Ok(ExecStatus {
            running,
            exit_code: if running { None } else { i.exit_code },
        })
    }

    async fn resize_exec(&self, exec_id: &str, size: TtySize) -> EngineResult<()> {
        self.docker
            .resize_exec(
                exec_id,
                bollard::exec::ResizeExecOptions {
                    height: size.rows,
                    width: size.cols,
                },
            )
            .await
            .map_err(|e| self.err(e, ObjectKind::Exec, exec_id))
    }

    async fn attach_container(&self, id: &str, stdin: bool) -> EngineResult<AttachedIo> {
        self.attach_container_with(id, stdin, None).await
    }

    async fn attach_container_with(
        &self,
        id: &str,
        stdin: bool,
        detach_keys: Option<&str>,
    ) -> EngineResult<AttachedIo> {
        let attached = self
            .docker
            .attach_container(
                id,
                Some(qp::AttachContainerOptions {
                    detach_keys: detach_keys.map(str::to_string),
                    logs: false,
                    stream: true,
                    stdin,
                    stdout: true,
                    stderr: true,
                }),
            )
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))?;
        Ok(attached_io(
            &self.address,
            id,
            attached.output,
            attached.input,
        ))
    }

    async fn resize_container(&self, id: &str, size: TtySize) -> EngineResult<()> {
        self.docker
            .resize_container_tty(
                id,
                qp::ResizeContainerTTYOptions {
                    h: i32::from(size.rows),
                    w: i32::from(size.cols),
                },
            )
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))
    }
}

#[async_trait]
impl Archive for DockerEngine {
    async fn copy_into(&self, id: &str, path: &str, tar: Bytes) -> EngineResult<()> {
        self.docker
            .upload_to_container(
                id,
                Some(qp::UploadToContainerOptions {
                    path: path.to_string(),
                    ..Default::default()
                }),
                bollard::body_full(tar),
            )
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))
    }

    async fn stat_path(&self, id: &str, path: &str) -> EngineResult<PathStat> {
        let r = self
            .docker
            .get_container_archive_info(
                id,
                Some(qp::ContainerArchiveInfoOptions {
                    path: path.to_string(),
                }),
            )
            .await;
        match r {
            Ok(stat) => Ok(path_stat_of(stat)),
            Err(e) if is_status(&e, 404) => {
                // A HEAD answer has no body: tell a missing container from a missing path.
                self.inspect_container(id).await?;
                Err(EngineError::NotFound {
                    kind: ObjectKind::Path,
                    name: path.to_string(),
                    message: format!("no such file or directory in container {id}: {path}"),
                })
            }
            Err(e) => Err(self.err(e, ObjectKind::Container, id)),
        }
    }

    fn copy_from(&self, id: &str, path: &str) -> BoxStream<'static, EngineResult<Bytes>> {
        let address = self.address.clone();
        let (id, path) = (id.to_string(), path.to_string());
        self.docker
            .download_from_container(
                &id,
                Some(qp::DownloadFromContainerOptions { path: path.clone() }),
            )
            .map(move |item| {
                item.map_err(|e| match e {
                    BollardError::DockerResponseServerError {
                        status_code: 404,
                        message,
                    } if !message.contains("No such container") => EngineError::NotFound {
                        kind: ObjectKind::Path,
                        name: path.clone(),
                        message,
                    },
                    e => map_error(&address, e, ObjectKind::Container, &id),
                })
            })
            .boxed()
    }

    fn export_container(&self, id: &str) -> BoxStream<'static, EngineResult<Bytes>> {
        let address = self.address.clone();
        let id = id.to_string();
        self.docker
            .export_container(&id)
            .map(move |item| item.map_err(|e| map_error(&address, e, ObjectKind::Container, &id)))
            .boxed()
    }

    async fn copy_into_with(
        &self,
        id: &str,
        path: &str,
        tar: Bytes,
        options: &CopyIntoOptions,
    ) -> EngineResult<()> {
        let flag = |on: bool| on.then(|| "true".to_string());
        self.docker
            .upload_to_container(
                id,
                Some(qp::UploadToContainerOptions {
                    path: path.to_string(),
                    no_overwrite_dir_non_dir: flag(options.no_overwrite_dir_non_dir),
                    copy_uidgid: flag(options.copy_uid_gid),
                }),
                bollard::body_full(tar),
            )
            .await
            .map_err(|e| match e {
                BollardError::DockerResponseServerError {
                    status_code: 404,
                    message,
                } if !message.contains("No such container") => EngineError::NotFound {
                    kind: ObjectKind::Path,
                    name: path.to_string(),
                    message,
                },
                e => self.err(e, ObjectKind::Container, id),
            })
    }
}

#[async_trait]
impl Networks for DockerEngine {
    async fn list_networks(&self, filter: &LabelFilter) -> EngineResult<Vec<NetworkDetails>> {
        let list = self
            .docker
            .list_networks(Some(qp::ListNetworksOptions {
                filters: Some(label_filters(filter)),
            }))
            .await
            .map_err(|e| self.err(e, ObjectKind::Network, "*"))?;
        Ok(list.into_iter().map(network_of).collect())
    }

    async fn inspect_network(&self, name: &str) -> EngineResult<NetworkDetails> {
        let n = self
            .docker
            .inspect_network(name, None::<qp::InspectNetworkOptions>)
            .await
            .map_err(|e| self.err(e, ObjectKind::Network, name))?;
        let containers = n
            .containers
            .unwrap_or_default()
            .into_iter()
            .map(|(id, e)| {
                (
                    id,
                    (
                        e.name.unwrap_or_default(),
                        e.ipv4_address.unwrap_or_default(),
                    ),
                )
            })
            .collect();
        Ok(NetworkDetails {
            id: n.id.unwrap_or_default(),
            name: n.name.unwrap_or_default(),
            driver: n.driver.unwrap_or_default(),
            labels: labels_of(n.labels),
            internal: n.internal.unwrap_or_default(),
            attachable: n.attachable.unwrap_or_default(),
            enable_ipv6: n.enable_ipv6.unwrap_or_default(),
            ipam: ipam_of(n.ipam),
            options: labels_of(n.options),
            containers,
        })
    }

    async fn create_network(&self, spec: &NetworkSpec) -> EngineResult<String> {
        // Engines before 23.0 accept duplicate network names; refuse them like newer ones do.
        match self
            .docker
            .inspect_network(&spec.name, None::<qp::InspectNetworkOptions>)
            .await
        {
            Ok(existing) if existing.name.as_deref() == Some(spec.name.as_str()) => {
                return Err(EngineError::Conflict {
                    message: format!("network with name {} already exists", spec.name),
                })
            }
            Ok(_) => {}
            Err(e) if is_status(&e, 404) => {}
            Err(e) => return Err(self.err(e, ObjectKind::Network, &spec.name)),
        }
        let request = bm::NetworkCreateRequest {
            name: spec.name.clone(),
            driver: spec.driver.clone(),
            internal: spec.internal.then_some(true),
            attachable: spec.attachable.then_some(true),
            enable_ipv6: spec.enable_ipv6,
            options: (!spec.driver_opts.is_empty()).then(|| hashmap(&spec.driver_opts)),
            labels: Some(hashmap(&spec.labels)),
            ipam: spec.ipam.as_ref().map(|i| bm::Ipam {
                driver: i.driver.clone(),
                config: none_if_empty(
                    i.config
                        .iter()
                        .map(|c| bm::IpamConfig {
                            subnet: c.subnet.clone(),
                            ip_range: c.ip_range.clone(),
                            gateway: c.gateway.clone(),
                            auxiliary_addresses: (!c.aux_addresses.is_empty())
                                .then(|| hashmap(&c.aux_addresses)),
                        })
                        .collect(),
                ),
                options: (!i.options.is_empty()).then(|| hashmap(&i.options)),
            }),
            ..Default::default()
        };
        let created = self
            .docker
            .create_network(request)
            .await
            .map_err(|e| self.err(e, ObjectKind::Network, &spec.name))?;
        Ok(created.id)
    }

    async fn remove_network(&self, name: &str) -> EngineResult<()> {
        self.docker
            .remove_network(name)
            .await
            .map_err(|e| self.err(e, ObjectKind::Network, name))
    }

    async fn connect_network(
        &self,
        container: &str,
        attachment: &NetworkAttachment,
    ) -> EngineResult<()> {
        self.docker
            .connect_network(
                &attachment.network,
                bm::NetworkConnectRequest {
                    container: container.to_string(),
                    endpoint_config: Some(endpoint_settings(attachment)),
                },
            )
            .await
            .map_err(|e| self.err(e, ObjectKind::Network, &attachment.network))
    }

    async fn disconnect_network(
        &self,
        container: &str,
        network: &str,
        force: bool,
    ) -> EngineResult<()> {
        self.docker
            .disconnect_network(
                network,
                bm::NetworkDisconnectRequest {
                    container: container.to_string(),
                    force: Some(force),
                },
            )
            .await
            .map_err(|e| self.err(e, ObjectKind::Network, network))
    }
}

#[async_trait]
impl Volumes for DockerEngine {
    async fn list_volumes(&self, filter: &LabelFilter) -> EngineResult<Vec<VolumeDetails>> {
        let list = self
            .docker
            .list_volumes(Some(qp::ListVolumesOptions {
                filters: Some(label_filters(filter)),
            }))
            .await
            .map_err(|e| self.err(e, ObjectKind::Volume, "*"))?;
        Ok(list
            .volumes
            .unwrap_or_default()
            .into_iter()
            .map(volume_of)
            .collect())
    }

    async fn inspect_volume(&self, name: &str) -> EngineResult<VolumeDetails> {
        let v = self
            .docker
            .inspect_volume(name)
            .await
            .map_err(|e| self.err(e, ObjectKind::Volume, name))?;
        Ok(volume_of(v))
    }

    async fn create_volume(&self, spec: &VolumeSpec) -> EngineResult<VolumeDetails> {
        let v = self
            .docker
            .create_volume(bm::VolumeCreateRequest {
                name: Some(spec.name.clone()),
                driver: spec.driver.clone(),
                driver_opts: (!spec.driver_opts.is_empty()).then(|| hashmap(&spec.driver_opts)),
                labels: Some(hashmap(&spec.labels)),
                ..Default::default()
            })
            .await
            .map_err(|e| self.err(e, ObjectKind::Volume, &spec.name))?;
        Ok(volume_of(v))
    }

    async fn remove_volume(&self, name: &str, force: bool) -> EngineResult<()> {
        self.docker
            .remove_volume(name, Some(qp::RemoveVolumeOptions { force }))
            .await
            .map_err(|e| self.err(e, ObjectKind::Volume, name))
    }
}

#[async_trait]
impl Images for DockerEngine {
    async fn list_images(&self, filter: &LabelFilter) -> EngineResult<Vec<ImageDetails>> {
        let list = self
            .docker
            .list_images(Some(qp::ListImagesOptions {
                filters: Some(label_filters(filter)),
                ..Default::default()
            }))
            .await
            .map_err(|e| self.err(e, ObjectKind::Image, "*"))?;
        Ok(list
            .into_iter()
            .map(|i| ImageDetails {
                id: i.id,
                repo_tags: i.repo_tags,
                labels: i.labels.into_iter().collect(),
                created: i.created.to_string(),
                size: i.size,
                ..Default::default()
            })
            .collect())
    }

    async fn inspect_image(&self, name: &str) -> EngineResult<ImageDetails> {
        let i = self
            .docker
            .inspect_image(name)
            .await
            .map_err(|e| self.err(e, ObjectKind::Image, name))?;
        Ok(ImageDetails {
            id: i.id.unwrap_or_default(),
            repo_tags: i.repo_tags.unwrap_or_default(),
            labels: labels_of(i.config.and_then(|c| c.labels)),
            created: i.created.map(|d| d.to_string()).unwrap_or_default(),
            size: i.size.unwrap_or_default(),
            platform: platform_text(
                i.os.as_deref(),
                i.architecture.as_deref(),
                i.variant.as_deref(),
            ),
            last_tag_time: i
                .metadata
                .and_then(|m| m.last_tag_time)
                .map(|d| d.to_string())
                .filter(|t| !t.starts_with("0001-01-01"))
                .unwrap_or_default(),
        })
    }

    async fn remove_image(&self, name: &str, force: bool) -> EngineResult<()> {
        self.docker
            .remove_image(
                name,
                Some(qp::RemoveImageOptions {
                    force,
                    ..Default::default()
                }),
                None,
            )
            .await
            .map(|_| ())
            .map_err(|e| self.err(e, ObjectKind::Image, name))
    }

    async fn commit_container(&self, id: &str, options: &CommitOptions) -> EngineResult<String> {
        let (repo, tag) = match options.reference.as_deref() {
            Some(r) => {
                let (repo, tag) = split_reference(r);
                (Some(repo), tag)
            }
            None => (None, None),
        };
        let query = qp::CommitContainerOptions {
            container: Some(id.to_string()),
            repo,
            tag,
            comment: options.comment.clone(),
            author: options.author.clone(),
            pause: options.pause,
            changes: (!options.changes.is_empty()).then(|| options.changes.join("\n")),
        };
        let r = self
            .docker
            .commit_container(query, bm::ContainerConfig::default())
            .await
            .map_err(|e| self.err(e, ObjectKind::Container, id))?;
        Ok(r.id)
    }

    async fn tag_image(&self, source: &str, target: &str) -> EngineResult<()> {
        let (repo, tag) = split_tag(target);
        self.docker
            .tag_image(
                source,
                Some(qp::TagImageOptions {
                    repo: Some(repo),
                    tag: Some(tag.unwrap_or_else(|| "latest".to_string())),
                }),
            )
            .await
            .map_err(|e| self.err(e, ObjectKind::Image, source))
    }

    async fn build_image(
        &self,
        spec: BuildSpec,
        progress: ProgressSink<'_>,
    ) -> EngineResult<String> {
        let main_tag = spec.tags.first().cloned();
        let shown_tag = main_tag.clone().unwrap_or_else(|| "<untagged>".to_string());
        let args: HashMap<String, String> = spec
            .args
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
            .collect();
        let options = qp::BuildImageOptions {
            dockerfile: spec.dockerfile.clone(),
            t: main_tag.clone(),
            extrahosts: (!spec.extra_hosts.is_empty()).then(|| spec.extra_hosts.join(",")),
            nocache: spec.no_cache,
            cachefrom: none_if_empty(spec.cache_from.clone()),
            pull: spec.pull.then(|| "1".to_string()),
            rm: true,
            forcerm: true,
            buildargs: Some(args),
            shmsize: spec
                .shm_size
                .map(|s| s.clamp(0, i64::from(i32::MAX)) as i32),
            labels: Some(hashmap(&spec.labels)),
            // The API takes an int64; bollard's parameter is an i32 (so at most ~2 GiB).
            memory: spec.memory.map(|m| m.clamp(0, i64::from(i32::MAX)) as i32),
            networkmode: spec.network.clone(),
            platform: spec.platform.clone().unwrap_or_default(),
            target: spec.target.clone().unwrap_or_default(),
            version: qp::BuilderVersion::BuilderV1,
            ..Default::default()
        };
        let body = match spec.context {
            BuildContext::Tar(bytes) => bollard::body_full(bytes),
            BuildContext::Stream(stream) => bollard::body_try_stream(stream),
        };
        let mut stream = self.docker.build_image(options, None, Some(body));
        let mut buffer = String::new();
        let mut image_id = None;
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| match e {
                BollardError::DockerStreamError { error } => EngineError::Build {
                    tag: shown_tag.clone(),
                    message: error,
                },
                e => self.err(e, ObjectKind::Image, &shown_tag),
            })?;
            if let Some(text) = &info.stream {
                forward_lines(&mut buffer, text, progress);
            }
            if let Some(status) = info.status {
                progress(Progress::Status {
                    id: info.id.clone(),
                    status,
                });
            }
            if let Some(detail) = info.error_detail {
                return Err(EngineError::Build {
                    tag: shown_tag,
                    message: detail.message.unwrap_or_default(),
                });
            }
            if let Some(id) = info.aux.and_then(|a| a.id) {
                image_id = Some(id);
            }
        }
        forward_lines(&mut buffer, "\n", progress);
        let id = match (image_id, &main_tag) {
            (Some(id), _) => id,
            (None, Some(tag)) => self.inspect_image(tag).await?.id,
            (None, None) => {
                return Err(EngineError::Build {
                    tag: shown_tag,
                    message: "the builder reported no image id".to_string(),
                })
            }
        };
        for extra in spec.tags.iter().skip(1) {
            self.tag_image(&id, extra).await?;
        }
        Ok(id)
    }

    async fn pull_image(&self, image: &str, progress: ProgressSink<'_>) -> EngineResult<()> {
        let (repo, tag) = split_tag(image);
        let options = qp::CreateImageOptions {
            from_image: Some(repo),
            tag: Some(tag.unwrap_or_else(|| "latest".to_string())),
            ..Default::default()
        };
        let mut stream = self.docker.create_image(
            Some(options),
            None,
            credentials(image, self.config_dir.as_deref()),
        );
        while let Some(item) = stream.next().await {
            let info =
                item.map_err(
                    |e| match map_error(&self.address, e, ObjectKind::Image, image) {
                        u @ EngineError::Unavailable { .. } => u,
                        EngineError::NotFound { message, .. }
                        | EngineError::Api { message, .. } => EngineError::Pull {
                            image: image.to_string(),
                            message,
                        },
                        other => EngineError::Pull {
                            image: image.to_string(),
                            message: other.to_string(),
                        },
                    },
                )?;
            if let Some(detail) = info.error_detail {
                return Err(EngineError::Pull {
                    image: image.to_string(),
                    message: detail.message.unwrap_or_default(),
                });
            }
            if let Some(status) = info.status {
                progress(Progress::Status {
                    id: info.id,
                    status,
                });
            }
        }
        Ok(())
    }

    async fn registry_digest(&self, image: &str) -> EngineResult<String> {
        let d = self
            .docker
            .inspect_registry_image(image, credentials(image, self.config_dir.as_deref()))
            .await
            .map_err(|e| self.err(e, ObjectKind::Image, image))?;
        Ok(d.descriptor.digest.unwrap_or_default())
    }

    async fn push_image(&self, image: &str, progress: ProgressSink<'_>) -> EngineResult<()> {
        let (repo, tag) = split_tag(image);
        let options = qp::PushImageOptions {
            tag: Some(tag.unwrap_or_else(|| "latest".to_string())),
            platform: None,
        };
        let push_error = |message: String| EngineError::Push {
            image: image.to_string(),
            message,
        };
        let mut stream = self.docker.push_image(
            &repo,
            Some(options),
            credentials(image, self.config_dir.as_deref()),
        );
        while let Some(item) = stream.next().await {
            let info = item.map_err(|e| match e {
                BollardError::DockerStreamError { error } => push_error(error),
                e => match map_error(&self.address, e, ObjectKind::Image, image) {
                    u @ EngineError::Unavailable { .. } => u,
                    EngineError::NotFound { message, .. } | EngineError::Api { message, .. } => {
                        push_error(message)
                    }
                    other => push_error(other.to_string()),
                },
            })?;
            if let Some(detail) = info.error_detail {
                return Err(push_error(detail.message.unwrap_or_default()));
            }
            if let Some(status) = info.status {
                progress(Progress::Status { id: None, status });
            }
        }
        Ok(())
    }
}

/// Registry credentials for `image` from the docker config file (`super::auth`), if any.
fn credentials(image: &str, config_dir: Option<&Path>) -> Option<bollard::auth::DockerCredentials> {
    let auth = super::auth::for_image(image, config_dir)?;
    Some(bollard::auth::DockerCredentials {
        username: auth.username,
        password: auth.password,
        identitytoken: auth.identity_token,
        serveraddress: Some(auth.server_address),
        ..Default::default()
    })
}

/// One chunk of hijacked output as the engine types say it.
fn chunk_of(out: bollard::container::LogOutput) -> LogChunk {
    let stream = match &out {
        bollard::container::LogOutput::StdErr { .. } => LogStream::Stderr,
        bollard::container::LogOutput::StdOut { .. } => LogStream::Stdout,
        bollard::container::LogOutput::StdIn { .. } => LogStream::Stdin,
        bollard::container::LogOutput::Console { .. } => LogStream::Console,
    };
    LogChunk {
        stream,
        bytes: out.into_bytes(),
    }
}

/// A hijacked connection (attached exec or container) as [`AttachedIo`].
fn attached_io(
    address: &str,
    name: &str,
    output: std::pin::Pin<
        Box<dyn futures::Stream<Item = Result<bollard::container::LogOutput, BollardError>> + Send>,
    >,
    input: std::pin::Pin<Box<dyn tokio::io::AsyncWrite + Send>>,
) -> AttachedIo {
    let address = address.to_string();
    let name = name.to_string();
    AttachedIo {
        output: output
            .map(move |item| match item {
                Ok(out) => Ok(chunk_of(out)),
                Err(e) => Err(map_error(&address, e, ObjectKind::Container, &name)),
            })
            .boxed(),
        input,
    }
}

/// Go's `os.FileMode` type bits, as the archive `stat` header carries them.
const GO_MODE_DIR: u32 = 1 << 31;
const GO_MODE_SYMLINK: u32 = 1 << 27;
const GO_MODE_TYPE: u32 = GO_MODE_DIR
    | GO_MODE_SYMLINK
    | (1 << 26) // device
    | (1 << 25) // named pipe
    | (1 << 24) // socket
    | (1 << 21) // character device
    | (1 << 19); // irregular

fn path_stat_of(s: bollard::container::PathStatResponse) -> PathStat {
    let m = s.file_mode;
    let kind = if m & GO_MODE_DIR != 0 {
        PathKind::Dir
    } else if m & GO_MODE_SYMLINK != 0 {
        PathKind::Symlink
    } else if m & GO_MODE_TYPE != 0 {
        PathKind::Other
    } else {
        PathKind::File
    };
    PathStat {
        name: s.name,
        kind,
        size: s.size,
        mode: m & 0o777,
        link_target: s.link_target,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_split_after_the_last_slash() {
        assert_eq!(split_tag("busybox"), ("busybox".into(), None));
        assert_eq!(
            split_tag("busybox:stable"),
            ("busybox".into(), Some("stable".into()))
        );
        assert_eq!(
            split_tag("localhost:5000/app"),
            ("localhost:5000/app".into(), None)
        );
        assert_eq!(
            split_tag("localhost:5000/app:v1"),
            ("localhost:5000/app".into(), Some("v1".into()))
        );
    }

    #[test]
    fn create_body_puts_one_network_at_create_and_binds_for_created_paths() {
        let spec = ContainerSpec {
            name: "p-web-1".into(),
            image: "busybox".into(),
            networks: vec![
                NetworkAttachment {
                    network: "p_front".into(),
                    aliases: vec!["web".into()],
                    ..Default::default()
                },
                NetworkAttachment {
                    network: "p_back".into(),
                    ..Default::default()
                },
            ],
            mounts: vec![
                Mount {
                    kind: MountKind::Bind {
                        propagation: None,
                        create_host_path: true,
                        selinux: Some("z".into()),
                    },
                    source: Some("/src".into()),
                    target: "/app".into(),
                    read_only: true,
                    consistency: None,
                },
                Mount {
                    kind: MountKind::Tmpfs {
                        size_bytes: Some(1024),
                        mode: None,
                    },
                    source: None,
                    target: "/scratch".into(),
                    read_only: false,
                    consistency: None,
                },
            ],
            ports: vec![PortBinding {
                container: ContainerPort::tcp(80),
                host_ip: Some("127.0.0.1".into()),
                host_port: HostPort::Range(8000, 8010),
            }],
            ..Default::default()
        };
        let body = create_body(&spec);
        let hc = body.host_config.unwrap_or_default();
        assert_eq!(hc.network_mode.as_deref(), Some("p_front"));
        assert_eq!(hc.binds, Some(vec!["/src:/app:ro,z".to_string()]));
        assert_eq!(hc.mounts.map(|m| m.len()), Some(1));
        let endpoints = body
            .networking_config
            .and_then(|n| n.endpoints_config)
            .unwrap_or_default();
        assert_eq!(endpoints.len(), 1);
        assert!(endpoints.contains_key("p_front"));
        let bindings = hc.port_bindings.unwrap_or_default();
        let b = bindings
            .get("80/tcp")
            .cloned()
            .flatten()
            .unwrap_or_default();
        assert_eq!(
            b.first().and_then(|b| b.host_port.clone()).as_deref(),
            Some("8000-8010")
        );
        assert_eq!(body.exposed_ports, Some(vec!["80/tcp".to_string()]));
    }
}
