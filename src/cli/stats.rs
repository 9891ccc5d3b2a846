//! `stats [SERVICE]`: the resource usage of the project's containers as docker compose v5 shows
//! it (through docker's `stats` formatter): `--no-stream` prints one table (or `--format json`,
//! one object a line, or a template); without it the table is redrawn every second, as docker
//! draws it (cursor home, lines erased to their end, the rest cleared), until Ctrl-C (exit 130).

use anyhow::{anyhow, Result};
use clap::Args;
use serde_json::Value;

use super::images::significant;
use super::template::{render_format, FormatRow, Template};
use super::{context, exit, read, GlobalArgs};
use rcompose::app::query::{self, StatsRow};
use rcompose::app::types::engine::ContainerStats;

/// `stats`.
#[derive(Debug, Args, Clone, Default)]
pub struct StatsArgs {
    /// Show all containers (default shows just running).
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Format the output: `table` (default), `table TEMPLATE`, `json`, or a Go template.
    #[arg(long, default_value = "table", value_name = "FORMAT")]
    pub format: String,
    /// Disable streaming stats and only pull the first result.
    #[arg(long)]
    pub no_stream: bool,
    /// Do not truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// The service (default: all).
    pub service: Option<String>,
}

/// docker's `statsContext`: its fields in JSON order, with their table headers.
const STATS_FIELDS: [(&str, Option<&str>); 9] = [
    ("BlockIO", Some("BLOCK I/O")),
    ("CPUPerc", Some("CPU %")),
    ("Container", Some("CONTAINER")),
    ("ID", Some("CONTAINER ID")),
    ("MemPerc", Some("MEM %")),
    ("MemUsage", Some("MEM USAGE / LIMIT")),
    ("Name", Some("NAME")),
    ("NetIO", Some("NET I/O")),
    ("PIDs", Some("PIDS")),
];

/// docker's default stats table.
const DEFAULT_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

/// go-units' `CustomSize`: `size` in `base` steps of `units`, `%.<digits>g`.
fn custom_size(size: f64, digits: i32, base: f64, units: &[&str]) -> String {
    let mut size = size;
    let mut unit = 0;
    while size >= base && unit < units.len() - 1 {
        size /= base;
        unit += 1;
    }
    format!("{}{}", significant(size, digits), units[unit])
}

/// go-units' `BytesSize` (binary units, 4 significant digits: `1.801MiB`).
pub fn bytes_size(bytes: f64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    custom_size(bytes, 4, 1024.0, &UNITS)
}

/// go-units' `HumanSizeWithPrecision(_, 3)` (decimal units: `1.16kB`).
pub fn human_size3(bytes: f64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    custom_size(bytes, 3, 1000.0, &UNITS)
}

/// docker's CPU %: the container's share of the host's CPU time since the previous reading,
/// times the CPUs online.
pub fn cpu_percent(s: &ContainerStats) -> f64 {
    let cpu = s.cpu_total as f64 - s.precpu_total as f64;
    let system = s.system_cpu as f64 - s.presystem_cpu as f64;
    let cpus = if s.online_cpus > 0 {
        f64::from(s.online_cpus)
    } else {
        s.percpu as f64
    };
    if system > 0.0 && cpu > 0.0 {
        cpu / system * cpus * 100.0
    } else {
        0.0
    }
}

/// docker's memory in use: the usage without the inactive file cache.
pub fn mem_used(s: &ContainerStats) -> f64 {
    match s.mem_inactive_file {
        Some(cache) if cache < s.mem_usage => (s.mem_usage - cache) as f64,
        _ => s.mem_usage as f64,
    }
}

/// A container's sample as docker's stats formatter shows it to a template.
pub struct StatsView<'a> {
    pub row: &'a StatsRow,
    pub trunc: bool,
}

impl FormatRow for StatsView<'_> {
    const FIELDS: &'static [(&'static str, Option<&'static str>)] = &STATS_FIELDS;
    const CONTEXT: &'static str = "*formatter.statsContext";

    fn field(&self, name: &str) -> Option<Value> {
        let (r, s) = (self.row, &self.row.stats);
        let used = mem_used(s);
        let text = match name {
            "BlockIO" => format!(
                "{} / {}",
                human_size3(s.block_read as f64),
                human_size3(s.block_write as f64)
            ),
            "CPUPerc" => format!("{:.2}%", cpu_percent(s)),
            "Container" => r.id.clone(),
            "ID" if self.trunc => r.id.chars().take(12).collect(),
            "ID" => r.id.clone(),
            "MemPerc" => {
                let p = if s.mem_limit > 0 {
                    used / s.mem_limit as f64 * 100.0
                } else {
                    0.0
                };
                format!("{p:.2}%")
            }
            "MemUsage" => format!("{} / {}", bytes_size(used), bytes_size(s.mem_limit as f64)),
            "Name" => r.name.clone(),
            "NetIO" => format!(
                "{} / {}",
                human_size3(s.net_rx as f64),
                human_size3(s.net_tx as f64)
            ),
            "PIDs" => s.pids.to_string(),
            _ => return None,
        };
        Some(Value::String(text))
    }

    fn label(&self, _key: &str) -> &str {
        ""
    }
}

/// The `stats` output for `rows`: nothing at all when there are none (as docker prints).
pub fn render(rows: &[StatsRow], format: &str, trunc: bool) -> Result<String, String> {
    if rows.is_empty() {
        return Ok(String::new());
    }
    let views: Vec<StatsView> = rows.iter().map(|row| StatsView { row, trunc }).collect();
    render_format(format, DEFAULT_TABLE, &views)
}

/// One refresh of streaming `stats`, as docker draws it: cursor home, each line erased to its
/// end (a shorter line leaves nothing of the last one), then the rest of the screen cleared.
pub fn frame(text: &str) -> String {
    let mut out = String::from("\x1b[H");
    for line in text.split('\n') {
        out.push_str(line);
        out.push_str("\x1b[K\n");
    }
    out.push_str("\x1b[J");
    out
}

/// `stats [SERVICE] [-a] [--no-stream] [--no-trunc] [--format]`.
pub async fn stats(global: &GlobalArgs, args: StatsArgs) -> Result<i32> {
    let services: Vec<String> = args.service.iter().cloned().collect();
    let project = read::project_name(global, &services)?;
    // A bad template fails before anything is read.
    if !matches!(args.format.as_str(), "" | "table" | "json") {
        Template::parse::<StatsView>(&args.format)
            .map_err(|e| anyhow!("template parsing error: {e}"))?;
    }
    let engine = context::connect().await?;
    let sample = || query::stats(engine.as_ref(), &project, args.service.as_deref(), args.all);
    if args.no_stream {
        let rows = sample().await?;
        let text = render(&rows, &args.format, !args.no_trunc).map_err(|e| anyhow!(e))?;
        super::runtime::print_stdout(&text);
        return Ok(exit::OK);
    }
    let interrupted = super::inspect::interrupted();
    tokio::pin!(interrupted);
    loop {
        let next = tokio::time::Instant::now() + std::time::Duration::from_secs(1);
        let rows = tokio::select! {
            r = sample() => r?,
            _ = &mut interrupted => return Ok(exit::INTERRUPTED),
        };
        let text = render(&rows, &args.format, !args.no_trunc).map_err(|e| anyhow!(e))?;
        super::runtime::print_stdout(&frame(&text));
        tokio::select! {
            _ = tokio::time::sleep_until(next) => {}
            _ = &mut interrupted => return Ok(exit::INTERRUPTED),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> StatsRow {
        StatsRow {
            id: "240e5a5a4db5f30aa726893330ea3543b96915caa6585d7e8406fa7519322a8f".into(),
            name: "p-s-1".into(),
            stats: ContainerStats {
                cpu_total: 3_000_000,
                precpu_total: 1_000_000,
                system_cpu: 2_000_000_000,
                presystem_cpu: 1_000_000_000,
                online_cpus: 4,
                mem_usage: 2_000_000,
                mem_limit: 25_275_805_696,
                mem_inactive_file: Some(111_552),
                net_rx: 1_160,
                net_tx: 0,
                block_read: 4_096,
                block_write: 0,
                pids: 1,
                ..Default::default()
            },
        }
    }

    #[test]
    fn stats_table_and_json_as_docker_compose_v5() {
        let table = render(&[row()], "table", true).unwrap_or_default();
        assert_eq!(
            table,
            "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT     MEM %     NET I/O       BLOCK I/O    PIDS\n\
             240e5a5a4db5   p-s-1     0.80%     1.801MiB / 23.54GiB   0.01%     1.16kB / 0B   4.1kB / 0B   1\n"
        );
        let json = render(&[row()], "json", true).unwrap_or_default();
        let v: Value = serde_json::from_str(json.trim()).unwrap_or_default();
        let keys: Vec<&str> = v
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "BlockIO",
                "CPUPerc",
                "Container",
                "ID",
                "MemPerc",
                "MemUsage",
                "Name",
                "NetIO",
                "PIDs"
            ]
        );
        assert_eq!(v["ID"], "240e5a5a4db5");
        assert_eq!(v["Container"].as_str().map(str::len), Some(64));
        assert_eq!(render(&[], "table", true), Ok(String::new()));
        let t = render(&[row()], "table {{.Container}}\t{{.Name}}", false).unwrap_or_default();
        assert!(t.starts_with("CONTAINER   "), "{t}");
    }

    #[test]
    fn streaming_frames_redraw_in_place_as_docker() {
        assert_eq!(frame("A\nB\n"), "\x1b[HA\x1b[K\nB\x1b[K\n\x1b[K\n\x1b[J");
        assert_eq!(frame(""), "\x1b[H\x1b[K\n\x1b[J");
    }

    #[test]
    fn sizes_follow_go_units() {
        assert_eq!(bytes_size(0.0), "0B");
        assert_eq!(bytes_size(1_888_256.0), "1.801MiB");
        assert_eq!(bytes_size(25_275_805_696.0), "23.54GiB");
        assert_eq!(human_size3(1_160.0), "1.16kB");
        assert_eq!(human_size3(999.0), "999B");
        assert_eq!(human_size3(12_345_678.0), "12.3MB");
    }
}
