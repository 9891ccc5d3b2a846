//! A test suite's view of compose-examples/testdb: real PostgreSQL and Redis through `Stack`.
//!
//! ```sh
//! bash scripts/build-test-images.sh      # the images, once
//! cargo run --example testdb
//! ```
//!
//! Brings the stack up under a unique project name, creates a table, inserts and reads back a
//! row, SETs and GETs a key, and removes the stack (containers, network, volumes).

use rcompose::Stack;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/compose-examples/testdb/compose.yaml"
    );
    let stack = Stack::builder(file).up().await?;
    println!("stack {} is ready", stack.name());

    let pg = stack.endpoint("postgres", 5432).await?;
    let conf = format!(
        "host={} port={} user=app password=app dbname=app",
        pg.ip(),
        pg.port()
    );
    let (db, conn) = tokio_postgres::connect(&conf, tokio_postgres::NoTls).await?;
    tokio::spawn(conn);
    db.batch_execute("CREATE TABLE greetings (id serial PRIMARY KEY, text text NOT NULL)")
        .await?;
    db.execute(
        "INSERT INTO greetings (text) VALUES ($1)",
        &[&"hello from rcompose"],
    )
    .await?;
    let row = db.query_one("SELECT id, text FROM greetings", &[]).await?;
    let (id, text): (i32, String) = (row.get(0), row.get(1));
    println!("postgres at {pg}: row {id} = {text:?}");

    let redis_addr = stack.endpoint("redis", 6379).await?;
    let mut cache = redis::Client::open(format!("redis://{redis_addr}/"))?
        .get_multiplexed_async_connection()
        .await?;
    let _: () = redis::cmd("SET")
        .arg("greeting")
        .arg(&text)
        .query_async(&mut cache)
        .await?;
    let back: String = redis::cmd("GET")
        .arg("greeting")
        .query_async(&mut cache)
        .await?;
    println!("redis at {redis_addr}: GET greeting = {back:?}");

    stack.down().await?;
    println!("removed");
    Ok(())
}
