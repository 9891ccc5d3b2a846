//! Faults and edge cases of `up`/`down` against the REAL Docker engine (it must be running; these
//! tests fail, never skip, without it): concurrent `up`s of one project, an interrupted recreate,
//! a taken host port, a missing image with no registry, `--wait` with one-shots and a dependency
//! that never turns healthy, anonymous volumes across a recreate, lifecycle hooks, stop signals
//! and grace periods, build progress. Each test uses its own project name, and a drop guard
//! removes everything carrying that project's label even when the test fails.

use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcompose::app::ops::{self, StopOptions, UpOptions};
use rcompose::app::{Cancel, ExecError, ExecEvent, NullReporter, RecordingReporter, Reporter};
use rcompose::engine::testing::{real_engine, TEST_IMAGE};
use rcompose::engine::{Engine, LabelFilter};
use rcompose::model::Project;

/// Removes every container, network and volume of the project (and its built image) when dropped.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let label = format!("label=com.docker.compose.project={}", self.0);
        let list = |args: &[&str]| -> Vec<String> {
            Command::new("docker")
                .args(args)
                .output()
                .map(|o| {
                    String::from_utf8_lossy(&o.stdout)
                        .split_whitespace()
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        let run = |args: Vec<String>| {
            if args.len() > 2 {
                let _ = Command::new("docker").args(&args).output();
            }
        };
        let mut c = vec!["rm".to_string(), "-fv".to_string()];
        c.extend(list(&["ps", "-aq", "--filter", &label]));
        run(c);
        let mut n = vec!["network".to_string(), "rm".to_string()];
        n.extend(list(&["network", "ls", "-q", "--filter", &label]));
        run(n);
        let mut v = vec!["volume".to_string(), "rm".to_string()];
        v.extend(list(&["volume", "ls", "-q", "--filter", &label]));
        run(v);
        let _ = Command::new("docker")
            .args(["image", "rm", "-f", &format!("{}-app", self.0)])
            .output();
    }
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}{}x{nanos}", std::process::id())
}

fn project(yaml: &str) -> Project {
    let v: serde_yaml::Value = serde_yaml::from_str(yaml).expect("test YAML parses");
    let mut p = Project::from_value(v).expect("test project is valid");
    p.working_dir = Some(std::env::temp_dir());
    p
}

async fn engine() -> Arc<dyn Engine> {
    Arc::new(real_engine().await.expect("engine"))
}

/// (name, id, state) of the project's containers, sorted by name.
async fn containers(engine: &Arc<dyn Engine>, project: &str) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = engine
        .list_containers(&LabelFilter::project(project))
        .await
        .expect("list containers")
        .into_iter()
        .map(|c| (c.name().to_string(), c.id.clone(), c.state.to_string()))
        .collect();
    v.sort();
    v
}

async fn up_with(
    engine: &Arc<dyn Engine>,
    yaml: &str,
    opts: UpOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<ops::Outcome, ExecError> {
    ops::up(engine.clone(), &project(yaml), &opts, reporter, cancel).await
}

async fn up(engine: &Arc<dyn Engine>, yaml: &str, opts: UpOptions) -> ops::Outcome {
    match up_with(engine, yaml, opts, &mut NullReporter, Cancel::new()).await {
        Ok(o) => o,
        Err(e) => panic!("up failed: {e}"),
    }
}

fn docker(args: &[&str]) -> (bool, String) {
    let out = Command::new("docker").args(args).output().expect("docker");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn wait_opts(secs: u64) -> UpOptions {
    UpOptions {
        wait: Some(Duration::from_secs(secs)),
        ..UpOptions::default()
    }
}

// ------------------------------------------------------------------ concurrency

#[tokio::test]
async fn concurrent_ups_of_one_project_are_serialised() {
    let name = unique("rcconc");
    let _guard = Cleanup(name.clone());
    let yaml = format!(
        r#"
name: {name}
services:
  a: {{image: {TEST_IMAGE}, command: [sleep, "3600"], stop_signal: SIGKILL}}
  b: {{image: {TEST_IMAGE}, command: [sleep, "3600"], stop_signal: SIGKILL, networks: [back, default]}}
  c: {{image: {TEST_IMAGE}, command: [sleep, "3600"], stop_signal: SIGKILL, networks: [back]}}
networks:
  back: {{}}
"#
    );
    // Two independent engine connections, as two terminals would have.
    let (e1, e2) = (engine().await, engine().await);
    let (r1, r2) = (RecordingReporter::new(), RecordingReporter::new());
    let run = |e: Arc<dyn Engine>, mut r: RecordingReporter, y: String| async move {
        ops::up(
            e,
            &project(&y),
            &UpOptions::default(),
            &mut r,
            Cancel::new(),
        )
        .await
    };
    let (a, b) = tokio::join!(
        tokio::spawn(run(e1.clone(), r1.clone(), yaml.clone())),
        tokio::spawn(run(e2, r2.clone(), yaml.clone()))
    );
    a.expect("task").expect("first up");
    b.expect("task").expect("second up");

    let nets = e1
        .list_networks(&LabelFilter::project(&name))
        .await
        .expect("list networks");
    let mut names: Vec<String> = nets.iter().map(|n| n.name.clone()).collect();
    names.sort();
    assert_eq!(
        names,
        vec![format!("{name}_back"), format!("{name}_default")],
        "exactly one network per compose network"
    );
    let cs = containers(&e1, &name).await;
    let cnames: Vec<&str> = cs.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        cnames,
        vec![
            format!("{name}-a-1").as_str(),
            format!("{name}-b-1").as_str(),
            format!("{name}-c-1").as_str()
        ]
    );
    // One of the two waited for the other and said so.
    let waited = [r1.take(), r2.take()].iter().any(|evs| {
        evs.iter().any(|e| matches!(e, ExecEvent::Warning(w) if w.contains("waiting for another rcompose command") && w.contains(&name)))
    });
    assert!(waited, "neither up reported waiting for the other");
}

// ------------------------------------------------------------------ interrupted recreate

/// Forces cancellation (a second Ctrl-C) as soon as a step whose description starts with
/// `after` finishes.
struct CtrlCAfter {
    after: String,
    cancel: Cancel,
}

impl Reporter for CtrlCAfter {
    fn report(&mut self, event: ExecEvent) {
        if let ExecEvent::Finished { what, .. } = &event {
            if what.starts_with(&self.after) {
                self.cancel.force();
            }
        }
    }
}

fn web(name: &str, mode: &str) -> String {
    format!(
        "name: {name}\nservices:\n  web:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    stop_signal: SIGKILL\n    environment: {{MODE: {mode}}}\n"
    )
}

fn env_of(container: &str) -> String {
    docker(&["inspect", "-f", "{{json .Config.Env}}", container]).1
}

#[tokio::test]
async fn recreate_interrupted_after_the_replacement_is_created_converges() {
    let engine = engine().await;
    let name = unique("rcint");
    let _guard = Cleanup(name.clone());
    let final_name = format!("{name}-web-1");
    up(&engine, &web(&name, "one"), UpOptions::default()).await;

    // Ctrl-C Ctrl-C right after the replacement is created: old and new both exist.
    let cancel = Cancel::new();
    let mut r = CtrlCAfter {
        after: "create container".into(),
        cancel: cancel.clone(),
    };
    let out = up_with(
        &engine,
        &web(&name, "two"),
        UpOptions::default(),
        &mut r,
        cancel,
    )
    .await;
    assert!(matches!(out, Err(ExecError::Cancelled)), "{out:?}");
    let mid = containers(&engine, &name).await;
    assert_eq!(mid.len(), 2, "{mid:?}");
    assert!(mid.iter().any(|(n, _, _)| *n == final_name), "{mid:?}");
    assert!(
        mid.iter()
            .any(|(n, _, _)| n.ends_with(&format!("_{final_name}"))),
        "{mid:?}"
    );

    // The next up converges: one container, the final name, the new config, running.
    up(&engine, &web(&name, "two"), UpOptions::default()).await;
    let after = containers(&engine, &name).await;
    assert_eq!(after.len(), 1, "{after:?}");
    assert_eq!(after[0].0, final_name);
    assert_eq!(after[0].2, "running");
    assert!(env_of(&final_name).contains("MODE=two"));
    // And it stays converged.
    let again = up(&engine, &web(&name, "two"), UpOptions::default()).await;
    assert_eq!(
        containers(&engine, &name).await,
        after,
        "{}",
        again.rendered()
    );
}

#[tokio::test]
async fn recreate_interrupted_before_the_rename_keeps_the_replacement() {
    let engine = engine().await;
    let name = unique("rcren");
    let _guard = Cleanup(name.clone());
    let final_name = format!("{name}-web-1");
    up(&engine, &web(&name, "one"), UpOptions::default()).await;

    // Interrupted after the old container is removed: only the temp-named replacement is left.
    let cancel = Cancel::new();
    let mut r = CtrlCAfter {
        after: "remove container".into(),
        cancel: cancel.clone(),
    };
    let out = up_with(
        &engine,
        &web(&name, "two"),
        UpOptions::default(),
        &mut r,
        cancel,
    )
    .await;
    assert!(matches!(out, Err(ExecError::Cancelled)), "{out:?}");
    let mid = containers(&engine, &name).await;
    assert_eq!(mid.len(), 1, "{mid:?}");
    assert!(mid[0].0.ends_with(&format!("_{final_name}")), "{mid:?}");
    let replacement_id = mid[0].1.clone();

    // The next up finishes the rename: the same container, under the final name, started.
    up(&engine, &web(&name, "two"), UpOptions::default()).await;
    let after = containers(&engine, &name).await;
    assert_eq!(
        after,
        vec![(final_name.clone(), replacement_id, "running".to_string())]
    );
    assert!(env_of(&final_name).contains("MODE=two"));
}

// ------------------------------------------------------------------ faults

#[tokio::test]
async fn taken_host_port_names_service_and_port_and_next_up_converges() {
    let engine = engine().await;
    let name = unique("rcport");
    let _guard = Cleanup(name.clone());
    let listener = std::net::TcpListener::bind("0.0.0.0:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let yaml = format!(
        "name: {name}\nservices:\n  helper:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    stop_signal: SIGKILL\n  web:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    stop_signal: SIGKILL\n    ports: [{{target: 80, published: \"{port}\"}}]\n    depends_on: [helper]\n"
    );
    let err = up_with(
        &engine,
        &yaml,
        UpOptions::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect_err("the port is taken");
    let msg = err.to_string();
    assert!(msg.contains("service web"), "{msg}");
    assert!(msg.contains(&format!(":{port}")), "{msg}");
    assert!(msg.contains("already in use"), "{msg}");
    match &err {
        ExecError::Failed { created, .. } => {
            assert!(
                created.contains(&format!("container {name}-web-1")),
                "{created:?}"
            );
            assert!(
                created.contains(&format!("container {name}-helper-1")),
                "{created:?}"
            );
            assert!(
                created.contains(&format!("network {name}_default")),
                "{created:?}"
            );
        }
        other => panic!("expected Failed, got {other:?}"),
    }
    assert!(msg.contains("already created"), "{msg}");

    // Port freed: the next up converges without duplicating anything.
    drop(listener);
    up(&engine, &yaml, UpOptions::default()).await;
    let cs = containers(&engine, &name).await;
    let states: Vec<(&str, &str)> = cs
        .iter()
        .map(|(n, _, s)| (n.as_str(), s.as_str()))
        .collect();
    assert_eq!(
        states,
        vec![
            (format!("{name}-helper-1").as_str(), "running"),
            (format!("{name}-web-1").as_str(), "running")
        ]
    );
    let (_, published) = docker(&["port", &format!("{name}-web-1"), "80"]);
    assert!(published.contains(&format!(":{port}")), "{published}");
}

#[tokio::test]
async fn missing_image_without_registry_fails_before_anything_is_created() {
    let engine = engine().await;
    let name = unique("rcimg");
    let _guard = Cleanup(name.clone());
    let image = "rcompose-test/never-built-anywhere:0.0.1";
    let yaml = format!(
        "name: {name}\nservices:\n  ok:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n  app:\n    image: {image}\nvolumes:\n  data: {{}}\n"
    );
    let err = up_with(
        &engine,
        &yaml,
        UpOptions::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect_err("the image cannot be obtained");
    match &err {
        ExecError::ImageMissing {
            service, image: i, ..
        } => {
            assert_eq!(service, "app");
            assert_eq!(i, image);
        }
        other => panic!("expected ImageMissing, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("service app") && msg.contains(image), "{msg}");
    assert!(containers(&engine, &name).await.is_empty());
    let nets = engine
        .list_networks(&LabelFilter::project(&name))
        .await
        .expect("list networks");
    assert!(nets.is_empty(), "{nets:?}");
}

// ------------------------------------------------------------------ --wait

/// docker compose#10596: `up --wait` failed when a one-shot that nothing depends on exited 0.
#[tokio::test]
async fn wait_accepts_a_one_shot_nothing_depends_on_that_exits_zero() {
    let engine = engine().await;
    let name = unique("rcwait");
    let _guard = Cleanup(name.clone());
    let yaml = format!(
        "name: {name}\nservices:\n  web:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    stop_signal: SIGKILL\n  job:\n    image: {TEST_IMAGE}\n    command: [echo, done]\n"
    );
    let mut rec = RecordingReporter::new();
    up_with(&engine, &yaml, wait_opts(30), &mut rec, Cancel::new())
        .await
        .expect("up --wait");
    let cs = containers(&engine, &name).await;
    let job = cs
        .iter()
        .find(|(n, _, _)| n.ends_with("-job-1"))
        .expect("job container");
    assert_eq!(
        job.2, "exited",
        "--wait returned before the one-shot finished: {cs:?}"
    );
    let (_, code) = docker(&["inspect", "-f", "{{.State.ExitCode}}", &job.0]);
    assert_eq!(code.trim(), "0");
    let ready: Vec<String> = rec
        .take()
        .into_iter()
        .filter_map(|e| match e {
            ExecEvent::Ready { service } => Some(service),
            _ => None,
        })
        .collect();
    assert!(
        ready.contains(&"job".to_string()) && ready.contains(&"web".to_string()),
        "{ready:?}"
    );
}

#[tokio::test]
async fn wait_fails_naming_a_one_shot_that_exits_non_zero() {
    let engine = engine().await;
    let name = unique("rcwaitbad");
    let _guard = Cleanup(name.clone());
    let yaml = format!(
        "name: {name}\nservices:\n  web:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    stop_signal: SIGKILL\n  job:\n    image: {TEST_IMAGE}\n    command: [sh, -c, \"exit 3\"]\n"
    );
    let err = up_with(
        &engine,
        &yaml,
        wait_opts(30),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect_err("a one-shot failed");
    match &err {
        ExecError::NotReady { service, reason } => {
            assert_eq!(service, "job");
            assert!(reason.contains("code 3"), "{reason}");
        }
        other => panic!("expected NotReady, got {other:?}"),
    }
}

#[tokio::test]
async fn wait_deadline_names_a_dependency_that_never_turns_healthy() {
    let engine = engine().await;
    let name = unique("rcunh");
    let _guard = Cleanup(name.clone());
    let yaml = format!(
        r#"
name: {name}
services:
  db:
    image: {TEST_IMAGE}
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    healthcheck:
      test: ["CMD-SHELL", "echo db-still-warming-up; exit 1"]
      interval: 1s
      retries: 1000
  web:
    image: {TEST_IMAGE}
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    depends_on:
      db: {{condition: service_healthy}}
"#
    );
    let started = Instant::now();
    let err = up_with(
        &engine,
        &yaml,
        wait_opts(4),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect_err("db never turns healthy");
    let took = started.elapsed();
    assert!(took < Duration::from_secs(20), "took {took:?}");
    let msg = err.to_string();
    assert!(msg.contains("db"), "{msg}");
    assert!(msg.contains("timed out after 4s"), "{msg}");
    assert!(msg.contains("db-still-warming-up"), "{msg}");
    // web was never started.
    let cs = containers(&engine, &name).await;
    assert!(
        cs.iter()
            .all(|(n, _, s)| !n.ends_with("-web-1") || s != "running"),
        "{cs:?}"
    );
}

// ------------------------------------------------------------------ anonymous volumes

/// Removes, when dropped, the volumes noted from containers' mounts.
struct RemoveVolumes(std::cell::RefCell<Vec<String>>);

impl RemoveVolumes {
    fn note(&self, container: &str) {
        let (ok, out) = docker(&[
            "inspect",
            "-f",
            "{{range .Mounts}}{{.Name}} {{end}}",
            container,
        ]);
        if ok {
            self.0
                .borrow_mut()
                .extend(out.split_whitespace().map(str::to_string));
        }
    }
}

impl Drop for RemoveVolumes {
    fn drop(&mut self) {
        let names = self.0.borrow().clone();
        if !names.is_empty() {
            let mut args = vec!["volume", "rm", "-f"];
            args.extend(names.iter().map(String::as_str));
            let _ = docker(&args);
        }
    }
}

#[tokio::test]
async fn anonymous_volumes_survive_a_recreate_unless_renewed() {
    let engine = engine().await;
    let name = unique("rcanon");
    // Dropped after `_guard` has removed the containers: the anonymous volumes they had. A
    // volume carried over by a recreate is mounted by name, so `docker rm -v` keeps it, and the
    // one `renew_anon_volumes` replaces is left behind (as docker compose leaves it).
    let volumes = RemoveVolumes(std::cell::RefCell::new(Vec::new()));
    let _guard = Cleanup(name.clone());
    let yaml = |mode: &str| {
        format!(
            "name: {name}\nservices:\n  web:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    stop_signal: SIGKILL\n    environment: {{MODE: {mode}}}\n    volumes: [{{type: volume, target: /anon}}]\n"
        )
    };
    let cname = format!("{name}-web-1");
    up(&engine, &yaml("one"), UpOptions::default()).await;
    let first = containers(&engine, &name).await;
    let (ok, out) = docker(&["exec", &cname, "sh", "-c", "echo kept > /anon/file"]);
    assert!(ok, "{out}");
    volumes.note(&cname);

    up(&engine, &yaml("two"), UpOptions::default()).await;
    let second = containers(&engine, &name).await;
    assert_ne!(first[0].1, second[0].1, "the container was recreated");
    let (ok, out) = docker(&["exec", &cname, "cat", "/anon/file"]);
    assert!(
        ok && out.trim() == "kept",
        "anonymous volume carried over: {out}"
    );

    // -V: a fresh anonymous volume.
    let mut renew = UpOptions::default();
    renew.plan.renew_anon_volumes = true;
    up(&engine, &yaml("three"), renew).await;
    let third = containers(&engine, &name).await;
    volumes.note(&cname);
    assert_ne!(second[0].1, third[0].1);
    let (ok, _) = docker(&["exec", &cname, "cat", "/anon/file"]);
    assert!(!ok, "with renew_anon_volumes the file is gone");
}

// ------------------------------------------------------------------ hooks, stop, progress

#[tokio::test]
async fn post_start_and_pre_stop_hooks_run_in_the_container() {
    let engine = engine().await;
    let name = unique("rchook");
    let _guard = Cleanup(name.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let host = dir.path().display().to_string();
    let yaml = format!(
        r#"
name: {name}
services:
  app:
    image: {TEST_IMAGE}
    command: [sleep, "3600"]
    stop_signal: SIGKILL
    volumes: [{{type: bind, source: "{host}", target: /host}}]
    post_start:
      - command: [sh, -c, "echo started-as-$(id -u)-$GREETING > /host/post_start; echo hello-from-hook"]
        environment: {{GREETING: hi}}
    pre_stop:
      - command: [sh, -c, "echo stopping > /host/pre_stop"]
"#
    );
    let mut rec = RecordingReporter::new();
    up_with(
        &engine,
        &yaml,
        UpOptions::default(),
        &mut rec,
        Cancel::new(),
    )
    .await
    .expect("up");
    let post = std::fs::read_to_string(dir.path().join("post_start")).expect("post_start ran");
    assert_eq!(post.trim(), "started-as-0-hi");
    let progress: Vec<String> = rec
        .take()
        .into_iter()
        .filter_map(|e| match e {
            ExecEvent::Progress { service, line, .. } if service == "app" => Some(line),
            _ => None,
        })
        .collect();
    assert!(
        progress.iter().any(|l| l.contains("hello-from-hook")),
        "{progress:?}"
    );
    assert!(!dir.path().join("pre_stop").exists());
    ops::stop(
        engine.clone(),
        &name,
        Some(&project(&yaml)),
        &StopOptions::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("stop");
    let pre = std::fs::read_to_string(dir.path().join("pre_stop")).expect("pre_stop ran");
    assert_eq!(pre.trim(), "stopping");
}

#[tokio::test]
async fn failing_post_start_hook_fails_up_naming_the_service() {
    let engine = engine().await;
    let name = unique("rchookbad");
    let _guard = Cleanup(name.clone());
    let yaml = format!(
        "name: {name}\nservices:\n  app:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    stop_signal: SIGKILL\n    post_start:\n      - command: [sh, -c, \"echo nope; exit 7\"]\n"
    );
    let err = up_with(
        &engine,
        &yaml,
        UpOptions::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect_err("hook failed");
    let msg = err.to_string();
    assert!(msg.contains("service app"), "{msg}");
    assert!(msg.contains("post_start"), "{msg}");
    assert!(msg.contains("exit code 7") && msg.contains("nope"), "{msg}");
}

async fn stop_service(
    engine: &Arc<dyn Engine>,
    name: &str,
    yaml: &str,
    svc: &str,
    t: Option<u64>,
) -> Duration {
    let started = Instant::now();
    ops::stop(
        engine.clone(),
        name,
        Some(&project(yaml)),
        &StopOptions {
            services: vec![svc.to_string()],
            timeout: t,
            ..StopOptions::default()
        },
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("stop");
    started.elapsed()
}

#[tokio::test]
async fn stop_signal_grace_period_and_timeout_are_honoured() {
    let engine = engine().await;
    let name = unique("rcsig");
    let _guard = Cleanup(name.clone());
    let yaml = format!(
        r#"
name: {name}
services:
  polite:
    image: {TEST_IMAGE}
    command: [sh, -c, "trap 'echo got-usr1; exit 0' USR1; while true; do sleep 0.2; done"]
    stop_signal: SIGUSR1
    stop_grace_period: 30s
  stubborn:
    image: {TEST_IMAGE}
    command: [sh, -c, "trap '' TERM; while true; do sleep 0.2; done"]
    stop_grace_period: 2s
"#
    );
    up(&engine, &yaml, UpOptions::default()).await;
    tokio::time::sleep(Duration::from_millis(500)).await; // let the traps be installed

    // stop_signal: the service's own signal ends it cleanly, long before its grace period.
    let took = stop_service(&engine, &name, &yaml, "polite", None).await;
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let polite = format!("{name}-polite-1");
    let (_, code) = docker(&["inspect", "-f", "{{.State.ExitCode}}", &polite]);
    assert_eq!(code.trim(), "0", "exited by its trap");
    let (_, logs) = docker(&["logs", &polite]);
    assert!(logs.contains("got-usr1"), "{logs}");

    // stop_grace_period: SIGKILL after 2s, not the default 10s.
    let took = stop_service(&engine, &name, &yaml, "stubborn", None).await;
    assert!(
        took >= Duration::from_millis(1800) && took < Duration::from_secs(8),
        "took {took:?}"
    );
    let stubborn = format!("{name}-stubborn-1");
    let (_, code) = docker(&["inspect", "-f", "{{.State.ExitCode}}", &stubborn]);
    assert_eq!(code.trim(), "137");

    // -t 0 overrides the grace period.
    up(&engine, &yaml, UpOptions::default()).await;
    let took = stop_service(&engine, &name, &yaml, "stubborn", Some(0)).await;
    assert!(took < Duration::from_millis(1500), "took {took:?}");
}

#[tokio::test]
async fn build_progress_reaches_the_reporter() {
    let engine = engine().await;
    let name = unique("rcprog");
    let _guard = Cleanup(name.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("Dockerfile"),
        format!(
            "FROM {TEST_IMAGE}\nRUN echo progress-marker-$((6*7))\nCMD [\"sleep\", \"3600\"]\n"
        ),
    )
    .expect("write");
    let yaml = format!(
        "name: {name}\nservices:\n  app:\n    build: {{context: {}}}\n    stop_signal: SIGKILL\n",
        dir.path().display()
    );
    let seen = Arc::new(Mutex::new(Vec::new()));
    struct Lines(Arc<Mutex<Vec<(String, String)>>>);
    impl Reporter for Lines {
        fn report(&mut self, e: ExecEvent) {
            if let ExecEvent::Progress { service, line, .. } = e {
                if let Ok(mut g) = self.0.lock() {
                    g.push((service, line));
                }
            }
        }
    }
    let mut r = Lines(seen.clone());
    up_with(&engine, &yaml, UpOptions::default(), &mut r, Cancel::new())
        .await
        .expect("up with build");
    let lines = seen.lock().map(|g| g.clone()).unwrap_or_default();
    assert!(
        lines
            .iter()
            .any(|(s, l)| s == "app" && l.contains("progress-marker-42")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|(_, l)| l.starts_with("Step 1/")),
        "{lines:?}"
    );
}

// ------------------------------------------------------------------ network attachments

#[tokio::test]
async fn a_lost_network_attachment_recreates_and_a_second_up_is_a_noop() {
    let engine = engine().await;
    let name = unique("rcnet");
    let _guard = Cleanup(name.clone());
    let yaml = format!(
        "name: {name}\nservices:\n  web:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    stop_signal: SIGKILL\n    networks: [front, back]\n  solo:\n    image: {TEST_IMAGE}\n    command: [sleep, \"3600\"]\n    stop_signal: SIGKILL\n    network_mode: none\nnetworks:\n  front: {{}}\n  back: {{}}\n"
    );
    up(&engine, &yaml, UpOptions::default()).await;
    let first = containers(&engine, &name).await;
    let noop = up(&engine, &yaml, UpOptions::default()).await;
    assert_eq!(
        containers(&engine, &name).await,
        first,
        "{}",
        noop.rendered()
    );

    let cname = format!("{name}-web-1");
    let (ok, out) = docker(&["network", "disconnect", &format!("{name}_back"), &cname]);
    assert!(ok, "{out}");
    let out = up(&engine, &yaml, UpOptions::default()).await;
    let rendered = out.rendered();
    assert!(
        rendered.contains(&format!("network {name}_back attachment changed")),
        "{rendered}"
    );
    let second = containers(&engine, &name).await;
    let id = |l: &[(String, String, String)], n: &str| {
        l.iter()
            .find(|(c, _, _)| c.ends_with(n))
            .map(|(_, i, _)| i.clone())
    };
    assert_ne!(id(&first, "-web-1"), id(&second, "-web-1"), "web recreated");
    assert_eq!(id(&first, "-solo-1"), id(&second, "-solo-1"), "solo kept");
    let (_, nets) = docker(&[
        "inspect",
        "-f",
        "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}",
        &cname,
    ]);
    assert!(nets.contains(&format!("{name}_back")), "{nets}");
    assert!(nets.contains(&format!("{name}_front")), "{nets}");
}

/// A network still used by a container outside the project does not fail `down`: the project's
/// containers are removed, the network is left in place with a warning (docker compose v2 does
/// the same), and the command succeeds.
#[tokio::test(flavor = "multi_thread")]
async fn down_leaves_a_network_still_in_use_and_succeeds() {
    let name = unique("rcnetuse");
    let _cleanup = Cleanup(name.clone());
    let engine = engine().await;
    let p = project(&format!(
        "name: {name}\nservices:\n  app:\n    image: {TEST_IMAGE}\n    init: true\n    command: [sleep, '600']\n"
    ));
    ops::up(
        engine.clone(),
        &p,
        &UpOptions::default(),
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    .expect("up");
    let net = format!("{name}_default");
    let foreign = format!("{name}-foreign");
    let out = Command::new("docker")
        .args([
            "run",
            "-d",
            "--init",
            "--name",
            &foreign,
            "--network",
            &net,
            TEST_IMAGE,
            "sleep",
            "600",
        ])
        .output()
        .expect("docker run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut rec = RecordingReporter::default();
    let res = ops::down(
        engine.clone(),
        &name,
        Some(&p),
        &ops::DownOptions::default(),
        &mut rec,
        Cancel::new(),
    )
    .await;
    let _ = Command::new("docker").args(["rm", "-f", &foreign]).output();
    res.expect("down succeeds although the network is still in use");
    assert!(
        containers(&engine, &name).await.is_empty(),
        "the project's containers are gone"
    );
    let events = rec.take();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ExecEvent::Progress { line, .. }
            if line.contains(&net) && line.contains("still in use"))),
        "a warning names the network: {events:?}"
    );
}
