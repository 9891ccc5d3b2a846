//! The ops API (`up`, `down`, `stop`...) against the scriptable `FakeEngine`, with paused tokio
//! time: convergence (a second `up` changes nothing), targeted recreates, images checked before
//! anything is created, a taken host port named and recovered from, `down` from labels alone,
//! dry runs, scaling, orphans, `--wait`, and the simple lifecycle commands.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rcompose::app::ops::{self, DownOptions, PauseOptions, RmOptions, StopOptions, UpOptions};
use rcompose::app::{Cancel, ExecError, NullReporter};
use rcompose::engine::fake::FakeEngine;
use rcompose::engine::{
    ContainerPort, ContainerSpec, Engine, HealthStatus, HostPort, LabelFilter, MountKind,
    PortBinding,
};
use rcompose::model::Project;
use rcompose::plan::labels;

const CHAIN: &str = r#"
name: chain
services:
  db:
    image: busybox
    command: ["sleep", "3600"]
    healthcheck: {test: ["CMD", "true"], interval: 1s}
    volumes:
      - {type: volume, source: data, target: /data}
      - {type: volume, target: /scratch}
  migrate:
    image: busybox
    depends_on:
      db: {condition: service_healthy, required: true, restart: false}
  web:
    image: busybox
    environment: {MODE: one}
    ports: [{target: 80, published: "8080", protocol: tcp}]
    depends_on:
      db: {condition: service_healthy, required: true, restart: true}
      migrate: {condition: service_completed_successfully, required: true, restart: false}
volumes:
  data: {}
"#;

fn project(yaml: &str) -> Project {
    let v: serde_yaml::Value = serde_yaml::from_str(yaml).expect("test YAML parses");
    let mut p = Project::from_value(v).expect("test project is valid");
    p.working_dir = Some("/srv/chain".into());
    p.compose_files = vec!["/srv/chain/compose.yaml".into()];
    p
}

fn fake() -> (FakeEngine, Arc<dyn Engine>) {
    let f = FakeEngine::new();
    f.add_image("busybox");
    f.script_exit("chain-migrate-1", Duration::from_secs(1), 0);
    let e: Arc<dyn Engine> = Arc::new(f.clone());
    (f, e)
}

async fn up(
    engine: &Arc<dyn Engine>,
    p: &Project,
    opts: UpOptions,
) -> Result<ops::Outcome, ExecError> {
    ops::up(engine.clone(), p, &opts, &mut NullReporter, Cancel::new()).await
}

/// Container name -> (id, state) for the project.
async fn containers(engine: &Arc<dyn Engine>, project: &str) -> BTreeMap<String, (String, String)> {
    engine
        .list_containers(&LabelFilter::project(project))
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|c| (c.name().to_string(), (c.id.clone(), c.state.to_string())))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn fresh_up_creates_the_chain_in_order_with_compose_labels() {
    let (f, e) = fake();
    let p = project(CHAIN);
    let out = up(&e, &p, UpOptions::default()).await.expect("up succeeds");
    assert!(!out.dry_run);

    let cs = containers(&e, "chain").await;
    assert_eq!(
        cs.keys().cloned().collect::<Vec<_>>(),
        vec!["chain-db-1", "chain-migrate-1", "chain-web-1"]
    );
    assert_eq!(cs["chain-db-1"].1, "running");
    assert_eq!(cs["chain-migrate-1"].1, "exited");
    assert_eq!(cs["chain-web-1"].1, "running");
    assert!(f.network_names().contains(&"chain_default".to_string()));
    assert!(f.volume_names().contains(&"chain_data".to_string()));

    // Start order: db, then migrate once db is healthy, then web once migrate completed.
    let starts = f.calls_of("start");
    let pos = |n: &str| starts.iter().position(|s| s.contains(n) || cs[n].0 == *s);
    assert!(pos("chain-db-1") < pos("chain-migrate-1"), "{starts:?}");
    assert!(pos("chain-migrate-1") < pos("chain-web-1"), "{starts:?}");

    let spec = f.container_spec("chain-web-1").expect("web exists");
    let l = &spec.labels;
    assert_eq!(l[labels::PROJECT], "chain");
    assert_eq!(l[labels::SERVICE], "web");
    assert_eq!(l[labels::CONTAINER_NUMBER], "1");
    assert_eq!(l[labels::ONEOFF], "False");
    assert_eq!(l[labels::WORKING_DIR], "/srv/chain");
    assert_eq!(l[labels::CONFIG_FILES], "/srv/chain/compose.yaml");
    assert_eq!(l[labels::VERSION], labels::COMPOSE_VERSION);
    assert_eq!(
        l[labels::DEPENDS_ON],
        "db:service_healthy:true,migrate:service_completed_successfully:false"
    );
    assert!(l[labels::IMAGE].starts_with("sha256:"));
    assert_eq!(l[labels::CONFIG_HASH].len(), 64);
    assert_eq!(spec.networks.len(), 1);
    assert_eq!(spec.networks[0].network, "chain_default");
    assert_eq!(spec.networks[0].aliases, vec!["chain-web-1", "web"]);
    assert_eq!(spec.env["MODE"].as_deref(), Some("one"));
    assert_eq!(spec.ports[0].host_port, HostPort::Port(8080));
}

#[tokio::test(start_paused = true)]
async fn second_up_changes_nothing() {
    let (f, e) = fake();
    let p = project(CHAIN);
    up(&e, &p, UpOptions::default()).await.expect("first up");
    let before = containers(&e, "chain").await;
    f.clear_calls();
    let out = up(&e, &p, UpOptions::default()).await.expect("second up");
    let after = containers(&e, "chain").await;
    let ids = |m: &BTreeMap<String, (String, String)>| {
        m.iter()
            .map(|(k, v)| (k.clone(), v.0.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&before), ids(&after));
    assert!(f.calls_of("create").is_empty(), "{:?}", f.calls());
    assert!(f.calls_of("remove").is_empty(), "{:?}", f.calls());
    assert!(f.calls_of("network_create").is_empty(), "{:?}", f.calls());
    // Only the exited one-shot is started again, as docker compose does.
    let starts: Vec<String> = out
        .plan
        .effective_steps()
        .map(|s| s.action.describe())
        .collect();
    assert_eq!(starts, vec!["start container chain-migrate-1"]);
}

#[tokio::test(start_paused = true)]
async fn changed_env_recreates_only_that_service() {
    let (f, e) = fake();
    up(&e, &project(CHAIN), UpOptions::default())
        .await
        .expect("first up");
    let before = containers(&e, "chain").await;
    f.clear_calls();
    let changed = project(&CHAIN.replace("MODE: one", "MODE: two"));
    up(&e, &changed, UpOptions::default())
        .await
        .expect("second up");
    let after = containers(&e, "chain").await;
    assert_ne!(
        before["chain-web-1"].0, after["chain-web-1"].0,
        "web recreated"
    );
    assert_eq!(before["chain-db-1"].0, after["chain-db-1"].0, "db kept");
    assert_eq!(before["chain-migrate-1"].0, after["chain-migrate-1"].0);
    assert_eq!(
        f.calls_of("create"),
        vec![format!("{}_chain-web-1", &before["chain-web-1"].0[..12])]
    );
    let spec = f.container_spec("chain-web-1").expect("web exists");
    assert_eq!(spec.env["MODE"].as_deref(), Some("two"));
    assert_eq!(spec.labels[labels::REPLACE], before["chain-web-1"].0);
}

#[tokio::test(start_paused = true)]
async fn changed_dependency_restarts_dependents_with_restart_true() {
    let (f, e) = fake();
    up(&e, &project(CHAIN), UpOptions::default())
        .await
        .expect("first up");
    let before = containers(&e, "chain").await;
    f.clear_calls();
    let changed = project(&CHAIN.replace(
        "command: [\"sleep\", \"3600\"]",
        "command: [\"sleep\", \"7200\"]",
    ));
    up(&e, &changed, UpOptions::default())
        .await
        .expect("second up");
    let after = containers(&e, "chain").await;
    assert_ne!(
        before["chain-db-1"].0, after["chain-db-1"].0,
        "db recreated"
    );
    assert_eq!(before["chain-web-1"].0, after["chain-web-1"].0, "web kept");
    assert_eq!(f.calls_of("restart"), vec![before["chain-web-1"].0.clone()]);
    // The named volume stays the project's.
    assert_eq!(f.calls_of("create").len(), 1, "only db is created");
    let spec = f.container_spec("chain-db-1").expect("db exists");
    let data = spec
        .mounts
        .iter()
        .find(|m| m.target == "/data")
        .expect("data mount");
    assert_eq!(data.source.as_deref(), Some("chain_data"));
    assert!(matches!(data.kind, MountKind::Volume { .. }));
}

#[tokio::test(start_paused = true)]
async fn missing_image_fails_before_anything_is_created() {
    let (f, e) = fake();
    let p = project(&CHAIN.replacen("image: busybox", "image: nothere:1", 1));
    let err = up(&e, &p, UpOptions::default())
        .await
        .expect_err("must fail");
    match &err {
        ExecError::ImageMissing { service, image, .. } => {
            assert_eq!(service, "db");
            assert_eq!(image, "nothere:1");
        }
        other => panic!("unexpected error: {other}"),
    }
    let text = err.to_string();
    assert!(text.contains("db") && text.contains("nothere:1"), "{text}");
    assert!(f.calls_of("create").is_empty());
    assert!(f.calls_of("network_create").is_empty());
    assert!(f.calls_of("volume_create").is_empty());
    assert!(f.container_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn never_pulled_image_is_reported_before_anything_is_created() {
    let (f, e) = fake();
    let p = project(&CHAIN.replacen(
        "image: busybox",
        "image: nothere:1\n    pull_policy: never",
        1,
    ));
    let err = up(&e, &p, UpOptions::default())
        .await
        .expect_err("must fail");
    assert!(
        matches!(&err, ExecError::ImageMissing { service, .. } if service == "db"),
        "{err}"
    );
    assert!(
        f.calls().iter().all(|c| !c.op.contains("create")),
        "{:?}",
        f.calls()
    );
}

#[tokio::test(start_paused = true)]
async fn taken_port_names_service_and_port_and_second_up_converges() {
    let (_f, e) = fake();
    let squatter = ContainerSpec {
        name: "squatter".into(),
        image: "busybox".into(),
        ports: vec![PortBinding {
            container: ContainerPort::tcp(80),
            host_ip: None,
            host_port: HostPort::Port(8080),
        }],
        ..ContainerSpec::default()
    };
    let sid = e
        .create_container(&squatter)
        .await
        .expect("squatter created");
    e.start_container(&sid).await.expect("squatter started");

    let p = project(CHAIN);
    let err = up(&e, &p, UpOptions::default())
        .await
        .expect_err("port is taken");
    let text = err.to_string();
    assert!(text.contains("service web"), "{text}");
    assert!(text.contains("8080"), "{text}");

    e.stop_container(&sid, &Default::default())
        .await
        .expect("stop squatter");
    let out = up(&e, &p, UpOptions::default()).await.expect("converges");
    let cs = containers(&e, "chain").await;
    assert_eq!(cs["chain-web-1"].1, "running");
    assert!(
        out.plan
            .effective_steps()
            .all(|s| !s.action.describe().starts_with("create")),
        "{}",
        out.rendered()
    );
}

#[tokio::test(start_paused = true)]
async fn down_without_compose_file_uses_labels_and_keeps_volumes() {
    let (f, e) = fake();
    up(&e, &project(CHAIN), UpOptions::default())
        .await
        .expect("up");
    let out = ops::down(
        e.clone(),
        "chain",
        None,
        &DownOptions::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("down");
    assert!(containers(&e, "chain").await.is_empty());
    assert!(!f.network_names().contains(&"chain_default".to_string()));
    assert!(f.volume_names().contains(&"chain_data".to_string()));
    // web stops before db (reverse dependency order).
    let stops = f.calls_of("stop");
    assert_eq!(stops.len(), 2, "{stops:?}");
    assert!(out.rendered().contains("remove network chain_default"));

    let mut v = DownOptions::default();
    v.plan.remove_volumes = true;
    ops::down(
        e.clone(),
        "chain",
        None,
        &v,
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("down -v");
    assert!(!f.volume_names().contains(&"chain_data".to_string()));
}

#[tokio::test(start_paused = true)]
async fn down_with_the_project_stops_dependents_first() {
    let (f, e) = fake();
    let p = project(CHAIN);
    up(&e, &p, UpOptions::default()).await.expect("up");
    let cs = containers(&e, "chain").await;
    f.clear_calls();
    ops::down(
        e.clone(),
        "chain",
        Some(&p),
        &DownOptions::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("down");
    let stops = f.calls_of("stop");
    let web = stops.iter().position(|s| *s == cs["chain-web-1"].0);
    let db = stops.iter().position(|s| *s == cs["chain-db-1"].0);
    assert!(web.is_some() && db.is_some() && web < db, "{stops:?}");
    assert!(f.container_names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn dry_run_creates_nothing() {
    let (f, e) = fake();
    let opts = UpOptions {
        dry_run: true,
        ..UpOptions::default()
    };
    let out = up(&e, &project(CHAIN), opts).await.expect("dry run");
    assert!(out.dry_run);
    let text = out.rendered();
    assert!(text.contains("create network chain_default"), "{text}");
    assert!(text.contains("create container chain-web-1"), "{text}");
    assert!(f.container_names().is_empty());
    assert!(
        f.calls()
            .iter()
            .all(|c| c.op.starts_with("list") || c.op == "events"),
        "{:?}",
        f.calls()
    );
}

#[tokio::test(start_paused = true)]
async fn scale_up_and_down_and_orphans() {
    let (f, e) = fake();
    let yaml = "name: sc\nservices:\n  app:\n    image: busybox\n  old:\n    image: busybox\n";
    up(&e, &project(yaml), UpOptions::default())
        .await
        .expect("up");
    let mut opts = UpOptions::default();
    opts.plan.scale.insert("app".into(), 3);
    up(&e, &project(yaml), opts).await.expect("scale up");
    let names = f.container_names();
    assert_eq!(names, vec!["sc-app-1", "sc-app-2", "sc-app-3", "sc-old-1"]);

    // `old` removed from the file: kept (warned) unless remove_orphans.
    let smaller = "name: sc\nservices:\n  app:\n    image: busybox\n";
    let out = up(&e, &project(smaller), UpOptions::default())
        .await
        .expect("up");
    assert!(out.plan.warnings.iter().any(|w| w.contains("sc-old-1")));
    assert_eq!(
        f.container_names().len(),
        2,
        "scaled back to 1 + orphan kept"
    );
    let mut opts = UpOptions::default();
    opts.plan.remove_orphans = true;
    up(&e, &project(smaller), opts)
        .await
        .expect("remove orphans");
    assert_eq!(f.container_names(), vec!["sc-app-1"]);
}

#[tokio::test(start_paused = true)]
async fn wait_fails_naming_an_unhealthy_service() {
    let (f, e) = fake();
    let yaml = "name: w\nservices:\n  api:\n    image: busybox\n    healthcheck: {test: [\"CMD\", \"true\"], interval: 1s}\n";
    f.script_health("w-api-1", Duration::from_secs(2), HealthStatus::Unhealthy);
    let opts = UpOptions {
        wait: Some(Duration::from_secs(30)),
        ..UpOptions::default()
    };
    let err = up(&e, &project(yaml), opts).await.expect_err("unhealthy");
    assert!(err.to_string().contains("api"), "{err}");

    let (_f2, e2) = fake();
    let opts = UpOptions {
        wait: Some(Duration::from_secs(30)),
        ..UpOptions::default()
    };
    up(&e2, &project(yaml), opts)
        .await
        .expect("healthy within the deadline");
}

#[tokio::test(start_paused = true)]
async fn lifecycle_commands_work_from_labels() {
    let (f, e) = fake();
    let yaml = "name: lc\nservices:\n  a:\n    image: busybox\n  b:\n    image: busybox\n    depends_on: [a]\n";
    up(&e, &project(yaml), UpOptions::default())
        .await
        .expect("up");
    let state = |e: Arc<dyn Engine>| async move { containers(&e, "lc").await };

    ops::pause(
        e.clone(),
        "lc",
        None,
        &PauseOptions::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("pause");
    assert!(state(e.clone()).await.values().all(|(_, s)| s == "paused"));
    ops::unpause(
        e.clone(),
        "lc",
        None,
        &PauseOptions::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("unpause");
    assert!(state(e.clone()).await.values().all(|(_, s)| s == "running"));

    let stop = StopOptions {
        services: vec!["a".into()],
        ..StopOptions::default()
    };
    ops::stop(
        e.clone(),
        "lc",
        None,
        &stop,
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("stop a");
    let s = state(e.clone()).await;
    assert_eq!(s["lc-a-1"].1, "exited");
    assert_eq!(s["lc-b-1"].1, "running");

    ops::start(
        e.clone(),
        "lc",
        None,
        &Default::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("start");
    assert!(state(e.clone()).await.values().all(|(_, s)| s == "running"));

    ops::kill(
        e.clone(),
        "lc",
        None,
        &Default::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("kill");
    assert!(state(e.clone()).await.values().all(|(_, s)| s == "exited"));

    ops::rm(
        e.clone(),
        "lc",
        None,
        &RmOptions::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("rm");
    assert!(f.container_names().is_empty());

    let err = ops::stop(
        e.clone(),
        "lc",
        Some(&project(yaml)),
        &StopOptions {
            services: vec!["nope".into()],
            ..StopOptions::default()
        },
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect_err("unknown service");
    assert!(err.to_string().contains("nope"), "{err}");
}

#[tokio::test(start_paused = true)]
async fn build_uses_the_context_and_tags_project_service() {
    let (f, e) = fake();
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("Dockerfile"), "FROM busybox\n").expect("write");
    let yaml = format!(
        "name: bp\nservices:\n  app:\n    build:\n      context: {}\n      args: {{V: \"1\"}}\n",
        dir.path().display()
    );
    up(&e, &project(&yaml), UpOptions::default())
        .await
        .expect("up builds");
    assert_eq!(f.calls_of("build"), vec!["bp-app"]);
    assert!(f.image_names().contains(&"bp-app:latest".to_string()));
    let spec = f.container_spec("bp-app-1").expect("created");
    assert_eq!(spec.image, "bp-app");
}

#[tokio::test(start_paused = true)]
async fn wait_deadline_also_bounds_dependency_waits() {
    let (f, e) = fake();
    let yaml = "name: dl\nservices:\n  db:\n    image: busybox\n    healthcheck: {test: [\"CMD\", \"true\"], interval: 1s}\n  web:\n    image: busybox\n    depends_on:\n      db: {condition: service_healthy, required: true, restart: false}\n";
    // Healthy only after an hour: far past the deadline.
    f.script_health("dl-db-1", Duration::from_secs(3600), HealthStatus::Healthy);
    let opts = UpOptions {
        wait: Some(Duration::from_secs(5)),
        ..UpOptions::default()
    };
    let started = tokio::time::Instant::now();
    let err = up(&e, &project(yaml), opts).await.expect_err("deadline");
    assert!(
        started.elapsed() <= Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    let msg = err.to_string();
    assert!(
        msg.contains("timed out after 5s waiting for db to be healthy"),
        "{msg}"
    );
    let cs = containers(&e, "dl").await;
    assert_eq!(
        cs.get("dl-web-1").map(|(_, s)| s.as_str()),
        Some("created"),
        "web never started: {cs:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn wait_catches_a_one_shot_that_fails_right_after_starting() {
    let (f, e) = fake();
    let yaml = "name: os\nservices:\n  web:\n    image: busybox\n  job:\n    image: busybox\n";
    f.script_exit("os-job-1", Duration::from_millis(50), 3);
    let opts = UpOptions {
        wait: Some(Duration::from_secs(30)),
        ..UpOptions::default()
    };
    match up(&e, &project(yaml), opts.clone()).await {
        Err(ExecError::NotReady { service, reason }) => {
            assert_eq!(service, "job");
            assert!(reason.contains("exited with code 3"), "{reason}");
        }
        other => panic!("expected NotReady, got {other:?}"),
    }
    // Exiting 0 is ready (docker compose#10596).
    let (f2, e2) = fake();
    f2.script_exit("os-job-1", Duration::from_millis(50), 0);
    up(&e2, &project(yaml), opts)
        .await
        .expect("exit 0 is ready");
}

#[tokio::test(start_paused = true)]
async fn a_lost_network_attachment_recreates_only_that_container() {
    let (_f, e) = fake();
    let yaml = "name: nw\nservices:\n  a:\n    image: busybox\n    networks: [front, back]\n  b:\n    image: busybox\n    networks: [front]\nnetworks:\n  front: {}\n  back: {}\n";
    let p = project(yaml);
    up(&e, &p, UpOptions::default()).await.expect("up");
    let before = containers(&e, "nw").await;
    let noop = up(&e, &p, UpOptions::default()).await.expect("no-op up");
    assert_eq!(containers(&e, "nw").await, before, "{}", noop.rendered());
    e.disconnect_network("nw-a-1", "nw_back", false)
        .await
        .expect("disconnect");
    let out = up(&e, &p, UpOptions::default()).await.expect("up");
    assert!(
        out.rendered()
            .contains("network nw_back attachment changed"),
        "{}",
        out.rendered()
    );
    let after = containers(&e, "nw").await;
    assert_ne!(before.get("nw-a-1"), after.get("nw-a-1"));
    assert_eq!(before.get("nw-b-1"), after.get("nw-b-1"));
}
