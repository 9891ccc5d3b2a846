//! `attach SERVICE`: this terminal's standard streams on a running container of the service
//! (replica `--index`), as docker compose v5 (through docker's `attach`) does: stdin only when
//! the container keeps it open and `--no-stdin` is not given; raw mode when it has a TTY; Ctrl-C
//! sent to the container as SIGINT (`--sig-proxy`, the default, for containers without a TTY);
//! `--detach-keys` end the attachment and leave the container running (exit 0). When the
//! container exits, its exit code is the command's.

use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use clap::{ArgAction, Args};

use super::tty::{self, Pump, RawMode, ResizeTarget};
use super::{context, exit, read, GlobalArgs};
use rcompose::app::snapshot;
use rcompose::app::types::engine::WaitCondition;

/// `attach`.
#[derive(Debug, Args, Clone, Default)]
pub struct AttachArgs {
    /// Override the key sequence for detaching from a container (`ctrl-p,ctrl-q`).
    #[arg(long, value_name = "KEYS")]
    pub detach_keys: Option<String>,
    /// Index of the container if the service has multiple replicas (0: the first).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub index: u32,
    /// Do not attach STDIN.
    #[arg(long)]
    pub no_stdin: bool,
    /// Proxy all received signals to the process (`--sig-proxy=false` to not).
    #[arg(long, default_value_t = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "true", action = ArgAction::Set)]
    pub sig_proxy: bool,
    /// The service.
    pub service: String,
}

fn code32(code: i64) -> i32 {
    match i32::try_from(code) {
        Ok(c) if c >= 0 => c,
        _ => exit::FAILURE,
    }
}

/// `attach SERVICE [--index N] [--no-stdin] [--sig-proxy] [--detach-keys KEYS]`.
pub async fn attach(global: &GlobalArgs, args: AttachArgs) -> Result<i32> {
    let project = read::project_name(global, std::slice::from_ref(&args.service))?;
    let engine = context::connect().await?;
    let index = (args.index > 0).then_some(args.index);
    let c = snapshot::service_container(engine.as_ref(), &project, &args.service, index)
        .await
        .map_err(|m| anyhow!(m))?;
    let name = c.name().to_string();
    let d = engine
        .inspect_container(&c.id)
        .await
        .with_context(|| format!("cannot inspect {name}"))?;
    let stdin = !args.no_stdin && d.stdin_open;
    let io = engine
        .attach_container_with(&c.id, stdin, args.detach_keys.as_deref())
        .await
        .with_context(|| format!("service {}: cannot attach to {name}", args.service))?;
    let raw = if d.tty && stdin {
        RawMode::enable()
    } else {
        None
    };
    // At local end-of-file the container's stdin stays open: the engine would end the
    // attachment (output included) at once, before the container has answered what it read.
    let how = Pump {
        tty: d.tty,
        stdin,
        keep_stdin_open: true,
        resize: Some(ResizeTarget::Container(c.id.clone())),
    };
    let pump = tty::pump(Arc::clone(&engine), io, how);
    tokio::pin!(pump);
    let mut presses = context::presses();
    let pumped = loop {
        tokio::select! {
            r = &mut pump => break r,
            Ok(()) = presses.changed() => {
                if !args.sig_proxy || d.tty {
                    drop(raw);
                    return Ok(exit::INTERRUPTED);
                }
                // docker's --sig-proxy: the container gets the signal and decides.
                if let Err(e) = engine.kill_container(&c.id, Some("SIGINT")).await {
                    eprintln!("cannot send SIGINT to {name}: {e}");
                }
            }
        }
    };
    drop(raw);
    let now = engine.inspect_container(&c.id).await;
    if now.as_ref().is_ok_and(|n| n.state.running) {
        // The detach keys (or a closed connection): the container goes on running.
        return match pumped {
            Ok(()) => Ok(exit::OK),
            Err(e) => Err(anyhow!("lost the connection to {name}: {e}")),
        };
    }
    let code = engine
        .wait_container(&c.id, WaitCondition::NotRunning)
        .await
        .or_else(|e| now.map(|n| n.state.exit_code).map_err(|_| e))
        .with_context(|| format!("cannot read the exit code of {name}"))?;
    Ok(code32(code))
}
