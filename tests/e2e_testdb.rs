//! Real PostgreSQL and Redis for test suites (compose-examples/testdb, images built from Debian's
//! packages by scripts/build-test-images.sh), through the `Stack` API with real client crates:
//! a round trip, eight stacks at once each with its own data, and a reset by snapshot/restore.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rcompose::engine::{self, LabelFilter};
use rcompose::Stack;

fn testdb() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("compose-examples/testdb/compose.yaml")
}

/// Fails the test naming `what` when `f` has not finished within five minutes.
async fn within<T>(what: &str, f: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(300), f).await {
        Ok(v) => v,
        Err(_) => panic!("{what} did not finish within 300 s"),
    }
}

fn images() {
    let st = std::process::Command::new("bash")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/scripts/build-test-images.sh"
        ))
        .status()
        .expect("run scripts/build-test-images.sh");
    assert!(st.success(), "scripts/build-test-images.sh failed");
}

async fn pg(addr: SocketAddr) -> tokio_postgres::Client {
    let conf = format!(
        "host={} port={} user=app password=app dbname=app",
        addr.ip(),
        addr.port()
    );
    let (client, conn) = tokio_postgres::connect(&conf, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connect to postgres at {addr}: {e}"));
    tokio::spawn(conn);
    client
}

async fn redis_conn(addr: SocketAddr) -> redis::aio::MultiplexedConnection {
    redis::Client::open(format!("redis://{addr}/"))
        .expect("redis url")
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("connect to redis at {addr}: {e}"))
}

/// Writes `n` into the stack's database and cache, and reads both back.
async fn round_trip(stack: &Stack, n: i32) {
    let db = pg(stack.endpoint("postgres", 5432).await.unwrap()).await;
    db.batch_execute("CREATE TABLE items (n integer NOT NULL)")
        .await
        .unwrap();
    db.execute("INSERT INTO items VALUES ($1)", &[&n])
        .await
        .unwrap();
    let rows = db.query("SELECT n FROM items", &[]).await.unwrap();
    let got: Vec<i32> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(got, vec![n], "each stack has its own database");

    let mut cache = redis_conn(stack.endpoint("redis", 6379).await.unwrap()).await;
    let _: () = redis::cmd("SET")
        .arg("n")
        .arg(n)
        .query_async(&mut cache)
        .await
        .unwrap();
    let back: i32 = redis::cmd("GET")
        .arg("n")
        .query_async(&mut cache)
        .await
        .unwrap();
    assert_eq!(back, n);
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_stacks_at_once_each_with_its_own_data() {
    images();
    within("eight testdb stacks", async {
        let ups = (0..8).map(|_| Stack::builder(testdb()).up());
        let stacks = futures::future::try_join_all(ups)
            .await
            .expect("eight stacks up");
        let names: std::collections::BTreeSet<String> =
            stacks.iter().map(|s| s.name().to_string()).collect();
        assert_eq!(names.len(), 8, "every stack has its own project");
        futures::future::join_all(stacks.iter().zip(0..).map(|(s, n)| round_trip(s, n))).await;
        futures::future::try_join_all(stacks.into_iter().map(|s| s.down()))
            .await
            .expect("down");
        let engine = engine::connect(&engine::ConnectOptions::from_env(|k| std::env::var(k).ok()))
            .await
            .unwrap();
        for name in names {
            let f = LabelFilter::project(&name);
            assert!(
                engine.list_containers(&f).await.unwrap().is_empty(),
                "{name}"
            );
            assert!(engine.list_volumes(&f).await.unwrap().is_empty(), "{name}");
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_gives_back_the_fresh_database() {
    images();
    within("snapshot and restore of postgres", async {
        let stack = Stack::builder(testdb()).up().await.expect("up");
        stack.snapshot("fresh").await.expect("snapshot");
        round_trip(&stack, 7).await;

        let started = Instant::now();
        stack.restore("fresh").await.expect("restore");
        eprintln!("restore took {:?}", started.elapsed());
        // The table written after the snapshot is gone; the database works (no initdb again:
        // the data directory came back as it was).
        let db = pg(stack.endpoint("postgres", 5432).await.unwrap()).await;
        let exists: bool = db
            .query_one("SELECT to_regclass('public.items') IS NOT NULL", &[])
            .await
            .unwrap()
            .get(0);
        assert!(
            !exists,
            "the table written after the snapshot survived the restore"
        );
        let logs = stack.logs("postgres").await.unwrap();
        assert!(!logs.contains("initialised"), "initdb ran again: {logs}");
        let mut cache = redis_conn(stack.endpoint("redis", 6379).await.unwrap()).await;
        let gone: Option<i32> = redis::cmd("GET")
            .arg("n")
            .query_async(&mut cache)
            .await
            .unwrap();
        assert_eq!(gone, None, "redis's data came back as it was too");
        // And the stack can be written again after the restore.
        round_trip(&stack, 8).await;

        // A second restore (from the copy prepared in the background after the first) gives
        // the fresh database again, and the stack's volumes keep their names.
        let started = Instant::now();
        stack.restore("fresh").await.expect("second restore");
        eprintln!("second restore took {:?}", started.elapsed());
        let db = pg(stack.endpoint("postgres", 5432).await.unwrap()).await;
        let exists: bool = db
            .query_one("SELECT to_regclass('public.items') IS NOT NULL", &[])
            .await
            .unwrap()
            .get(0);
        assert!(
            !exists,
            "the second restore kept the table written after the first"
        );
        round_trip(&stack, 9).await;
        let name = stack.project().name.clone();
        let engine = engine::connect(&engine::ConnectOptions::from_env(|k| std::env::var(k).ok()))
            .await
            .unwrap();
        let f = LabelFilter::project(&name);
        let volumes: Vec<String> = engine
            .list_volumes(&f)
            .await
            .unwrap()
            .into_iter()
            .map(|v| v.name)
            .collect();
        for v in ["pgdata", "redisdata"] {
            assert!(
                volumes.contains(&format!("{name}_{v}")),
                "volume {name}_{v} is missing after restores: {volumes:?}"
            );
        }
        stack.down().await.unwrap();
        let left = engine.list_volumes(&f).await.unwrap();
        assert!(left.is_empty(), "volumes left after down: {left:?}");
    })
    .await
}
