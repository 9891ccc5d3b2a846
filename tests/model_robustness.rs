//! The model never panics, whatever it is given, and what it prints it reads back the same.
//!
//! Every YAML file in the corpus (raw, un-normalised, often invalid as a canonical document) is
//! fed to `Project::from_value`. Errors are fine; panics are not. Whatever is accepted must
//! print, and reading the printed YAML (and JSON) back must print identically again.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use rcompose::model::Project;

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml" | "yaml" | "stdout")
        ) {
            out.push(path);
        }
    }
}

#[test]
fn any_corpus_document_reads_without_panic_and_reprints_stably() {
    let mut files = Vec::new();
    yaml_files(&support::corpus_dir(), &mut files);
    files.sort();
    assert!(
        files.len() > 1000,
        "corpus looks incomplete: {}",
        files.len()
    );

    let (mut accepted, mut rejected) = (0, 0);
    for path in &files {
        let Ok(text) = fs::read_to_string(path) else {
            continue;
        };
        let Ok(value) = serde_yaml::from_str::<serde_yaml::Value>(&text) else {
            continue;
        };
        match Project::from_value(value) {
            Err(e) => {
                rejected += 1;
                // Every error says where, unless the whole document is wrong.
                assert!(!e.message.is_empty(), "{}: empty message", path.display());
            }
            Ok(project) => {
                accepted += 1;
                let yaml = project.to_yaml();
                let again: serde_yaml::Value = serde_yaml::from_str(&yaml).unwrap_or_else(|e| {
                    panic!("{}: our YAML does not parse: {e}\n{yaml}", path.display())
                });
                let again = Project::from_value(again).unwrap_or_else(|e| {
                    panic!(
                        "{}: our YAML does not read back: {e}\n{yaml}",
                        path.display()
                    )
                });
                assert_eq!(again.to_yaml(), yaml, "{}: reprint differs", path.display());

                let json = project.to_json();
                let from_json: serde_yaml::Value = serde_yaml::from_str(&json)
                    .unwrap_or_else(|e| panic!("{}: our JSON does not parse: {e}", path.display()));
                Project::from_value(from_json).unwrap_or_else(|e| {
                    panic!(
                        "{}: our JSON does not read back: {e}\n{json}",
                        path.display()
                    )
                });
                let _ = project.to_yaml_sorted();
            }
        }
    }
    // Most corpus files are short-syntax sources, which the loader normalises before the model
    // sees them; still, a good share is already long form and must be accepted.
    assert!(
        accepted > 300,
        "accepted only {accepted} (rejected {rejected})"
    );
}

#[test]
fn hostile_values_are_errors_not_panics() {
    let cases = [
        "services: {web: {healthcheck: {interval: \"99999999999999999999999h\"}}}",
        "services: {web: {mem_limit: \"99999999999999999999999p\"}}",
        "services: {web: {stop_grace_period: \"-5s\"}}",
        "services: {web: {stop_grace_period: \"1\u{b5}\"}}",
        "services: {web: {ports: [{target: -1}]}}",
        "services: {web: {ports: [{target: 99999999999}]}}",
        "services: {web: {cpus: [1]}}",
        "services: {web: {command: \"echo 'unterminated\"}}",
        "services: {web: {ulimits: {nofile: [1]}}}",
        "services: {web: {gpus: 3}}",
        "services: {web: {extra_hosts: [\"nocolon\"]}}",
        "services: {web: {depends_on: 5}}",
        "services: {web: {secrets: [{source: a, mode: \"9\"}]}}",
        "services: {web: !reset null}",
        "services: {web: {image: !override [1]}}",
        "x-a: 1\nfoo: 2",
    ];
    for yaml in cases {
        let v: serde_yaml::Value = serde_yaml::from_str(yaml).expect("test YAML parses");
        let r = Project::from_value(v);
        assert!(
            r.is_err() || yaml.contains("!reset"),
            "{yaml} was accepted: {r:?}"
        );
    }
}
