//! The arrows between modules, held as a test: `cli -> app -> {plan, loader, engine} -> model`,
//! `engine/docker -> engine`, and bollard only under `src/engine/docker`. Nothing below `cli`
//! prints or reads the process environment.
//!
//! Every `.rs` file under `src/` is read as text; the crate paths it names (`use crate::x::...`,
//! `crate::x::f()`, and in the binary's `cli`, `rcompose::x`) give its arrows. Unit-test modules
//! at the bottom of a file (`#[cfg(test)] mod ...`) and unit-test files (`*_tests.rs`, declared
//! under `#[cfg(test)]`) are left out: tests may reach anywhere.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layer a file belongs to, from its path under `src/`.
fn layer_of(rel: &Path) -> &'static str {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let first = parts.first().map(String::as_str).unwrap_or("");
    match first {
        "engine"
            if parts
                .get(1)
                .is_some_and(|p| p == "docker" || p == "docker.rs") =>
        {
            "engine/docker"
        }
        "model" | "model.rs" => "model",
        "loader" | "loader.rs" => "loader",
        "plan" | "plan.rs" => "plan",
        "engine" | "engine.rs" => "engine",
        "app" | "app.rs" => "app",
        "cli" | "cli.rs" => "cli",
        "main.rs" => "main",
        "lib.rs" => "lib",
        _ => "unknown",
    }
}

/// The layers each layer may name. A layer may always name itself.
fn allowed(from: &str) -> &'static [&'static str] {
    match from {
        "model" => &[],
        "loader" | "plan" => &["model"],
        "engine" => &["model"],
        "engine/docker" => &["engine", "model"],
        "app" => &["plan", "loader", "engine", "model"],
        "cli" => &["app", "model", "cli"],
        "main" => &["cli", "app"],
        "lib" => &["app", "model", "loader", "plan", "engine", "cli"],
        _ => &[],
    }
}

/// The layer a crate path's first segment names (`engine::docker` counts as `engine/docker`).
fn target_layer(first: &str, second: Option<&str>) -> Option<&'static str> {
    Some(match first {
        "model" => "model",
        "loader" => "loader",
        "plan" => "plan",
        "engine" if second == Some("docker") => "engine/docker",
        "engine" => "engine",
        "app" => "app",
        "cli" => "cli",
        _ => return None,
    })
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs")
            && !p.to_string_lossy().ends_with("_tests.rs")
        {
            out.push(p);
        }
    }
}

/// The file's code without its unit-test module and without comments.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines
                .get(i + 1)
                .is_some_and(|n| n.trim_start().starts_with("mod ") || n.contains(" mod "))
        {
            break;
        }
        if !t.starts_with("//") {
            out.push_str(lines[i].split(" // ").next().unwrap_or(""));
            out.push('\n');
        }
        i += 1;
    }
    out
}

/// Every `(first, second)` segment pair after `root::` in `code`, including the members of a
/// grouped `use root::{a::b, c}`.
fn crate_paths(code: &str, root: &str) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    let needle = format!("{root}::");
    let mut rest = code;
    while let Some(at) = rest.find(&needle) {
        let before = rest[..at].chars().last();
        rest = &rest[at + needle.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `foo_crate::`, not `crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = matching_brace(group);
            for member in split_top_level(&group[..end]) {
                found.push(segments(member.trim()));
            }
        } else {
            found.push(segments(rest));
        }
    }
    found
}

fn matching_brace(s: &str) -> usize {
    let mut depth = 0;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    s.len()
}

fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

fn segments(path: &str) -> (String, Option<String>) {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let first = ident(path);
    let second = path[first.len()..]
        .strip_prefix("::")
        .map(ident)
        .filter(|s| !s.is_empty());
    (first, second)
}

struct File {
    rel: PathBuf,
    layer: &'static str,
    code: String,
}

fn source_files() -> Vec<File> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    assert!(
        paths.len() > 20,
        "found only {} files under src/",
        paths.len()
    );
    paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).expect("under src").to_path_buf();
            let text = std::fs::read_to_string(&p).expect("readable source");
            File {
                layer: layer_of(&rel),
                code: code_of(&text),
                rel,
            }
        })
        .collect()
}

#[test]
fn every_file_belongs_to_a_layer() {
    let unknown: Vec<String> = source_files()
        .iter()
        .filter(|f| f.layer == "unknown")
        .map(|f| f.rel.display().to_string())
        .collect();
    assert!(unknown.is_empty(), "files outside the layers: {unknown:?}");
}

#[test]
fn arrows_only_go_down_the_layers() {
    let mut wrong = BTreeSet::new();
    for f in source_files() {
        // The library names its modules `crate::x`; the binary (main.rs, cli/) names them
        // `rcompose::x`.
        let mut paths = crate_paths(&f.code, "crate");
        paths.extend(crate_paths(&f.code, "rcompose"));
        for (first, second) in paths {
            let Some(to) = target_layer(&first, second.as_deref()) else {
                continue;
            };
            if to == f.layer || allowed(f.layer).contains(&to) {
                continue;
            }
            // engine/docker is part of engine; engine itself may name its docker module only
            // to construct it (engine/mod.rs declares it).
            if f.layer == "engine" && to == "engine/docker" {
                continue;
            }
            wrong.insert(format!("{} ({}) -> {to}", f.rel.display(), f.layer));
        }
    }
    assert!(
        wrong.is_empty(),
        "arrows outside cli -> app -> {{plan, loader, engine}} -> model:\n  {}",
        wrong.into_iter().collect::<Vec<_>>().join("\n  ")
    );
}

#[test]
fn bollard_is_used_only_by_the_docker_engine() {
    let users: Vec<String> = source_files()
        .iter()
        .filter(|f| f.layer != "engine/docker" && f.code.contains("bollard"))
        .map(|f| f.rel.display().to_string())
        .collect();
    assert!(
        users.is_empty(),
        "bollard outside src/engine/docker: {users:?}"
    );
}

/// Files below the CLI that may print or read the environment, with the reason.
const FRONT_DOORS: [(&str, &str); 2] = [
    // The library's front door for test suites, as `cli` is the binary's: it interpolates with the
    // process environment and reaches the engine the environment names, as docker compose
    // would; its Drop cannot return an error, so a failed cleanup is said on standard error.
    ("app/stack/mod.rs", "Stack"),
    // Test-image helpers, compiled only with the `fake` feature (the tests).
    ("engine/testing.rs", "tests only"),
];

#[test]
fn nothing_below_the_cli_prints_or_reads_the_environment() {
    let mut wrong = Vec::new();
    for f in source_files() {
        if matches!(f.layer, "cli" | "main") {
            continue;
        }
        if FRONT_DOORS
            .iter()
            .any(|(path, _)| f.rel == std::path::Path::new(path))
        {
            continue;
        }
        for needle in [
            "println!",
            "eprintln!",
            "print!(",
            "eprint!(",
            "std::env::var",
            "env::vars(",
            "env::var(",
            "env::var_os(",
        ] {
            if f.code.contains(needle) {
                wrong.push(format!("{}: {needle}", f.rel.display()));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "printing or environment reads below the cli:\n  {}",
        wrong.join("\n  ")
    );
}

#[test]
fn the_checker_sees_grouped_and_inline_paths() {
    let code =
        "use crate::{model::Project, plan::{self, Plan}};\nfn f() { crate::engine::docker::x(); }";
    let got = crate_paths(code, "crate");
    assert_eq!(
        got,
        vec![
            ("model".to_string(), Some("Project".to_string())),
            ("plan".to_string(), None),
            ("engine".to_string(), Some("docker".to_string())),
        ]
    );
    assert_eq!(
        code_of("a\n#[cfg(test)]\nmod tests {\n crate::cli::x\n}\n"),
        "a\n"
    );
}
