//! Timings of the `Stack` API on a compose file, for BENCHMARKS.md (scripts/bench-testdb.sh runs it
//! beside docker compose v5):
//!
//! ```sh
//! cargo run --release --example stack_bench -- compose-examples/testdb/compose.yaml 8 3
//! ```
//!
//! Prints, in milliseconds: the time from `Stack::up` to ready (every service running and healthy)
//! for one stack, the time until N stacks brought up at once are all ready, the time to take a
//! snapshot of the stack's volumes and to restore it (fresh data directory) two seconds later
//! (a test's run, while the copy that restore binds is prepared) and once more right away
//! (`restore_at_once`: the copy is still being made), each the median of RUNS runs, as
//! `key value` lines.

use std::time::{Duration, Instant};

use rcompose::Stack;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let file = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "compose-examples/testdb/compose.yaml".to_string());
    let parallel: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(8);
    let runs: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(3);

    let (mut ready, mut snap, mut restore, mut all) = (vec![], vec![], vec![], vec![]);
    let mut restore_at_once = vec![];
    for _ in 0..runs {
        let t = Instant::now();
        let stack = Stack::builder(&file).up().await?;
        ready.push(ms(t.elapsed()));
        let t = Instant::now();
        stack.snapshot("fresh").await?;
        snap.push(ms(t.elapsed()));
        // A test runs between the snapshot and the restore: meanwhile the copy that `restore`
        // binds is prepared in the background. Two seconds stand for the test.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let t = Instant::now();
        stack.restore("fresh").await?;
        restore.push(ms(t.elapsed()));
        // Restoring again right away: the copy for it is still being made, so this one waits.
        let t = Instant::now();
        stack.restore("fresh").await?;
        restore_at_once.push(ms(t.elapsed()));
        stack.down().await?;

        let t = Instant::now();
        // Each stack on its own task, as tests running in parallel would bring them up.
        let ups: Vec<_> = (0..parallel)
            .map(|_| tokio::spawn(Stack::builder(&file).up()))
            .collect();
        let mut stacks = Vec::new();
        for up in ups {
            stacks.push(up.await??);
        }
        all.push(ms(t.elapsed()));
        futures::future::try_join_all(stacks.into_iter().map(|s| s.down())).await?;
    }
    println!("ready_one {:.0}", median(ready));
    println!("ready_parallel_{parallel} {:.0}", median(all));
    println!("snapshot {:.0}", median(snap));
    println!("restore {:.0}", median(restore));
    println!("restore_at_once {:.0}", median(restore_at_once));
    Ok(())
}
