//! `loader::yaml::parse` and `loader::locate` against the corpus and hand-written edge cases.

// `LoadError` (shared, in error.rs) is larger than clippy's `result_large_err` threshold.
#![allow(clippy::result_large_err)]

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rcompose::loader::error::{ErrorKind, KeyPath, LoadError, Warnings};
use rcompose::loader::{locate, yaml};
use serde_yaml::Value;

fn parse(text: &str) -> Result<Value, LoadError> {
    yaml::parse(Path::new("compose.yaml"), text)
}

fn parse_ok(text: &str) -> Value {
    match parse(text) {
        Ok(v) => v,
        Err(e) => panic!("expected {text:?} to parse, got: {e}"),
    }
}

fn parse_err(text: &str) -> LoadError {
    match parse(text) {
        Ok(v) => panic!("expected {text:?} to fail, got {v:?}"),
        Err(e) => e,
    }
}

fn corpus_file(rel: &str) -> (PathBuf, String) {
    let path = support::corpus_dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    (path, text)
}

fn y(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("bad test yaml {text:?}: {e}"))
}

#[test]
fn every_corpus_compose_file_parses_except_the_broken_ones() {
    let corpus = support::corpus_dir();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(corpus.join("MANIFEST.json")).unwrap_or_default(),
    )
    .unwrap_or_default();
    let files = manifest["files"].as_array().cloned().unwrap_or_default();
    assert!(files.len() > 1000, "MANIFEST.json lists too few files");
    // Documents that are not YAML-valid compose documents, each with the reason.
    let known_bad: &[(&str, &str)] = &[
        // fmt.Sprintf templates extracted from Go tests, `%s` placeholders left in.
        (
            "inline/loader/loader/TestLoadTmpfsVolume.yaml",
            "Go template",
        ),
        (
            "inline/loader/paths/TestResolveAdditionalContexts.yaml",
            "Go template",
        ),
        // Must be rejected: `<<: *scalar`.
        (
            "inline/loader/reset/TestMergeKeyAliasToScalarRejected.yaml",
            "merge of a scalar",
        ),
        // Must be rejected: an unclosed flow sequence.
        (
            "fixtures/syntax/malformed-flow/compose.yaml",
            "unclosed flow sequence",
        ),
        // Must be rejected: non-string keys.
        (
            "inline/loader/loader/TestNonStringKeys.yaml",
            "non-string key",
        ),
        (
            "inline/loader/loader/TestNonStringKeys_2.yaml",
            "non-string key",
        ),
        (
            "inline/loader/loader/TestNonStringKeys_3.yaml",
            "non-string key",
        ),
        // Must be rejected: duplicate key.
        (
            "inline/loader/merge_reset/Test_DuplicateReset.yaml",
            "duplicate key",
        ),
        // Must be rejected: alias bombs and a recursive alias.
        (
            "inline/loader/reset/TestAliasBombPrevented.yaml",
            "alias bomb",
        ),
        (
            "inline/loader/reset/TestAliasBombPrevented_2.yaml",
            "alias bomb",
        ),
        (
            "inline/loader/reset/TestAliasNodePreservation.yaml",
            "alias bomb",
        ),
        (
            "inline/loader/reset/TestResetCycle_6.yaml",
            "recursive alias",
        ),
        // Duplicate keys: yaml.v3 (compose-go) rejects them too.
        (
            "examples/build/02-L131.yaml",
            "duplicate key (illustrative spec snippet)",
        ),
        (
            "fixtures/syntax/lossless-compose/compose.yaml",
            "duplicate key",
        ),
        (
            "fixtures/typed-model/invalid-network-label-forms/compose.yaml",
            "duplicate key",
        ),
        (
            "fixtures/typed-model/service-annotations-model/compose.yaml",
            "duplicate key",
        ),
        (
            "fixtures/typed-model/service-hostname-model/compose.yaml",
            "duplicate key",
        ),
        (
            "fixtures/typed-model/service-mem-limit-model/compose.yaml",
            "duplicate key",
        ),
        (
            "fixtures/typed-model/service-pids-limit-model/compose.yaml",
            "duplicate key",
        ),
        (
            "fixtures/typed-model/service-pull-policy-model/compose.yaml",
            "duplicate key",
        ),
        (
            "fixtures/typed-model/service-shm-size-model/compose.yaml",
            "duplicate key",
        ),
        // A service named `null:` is a null key: compose-go rejects it too.
        (
            "fixtures/typed-model/service-cap-add-model/compose.yaml",
            "null key",
        ),
        (
            "fixtures/typed-model/service-cap-drop-model/compose.yaml",
            "null key",
        ),
        (
            "fixtures/typed-model/service-dns-model/compose.yaml",
            "null key",
        ),
        (
            "fixtures/typed-model/service-dns-search-model/compose.yaml",
            "null key",
        ),
        (
            "fixtures/typed-model/service-tmpfs-model/compose.yaml",
            "null key",
        ),
    ];
    let kinds = [
        "compose",
        "compose-no-services",
        "compose-legacy-v1",
        "compose-empty",
        "yaml-parse-error",
    ];
    let mut parsed = 0;
    let mut failures = Vec::new();
    for f in &files {
        let kind = f["kind"].as_str().unwrap_or_default();
        if !kinds.contains(&kind) {
            continue;
        }
        let rel = f["path"].as_str().unwrap_or_default();
        let source = f["source"].as_str().unwrap_or_default();
        let path = corpus.join(source).join(rel);
        let Ok(text) = std::fs::read_to_string(&path) else {
            failures.push(format!("{}: unreadable", path.display()));
            continue;
        };
        let result = yaml::parse(&path, &text);
        let bad = known_bad.iter().any(|(p, _)| *p == rel);
        match (result, bad) {
            (Ok(_), false) | (Err(_), true) => parsed += 1,
            (Ok(_), true) => failures.push(format!("{rel}: should have failed")),
            (Err(e), false) => failures.push(format!("{rel}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(parsed > 1000, "only {parsed} files checked");
}

#[test]
fn non_string_keys_are_rejected_with_compose_go_wording_and_position() {
    let cases = [
        (
            "inline/loader/loader/TestNonStringKeys.yaml",
            "non-string key in services: 123",
            4,
        ),
        (
            "inline/loader/loader/TestNonStringKeys_2.yaml",
            "non-string key in networks.default.ipam.config[0]: 123",
            8,
        ),
        (
            "inline/loader/loader/TestNonStringKeys_3.yaml",
            "non-string key in services.dict-env.environment: 1",
            5,
        ),
    ];
    for (rel, msg, line) in cases {
        let (path, text) = corpus_file(&format!("compose-go/{rel}"));
        let err = yaml::parse(&path, &text).err();
        let err = err.unwrap_or_else(|| panic!("{rel} should fail"));
        assert_eq!(err.kind, ErrorKind::Schema, "{rel}");
        assert!(err.to_string().contains(msg), "{rel}: {err}");
        assert_eq!(err.line, Some(line), "{rel}: {err}");
        assert_eq!(err.file.as_deref(), Some(path.as_path()));
    }
    let top = parse_err("a: 1\ntrue: x\n");
    assert!(
        top.message.contains("non-string key at top level: true"),
        "{top}"
    );
    assert_eq!(top.line, Some(2));
    let null = parse_err("services:\n  web: {}\n  null:\n    image: x\n");
    assert!(
        null.message.contains("non-string key in services: <nil>"),
        "{null}"
    );
    assert_eq!(null.line, Some(3));
}

#[test]
fn duplicate_keys_name_both_lines() {
    let (path, text) = corpus_file("compose-go/inline/loader/merge_reset/Test_DuplicateReset.yaml");
    let err = yaml::parse(&path, &text)
        .err()
        .unwrap_or_else(|| panic!("must fail"));
    assert_eq!(err.kind, ErrorKind::Syntax);
    // compose-go: `line 6: mapping key "command" already defined at line 5` (its literal
    // starts with an empty line, ours does not).
    assert!(
        err.message
            .contains("mapping key \"command\" already defined at line 4"),
        "{err}"
    );
    assert_eq!(err.line, Some(5));
    assert_eq!(err.path, Some(KeyPath::parse("services.foo.command")));
}

#[test]
fn syntax_errors_have_line_and_column_without_repeating_them() {
    let err = parse_err("services:\n  web:\n    image: [a\n");
    assert_eq!(err.kind, ErrorKind::Syntax);
    assert!(err.line.is_some() && err.column.is_some(), "{err:?}");
    let own = format!(
        " at line {} column {}",
        err.line.unwrap_or_default(),
        err.column.unwrap_or_default()
    );
    assert!(!err.message.contains(&own), "{}", err.message);
    let tab = parse_err("services:\n\tweb: {}\n");
    assert!(
        tab.hint.as_deref().unwrap_or_default().contains("tabs"),
        "{tab}"
    );
}

#[test]
fn malformed_flow_fixture_fails_with_position() {
    let (path, text) = corpus_file("compose-lens/fixtures/syntax/malformed-flow/compose.yaml");
    let err = yaml::parse(&path, &text)
        .err()
        .unwrap_or_else(|| panic!("must fail"));
    assert_eq!(err.kind, ErrorKind::Syntax);
    assert!(err.line.is_some());
    assert!(
        err.to_string().starts_with(&path.display().to_string()),
        "{err}"
    );
}

#[test]
fn alias_bombs_fail_fast() {
    for rel in [
        "inline/loader/reset/TestAliasBombPrevented.yaml",
        "inline/loader/reset/TestAliasBombPrevented_2.yaml",
        "inline/loader/reset/TestAliasNodePreservation.yaml",
    ] {
        let (path, text) = corpus_file(&format!("compose-go/{rel}"));
        let start = Instant::now();
        let err = yaml::parse(&path, &text).err();
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{rel} took {:?}",
            start.elapsed()
        );
        let err = err.unwrap_or_else(|| panic!("{rel} must fail"));
        assert_eq!(err.kind, ErrorKind::Syntax, "{rel}");
        assert!(
            err.message.contains("repetition limit exceeded"),
            "{rel}: {err}"
        );
        assert!(err.hint.is_some(), "{rel}");
    }
    // A classic billion laughs.
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!("{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n"));
    }
    let start = Instant::now();
    assert!(parse(&bomb).is_err());
    assert!(start.elapsed() < Duration::from_secs(2));
}

#[test]
fn recursive_alias_is_an_error() {
    let (path, text) = corpus_file("compose-go/inline/loader/reset/TestResetCycle_6.yaml");
    let err = yaml::parse(&path, &text)
        .err()
        .unwrap_or_else(|| panic!("must fail"));
    assert_eq!(err.kind, ErrorKind::Syntax, "{err}");
}

#[test]
fn deep_nesting_and_huge_files_are_refused() {
    let deep = format!("a: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let err = parse_err(&deep);
    assert_eq!(err.kind, ErrorKind::Syntax);
    assert!(err.message.contains("recursion limit"), "{err}");

    let huge = "#".repeat(yaml::MAX_INPUT_BYTES + 1);
    let err = parse_err(&huge);
    assert!(err.message.contains("too large"), "{err}");
}

#[test]
fn merge_keys_are_applied_recursively() {
    let v = parse_ok(
        "x-base: &base\n  image: nginx\n  restart: always\n  environment: {A: '1'}\nx-more: &more\n  <<: *base\n  restart: 'no'\nservices:\n  web:\n    <<: *more\n    image: web\n",
    );
    assert_eq!(
        v["services"]["web"],
        y("{image: web, restart: 'no', environment: {A: '1'}}")
    );
    // No `<<` key is left anywhere.
    assert!(!serde_yaml::to_string(&v).unwrap_or_default().contains("<<"));

    // A list of merges: the first mapping wins.
    let v = parse_ok("a: &a {k: 1, x: 1}\nb: &b {k: 2, y: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n");
    assert_eq!(v["c"], y("{k: 1, x: 1, y: 2, z: 3}"));

    // Merge keys nested in sequences and inside merged mappings.
    let v = parse_ok("t: &t {a: 1}\nl:\n  - <<: *t\n    b: 2\n");
    assert_eq!(v["l"][0], y("{a: 1, b: 2}"));
}

#[test]
fn corpus_merge_key_cases() {
    let dir = "compose-go/inline/loader/reset";
    let cases = [
        (
            "TestMergeKeyAliasTargets.yaml",
            "s1",
            "{image: nginx, restart: unless-stopped}",
        ),
        ("TestMergeKeyAliasTargets_2.yaml", "s1", "{image: nginx}"),
        (
            "TestMergeKeyAliasTargets_3.yaml",
            "s2",
            "{image: nginx, restart: unless-stopped}",
        ),
        (
            "TestMergeKeyAliasTargets_4.yaml",
            "s1",
            "{image: nginx, restart: unless-stopped}",
        ),
        (
            "TestResetCycle_4.yaml",
            "backend-worker",
            "{image: 'alpine:latest', restart: unless-stopped}",
        ),
        ("TestResetCycle_5.yaml", "test", "{image: alpine}"),
    ];
    for (file, svc, want) in cases {
        let (path, text) = corpus_file(&format!("{dir}/{file}"));
        let v = yaml::parse(&path, &text).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(v["services"][svc], y(want), "{file}");
    }
    let (path, text) = corpus_file(&format!("{dir}/TestResetCycle_3.yaml"));
    let v = yaml::parse(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["x-templates"]["vp0"]["environment"], y("{a: b}"));
}

#[test]
fn merge_of_a_scalar_is_rejected() {
    let (path, text) =
        corpus_file("compose-go/inline/loader/reset/TestMergeKeyAliasToScalarRejected.yaml");
    let err = yaml::parse(&path, &text)
        .err()
        .unwrap_or_else(|| panic!("must fail"));
    assert!(err.message.contains("map merge requires map"), "{err}");
    assert_eq!(err.path, Some(KeyPath::parse("services.s1.<<")));
    assert_eq!(err.line, Some(5));
    let err = parse_err("a: {x: 1}\nb:\n  <<: [{x: 1}, 3]\n");
    assert!(err.message.contains("map merge requires map"), "{err}");
}

#[test]
fn reset_and_override_tags_are_kept_for_the_merge_step() {
    let v = parse_ok("services:\n  web:\n    command: !reset null\n    ports: !override ['80:80']\n    dns: !reset\n");
    let web = &v["services"]["web"];
    for key in ["command", "ports", "dns"] {
        assert!(
            matches!(web[key], Value::Tagged(_)),
            "{key}: {:?}",
            web[key]
        );
    }
    // Tags survive aliases and merge keys.
    let (path, text) =
        corpus_file("compose-go/inline/loader/reset/TestResetTagWithSharedAlias_2.yaml");
    let v = yaml::parse(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(v["services"]["svc2"]["ports"], Value::Tagged(_)));
}

#[test]
fn other_tags_are_ignored_with_a_warning_like_compose_go() {
    let mut w = Warnings::default();
    let v = yaml::parse_with_warnings(
        Path::new("compose.yaml"),
        "services:\n  web:\n    image: !custom nginx\n    x-v: !vendor {a: [!t 1]}\n",
        &mut w,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["services"]["web"], y("{image: nginx, x-v: {a: [1]}}"));
    assert_eq!(w.0.len(), 3, "{:?}", w.0);
    assert!(
        w.0[0].starts_with("compose.yaml:3:5: services.web.image: unknown tag !custom ignored"),
        "{:?}",
        w.0
    );
    // Core-schema tags are plain values.
    assert_eq!(parse_ok("a: !!str 12\n")["a"], Value::String("12".into()));
    // The compose-lens fixtures that use vendor tags load.
    let (path, text) = corpus_file("compose-lens/fixtures/roundtrip/canonical-merged/compose.yaml");
    assert!(yaml::parse(&path, &text).is_ok());
}

#[test]
fn empty_files_are_null_and_non_mappings_are_rejected() {
    let (path, text) = corpus_file("compose-go/loader/testdata/empty.yaml");
    assert_eq!(yaml::parse(&path, &text).ok(), Some(Value::Null));
    let err = parse_err("- a\n- b\n");
    assert!(
        err.message.contains("Top-level object must be a mapping"),
        "{err}"
    );
}

#[test]
fn several_documents_merge_in_order() {
    let v = parse_ok("services:\n  app:\n    image: a\n    environment: {A: '1'}\n---\nservices:\n  app:\n    environment: {B: '2'}\n---\n");
    assert_eq!(v["services"]["app"]["image"], y("a"));
    assert_eq!(v["services"]["app"]["environment"], y("[A=1, B=2]"));
}

#[test]
fn obsolete_version_is_a_warning_and_is_dropped() {
    let mut w = Warnings::default();
    let v = yaml::parse_with_warnings(
        Path::new("compose.yaml"),
        "version: '3.8'\nservices: {}\n",
        &mut w,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(v.get("version").is_none());
    assert_eq!(w.0.len(), 1);
    assert!(
        w.0[0].contains("compose.yaml: the attribute `version` is obsolete"),
        "{:?}",
        w.0
    );
    // `parse` keeps it.
    assert!(parse_ok("version: '3'\n").get("version").is_some());
}

#[test]
fn locate_points_at_keys_and_items() {
    let text = "services:\n  web:\n    ports:\n      - 80:80\n      - 443:443\n";
    assert_eq!(
        locate::locate(text, &KeyPath::parse("services.web.ports[1]")),
        Some((5, 9))
    );
    assert_eq!(
        locate::locate(text, &KeyPath::parse("services.web.ports")),
        Some((3, 5))
    );
    assert_eq!(locate::locate(text, &KeyPath::parse("services.db")), None);
    assert_eq!(
        locate::locate_nearest(text, &KeyPath::parse("services.db")),
        Some((1, 1))
    );
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "\u{feff}services: {}\n",
        "{{{{",
        "]]]]",
        ": : :",
        "&a [*a]",
        "*unknown",
        "a: !reset",
        "? [a]\n: b\n",
        "? {a: 1}\n: b\n",
        "a:\n  - &x {b: 1}\n  - <<: *x\n",
        "<<: 5",
        "---\n---\n...\n",
        "\0",
        "a: \"\\xZZ\"",
        "%YAML 1.1\n---\na: 1\n",
        "%TAG ! tag:example.com,2000:\n---\na: !foo 1\n",
    ];
    for input in inputs {
        let _ = parse(input);
        let _ = locate::locate(input, &KeyPath::parse("a.b[0]"));
        let _ = locate::find_duplicate_key(input);
    }
}
