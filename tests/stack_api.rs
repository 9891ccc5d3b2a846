//! The library API for test suites, against the real engine.

use std::io::{Read, Write};
use std::net::TcpStream;

use rcompose::engine::{self, LabelFilter};
use rcompose::Stack;

fn fixture() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/stack/compose.yaml")
}

fn http_get(addr: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).expect("connect to the published port");
    s.write_all(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn stack_comes_up_serves_and_is_removed_on_drop() {
    within("stack_comes_up_serves_and_is_removed_on_drop", async {
        engine::testing::ensure_test_images().expect("test images");
        let name = format!("rcstack{}", std::process::id());
        let stack = Stack::builder(fixture())
            .project_name(&name)
            .env("GREETING", "stack-api")
            .up()
            .await
            .expect("up");

        let addr = stack.host_port("web", 8080).await.expect("published port");
        assert_ne!(addr.port(), 8080, "an ephemeral host port was asked for");
        let body = tokio::task::spawn_blocking(move || http_get(addr))
            .await
            .unwrap();
        assert!(body.contains("hello-from-stack-api"), "{body}");

        let (code, out, _) = stack.exec("web", ["cat", "/www/index.html"]).await.unwrap();
        assert_eq!(code, 0);
        assert_eq!(out.trim(), "hello-from-stack-api");

        // `config --hash` prints exactly the hash `up` wrote on the container.
        let hash_out = std::process::Command::new(env!("CARGO_BIN_EXE_rcompose"))
            .args(["-p", &name, "-f"])
            .arg(fixture())
            .args(["config", "--hash", "web"])
            .env("GREETING", "stack-api")
            .output()
            .expect("run rcompose config --hash");
        let printed = String::from_utf8_lossy(&hash_out.stdout).to_string();
        let web = stack.container_id("web", 1).await.unwrap();
        let label = stack
            .engine()
            .await
            .unwrap()
            .inspect_container(&web)
            .await
            .unwrap()
            .labels
            .get("com.docker.compose.config-hash")
            .cloned()
            .unwrap_or_default();
        assert_eq!(printed.trim(), format!("web {label}"));

        let engine = stack.engine().await.unwrap();
        drop(stack);

        let left = engine
            .list_containers(&LabelFilter::project(&name))
            .await
            .unwrap();
        assert!(left.is_empty(), "containers left after drop: {left:?}");
        let vols = engine
            .list_volumes(&LabelFilter::project(&name))
            .await
            .unwrap();
        assert!(vols.is_empty(), "volumes left after drop: {vols:?}");
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_service_port_is_a_clear_error() {
    within("unknown_service_port_is_a_clear_error", async {
        engine::testing::ensure_test_images().expect("test images");
        let name = format!("rcstackerr{}", std::process::id());
        let stack = Stack::builder(fixture())
            .project_name(&name)
            .up()
            .await
            .expect("up");
        let err = stack.host_port("web", 9999).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "service \"web\" does not publish container port 9999 (it publishes: 8080)"
        );
        let err = stack.endpoint("nope", 80).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "service \"nope\" is not in the stack (its services: seed, web)"
        );
        stack.down().await.expect("down");
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
