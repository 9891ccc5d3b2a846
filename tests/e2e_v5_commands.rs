//! The commands of issue 11 item 4 (`volumes`, `scale`, `start --wait`, `run --env-file`...)
//! against the real engine, side by side with docker compose v5.6.1 (`harness::v5_bin`) where
//! their output is comparable. Fails (never skips) when the engine or v5 cannot be had.

#[path = "e2e_harness.rs"]
mod harness;

use harness::*;
use serde_json::Value;

/// A JSON line with its `Labels` sorted (docker prints them in Go's random map order).
fn sorted_labels(line: &str) -> Value {
    let mut v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    if let Some(Value::String(labels)) = v.get("Labels") {
        let mut l: Vec<&str> = labels.split(',').collect();
        l.sort_unstable();
        let sorted = l.join(",");
        v["Labels"] = Value::String(sorted);
    }
    v
}

/// The lines of an output, sorted: the engine lists volumes in no stable order (two calls of
/// one tool can differ), so the lines are compared as sets, each byte for byte.
fn sorted_lines(text: &str) -> Vec<String> {
    let mut l: Vec<String> = text.lines().map(str::to_string).collect();
    l.sort();
    l
}

const VOLUMES_YAML: &str = r#"
services:
  a:
    image: busybox:latest
    command: ["sleep", "86400"]
    volumes: [data:/data, other:/other]
  b:
    image: busybox:latest
    command: ["sleep", "86400"]
    volumes: [data:/data]
  c:
    image: busybox:latest
    command: ["sleep", "86400"]
volumes:
  data:
    labels: {tier: back}
  other:
"#;

#[test]
fn volumes_lists_as_docker_compose_v5() {
    let s = Stack::new("v5vols", VOLUMES_YAML);
    s.rc(&["up", "-d"]).ok();
    let pairs: [&[&str]; 8] = [
        &["volumes"],
        &["volumes", "-q"],
        &["volumes", "b"],
        &["volumes", "-q", "a"],
        &["volumes", "c"],
        &[
            "volumes",
            "--format",
            "table {{.Name}}\t{{.Scope}}\t{{.Mountpoint}}",
        ],
        &[
            "volumes",
            "--format",
            r#"{{.Name}} {{.Driver}} {{.Label "tier"}} {{.Links}} {{.Size}}"#,
        ],
        &["volumes", "--format", "{{json .Name}}"],
    ];
    for args in pairs {
        let rc = s.rc(args).ok().stdout();
        let v5 = s.v5(args).ok().stdout();
        assert_eq!(
            sorted_lines(&rc),
            sorted_lines(&v5),
            "{args:?}\nrc:\n{rc}\nv5:\n{v5}"
        );
    }
    assert_eq!(s.rc(&["volumes", "-q"]).ok().stdout().lines().count(), 2);
    assert_eq!(
        s.rc(&["volumes", "-q", "b"]).ok().stdout().trim(),
        format!("{}_data", s.project)
    );
    // JSON: one object a line, same keys in the same order, same values (labels sorted).
    let rc = s.rc(&["volumes", "--format", "json"]).ok().stdout();
    let v5 = s.v5(&["volumes", "--format", "json"]).ok().stdout();
    let rc: Vec<Value> = sorted_lines(&rc).iter().map(|l| sorted_labels(l)).collect();
    let v5: Vec<Value> = sorted_lines(&v5).iter().map(|l| sorted_labels(l)).collect();
    assert_eq!(rc.len(), 2);
    assert_eq!(rc, v5);
    let keys = |v: &Value| v.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
    assert_eq!(keys(&rc[0]), keys(&v5[0]));
    // A bad template fails with exit 1, naming the field.
    let bad = s.rc(&["volumes", "--format", "{{.Nope}}"]).code_is(1);
    assert!(bad.stderr().contains("Nope"), "{}", bad.stderr());
}
