//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared corpus of real compose files, read in place from `../shared/corpus`.
///
/// Its absence is a failure (CI always has it there), never a silent skip.
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("RCOMPOSE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    assert!(
        dir.join("INDEX.md").is_file(),
        "the shared corpus is missing at {} (set RCOMPOSE_CORPUS to its path)",
        dir.display()
    );
    dir
}
