//! Read-side queries over the project's containers, as typed rows for the cli to render:
//! the running containers of some services (`top`, `wait`), their process lists (`top`), and
//! the images of the project's containers (`images`), the rows of `ps` and `ls`, and the
//! address a port is published on (`port`).
//! The engine is read through `engine::Engine` only. Must not import `cli` or `loader`;
//! prints nothing.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::engine::{
    ContainerState, ContainerStats, ContainerSummary, Engine, EngineError, HealthStatus,
    ImageDetails, LabelFilter, PortMapping, ProcessList, Protocol, VolumeDetails,
};
use crate::plan::labels;

/// A query failed: what was being read, and the engine's error.
#[derive(Debug, thiserror::Error)]
#[error("{what}")]
pub struct QueryError {
    pub what: String,
    #[source]
    pub source: EngineError,
}

impl QueryError {
    pub fn new(what: impl Into<String>, source: EngineError) -> QueryError {
        QueryError {
            what: what.into(),
            source,
        }
    }
}

/// The service label of a container (empty when it has none).
pub fn service_of(c: &ContainerSummary) -> &str {
    c.labels
        .get(labels::SERVICE)
        .map(String::as_str)
        .unwrap_or_default()
}

/// Every container of the project (one list call), with the error naming the project.
async fn project_containers(
    engine: &dyn Engine,
    project: &str,
) -> Result<Vec<ContainerSummary>, QueryError> {
    engine
        .list_containers(&LabelFilter::project(project))
        .await
        .map_err(|e| {
            QueryError::new(
                format!("cannot list the containers of project {project}"),
                e,
            )
        })
}

/// The project's running (or paused) containers of `services` (all when empty), one-off
/// containers included, sorted by name, as docker compose selects them for `top` and `wait`.
pub async fn running(
    engine: &dyn Engine,
    project: &str,
    services: &[String],
) -> Result<Vec<ContainerSummary>, QueryError> {
    let mut list = project_containers(engine, project).await?;
    list.retain(|c| {
        c.state.is_up() && (services.is_empty() || services.iter().any(|s| s == service_of(c)))
    });
    list.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(list)
}

/// The project's containers (services only, not one-offs), sorted by service and number.
pub async fn service_containers(
    engine: &dyn Engine,
    project: &str,
) -> Result<Vec<ContainerSummary>, QueryError> {
    let mut list = project_containers(engine, project).await?;
    list.retain(|c| {
        !c.labels
            .get(labels::ONEOFF)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    });
    list.sort_by_key(|c| {
        (
            c.labels.get(labels::SERVICE).cloned().unwrap_or_default(),
            c.labels
                .get(labels::CONTAINER_NUMBER)
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0),
        )
    });
    Ok(list)
}

/// One container's processes (`top`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopRow {
    /// The container's name.
    pub name: String,
    pub processes: ProcessList,
}

/// `top`: the process list of each running container of `services` (all when empty), in name
/// order; a container that stopped or went away since it was listed is left out.
pub async fn top(
    engine: Arc<dyn Engine>,
    project: &str,
    services: &[String],
) -> Result<Vec<TopRow>, QueryError> {
    let containers = running(engine.as_ref(), project, services).await?;
    let lists = futures::future::join_all(
        containers
            .iter()
            .map(|c| engine.top_processes(&c.id))
            .collect::<Vec<_>>(),
    )
    .await;
    let mut rows = Vec::with_capacity(containers.len());
    for (c, list) in containers.iter().zip(lists) {
        match list {
            Ok(processes) => rows.push(TopRow {
                name: c.name().to_string(),
                processes,
            }),
            // It stopped or went away since it was listed: nothing to show.
            Err(EngineError::Conflict { .. }) | Err(EngineError::NotFound { .. }) => {}
            Err(e) => {
                return Err(QueryError::new(
                    format!("cannot list the processes of {}", c.name()),
                    e,
                ))
            }
        }
    }
    Ok(rows)
}

/// `images`: one row per container of the project (of `services` when given), with its image's
/// details; an image removed since its container was created is listed without size.
pub async fn images(
    engine: &dyn Engine,
    project: &str,
    services: &[String],
) -> Result<Vec<ImageRow>, QueryError> {
    let containers: Vec<ContainerSummary> = project_containers(engine, project)
        .await?
        .into_iter()
        .filter(|c| {
            services.is_empty()
                || c.labels
                    .get(labels::SERVICE)
                    .is_some_and(|s| services.contains(s))
        })
        .collect();
    let mut found: BTreeMap<String, ImageDetails> = BTreeMap::new();
    for c in &containers {
        if found.contains_key(&c.image_id) {
            continue;
        }
        match engine.inspect_image(&c.image_id).await {
            Ok(i) => {
                found.insert(c.image_id.clone(), i);
            }
            // Removed since the container was created: listed without size.
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                return Err(QueryError::new(
                    format!("cannot inspect image {} of container {}", c.image, c.name()),
                    e,
                ))
            }
        }
    }
    Ok(image_rows(&containers, &found))
}

/// One row of `images`: a container and its image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRow {
    pub container: String,
    /// Familiar name (`busybox`, `127.0.0.1:5000/app`); empty when the container's image is
    /// known by id only.
    pub repository: String,
    pub tag: String,
    /// `sha256:...`.
    pub id: String,
    pub size: i64,
    /// When the image was created (RFC 3339, as the engine reports it); empty when not known.
    pub created: String,
    /// `linux/amd64`; empty when the image is not known.
    pub platform: String,
    /// When it was last tagged (RFC 3339); empty when never.
    pub last_tag_time: String,
}

/// Repository and tag of an image reference, as docker compose shows them: the familiar name
/// (`docker.io/library/` left out) and the tag (`latest` when none is written, empty for a
/// digest reference). An image id gives neither.
pub fn repository_and_tag(reference: &str) -> (String, String) {
    if reference.starts_with("sha256:") || reference.is_empty() {
        return (String::new(), String::new());
    }
    let r = reference
        .strip_prefix("docker.io/library/")
        .or_else(|| reference.strip_prefix("docker.io/"))
        .or_else(|| reference.strip_prefix("index.docker.io/library/"))
        .or_else(|| reference.strip_prefix("index.docker.io/"))
        .unwrap_or(reference);
    if let Some((name, _digest)) = r.split_once('@') {
        let last_slash = name.rfind('/').map(|i| i + 1).unwrap_or(0);
        let name = match name.get(last_slash..).and_then(|t| t.rfind(':')) {
            Some(i) => name.get(..last_slash + i).unwrap_or(name),
            None => name,
        };
        return (name.to_string(), String::new());
    }
    let last_slash = r.rfind('/').map(|i| i + 1).unwrap_or(0);
    match r.get(last_slash..).and_then(|t| t.rfind(':')) {
        Some(i) => {
            let at = last_slash + i;
            (
                r.get(..at).unwrap_or(r).to_string(),
                r.get(at + 1..).unwrap_or("").to_string(),
            )
        }
        None => (r.to_string(), "latest".to_string()),
    }
}

/// The rows of `images`, sorted by container name.
pub fn image_rows(
    containers: &[ContainerSummary],
    images: &BTreeMap<String, ImageDetails>,
) -> Vec<ImageRow> {
    let mut rows: Vec<ImageRow> = containers
        .iter()
        .map(|c| {
            let (repository, tag) = repository_and_tag(&c.image);
            let image = images.get(&c.image_id);
            ImageRow {
                container: c.name().to_string(),
                repository,
                tag,
                id: image
                    .map(|i| i.id.clone())
                    .unwrap_or_else(|| c.image_id.clone()),
                size: image.map(|i| i.size).unwrap_or(0),
                created: image.map(|i| i.created.clone()).unwrap_or_default(),
                platform: image.map(|i| i.platform.clone()).unwrap_or_default(),
                last_tag_time: image.map(|i| i.last_tag_time.clone()).unwrap_or_default(),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.container.cmp(&b.container));
    rows
}

/// A port of a `ps` row, as docker compose's `Publishers`: the host address (`0.0.0.0`, `::`,
/// empty for a port only exposed), the container port, the host port (0 when not published)
/// and the protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    pub url: String,
    pub target_port: u16,
    pub published_port: u16,
    pub protocol: String,
}

/// One row of `ps`: what docker compose v5's `ps` knows of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsRow {
    /// The full id.
    pub id: String,
    pub name: String,
    /// All its names (without `/`), the engine's order.
    pub names: Vec<String>,
    pub image: String,
    pub project: String,
    pub service: String,
    pub number: u32,
    pub oneoff: bool,
    pub state: String,
    pub status: String,
    /// `healthy`, `unhealthy`, `starting`; empty unless running with a healthcheck.
    pub health: String,
    /// The exit code of an exited (or dead) container, else 0.
    pub exit_code: i64,
    /// Creation time, seconds since the epoch.
    pub created: i64,
    /// The command line, as the engine shows it.
    pub command: String,
    pub labels: BTreeMap<String, String>,
    /// Each mount's volume name, or its source when it has none.
    pub mounts: Vec<String>,
    /// How many mounts use the `local` volume driver.
    pub local_volumes: usize,
    /// Names of the networks it is attached to.
    pub networks: Vec<String>,
    /// Its ports, sorted by container port (the engine's order otherwise).
    pub publishers: Vec<Publisher>,
}

impl PsRow {
    /// A row of replica `n` of `service` in project `p` (`busybox`, `sleep 60`), for tests.
    #[cfg(any(test, feature = "fake"))]
    pub fn sample(service: &str, n: u32, state: &str) -> PsRow {
        PsRow {
            id: format!("id-{service}-{n}"),
            name: format!("p-{service}-{n}"),
            names: vec![format!("p-{service}-{n}")],
            image: "busybox".into(),
            project: "p".into(),
            service: service.into(),
            number: n,
            oneoff: false,
            state: state.into(),
            status: "Up".into(),
            health: String::new(),
            exit_code: 0,
            created: 0,
            command: "sleep 60".into(),
            labels: BTreeMap::new(),
            mounts: Vec::new(),
            local_volumes: 0,
            networks: Vec::new(),
            publishers: Vec::new(),
        }
    }

    /// The row of a listed container; `health` and `exit_code` as the list call tells them
    /// (`ps` reads them from the container's inspect, as docker compose does).
    pub fn from_summary(c: &ContainerSummary) -> PsRow {
        let label = |k: &str| c.labels.get(k).cloned().unwrap_or_default();
        let state = c.state.as_str().to_string();
        PsRow {
            id: c.id.clone(),
            name: c.name().to_string(),
            names: c.names.clone(),
            image: c.image.clone(),
            project: label(labels::PROJECT),
            service: label(labels::SERVICE),
            number: label(labels::CONTAINER_NUMBER).parse().unwrap_or(0),
            oneoff: label(labels::ONEOFF).eq_ignore_ascii_case("true"),
            health: if c.state == ContainerState::Running {
                c.health
                    .map(HealthStatus::as_str)
                    .unwrap_or_default()
                    .to_string()
            } else {
                String::new()
            },
            exit_code: if matches!(state.as_str(), "exited" | "dead") {
                exit_code_of_status(&c.status).unwrap_or(0)
            } else {
                0
            },
            state,
            status: c.status.clone(),
            created: c.created,
            command: c.command.clone(),
            labels: c
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            mounts: c
                .mounts
                .iter()
                .map(|m| match &m.name {
                    Some(n) if !n.is_empty() => n.clone(),
                    _ => m.source.clone(),
                })
                .collect(),
            local_volumes: c.mounts.iter().filter(|m| m.driver == "local").count(),
            networks: c.networks.clone(),
            publishers: publishers(&c.ports),
        }
    }
}

/// `Exited (137) 2 seconds ago` -> 137.
fn exit_code_of_status(status: &str) -> Option<i64> {
    let rest = status.strip_prefix("Exited (")?;
    rest.split_once(')')?.0.parse().ok()
}

/// The ports of a container as docker compose's `Publishers`: sorted by container port (a
/// stable sort, so the engine's order otherwise).
pub fn publishers(ports: &[PortMapping]) -> Vec<Publisher> {
    let mut out: Vec<Publisher> = ports
        .iter()
        .map(|p| Publisher {
            url: p.host_ip.clone(),
            target_port: p.container.port,
            published_port: p.host_port,
            protocol: p.container.protocol.as_str().to_string(),
        })
        .collect();
    out.sort_by_key(|p| p.target_port);
    out
}

/// Which rows `ps` shows (`-a`, `--status`, service names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PsFilter {
    /// `-a`: stopped containers and one-offs too.
    pub all: bool,
    /// `--status`: only containers in these states (`running`, `exited`...).
    pub status: Vec<String>,
    /// Only these services (all when empty).
    pub services: Vec<String>,
}

/// `ps`: the project's containers chosen by `filter`, sorted by service then number. One list
/// call: its summaries carry the health and (in the status text) the exit code that docker
/// compose reads by inspecting each container.
pub async fn ps(
    engine: &dyn Engine,
    project: &str,
    filter: &PsFilter,
) -> Result<Vec<PsRow>, QueryError> {
    let all = project_containers(engine, project).await?;
    Ok(select(
        all.iter().map(PsRow::from_summary).collect(),
        filter,
    ))
}

/// Which containers `ps` shows: running ones (all with `-a`), not one-offs unless `-a`, filtered
/// by `--status` and service names; sorted by service then number.
pub fn select(rows: Vec<PsRow>, args: &PsFilter) -> Vec<PsRow> {
    let mut out: Vec<PsRow> = rows
        .into_iter()
        .filter(|r| args.all || !r.oneoff)
        .filter(|r| {
            if !args.status.is_empty() {
                args.status.contains(&r.state)
            } else {
                args.all || ContainerState::parse(&r.state).is_up()
            }
        })
        .filter(|r| args.services.is_empty() || args.services.contains(&r.service))
        .collect();
    out.sort_by(|a, b| {
        (a.service.as_str(), a.number, a.name.as_str()).cmp(&(
            b.service.as_str(),
            b.number,
            b.name.as_str(),
        ))
    });
    out
}

/// One project of `ls`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRow {
    pub name: String,
    /// `running(2), exited(1)`.
    pub status: String,
    pub config_files: String,
    pub running: usize,
}

/// Groups containers into projects, in name order.
pub fn projects(containers: &[ContainerSummary]) -> Vec<ProjectRow> {
    let mut by: BTreeMap<String, (BTreeMap<String, usize>, String)> = BTreeMap::new();
    for c in containers {
        let Some(p) = c.labels.get(labels::PROJECT) else {
            continue;
        };
        let entry = by.entry(p.clone()).or_default();
        *entry.0.entry(c.state.as_str().to_string()).or_default() += 1;
        if entry.1.is_empty() {
            entry.1 = c
                .labels
                .get(labels::CONFIG_FILES)
                .cloned()
                .unwrap_or_default();
        }
    }
    by.into_iter()
        .map(|(name, (states, files))| ProjectRow {
            running: states.get("running").copied().unwrap_or(0),
            status: states
                .iter()
                .map(|(s, n)| format!("{s}({n})"))
                .collect::<Vec<_>>()
                .join(", "),
            config_files: files,
            name,
        })
        .collect()
}

/// `ls`: every project that has containers on the engine, in name order.
pub async fn ls(engine: &dyn Engine) -> Result<Vec<ProjectRow>, QueryError> {
    let all = engine
        .list_containers(&LabelFilter::new().has(labels::PROJECT))
        .await
        .map_err(|e| QueryError::new("cannot list containers", e))?;
    Ok(projects(&all))
}

/// `volumes [SERVICE...]`: the project's volumes in the engine's order, as docker compose v5
/// lists them; with services, only those mounted by one of their containers.
pub async fn volumes(
    engine: &dyn Engine,
    project: &str,
    services: &[String],
) -> Result<Vec<VolumeDetails>, QueryError> {
    let mut list = engine
        .list_volumes(&LabelFilter::project(project))
        .await
        .map_err(|e| QueryError::new(format!("cannot list the volumes of project {project}"), e))?;
    if services.is_empty() {
        return Ok(list);
    }
    let containers = project_containers(engine, project).await?;
    let used: std::collections::BTreeSet<&str> = containers
        .iter()
        .filter(|c| services.iter().any(|s| s == service_of(c)))
        .flat_map(|c| c.mounts.iter().filter_map(|m| m.name.as_deref()))
        .collect();
    list.retain(|v| used.contains(v.name.as_str()));
    Ok(list)
}

/// One container of `stats`: who it is and one sample of its usage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsRow {
    pub id: String,
    pub name: String,
    pub stats: ContainerStats,
}

/// `stats [SERVICE]`: one sample of each of the project's running containers (all with `all`),
/// one-offs included, in the engine's list order, as docker compose v5 (through docker's
/// `stats`) shows them. The samples are taken at once; a container gone meanwhile is left out.
pub async fn stats(
    engine: &dyn Engine,
    project: &str,
    service: Option<&str>,
    all: bool,
) -> Result<Vec<StatsRow>, QueryError> {
    let mut list = project_containers(engine, project).await?;
    list.retain(|c| {
        (all || c.state == ContainerState::Running) && service.is_none_or(|s| s == service_of(c))
    });
    let samples = futures::future::join_all(list.iter().map(|c| engine.stats(&c.id))).await;
    let mut rows = Vec::new();
    for (c, sample) in list.iter().zip(samples) {
        match sample {
            Ok(stats) => rows.push(StatsRow {
                id: c.id.clone(),
                name: c.name().to_string(),
                stats,
            }),
            Err(e) if e.is_not_found() => {}
            Err(e) => {
                return Err(QueryError::new(
                    format!("cannot read the usage of {}", c.name()),
                    e,
                ))
            }
        }
    }
    Ok(rows)
}

/// The answer of `port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortAnswer {
    /// The host address the port is published on (`0.0.0.0:8080`).
    Published(String),
    /// The service has no container with that number.
    NoContainer,
    /// The container does not publish that port.
    NotPublished,
}

/// `port`: where container `index` of `service` publishes `private_port`/`protocol`.
pub async fn port(
    engine: &dyn Engine,
    project: &str,
    service: &str,
    index: u32,
    private_port: u16,
    protocol: Protocol,
) -> Result<PortAnswer, QueryError> {
    let containers = service_containers(engine, project).await?;
    let Some(c) = containers.iter().find(|c| {
        c.labels.get(labels::SERVICE).map(String::as_str) == Some(service)
            && c.labels.get(labels::CONTAINER_NUMBER) == Some(&index.to_string())
    }) else {
        return Ok(PortAnswer::NoContainer);
    };
    let details = engine
        .inspect_container(&c.id)
        .await
        .map_err(|e| QueryError::new(format!("cannot inspect container {}", c.name()), e))?;
    Ok(match published(&details.ports, private_port, protocol) {
        Some(addr) => PortAnswer::Published(addr),
        None => PortAnswer::NotPublished,
    })
}

/// `port`: the host address a container port is published on (`0.0.0.0:8080`).
pub fn published(ports: &[PortMapping], port: u16, protocol: Protocol) -> Option<String> {
    ports
        .iter()
        .filter(|p| p.container.port == port && p.container.protocol == protocol)
        .filter(|p| p.host_port != 0)
        // Prefer the IPv4 binding docker compose prints first.
        .min_by_key(|p| p.host_ip.contains(':'))
        .map(|p| {
            let ip = if p.host_ip.is_empty() {
                "0.0.0.0"
            } else {
                p.host_ip.as_str()
            };
            if ip.contains(':') {
                format!("[{ip}]:{}", p.host_port)
            } else {
                format!("{ip}:{}", p.host_port)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::ContainerPort;

    #[test]
    fn repository_and_tag_are_familiar() {
        let rt = |r: &str| repository_and_tag(r);
        assert_eq!(rt("busybox:stable"), ("busybox".into(), "stable".into()));
        assert_eq!(rt("busybox"), ("busybox".into(), "latest".into()));
        assert_eq!(
            rt("docker.io/library/redis:7"),
            ("redis".into(), "7".into())
        );
        assert_eq!(
            rt("127.0.0.1:5000/p/app"),
            ("127.0.0.1:5000/p/app".into(), "latest".into())
        );
        assert_eq!(rt("app@sha256:abc"), ("app".into(), String::new()));
        assert_eq!(rt("sha256:0123"), (String::new(), String::new()));
    }

    fn row(service: &str, n: u32, state: &str) -> PsRow {
        PsRow::sample(service, n, state)
    }

    #[test]
    fn ps_rows_carry_docker_compose_fields() {
        let mut c = ContainerSummary {
            id: "abc".into(),
            names: vec!["p-db-1".into()],
            state: ContainerState::Exited,
            status: "Exited (3) 2 seconds ago".into(),
            ports: vec![
                PortMapping {
                    container: ContainerPort::tcp(9000),
                    host_ip: String::new(),
                    host_port: 0,
                },
                PortMapping {
                    container: ContainerPort::tcp(80),
                    host_ip: "::".into(),
                    host_port: 8080,
                },
                PortMapping {
                    container: ContainerPort::tcp(80),
                    host_ip: "0.0.0.0".into(),
                    host_port: 8080,
                },
            ],
            mounts: vec![
                crate::engine::MountPoint {
                    name: Some("p_data".into()),
                    source: "/var/lib/docker/volumes/p_data/_data".into(),
                    driver: "local".into(),
                    ..Default::default()
                },
                crate::engine::MountPoint {
                    source: "/srv/conf".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        c.labels.insert(labels::SERVICE.into(), "db".into());
        let r = PsRow::from_summary(&c);
        assert_eq!(r.exit_code, 3);
        assert_eq!(r.mounts, ["p_data", "/srv/conf"]);
        assert_eq!(r.local_volumes, 1);
        let urls: Vec<(&str, u16)> = r
            .publishers
            .iter()
            .map(|p| (p.url.as_str(), p.target_port))
            .collect();
        // Sorted by container port, the engine's order kept otherwise.
        assert_eq!(urls, [("::", 80), ("0.0.0.0", 80), ("", 9000)]);
    }

    #[test]
    fn ps_shows_running_by_default_and_all_with_a() {
        let rows = vec![
            row("web", 2, "running"),
            row("db", 1, "exited"),
            row("web", 1, "running"),
        ];
        let shown = select(rows.clone(), &PsFilter::default());
        let names: Vec<_> = shown.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["p-web-1", "p-web-2"]);
        let all = select(
            rows.clone(),
            &PsFilter {
                all: true,
                ..Default::default()
            },
        );
        assert_eq!(all.len(), 3);
        let exited = select(
            rows,
            &PsFilter {
                status: vec!["exited".into()],
                ..Default::default()
            },
        );
        assert_eq!(exited.len(), 1);
    }

    #[test]
    fn port_prefers_ipv4() {
        let m = |ip: &str| PortMapping {
            container: ContainerPort::tcp(80),
            host_ip: ip.into(),
            host_port: 8080,
        };
        assert_eq!(
            published(&[m("::"), m("0.0.0.0")], 80, Protocol::Tcp).as_deref(),
            Some("0.0.0.0:8080")
        );
        assert_eq!(published(&[m("::")], 81, Protocol::Tcp), None);
        assert_eq!(
            published(&[m("::")], 80, Protocol::Tcp).as_deref(),
            Some("[::]:8080")
        );
    }

    #[test]
    fn ls_counts_states_per_project() {
        let mk = |p: &str, state: ContainerState| {
            let mut c = ContainerSummary {
                state,
                ..Default::default()
            };
            c.labels.insert(labels::PROJECT.into(), p.into());
            c
        };
        let rows = projects(&[
            mk("b", ContainerState::Running),
            mk("a", ContainerState::Exited),
            mk("b", ContainerState::Running),
        ]);
        let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(rows[0].status, "exited(1)");
        assert_eq!(rows[0].running, 0);
        assert_eq!(rows[1].status, "running(2)");
        assert_eq!(rows[1].running, 2);
    }
}
