//! The listings side by side with docker compose v5.6.1 (`harness::v5_bin`): on one stack that
//! rcompose brought up, `ps`, `ls`, `images`, `port` and `version` print the same columns, JSON
//! keys (in the same order) and values, except what depends on the clock (RunningFor, Status
//! `Up N seconds`, CREATED) and what v5 prints in Go's random map order (the order of Labels,
//! the order of the `images --format json` array). Fails (never skips) when v5 cannot be had.

#[path = "e2e_harness.rs"]
mod harness;

use harness::*;
use serde_json::Value;

fn stack_yaml(port: u16) -> String {
    format!(
        r#"
services:
  web:
    image: busybox:stable
    command: ["sleep", "86400"]
    ports:
      - "{port}:80"
    labels:
      tier: front
      zeta: "1"
  db:
    image: busybox:stable
    command: ["sh", "-c", "exec sleep 86400"]
    volumes:
      - data:/data
    labels:
      tier: back
volumes:
  data:
"#
    )
}

/// A `ps` JSON object with the clock-dependent values blanked and Labels sorted (v5 prints
/// them in map order).
fn normalize_ps(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        for k in ["RunningFor", "Status"] {
            if o.contains_key(k) {
                o.insert(k.into(), Value::String("<time>".into()));
            }
        }
        if let Some(Value::String(labels)) = o.get("Labels") {
            let mut l: Vec<&str> = labels.split(',').collect();
            l.sort_unstable();
            let sorted = l.join(",");
            o.insert("Labels".into(), Value::String(sorted));
        }
    }
    v
}

fn json_lines(text: &str, what: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: {e}: {l}")))
        .collect()
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The cells of a table line (columns are separated by at least three spaces).
fn cells(line: &str) -> Vec<String> {
    regex::Regex::new(r" {3,}")
        .expect("regex")
        .split(line.trim_end())
        .map(str::to_string)
        .collect()
}

/// `ps --format json` of both tools: one object per line, same keys in the same order, same
/// values once normalized.
fn same_ps_json(s: &Stack, args: &[&str]) {
    let rc_out = s.rc(args).ok().stdout();
    let v5_out = s.v5(args).ok().stdout();
    let rc_rows = json_lines(&rc_out, "rcompose ps");
    let v5_rows = json_lines(&v5_out, "v5 ps");
    assert_eq!(rc_rows.len(), v5_rows.len(), "rc:\n{rc_out}\nv5:\n{v5_out}");
    assert!(!rc_rows.is_empty());
    for (r, v) in rc_rows.into_iter().zip(v5_rows) {
        assert_eq!(keys(&r), keys(&v), "key order of ps --format json");
        assert_eq!(normalize_ps(r), normalize_ps(v), "{args:?}");
    }
}

#[test]
fn listings_match_docker_compose_v5() {
    let port = free_port();
    let s = Stack::new("v5list", &stack_yaml(port));
    s.rc(&["up", "-d"]).ok();

    // ps: JSON, one object a line.
    same_ps_json(&s, &["ps", "--format", "json"]);
    same_ps_json(&s, &["ps", "--no-trunc", "--format", "json"]);
    same_ps_json(&s, &["ps", "--format", "{{json .}}"]);

    // ps: the default table, but for the columns that follow the clock.
    let rc_table = s.rc(&["ps"]).ok().stdout();
    let v5_table = s.v5(&["ps"]).ok().stdout();
    let rc_lines: Vec<&str> = rc_table.lines().collect();
    let v5_lines: Vec<&str> = v5_table.lines().collect();
    assert_eq!(rc_lines.len(), 3, "{rc_table}");
    assert_eq!(
        rc_lines.len(),
        v5_lines.len(),
        "rc:\n{rc_table}\nv5:\n{v5_table}"
    );
    // The header's spacing follows the widest CREATED cell ("2 seconds ago" vs "10 seconds
    // ago"), which depends on when each tool ran: the column names are compared.
    assert_eq!(
        rc_lines[0].split_whitespace().collect::<Vec<_>>(),
        v5_lines[0].split_whitespace().collect::<Vec<_>>(),
        "ps header"
    );
    for (r, v) in rc_lines.iter().zip(&v5_lines).skip(1) {
        let (mut r, mut v) = (cells(r), cells(v));
        for c in [&mut r, &mut v] {
            // CREATED and STATUS.
            if c.len() > 5 {
                c[4] = String::new();
                c[5] = String::new();
            }
        }
        assert_eq!(r, v, "ps table row\nrc:\n{rc_table}\nv5:\n{v5_table}");
    }

    // ps: templates, plain and `table`, byte for byte.
    for format in [
        r#"{{.Name}}\t{{.Service}}\t{{.Image}}\t{{.Command}}\t{{.Ports}}"#,
        r#"{{.ID}} {{.Project}} {{.State}} {{.Mounts}} {{.Networks}} {{.LocalVolumes}} {{.ExitCode}} {{.Health}} {{.Size}} {{.CreatedAt}}"#,
        r#"{{.Label "tier"}} {{json .Publishers}} {{.Publishers}} {{upper .Service}} {{.Names}}"#,
        r#"table {{.Name}}\t{{.Ports}}\t{{.Label "tier"}}"#,
        r#"table {{.ID}}\t{{.Project}}\t{{.State}}\t{{.CreatedAt}}"#,
        "pretty",
    ] {
        let rc = s.rc(&["ps", "--format", format]).ok().stdout();
        let v5 = s.v5(&["ps", "--format", format]).ok().stdout();
        assert_eq!(rc, v5, "ps --format {format:?}");
    }
    for args in [
        &["ps", "-q"][..],
        &["ps", "--services"],
        &["port", "web", "80"],
    ] {
        let rc = s.rc(args).ok().stdout();
        let v5 = s.v5(args).ok().stdout();
        assert_eq!(rc, v5, "{args:?}");
    }

    // images: the table but for CREATED (it follows the clock), then the JSON.
    let rc_images = s.rc(&["images"]).ok().stdout();
    let v5_images = s.v5(&["images"]).ok().stdout();
    let drop_created = |t: &str| -> Vec<Vec<String>> {
        t.lines()
            .map(|l| {
                let mut c = cells(l);
                c.pop();
                c
            })
            .collect()
    };
    assert_eq!(
        rc_images.lines().next(),
        v5_images.lines().next(),
        "images header"
    );
    assert_eq!(
        drop_created(&rc_images),
        drop_created(&v5_images),
        "rc:\n{rc_images}\nv5:\n{v5_images}"
    );
    let rc_json = s.rc(&["images", "--format", "json"]).ok().stdout();
    let v5_json = s.v5(&["images", "--format", "json"]).ok().stdout();
    // v5 ends the array with an empty line.
    assert!(rc_json.ends_with("]\n\n"), "{rc_json:?}");
    assert!(v5_json.ends_with("]\n\n"), "{v5_json:?}");
    let sorted = |t: &str| -> Vec<Value> {
        let mut list: Vec<Value> = serde_json::from_str::<Value>(t)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default();
        list.sort_by_key(|v| v["ContainerName"].as_str().unwrap_or("").to_string());
        list
    };
    let (rc_list, v5_list) = (sorted(&rc_json), sorted(&v5_json));
    assert_eq!(rc_list.len(), 2, "{rc_json}");
    for (r, v) in rc_list.iter().zip(&v5_list) {
        assert_eq!(keys(r), keys(v), "key order of images --format json");
    }
    assert_eq!(rc_list, v5_list, "images --format json");
    assert_eq!(
        s.rc(&["images", "-q"]).ok().stdout(),
        s.v5(&["images", "-q"]).ok().stdout()
    );

    // ls: only this project's row, as cells (other tests' projects come and go meanwhile and
    // set the column widths).
    let ours = |t: &str| -> Vec<Vec<String>> {
        t.lines()
            .filter(|l| l.starts_with("NAME") || l.split(' ').next() == Some(s.project.as_str()))
            .map(cells)
            .collect()
    };
    assert_eq!(
        ours(&s.rc(&["ls"]).ok().stdout()),
        ours(&s.v5(&["ls"]).ok().stdout())
    );
    let ls_json = |t: &str| -> Vec<Value> {
        serde_json::from_str::<Value>(t)
            .ok()
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p["Name"] == s.project.as_str())
            .collect()
    };
    let rc_ls = ls_json(&s.rc(&["ls", "--format", "json"]).ok().stdout());
    let v5_ls = ls_json(&s.v5(&["ls", "--format", "json"]).ok().stdout());
    assert_eq!(rc_ls.len(), 1);
    assert_eq!(keys(&rc_ls[0]), ["Name", "Status", "ConfigFiles"]);
    assert_eq!(rc_ls, v5_ls, "ls --format json");

    // An exited container: its exit code, State and the `ps -a` listings.
    s.rc(&["stop", "-t", "0", "web"]).ok();
    same_ps_json(&s, &["ps", "-a", "--format", "json"]);
    let exited = json_lines(
        &s.rc(&["ps", "-a", "--format", "json"]).ok().stdout(),
        "ps -a",
    );
    let web = exited
        .iter()
        .find(|r| r["Service"] == "web")
        .expect("web listed by ps -a");
    assert_eq!(web["State"], "exited");
    assert_eq!(web["ExitCode"], 137);
    let args = [
        "ps",
        "-a",
        "--format",
        "{{.Name}} {{.State}} {{.ExitCode}} {{.Ports}}",
    ];
    assert_eq!(s.rc(&args).ok().stdout(), s.v5(&args).ok().stdout());
    s.rc(&["down", "-v"]).ok();
}

#[test]
fn version_has_docker_compose_v5_shapes() {
    let s = Stack::new("v5version", "services: {}\n");
    let shape = regex::Regex::new(r"^\S+( \S+)* version v\d+\.\d+\.\d+\S*\n$").expect("regex");
    let short = regex::Regex::new(r"^\d+\.\d+\.\d+\S*\n$").expect("regex");
    for (tool, run) in [
        (
            "rcompose",
            &(|a: &[&str]| s.rc(a)) as &dyn Fn(&[&str]) -> Run,
        ),
        ("v5", &|a: &[&str]| s.v5(a)),
    ] {
        let pretty = run(&["version"]).ok().stdout();
        assert!(shape.is_match(&pretty), "{tool}: {pretty:?}");
        assert_eq!(
            run(&["version", "--format", "pretty"]).ok().stdout(),
            pretty
        );
        let num = run(&["version", "--short"]).ok().stdout();
        assert!(short.is_match(&num), "{tool}: {num:?}");
        let json = run(&["version", "--format", "json"]).ok().stdout();
        let v: Value = serde_json::from_str(&json).unwrap_or(Value::Null);
        assert_eq!(keys(&v), ["version"], "{tool}: {json}");
        assert_eq!(
            v["version"].as_str().map(str::to_string),
            Some(format!("v{}", num.trim())),
            "{tool}"
        );
        assert!(pretty.ends_with(&format!(" v{num}")), "{tool}: {pretty:?}");
    }
    assert!(s
        .rc(&["version"])
        .ok()
        .stdout()
        .starts_with("rcompose version v"));
}
