//! Read-only listing commands: `ps`, `ls`, `port`. One engine list call each (`port`: one
//! inspect), then pure formatting (tables like docker compose's, or JSON).

use std::collections::BTreeMap;

use serde_json::json;

use super::args::{ListFormat, PsArgs};
use crate::engine::{ContainerState, ContainerSummary, HealthStatus, PortMapping, Protocol};
use crate::plan::labels;

/// One row of `ps`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PsRow {
    pub id: String,
    pub name: String,
    pub image: String,
    pub project: String,
    pub service: String,
    pub number: u32,
    pub oneoff: bool,
    pub state: String,
    pub status: String,
    pub health: String,
    pub created: i64,
    /// The command line, as the engine shows it.
    pub command: String,
    /// `0.0.0.0:8080->80/tcp, 9000/tcp`, as docker compose prints them.
    pub ports: String,
}

impl PsRow {
    pub fn from_summary(c: &ContainerSummary) -> PsRow {
        let label = |k: &str| c.labels.get(k).cloned().unwrap_or_default();
        PsRow {
            id: c.id.clone(),
            name: c.name().to_string(),
            image: c.image.clone(),
            project: label(labels::PROJECT),
            service: label(labels::SERVICE),
            number: label(labels::CONTAINER_NUMBER).parse().unwrap_or(0),
            oneoff: label(labels::ONEOFF).eq_ignore_ascii_case("true"),
            state: c.state.as_str().to_string(),
            status: c.status.clone(),
            health: c
                .health
                .map(HealthStatus::as_str)
                .unwrap_or_default()
                .to_string(),
            created: c.created,
            command: c.command.clone(),
            ports: ports_text(&c.ports),
        }
    }
}

/// Which containers `ps` shows: running ones (all with `-a`), not one-offs unless `-a`, filtered
/// by `--status` and service names; sorted by service then number.
pub fn select(rows: Vec<PsRow>, args: &PsArgs) -> Vec<PsRow> {
    let mut out: Vec<PsRow> = rows
        .into_iter()
        .filter(|r| args.all || !r.oneoff)
        .filter(|r| {
            if !args.status.is_empty() {
                args.status.iter().any(|s| s.as_str() == r.state)
            } else {
                args.all || ContainerState::parse(&r.state).is_up()
            }
        })
        .filter(|r| args.service_names.is_empty() || args.service_names.contains(&r.service))
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

/// `3 seconds ago`, like docker's human durations.
pub fn ago(now: i64, then: i64) -> String {
    let s = now.saturating_sub(then).max(0);
    let text = if s < 1 {
        "Less than a second".to_string()
    } else if s == 1 {
        "1 second".to_string()
    } else if s < 60 {
        format!("{s} seconds")
    } else if s < 120 {
        "About a minute".to_string()
    } else if s < 3600 {
        format!("{} minutes", s / 60)
    } else if s < 7200 {
        "About an hour".to_string()
    } else if s < 48 * 3600 {
        format!("{} hours", s / 3600)
    } else if s < 14 * 86400 {
        format!("{} days", s / 86400)
    } else if s < 60 * 86400 {
        format!("{} weeks", s / (7 * 86400))
    } else if s < 365 * 86400 {
        format!("{} months", s / (30 * 86400))
    } else {
        format!("{} years", s / (365 * 86400))
    };
    format!("{text} ago")
}

/// Left-aligned columns separated by three spaces (docker's tabwriter look).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            if let Some(w) = width.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let mut push_row = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let mut line = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == last {
                line.push_str(c);
            } else {
                let w = width.get(i).copied().unwrap_or(0);
                line.push_str(&format!("{c:<w$}   "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    };
    push_row(header.to_vec());
    for r in rows {
        push_row(r.iter().map(String::as_str).collect());
    }
    out
}

/// The `ps` output for the selected rows.
/// Ports as `docker compose ps` prints them: published ones as `IP:HOST->PORT/PROTO` (IPv6
/// wildcard as `:::HOST->...`), exposed-only ones as `PORT/PROTO`, sorted, without repeats.
pub fn ports_text(ports: &[PortMapping]) -> String {
    let mut sorted: Vec<&PortMapping> = ports.iter().collect();
    sorted.sort_by_key(|p| {
        (
            p.container.port,
            p.container.protocol.as_str(),
            p.host_ip.contains(':'),
            p.host_port,
        )
    });
    let mut out: Vec<String> = Vec::new();
    for p in sorted {
        let target = format!("{}/{}", p.container.port, p.container.protocol.as_str());
        let text = if p.host_port == 0 {
            target
        } else {
            let ip = if p.host_ip.is_empty() {
                "0.0.0.0"
            } else {
                p.host_ip.as_str()
            };
            format!("{ip}:{}->{target}", p.host_port)
        };
        if !out.contains(&text) {
            out.push(text);
        }
    }
    out.join(", ")
}

/// The COMMAND cell: quoted, cut to 20 characters with `…` like docker compose.
fn command_cell(cmd: &str) -> String {
    let chars: Vec<char> = cmd.chars().collect();
    if chars.len() > 20 {
        format!("\"{}…\"", chars[..19].iter().collect::<String>())
    } else {
        format!("\"{cmd}\"")
    }
}

pub fn render_ps(rows: &[PsRow], args: &PsArgs, now: i64) -> String {
    if args.quiet {
        return rows.iter().map(|r| format!("{}\n", r.id)).collect();
    }
    if args.services {
        let mut seen: Vec<&str> = Vec::new();
        for r in rows {
            if !seen.contains(&r.service.as_str()) {
                seen.push(&r.service);
            }
        }
        return seen.iter().map(|s| format!("{s}\n")).collect();
    }
    match args.format {
        ListFormat::Json => rows
            .iter()
            .map(|r| {
                format!(
                    "{}\n",
                    json!({
                        "ID": r.id,
                        "Name": r.name,
                        "Image": r.image,
                        "Project": r.project,
                        "Service": r.service,
                        "State": r.state,
                        "Status": r.status,
                        "Health": r.health,
                        "Command": r.command,
                        "Publishers": r.ports,
                        "CreatedAt": r.created,
                        "RunningFor": ago(now, r.created),
                    })
                )
            })
            .collect(),
        ListFormat::Table => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        r.image.clone(),
                        command_cell(&r.command),
                        r.service.clone(),
                        ago(now, r.created),
                        r.status.clone(),
                        r.ports.clone(),
                    ]
                })
                .collect();
            table(
                &[
                    "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS",
                ],
                &cells,
            )
        }
    }
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

/// The `ls` output.
pub fn render_ls(rows: &[ProjectRow], all: bool, quiet: bool, format: ListFormat) -> String {
    let rows: Vec<&ProjectRow> = rows.iter().filter(|r| all || r.running > 0).collect();
    if quiet {
        return rows.iter().map(|r| format!("{}\n", r.name)).collect();
    }
    match format {
        ListFormat::Json => {
            let list: Vec<_> = rows
                .iter()
                .map(|r| json!({"Name": r.name, "Status": r.status, "ConfigFiles": r.config_files}))
                .collect();
            format!("{}\n", serde_json::Value::Array(list))
        }
        ListFormat::Table => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| vec![r.name.clone(), r.status.clone(), r.config_files.clone()])
                .collect();
            table(&["NAME", "STATUS", "CONFIG FILES"], &cells)
        }
    }
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
    use crate::cli::args::StatusArg;
    use crate::engine::ContainerPort;

    fn row(service: &str, n: u32, state: &str) -> PsRow {
        PsRow {
            id: format!("id-{service}-{n}"),
            name: format!("p-{service}-{n}"),
            image: "busybox".into(),
            project: "p".into(),
            service: service.into(),
            number: n,
            oneoff: false,
            state: state.into(),
            status: "Up".into(),
            health: String::new(),
            created: 0,
            command: "sleep 60".into(),
            ports: String::new(),
        }
    }

    #[test]
    fn ports_read_like_docker_compose_ps() {
        let m = |port, ip: &str, host| PortMapping {
            container: ContainerPort::tcp(port),
            host_ip: ip.into(),
            host_port: host,
        };
        assert_eq!(
            ports_text(&[
                m(8080, "::", 8080),
                m(8080, "0.0.0.0", 8080),
                m(9000, "", 0)
            ]),
            "0.0.0.0:8080->8080/tcp, :::8080->8080/tcp, 9000/tcp"
        );
        assert_eq!(ports_text(&[]), "");
        assert_eq!(command_cell("sleep 60"), "\"sleep 60\"");
        assert_eq!(
            command_cell("sh -c 'touch /tmp/ready && exec sleep 86400'"),
            "\"sh -c 'touch /tmp/r…\""
        );
    }

    #[test]
    fn ps_shows_running_by_default_and_all_with_a() {
        let rows = vec![
            row("web", 2, "running"),
            row("db", 1, "exited"),
            row("web", 1, "running"),
        ];
        let shown = select(rows.clone(), &PsArgs::default());
        let names: Vec<_> = shown.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["p-web-1", "p-web-2"]);
        let all = select(
            rows.clone(),
            &PsArgs {
                all: true,
                ..Default::default()
            },
        );
        assert_eq!(all.len(), 3);
        let exited = select(
            rows,
            &PsArgs {
                status: vec![StatusArg::Exited],
                ..Default::default()
            },
        );
        assert_eq!(exited.len(), 1);
    }

    #[test]
    fn ps_quiet_and_services() {
        let rows = vec![row("web", 1, "running"), row("web", 2, "running")];
        let q = render_ps(
            &rows,
            &PsArgs {
                quiet: true,
                ..Default::default()
            },
            0,
        );
        assert_eq!(q, "id-web-1\nid-web-2\n");
        let s = render_ps(
            &rows,
            &PsArgs {
                services: true,
                ..Default::default()
            },
            0,
        );
        assert_eq!(s, "web\n");
    }

    #[test]
    fn table_aligns_columns() {
        let t = table(
            &["NAME", "STATUS"],
            &[vec!["a-long-name".into(), "Up".into()]],
        );
        assert_eq!(t, "NAME          STATUS\na-long-name   Up\n");
    }

    #[test]
    fn ages_read_like_docker() {
        assert_eq!(ago(100, 100), "Less than a second ago");
        assert_eq!(ago(100, 95), "5 seconds ago");
        assert_eq!(ago(1000, 0), "16 minutes ago");
        assert_eq!(ago(0, 100), "Less than a second ago");
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
    fn ls_groups_by_project() {
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
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].status, "running(2)");
        let out = render_ls(&rows, false, true, ListFormat::Table);
        assert_eq!(out, "b\n");
    }
}
