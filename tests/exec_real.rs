//! End to end against the REAL Docker engine (it must be running; these tests fail, never skip,
//! without it): a 3-service chain with a healthcheck and a one-shot, a no-op second `up`, a
//! targeted recreate, scale up/down, orphans, `down` keeping named volumes and `down -v` removing
//! them, and a local build. Each test uses its own project name, and a drop guard removes
//! everything carrying that project's label even when the test fails.

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use rcompose::app::ops::{self, DownOptions, UpOptions};
use rcompose::app::{Cancel, NullReporter};
use rcompose::engine::testing::{real_engine, TEST_IMAGE};
use rcompose::engine::{Engine, LabelFilter};
use rcompose::model::Project;

/// Removes every container, network and volume of the project when dropped.
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

fn chain(name: &str, mode: &str, extra: bool) -> String {
    let mut y = format!(
        r#"
name: {name}
services:
  db:
    image: {TEST_IMAGE}
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    healthcheck: {{test: ["CMD", "true"], interval: 1s, retries: 30}}
    volumes:
      - {{type: volume, source: data, target: /data}}
      - {{type: volume, target: /scratch}}
  migrate:
    image: {TEST_IMAGE}
    command: ["sh", "-c", "touch /data/migrated"]
    volumes:
      - {{type: volume, source: data, target: /data}}
    depends_on:
      db: {{condition: service_healthy, required: true, restart: false}}
  web:
    image: {TEST_IMAGE}
    command: ["sleep", "3600"]
    stop_signal: SIGKILL
    environment: {{MODE: {mode}}}
    depends_on:
      db: {{condition: service_healthy, required: true, restart: true}}
      migrate: {{condition: service_completed_successfully, required: true, restart: false}}
"#
    );
    if extra {
        y.push_str(&format!(
            "  extra:\n    image: {TEST_IMAGE}\n    command: [\"sleep\", \"3600\"]\n    stop_signal: SIGKILL\n"
        ));
    }
    y.push_str("volumes:\n  data: {}\n");
    y
}

async fn ids(engine: &Arc<dyn Engine>, project: &str) -> Vec<(String, String, String)> {
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

async fn up(engine: &Arc<dyn Engine>, yaml: &str, opts: UpOptions) -> ops::Outcome {
    match ops::up(
        engine.clone(),
        &project(yaml),
        &opts,
        &mut NullReporter,
        Cancel::new(),
    )
    .await
    {
        Ok(o) => o,
        Err(e) => panic!("up failed: {e}"),
    }
}

fn id_of<'a>(list: &'a [(String, String, String)], name: &str) -> &'a str {
    list.iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, id, _)| id.as_str())
        .unwrap_or_else(|| panic!("no container {name} in {list:?}"))
}

#[tokio::test]
async fn chain_converges_recreates_scales_and_tears_down() {
    within("chain_converges_recreates_scales_and_tears_down", async {
        let engine: Arc<dyn Engine> = Arc::new(real_engine().await.expect("engine"));
        let name = unique("rcreal");
        let _guard = Cleanup(name.clone());

        // Fresh up: db healthy, migrate completed, web running.
        let wait = UpOptions {
            wait: Some(Duration::from_secs(60)),
            ..UpOptions::default()
        };
        up(&engine, &chain(&name, "one", true), wait.clone()).await;
        let first = ids(&engine, &name).await;
        let states: Vec<(&str, &str)> = first
            .iter()
            .map(|(n, _, s)| (n.as_str(), s.as_str()))
            .collect();
        assert_eq!(
            states,
            vec![
                (format!("{name}-db-1").as_str(), "running"),
                (format!("{name}-extra-1").as_str(), "running"),
                (format!("{name}-migrate-1").as_str(), "exited"),
                (format!("{name}-web-1").as_str(), "running"),
            ]
        );

        // Second up: nothing recreated (ids unchanged).
        let out = up(&engine, &chain(&name, "one", true), UpOptions::default()).await;
        let second = ids(&engine, &name).await;
        let only_ids = |l: &[(String, String, String)]| {
            l.iter()
                .map(|(n, i, _)| (n.clone(), i.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(only_ids(&first), only_ids(&second), "{}", out.rendered());
        assert!(
            out.plan
                .effective_steps()
                .all(|s| !s.action.describe().starts_with("create")),
            "{}",
            out.rendered()
        );

        // Change web's env: only web is recreated.
        up(&engine, &chain(&name, "two", true), UpOptions::default()).await;
        let third = ids(&engine, &name).await;
        let web = format!("{name}-web-1");
        let db = format!("{name}-db-1");
        assert_ne!(id_of(&second, &web), id_of(&third, &web));
        assert_eq!(id_of(&second, &db), id_of(&third, &db));
        assert_eq!(
            id_of(&second, &format!("{name}-extra-1")),
            id_of(&third, &format!("{name}-extra-1"))
        );

        // Scale web to 2, then back to 1.
        let mut scaled = UpOptions::default();
        scaled.plan.scale.insert("web".into(), 2);
        up(&engine, &chain(&name, "two", true), scaled).await;
        let s = ids(&engine, &name).await;
        assert!(s
            .iter()
            .any(|(n, _, st)| *n == format!("{name}-web-2") && st == "running"));
        up(&engine, &chain(&name, "two", true), UpOptions::default()).await;
        let s = ids(&engine, &name).await;
        assert!(
            !s.iter().any(|(n, _, _)| *n == format!("{name}-web-2")),
            "{s:?}"
        );

        // `extra` removed from the file: an orphan, removed with remove_orphans.
        let mut orphans = UpOptions::default();
        orphans.plan.remove_orphans = true;
        up(&engine, &chain(&name, "two", false), orphans).await;
        let s = ids(&engine, &name).await;
        assert!(!s.iter().any(|(n, _, _)| n.contains("-extra-")), "{s:?}");

        // Plain down keeps the named volume; down -v removes it.
        let vol = format!("{name}_data");
        ops::down(
            engine.clone(),
            &name,
            Some(&project(&chain(&name, "two", false))),
            &DownOptions::default(),
            &mut NullReporter,
            Cancel::new(),
        )
        .await
        .expect("down");
        assert!(ids(&engine, &name).await.is_empty());
        assert!(engine.inspect_volume(&vol).await.is_ok(), "volume kept");
        assert!(engine
            .inspect_network(&format!("{name}_default"))
            .await
            .is_err());

        // The volume still holds the one-shot's work; a new up reuses it.
        up(&engine, &chain(&name, "two", false), wait).await;
        let mut v = DownOptions::default();
        v.plan.remove_volumes = true;
        ops::down(
            engine.clone(),
            &name,
            None,
            &v,
            &mut NullReporter,
            Cancel::new(),
        )
        .await
        .expect("down -v from labels");
        assert!(ids(&engine, &name).await.is_empty());
        assert!(engine.inspect_volume(&vol).await.is_err(), "volume removed");
    })
    .await
}

#[tokio::test]
async fn build_with_dockerignore_and_secret_file() {
    within("build_with_dockerignore_and_secret_file", async {
    let engine: Arc<dyn Engine> = Arc::new(real_engine().await.expect("engine"));
    let name = unique("rcbuild");
    let _guard = Cleanup(name.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let ctx = dir.path();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!("FROM {TEST_IMAGE}\nCOPY . /ctx/\nCMD [\"sleep\", \"3600\"]\n"),
    )
    .expect("write");
    std::fs::write(ctx.join(".dockerignore"), "ignored.txt\n").expect("write");
    std::fs::write(ctx.join("kept.txt"), "kept").expect("write");
    std::fs::write(ctx.join("ignored.txt"), "ignored").expect("write");
    std::fs::write(ctx.join("token"), "s3cret").expect("write");
    let yaml = format!(
        "name: {name}\nservices:\n  app:\n    build: {{context: {}}}\n    stop_signal: SIGKILL\n    secrets: [token]\nsecrets:\n  token: {{file: {}}}\n",
        ctx.display(),
        ctx.join("token").display()
    );
    up(&engine, &yaml, UpOptions::default()).await;
    let cname = format!("{name}-app-1");
    let exec = |cmd: &[&str]| {
        let mut c = Command::new("docker");
        c.arg("exec").arg(&cname).args(cmd);
        c.output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    let listing = exec(&["ls", "/ctx"]);
    assert!(listing.contains("kept.txt"), "{listing}");
    assert!(!listing.contains("ignored.txt"), "{listing}");
    assert_eq!(exec(&["cat", "/run/secrets/token"]), "s3cret");
    let img = engine
        .inspect_image(&format!("{name}-app"))
        .await
        .expect("image tagged <project>-<service>");
    assert!(img.id.starts_with("sha256:"));
    })
    .await
}

/// Fails the test naming `what` when `f` has not finished within five minutes (a hang costs one
/// failed test, never the whole run).
async fn within(what: &str, f: impl std::future::Future<Output = ()>) {
    if tokio::time::timeout(std::time::Duration::from_secs(300), f)
        .await
        .is_err()
    {
        panic!("{what} did not finish within 300 s");
    }
}
