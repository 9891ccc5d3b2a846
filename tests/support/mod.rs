//! Shared helpers for integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The `MANIFEST.json` kinds of the corpus that are compose documents, valid or not: what the
/// corpus-wide tests load.
pub const COMPOSE_KINDS: &[&str] = &[
    "compose",
    "compose-no-services",
    "compose-legacy-v1",
    "compose-empty",
    "yaml-parse-error",
];

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

/// Every `.yml` / `.yaml` file below `dir`, in sorted order (a missing directory gives none).
pub fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out
}
