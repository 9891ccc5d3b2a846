//! The library API for test suites, beyond bringing a stack up (against the real engine):
//! unique names, endpoints, readiness checks, snapshot/restore, a shared stack per test binary,
//! and reaping what a killed test process left.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use rcompose::engine::{self, LabelFilter};
use rcompose::{Ready, Stack, StackError};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/stack")
        .join(name)
}

/// Fails the test naming `what` when `f` has not finished within five minutes.
async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(300), f).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within 300 s"),
    }
}

/// What the engine still holds of `project`: (containers, volumes, networks).
async fn leftovers(project: &str) -> (usize, usize, usize) {
    let engine = engine::connect(&engine::ConnectOptions::from_env(|k| std::env::var(k).ok()))
        .await
        .expect("engine");
    let f = LabelFilter::project(project);
    (
        engine.list_containers(&f).await.unwrap().len(),
        engine.list_volumes(&f).await.unwrap().len(),
        engine.list_networks(&f).await.unwrap().len(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn stacks_get_unique_names_and_record_their_owner() {
    within("two stacks of one file side by side", async {
        engine::testing::ensure_test_images().expect("test images");
        let (a, b) = tokio::join!(
            Stack::builder(fixture("data.yaml")).up(),
            Stack::builder(fixture("data.yaml")).up()
        );
        let (a, b) = (a.expect("first stack"), b.expect("second stack"));
        assert_ne!(a.name(), b.name());
        assert!(a.name().starts_with("stack-"), "{}", a.name());
        let ea = a.endpoint("store", 8080).await.unwrap();
        let eb = b.endpoint("store", 8080).await.unwrap();
        assert_ne!(ea, eb);
        let url = a.url("store", 8080, "http").await.unwrap();
        assert_eq!(url, format!("http://{ea}"));
        let env = a.endpoints().await.unwrap().env();
        assert!(
            env.contains(&("STORE_8080".to_string(), ea.to_string())),
            "{env:?}"
        );
        assert!(env.contains(&("STORE_PORT".to_string(), ea.port().to_string())));

        let engine = a.engine().await.unwrap();
        let id = a.container_id("store", 1).await.unwrap();
        let labels = engine.inspect_container(&id).await.unwrap().labels;
        assert_eq!(
            labels["org.rcompose.owner.pid"],
            std::process::id().to_string()
        );
        assert_eq!(labels["org.rcompose.stack"], "owned");
        let vols = engine
            .list_volumes(&LabelFilter::project(a.name()))
            .await
            .unwrap();
        assert!(vols
            .iter()
            .all(|v| v.labels.contains_key("org.rcompose.lease.expires")));

        let names = (a.name().to_string(), b.name().to_string());
        drop(a);
        b.down().await.unwrap();
        assert_eq!(leftovers(&names.0).await, (0, 0, 0));
        assert_eq!(leftovers(&names.1).await, (0, 0, 0));
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_checks_run_from_the_host() {
    within("readiness checks", async {
        engine::testing::ensure_test_images().expect("test images");
        let stack = Stack::builder(fixture("data.yaml"))
            .ready("store", Ready::tcp(8080))
            .ready("store", Ready::http(8080, "/boots"))
            .ready("store", Ready::http(8080, "/missing").with_status(404))
            .ready("store", Ready::log("^store starting$").unwrap())
            .ready("store", Ready::command(["test", "-f", "/data/boots"]))
            .up()
            .await
            .expect("every check passes");
        stack.down().await.unwrap();
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_readiness_failure_names_the_service_and_shows_its_log() {
    within("a failing readiness check", async {
        engine::testing::ensure_test_images().expect("test images");
        let name = format!("rcready{}", std::process::id());
        let err = Stack::builder(fixture("data.yaml"))
            .project_name(&name)
            .ready("store", Ready::log("never printed").unwrap())
            .wait_timeout(Duration::from_secs(2))
            .up()
            .await
            .expect_err("the check cannot pass");
        assert!(matches!(err, StackError::NotReady { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.starts_with("service \"store\" was not ready after"),
            "{text}"
        );
        assert!(
            text.contains("waiting for a log line matching /never printed/"),
            "{text}"
        );
        assert!(
            text.contains("last log lines:\n    store starting"),
            "{text}"
        );
        // The half-made stack is removed.
        assert_eq!(leftovers(&name).await, (0, 0, 0));

        let err = Stack::builder(fixture("data.yaml"))
            .ready("db", Ready::tcp(5432))
            .up()
            .await
            .expect_err("no such service");
        assert_eq!(
            err.to_string(),
            "service \"db\" is not in the stack (its services: store)"
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_puts_the_volumes_back_as_the_snapshot_found_them() {
    within("snapshot and restore", async {
        engine::testing::ensure_test_images().expect("test images");
        let stack = Stack::builder(fixture("data.yaml")).up().await.expect("up");
        let sh = |script: &str| {
            let script = script.to_string();
            let stack = &stack;
            async move {
                let (code, out, err) = stack.exec("store", ["sh", "-c", &script]).await.unwrap();
                assert_eq!(code, 0, "{script}: {out}{err}");
                out
            }
        };
        sh("echo one > /data/f && chown 1000:1000 /data/f").await;
        assert!(stack.snapshot("base").await.unwrap() > 0);
        sh("echo two > /data/f && touch /data/extra").await;
        let err = stack.restore("nope").await.unwrap_err();
        assert_eq!(err.to_string(), "no snapshot named \"nope\" (taken: base)");
        stack.restore("base").await.expect("restore");
        assert_eq!(sh("cat /data/f").await, "one\n");
        assert_eq!(sh("stat -c %u /data/f").await, "1000\n");
        assert_eq!(
            sh("ls /data/extra 2>/dev/null || echo gone").await,
            "gone\n"
        );
        // Restoring again starts from the same state.
        sh("echo three > /data/f").await;
        stack.restore("base").await.expect("second restore");
        assert_eq!(sh("cat /data/f").await, "one\n");
        // And the stack still serves on its (new) endpoint.
        assert!(stack.endpoint("store", 8080).await.is_ok());
        stack.down().await.unwrap();
    })
    .await
}

/// Run by `a_killed_test_process_leaves_nothing_after_reap` in a child process: brings a stack
/// up, says its name, and waits to be killed.
#[tokio::test(flavor = "multi_thread")]
async fn child_holding_a_stack() {
    let Ok(out) = std::env::var("RCOMPOSE_STACK_CHILD_OUT") else {
        return; // only as a child
    };
    let stack = Stack::builder(fixture("data.yaml")).up().await.expect("up");
    std::fs::write(&out, stack.name()).unwrap();
    tokio::time::sleep(Duration::from_secs(600)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_test_process_leaves_nothing_after_reap() {
    within("reaping a killed test process's stack", async {
        engine::testing::ensure_test_images().expect("test images");
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("name");
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_holding_a_stack", "--nocapture"])
            .env("RCOMPOSE_STACK_CHILD_OUT", &out)
            .spawn()
            .unwrap();
        let started = Instant::now();
        let name = loop {
            if let Ok(n) = std::fs::read_to_string(&out) {
                if !n.is_empty() {
                    break n;
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the child exited ({status}) before its stack was up");
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the child's stack was not up after 120 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(leftovers(&name).await.0, 1);
        child.kill().unwrap(); // SIGKILL: no Drop, no cleanup
        child.wait().unwrap();
        assert_eq!(leftovers(&name).await.0, 1, "nothing removes it by itself");

        let reap = Command::new(env!("CARGO_BIN_EXE_rcompose"))
            .arg("reap")
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&reap.stdout);
        assert!(
            reap.status.success(),
            "{printed}{}",
            String::from_utf8_lossy(&reap.stderr)
        );
        assert!(
            printed.contains(&format!(
                "removed {name} (its owner (pid {}) has exited)",
                child.id()
            )),
            "{printed}"
        );
        assert_eq!(leftovers(&name).await, (0, 0, 0));
    })
    .await
}

/// Run by `a_shared_stack_is_started_once_and_removed_at_exit` in a child process.
#[tokio::test(flavor = "multi_thread")]
async fn shared_child_one() {
    shared_child("one").await
}

/// Run by `a_shared_stack_is_started_once_and_removed_at_exit` in a child process.
#[tokio::test(flavor = "multi_thread")]
async fn shared_child_two() {
    shared_child("two").await
}

async fn shared_child(which: &str) {
    let Ok(dir) = std::env::var("RCOMPOSE_SHARED_CHILD_DIR") else {
        return; // only as a child
    };
    let stack = Stack::builder(fixture("data.yaml"))
        .shared()
        .await
        .expect("shared stack");
    // Each test runs on its own runtime; the stack's calls must work from any of them.
    let (code, _, _) = stack.exec("store", ["true"]).await.expect("exec");
    assert_eq!(code, 0);
    stack.endpoint("store", 8080).await.expect("endpoint");
    let file = PathBuf::from(dir).join(which);
    std::fs::write(file, stack.name()).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shared_stack_is_started_once_and_removed_at_exit() {
    within("a shared stack", async {
        engine::testing::ensure_test_images().expect("test images");
        let dir = tempfile::tempdir().unwrap();
        let status = tokio::process::Command::new(std::env::current_exe().unwrap())
            .args(["shared_child_", "--test-threads", "2"])
            .env("RCOMPOSE_SHARED_CHILD_DIR", dir.path())
            .status()
            .await
            .unwrap();
        assert!(status.success());
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert_eq!(names[0], names[1], "one stack for both tests");
        assert_eq!(
            leftovers(&names[0]).await,
            (0, 0, 0),
            "removed when the binary exited"
        );
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reused_stack_is_found_again_by_its_configuration() {
    within("reusing a stack", async {
        engine::testing::ensure_test_images().expect("test images");
        let first = Stack::builder(fixture("data.yaml"))
            .env("REUSE_TEST", std::process::id().to_string())
            .reuse()
            .up()
            .await
            .expect("first up");
        let name = first.name().to_string();
        let id = first.container_id("store", 1).await.unwrap();
        let engine = first.engine().await.unwrap();
        let labels = engine.inspect_container(&id).await.unwrap().labels;
        assert_eq!(labels["org.rcompose.stack"], "reuse");
        assert!(
            !labels.contains_key("org.rcompose.owner.pid"),
            "no owner to outlive"
        );
        drop(first); // a reused stack stays
        assert_eq!(leftovers(&name).await.0, 1);

        let second = Stack::builder(fixture("data.yaml"))
            .env("REUSE_TEST", std::process::id().to_string())
            .reuse()
            .up()
            .await
            .expect("second up");
        assert_eq!(
            second.name(),
            name,
            "the same configuration names the same stack"
        );
        assert_eq!(
            second.container_id("store", 1).await.unwrap(),
            id,
            "not recreated"
        );
        rcompose::app::stack::owner::remove_project(engine, &name)
            .await
            .unwrap();
        assert_eq!(leftovers(&name).await, (0, 0, 0));
    })
    .await
}
