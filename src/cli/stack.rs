//! `rcompose stack deploy|ls|ps|services|rm`: a compose file as a Docker Swarm stack, as the
//! docker CLI's `docker stack` names them. Parses the flags, calls `app::swarm` and prints:
//! deploy's events as the docker CLI's lines (warnings, i.e. keys Swarm ignores, on standard
//! error as `WARN: services.<svc>.<key>: <reason>`), the listings through the one `--format`
//! template engine with the docker CLI's columns and JSON keys.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::Value;

use super::list::ellipsis;
use super::template::{render_format, FormatRow};
use super::{exit, GlobalArgs};
use rcompose::app::swarm::{
    self, DeployEvent, DeployOptions, Filters, ServiceRow, StackDeployOptions, StackSummary,
    SwarmPort, TaskRow,
};

#[derive(Debug, Args)]
pub struct StackArgs {
    #[command(subcommand)]
    pub command: StackCommand,
}

#[derive(Debug, Subcommand)]
pub enum StackCommand {
    /// Deploy a new stack or update an existing one.
    #[command(visible_alias = "up")]
    Deploy(DeployArgs),
    /// List stacks.
    #[command(visible_alias = "list")]
    Ls(LsArgs),
    /// List the tasks in the stack.
    Ps(PsArgs),
    /// List the services in the stack.
    Services(ServicesArgs),
    /// Remove one or more stacks.
    #[command(visible_aliases = ["remove", "down"])]
    Rm(RmArgs),
}

#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Path to a compose file (several merge as several `-f` do).
    #[arg(short = 'c', long = "compose-file", value_name = "FILE")]
    pub compose_file: Vec<PathBuf>,
    /// Prune services that are no longer referenced.
    #[arg(long)]
    pub prune: bool,
    /// Wait until every service's replicas are running and healthy.
    #[arg(long)]
    pub wait: bool,
    /// `--detach=false` waits, as `--wait`.
    #[arg(short = 'd', long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub detach: Option<bool>,
    /// How long `--wait` waits, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    pub wait_timeout: u64,
    /// Query the registry for image digests: never (rcompose always uses the local image name).
    #[arg(long, value_name = "WHEN")]
    pub resolve_image: Option<String>,
    /// Stack name.
    pub stack: String,
}

#[derive(Debug, Args)]
pub struct LsArgs {
    /// Format output: table, json, or a Go template.
    #[arg(long, default_value = "table")]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Filter output (desired-state=, id=, name=, node=).
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Format output: table, json, or a Go template.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Do not map node IDs to names.
    #[arg(long)]
    pub no_resolve: bool,
    /// Do not truncate output.
    #[arg(long)]
    pub no_trunc: bool,
    /// Only display task IDs.
    #[arg(short, long)]
    pub quiet: bool,
    pub stack: String,
}

#[derive(Debug, Args)]
pub struct ServicesArgs {
    /// Filter output (id=, label=, mode=, name=).
    #[arg(short = 'f', long = "filter", value_name = "FILTER")]
    pub filter: Vec<String>,
    /// Format output: table, json, or a Go template.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// Only display IDs.
    #[arg(short, long)]
    pub quiet: bool,
    pub stack: String,
}

#[derive(Debug, Args)]
pub struct RmArgs {
    #[arg(required = true)]
    pub stacks: Vec<String>,
}

async fn engine() -> Result<std::sync::Arc<dyn swarm::SwarmEngine>> {
    let options = super::plugin::connect_options(|name| std::env::var(name).ok());
    Ok(swarm::connect(&options).await?)
}

pub fn run(global: &GlobalArgs, args: StackArgs) -> Result<i32> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run_async(global, args))
}

/// A deploy event as the docker CLI prints it (`None`: nothing to print); the bool says
/// standard error.
pub fn deploy_line(ev: &DeployEvent) -> Option<(bool, String)> {
    Some(match ev {
        DeployEvent::Untranslated(w) => (true, format!("WARN: {w}")),
        DeployEvent::Warning(w) => (true, format!("WARN: {w}")),
        DeployEvent::Creating { kind, name } => {
            (false, format!("Creating {} {name}", kind.as_str()))
        }
        DeployEvent::Updating { name, id } => {
            (false, format!("Updating service {name} (id: {id})"))
        }
        DeployEvent::Removing { kind, name } => {
            (false, format!("Removing {} {name}", kind.as_str()))
        }
        DeployEvent::Ready => return None,
    })
}

async fn run_async(global: &GlobalArgs, args: StackArgs) -> Result<i32> {
    let engine = engine().await?;
    let e = engine.as_ref();
    let out = |text: String| super::runtime::print_stdout(&text);
    match args.command {
        StackCommand::Deploy(d) => {
            let mut g = global.clone();
            if !d.compose_file.is_empty() {
                g.file = d.compose_file.clone();
            }
            let wait = d.wait || d.detach == Some(false);
            let opts = StackDeployOptions {
                load: g.load_options(&[])?,
                stack: d.stack.clone(),
                deploy: DeployOptions {
                    prune: d.prune,
                    wait: wait.then(|| Duration::from_secs(d.wait_timeout)),
                },
            };
            swarm::deploy_stack(e, &opts, &mut |ev| match deploy_line(&ev) {
                Some((true, line)) => eprintln!("{line}"),
                Some((false, line)) => println!("{line}"),
                None => {}
            })
            .await?;
        }
        StackCommand::Ls(a) => {
            let rows = swarm::list(e).await?;
            out(render_stacks(&rows, &a.format).map_err(anyhow::Error::msg)?);
        }
        StackCommand::Services(a) => {
            let filters = Filters::parse(&a.filter, &swarm::SERVICE_FILTERS)?;
            let rows = swarm::services(e, &a.stack, &filters).await?;
            out(render_services(&rows, &a.format, a.quiet).map_err(anyhow::Error::msg)?);
        }
        StackCommand::Ps(a) => {
            let filters = Filters::parse(&a.filter, &swarm::TASK_FILTERS)?;
            let rows = swarm::tasks(e, &a.stack, &filters).await?;
            let now = jiff::Timestamp::now().as_second();
            out(render_tasks(&rows, &a, now).map_err(anyhow::Error::msg)?);
        }
        StackCommand::Rm(r) => {
            let mut code = exit::OK;
            for stack in &r.stacks {
                println!("Removing stack {stack}");
                match swarm::remove(e, stack, Duration::from_secs(60)).await {
                    Ok(rep) => {
                        for s in &rep.services {
                            println!("Removing service {s}");
                        }
                        for s in &rep.secrets {
                            println!("Removing secret {s}");
                        }
                        for s in &rep.configs {
                            println!("Removing config {s}");
                        }
                        for s in &rep.networks {
                            println!("Removing network {s}");
                        }
                    }
                    Err(err) => {
                        eprintln!("error: {err}");
                        code = exit::FAILURE;
                    }
                }
            }
            return Ok(code);
        }
    }
    Ok(exit::OK)
}

fn text(s: impl Into<String>) -> Option<Value> {
    Some(Value::String(s.into()))
}

/// docker's `stackContext`.
struct StackView<'a>(&'a StackSummary);

impl FormatRow for StackView<'_> {
    const FIELDS: &'static [(&'static str, Option<&'static str>)] =
        &[("Name", Some("NAME")), ("Services", Some("SERVICES"))];
    const CONTEXT: &'static str = "*formatter.stackContext";

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Name" => text(&self.0.name),
            "Services" => text(self.0.services.to_string()),
            _ => None,
        }
    }

    fn label(&self, _: &str) -> &str {
        ""
    }
}

/// `stack ls`.
pub fn render_stacks(rows: &[StackSummary], format: &str) -> Result<String, String> {
    let views: Vec<StackView> = rows.iter().map(StackView).collect();
    render_format(format, "table {{.Name}}\t{{.Services}}", &views)
}

/// docker's service `PORTS`: ingress ports only, sorted by protocol then published port, runs
/// of consecutive ports as one range (`*:8080-8081->80-81/tcp`), joined by `, `.
pub fn service_ports(ports: &[SwarmPort]) -> String {
    let mut ports: Vec<&SwarmPort> = ports.iter().collect();
    ports.sort_by(|a, b| {
        a.protocol
            .cmp(&b.protocol)
            .then(a.published.cmp(&b.published))
    });
    // (published start, end, target start, end, protocol)
    let mut out: Vec<String> = Vec::new();
    let mut cur: Option<(u32, u32, u32, u32, &str)> = None;
    let show = |r: (u32, u32, u32, u32, &str)| {
        let span = |a: u32, b: u32| {
            if b > a {
                format!("{a}-{b}")
            } else {
                a.to_string()
            }
        };
        format!("*:{}->{}/{}", span(r.0, r.1), span(r.2, r.3), r.4)
    };
    for p in ports.into_iter().filter(|p| p.mode == "ingress") {
        match &mut cur {
            Some(r)
                if r.4 == p.protocol
                    && p.published.wrapping_sub(r.1) <= 1
                    && p.target.wrapping_sub(r.3) <= 1
                    && !(r.3 != r.2 && p.target <= r.3) =>
            {
                r.1 = p.published;
                r.3 = p.target;
            }
            _ => {
                if let Some(r) = cur.take().filter(|r| r.0 > 0) {
                    out.push(show(r));
                }
                cur = Some((p.published, p.published, p.target, p.target, &p.protocol));
            }
        }
    }
    if let Some(r) = cur.filter(|r| r.0 > 0) {
        out.push(show(r));
    }
    out.join(", ")
}

/// An image reference without its digest (docker's table shows the tag).
fn short_image(image: &str) -> &str {
    image.split('@').next().unwrap_or(image)
}

/// docker's `serviceContext` (of `docker stack services`).
struct ServiceView<'a>(&'a ServiceRow);

impl FormatRow for ServiceView<'_> {
    const FIELDS: &'static [(&'static str, Option<&'static str>)] = &[
        ("ID", Some("ID")),
        ("Image", Some("IMAGE")),
        ("Mode", Some("MODE")),
        ("Name", Some("NAME")),
        ("Ports", Some("PORTS")),
        ("Replicas", Some("REPLICAS")),
    ];
    const CONTEXT: &'static str = "*formatter.serviceContext";

    fn field(&self, name: &str) -> Option<Value> {
        let r = self.0;
        let s = &r.service;
        match name {
            "ID" => text(ellipsis_id(&s.id, true)),
            "Image" => text(short_image(
                s.spec["TaskTemplate"]["ContainerSpec"]["Image"]
                    .as_str()
                    .unwrap_or_default(),
            )),
            "Mode" => text(if s.replicas.is_some() {
                "replicated"
            } else {
                "global"
            }),
            "Name" => text(&s.name),
            "Ports" => text(service_ports(&s.ports)),
            "Replicas" => {
                let mut t = format!("{}/{}", r.running, r.desired);
                if let Some(max) = s.spec["TaskTemplate"]["Placement"]["MaxReplicas"]
                    .as_u64()
                    .filter(|m| *m > 0 && s.replicas.is_some())
                {
                    t.push_str(&format!(" (max {max} per node)"));
                }
                text(t)
            }
            _ => None,
        }
    }

    fn label(&self, key: &str) -> &str {
        self.0
            .service
            .labels
            .get(key)
            .map(String::as_str)
            .unwrap_or("")
    }
}

fn ellipsis_id(id: &str, trunc: bool) -> String {
    if trunc {
        id.chars().take(12).collect()
    } else {
        id.to_string()
    }
}

/// `stack services`.
pub fn render_services(rows: &[ServiceRow], format: &str, quiet: bool) -> Result<String, String> {
    if quiet {
        return Ok(rows
            .iter()
            .map(|r| format!("{}\n", ellipsis_id(&r.service.id, true)))
            .collect());
    }
    let views: Vec<ServiceView> = rows.iter().map(ServiceView).collect();
    render_format(
        format,
        "table {{.ID}}\t{{.Name}}\t{{.Mode}}\t{{.Replicas}}\t{{.Image}}\t{{.Ports}}",
        &views,
    )
}

/// docker's `taskContext` (of `docker stack ps`).
struct TaskView<'a> {
    row: &'a TaskRow,
    /// The name, indented (` \_ `) under the newest task of its slot in a table.
    name: String,
    trunc: bool,
    resolve: bool,
    now: i64,
}

/// `Running 3 seconds ago`: the state and how long ago it was entered.
fn current_state(state: &str, timestamp: &str, now: i64) -> String {
    let then = timestamp
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_second())
        .unwrap_or(now);
    format!(
        "{} {}",
        capitalise(state),
        super::list::ago(now, then).to_lowercase()
    )
}

impl FormatRow for TaskView<'_> {
    const FIELDS: &'static [(&'static str, Option<&'static str>)] = &[
        ("CurrentState", Some("CURRENT STATE")),
        ("DesiredState", Some("DESIRED STATE")),
        ("Error", Some("ERROR")),
        ("ID", Some("ID")),
        ("Image", Some("IMAGE")),
        ("Name", Some("NAME")),
        ("Node", Some("NODE")),
        ("Ports", Some("PORTS")),
    ];
    const CONTEXT: &'static str = "*formatter.taskContext";

    fn field(&self, name: &str) -> Option<Value> {
        let t = &self.row.task;
        match name {
            "CurrentState" => text(current_state(&t.state, &t.timestamp, self.now)),
            "DesiredState" => text(capitalise(&t.desired_state)),
            "Error" => {
                let e = if self.trunc {
                    ellipsis(&t.error, 30)
                } else {
                    t.error.clone()
                };
                text(if e.is_empty() { e } else { format!("\"{e}\"") })
            }
            "ID" => text(ellipsis_id(&t.id, self.trunc)),
            "Image" => text(if self.trunc {
                short_image(&t.image)
            } else {
                &t.image
            }),
            "Name" => text(&self.name),
            "Node" => text(if self.resolve {
                &self.row.node
            } else {
                &t.node_id
            }),
            "Ports" => text(
                t.ports
                    .iter()
                    .map(|p| format!("*:{}->{}/{}", p.published, p.target, p.protocol))
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            _ => None,
        }
    }

    fn label(&self, _: &str) -> &str {
        ""
    }
}

/// `stack ps`, at Unix time `now`.
pub fn render_tasks(rows: &[TaskRow], args: &PsArgs, now: i64) -> Result<String, String> {
    // --no-resolve: the service's id in the name too, and the rows in that name's order.
    let mut named: Vec<(String, &TaskRow)> = rows
        .iter()
        .map(|r| {
            let name = if args.no_resolve {
                let t = &r.task;
                match t.slot {
                    Some(n) if n > 0 => format!("{}.{n}", t.service_id),
                    _ => format!("{}.{}", t.service_id, t.node_id),
                }
            } else {
                r.name.clone()
            };
            (name, r)
        })
        .collect();
    if args.no_resolve {
        named.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(b.1.task.created_at.cmp(&a.1.task.created_at))
        });
    }
    if args.quiet {
        return Ok(named
            .iter()
            .map(|(_, r)| format!("{}\n", ellipsis_id(&r.task.id, !args.no_trunc)))
            .collect());
    }
    let table = args.format.is_empty() || args.format.starts_with("table");
    let mut prev = "";
    let views: Vec<TaskView> = named
        .iter()
        .map(|(name, r)| {
            let shown = if table && name == prev {
                format!(" \\_ {name}")
            } else {
                name.clone()
            };
            prev = name;
            TaskView {
                row: r,
                name: shown,
                trunc: !args.no_trunc,
                resolve: !args.no_resolve,
                now,
            }
        })
        .collect();
    render_format(
        &args.format,
        "table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}\t{{.Ports}}",
        &views,
    )
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcompose::app::swarm::{SwarmService, SwarmTask};

    fn port(published: u32, target: u32, proto: &str, mode: &str) -> SwarmPort {
        SwarmPort {
            protocol: proto.into(),
            target,
            published,
            mode: mode.into(),
        }
    }

    #[test]
    fn service_ports_group_ingress_runs_as_docker_does() {
        let ports = [
            port(8081, 81, "tcp", "ingress"),
            port(8080, 80, "tcp", "ingress"),
            port(9000, 90, "tcp", "host"),
            port(53, 53, "udp", "ingress"),
            port(8443, 443, "tcp", "ingress"),
        ];
        assert_eq!(
            service_ports(&ports),
            "*:8080-8081->80-81/tcp, *:8443->443/tcp, *:53->53/udp"
        );
        assert_eq!(service_ports(&[port(9000, 90, "tcp", "host")]), "");
    }

    fn task(id: &str, slot: i64, desired: &str, error: &str, created: &str) -> TaskRow {
        TaskRow {
            name: format!("s_web.{slot}"),
            node: "vm".into(),
            task: SwarmTask {
                id: id.into(),
                slot: Some(slot),
                node_id: "abcdefabcdefabcdef".into(),
                desired_state: desired.into(),
                state: if desired == "running" {
                    "running".into()
                } else {
                    "shutdown".into()
                },
                error: error.into(),
                image: "busybox:1@sha256:0123".into(),
                timestamp: "2026-01-01T00:00:00Z".into(),
                created_at: created.into(),
                ports: vec![port(8080, 80, "tcp", "host")],
                ..Default::default()
            },
        }
    }

    fn ps_args(format: &str) -> PsArgs {
        PsArgs {
            filter: Vec::new(),
            format: format.into(),
            no_resolve: false,
            no_trunc: false,
            quiet: false,
            stack: "s".into(),
        }
    }

    #[test]
    fn stack_ps_reads_like_docker_stack_ps() {
        let now = "2026-01-01T00:00:03Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_second();
        let rows = [
            task("aaaaaaaaaaaaaaaa", 1, "running", "", "2"),
            task(
                "bbbbbbbbbbbbbbbb",
                1,
                "shutdown",
                "task: non-zero exit (1): something long went wrong",
                "1",
            ),
        ];
        let out = render_tasks(&rows, &ps_args("table"), now).unwrap();
        assert_eq!(
            out,
            "ID             NAME          IMAGE       NODE      DESIRED STATE   CURRENT STATE            ERROR                              PORTS\n\
             aaaaaaaaaaaa   s_web.1       busybox:1   vm        Running         Running 3 seconds ago                                       *:8080->80/tcp\n\
             bbbbbbbbbbbb    \\_ s_web.1   busybox:1   vm        Shutdown        Shutdown 3 seconds ago   \"task: non-zero exit (1): some…\"   *:8080->80/tcp\n"
        );
        let json = render_tasks(&rows[1..], &ps_args("json"), now).unwrap();
        assert_eq!(
            json,
            "{\"CurrentState\":\"Shutdown 3 seconds ago\",\"DesiredState\":\"Shutdown\",\
             \"Error\":\"\\\"task: non-zero exit (1): some…\\\"\",\"ID\":\"bbbbbbbbbbbb\",\
             \"Image\":\"busybox:1\",\"Name\":\"s_web.1\",\"Node\":\"vm\",\"Ports\":\"*:8080-\\u003e80/tcp\"}\n"
        );
        let mut a = ps_args("{{.ID}} {{.Image}} {{.Node}}");
        a.no_trunc = true;
        a.no_resolve = true;
        assert_eq!(
            render_tasks(&rows[..1], &a, now).unwrap(),
            "aaaaaaaaaaaaaaaa busybox:1@sha256:0123 abcdefabcdefabcdef\n"
        );
        a.quiet = true;
        assert_eq!(
            render_tasks(&rows, &a, now).unwrap(),
            "aaaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbb\n"
        );
    }

    #[test]
    fn stack_services_and_ls_read_like_docker() {
        let rows = [ServiceRow {
            service: SwarmService {
                id: "0123456789abcdef".into(),
                name: "s_web".into(),
                version: 1,
                labels: Default::default(),
                spec: serde_json::json!({"TaskTemplate": {"ContainerSpec": {"Image": "busybox:1@sha256:00"},
                    "Placement": {"MaxReplicas": 2}}}),
                replicas: Some(3),
                running_tasks: Some(2),
                desired_tasks: Some(3),
                ports: vec![port(8080, 80, "tcp", "ingress")],
            },
            running: 2,
            desired: 3,
        }];
        assert_eq!(
            render_services(&rows, "json", false).unwrap(),
            "{\"ID\":\"0123456789ab\",\"Image\":\"busybox:1\",\"Mode\":\"replicated\",\"Name\":\"s_web\",\
             \"Ports\":\"*:8080-\\u003e80/tcp\",\"Replicas\":\"2/3 (max 2 per node)\"}\n"
        );
        assert_eq!(render_services(&rows, "", true).unwrap(), "0123456789ab\n");
        let stacks = [StackSummary {
            name: "s".into(),
            services: 1,
        }];
        assert_eq!(
            render_stacks(&stacks, "table").unwrap(),
            "NAME      SERVICES\ns         1\n"
        );
        assert_eq!(
            render_stacks(&stacks, "json").unwrap(),
            "{\"Name\":\"s\",\"Services\":\"1\"}\n"
        );
    }

    #[test]
    fn deploy_events_print_as_the_docker_cli_does() {
        use rcompose::app::swarm::StackObject;
        let line = |ev| deploy_line(&ev);
        assert_eq!(
            line(DeployEvent::Creating {
                kind: StackObject::Network,
                name: "s_default".into()
            }),
            Some((false, "Creating network s_default".into()))
        );
        assert_eq!(
            line(DeployEvent::Updating {
                name: "s_web".into(),
                id: "abc".into()
            }),
            Some((false, "Updating service s_web (id: abc)".into()))
        );
        assert_eq!(
            line(DeployEvent::Warning("x".into())),
            Some((true, "WARN: x".into()))
        );
        assert_eq!(line(DeployEvent::Ready), None);
    }
}
