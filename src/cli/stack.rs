//! `rcompose stack deploy|ls|ps|services|rm`: a compose file as a Docker Swarm stack, as the
//! docker CLI's `docker stack` names them. Warnings (keys Swarm ignores) go to standard error as
//! `WARN: services.<svc>.<key>: <reason>`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::{exit, GlobalArgs};
use rcompose::app::config;
use rcompose::app::swarm::{self, DeployOptions};

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
    Ls,
    /// List the tasks in the stack.
    Ps(NameArg),
    /// List the services in the stack.
    Services(NameArg),
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
pub struct NameArg {
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

/// The docker CLI's table (Go's tabwriter, cells at least 10 wide, 3 spaces of padding).
fn table(rows: Vec<Vec<String>>) {
    print!("{}", super::list::tabwrite(&rows, 10, 3));
}

async fn run_async(global: &GlobalArgs, args: StackArgs) -> Result<i32> {
    let engine = engine().await?;
    let e = engine.as_ref();
    match args.command {
        StackCommand::Deploy(d) => {
            let mut g = global.clone();
            if !d.compose_file.is_empty() {
                g.file = d.compose_file.clone();
            }
            let mut opts = g.load_options(&[])?;
            opts.project_name = Some(d.stack.clone());
            opts.swarm = true;
            swarm::require_manager(e).await?;
            let loaded = config::load(&opts)?;
            for w in &loaded.warnings.0 {
                eprintln!("WARN: {w}");
            }
            let desired = swarm::translate(&loaded.project, &d.stack, &|p| std::fs::read(p))?;
            for w in &desired.warnings {
                eprintln!("WARN: {w}");
            }
            let wait = d.wait || d.detach == Some(false);
            let report = swarm::deploy(
                e,
                &d.stack,
                desired,
                &DeployOptions {
                    prune: d.prune,
                    wait: wait.then(|| Duration::from_secs(d.wait_timeout)),
                },
            )
            .await?;
            for n in &report.created_networks {
                println!("Creating network {n}");
            }
            for n in &report.created_objects {
                println!("Creating secret/config {n}");
            }
            for n in &report.created {
                println!("Creating service {n}");
            }
            for n in &report.updated {
                println!("Updating service {n}");
            }
            for n in &report.pruned {
                println!("Removing service {n}");
            }
            for w in &report.engine_warnings {
                eprintln!("WARN: {w}");
            }
        }
        StackCommand::Ls => {
            let mut rows = vec![vec!["NAME".into(), "SERVICES".into()]];
            for s in swarm::list(e).await? {
                rows.push(vec![s.name, s.services.to_string()]);
            }
            table(rows);
        }
        StackCommand::Services(n) => {
            let mut rows = vec![["ID", "NAME", "MODE", "REPLICAS", "IMAGE", "PORTS"]
                .map(String::from)
                .to_vec()];
            for r in swarm::services(e, &n.stack).await? {
                let s = &r.service;
                let (mode, replicas) = match s.replicas {
                    Some(n) => ("replicated", format!("{}/{}", r.running, n)),
                    None => ("global", format!("{}", r.running)),
                };
                let image = s.spec["TaskTemplate"]["ContainerSpec"]["Image"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                rows.push(vec![
                    s.id.chars().take(12).collect(),
                    s.name.clone(),
                    mode.into(),
                    replicas,
                    image,
                    s.ports.join(", "),
                ]);
            }
            table(rows);
        }
        StackCommand::Ps(n) => {
            let mut rows = vec![[
                "ID",
                "NAME",
                "IMAGE",
                "NODE",
                "DESIRED STATE",
                "CURRENT STATE",
                "ERROR",
            ]
            .map(String::from)
            .to_vec()];
            for r in swarm::tasks(e, &n.stack).await? {
                let t = &r.task;
                rows.push(vec![
                    t.id.chars().take(12).collect(),
                    r.name.clone(),
                    t.image.split('@').next().unwrap_or_default().to_string(),
                    t.node_id.chars().take(12).collect(),
                    capitalise(&t.desired_state),
                    capitalise(&t.state),
                    t.error.clone(),
                ]);
            }
            table(rows);
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
                        for s in rep.secrets.iter().chain(&rep.configs) {
                            println!("Removing secret/config {s}");
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

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
