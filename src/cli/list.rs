//! The renderers of the read-only listing commands `ps` and `ls`: pure formatting of the typed
//! rows of `app::query` (tables like docker compose's, or JSON).

use serde_json::json;

use super::args::{ListFormat, PsArgs};
pub use rcompose::app::query::{ProjectRow, PsRow};

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

/// The COMMAND cell: quoted, cut to 20 characters with `…` like docker compose.
fn command_cell(cmd: &str) -> String {
    let chars: Vec<char> = cmd.chars().collect();
    if chars.len() > 20 {
        format!("\"{}…\"", chars[..19].iter().collect::<String>())
    } else {
        format!("\"{cmd}\"")
    }
}

/// The `ps` output for the selected rows.
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

#[cfg(test)]
mod tests {
    use super::*;
    use rcompose::app::query::projects;
    use rcompose::engine::{ContainerState, ContainerSummary};
    use rcompose::plan::labels;

    fn row(service: &str, n: u32, state: &str) -> PsRow {
        PsRow::sample(service, n, state)
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
    fn command_cells_are_quoted_and_cut() {
        assert_eq!(command_cell("sleep 60"), "\"sleep 60\"");
        assert_eq!(
            command_cell("sh -c 'touch /tmp/ready && exec sleep 86400'"),
            "\"sh -c 'touch /tmp/r…\""
        );
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
