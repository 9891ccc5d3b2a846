//! The event-driven tree builder (`loader::yaml_events`) against serde_yaml, the reader it replaced:
//! on every YAML file of the shared corpus and on random documents, both must give the same tree
//! (same scalar resolution, tags, key order), and an input serde_yaml refuses must not load here
//! either unless listed below with the reason.

mod support;

use proptest::prelude::*;
use rcompose::loader::yaml_events;
use serde::Deserialize;
use serde_yaml::Value;

/// serde_yaml's reading of `text`: every document, or its first error.
fn serde_documents(text: &str) -> Result<Vec<Value>, String> {
    let mut docs = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        docs.push(Value::deserialize(doc).map_err(|e| e.to_string())?);
    }
    Ok(docs)
}

/// The non-empty documents (serde_yaml yields nothing for an empty stream, we yield `Null`).
fn non_null(docs: Vec<Value>) -> Vec<Value> {
    docs.into_iter()
        .filter(|d| !d.is_null())
        .map(|mut d| {
            octal_modes(&mut d);
            d
        })
        .collect()
}

/// The one reading where the builder leaves serde_yaml on purpose: a plain `mode: 0440` is the
/// octal number 288, as Go's decoder reads it (a quoted one stays text; serde_yaml's tree cannot
/// tell them apart). Both trees get every leading-zero `mode` as its octal number.
fn octal_modes(v: &mut Value) {
    match v {
        Value::Mapping(m) => {
            for (k, x) in m.iter_mut() {
                if k.as_str() == Some("mode") {
                    if let Some(n) = x
                        .as_str()
                        .filter(|t| t.len() > 1 && t.starts_with('0'))
                        .and_then(|t| u64::from_str_radix(t, 8).ok())
                    {
                        *x = Value::Number(n.into());
                    }
                }
                octal_modes(x);
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(octal_modes),
        Value::Tagged(t) => octal_modes(&mut t.value),
        _ => {}
    }
}

/// Inputs where libyaml (inside serde_yaml) and saphyr-parser disagree on the YAML itself, each
/// with the reason; checked both ways (a stale entry fails the test).
const PARSER_DIFFERENCES: &[(&str, &str)] = &[];

#[test]
fn corpus_trees_equal_serde_yaml_trees() {
    let dir = support::corpus_dir();
    let files = support::yaml_files(&dir);
    assert!(files.len() > 1000, "only {} YAML files found", files.len());
    let mut compared = 0;
    let mut problems = Vec::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let id = f.strip_prefix(&dir).unwrap_or(f).display().to_string();
        let known = PARSER_DIFFERENCES.iter().any(|(p, _)| *p == id);
        let ours = yaml_events::documents(&text).map(non_null);
        let theirs = serde_documents(&text).map(non_null);
        let agree = match (&ours, &theirs) {
            (Ok(a), Ok(b)) => {
                compared += 1;
                a == b
            }
            (Err(_), Err(_)) => true,
            _ => false,
        };
        if agree == known {
            problems.push(format!(
                "{id}: {} (ours: {:?}, serde_yaml: {:?})",
                if known {
                    "listed as a difference but agrees"
                } else {
                    "differs"
                },
                ours.map(|d| d.len()),
                theirs.map(|d| d.len())
            ));
        }
    }
    println!(
        "{compared} of {} YAML files compared tree for tree",
        files.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A random YAML value with the scalars compose files hold (numbers in every base and sign,
/// booleans and nulls in their spellings, words, quoted strings, tags).
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("~".to_string()),
        Just("null".to_string()),
        Just("NULL".to_string()),
        Just("true".to_string()),
        Just("False".to_string()),
        Just("yes".to_string()),
        Just(".inf".to_string()),
        Just("-.Inf".to_string()),
        Just(".nan".to_string()),
        Just("0x1F".to_string()),
        Just("-0o17".to_string()),
        Just("+0b101".to_string()),
        Just("0123".to_string()),
        Just("-0".to_string()),
        Just("1e3".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("'quoted 1'".to_string()),
        Just("\"dq\\t2\"".to_string()),
        Just("!reset 3".to_string()),
        Just("!!str 4".to_string()),
        Just("!!int '5'".to_string()),
        Just("!custom x".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        // Words start and end with a letter or digit: saphyr-parser follows YAML 1.2 and reads
        // `[:x]` and `[a:]` in flow collections (a plain scalar, a one-pair mapping), which libyaml
        // (YAML 1.1) refuses; go-yaml, which docker compose uses, accepts them too.
        "[a-z0-9]([a-z0-9._:/-]{0,6}[a-z0-9])?",
    ]
}

fn node(depth: u32) -> BoxedStrategy<String> {
    if depth == 0 {
        return scalar().boxed();
    }
    prop_oneof![
        3 => scalar(),
        1 => prop::collection::vec(node(depth - 1), 0..4)
            .prop_map(|items| format!("[{}]", items.join(", "))),
        1 => prop::collection::vec(("[a-z<]{1,3}", node(depth - 1)), 0..4)
            .prop_map(|kvs| {
                let body: Vec<String> = kvs.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}", body.join(", "))
            }),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_documents_give_serde_yaml_trees(
        items in prop::collection::vec(("[a-z]{1,4}", node(3)), 1..6),
        anchored in any::<bool>(),
    ) {
        let mut text = String::new();
        for (i, (k, v)) in items.iter().enumerate() {
            if anchored && i == 0 {
                text.push_str(&format!("{k}: &a {v}\n"));
            } else if anchored && i == 1 {
                text.push_str(&format!("{k}: *a\n"));
            } else {
                text.push_str(&format!("{k}: {v}\n"));
            }
        }
        let ours = yaml_events::documents(&text).map(non_null);
        let theirs = serde_documents(&text).map(non_null);
        match (ours, theirs) {
            (Ok(a), Ok(b)) => prop_assert_eq!(format!("{a:?}"), format!("{b:?}"), "{}", text),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "{text}\nours: {a:?}\nserde_yaml: {b:?}"),
        }
    }
}

/// Every YAML file of the corpus and of our fixtures, with its text.
fn corpus_and_fixture_texts() -> Vec<(std::path::PathBuf, String)> {
    let mut files = support::yaml_files(&support::corpus_dir());
    files.extend(support::yaml_files(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
    ));
    files
        .into_iter()
        .filter_map(|f| std::fs::read_to_string(&f).ok().map(|t| (f, t)))
        .collect()
}

#[test]
fn scanning_on_a_second_thread_builds_the_same_documents() {
    // Large files are scanned on a second thread; the same text read on one thread must give
    // the same documents, features and errors (the fixtures hold an alias bomb and syntax errors).
    let mut texts = corpus_and_fixture_texts();
    texts.push((
        "late error".into(),
        format!(
            "{}  broken: [\n",
            "services:\n".to_string() + &"  a: {}\n".repeat(5000)
        ),
    ));
    let mut compared = 0;
    for (f, text) in &texts {
        for merges in [false, true] {
            let one = yaml_events::documents_with(text, merges, false);
            let two = yaml_events::documents_with(text, merges, true);
            assert_eq!(one, two, "{} (merges: {merges})", f.display());
            compared += 1;
        }
    }
    assert!(compared > 2000, "only {compared} comparisons");
}

#[test]
fn merge_keys_resolved_while_building_equal_the_merge_key_pass() {
    // The loader resolves `<<` while building the tree where that cannot change the outcome;
    // the tree, the warnings and any error must be those of the merge-key pass alone.
    let mut texts = corpus_and_fixture_texts();
    let extra = [
        // A tag seen before the merge: left to the pass.
        "x: &b {a: !custom 1}\nservices:\n  web:\n    <<: *b\n    image: i\n",
        // A non-string key after a resolved merge.
        "x: &b {a: 1}\nservices:\n  web:\n    <<: *b\n    image: i\n  1: x\n",
        // An invalid merge value inside a merged source, and a list of sources.
        "x: &b {<<: 3}\ny:\n  <<: [*b]\n",
        "a: &a {p: 1, q: 1}\nb: &b {q: 2, r: 2}\nc: {<<: [*a, *b], p: 0}\n",
        // Nested merges through anchors.
        "a: &a {p: 1}\nb: &b {<<: *a, q: 2}\nc: {<<: *b, r: 3}\n",
        // A tagged merge value.
        "a: &a {p: 1}\nc: {<<: !reset *a}\n",
    ];
    for (i, t) in extra.iter().enumerate() {
        texts.push((format!("extra {i}").into(), t.to_string()));
    }
    let mut compared = 0;
    for (f, text) in &texts {
        let pass = rcompose::loader::yaml::parse_with_early_merges(f, text, false);
        let early = rcompose::loader::yaml::parse_with_early_merges(f, text, true);
        match (&pass, &early) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{}", f.display()),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{}", f.display()),
            _ => panic!("{}: {pass:?} vs {early:?}", f.display()),
        }
        compared += 1;
    }
    assert!(compared > 1000, "only {compared} files");
}
