//! The engine contract: one suite of behaviours, run against the in-memory `FakeEngine` and
//! against the real Docker engine, so the fake stays honest.
//!
//! Real-engine tests need a running engine and build the busybox test images on first use
//! (`scripts/build-test-images.sh`); a missing engine FAILS them with a message, never skips.
//! Every test uses its own project label and names, and a drop guard removes everything carrying
//! that label even when the test fails.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use rcompose::engine::docker::DockerEngine;
use rcompose::engine::fake::FakeEngine;
use rcompose::engine::testing::{real_engine, TEST_IMAGE};
use rcompose::engine::*;

#[path = "support/registry.rs"]
mod registry;

type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

const TEST_LABEL: &str = "org.rcompose.test";
const PROJECT_LABEL: &str = "com.docker.compose.project";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// One test's world: the engine, its unique project name, and the fake's scripting handle.
struct Ctx {
    engine: Arc<dyn Engine>,
    fake: Option<FakeEngine>,
    project: String,
    _guard: Option<Cleanup>,
}

impl Ctx {
    fn fake(test: &str) -> Ctx {
        let fake = FakeEngine::new();
        fake.add_image(TEST_IMAGE);
        Ctx {
            engine: Arc::new(fake.clone()),
            fake: Some(fake),
            project: unique(test),
            _guard: None,
        }
    }

    async fn real(test: &str) -> Ctx {
        let engine = match real_engine().await {
            Ok(e) => e,
            Err(message) => panic!("{message}"),
        };
        let project = unique(test);
        Ctx {
            engine: Arc::new(engine),
            fake: None,
            _guard: Some(Cleanup {
                project: project.clone(),
            }),
            project,
        }
    }

    fn name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.project)
    }

    fn labels(&self) -> Labels {
        let mut l = Labels::new();
        l.insert(PROJECT_LABEL.to_string(), self.project.clone());
        l.insert(TEST_LABEL.to_string(), "contract".to_string());
        l
    }

    fn filter(&self) -> LabelFilter {
        LabelFilter::project(&self.project)
    }

    /// A container spec running `cmd` in the test image.
    fn spec(&self, suffix: &str, cmd: &[&str]) -> ContainerSpec {
        ContainerSpec {
            name: self.name(suffix),
            image: TEST_IMAGE.to_string(),
            cmd: Some(cmd.iter().map(|s| s.to_string()).collect()),
            labels: self.labels(),
            ..Default::default()
        }
    }

    /// A container that keeps running until stopped (and stops promptly on SIGTERM).
    fn sleeper(&self, suffix: &str) -> ContainerSpec {
        self.spec(
            suffix,
            &[
                "sh",
                "-c",
                "trap 'exit 0' TERM; while true; do sleep 0.2; done",
            ],
        )
    }

    // Scripting hooks: the real engine runs the command; the fake is told what it would do.
    fn will_exit(&self, name: &str, after: Duration, code: i64) {
        if let Some(f) = &self.fake {
            f.script_exit(name, after, code);
        }
    }

    fn will_print(&self, name: &str, chunks: Vec<(LogStream, &str)>) {
        if let Some(f) = &self.fake {
            f.script_logs(name, chunks);
        }
    }

    fn will_stop_with(&self, name: &str, code: i64) {
        if let Some(f) = &self.fake {
            f.script_stop_exit_code(name, code);
        }
    }

    fn will_exec(&self, name: &str, out: ExecOutput) {
        if let Some(f) = &self.fake {
            f.script_exec(name, out);
        }
    }
}

fn unique(test: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let t = test.replace('_', "-");
    let t: String = t.chars().take(24).collect();
    format!("rcct{}x{n}-{t}", std::process::id())
}

/// Removes every container, network, volume and image of a test project, even on panic.
struct Cleanup {
    project: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let project = self.project.clone();
        // A fresh runtime on its own thread: Drop cannot await, and the test's runtime may be
        // gone or panicking.
        let done = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                let Ok(engine) =
                    DockerEngine::connect(&rcompose::engine::ConnectOptions::from_env(|k| {
                        std::env::var(k).ok()
                    }))
                    .await
                else {
                    return;
                };
                let filter = LabelFilter::project(&project);
                for c in engine.list_containers(&filter).await.unwrap_or_default() {
                    let _ = engine
                        .remove_container(
                            &c.id,
                            RemoveOptions {
                                force: true,
                                volumes: true,
                            },
                        )
                        .await;
                }
                for n in engine.list_networks(&filter).await.unwrap_or_default() {
                    let _ = engine.remove_network(&n.id).await;
                }
                for v in engine.list_volumes(&filter).await.unwrap_or_default() {
                    let _ = engine.remove_volume(&v.name, true).await;
                }
                for i in engine.list_images(&filter).await.unwrap_or_default() {
                    for t in &i.repo_tags {
                        let _ = engine.remove_image(t, true).await;
                    }
                }
            });
        });
        let _ = done.join();
    }
}

/// Waits for `f` to return `Some`, polling, up to `limit`.
async fn eventually<T, F, Fut>(limit: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(41234)
}

fn tar_with(path: &str, content: &[u8]) -> std::io::Result<Bytes> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder.append_data(&mut header, path, content)?;
    Ok(Bytes::from(builder.into_inner()?))
}

// ---------------------------------------------------------------------------------------------
// The contract.
// ---------------------------------------------------------------------------------------------

async fn engine_answers_ping_and_version(ctx: &Ctx) -> TestResult {
    ctx.engine.ping().await?;
    let v = ctx.engine.version().await?;
    assert!(!v.api_version.is_empty(), "version: {v:?}");
    assert!(!v.version.is_empty());
    Ok(())
}

async fn container_lifecycle_create_start_stop_remove(ctx: &Ctx) -> TestResult {
    let mut spec = ctx.sleeper("web-1");
    spec.env.insert("GREETING".into(), Some("hello".into()));
    spec.labels
        .insert("com.docker.compose.service".into(), "web".into());
    spec.ports.push(PortBinding {
        container: ContainerPort::tcp(80),
        host_ip: Some("127.0.0.1".into()),
        host_port: HostPort::Ephemeral,
    });
    spec.stop_timeout = Some(5);
    let id = ctx.engine.create_container(&spec).await?;

    let listed = ctx.engine.list_containers(&ctx.filter()).await?;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].state, ContainerState::Created);
    assert_eq!(listed[0].names, vec![spec.name.clone()]);

    ctx.engine.start_container(&id).await?;
    ctx.engine.start_container(&id).await?; // starting a running container is fine
    let d = ctx.engine.inspect_container(&spec.name).await?;
    assert_eq!(d.id, id);
    assert_eq!(d.name, spec.name);
    assert_eq!(d.image, TEST_IMAGE);
    assert_eq!(d.state.status, ContainerState::Running);
    assert!(d.state.running);
    assert_eq!(
        d.labels
            .get("com.docker.compose.service")
            .map(String::as_str),
        Some("web")
    );
    assert!(d.env.iter().any(|e| e == "GREETING=hello"), "{:?}", d.env);
    assert_eq!(d.ports.len(), 1, "{:?}", d.ports);
    assert_eq!(d.ports[0].container, ContainerPort::tcp(80));
    assert_eq!(d.ports[0].host_ip, "127.0.0.1");
    assert!(d.ports[0].host_port > 0);

    let listed = ctx.engine.list_containers(&ctx.filter()).await?;
    assert_eq!(listed[0].state, ContainerState::Running);
    assert!(listed[0].status.starts_with("Up"), "{}", listed[0].status);

    // Removing a running container without force is a conflict.
    let e = ctx
        .engine
        .remove_container(&id, RemoveOptions::default())
        .await;
    assert!(matches!(e, Err(EngineError::Conflict { .. })), "{e:?}");

    ctx.engine
        .stop_container(
            &id,
            &StopOptions {
                timeout: Some(5),
                signal: None,
            },
        )
        .await?;
    ctx.engine
        .stop_container(
            &id,
            &StopOptions {
                timeout: Some(5),
                signal: None,
            },
        )
        .await?; // stopping a stopped container is fine
    let d = ctx.engine.inspect_container(&id).await?;
    assert_eq!(d.state.status, ContainerState::Exited);
    // (No exit code check here: stopped this soon after start, the shell may not have set its
    // TERM trap yet; wait_next_exit_waits_for_a_running_container checks the code.)
    assert!(!d.state.running);

    ctx.engine
        .remove_container(
            &id,
            RemoveOptions {
                force: false,
                volumes: true,
            },
        )
        .await?;
    let e = ctx.engine.inspect_container(&id).await;
    assert!(
        matches!(
            e,
            Err(EngineError::NotFound {
                kind: ObjectKind::Container,
                ..
            })
        ),
        "{e:?}"
    );
    assert!(ctx.engine.list_containers(&ctx.filter()).await?.is_empty());
    Ok(())
}

async fn create_reports_name_conflict_and_missing_image(ctx: &Ctx) -> TestResult {
    let spec = ctx.sleeper("dup-1");
    ctx.engine.create_container(&spec).await?;
    let e = ctx.engine.create_container(&spec).await;
    assert!(matches!(e, Err(EngineError::Conflict { .. })), "{e:?}");

    let mut missing = ctx.sleeper("noimage-1");
    missing.image = format!("rcompose-test/{}-missing:latest", ctx.project);
    let e = ctx.engine.create_container(&missing).await;
    assert!(
        matches!(
            e,
            Err(EngineError::NotFound {
                kind: ObjectKind::Image,
                ..
            })
        ),
        "{e:?}"
    );
    let e = ctx.engine.start_container(&ctx.name("never-made")).await;
    assert!(matches!(e, Err(EngineError::NotFound { .. })), "{e:?}");
    Ok(())
}

async fn one_shot_exit_code_is_reported_by_wait_and_events(ctx: &Ctx) -> TestResult {
    let spec = ctx.spec("migrate-1", &["sh", "-c", "sleep 0.3; exit 3"]);
    ctx.will_exit(&spec.name, Duration::from_millis(300), 3);
    let mut events = ctx.engine.events(&EventFilter {
        labels: ctx.filter(),
        kinds: vec!["container".into()],
        ..Default::default()
    });
    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    let code = tokio::time::timeout(
        Duration::from_secs(20),
        ctx.engine.wait_container(&id, WaitCondition::NotRunning),
    )
    .await??;
    assert_eq!(code, 3);
    let d = ctx.engine.inspect_container(&id).await?;
    assert_eq!(d.state.status, ContainerState::Exited);
    assert_eq!(d.state.exit_code, 3);

    let mut seen = Vec::new();
    let die = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(ev) = events.next().await {
            let ev = ev?;
            seen.push(ev.action.clone());
            if ev.action == EventAction::Die {
                return Ok::<_, EngineError>(Some(ev));
            }
        }
        Ok(None)
    })
    .await??;
    let die = die.ok_or("event stream ended before die")?;
    assert_eq!(die.id, id);
    assert_eq!(die.exit_code, Some(3));
    assert_eq!(die.name.as_deref(), Some(spec.name.as_str()));
    assert_eq!(die.attributes.get(PROJECT_LABEL), Some(&ctx.project));
    assert!(seen.contains(&EventAction::Create), "{seen:?}");
    assert!(seen.contains(&EventAction::Start), "{seen:?}");
    Ok(())
}

async fn healthcheck_turns_healthy_with_event(ctx: &Ctx) -> TestResult {
    let mut spec = ctx.sleeper("db-1");
    spec.healthcheck = Some(Healthcheck {
        test: vec!["CMD".into(), "true".into()],
        interval: Some(Duration::from_millis(300)),
        timeout: Some(Duration::from_secs(5)),
        retries: Some(3),
        ..Default::default()
    });
    let mut events = ctx.engine.events(&EventFilter {
        labels: ctx.filter(),
        kinds: vec![],
        ..Default::default()
    });
    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    let healthy = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(ev) = events.next().await {
            let ev = ev?;
            if ev.action == EventAction::HealthStatus(HealthStatus::Healthy) {
                return Ok::<_, EngineError>(Some(ev));
            }
        }
        Ok(None)
    })
    .await??;
    assert_eq!(healthy.map(|e| e.id), Some(id.clone()));
    let d = ctx.engine.inspect_container(&id).await?;
    assert_eq!(
        d.state.health.map(|h| h.status),
        Some(HealthStatus::Healthy)
    );
    let listed = ctx.engine.list_containers(&ctx.filter()).await?;
    assert_eq!(
        listed[0].health,
        Some(HealthStatus::Healthy),
        "{}",
        listed[0].status
    );
    Ok(())
}

async fn networks_aliases_static_ips_and_in_use_removal(ctx: &Ctx) -> TestResult {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst) % 200 + std::process::id() % 50;
    let subnet = format!("10.213.{n}.0/24");
    let front = ctx.name("front");
    let back = ctx.name("back");
    ctx.engine
        .create_network(&NetworkSpec {
            name: front.clone(),
            labels: ctx.labels(),
            ..Default::default()
        })
        .await?;
    ctx.engine
        .create_network(&NetworkSpec {
            name: back.clone(),
            labels: ctx.labels(),
            ipam: Some(Ipam {
                config: vec![IpamPool {
                    subnet: Some(subnet.clone()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        })
        .await?;
    let e = ctx
        .engine
        .create_network(&NetworkSpec {
            name: front.clone(),
            labels: ctx.labels(),
            ..Default::default()
        })
        .await;
    assert!(matches!(e, Err(EngineError::Conflict { .. })), "{e:?}");

    let listed = ctx.engine.list_networks(&ctx.filter()).await?;
    let mut names: Vec<String> = listed.iter().map(|n| n.name.clone()).collect();
    names.sort();
    assert_eq!(names, vec![back.clone(), front.clone()]);

    let static_ip = format!("10.213.{n}.42");
    let mut spec = ctx.sleeper("api-1");
    spec.networks = vec![
        NetworkAttachment {
            network: front.clone(),
            aliases: vec!["api".into()],
            ..Default::default()
        },
        NetworkAttachment {
            network: back.clone(),
            aliases: vec!["api-back".into()],
            ipv4_address: Some(static_ip.clone()),
            ..Default::default()
        },
    ];
    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    let d = ctx.engine.inspect_container(&id).await?;
    let f = d.networks.get(&front).ok_or("not on the front network")?;
    assert!(f.aliases.contains(&"api".to_string()), "{f:?}");
    assert!(!f.ip_address.is_empty());
    let b = d.networks.get(&back).ok_or("not on the back network")?;
    assert_eq!(b.ip_address, static_ip);
    assert!(b.aliases.contains(&"api-back".to_string()), "{b:?}");

    let inspected = ctx.engine.inspect_network(&back).await?;
    assert_eq!(inspected.labels.get(PROJECT_LABEL), Some(&ctx.project));
    assert_eq!(
        inspected.ipam.config.first().and_then(|c| c.subnet.clone()),
        Some(subnet)
    );
    assert!(inspected.containers.contains_key(&id), "{inspected:?}");

    let e = ctx.engine.remove_network(&back).await;
    assert!(matches!(e, Err(EngineError::Conflict { .. })), "{e:?}");

    ctx.engine.disconnect_network(&id, &back, false).await?;
    let d = ctx.engine.inspect_container(&id).await?;
    assert!(!d.networks.contains_key(&back));
    ctx.engine
        .connect_network(
            &id,
            &NetworkAttachment {
                network: back.clone(),
                aliases: vec!["again".into()],
                ..Default::default()
            },
        )
        .await?;
    let d = ctx.engine.inspect_container(&id).await?;
    assert!(d.networks.contains_key(&back));

    ctx.engine
        .remove_container(
            &id,
            RemoveOptions {
                force: true,
                volumes: true,
            },
        )
        .await?;
    ctx.engine.remove_network(&back).await?;
    ctx.engine.remove_network(&front).await?;
    let e = ctx.engine.inspect_network(&front).await;
    assert!(
        matches!(
            e,
            Err(EngineError::NotFound {
                kind: ObjectKind::Network,
                ..
            })
        ),
        "{e:?}"
    );
    Ok(())
}

async fn volumes_create_list_in_use_remove(ctx: &Ctx) -> TestResult {
    let name = ctx.name("data");
    let spec = VolumeSpec {
        name: name.clone(),
        labels: ctx.labels(),
        ..Default::default()
    };
    let v = ctx.engine.create_volume(&spec).await?;
    assert_eq!(v.name, name);
    assert_eq!(v.driver, "local");
    // Creating an existing volume returns it.
    let again = ctx.engine.create_volume(&spec).await?;
    assert_eq!(again.name, name);
    let listed = ctx.engine.list_volumes(&ctx.filter()).await?;
    assert_eq!(
        listed.iter().map(|v| v.name.clone()).collect::<Vec<_>>(),
        vec![name.clone()]
    );
    assert_eq!(ctx.engine.inspect_volume(&name).await?.labels, ctx.labels());

    let mut c = ctx.sleeper("user-1");
    c.mounts.push(Mount {
        kind: MountKind::Volume {
            nocopy: false,
            subpath: None,
            driver: None,
            driver_opts: Labels::new(),
            labels: Labels::new(),
        },
        source: Some(name.clone()),
        target: "/data".into(),
        read_only: false,
        consistency: None,
    });
    let id = ctx.engine.create_container(&c).await?;
    let d = ctx.engine.inspect_container(&id).await?;
    let m = d
        .mounts
        .iter()
        .find(|m| m.destination == "/data")
        .ok_or("no /data mount")?;
    assert_eq!(m.kind, "volume");
    assert_eq!(m.name.as_deref(), Some(name.as_str()));
    let e = ctx.engine.remove_volume(&name, false).await;
    assert!(matches!(e, Err(EngineError::Conflict { .. })), "{e:?}");
    ctx.engine
        .remove_container(
            &id,
            RemoveOptions {
                force: true,
                volumes: false,
            },
        )
        .await?;
    ctx.engine.remove_volume(&name, false).await?;
    let e = ctx.engine.inspect_volume(&name).await;
    assert!(
        matches!(
            e,
            Err(EngineError::NotFound {
                kind: ObjectKind::Volume,
                ..
            })
        ),
        "{e:?}"
    );
    Ok(())
}

async fn logs_separate_stdout_and_stderr(ctx: &Ctx) -> TestResult {
    let spec = ctx.spec("printer-1", &["sh", "-c", "echo out; echo err >&2"]);
    ctx.will_print(
        &spec.name,
        vec![(LogStream::Stdout, "out\n"), (LogStream::Stderr, "err\n")],
    );
    ctx.will_exit(&spec.name, Duration::from_millis(50), 0);
    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    let code = tokio::time::timeout(
        Duration::from_secs(20),
        ctx.engine.wait_container(&id, WaitCondition::NotRunning),
    )
    .await??;
    assert_eq!(code, 0);
    let chunks: Vec<LogChunk> = ctx
        .engine
        .logs(&id, &LogOptions::default())
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()?;
    let text = |s: LogStream| -> String {
        chunks
            .iter()
            .filter(|c| c.stream == s)
            .map(|c| String::from_utf8_lossy(&c.bytes).to_string())
            .collect()
    };
    assert_eq!(text(LogStream::Stdout), "out\n");
    assert_eq!(text(LogStream::Stderr), "err\n");

    // follow on a stopped container ends after the existing output.
    let followed = tokio::time::timeout(
        Duration::from_secs(10),
        ctx.engine
            .logs(
                &id,
                &LogOptions {
                    follow: true,
                    tail: Some(1),
                    ..Default::default()
                },
            )
            .collect::<Vec<_>>(),
    )
    .await?;
    assert_eq!(followed.len(), 1, "{followed:?}");
    Ok(())
}

async fn exec_and_copy_into_running_container(ctx: &Ctx) -> TestResult {
    let spec = ctx.sleeper("shell-1");
    let id = ctx.engine.create_container(&spec).await?;
    let e = ctx.engine.exec(&id, &ExecSpec::new(["true"])).await;
    assert!(
        matches!(e, Err(EngineError::Conflict { .. })),
        "exec before start: {e:?}"
    );
    ctx.engine.start_container(&id).await?;

    ctx.will_exec(
        &spec.name,
        ExecOutput {
            exit_code: 4,
            stdout: b"hi\n".to_vec(),
            stderr: b"oops\n".to_vec(),
        },
    );
    let out = ctx
        .engine
        .exec(
            &id,
            &ExecSpec::new(["sh", "-c", "echo hi; echo oops >&2; exit 4"]),
        )
        .await?;
    assert_eq!(out.exit_code, 4);
    assert_eq!(out.stdout, b"hi\n");
    assert_eq!(out.stderr, b"oops\n");

    ctx.engine
        .copy_into(&id, "/tmp", tar_with("hello.txt", b"copied!")?)
        .await?;
    let out = ctx
        .engine
        .exec(&id, &ExecSpec::new(["cat", "/tmp/hello.txt"]))
        .await?;
    assert_eq!(out.exit_code, 0);
    assert_eq!(out.stdout, b"copied!");

    let e = ctx
        .engine
        .copy_into(&ctx.name("nobody"), "/tmp", tar_with("x", b"x")?)
        .await;
    assert!(matches!(e, Err(EngineError::NotFound { .. })), "{e:?}");
    Ok(())
}

async fn second_container_on_same_host_port_fails_to_start(ctx: &Ctx) -> TestResult {
    let port = free_port();
    let bind = PortBinding {
        container: ContainerPort::tcp(8080),
        host_ip: Some("127.0.0.1".into()),
        host_port: HostPort::Port(port),
    };
    let mut a = ctx.sleeper("a-1");
    a.ports.push(bind.clone());
    let mut b = ctx.sleeper("b-1");
    b.ports.push(bind);
    let a = ctx.engine.create_container(&a).await?;
    let b = ctx.engine.create_container(&b).await?;
    ctx.engine.start_container(&a).await?;
    let e = ctx.engine.start_container(&b).await;
    match e {
        Err(EngineError::PortInUse { address, message }) => {
            assert!(message.contains("port is already allocated"), "{message}");
            assert!(address.ends_with(&format!(":{port}")), "{address}");
        }
        other => panic!("expected a port allocation error, got {other:?}"),
    }
    Ok(())
}

async fn pause_unpause_kill_and_rename(ctx: &Ctx) -> TestResult {
    let spec = ctx.sleeper("worker-1");
    let id = ctx.engine.create_container(&spec).await?;
    let e = ctx.engine.kill_container(&id, None).await;
    assert!(
        matches!(e, Err(EngineError::Conflict { .. })),
        "kill before start: {e:?}"
    );
    ctx.engine.start_container(&id).await?;
    ctx.engine.pause_container(&id).await?;
    assert_eq!(
        ctx.engine.inspect_container(&id).await?.state.status,
        ContainerState::Paused
    );
    let e = ctx.engine.pause_container(&id).await;
    assert!(matches!(e, Err(EngineError::Conflict { .. })), "{e:?}");
    ctx.engine.unpause_container(&id).await?;
    let e = ctx.engine.unpause_container(&id).await;
    assert!(matches!(e, Err(EngineError::Conflict { .. })), "{e:?}");

    let renamed = ctx.name("worker-renamed");
    ctx.engine.rename_container(&id, &renamed).await?;
    assert_eq!(ctx.engine.inspect_container(&renamed).await?.id, id);

    ctx.engine.kill_container(&id, None).await?;
    let code = tokio::time::timeout(
        Duration::from_secs(20),
        ctx.engine.wait_container(&id, WaitCondition::NotRunning),
    )
    .await??;
    assert_eq!(code, 137);
    Ok(())
}

async fn restart_keeps_the_container_and_counts(ctx: &Ctx) -> TestResult {
    let spec = ctx.sleeper("svc-1");
    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    ctx.engine.restart_container(&id, Some(5)).await?;
    let d = ctx.engine.inspect_container(&id).await?;
    assert_eq!(d.id, id);
    assert_eq!(d.state.status, ContainerState::Running);
    Ok(())
}

async fn images_build_tag_inspect_remove(ctx: &Ctx) -> TestResult {
    let dockerfile =
        format!("FROM {TEST_IMAGE}\nRUN echo built > /built\nCMD [\"cat\", \"/built\"]\n");
    let context = tar_with("Dockerfile", dockerfile.as_bytes())?;
    let tag = format!("{}-app:latest", ctx.project);
    let extra = format!("{}-app:extra", ctx.project);
    let mut build = BuildSpec::new(BuildContext::Tar(context), &tag);
    build.tags.push(extra.clone());
    build.labels = ctx.labels();
    build.args.insert("UNUSED".into(), Some("1".into()));
    let lines = std::sync::Mutex::new(Vec::new());
    let sink = |p: Progress| {
        if let Ok(mut l) = lines.lock() {
            l.push(p);
        }
    };
    let id = ctx.engine.build_image(build, &sink).await?;
    assert!(!id.is_empty());
    assert!(
        lines.lock().map(|l| !l.is_empty()).unwrap_or(false),
        "no progress lines"
    );
    assert!(ctx.engine.image_exists(&tag).await?);
    assert!(ctx.engine.image_exists(&extra).await?);
    let i = ctx.engine.inspect_image(&tag).await?;
    assert_eq!(i.id, id);
    assert_eq!(i.labels.get(PROJECT_LABEL), Some(&ctx.project));
    let listed = ctx.engine.list_images(&ctx.filter()).await?;
    assert_eq!(listed.len(), 1, "{listed:?}");

    let tagged = format!("{}-app:third", ctx.project);
    ctx.engine.tag_image(&tag, &tagged).await?;
    assert_eq!(ctx.engine.inspect_image(&tagged).await?.id, id);

    for t in [&tag, &extra, &tagged] {
        ctx.engine.remove_image(t, false).await?;
    }
    assert!(!ctx.engine.image_exists(&tag).await?);
    Ok(())
}

async fn build_failure_is_a_build_error(ctx: &Ctx) -> TestResult {
    if let Some(f) = &ctx.fake {
        f.fail(
            "build",
            None,
            EngineError::Build {
                tag: "x".into(),
                message: "exit code 7".into(),
            },
        );
    }
    let dockerfile = format!("FROM {TEST_IMAGE}\nRUN exit 7\n");
    let tag = format!("{}-broken:latest", ctx.project);
    let mut build = BuildSpec::new(
        BuildContext::Tar(tar_with("Dockerfile", dockerfile.as_bytes())?),
        &tag,
    );
    build.labels = ctx.labels();
    let e = ctx.engine.build_image(build, &no_progress).await;
    assert!(matches!(e, Err(EngineError::Build { .. })), "{e:?}");
    Ok(())
}

async fn pull_without_registry_fails_clearly(ctx: &Ctx) -> TestResult {
    let image = format!("rcompose-test/{}-nowhere:1", ctx.project);
    let e = tokio::time::timeout(
        Duration::from_secs(120),
        ctx.engine.pull_image(&image, &no_progress),
    )
    .await?;
    match e {
        Err(EngineError::Pull { image: i, message }) => {
            assert_eq!(i, image);
            assert!(!message.is_empty());
        }
        other => panic!("expected a pull error, got {other:?}"),
    }
    Ok(())
}

async fn wait_next_exit_waits_for_a_running_container(ctx: &Ctx) -> TestResult {
    let spec = ctx.sleeper("waiter-1");
    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    let engine = ctx.engine.clone();
    let waiter = {
        let id = id.clone();
        tokio::spawn(async move { engine.wait_container(&id, WaitCondition::NextExit).await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !waiter.is_finished(),
        "wait returned while the container runs"
    );
    ctx.engine
        .stop_container(
            &id,
            &StopOptions {
                timeout: Some(5),
                signal: None,
            },
        )
        .await?;
    let code = tokio::time::timeout(Duration::from_secs(20), waiter).await???;
    assert_eq!(code, 0);
    let found = eventually(Duration::from_secs(5), || async {
        let l = ctx.engine.list_containers(&ctx.filter()).await.ok()?;
        l.first()
            .filter(|c| c.state == ContainerState::Exited)
            .cloned()
    })
    .await;
    assert!(found.is_some());
    Ok(())
}

async fn list_filters_by_every_label(ctx: &Ctx) -> TestResult {
    let mut a = ctx.sleeper("a-1");
    a.labels
        .insert("com.docker.compose.service".into(), "a".into());
    let mut b = ctx.sleeper("b-1");
    b.labels
        .insert("com.docker.compose.service".into(), "b".into());
    ctx.engine.create_container(&a).await?;
    ctx.engine.create_container(&b).await?;
    let only_a = ctx
        .engine
        .list_containers(&ctx.filter().with("com.docker.compose.service", "a"))
        .await?;
    assert_eq!(only_a.len(), 1);
    assert_eq!(only_a[0].names, vec![a.name.clone()]);
    let both = ctx
        .engine
        .list_containers(&ctx.filter().has("com.docker.compose.service"))
        .await?;
    assert_eq!(both.len(), 2);
    let labels: BTreeMap<String, String> = both[0].labels.clone();
    assert_eq!(labels.get(TEST_LABEL).map(String::as_str), Some("contract"));
    Ok(())
}

async fn stop_with_custom_signal_and_timeout(ctx: &Ctx) -> TestResult {
    let spec = ctx.spec(
        "graceful-1",
        &[
            "sh",
            "-c",
            "trap 'exit 5' USR1; while true; do sleep 0.1; done",
        ],
    );
    ctx.will_stop_with(&spec.name, 5);
    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    tokio::time::sleep(Duration::from_millis(500)).await; // let the shell set its trap
    ctx.engine
        .stop_container(
            &id,
            &StopOptions {
                timeout: Some(10),
                signal: Some("SIGUSR1".into()),
            },
        )
        .await?;
    let d = ctx.engine.inspect_container(&id).await?;
    assert_eq!(d.state.status, ContainerState::Exited);
    assert_eq!(d.state.exit_code, 5);
    Ok(())
}

async fn full_spec_is_accepted_and_reflected(ctx: &Ctx) -> TestResult {
    let dir = tempfile::tempdir()?;
    let host_dir = dir.path().join("created-by-engine");
    let net = ctx.name("net");
    ctx.engine
        .create_network(&NetworkSpec {
            name: net.clone(),
            labels: ctx.labels(),
            ..Default::default()
        })
        .await?;
    let mut spec = ctx.spec("full-1", &["-c", "while true; do sleep 0.2; done"]);
    spec.entrypoint = Some(vec!["sh".into()]);
    spec.env.insert("A".into(), Some("1".into()));
    spec.env.insert("UNSET".into(), None);
    spec.user = Some("0:0".into());
    spec.working_dir = Some("/tmp".into());
    spec.hostname = Some("fullhost".into());
    spec.domainname = Some("example.test".into());
    spec.exposed_ports = vec![ContainerPort {
        port: 9000,
        protocol: Protocol::Udp,
    }];
    spec.ports = vec![PortBinding {
        container: ContainerPort::tcp(80),
        host_ip: Some("127.0.0.1".into()),
        host_port: HostPort::Ephemeral,
    }];
    spec.networks = vec![NetworkAttachment {
        network: net.clone(),
        aliases: vec!["full".into()],
        ..Default::default()
    }];
    spec.mounts = vec![
        Mount {
            kind: MountKind::Bind {
                propagation: None,
                create_host_path: true,
                selinux: None,
            },
            source: Some(host_dir.to_string_lossy().to_string()),
            target: "/host".into(),
            read_only: true,
            consistency: None,
        },
        Mount {
            kind: MountKind::Tmpfs {
                size_bytes: Some(1 << 20),
                mode: Some(0o1777),
            },
            source: None,
            target: "/scratch".into(),
            read_only: false,
            consistency: None,
        },
        Mount {
            kind: MountKind::Volume {
                nocopy: true,
                subpath: None,
                driver: None,
                driver_opts: Labels::new(),
                labels: ctx.labels(),
            },
            source: Some(ctx.name("vol")),
            target: "/vol".into(),
            read_only: false,
            consistency: None,
        },
    ];
    spec.tmpfs.insert("/run/t".into(), "size=1m".into());
    spec.healthcheck = Some(Healthcheck {
        test: vec!["CMD-SHELL".into(), "test -d /tmp".into()],
        interval: Some(Duration::from_secs(30)),
        timeout: Some(Duration::from_secs(3)),
        start_period: Some(Duration::from_secs(1)),
        start_interval: None,
        retries: Some(2),
    });
    spec.restart = Some(RestartPolicy {
        name: RestartPolicyName::UnlessStopped,
        max_retries: None,
    });
    spec.init = Some(true);
    spec.extra_hosts = vec!["db.local:10.0.0.5".into()];
    spec.dns_search = vec!["example.test".into()];
    spec.dns_options = vec!["ndots:1".into()];
    spec.shm_size = Some(32 << 20);
    spec.ulimits = vec![Ulimit {
        name: "nofile".into(),
        soft: 1024,
        hard: 2048,
    }];
    spec.cap_add = vec!["NET_ADMIN".into()];
    spec.cap_drop = vec!["MKNOD".into()];
    spec.sysctls
        .insert("net.core.somaxconn".into(), "1024".into());
    spec.logging = Some(LogConfig {
        driver: "json-file".into(),
        options: [("max-size".to_string(), "1m".to_string())]
            .into_iter()
            .collect(),
    });
    spec.resources = Resources {
        cpus: Some(0.5),
        memory: Some(64 << 20),
        memory_reservation: Some(32 << 20),
        pids_limit: Some(200),
        ..Default::default()
    };
    spec.stop_signal = Some("SIGTERM".into());
    spec.stop_timeout = Some(3);
    spec.security_opt = vec!["no-new-privileges:true".into()];
    spec.group_add = vec!["33".into()];
    spec.oom_score_adj = Some(100);

    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    let d = ctx.engine.inspect_container(&id).await?;
    assert_eq!(d.state.status, ContainerState::Running);
    assert_eq!(d.hostname, "fullhost");
    assert_eq!(d.entrypoint, vec!["sh".to_string()]);
    assert_eq!(
        d.cmd,
        vec![
            "-c".to_string(),
            "while true; do sleep 0.2; done".to_string()
        ]
    );
    assert!(d.env.iter().any(|e| e == "A=1"));
    // A value-less variable is kept bare in the config (the process does not get it).
    assert!(d.env.iter().any(|e| e == "UNSET"), "{:?}", d.env);
    assert_eq!(d.network_mode, net);
    assert!(d
        .networks
        .get(&net)
        .is_some_and(|e| e.aliases.contains(&"full".to_string())));
    let dest: Vec<&str> = d.mounts.iter().map(|m| m.destination.as_str()).collect();
    for want in ["/host", "/vol"] {
        assert!(dest.contains(&want), "{dest:?}");
    }
    let host = d
        .mounts
        .iter()
        .find(|m| m.destination == "/host")
        .ok_or("no /host")?;
    assert!(host.read_only);
    assert_eq!(host.kind, "bind");
    Ok(())
}

async fn containers_can_share_another_containers_network(ctx: &Ctx) -> TestResult {
    let main = ctx.sleeper("main-1");
    let main_id = ctx.engine.create_container(&main).await?;
    ctx.engine.start_container(&main_id).await?;
    let mut side = ctx.sleeper("side-1");
    side.network_mode = Some(format!("container:{main_id}"));
    let side_id = ctx.engine.create_container(&side).await?;
    ctx.engine.start_container(&side_id).await?;
    let d = ctx.engine.inspect_container(&side_id).await?;
    assert_eq!(d.network_mode, format!("container:{main_id}"));

    let mut orphan = ctx.sleeper("orphan-1");
    orphan.network_mode = Some(format!("container:{}", ctx.name("missing")));
    // The engine resolves `container:<x>` when starting, not when creating.
    let orphan_id = ctx.engine.create_container(&orphan).await?;
    let e = ctx.engine.start_container(&orphan_id).await;
    assert!(matches!(e, Err(EngineError::NotFound { .. })), "{e:?}");
    Ok(())
}

async fn failing_healthcheck_turns_unhealthy(ctx: &Ctx) -> TestResult {
    let mut spec = ctx.sleeper("sick-1");
    spec.healthcheck = Some(Healthcheck {
        test: vec!["CMD-SHELL".into(), "echo probe-says-no; exit 1".into()],
        interval: Some(Duration::from_millis(200)),
        timeout: Some(Duration::from_secs(5)),
        retries: Some(1),
        ..Default::default()
    });
    if let Some(f) = &ctx.fake {
        f.script_health(
            &spec.name,
            Duration::from_millis(300),
            HealthStatus::Unhealthy,
        );
    }
    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    let health = eventually(Duration::from_secs(30), || async {
        let d = ctx.engine.inspect_container(&id).await.ok()?;
        d.state
            .health
            .filter(|h| h.status == HealthStatus::Unhealthy)
    })
    .await
    .ok_or("never became unhealthy")?;
    assert!(health.failing_streak >= 1);
    if ctx.fake.is_none() {
        assert_eq!(health.last_output().map(str::trim), Some("probe-says-no"));
    }
    Ok(())
}

async fn follow_logs_stream_new_output(ctx: &Ctx) -> TestResult {
    let spec = ctx.spec(
        "talker-1",
        &["sh", "-c", "echo one; sleep 0.5; echo two; sleep 30"],
    );
    ctx.will_print(
        &spec.name,
        vec![(LogStream::Stdout, "one\n"), (LogStream::Stdout, "two\n")],
    );
    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    let mut stream = ctx.engine.logs(
        &id,
        &LogOptions {
            follow: true,
            ..Default::default()
        },
    );
    let mut text = String::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            assert_eq!(chunk.stream, LogStream::Stdout);
            text.push_str(&String::from_utf8_lossy(&chunk.bytes));
            if text.contains("two") {
                break;
            }
        }
        Ok::<_, EngineError>(())
    })
    .await??;
    assert_eq!(text, "one\ntwo\n");
    Ok(())
}

async fn top_lists_the_processes_of_a_running_container(ctx: &Ctx) -> TestResult {
    let spec = ctx.sleeper("top-1");
    let id = ctx.engine.create_container(&spec).await?;
    let e = ctx.engine.top_processes(&id).await;
    assert!(
        matches!(e, Err(EngineError::Conflict { .. })),
        "top before start: {e:?}"
    );
    ctx.engine.start_container(&id).await?;
    let list = ctx.engine.top_processes(&id).await?;
    for title in ["UID", "PID", "CMD"] {
        assert!(list.titles.iter().any(|t| t == title), "{list:?}");
    }
    let cmd = list.titles.iter().position(|t| t == "CMD").unwrap_or(0);
    let pid = list.titles.iter().position(|t| t == "PID").unwrap_or(0);
    assert!(
        list.processes
            .iter()
            .any(|p| p.get(cmd).is_some_and(|c| c.contains("while true"))
                && p.get(pid).is_some_and(|n| n.parse::<u32>().is_ok())),
        "{list:?}"
    );
    assert!(list.processes.iter().all(|p| p.len() == list.titles.len()));
    let e = ctx.engine.top_processes(&ctx.name("nobody")).await;
    assert!(matches!(e, Err(EngineError::NotFound { .. })), "{e:?}");
    Ok(())
}

/// The archive's entries as (name without `./` or a trailing `/`, content for files).
fn entries(tar: &[u8]) -> std::io::Result<BTreeMap<String, Option<String>>> {
    use std::io::Read;
    let mut out = BTreeMap::new();
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let name = entry.path()?.to_string_lossy().into_owned();
        let name = name
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        let content = if entry.header().entry_type().is_file() {
            let mut text = String::new();
            entry.read_to_string(&mut text)?;
            Some(text)
        } else {
            None
        };
        out.insert(name, content);
    }
    Ok(out)
}

async fn download(ctx: &Ctx, id: &str, path: &str) -> Result<Vec<u8>, EngineError> {
    let mut stream = ctx.engine.copy_from(id, path);
    let mut tar = Vec::new();
    while let Some(chunk) = stream.next().await {
        tar.extend_from_slice(&chunk?);
    }
    Ok(tar)
}

async fn export_and_commit_a_container(ctx: &Ctx) -> TestResult {
    let spec = ctx.sleeper("snap-1");
    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    let mut builder = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(2);
    h.set_mode(0o644);
    h.set_cksum();
    builder.append_data(&mut h, "snap.txt", "ok".as_bytes())?;
    let tar = Bytes::from(builder.into_inner()?);
    ctx.engine.copy_into(&id, "/tmp", tar).await?;
    // The whole filesystem, paths relative to its root.
    let mut stream = ctx.engine.export_container(&id);
    let mut all = Vec::new();
    while let Some(chunk) = stream.next().await {
        all.extend_from_slice(&chunk?);
    }
    let mut found_file = None;
    let mut archive = tar::Archive::new(&all[..]);
    for e in archive.entries()? {
        let mut e = e?;
        if e.path()?.to_string_lossy() == "tmp/snap.txt" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut e, &mut text)?;
            found_file = Some(text);
        }
    }
    assert_eq!(found_file.as_deref(), Some("ok"));
    // A new image, tagged, that inspect finds by the same id.
    let reference = format!("{}-committed:v1", ctx.project);
    let opts = CommitOptions {
        reference: Some(reference.clone()),
        comment: Some("msg".into()),
        author: Some("me".into()),
        changes: vec!["ENV X=1".into()],
        pause: true,
    };
    let image = ctx.engine.commit_container(&id, &opts).await?;
    let found = ctx.engine.inspect_image(&reference).await?;
    assert_eq!(found.id, image);
    let e = ctx
        .engine
        .commit_container("no-such-container", &opts)
        .await;
    assert!(e.as_ref().is_err_and(|e| e.is_not_found()), "{e:?}");
    ctx.engine.remove_image(&reference, true).await?;
    Ok(())
}

async fn archives_copy_in_and_out_with_stat(ctx: &Ctx) -> TestResult {
    let spec = ctx.sleeper("files-1");
    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in [("d/a.txt", "aa"), ("d/sub/b.txt", "b")] {
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        builder.append_data(&mut h, name, content.as_bytes())?;
    }
    let tar = Bytes::from(builder.into_inner()?);
    let opts = CopyIntoOptions {
        copy_uid_gid: false,
        no_overwrite_dir_non_dir: true,
    };
    ctx.engine.copy_into_with(&id, "/tmp", tar, &opts).await?;

    let st = ctx.engine.stat_path(&id, "/tmp/d").await?;
    assert_eq!((st.kind, st.name.as_str()), (PathKind::Dir, "d"));
    let st = ctx.engine.stat_path(&id, "/tmp/d/a.txt").await?;
    assert_eq!((st.kind, st.size), (PathKind::File, 2));
    let e = ctx.engine.stat_path(&id, "/tmp/nope").await;
    assert!(
        matches!(
            e,
            Err(EngineError::NotFound {
                kind: ObjectKind::Path,
                ..
            })
        ),
        "{e:?}"
    );

    // The directory, under its own name; then its contents only.
    let got = entries(&download(ctx, &id, "/tmp/d").await?)?;
    assert_eq!(got.get("d/a.txt"), Some(&Some("aa".to_string())), "{got:?}");
    assert_eq!(
        got.get("d/sub/b.txt"),
        Some(&Some("b".to_string())),
        "{got:?}"
    );
    assert_eq!(got.get("d"), Some(&None), "{got:?}");
    let got = entries(&download(ctx, &id, "/tmp/d/.").await?)?;
    assert_eq!(got.get("a.txt"), Some(&Some("aa".to_string())), "{got:?}");
    assert_eq!(
        got.get("sub/b.txt"),
        Some(&Some("b".to_string())),
        "{got:?}"
    );
    let got = entries(&download(ctx, &id, "/tmp/d/a.txt").await?)?;
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got.get("a.txt"), Some(&Some("aa".to_string())));

    let e = download(ctx, &id, "/tmp/nope").await;
    assert!(
        matches!(
            e,
            Err(EngineError::NotFound {
                kind: ObjectKind::Path,
                ..
            })
        ),
        "{e:?}"
    );
    let e = download(ctx, &ctx.name("nobody"), "/tmp").await;
    assert!(
        matches!(
            e,
            Err(EngineError::NotFound {
                kind: ObjectKind::Container,
                ..
            })
        ),
        "{e:?}"
    );

    // A file never replaces a directory when asked not to.
    let e = ctx
        .engine
        .copy_into_with(&id, "/tmp", tar_with("d", b"file")?, &opts)
        .await;
    assert!(e.is_err(), "a file replaced a directory: {e:?}");
    assert_eq!(
        ctx.engine.stat_path(&id, "/tmp/d").await?.kind,
        PathKind::Dir
    );
    Ok(())
}

/// Reads an attached process's output to its end (bounded in time).
async fn read_all(
    io: AttachedIo,
) -> Result<Vec<LogChunk>, Box<dyn std::error::Error + Send + Sync>> {
    let chunks =
        tokio::time::timeout(Duration::from_secs(20), io.output.collect::<Vec<_>>()).await?;
    Ok(chunks.into_iter().collect::<Result<Vec<_>, _>>()?)
}

fn text_of(chunks: &[LogChunk], stream: LogStream) -> String {
    chunks
        .iter()
        .filter(|c| c.stream == stream)
        .map(|c| String::from_utf8_lossy(&c.bytes).into_owned())
        .collect()
}

/// Polls an exec until it has ended; its exit code.
async fn exec_exit(ctx: &Ctx, exec_id: &str) -> Result<Option<i64>, EngineError> {
    for _ in 0..100 {
        let st = ctx.engine.inspect_exec(exec_id).await?;
        if !st.running {
            return Ok(st.exit_code);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(None)
}

async fn interactive_exec_streams_stdin_and_exit_code(ctx: &Ctx) -> TestResult {
    use tokio::io::AsyncWriteExt;
    let spec = ctx.sleeper("ixec-1");
    let id = ctx.engine.create_container(&spec).await?;
    let e = ctx
        .engine
        .create_exec(&id, &ExecSpec::new(["cat"]), true)
        .await;
    assert!(
        matches!(e, Err(EngineError::Conflict { .. })),
        "exec before start: {e:?}"
    );
    ctx.engine.start_container(&id).await?;

    // stdin in, the same bytes out, end-of-file ends the process with 0.
    let exec = ctx
        .engine
        .create_exec(&id, &ExecSpec::new(["cat"]), true)
        .await?;
    let mut io = ctx.engine.start_exec_attached(&exec, false).await?;
    io.input.write_all(b"hello\nworld\n").await?;
    io.input.shutdown().await?;
    let chunks = read_all(io).await?;
    assert_eq!(text_of(&chunks, LogStream::Stdout), "hello\nworld\n");
    assert_eq!(exec_exit(ctx, &exec).await?, Some(0));

    // Without a TTY, stdout and stderr stay apart; the exit code is the command's.
    ctx.will_exec(
        &spec.name,
        ExecOutput {
            exit_code: 3,
            stdout: b"out\n".to_vec(),
            stderr: b"err\n".to_vec(),
        },
    );
    let exec = ctx
        .engine
        .create_exec(
            &id,
            &ExecSpec::new(["sh", "-c", "echo out; echo err >&2; exit 3"]),
            false,
        )
        .await?;
    let chunks = read_all(ctx.engine.start_exec_attached(&exec, false).await?).await?;
    assert_eq!(text_of(&chunks, LogStream::Stdout), "out\n");
    assert_eq!(text_of(&chunks, LogStream::Stderr), "err\n");
    assert_eq!(exec_exit(ctx, &exec).await?, Some(3));

    // Detached: returns at once, the exec runs on its own.
    let exec = ctx
        .engine
        .create_exec(&id, &ExecSpec::new(["true"]), false)
        .await?;
    ctx.engine.start_exec_detached(&exec).await?;
    assert_eq!(exec_exit(ctx, &exec).await?, Some(0));

    let e = ctx.engine.inspect_exec("0000000000000000deadbeef").await;
    assert!(matches!(e, Err(EngineError::NotFound { .. })), "{e:?}");
    Ok(())
}

async fn tty_exec_is_one_stream_and_resizes(ctx: &Ctx) -> TestResult {
    use tokio::io::AsyncWriteExt;
    let spec = ctx.sleeper("texec-1");
    let id = ctx.engine.create_container(&spec).await?;
    ctx.engine.start_container(&id).await?;
    ctx.will_exec(
        &spec.name,
        ExecOutput {
            exit_code: 0,
            stdout: b"33 111\r\n".to_vec(),
            stderr: Vec::new(),
        },
    );
    let mut tty = ExecSpec::new(["sh", "-c", "read x; stty size"]);
    tty.tty = true;
    let exec = ctx.engine.create_exec(&id, &tty, true).await?;
    let mut io = ctx.engine.start_exec_attached(&exec, true).await?;
    ctx.engine
        .resize_exec(
            &exec,
            TtySize {
                rows: 33,
                cols: 111,
            },
        )
        .await?;
    io.input.write_all(b"go\r").await?;
    io.input.flush().await?;
    let chunks = read_all(io).await?;
    assert!(
        chunks.iter().all(|c| c.stream == LogStream::Console),
        "a TTY has one stream: {chunks:?}"
    );
    let text = text_of(&chunks, LogStream::Console);
    assert!(text.contains("33 111"), "{text:?}");
    assert_eq!(exec_exit(ctx, &exec).await?, Some(0));
    let e = ctx
        .engine
        .resize_exec("0000000000000000deadbeef", TtySize { rows: 1, cols: 1 })
        .await;
    assert!(e.is_err(), "{e:?}");
    Ok(())
}

async fn attach_before_start_gets_stdin_output_and_auto_removal(ctx: &Ctx) -> TestResult {
    use tokio::io::AsyncWriteExt;
    let mut spec = ctx.spec("attach-1", &["cat"]);
    spec.stdin_open = true;
    spec.stdin_once = true;
    spec.auto_remove = true;
    let id = ctx.engine.create_container(&spec).await?;
    let mut events = ctx.engine.events(&EventFilter {
        labels: ctx.filter(),
        kinds: vec!["container".into()],
        ..Default::default()
    });
    let mut io = ctx.engine.attach_container(&id, true).await?;
    ctx.engine.start_container(&id).await?;
    io.input.write_all(b"ping\n").await?;
    io.input.shutdown().await?;
    let chunks = read_all(io).await?;
    assert_eq!(text_of(&chunks, LogStream::Stdout), "ping\n");
    // The exit code comes with `die`, even though the engine then removes the container.
    let died = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(Ok(e)) = events.next().await {
            if e.id == id && e.action == EventAction::Die {
                return e.exit_code;
            }
        }
        None
    })
    .await?;
    assert_eq!(died, Some(0));
    let gone = eventually(Duration::from_secs(10), || async {
        matches!(
            ctx.engine.inspect_container(&id).await,
            Err(EngineError::NotFound { .. })
        )
        .then_some(())
    })
    .await;
    assert!(
        gone.is_some(),
        "auto_remove: the container is removed after it exits"
    );

    // A TTY container resizes while it runs.
    let mut tty = ctx.sleeper("attach-2");
    tty.tty = true;
    let id = ctx.engine.create_container(&tty).await?;
    let e = ctx
        .engine
        .resize_container(&id, TtySize { rows: 20, cols: 70 })
        .await;
    assert!(e.is_err(), "resize before start: {e:?}");
    ctx.engine.start_container(&id).await?;
    ctx.engine
        .resize_container(&id, TtySize { rows: 20, cols: 70 })
        .await?;
    let e = ctx
        .engine
        .attach_container(&ctx.name("nobody"), false)
        .await;
    assert!(matches!(e, Err(EngineError::NotFound { .. })), "{e:?}");
    Ok(())
}

/// A registry for push/pull cases: for the real engine a throwaway `docker-registry` on a loopback
/// port (stopped when the guard drops), for the fake a registry host it is told to answer for.
fn registry_for(ctx: &Ctx) -> (String, Option<registry::LocalRegistry>) {
    match &ctx.fake {
        Some(f) => {
            let host = "127.0.0.1:5999".to_string();
            f.add_registry(&host);
            (host, None)
        }
        None => {
            let r = registry::LocalRegistry::start();
            (r.host.clone(), Some(r))
        }
    }
}

/// A small image of the test project (labelled, so cleanup finds every tag of it).
async fn build_small(
    ctx: &Ctx,
    tag: &str,
) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let dockerfile = format!("FROM {TEST_IMAGE}\nRUN echo {} > /stamp\n", ctx.project);
    let mut build = BuildSpec::new(
        BuildContext::Tar(tar_with("Dockerfile", dockerfile.as_bytes())?),
        tag,
    );
    build.labels = ctx.labels();
    Ok(ctx.engine.build_image(build, &no_progress).await?)
}

async fn push_then_pull_round_trips_through_a_registry(ctx: &Ctx) -> TestResult {
    let (host, _registry) = registry_for(ctx);
    let image = format!("{host}/{}/app:t1", ctx.project);
    let id = build_small(ctx, &image).await?;
    let lines = std::sync::Mutex::new(Vec::new());
    let sink = |p: Progress| {
        if let Ok(mut l) = lines.lock() {
            l.push(p);
        }
    };
    tokio::time::timeout(
        Duration::from_secs(120),
        ctx.engine.push_image(&image, &sink),
    )
    .await??;
    assert!(
        lines.lock().map(|l| !l.is_empty()).unwrap_or(false),
        "no push progress"
    );
    ctx.engine.remove_image(&image, false).await?;
    assert!(!ctx.engine.image_exists(&image).await?);
    tokio::time::timeout(
        Duration::from_secs(120),
        ctx.engine.pull_image(&image, &no_progress),
    )
    .await??;
    let back = ctx.engine.inspect_image(&image).await?;
    assert_eq!(back.id, id, "the pulled image is not the pushed one");
    assert_eq!(back.labels.get(PROJECT_LABEL), Some(&ctx.project));
    Ok(())
}

async fn push_and_pull_failures_name_the_image(ctx: &Ctx) -> TestResult {
    let (host, _registry) = registry_for(ctx);
    // Not present locally.
    let absent = format!("{host}/{}/absent:1", ctx.project);
    match ctx.engine.push_image(&absent, &no_progress).await {
        Err(EngineError::Push { image, message }) => {
            assert_eq!(image, absent);
            assert!(message.contains("does not exist locally"), "{message}");
        }
        other => panic!("expected a push error, got {other:?}"),
    }
    // Unknown to a registry that answers.
    match ctx.engine.pull_image(&absent, &no_progress).await {
        Err(EngineError::Pull { image, message }) => {
            assert_eq!(image, absent);
            assert!(message.contains("manifest unknown"), "{message}");
        }
        other => panic!("expected a pull error, got {other:?}"),
    }
    // A registry that does not answer.
    let nowhere = format!("127.0.0.1:{}/{}/app:1", free_port(), ctx.project);
    build_small(ctx, &nowhere).await?;
    let e = tokio::time::timeout(
        Duration::from_secs(120),
        ctx.engine.push_image(&nowhere, &no_progress),
    )
    .await?;
    match e {
        Err(EngineError::Push { image, message }) => {
            assert_eq!(image, nowhere);
            assert!(!message.is_empty());
        }
        other => panic!("expected a push error, got {other:?}"),
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Run every contract case against both engines.
// ---------------------------------------------------------------------------------------------

macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod fake {
            $(
                #[tokio::test]
                async fn $case() -> super::TestResult {
                    let ctx = super::Ctx::fake(stringify!($case));
                    super::$case(&ctx).await
                }
            )*
        }
        mod real {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() -> super::TestResult {
                    // A hang costs this test, never the run: it fails naming the case.
                    tokio::time::timeout(std::time::Duration::from_secs(300), async {
                        let ctx = super::Ctx::real(stringify!($case)).await;
                        super::$case(&ctx).await
                    })
                    .await
                    .map_err(|_| format!("{} did not finish within 300 s", stringify!($case)))?
                }
            )*
        }
    };
}

contract!(
    engine_answers_ping_and_version,
    container_lifecycle_create_start_stop_remove,
    create_reports_name_conflict_and_missing_image,
    one_shot_exit_code_is_reported_by_wait_and_events,
    healthcheck_turns_healthy_with_event,
    networks_aliases_static_ips_and_in_use_removal,
    volumes_create_list_in_use_remove,
    logs_separate_stdout_and_stderr,
    exec_and_copy_into_running_container,
    second_container_on_same_host_port_fails_to_start,
    pause_unpause_kill_and_rename,
    restart_keeps_the_container_and_counts,
    images_build_tag_inspect_remove,
    build_failure_is_a_build_error,
    pull_without_registry_fails_clearly,
    wait_next_exit_waits_for_a_running_container,
    list_filters_by_every_label,
    stop_with_custom_signal_and_timeout,
    full_spec_is_accepted_and_reflected,
    containers_can_share_another_containers_network,
    failing_healthcheck_turns_unhealthy,
    follow_logs_stream_new_output,
    push_then_pull_round_trips_through_a_registry,
    push_and_pull_failures_name_the_image,
    interactive_exec_streams_stdin_and_exit_code,
    tty_exec_is_one_stream_and_resizes,
    attach_before_start_gets_stdin_output_and_auto_removal,
    top_lists_the_processes_of_a_running_container,
    archives_copy_in_and_out_with_stat,
    export_and_commit_a_container,
);
