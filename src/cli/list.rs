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

/// A table as docker's formatter lays it out: Go's tabwriter with cells at least `minwidth` wide
/// and three spaces of padding; the last column is trailing text (not padded, so a row whose
/// last cell is empty keeps the padding of the one before, as docker compose prints it).
/// docker compose v5 uses `minwidth` 10 for `ps`, 20 for `ls` and `images`.
pub fn table(header: &[&str], rows: &[Vec<String>], minwidth: usize) -> String {
    let lines: Vec<Vec<String>> = std::iter::once(header.iter().map(|h| h.to_string()).collect())
        .chain(rows.iter().cloned())
        .collect();
    tabwrite(&lines, minwidth, 3)
}

/// Go's `text/tabwriter` (left-aligned, space padding, no flags) over lines of cells, where the
/// last cell of each line is its trailing text: a column's width is set by the run of
/// consecutive lines that have a terminated cell in it.
pub fn tabwrite(lines: &[Vec<String>], minwidth: usize, padding: usize) -> String {
    let len = |s: &str| s.chars().count();
    // widths[i][j]: the width of terminated cell j of line i.
    let mut widths: Vec<Vec<usize>> = lines
        .iter()
        .map(|l| vec![0; l.len().saturating_sub(1)])
        .collect();
    let columns = widths.iter().map(Vec::len).max().unwrap_or(0);
    for j in 0..columns {
        let mut i = 0;
        while i < lines.len() {
            if widths[i].len() <= j {
                i += 1;
                continue;
            }
            let start = i;
            let mut w = minwidth;
            while i < lines.len() && widths[i].len() > j {
                w = w.max(len(&lines[i][j]) + padding);
                i += 1;
            }
            for row in widths.iter_mut().take(i).skip(start) {
                row[j] = w;
            }
        }
    }
    let mut out = String::new();
    for (line, ws) in lines.iter().zip(&widths) {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if let Some(w) = ws.get(j) {
                out.push_str(&" ".repeat(w.saturating_sub(len(cell))));
            }
        }
        out.push('\n');
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
                10,
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
            table(&["NAME", "STATUS", "CONFIG FILES"], &cells, 20)
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
            &["NAME", "STATUS", "PORTS"],
            &[
                vec!["a-long-name".into(), "Up".into(), "".into()],
                vec!["b".into(), "Exited (0)".into(), "80/tcp".into()],
            ],
            10,
        );
        // docker compose v5's `ps`: cells at least 10 wide, 3 spaces of padding, an empty last
        // cell leaves the padding before it.
        assert_eq!(
            t,
            "NAME          STATUS       PORTS\na-long-name   Up           \nb             Exited (0)   80/tcp\n"
        );
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
