//! Who owns a test stack, and sweeping the stacks whose owner is gone (`reap`).
//!
//! No reaper container: every container, network and volume of a `Stack` (and of `rcompose test`)
//! carries labels naming its owner process (pid, the kernel's start time of that pid, the boot
//! and pid namespace it runs in, the host name) and a lease (an expiry time). Any later
//! `Stack::up` or `rcompose reap` removes the stacks whose owner process is gone or whose lease
//! ran out. A pid is only judged from the same boot and pid namespace (elsewhere the lease
//! decides), and a reused pid is told apart by its start time.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::app::ops::{self, EngineRef};
use crate::app::{Cancel, ExecError, NullReporter};
use crate::engine::{EngineError, LabelFilter, Labels};
use crate::model::labels::PROJECT;
use crate::plan;

/// Marks a stack made by `Stack` or `rcompose test`; the value says how it is kept
/// (`owned`: removed with its owner; `reuse`: kept between runs until its lease ends).
pub const STACK: &str = "org.rcompose.stack";
/// The owner process: `<pid>` …
pub const OWNER_PID: &str = "org.rcompose.owner.pid";
/// … its start time in clock ticks after boot (`/proc/<pid>/stat` field 22) …
pub const OWNER_STARTED: &str = "org.rcompose.owner.started";
/// … the kernel boot it runs in (`/proc/sys/kernel/random/boot_id`) …
pub const OWNER_BOOT: &str = "org.rcompose.owner.boot";
/// … its pid namespace (`/proc/self/ns/pid`) …
pub const OWNER_PIDNS: &str = "org.rcompose.owner.pidns";
/// … and the host name.
pub const OWNER_HOST: &str = "org.rcompose.owner.host";
/// The lease: seconds since the epoch after which the stack may be removed by anyone.
pub const LEASE_EXPIRES: &str = "org.rcompose.lease.expires";

/// The default lease of a stack: long enough for any test run; a crashed owner is noticed by its
/// pid long before.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(24 * 3600);

/// The calling process, as a stack owner.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Owner {
    pub pid: u32,
    pub started: String,
    pub boot: String,
    pub pidns: String,
    pub host: String,
}

impl Owner {
    /// This process.
    pub fn current() -> Owner {
        let pid = std::process::id();
        Owner {
            pid,
            started: start_time(pid).unwrap_or_default(),
            boot: read_trim("/proc/sys/kernel/random/boot_id"),
            pidns: pid_namespace(),
            host: read_trim("/proc/sys/kernel/hostname"),
        }
    }

    /// The labels that record this owner and a lease of `lease` from now (`kind`: `owned` or
    /// `reuse`; a reused stack records no owner, only its lease).
    pub fn labels(&self, kind: &str, lease: Duration, now: SystemTime) -> Labels {
        let mut l = Labels::new();
        l.insert(STACK.into(), kind.into());
        let expires = now
            .checked_add(lease)
            .unwrap_or(now)
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        l.insert(LEASE_EXPIRES.into(), expires.to_string());
        if kind == "owned" {
            l.insert(OWNER_PID.into(), self.pid.to_string());
            l.insert(OWNER_STARTED.into(), self.started.clone());
            l.insert(OWNER_BOOT.into(), self.boot.clone());
            l.insert(OWNER_PIDNS.into(), self.pidns.clone());
            l.insert(OWNER_HOST.into(), self.host.clone());
        }
        l
    }
}

fn read_trim(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn pid_namespace() -> String {
    std::fs::read_link("/proc/self/ns/pid")
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Field 22 of `/proc/<pid>/stat` (the process's start time), `None` when there is no such
/// process. The command name (field 2) may hold spaces and parentheses: fields are counted from
/// the last `)`.
fn start_time(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    // After the name: state is field 3, so start time (22) is the 20th field here.
    rest.split_whitespace().nth(19).map(str::to_string)
}

/// Why a stack may be removed, or `None` while its owner lives and its lease lasts.
pub fn verdict(labels: &Labels, me: &Owner, now: SystemTime) -> Option<String> {
    let now_secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if let Some(expires) = labels
        .get(LEASE_EXPIRES)
        .and_then(|v| v.parse::<u64>().ok())
    {
        if now_secs > expires {
            return Some(format!("its lease ran out {}s ago", now_secs - expires));
        }
    }
    let pid: u32 = labels.get(OWNER_PID)?.parse().ok()?;
    let get = |k: &str| labels.get(k).map(String::as_str).unwrap_or("");
    if !me.boot.is_empty() && get(OWNER_BOOT) != me.boot {
        // Another boot of this host: every process of the old one is gone.
        return (get(OWNER_HOST) == me.host && !me.host.is_empty())
            .then(|| format!("its owner (pid {pid}) ran before this host restarted"));
    }
    if get(OWNER_PIDNS) != me.pidns {
        return None; // another pid namespace: its pids mean nothing here; the lease decides
    }
    match start_time(pid) {
        None => Some(format!("its owner (pid {pid}) has exited")),
        Some(started) if started != get(OWNER_STARTED) => Some(format!(
            "its owner (pid {pid}) has exited (the pid now belongs to another process)"
        )),
        Some(_) => None,
    }
}

/// A stack `reap` found dead, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaped {
    pub project: String,
    pub reason: String,
}

/// The stacks (by project) that carry owner labels and may be removed, with the reason.
/// Looks at containers, networks and volumes, so that a stack whose owner died while creating
/// it is found too.
pub async fn dead_stacks(engine: &EngineRef, now: SystemTime) -> Result<Vec<Reaped>, EngineError> {
    let filter = LabelFilter::new().has(STACK);
    let (containers, networks, volumes) = futures::try_join!(
        engine.list_containers(&filter),
        engine.list_networks(&filter),
        engine.list_volumes(&filter)
    )?;
    let mut by_project: BTreeMap<String, Labels> = BTreeMap::new();
    let all = containers
        .into_iter()
        .map(|c| c.labels)
        .chain(networks.into_iter().map(|n| n.labels))
        .chain(volumes.into_iter().map(|v| v.labels));
    for labels in all {
        if let Some(p) = labels.get(PROJECT) {
            by_project.entry(p.clone()).or_insert(labels);
        }
    }
    let me = Owner::current();
    Ok(by_project
        .into_iter()
        .filter_map(|(project, labels)| {
            verdict(&labels, &me, now).map(|reason| Reaped { project, reason })
        })
        .collect())
}

/// Removes every stack whose owner is gone or whose lease ran out (containers, networks and
/// volumes), and says which. `dry_run`: only says.
pub async fn reap(engine: EngineRef, dry_run: bool) -> Result<Vec<Reaped>, ExecError> {
    let dead = dead_stacks(&engine, SystemTime::now())
        .await
        .map_err(|error| ExecError::Engine {
            doing: "list the stacks of test runs".into(),
            error,
        })?;
    if !dry_run {
        for d in &dead {
            remove_project(engine.clone(), &d.project).await?;
        }
    }
    Ok(dead)
}

/// `down -v --remove-orphans -t 0` of a project by name (no compose file needed).
pub async fn remove_project(engine: EngineRef, project: &str) -> Result<(), ExecError> {
    let opts = ops::DownOptions {
        plan: plan::DownOptions {
            remove_volumes: true,
            remove_orphans: true,
            rmi: None,
            timeout: Some(0),
        },
        ..Default::default()
    };
    ops::down(
        engine,
        project,
        None,
        &opts,
        &mut NullReporter,
        Cancel::new(),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> Owner {
        Owner::current()
    }

    #[test]
    fn a_live_owner_keeps_its_stack() {
        let now = SystemTime::now();
        let l = me().labels("owned", DEFAULT_LEASE, now);
        assert_eq!(verdict(&l, &me(), now), None);
    }

    #[test]
    fn an_exited_owner_or_a_reused_pid_frees_the_stack() {
        let now = SystemTime::now();
        let mut gone = me();
        gone.pid = u32::MAX - 1; // no such process
        let l = gone.labels("owned", DEFAULT_LEASE, now);
        assert!(verdict(&l, &me(), now).unwrap().contains("has exited"));
        let mut reused = me();
        reused.started = "1".into();
        let l = reused.labels("owned", DEFAULT_LEASE, now);
        assert!(verdict(&l, &me(), now).unwrap().contains("another process"));
    }

    #[test]
    fn the_lease_decides_when_the_pid_cannot_be_judged() {
        let now = SystemTime::now();
        let mut other = me();
        other.pid = u32::MAX - 1;
        other.pidns = "pid:[1]".into();
        let l = other.labels("owned", Duration::from_secs(60), now);
        assert_eq!(verdict(&l, &me(), now), None);
        let later = now + Duration::from_secs(120);
        assert!(verdict(&l, &me(), later).unwrap().contains("lease"));
        let reuse = me().labels("reuse", Duration::from_secs(60), now);
        assert_eq!(verdict(&reuse, &me(), now), None);
        assert!(verdict(&reuse, &me(), later).is_some());
    }

    #[test]
    fn start_time_reads_this_process() {
        assert!(start_time(std::process::id()).is_some());
        assert_eq!(start_time(u32::MAX - 1), None);
    }
}
