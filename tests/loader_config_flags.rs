//! The loader paths of `config`'s flags (`--variables`, `--no-interpolate`, label files,
//! `--no-consistency`): bad input is an error naming the file, line, column and key path.

use std::path::PathBuf;

use rcompose::loader::{load, ConfigSource, LoadError, LoadOptions};

#[allow(clippy::result_large_err)]
fn load_text(text: &str, tweak: impl FnOnce(&mut LoadOptions)) -> Result<String, LoadError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut opts = LoadOptions {
        files: vec![ConfigSource::Inline {
            name: PathBuf::from("compose.yaml"),
            text: text.to_string(),
        }],
        project_name: Some("flags".into()),
        working_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    tweak(&mut opts);
    load(&opts).map(|l| format!("{:?}", l.tree))
}

#[test]
fn a_missing_label_file_names_the_file_line_and_key() {
    let e = load_text(
        "services:\n  web:\n    image: x\n    label_file: ./nope.labels\n",
        |_| {},
    )
    .expect_err("a missing label file is an error");
    let text = e.to_string();
    assert!(text.starts_with("compose.yaml:4:"), "{text}");
    assert!(text.contains("services.web.label_file"), "{text}");
    assert!(text.contains("nope.labels not found"), "{text}");
}

#[test]
fn the_model_map_rejects_a_name_that_conflicts_with_external_name() {
    let e = load_text(
        "services:\n  web:\n    image: x\nvolumes:\n  data:\n    name: a\n    external:\n      name: b\n",
        |o| {
            o.no_interpolate = true;
            o.model_only = true;
        },
    )
    .expect_err("conflicting names");
    let text = e.to_string();
    assert!(text.starts_with("compose.yaml:5:"), "{text}");
    assert!(
        text.contains("volumes.data: name and external.name conflict; only use name"),
        "{text}"
    );
}

#[test]
fn variables_without_the_schema_still_need_mappings() {
    let e = load_text("services:\n  - web\n", |o| {
        o.no_interpolate = true;
        o.model_only = true;
        o.skip_validation = true;
    })
    .expect_err("services must be a mapping");
    let text = e.to_string();
    assert!(text.starts_with("compose.yaml:1:"), "{text}");
    assert!(
        text.contains("services: ") && text.contains("must be a mapping"),
        "{text}"
    );
}

#[test]
fn no_consistency_still_rejects_an_empty_bind_source() {
    let e = load_text(
        "services:\n  web:\n    image: x\n    volumes:\n      - type: bind\n        target: /x\n",
        |o| o.no_consistency = true,
    )
    .expect_err("empty bind source");
    let text = e.to_string();
    assert!(text.starts_with("compose.yaml:5:"), "{text}");
    assert!(text.contains("services.web.volumes[0]"), "{text}");
}

#[test]
fn a_plain_octal_mode_is_a_number_and_a_quoted_one_text() {
    let tree = load_text(
        "services:\n  web:\n    image: x\n    secrets:\n      - source: a\n        mode: 0440\n      - source: b\n        mode: \"0440\"\nsecrets:\n  a: {file: ./a}\n  b: {file: ./b}\n",
        |o| {
            o.no_interpolate = true;
            o.model_only = true;
        },
    )
    .expect("loads");
    assert!(tree.contains("Number(288)"), "{tree}");
    assert!(tree.contains("String(\"0440\")"), "{tree}");
}
