//! Data resets: a snapshot of a stack's named volumes, and putting it back.
//!
//! `snapshot` stops the services that mount the project's named volumes (so a database is at
//! rest), copies each volume out as a tar archive (kept in memory), and starts them again.
//! `restore` removes those services' containers at once (their data is being thrown away),
//! recreates each volume empty with its labels, fills it from the archive through a container
//! that is created and never started, and lets `up --no-deps` recreate the services that were
//! running when the snapshot was taken.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures::StreamExt;

use crate::app::oneoff::is_oneoff;
use crate::app::ops::EngineRef;
use crate::engine::{
    ContainerSpec, ContainerState, ContainerSummary, CopyIntoOptions, EngineError, LabelFilter,
    Mount, MountKind, RemoveOptions, StopOptions, VolumeSpec,
};
use crate::model::labels::SERVICE;
use crate::model::Project;

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
    futures::future::try_join_all(snap.volumes.iter().map(|v| refill(engine, project, v))).await?;
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
    let filler = engine
        .create_container(&ContainerSpec {
            name: format!("{}-restore-{}", project.name, short_hash(&v.volume)),
            image: v.image.clone(),
            entrypoint: Some(vec!["/restore-never-runs".into()]),
            cmd: Some(Vec::new()),
            labels: [(
                "com.docker.compose.project".to_string(),
                project.name.clone(),
            )]
            .into_iter()
            .chain(project.resource_labels.clone())
            .collect(),
            mounts: vec![Mount {
                kind: MountKind::Volume {
                    nocopy: true,
                    subpath: None,
                    driver: None,
                    driver_opts: Default::default(),
                    labels: Default::default(),
                },
                source: Some(v.volume.clone()),
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

fn short_hash(s: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(s.as_bytes())[..4])
}
