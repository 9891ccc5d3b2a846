//! `loader::extends::apply_extends` against docker-compose v1's extends fixtures and
//! compose-go's extends cases.
//!
//! The callback used here only reads and parses (no interpolation, no path resolution: those
//! belong to other loader steps). docker-compose v1's fixtures use the legacy format (services at
//! the top level); the harness wraps such files in `services:` so the extends logic can be
//! exercised on them.

// `LoadError` (shared, in error.rs) is larger than clippy's `result_large_err` threshold.
#![allow(clippy::result_large_err)]

mod support;

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rcompose::loader::error::{ErrorKind, KeyPath, LoadError};
use rcompose::loader::{extends, yaml};
use serde_yaml::{Mapping, Value};

fn y(text: &str) -> Value {
    serde_yaml::from_str(text).unwrap_or_else(|e| panic!("bad test yaml {text:?}: {e}"))
}

/// Reads and parses `path`, wrapping a legacy (v1) document in `services:`.
fn read(path: &Path) -> Result<Value, LoadError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LoadError::new(ErrorKind::Io, format!("cannot read: {e}")).in_file(path))?;
    let doc = yaml::parse(path, &text)?;
    Ok(match doc {
        Value::Mapping(m) if !m.contains_key("services") => {
            let mut root = Mapping::new();
            root.insert("services".into(), Value::Mapping(m));
            Value::Mapping(root)
        }
        other => other,
    })
}

/// Loads `file` and applies extends; returns the document and the files the callback loaded.
fn extend(file: &Path) -> (Result<Value, LoadError>, Vec<PathBuf>) {
    let calls = RefCell::new(Vec::new());
    let mut doc = match read(file) {
        Ok(d) => d,
        Err(e) => return (Err(e), Vec::new()),
    };
    let mut load = |p: &Path| {
        calls.borrow_mut().push(p.to_path_buf());
        read(p)
    };
    let r = extends::apply_extends(&mut doc, file, &mut load).map(|()| doc);
    (r, calls.into_inner())
}

fn extend_ok(file: &Path) -> Value {
    match extend(file).0 {
        Ok(v) => v,
        Err(e) => panic!("{}: {e}", file.display()),
    }
}

fn extend_err(file: &Path) -> LoadError {
    match extend(file).0 {
        Ok(v) => panic!("{} should fail, got {v:?}", file.display()),
        Err(e) => e,
    }
}

fn v1(name: &str) -> PathBuf {
    support::corpus_dir()
        .join("docker-compose-v1/tests/fixtures/extends")
        .join(name)
}

fn cgo_testdata() -> PathBuf {
    support::corpus_dir().join("compose-go/loader")
}

/// Writes an inline compose-go document where its test expects it (it names testdata relative
/// to compose-go's `loader/` directory), in a temporary copy of that layout.
fn inline_in_loader_dir(inline: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(
        support::corpus_dir()
            .join("compose-go/inline/loader")
            .join(inline),
    )
    .unwrap_or_else(|e| panic!("{inline}: {e}"));
    let file = tmp.path().join("compose.yaml");
    std::fs::write(&file, text).unwrap_or_else(|e| panic!("{e}"));
    (tmp, file)
}

/// Applies extends to an inline compose-go document whose `extends.file` names are relative to
/// compose-go's `loader/` directory (the project directory of those tests).
fn extend_inline(inline: &str) -> Result<Value, LoadError> {
    let (_tmp, file) = inline_in_loader_dir(inline);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let mut doc = yaml::parse(&file, &text)?;
    let mut load = |p: &Path| read(p);
    extends::apply_extends_in(&mut doc, &file, &cgo_testdata(), &mut load).map(|()| doc)
}

// ---------------------------------------------------------------------------------------------
// docker-compose v1 fixtures

#[test]
fn v1_extends_from_another_file_merges_environment_as_a_map() {
    let doc = extend_ok(&v1("docker-compose.yml"));
    assert_eq!(
        doc["services"]["myweb"],
        y(
            r#"{image: busybox, command: top, net: bridge, links: ["mydb:db"], environment: [FOO=1, BAR=2, BAZ=2]}"#
        )
    );
    assert_eq!(doc["services"]["mydb"], y("{image: busybox, command: top}"));
}

#[test]
fn v1_nested_extends_across_files() {
    let (doc, calls) = extend(&v1("nested.yml"));
    let doc = doc.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        doc["services"]["myweb"],
        y("{image: busybox, command: /bin/true, net: host, environment: [FOO=2, BAR=2]}")
    );
    // Each file once, named relative to the file that declares the extends.
    let names: Vec<_> = calls.iter().filter_map(|c| c.file_name()).collect();
    assert_eq!(names, ["nested-intermediate.yml", "common.yml"]);
    assert!(calls.iter().all(|c| c.parent() == calls[0].parent()));
}

#[test]
fn v1_extends_in_the_same_file_both_syntaxes() {
    let doc = extend_ok(&v1("no-file-specified.yml"));
    assert_eq!(
        doc["services"]["myweb"],
        y("{image: busybox, environment: [BAZ=3, BAR=1]}")
    );
    let doc = extend_ok(&v1("verbose-and-shorthand.yml"));
    assert_eq!(
        doc["services"]["verbose"],
        y("{image: busybox, environment: [BAR=1, FOO=1]}")
    );
    assert_eq!(
        doc["services"]["shorthand"],
        y("{image: busybox, environment: [BAR=1, FOO=2]}")
    );
    assert_eq!(
        doc["services"]["base"],
        y("{image: busybox, environment: [BAR=1]}")
    );
}

#[test]
fn v1_file_naming_itself_is_not_a_cycle() {
    let doc = extend_ok(&v1("specify-file-as-self.yml"));
    assert_eq!(
        doc["services"]["myweb"],
        y("{image: busybox, environment: [YEP=1, BAZ=3, BAR=1]}")
    );
    assert_eq!(
        doc["services"]["web"],
        y("{image: busybox, environment: [YEP=1, BAZ=3]}")
    );
}

#[test]
fn v1_environment_labels_ulimits() {
    let doc = extend_ok(&v1("common-env-labels-ulimits.yml"));
    let web = &doc["services"]["web"];
    assert_eq!(web["environment"], y("[FOO=2, BAR=1, BAZ=3]"));
    assert_eq!(web["labels"], y("[label=one]"));
    assert_eq!(
        web["ulimits"],
        y("{nproc: 65535, memlock: {soft: 1024, hard: 2048}}")
    );
    assert_eq!(web["image"], y("busybox"));
}

#[test]
fn v1_healthcheck_is_inherited() {
    let doc = extend_ok(&v1("healthcheck-2.yml"));
    assert_eq!(
        doc["services"]["demo"]["healthcheck"],
        y(r#"{test: ["CMD", "/health.sh"], interval: 10s, timeout: 5s, retries: 36}"#)
    );
}

#[test]
fn v1_circular_reference_names_the_whole_chain() {
    let err = extend_err(&v1("circle-1.yml"));
    assert_eq!(err.kind, ErrorKind::Semantic);
    assert!(
        err.message
            .contains("circle-1.yml:web -> circle-2.yml:other -> circle-1.yml:web"),
        "{err}"
    );
    assert_eq!(err.path, Some(KeyPath::parse("services.web.extends")));
}

#[test]
fn v1_missing_service_names_both() {
    let err = extend_err(&v1("nonexistent-service.yml"));
    assert_eq!(err.kind, ErrorKind::Semantic);
    assert!(
        err.message.contains("cannot extend service \"web\""),
        "{err}"
    );
    assert!(err.message.contains("service \"foo\" not found"), "{err}");
    assert!(
        err.hint.as_deref().unwrap_or_default().contains("web"),
        "{err}"
    );
}

#[test]
fn missing_file_is_an_error_naming_both_files() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = tmp.path().join("compose.yaml");
    std::fs::write(
        &file,
        "services:\n  web:\n    extends: {file: nope.yaml, service: base}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let err = extend_err(&file);
    assert_eq!(err.kind, ErrorKind::Io);
    assert_eq!(err.file, Some(tmp.path().join("nope.yaml")));
    let hint = err.hint.unwrap_or_default();
    assert!(
        hint.contains("\"web\"") && hint.contains("compose.yaml"),
        "{hint}"
    );

    // A file without the service.
    std::fs::write(
        tmp.path().join("base.yaml"),
        "services:\n  other: {image: x}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        &file,
        "services:\n  web:\n    extends: {file: base.yaml, service: base}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let err = extend_err(&file);
    assert!(
        err.message.contains(
            "cannot extend service \"web\" in compose.yaml: service \"base\" not found in base.yaml"
        ),
        "{err}"
    );
    assert!(err.hint.unwrap_or_default().contains("other"));
}

/// docker-compose v1 refused to extend services with links / volumes_from / net; compose-go
/// (and so docker compose v2) inherits them, and the semantic checks judge the references.
#[test]
fn v1_only_restrictions_are_not_applied() {
    let doc = extend_ok(&v1("invalid-links.yml"));
    assert_eq!(doc["services"]["myweb"]["links"], y(r#"["mydb:db"]"#));
    let doc = extend_ok(&v1("invalid-volumes.yml"));
    assert_eq!(doc["services"]["myweb"]["volumes_from"], y("[db]"));
    let doc = extend_ok(&v1("invalid-net-v2.yml"));
    assert_eq!(doc["services"]["myweb"]["network_mode"], y("service:net"));
    // v1's schema error for the extended service is the schema validation's job.
    let doc = extend_ok(&v1("service-with-invalid-schema.yml"));
    assert_eq!(doc["services"]["myweb"], y("{command: top}"));
}

#[test]
fn every_v1_extends_fixture_is_handled_without_panic() {
    let dir = v1("");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let _ = extend(&entry.path());
        seen += 1;
    }
    assert!(seen >= 25);
}

// ---------------------------------------------------------------------------------------------
// compose-go cases

#[test]
fn compose_go_extends_chains_in_another_file() {
    let doc = extend_inline("extends/TestExtends.yaml").unwrap_or_else(|e| panic!("{e}"));
    let s = &doc["services"];
    assert_eq!(s["test1"], y("{image: base, hostname: test1}"));
    assert_eq!(s["test2"], y("{image: base, hostname: test2}"));
    // `another` extends `base` inside base.yaml.
    assert_eq!(s["test3"], y("{image: base, hostname: test3}"));
}

#[test]
fn compose_go_extends_port_ulimits_relative_file() {
    let doc = extend_inline("extends/TestExtendsPort.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        doc["services"]["test"],
        y("{image: test, ports: ['8000:8000']}")
    );
    let doc = extend_inline("extends/TestExtendsUlimits.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["services"]["test"]["ulimits"]["nproc"], y("65535"));
    // base.yaml's `with-build` extends sibling.yaml, named relative to base.yaml.
    let doc =
        extend_inline("extends/TestExtendsRelativePath.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["services"]["test"], y("{build: .}"));
}

#[test]
fn compose_go_extends_of_a_null_service_keeps_the_service() {
    let doc = extend_inline("extends/TestExtendsNil.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["services"]["test"], y("{image: test}"));
}

#[test]
fn compose_go_extends_without_service_is_an_error() {
    let err = extend_inline("extends/TestExtendsWihtMissingService.yaml").err();
    let err = err.unwrap_or_else(|| panic!("must fail"));
    assert_eq!(err.kind, ErrorKind::Schema);
    assert!(err.message.contains("extends.service is required"), "{err}");
}

#[test]
fn compose_go_reset_inside_the_base_chain() {
    let doc = extend_inline("extends/TestExtendsReset.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["services"]["test"], y("{image: 'alpine:latest'}"));
}

#[test]
fn compose_go_service_references_are_inherited() {
    for (inline, key, want) in [
        (
            "extends/TestExtendsWithServiceRef.yaml",
            "volumes_from",
            "[zot]",
        ),
        (
            "extends/TestExtendsWithServiceRef_2.yaml",
            "depends_on",
            "[zot]",
        ),
        (
            "extends/TestExtendsWithServiceRef_3.yaml",
            "ipc",
            "service:zot",
        ),
        (
            "extends/TestExtendsWithServiceRef_4.yaml",
            "network_mode",
            "service:zot",
        ),
    ] {
        let doc = extend_inline(inline).unwrap_or_else(|e| panic!("{inline}: {e}"));
        assert_eq!(doc["services"]["bar"][key], y(want), "{inline}");
        assert_eq!(doc["services"]["bar"]["image"], y("foo"), "{inline}");
    }
}

#[test]
fn compose_go_override_tag_in_an_extending_service() {
    let doc =
        extend_inline("extends/TestLoadExtendsDependsOn.yaml").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        doc["services"]["service_b"],
        y("{image: a, depends_on: [service_a]}")
    );

    let doc =
        extend_inline("override/TestOverrideSelfExtends.yaml").unwrap_or_else(|e| panic!("{e}"));
    let s = &doc["services"];
    assert_eq!(s["depend_two"], y("{image: nginx, ports: ['8091:80']}"));
    assert_eq!(s["main_two"]["depends_on"], y("[depend_two]"));
    assert_eq!(
        s["main"]["depends_on"],
        y("{depend_two: {condition: service_started, required: true}, depend_base: {condition: service_started, required: true}}")
    );
    assert_eq!(s["main"]["ports"], y("['8090:80']"));
}

#[test]
fn compose_go_extends_chain_in_one_file() {
    let doc =
        extend_inline("extends/TestLoadExtendsListener.yaml").unwrap_or_else(|e| panic!("{e}"));
    let s = &doc["services"];
    assert_eq!(s["foo"], y("{image: busybox, command: echo}"));
    assert_eq!(s["wee"], y("{image: python, command: echo}"));
    for name in ["foo", "bar", "wee", "last"] {
        assert!(s[name].get("extends").is_none(), "{name}");
    }
}

#[test]
fn compose_go_extends_in_a_subdirectory_file() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let inline = support::corpus_dir().join("compose-go/inline/loader/extends");
    std::fs::create_dir(tmp.path().join("sub")).unwrap_or_else(|e| panic!("{e}"));
    let copy = |from: &str, to: &str| {
        let text = std::fs::read_to_string(inline.join(from)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.path().join(to), text).unwrap_or_else(|e| panic!("{e}"));
    };
    copy("TestLoadExtendsSameFile.yaml", "sub/compose.yaml");
    copy("TestLoadExtendsSameFile_2.yaml", "compose.yaml");
    let (doc, calls) = extend(&tmp.path().join("compose.yaml"));
    let doc = doc.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["services"]["out-base"], y("{build: {context: ..}}"));
    assert_eq!(
        doc["services"]["out-service"],
        y("{build: {context: .., target: target}}")
    );
    // sub/compose.yaml is loaded once for both services.
    assert_eq!(calls, vec![tmp.path().join("sub/compose.yaml")]);
}

#[test]
fn self_extension_and_two_file_cycles_are_reported() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = tmp.path().join("compose.yaml");
    std::fs::write(&file, "services:\n  a:\n    extends: a\n").unwrap_or_else(|e| panic!("{e}"));
    let err = extend_err(&file);
    assert!(
        err.message.contains("compose.yaml:a -> compose.yaml:a"),
        "{err}"
    );

    std::fs::write(
        &file,
        "services:\n  a: {extends: b}\n  b: {extends: c}\n  c: {extends: a}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let err = extend_err(&file);
    assert!(
        err.message
            .contains("compose.yaml:a -> compose.yaml:b -> compose.yaml:c -> compose.yaml:a"),
        "{err}"
    );
}

#[test]
fn non_mapping_services_and_extends_are_errors_not_panics() {
    for text in [
        "services: []\n",
        "services:\n  a: 3\n  b: {extends: a}\n",
        "services:\n  b: {extends: [a]}\n",
        "services:\n  b: {extends: {service: 3}}\n",
        "services:\n  b: {extends: {service: a, file: 3}}\n",
    ] {
        let mut doc = y(text);
        let mut load = |p: &Path| read(p);
        let r = extends::apply_extends(&mut doc, Path::new("compose.yaml"), &mut load);
        assert!(r.is_err(), "{text}");
    }
    // No services at all: nothing to do.
    let mut doc = y("name: x\n");
    let mut load = |p: &Path| read(p);
    assert!(extends::apply_extends(&mut doc, Path::new("c.yaml"), &mut load).is_ok());
}

#[test]
fn compose_go_override_tag_through_a_merge_key_and_extends() {
    let path = support::corpus_dir()
        .join("compose-go/inline/loader/loader_yaml/TestParseYAMLFilesMergeOverride.yaml");
    let (doc, calls) = extend(&path);
    let doc = doc.unwrap_or_else(|e| panic!("{e}"));
    assert!(calls.is_empty());
    let want = y("[{source: credentials, target: /literally-anywhere-else}]");
    assert_eq!(
        doc["services"]["x"],
        y("configs: [{source: credentials, target: /literally-anywhere-else}]")
    );
    assert_eq!(doc["services"]["y"]["configs"], want);
    assert_eq!(
        doc["services"]["base"]["configs"],
        y("[{source: credentials, target: /credentials/file1}]")
    );
}
