//! The renderers of the read-only listing commands `ps` and `ls`: pure formatting of the typed
//! rows of `app::query` (tables like docker compose's, or JSON).

use serde_json::{json, Value};

use super::args::{ListFormat, PsArgs};
use super::template::FormatRow;
pub use super::template::Template;
pub use rcompose::app::query::{ProjectRow, PsRow, Publisher};

/// `3 seconds ago`: go-units' `HumanDuration` of `now - then`, plus ` ago`, as docker compose
/// prints CREATED.
pub fn ago(now: i64, then: i64) -> String {
    format!("{} ago", human_duration(now.saturating_sub(then)))
}

/// go-units' `HumanDuration` of a number of seconds (hours rounded, as it does).
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    if s < 1 {
        return "Less than a second".to_string();
    }
    if s == 1 {
        return "1 second".to_string();
    }
    if s < 60 {
        return format!("{s} seconds");
    }
    let minutes = s / 60;
    if minutes == 1 {
        return "About a minute".to_string();
    }
    if minutes < 60 {
        return format!("{minutes} minutes");
    }
    // int(d.Hours() + 0.5)
    let hours = (s + 1800) / 3600;
    if hours == 1 {
        return "About an hour".to_string();
    }
    if hours < 48 {
        return format!("{hours} hours");
    }
    if hours < 24 * 7 * 2 {
        return format!("{} days", hours / 24);
    }
    if hours < 24 * 30 * 2 {
        return format!("{} weeks", hours / 24 / 7);
    }
    if hours < 24 * 365 * 2 {
        return format!("{} months", hours / 24 / 30);
    }
    format!("{} years", s / 3600 / 24 / 365)
}

/// Go's `time.Time.String()` of a Unix time in `zone`: `2006-01-02 15:04:05 -0700 MST`.
pub fn go_time(secs: i64, zone: &jiff::tz::TimeZone) -> String {
    match jiff::Timestamp::from_second(secs) {
        Ok(t) => t
            .to_zoned(zone.clone())
            .strftime("%Y-%m-%d %H:%M:%S %z %Z")
            .to_string(),
        Err(_) => String::new(),
    }
}

/// docker's `formatter.Ellipsis`: at most `max` characters, the last one `…` when cut.
pub fn ellipsis(s: &str, max: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = chars[..max - 1].iter().collect();
    out.push('…');
    out
}

/// Go's `strconv.Quote`: double quotes, `\"` and `\\`, control characters escaped; printable
/// Unicode kept.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `json.Marshal` of a value: serde_json's text with Go's HTML escaping.
pub fn go_json(v: &Value) -> String {
    rcompose::model::go_json::escape_html(&v.to_string())
}

/// docker's `DisplayablePorts` over a container's publishers, as docker compose v5 prints
/// PORTS: sorted by container port, then address (none, IPv4, IPv6), host port, protocol;
/// runs of consecutive ports published on the same port number grouped (`8000-8001`), ports
/// published on another number listed after them, IPv6 addresses in brackets.
pub fn ports_cell(publishers: &[Publisher]) -> String {
    #[derive(PartialEq, Eq, PartialOrd, Ord, Clone)]
    enum Addr {
        None,
        V4(std::net::Ipv4Addr),
        V6(std::net::Ipv6Addr),
    }
    let addr = |url: &str| match url.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(a)) => Addr::V4(a),
        Ok(std::net::IpAddr::V6(a)) => Addr::V6(a),
        Err(_) => Addr::None,
    };
    let mut ports: Vec<(u16, Addr, u16, &str)> = publishers
        .iter()
        .map(|p| {
            (
                p.target_port,
                addr(&p.url),
                p.published_port,
                p.protocol.as_str(),
            )
        })
        .collect();
    ports.sort();
    let host_port = |a: &Addr, port: &str| match a {
        Addr::V4(ip) => format!("{ip}:{port}"),
        Addr::V6(ip) => format!("[{ip}]:{port}"),
        Addr::None => port.to_string(),
    };
    let group = |a: &Addr, proto: &str, first: u16, last: u16| {
        let range = if first == last {
            first.to_string()
        } else {
            format!("{first}-{last}")
        };
        match a {
            Addr::None => format!("{range}/{proto}"),
            _ => format!("{}->{range}/{proto}", host_port(a, &range)),
        }
    };
    let mut result: Vec<String> = Vec::new();
    let mut host_mappings: Vec<String> = Vec::new();
    // Groups in the order their keys were first seen, as docker keeps them.
    let mut groups: Vec<((Addr, String), (u16, u16))> = Vec::new();
    for (private, a, public, proto) in ports {
        if a != Addr::None && public != private {
            host_mappings.push(format!(
                "{}->{private}/{proto}",
                host_port(&a, &public.to_string())
            ));
            continue;
        }
        let key = (a, proto.to_string());
        match groups.iter_mut().find(|(k, _)| *k == key) {
            None => groups.push((key, (private, private))),
            Some((_, g)) if u32::from(private) == u32::from(g.1) + 1 => g.1 = private,
            Some((k, g)) => {
                result.push(group(&k.0, &k.1, g.0, g.1));
                *g = (private, private);
            }
        }
    }
    for ((a, proto), (first, last)) in &groups {
        result.push(group(a, proto, *first, *last));
    }
    result.extend(host_mappings);
    result.join(", ")
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

/// The COMMAND cell: cut to 20 characters with `…` (unless `--no-trunc`), Go-quoted.
fn command_cell(cmd: &str, trunc: bool) -> String {
    if trunc {
        go_quote(&ellipsis(cmd, 20))
    } else {
        go_quote(cmd)
    }
}

/// What the renderers of `ps` need besides the rows: the time, the local zone and `--no-trunc`.
#[derive(Debug, Clone)]
pub struct PsContext {
    pub now: i64,
    pub zone: jiff::tz::TimeZone,
    /// Not `--no-trunc`: short ids, cut commands and mount names.
    pub trunc: bool,
}

impl PsContext {
    /// In UTC, truncating: for tests.
    #[cfg(test)]
    pub fn utc(now: i64) -> PsContext {
        PsContext {
            now,
            zone: jiff::tz::TimeZone::UTC,
            trunc: true,
        }
    }
}

/// The fields of a `ps` row (docker compose v5's `ContainerContext`), in the order its JSON
/// lists them (alphabetical), with the header each has in a `table` template.
const PS_FIELDS: [(&str, Option<&str>); 21] = [
    ("Command", Some("COMMAND")),
    ("CreatedAt", Some("CREATED AT")),
    ("Engine", Some("ENGINE")),
    ("ExitCode", None),
    ("Health", None),
    ("ID", Some("CONTAINER ID")),
    ("Image", Some("IMAGE")),
    ("Labels", Some("LABELS")),
    ("LocalVolumes", None),
    ("Mounts", None),
    ("Name", Some("NAME")),
    ("Names", None),
    ("Networks", None),
    ("Ports", Some("PORTS")),
    ("Project", Some("PROJECT")),
    ("Publishers", None),
    ("RunningFor", Some("CREATED")),
    ("Service", Some("SERVICE")),
    ("Size", Some("SIZE")),
    ("State", Some("STATE")),
    ("Status", Some("STATUS")),
];

/// The label docker compose's `Engine` field reads.
const ENGINE_LABEL: &str = "com.docker.compose.engine";

/// The value of field `name` of a `ps` row, as docker compose v5 computes it (`None` for a
/// field it does not have).
pub fn ps_field(r: &PsRow, name: &str, cx: &PsContext) -> Option<Value> {
    let s = |v: String| Some(Value::String(v));
    match name {
        "Command" => s(command_cell(&r.command, cx.trunc)),
        "CreatedAt" => s(go_time(r.created, &cx.zone)),
        "Engine" => s(r.labels.get(ENGINE_LABEL).cloned().unwrap_or_default()),
        "ExitCode" => Some(Value::from(r.exit_code)),
        "Health" => s(r.health.clone()),
        "ID" => s(if cx.trunc {
            r.id.chars().take(12).collect()
        } else {
            r.id.clone()
        }),
        "Image" => s(r.image.clone()),
        "Labels" => s(r
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")),
        "LocalVolumes" => s(r.local_volumes.to_string()),
        "Mounts" => s(r
            .mounts
            .iter()
            .map(|m| if cx.trunc { ellipsis(m, 15) } else { m.clone() })
            .collect::<Vec<_>>()
            .join(",")),
        "Name" => s(r.name.clone()),
        "Names" => {
            let names: Vec<String> = if cx.trunc {
                r.names
                    .iter()
                    .find(|n| !n.contains('/'))
                    .map(|n| vec![n.clone()])
                    .unwrap_or_else(|| r.names.clone())
            } else {
                r.names.clone()
            };
            s(names.join(","))
        }
        "Networks" => s(r.networks.join(",")),
        "Ports" => s(ports_cell(&r.publishers)),
        "Project" => s(r.project.clone()),
        "Publishers" => Some(Value::Array(
            r.publishers
                .iter()
                .map(|p| {
                    json!({
                        "URL": p.url,
                        "TargetPort": p.target_port,
                        "PublishedPort": p.published_port,
                        "Protocol": p.protocol,
                    })
                })
                .collect(),
        )),
        "RunningFor" => s(ago(cx.now, r.created)),
        "Service" => s(r.service.clone()),
        // docker compose does not ask the engine for sizes: always 0.
        "Size" => s("0B".to_string()),
        "State" => s(r.state.clone()),
        "Status" => s(r.status.clone()),
        _ => None,
    }
}

/// One `ps` row as docker compose v5's `--format json` prints it (one object per line).
pub fn ps_json(r: &PsRow, cx: &PsContext) -> Value {
    PsView { row: r, cx }.json()
}

/// `{{.Publishers}}`: docker compose's publishers as Go prints the slice,
/// `[80/tcp -> 0.0.0.0:8080 80/tcp -> [::]:8080]`.
fn publishers_text(publishers: &[Publisher]) -> String {
    let items: Vec<String> = publishers
        .iter()
        .map(|p| {
            let host = if p.url.contains(':') {
                format!("[{}]:{}", p.url, p.published_port)
            } else {
                format!("{}:{}", p.url, p.published_port)
            };
            format!("{}/{} -> {host}", p.target_port, p.protocol)
        })
        .collect();
    format!("[{}]", items.join(" "))
}

/// A `ps` row as docker compose v5's `ContainerContext` shows it to a `--format` template.
pub struct PsView<'a> {
    pub row: &'a PsRow,
    pub cx: &'a PsContext,
}

impl FormatRow for PsView<'_> {
    const FIELDS: &'static [(&'static str, Option<&'static str>)] = &PS_FIELDS;
    const CONTEXT: &'static str = "*formatter.ContainerContext";

    fn field(&self, name: &str) -> Option<Value> {
        ps_field(self.row, name, self.cx)
    }

    fn text(&self, name: &str) -> Option<String> {
        (name == "Publishers").then(|| publishers_text(&self.row.publishers))
    }

    fn label(&self, key: &str) -> &str {
        self.row.labels.get(key).map(String::as_str).unwrap_or("")
    }
}

/// The `ps` rows with their context, for a template.
fn ps_views<'a>(rows: &'a [PsRow], cx: &'a PsContext) -> Vec<PsView<'a>> {
    rows.iter().map(|row| PsView { row, cx }).collect()
}

/// The `ps` output for the selected rows: `--format` `table` (or empty), `json`, or a template.
pub fn render_ps(rows: &[PsRow], args: &PsArgs, cx: &PsContext) -> Result<String, String> {
    if args.quiet {
        return Ok(rows.iter().map(|r| format!("{}\n", r.id)).collect());
    }
    if args.services {
        let mut seen: Vec<&str> = Vec::new();
        for r in rows {
            if !seen.contains(&r.service.as_str()) {
                seen.push(&r.service);
            }
        }
        return Ok(seen.iter().map(|s| format!("{s}\n")).collect());
    }
    match args.format.as_str() {
        "json" => Ok(rows
            .iter()
            .map(|r| format!("{}\n", go_json(&ps_json(r, cx))))
            .collect()),
        "table" | "" => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        r.image.clone(),
                        command_cell(&r.command, cx.trunc),
                        r.service.clone(),
                        ago(cx.now, r.created),
                        r.status.clone(),
                        ports_cell(&r.publishers),
                    ]
                })
                .collect();
            Ok(table(
                &[
                    "NAME", "IMAGE", "COMMAND", "SERVICE", "CREATED", "STATUS", "PORTS",
                ],
                &cells,
                10,
            ))
        }
        custom => Ok(Template::parse::<PsView>(custom)
            .map_err(|e| format!("template parsing error: {e}"))?
            .render(&ps_views(rows, cx))),
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
            &PsContext::utc(0),
        )
        .unwrap_or_default();
        assert_eq!(q, "id-web-1\nid-web-2\n");
        let s = render_ps(
            &rows,
            &PsArgs {
                services: true,
                ..Default::default()
            },
            &PsContext::utc(0),
        )
        .unwrap_or_default();
        assert_eq!(s, "web\n");
    }

    #[test]
    fn command_cells_are_quoted_and_cut() {
        assert_eq!(command_cell("sleep 60", true), "\"sleep 60\"");
        assert_eq!(
            command_cell("sh -c 'touch /tmp/ready && exec sleep 86400'", true),
            "\"sh -c 'touch /tmp/r…\""
        );
        assert_eq!(
            command_cell("sh -c 'echo \"hi\"'", false),
            r#""sh -c 'echo \"hi\"'""#
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
        // go-units rounds hours: 1 h 30 min is "2 hours", 1 h 29 min "About an hour".
        assert_eq!(ago(5400, 0), "2 hours ago");
        assert_eq!(ago(5399, 0), "About an hour ago");
        assert_eq!(ago(119, 0), "About a minute ago");
        assert_eq!(ago(47 * 3600 + 1800, 0), "2 days ago");
        assert_eq!(ago(3 * 365 * 86400, 0), "3 years ago");
    }

    #[test]
    fn ls_quiet_lists_running_projects_only() {
        // The grouping itself is app::query::projects's (tested there).
        let row = |name: &str, status: &str, running: usize| ProjectRow {
            name: name.into(),
            status: status.into(),
            config_files: String::new(),
            running,
        };
        let rows = [row("a", "exited(1)", 0), row("b", "running(2)", 2)];
        assert_eq!(render_ls(&rows, false, true, ListFormat::Table), "b\n");
        assert_eq!(render_ls(&rows, true, true, ListFormat::Table), "a\nb\n");
    }

    fn publisher(url: &str, target: u16, published: u16) -> Publisher {
        Publisher {
            url: url.into(),
            target_port: target,
            published_port: published,
            protocol: "tcp".into(),
        }
    }

    #[test]
    fn ports_read_like_docker_compose_v5() {
        assert_eq!(
            ports_cell(&[
                publisher("::", 80, 18931),
                publisher("0.0.0.0", 80, 18931),
                publisher("", 9000, 0),
            ]),
            "9000/tcp, 0.0.0.0:18931->80/tcp, [::]:18931->80/tcp"
        );
        // Same port number on both sides: grouped into ranges, IPv4 before IPv6.
        assert_eq!(
            ports_cell(&[
                publisher("0.0.0.0", 8000, 8000),
                publisher("0.0.0.0", 8001, 8001),
                publisher("::", 8000, 8000),
                publisher("", 53, 0),
                publisher("", 54, 0),
                publisher("", 60, 0),
            ]),
            "53-54/tcp, 60/tcp, 0.0.0.0:8000-8001->8000-8001/tcp, [::]:8000->8000/tcp"
        );
        assert_eq!(ports_cell(&[]), "");
    }

    fn full_row() -> PsRow {
        let mut r = PsRow::sample("web", 1, "running");
        r.id = "a194ba4c4e8b9626edc991d850cdf83e507453290e164ab266a5647c573cbdf3".into();
        r.created = 1_796_441_019; // 2026-12-05 03:23:39 UTC
        r.command = "sh -c 'exec sleep 3600'".into();
        r.labels.insert("tier".into(), "front".into());
        r.labels.insert("a".into(), "1".into());
        r.mounts = vec!["a-rather-long-volume-name".into(), "p_data".into()];
        r.local_volumes = 2;
        r.networks = vec!["p_default".into()];
        r.publishers = vec![publisher("0.0.0.0", 80, 8080)];
        r
    }

    #[test]
    fn ps_json_has_docker_compose_v5_keys_in_order() {
        let line = render_ps(
            &[full_row()],
            &PsArgs {
                format: "json".into(),
                ..Default::default()
            },
            &PsContext::utc(1_796_441_079),
        )
        .unwrap_or_default();
        assert_eq!(
            line,
            concat!(
                r#"{"Command":"\"sh -c 'exec sleep 3…\"","CreatedAt":"2026-12-05 03:23:39 +0000 UTC","#,
                r#""Engine":"","ExitCode":0,"Health":"","ID":"a194ba4c4e8b","Image":"busybox","#,
                r#""Labels":"a=1,tier=front","LocalVolumes":"2","Mounts":"a-rather-long-…,p_data","#,
                r#""Name":"p-web-1","Names":"p-web-1","Networks":"p_default","#,
                r#""Ports":"0.0.0.0:8080-\u003e80/tcp","Project":"p","#,
                r#""Publishers":[{"URL":"0.0.0.0","TargetPort":80,"PublishedPort":8080,"Protocol":"tcp"}],"#,
                r#""RunningFor":"About a minute ago","Service":"web","Size":"0B","State":"running","Status":"Up"}"#,
                "\n"
            )
        );
        let cx = PsContext {
            trunc: false,
            ..PsContext::utc(0)
        };
        let v = ps_json(&full_row(), &cx);
        assert_eq!(v["ID"].as_str().map(str::len), Some(64));
        assert_eq!(v["Mounts"], "a-rather-long-volume-name,p_data");
        assert_eq!(v["Command"], "\"sh -c 'exec sleep 3600'\"");
    }

    #[test]
    fn ps_templates_print_fields_and_tables() {
        let rows = [full_row(), PsRow::sample("db", 1, "running")];
        let cx = PsContext::utc(1_796_441_079);
        let t = |f: &str| {
            render_ps(
                &rows,
                &PsArgs {
                    format: f.into(),
                    ..Default::default()
                },
                &cx,
            )
        };
        assert_eq!(
            t(r"{{.Name}}\t{{.Service}}").as_deref(),
            Ok("p-web-1\tweb\np-db-1\tdb\n")
        );
        assert_eq!(
            t(r#"table {{.Name}}\t{{.Ports}}\t{{.Label "tier"}}"#).as_deref(),
            Ok("NAME      PORTS                  tier\np-web-1   0.0.0.0:8080->80/tcp   front\np-db-1                           \n")
        );
        assert_eq!(
            t("{{json .Publishers}} {{upper .State}} {{.ExitCode}}").as_deref(),
            Ok("[{\"URL\":\"0.0.0.0\",\"TargetPort\":80,\"PublishedPort\":8080,\"Protocol\":\"tcp\"}] RUNNING 0\n[] RUNNING 0\n")
        );
        assert_eq!(
            t("{{.Publishers}}").as_deref().map(|s| s.lines().next()),
            Ok(Some("[80/tcp -> 0.0.0.0:8080]"))
        );
        assert_eq!(
            publishers_text(&[publisher("::", 80, 8080), publisher("", 9000, 0)]),
            "[80/tcp -> [::]:8080 9000/tcp -> :0]"
        );
        // Not a template docker compose knows: printed as it is, once a row.
        assert_eq!(t("pretty").as_deref(), Ok("pretty\npretty\n"));
        assert!(t("{{.Nope}}").is_err());
        assert!(t("{{.Name").is_err());
        let json_line = t("{{json .}}").unwrap_or_default();
        assert!(json_line.starts_with("{\"Command\":"), "{json_line}");
    }

    #[test]
    fn go_formats() {
        assert_eq!(
            go_time(1_796_441_019, &jiff::tz::TimeZone::UTC),
            "2026-12-05 03:23:39 +0000 UTC"
        );
        assert_eq!(
            go_time(0, &jiff::tz::TimeZone::fixed(jiff::tz::Offset::constant(2))).get(..25),
            Some("1970-01-01 02:00:00 +0200")
        );
        assert_eq!(go_quote("a\tb\"\\é"), "\"a\\tb\\\"\\\\é\"");
        assert_eq!(ellipsis("abcdef", 4), "abc…");
        assert_eq!(ellipsis("abc", 4), "abc");
        assert_eq!(
            go_json(&json!({"a": "<&>"})),
            r#"{"a":"\u003c\u0026\u003e"}"#
        );
    }
}
