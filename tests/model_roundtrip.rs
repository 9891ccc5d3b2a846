//! Every complete `docker compose config` output in the corpus reads into `model::Project` and
//! prints back identically: as parsed YAML values, and as text where the source is a real
//! `docker compose config` run (so key order and quoting are proven too).

mod support;

use std::fs;
use std::path::Path;

use rcompose::model::Project;

fn parse_yaml(text: &str) -> serde_yaml::Value {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("corpus YAML does not parse: {e}"))
}

fn load(text: &str, what: &str) -> Project {
    Project::from_value(parse_yaml(text)).unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Asserts `ours` and `expected` are the same document once parsed (key order aside).
fn assert_same_value(ours: &str, expected: &str, what: &str) {
    let a = parse_yaml(ours);
    let b = parse_yaml(expected);
    assert_eq!(
        a, b,
        "{what}: documents differ as values\n--- ours\n{ours}\n--- expected\n{expected}"
    );
}

fn assert_same_text(ours: &str, expected: &str, what: &str) {
    if ours != expected {
        let diff: Vec<String> = ours
            .lines()
            .zip(expected.lines())
            .enumerate()
            .filter(|(_, (a, b))| a != b)
            .take(5)
            .map(|(i, (a, b))| format!("line {}: ours {a:?} expected {b:?}", i + 1))
            .collect();
        let counts = format!(
            "ours: {} lines, {} bytes; expected: {} lines, {} bytes",
            ours.lines().count(),
            ours.len(),
            expected.lines().count(),
            expected.len()
        );
        panic!(
            "{what}: text differs ({counts})\n{}\n--- ours\n{ours}\n--- expected\n{expected}",
            diff.join("\n")
        );
    }
}

/// `text` with each service's top-level keys (each with the lines under it) sorted, everything
/// else as it was: for outputs of docker compose versions that printed a service's keys in
/// compose-go's struct order. rcompose prints them in docker compose v5.6.1's order, which
/// tests/v5_hash.rs proves against v5 itself; here quoting, nesting and every other order are
/// still compared as text. `key_indent` is the column of a service's keys (4 in YAML, 6 in
/// JSON); in JSON a chunk's trailing comma is dropped, as it depends on the chunk's place.
fn service_keys_sorted(text: &str, key_indent: usize) -> String {
    let json = key_indent == 6;
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut out: Vec<String> = Vec::new();
    let mut chunks: Vec<Vec<String>> = Vec::new();
    let mut inside = false;
    let flush = |chunks: &mut Vec<Vec<String>>, out: &mut Vec<String>| {
        chunks.sort();
        out.extend(chunks.drain(..).flatten());
    };
    for line in text.lines() {
        let starts = if json {
            line == "  \"services\": {"
        } else {
            line == "services:"
        };
        if starts {
            inside = true;
            out.push(line.to_string());
            continue;
        }
        let i = indent(line);
        if inside && !line.trim().is_empty() && i >= key_indent {
            if i == key_indent {
                chunks.push(Vec::new());
            }
            if let Some(chunk) = chunks.last_mut() {
                chunk.push(line.to_string());
                continue;
            }
        }
        flush(&mut chunks, &mut out);
        if i < 2 || (json && i == 2) {
            inside = false;
        }
        out.push(line.to_string());
    }
    flush(&mut chunks, &mut out);
    if json {
        for l in out.iter_mut() {
            if let Some(x) = l.strip_suffix(',') {
                *l = x.to_string();
            }
        }
    }
    out.join("\n")
}

/// [`assert_same_text`] with each service's keys in any order (see [`service_keys_sorted`]).
fn assert_same_text_any_service_key_order(ours: &str, expected: &str, what: &str) {
    let indent = if expected.trim_start().starts_with('{') {
        6
    } else {
        4
    };
    assert_same_text(
        &service_keys_sorted(ours, indent),
        &service_keys_sorted(expected, indent),
        what,
    );
}

fn records_dir() -> std::path::PathBuf {
    support::corpus_dir().join("compose-lens/conformance/records/provider-config-2026-07-31")
}

fn successful_records(provider: &str) -> Vec<(String, String)> {
    let dir = records_dir().join(provider);
    let mut out = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let record = fs::read_to_string(entry.path().join("record.toml")).unwrap_or_default();
        if !record.contains("probe_success = true") {
            continue;
        }
        let stdout = fs::read_to_string(entry.path().join("probe.stdout")).unwrap_or_default();
        out.push((entry.file_name().to_string_lossy().into_owned(), stdout));
    }
    out
}

/// docker compose 2.40+ prints `config --no-interpolate` as a plain map: every key sorted.
fn check_sorted_records(provider: &str) {
    let records = successful_records(provider);
    assert!(!records.is_empty(), "no successful records for {provider}");
    for (probe, expected) in records {
        let what = format!("{provider}/{probe}");
        let project = load(&expected, &what);
        let ours = project.to_yaml_sorted();
        assert_same_value(&ours, &expected, &what);
        assert_same_text(&ours, &expected, &what);
    }
}

#[test]
fn docker_compose_5_3_1_records_round_trip() {
    check_sorted_records("docker-compose-5-3-1");
}

#[test]
fn docker_compose_2_40_3_records_round_trip() {
    check_sorted_records("docker-compose-2-40-3");
}

/// docker compose 2.24 printed the typed project even with `--no-interpolate`: struct field order
/// (v5.6.1 prints a service's keys in another order, so those are compared in any order, and
/// leaves out the default `create_host_path: true`).
#[test]
fn docker_compose_2_24_records_round_trip_in_struct_order() {
    for provider in ["docker-compose-2-24-3", "docker-compose-2-24-4"] {
        let records = successful_records(provider);
        assert!(!records.is_empty(), "no successful records for {provider}");
        for (probe, expected) in records {
            let what = format!("{provider}/{probe}");
            let project = load(&expected, &what);
            let ours = project.to_yaml();
            // 2.24 printed the default `bind.create_host_path: true`; v5.6.1 leaves it out.
            let expected = expected.replace("\n          create_host_path: true", "");
            assert_same_value(&ours, &expected, &what);
            assert_same_text_any_service_key_order(&ours, &expected, &what);
        }
    }
}

/// The `%s` placeholders of docker/compose's e2e expectations, filled in order.
fn fill(template: &str, args: &[&str]) -> String {
    let mut out = String::new();
    let mut rest = template;
    let mut i = 0;
    while let Some(pos) = rest.find("%s") {
        out.push_str(&rest[..pos]);
        out.push_str(args.get(i).copied().unwrap_or("x"));
        i += 1;
        rest = &rest[pos + 2..];
    }
    out.push_str(rest);
    out
}

fn e2e_expected(test: &str) -> String {
    let path = support::corpus_dir().join("docker-compose-v2/expected/e2e_config_checks.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let checks: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let check = checks
        .as_array()
        .and_then(|a| a.iter().find(|c| c["test"] == test))
        .unwrap_or_else(|| panic!("no {test} in e2e_config_checks.json"));
    check["expected_substrings"][0]
        .as_str()
        .expect("a string")
        .to_string()
}

#[test]
fn e2e_test_config_round_trips_in_struct_order() {
    let expected = fill(
        &e2e_expected("compose_test.go:TestConfig"),
        &["config-e2e", "/work/testdata/TestConfig", "config-e2e"],
    );
    let project = load(&expected, "TestConfig");
    assert_eq!(project.name, "config-e2e");
    let ours = project.to_yaml();
    assert_same_value(&ours, &expected, "TestConfig");
    // docker/compose's e2e expectation has `build` before `networks`; the v5.6.1 binary prints
    // `networks` first (tests/v5_hash.rs), so a service's keys are compared in any order.
    assert_same_text_any_service_key_order(&ours, &expected, "TestConfig");
}

#[test]
fn e2e_test_config_interpolate_round_trips_sorted() {
    let expected = fill(
        &e2e_expected("compose_test.go:TestConfigInterpolate"),
        &[
            "config-e2e",
            "config-e2e",
            "/work/testdata/TestConfigInterpolate",
        ],
    );
    let project = load(&expected, "TestConfigInterpolate");
    let ours = project.to_yaml_sorted();
    assert_same_value(&ours, &expected, "TestConfigInterpolate");
    assert_same_text(&ours, &expected, "TestConfigInterpolate");
}

fn full_example(file: &str) -> String {
    let path: std::path::PathBuf = support::corpus_dir()
        .join("compose-go/full-example@v2.10.1/expected")
        .join(file);
    fs::read_to_string(Path::new(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// compose-go's full example, marshalled by compose-go itself (yaml.v3, indent 2, struct order).
#[test]
fn full_example_yaml_round_trips_as_text() {
    let expected = full_example("full-example.expected.yaml");
    let project = load(&expected, "full-example");
    let ours = project.to_yaml();
    assert_same_value(&ours, &expected, "full-example");
    // The corpus file was extracted from a Go raw string that ends with an empty line; the
    // encoder's own output ends with a single newline, so compare up to that one newline.
    let expected_text = format!("{}\n", expected.trim_end_matches('\n'));
    assert_same_text_any_service_key_order(&ours, &expected_text, "full-example");
}

/// The same project as compose-go's `MarshalJSON` prints it.
#[test]
fn full_example_json_matches_compose_go() {
    let expected = full_example("full-example.expected.json");
    let project = load(&full_example("full-example.expected.yaml"), "full-example");
    let ours = project.to_json();
    let a: serde_json::Value = serde_json::from_str(&ours).expect("our JSON parses");
    let b: serde_json::Value = serde_json::from_str(&expected).expect("expected JSON parses");
    assert_eq!(a, b, "--- ours\n{ours}");
    assert_same_text_any_service_key_order(&ours, expected.trim_end(), "full-example json");
}

/// Reading our own output gives the same project back.
#[test]
fn printed_projects_read_back_equal() {
    let expected = full_example("full-example.expected.yaml");
    let project = load(&expected, "full-example");
    let again = load(&project.to_yaml(), "full-example reprinted");
    assert_eq!(project, again);
    let from_json: serde_yaml::Value =
        serde_yaml::from_str(&project.to_json()).expect("JSON is YAML");
    let again = Project::from_value(from_json).expect("JSON output reads back");
    assert_eq!(project.services.len(), again.services.len());
}
