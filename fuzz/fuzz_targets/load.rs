//! libFuzzer target: arbitrary bytes as a compose file through `loader::load`; must never panic.
//!
//! `cargo +nightly fuzz run load -- -dict=fuzz/compose.dict` from the repository root (see
//! BENCHMARKS.md for seeding it from the shared corpus).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use indexmap::IndexMap;
use libfuzzer_sys::fuzz_target;
use rcompose::loader::{self, ConfigSource, LoadOptions};

/// An empty project directory of our own, so `extends: file:` / `include` / `env_file` find nothing
/// of the user's.
fn workdir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rcompose-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    // The first byte picks options; the rest is the file.
    let (flags, text) = match data.split_first() {
        Some((f, rest)) => (*f, rest),
        None => (0, data),
    };
    let text = String::from_utf8_lossy(text).into_owned();
    let env: IndexMap<String, String> = [("NAME", "web"), ("PORT", "8080"), ("EMPTY", "")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let opts = LoadOptions {
        files: vec![ConfigSource::Inline {
            name: workdir().join("compose.yaml"),
            text,
        }],
        environment: env,
        working_dir: Some(workdir().clone()),
        no_interpolate: flags & 1 != 0,
        strict: flags & 2 != 0,
        no_normalize: flags & 4 != 0,
        no_consistency: flags & 8 != 0,
        no_env_resolution: flags & 16 != 0,
        ..Default::default()
    };
    let _ = loader::load(&opts);
});
