//! Loader benchmarks (criterion): `cargo bench --bench loader`.
//!
//! Generates the benchmark projects (scripts/gen-bench-project.rs) into a temp dir, checks that they
//! load as intended, then times `loader::load` on the 1000-service project (extends, anchors, merge
//! keys, interpolation from a `.env`) and on a small realistic web stack, and rendering the large
//! project as `rcompose config` prints it (`Project::to_yaml`). Must not import `engine`, `exec` or `cli`.

use std::path::Path;
use std::time::Duration;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use indexmap::IndexMap;
use rcompose::loader::{self, LoadOptions};

#[path = "../scripts/gen-bench-project.rs"]
mod gen_bench_project;

const SERVICES: usize = 1000;

/// Options that load `file` with a fixed environment (no shell variables leak in).
fn options(file: &Path) -> LoadOptions {
    let mut opts = LoadOptions::with_files([file]);
    opts.environment = IndexMap::new();
    opts.working_dir = file.parent().map(Path::to_path_buf);
    opts
}

fn benches(c: &mut Criterion) {
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => panic!("cannot create a temp dir: {e}"),
    };
    let (large, small) = match gen_bench_project::generate(tmp.path(), SERVICES) {
        Ok(files) => files,
        Err(e) => panic!("cannot generate the bench projects: {e}"),
    };
    let large_opts = options(&large);
    let small_opts = options(&small);

    // Time only successful loads: an error path would be a meaningless (fast) figure.
    let loaded = match loader::load(&large_opts) {
        Ok(l) => l,
        Err(e) => panic!("the generated large project does not load: {e}"),
    };
    let count = loaded.project.services.len();
    // db and base-web come on top of the generated services.
    assert_eq!(
        count,
        SERVICES + 2,
        "services loaded from {}",
        large.display()
    );
    if let Err(e) = loader::load(&small_opts) {
        panic!("the generated small project does not load: {e}");
    }

    let mut g = c.benchmark_group("load");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("large_1000_services", |b| {
        b.iter(|| loader::load(black_box(&large_opts)).ok())
    });
    g.bench_function("small_web_stack", |b| {
        b.iter(|| loader::load(black_box(&small_opts)).ok())
    });
    g.finish();

    let mut g = c.benchmark_group("render");
    g.sample_size(20).measurement_time(Duration::from_secs(8));
    g.bench_function("large_1000_services_yaml", |b| {
        b.iter(|| black_box(&loaded.project).to_yaml())
    });
    g.finish();
}

criterion_group!(loader_benches, benches);
criterion_main!(loader_benches);
