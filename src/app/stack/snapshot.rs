//! Data resets: a snapshot of a stack's named volumes, and putting it back.
//!
//! `snapshot` stops the services that mount the project's named volumes (so a database is at
//! rest), copies each volume out as a tar archive (kept in memory), and starts them again.
//!
//! Putting it back has two ways. Filling a volume costs the engine about half a second for a
//! fresh PostgreSQL data directory (a thousand files), so for plain `local` volumes the copy is
//! made ahead of time: [`stage`] fills fresh volumes (labelled [`SNAPSHOT_OF`]) with the
//! snapshot while the test runs, and [`bind_back`] removes the services' containers, recreates
//! each project volume under its own name as a bind of a staged volume's directory (labelled
//! [`BOUND_TO`]), and lets `up --no-deps` recreate the services: no data is copied while the
//! caller waits. Other volumes (another driver, driver options) are refilled in place
//! ([`put_back`]): removed, recreated empty with their labels, filled from the archive through
//! a container that is created and never started.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use futures::StreamExt;

use crate::app::oneoff::is_oneoff;
use crate::app::ops::EngineRef;
use crate::engine::{
    ContainerSpec, ContainerState, ContainerSummary, CopyIntoOptions, EngineError, LabelFilter,
    Labels, Mount, MountKind, RemoveOptions, StopOptions, VolumeSpec,
};
use crate::model::labels::{PROJECT, SERVICE};
use crate::model::Project;

/// On a volume that holds a staged copy: the name of the project volume it is a copy of.
pub const SNAPSHOT_OF: &str = "org.rcompose.snapshot-of";
/// On a project volume that binds a staged copy: the staged volume's name.
pub const BOUND_TO: &str = "org.rcompose.snapshot-bound";
/// On the container that fills a volume (created, never started): the volume's name.
pub const FILLER: &str = "org.rcompose.snapshot-filler";

/// One named volume's contents.
#[derive(Debug, Clone)]
pub struct VolumeCopy {
    /// The volume's engine name (`proj_data`).
    pub volume: String,
    /// Where the service mounts it, and the service's image (to fill it on restore).
    pub path: String,
    pub image: String,
    /// Its contents, a tar archive of `path/.`.
    pub tar: Bytes,
}

/// A snapshot of every named volume the project's services mount.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub volumes: Vec<VolumeCopy>,
    /// The services that mount them.
    pub services: Vec<String>,
}

impl Snapshot {
    /// Bytes held.
    pub fn size(&self) -> usize {
        self.volumes.iter().map(|v| v.tar.len()).sum()
    }
}

/// The project's (non-external) named volumes by engine name.
fn project_volumes(project: &Project) -> BTreeMap<String, String> {
    project
        .volumes
        .iter()
        .filter(|(_, v)| !v.external)
        .map(|(key, _)| (project.volume_name(key), key.clone()))
        .collect()
}

/// The project's service containers that mount one of its named volumes, and each volume's
/// (container, path, image).
async fn holders(
    engine: &EngineRef,
    project: &Project,
) -> Result<(Vec<ContainerSummary>, BTreeMap<String, (String, String)>), EngineError> {
    let names = project_volumes(project);
    let list = engine
        .list_containers(&LabelFilter::project(&project.name))
        .await?;
    let mut mounts = BTreeMap::new();
    let mut users = Vec::new();
    for c in list.into_iter().filter(|c| !is_oneoff(c)) {
        let mut uses = false;
        for m in &c.mounts {
            if let Some(v) = m.name.as_ref().filter(|v| names.contains_key(*v)) {
                uses = true;
                mounts
                    .entry(v.clone())
                    .or_insert_with(|| (m.destination.clone(), c.image.clone()));
            }
        }
        if uses {
            users.push(c);
        }
    }
    Ok((users, mounts))
}

/// Stops the services holding the project's volumes, copies each volume out, starts them again.
/// The caller waits for readiness afterwards.
pub async fn take(engine: &EngineRef, project: &Project) -> Result<Snapshot, EngineError> {
    let (users, mounts) = holders(engine, project).await?;
    // Only running holders are stopped and started again; a one-shot that has exited stays so.
    let running: Vec<&ContainerSummary> = users
        .iter()
        .filter(|c| c.state == ContainerState::Running)
        .collect();
    let stop = StopOptions::default();
    futures::future::try_join_all(running.iter().map(|c| engine.stop_container(&c.id, &stop)))
        .await?;
    let mut snap = Snapshot {
        services: service_names(&running),
        ..Default::default()
    };
    for (volume, (path, image)) in mounts {
        let holder = users
            .iter()
            .find(|c| c.mounts.iter().any(|m| m.name.as_deref() == Some(&volume)))
            .map(|c| c.id.clone())
            .unwrap_or_default();
        let mut stream = engine.copy_from(&holder, &format!("{}/.", path.trim_end_matches('/')));
        let mut tar = Vec::new();
        while let Some(chunk) = stream.next().await {
            tar.extend_from_slice(&chunk?);
        }
        snap.volumes.push(VolumeCopy {
            volume,
            path,
            image,
            tar: Bytes::from(tar),
        });
    }
    for c in &running {
        engine.start_container(&c.id).await?;
    }
    Ok(snap)
}

fn service_names(users: &[&ContainerSummary]) -> Vec<String> {
    let mut s: Vec<String> = users
        .iter()
        .filter_map(|c| c.labels.get(SERVICE).cloned())
        .collect();
    s.sort();
    s.dedup();
    s
}

/// Removes the containers holding the snapshot's volumes (one-shots that had exited too, so
/// that they do not run again over the restored data), recreates the volumes with the
/// snapshot's contents. The caller runs `up --no-deps` for `snap.services` afterwards.
pub async fn put_back(
    engine: &EngineRef,
    project: &Project,
    snap: &Snapshot,
) -> Result<(), EngineError> {
    remove_holders(engine, project).await?;
    futures::future::try_join_all(snap.volumes.iter().map(|v| refill(engine, project, v))).await?;
    Ok(())
}

/// Removes the containers that mount the project's volumes (one-shots that had exited too, so
/// that they do not run again over the restored data).
async fn remove_holders(engine: &EngineRef, project: &Project) -> Result<(), EngineError> {
    let (users, _) = holders(engine, project).await?;
    futures::future::try_join_all(users.iter().map(|c| {
        engine.remove_container(
            &c.id,
            RemoveOptions {
                force: true,
                volumes: true,
            },
        )
    }))
    .await?;
    Ok(())
}

/// Recreates one volume (same driver, options and labels) and fills it from its archive.
async fn refill(engine: &EngineRef, project: &Project, v: &VolumeCopy) -> Result<(), EngineError> {
    let old = engine.inspect_volume(&v.volume).await?;
    engine.remove_volume(&v.volume, true).await?;
    engine
        .create_volume(&VolumeSpec {
            name: v.volume.clone(),
            driver: Some(old.driver.clone()).filter(|d| !d.is_empty()),
            driver_opts: old.options.clone(),
            labels: old.labels.clone(),
        })
        .await?;
    let labels: Labels = project.resource_labels.clone().into_iter().collect();
    fill(engine, &project.name, &labels, &v.volume, v).await
}

/// Fills the empty volume `volume` with `v`'s archive, through a container of `v`'s image that
/// mounts it where the service does, created and never started, then removed.
async fn fill(
    engine: &EngineRef,
    project: &str,
    labels: &Labels,
    volume: &str,
    v: &VolumeCopy,
) -> Result<(), EngineError> {
    let filler = engine
        .create_container(&ContainerSpec {
            name: format!("{project}-restore-{}", short_hash(volume)),
            image: v.image.clone(),
            entrypoint: Some(vec!["/restore-never-runs".into()]),
            cmd: Some(Vec::new()),
            labels: [
                (PROJECT.to_string(), project.to_string()),
                (FILLER.to_string(), volume.to_string()),
            ]
            .into_iter()
            .chain(labels.clone())
            .collect(),
            mounts: vec![Mount {
                kind: MountKind::Volume {
                    nocopy: true,
                    subpath: None,
                    driver: None,
                    driver_opts: Default::default(),
                    labels: Default::default(),
                },
                source: Some(volume.to_string()),
                target: v.path.clone(),
                read_only: false,
                consistency: None,
            }],
            network_mode: Some("none".into()),
            ..Default::default()
        })
        .await?;
    let copied = engine
        .copy_into_with(
            &filler,
            &v.path,
            v.tar.clone(),
            &CopyIntoOptions {
                copy_uid_gid: true,
                no_overwrite_dir_non_dir: false,
            },
        )
        .await;
    let removed = engine
        .remove_container(&filler, RemoveOptions::default())
        .await;
    copied?;
    removed
}

/// A volume filled with a snapshot's copy of one project volume, ready to be bound in its place.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The project volume (`proj_data`).
    pub volume: String,
    /// The staged copy (`proj_data-snap-1a2b3c4d`) and its directory on the engine's host.
    pub staged: String,
    pub mountpoint: String,
}

/// Whether every volume of `snap` is a plain `local` volume of the project (no driver options),
/// which a bind of a staged copy's directory can stand in for.
pub fn bindable(project: &Project, snap: &Snapshot) -> bool {
    let plain: BTreeSet<String> = project
        .volumes
        .iter()
        .filter(|(_, v)| {
            !v.external
                && v.driver.as_deref().is_none_or(|d| d == "local")
                && v.driver_opts.is_empty()
        })
        .map(|(key, _)| project.volume_name(key))
        .collect();
    !snap.volumes.is_empty() && snap.volumes.iter().all(|v| plain.contains(&v.volume))
}

/// Fills one fresh volume per volume of `snap` with its copy. The volumes carry the project's
/// label and `labels` (the stack's owner), so `down -v` of the project by name and `reap`
/// remove them too.
pub async fn stage(
    engine: &EngineRef,
    project: &str,
    labels: &Labels,
    snap: &Snapshot,
) -> Result<Vec<Staged>, EngineError> {
    futures::future::try_join_all(snap.volumes.iter().map(|v| async move {
        let staged = format!("{}-snap-{}", v.volume, crate::app::oneoff::new_slug());
        let mut l = labels.clone();
        l.insert(PROJECT.to_string(), project.to_string());
        l.insert(SNAPSHOT_OF.to_string(), v.volume.clone());
        let made = engine
            .create_volume(&VolumeSpec {
                name: staged.clone(),
                driver: None,
                driver_opts: Labels::new(),
                labels: l,
            })
            .await?;
        fill(engine, project, labels, &staged, v).await?;
        Ok(Staged {
            volume: v.volume.clone(),
            staged,
            mountpoint: made.mountpoint,
        })
    }))
    .await
}

/// Removes the containers holding the snapshot's volumes, and recreates each project volume
/// under its own name (with its labels) as a bind of its staged copy's directory. Returns the
/// staged volumes bound before, which nothing uses any more. The caller runs `up --no-deps`
/// for `snap.services` afterwards.
pub async fn bind_back(
    engine: &EngineRef,
    project: &Project,
    staged: &[Staged],
) -> Result<Vec<String>, EngineError> {
    remove_holders(engine, project).await?;
    let before = futures::future::try_join_all(staged.iter().map(|s| async move {
        let old = engine.inspect_volume(&s.volume).await?;
        engine.remove_volume(&s.volume, true).await?;
        let mut labels = old.labels.clone();
        let before = labels.insert(BOUND_TO.to_string(), s.staged.clone());
        let opts: Labels = [("type", "none"), ("o", "bind"), ("device", &s.mountpoint)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        engine
            .create_volume(&VolumeSpec {
                name: s.volume.clone(),
                driver: Some("local".to_string()),
                driver_opts: opts,
                labels,
            })
            .await?;
        Ok::<_, EngineError>(before)
    }))
    .await?;
    Ok(before.into_iter().flatten().collect())
}

/// Removes the copies of `project`'s snapshots, and the fillers a staging cut short left.
pub async fn remove_copies(engine: &EngineRef, project: &str) -> Result<(), EngineError> {
    let fillers = engine
        .list_containers(&LabelFilter::project(project).has(FILLER))
        .await?;
    for c in fillers {
        let force = RemoveOptions {
            force: true,
            volumes: false,
        };
        engine.remove_container(&c.id, force).await?;
    }
    for v in staged_volumes(engine, project).await? {
        engine.remove_volume(&v, true).await?;
    }
    Ok(())
}

/// The staged copies of `project` that exist (all of them: bound, waiting, or left over).
pub async fn staged_volumes(engine: &EngineRef, project: &str) -> Result<Vec<String>, EngineError> {
    let filter = LabelFilter::project(project).has(SNAPSHOT_OF);
    Ok(engine
        .list_volumes(&filter)
        .await?
        .into_iter()
        .map(|v| v.name)
        .collect())
}

fn short_hash(s: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(s.as_bytes())[..4])
}
