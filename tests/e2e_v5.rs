//! Side by side with docker compose v5.6.1 (the yardstick, `harness::v5_bin`): the same input
//! gives the same exit code, and the deprecated global flags v5 still accepts are accepted with
//! its warning. Fails (never skips) when v5 cannot be had.

#[path = "e2e_harness.rs"]
mod harness;

use harness::*;

const STACK: &str = r#"
services:
  web:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
"#;

#[test]
fn exit_codes_match_docker_compose_v5() {
    let s = Stack::new("v5codes", STACK);
    std::fs::write(
        s.dir.path().join("bad.yaml"),
        "services:\n  web:\n    image: 3\n",
    )
    .expect("write bad.yaml");
    let bad = s.dir.path().join("bad.yaml").display().to_string();
    let missing = s.dir.path().join("missing.yaml").display().to_string();
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("unknown flag", vec!["up", "--no-such-flag"]),
        ("unknown command", vec!["frobnicate"]),
        (
            "incompatible flags",
            vec!["up", "--force-recreate", "--no-recreate"],
        ),
        ("unknown service for up", vec!["up", "-d", "nosuch"]),
        ("unknown service for config", vec!["config", "nosuch"]),
        ("invalid compose file", vec!["-f", &bad, "config"]),
        ("missing compose file", vec!["-f", &missing, "config"]),
        ("help", vec!["--help"]),
        ("config", vec!["config", "-q"]),
        ("ps of nothing", vec!["ps"]),
    ];
    let mut differ = Vec::new();
    for (what, args) in &cases {
        let ours = s.rc(args);
        let theirs = s.v5(args);
        if ours.code() != theirs.code() {
            differ.push(format!(
                "{what} ({}): rcompose {} / v5 {}\n  rcompose: {}\n  v5: {}",
                args.join(" "),
                ours.code(),
                theirs.code(),
                ours.stderr().trim(),
                theirs.stderr().trim()
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "exit codes differ:\n{}",
        differ.join("\n")
    );
}

#[test]
fn deprecated_global_flags_are_accepted_with_v5s_warning() {
    let s = Stack::new("v5flags", STACK);
    let dir = s.dir.path().display().to_string();
    let cases: Vec<(Vec<&str>, Option<&str>)> = vec![
        (
            vec!["--no-ansi", "ps"],
            Some("option '--no-ansi' is DEPRECATED"),
        ),
        (
            vec!["--workdir", &dir, "ps"],
            Some("option '--workdir' is DEPRECATED at root level"),
        ),
        (vec!["--verbose", "ps"], None),
        (vec!["--compatibility", "ps"], None),
    ];
    for (args, warning) in cases {
        let ours = s.rc(&args).ok();
        let theirs = s.v5(&args).ok();
        if let Some(w) = warning {
            assert!(
                theirs.stderr().contains(w),
                "v5 {args:?}: {}",
                theirs.stderr()
            );
            assert!(
                ours.stderr().contains(w),
                "rcompose {args:?}: {}",
                ours.stderr()
            );
        }
        assert_eq!(
            ours.stdout(),
            theirs.stdout(),
            "{args:?}: ps of an empty project"
        );
    }
}

#[test]
fn ps_table_lays_out_like_docker_compose_v5() {
    let s = Stack::new("v5ps", STACK);
    s.rc(&["up", "-d"]).ok();
    let ours = s.rc(&["ps"]).ok().stdout();
    let theirs = s.v5(&["ps"]).ok().stdout();
    // The columns before CREATED do not depend on time: same text at the same places.
    let upto = |out: &str| -> Vec<String> {
        let at = out
            .lines()
            .next()
            .and_then(|h| h.find("CREATED"))
            .unwrap_or(0);
        out.lines().map(|l| l.chars().take(at).collect()).collect()
    };
    assert_eq!(
        upto(&ours),
        upto(&theirs),
        "rcompose:\n{ours}\nv5:\n{theirs}"
    );
    // The whole layout: the same headers, and every row as long as v5's up to the time cells.
    let words = |out: &str| -> Vec<String> {
        out.lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from)
            .collect()
    };
    assert_eq!(words(&ours), words(&theirs));
    assert!(
        theirs.lines().nth(1).is_some_and(|l| l.ends_with("   ")),
        "v5 pads the empty PORTS cell: {theirs:?}"
    );
    assert!(
        ours.lines().nth(1).is_some_and(|l| l.ends_with("   ")),
        "rcompose pads the empty PORTS cell as v5 does: {ours:?}"
    );
}
