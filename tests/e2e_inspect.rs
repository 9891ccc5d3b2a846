//! End-to-end: `top`, `events`, `cp` and `wait` against the real Docker engine, checked with the
//! docker CLI. Every test has its own project (removed on drop, even on failure); a missing
//! engine fails them.

#[path = "e2e_harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use harness::*;

const SLEEPERS: &str = r#"
services:
  web:
    image: busybox:stable
    command: ["sleep", "86400"]
    stop_grace_period: 1s
    scale: 2
"#;

fn cat(container: &str, path: &str) -> Option<String> {
    docker_try(&["exec", container, "cat", path]).map(|s| s.trim().to_string())
}

/// Sends SIGINT to a running rcompose and returns its exit code.
fn interrupt(child: &mut Child) -> Option<i32> {
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    wait_within(child, "rcompose (after Ctrl-C)").code()
}

/// The entries of a tar archive: name (without `./` or a trailing `/`) -> file content.
fn tar_entries(tar: &[u8]) -> BTreeMap<String, Option<String>> {
    let mut out = BTreeMap::new();
    let mut archive = tar::Archive::new(tar);
    for entry in archive.entries().expect("a tar archive") {
        let mut entry = entry.expect("tar entry");
        let name = entry.path().expect("name").to_string_lossy().into_owned();
        let name = name
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_string();
        let content = entry.header().entry_type().is_file().then(|| {
            let mut text = String::new();
            entry.read_to_string(&mut text).expect("content");
            text
        });
        out.insert(name, content);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// top
// ---------------------------------------------------------------------------------------------

#[test]
fn top_lists_sleep_with_its_pid_in_each_container() {
    let s = Stack::new("top", SLEEPERS);
    s.rc(&["up", "-d"]).ok();
    let out = s.rc(&["top"]).ok().stdout();
    for n in [1, 2] {
        let name = format!("{}-web-{n}", s.project);
        let pid = s.inspect(&name, "{{.State.Pid}}");
        let block: Vec<&str> = out
            .split("\n\n")
            .find(|b| b.lines().next() == Some(name.as_str()))
            .unwrap_or_else(|| panic!("no block for {name} in\n{out}"))
            .lines()
            .collect();
        let header: Vec<&str> = block[1].split_whitespace().collect();
        assert_eq!(
            header,
            ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
            "{out}"
        );
        assert!(
            block[2..].iter().any(|row| {
                let cols: Vec<&str> = row.split_whitespace().collect();
                cols.get(1) == Some(&pid.as_str()) && row.trim_end().ends_with("sleep 86400")
            }),
            "no `sleep 86400` with PID {pid} for {name}:\n{out}"
        );
    }
    // A named service only, and an unknown one named in the error.
    let web = s.rc(&["top", "web"]).ok().stdout();
    assert!(web.contains(&format!("{}-web-2", s.project)), "{web}");
    let r = s.rc(&["top", "nope"]).code_is(1);
    assert!(
        r.stderr().contains("no such service: nope"),
        "{}",
        r.stderr()
    );
}

// ---------------------------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------------------------

/// Starts `rcompose events ARGS` writing to a file; returns the child and the file.
fn spawn_events(s: &Stack, args: &[&str], name: &str) -> (Child, std::path::PathBuf) {
    let path = s.dir.path().join(name);
    let file = fs::File::create(&path).expect("events output file");
    let child = s
        .rc_command(args)
        .stdout(Stdio::from(file))
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn rcompose events");
    (child, path)
}

#[test]
fn events_prints_a_start_event_for_a_restarted_container_and_json_parses() {
    let s = Stack::new("events", SLEEPERS);
    s.rc(&["up", "-d"]).ok();
    let name = format!("{}-web-1", s.project);
    let id = s.inspect(&name, "{{.Id}}");
    let (mut text, text_path) = spawn_events(&s, &["events"], "events.txt");
    let (mut json, json_path) = spawn_events(&s, &["events", "--json", "web"], "events.json");
    let start_line = |body: &str| {
        body.lines()
            .any(|l| l.contains(&format!(" container start {id} (")))
    };
    // The subscription starts when the command runs: restart until the start is reported.
    let mut seen = false;
    for _ in 0..10 {
        docker(&["restart", "-t", "1", &name]);
        seen = eventually(Duration::from_secs(5), || {
            let t = fs::read_to_string(&text_path).unwrap_or_default();
            let j = fs::read_to_string(&json_path).unwrap_or_default();
            start_line(&t) && j.contains("\"action\":\"start\"")
        });
        if seen {
            break;
        }
    }
    let text_code = interrupt(&mut text);
    let json_code = interrupt(&mut json);
    let body = fs::read_to_string(&text_path).unwrap_or_default();
    let jbody = fs::read_to_string(&json_path).unwrap_or_default();
    assert!(seen, "no start event\n--- text\n{body}\n--- json\n{jbody}");
    assert_eq!(text_code, Some(130), "{body}");
    assert_eq!(json_code, Some(130), "{jbody}");

    // `<YYYY-MM-DD HH:MM:SS.ffffff> container start <id> (image=..., name=...)`
    let line = body.lines().find(|l| start_line(l)).expect("start line");
    let re = regex::Regex::new(
        r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} container start [0-9a-f]{64} \((.*)\)$",
    )
    .expect("regex");
    let caps = re
        .captures(line)
        .unwrap_or_else(|| panic!("bad line {line:?}"));
    let attrs = &caps[1];
    assert!(attrs.contains("image=busybox:stable"), "{line}");
    assert!(attrs.contains(&format!("name={name}")), "{line}");
    assert!(!attrs.contains("com.docker.compose."), "{line}");

    let mut starts = 0;
    for l in jbody.lines() {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?} is not JSON: {e}"));
        let keys: Vec<&String> = v.as_object().expect("an object").keys().collect();
        assert_eq!(
            keys,
            ["action", "attributes", "id", "service", "time", "type"],
            "{l}"
        );
        assert_eq!(v["type"], "container");
        assert_eq!(v["service"], "web", "only web was asked for: {l}");
        if v["action"] == "start" && v["id"] == id.as_str() {
            starts += 1;
            assert_eq!(v["attributes"]["name"], name.as_str());
            assert!(v["time"].as_str().is_some_and(|t| t.contains('T')), "{l}");
        }
    }
    assert!(starts >= 1, "{jbody}");
}

// ---------------------------------------------------------------------------------------------
// cp
// ---------------------------------------------------------------------------------------------

/// A local tree: src/a.txt, src/sub/b.txt.
fn local_tree(root: &Path) {
    fs::create_dir_all(root.join("src/sub")).expect("mkdir");
    fs::write(root.join("src/a.txt"), "alpha").expect("write");
    fs::write(root.join("src/sub/b.txt"), "beta").expect("write");
}

#[test]
fn cp_copies_files_and_directories_both_ways_with_docker_rules() {
    let s = Stack::new("cp", SLEEPERS);
    s.rc(&["up", "-d"]).ok();
    let dir = s.dir.path();
    local_tree(dir);
    let (web1, web2) = (
        format!("{}-web-1", s.project),
        format!("{}-web-2", s.project),
    );

    // A directory into an existing directory: under its own name, in every replica.
    s.rc(&["cp", "src", "web:/tmp"]).ok();
    for c in [&web1, &web2] {
        assert_eq!(cat(c, "/tmp/src/a.txt").as_deref(), Some("alpha"));
        assert_eq!(cat(c, "/tmp/src/sub/b.txt").as_deref(), Some("beta"));
    }
    // `src/.` to a new path: the path becomes a copy; to an existing one: the contents land in it.
    s.rc(&["cp", "src/.", "web:/tmp/flat"]).ok();
    assert_eq!(cat(&web1, "/tmp/flat/a.txt").as_deref(), Some("alpha"));
    fs::write(dir.join("src/c.txt"), "gamma").expect("write");
    s.rc(&["cp", "src/.", "web:/tmp/flat"]).ok();
    assert_eq!(cat(&web1, "/tmp/flat/c.txt").as_deref(), Some("gamma"));
    assert_eq!(cat(&web1, "/tmp/flat/src/a.txt"), None, "src/. nested");
    // `src` onto an existing directory nests; to a new path it becomes that path.
    s.rc(&["cp", "src", "web:/tmp/flat"]).ok();
    assert_eq!(cat(&web1, "/tmp/flat/src/c.txt").as_deref(), Some("gamma"));
    s.rc(&["cp", "src", "web:/tmp/renamed"]).ok();
    assert_eq!(
        cat(&web2, "/tmp/renamed/sub/b.txt").as_deref(),
        Some("beta")
    );
    // Files: into a directory under their name, or to a new name.
    s.rc(&["cp", "src/a.txt", "web:/tmp/"]).ok();
    s.rc(&["cp", "src/a.txt", "web:/tmp/other.txt"]).ok();
    assert_eq!(cat(&web2, "/tmp/a.txt").as_deref(), Some("alpha"));
    assert_eq!(cat(&web2, "/tmp/other.txt").as_deref(), Some("alpha"));

    // Out of the service (its first container).
    docker(&["exec", &web1, "sh", "-c", "echo one > /tmp/src/who"]);
    docker(&["exec", &web2, "sh", "-c", "echo two > /tmp/src/who"]);
    fs::create_dir_all(dir.join("out")).expect("mkdir");
    s.rc(&["cp", "web:/tmp/src", "out"]).ok();
    assert_eq!(
        fs::read_to_string(dir.join("out/src/sub/b.txt"))
            .ok()
            .as_deref(),
        Some("beta")
    );
    assert_eq!(
        fs::read_to_string(dir.join("out/src/who")).ok().as_deref(),
        Some("one\n")
    );
    s.rc(&["cp", "web:/tmp/src/.", "out/contents"]).ok();
    assert_eq!(
        fs::read_to_string(dir.join("out/contents/a.txt"))
            .ok()
            .as_deref(),
        Some("alpha")
    );
    s.rc(&["cp", "web:/tmp/src/.", "out"]).ok();
    assert_eq!(
        fs::read_to_string(dir.join("out/a.txt")).ok().as_deref(),
        Some("alpha")
    );
    s.rc(&["cp", "web:/tmp/other.txt", "out/sub-file.txt"]).ok();
    assert_eq!(
        fs::read_to_string(dir.join("out/sub-file.txt"))
            .ok()
            .as_deref(),
        Some("alpha")
    );
    s.rc(&["cp", "--index", "2", "web:/tmp/src/who", "out/"])
        .ok();
    assert_eq!(
        fs::read_to_string(dir.join("out/who")).ok().as_deref(),
        Some("two\n")
    );

    // Errors name the path or the service, and say what to do.
    let r = s.rc(&["cp", "web:/tmp/nope", "out"]).code_is(1);
    assert!(
        r.stderr().contains("/tmp/nope") && r.stderr().contains("no such file"),
        "{}",
        r.stderr()
    );
    let r = s.rc(&["cp", "missing.txt", "web:/tmp"]).code_is(1);
    assert!(
        r.stderr().contains("missing.txt") && r.stderr().contains("no such file"),
        "{}",
        r.stderr()
    );
    let r = s.rc(&["cp", "src/a.txt", "web:/tmp/nodir/"]).code_is(1);
    assert!(
        r.stderr().contains("/tmp/nodir/") && r.stderr().contains("does not exist"),
        "{}",
        r.stderr()
    );
    let r = s.rc(&["cp", "src", "web:/tmp/a.txt"]).code_is(1);
    assert!(r.stderr().contains("onto the file"), "{}", r.stderr());
    let r = s.rc(&["cp", "web:/tmp/src", "nodir/deeper/x"]).code_is(1);
    assert!(
        r.stderr().contains("nodir/deeper") && r.stderr().contains("does not exist"),
        "{}",
        r.stderr()
    );
    let r = s.rc(&["cp", "src", "nosuch:/tmp"]).code_is(1);
    assert!(
        r.stderr().contains("no such service: nosuch"),
        "{}",
        r.stderr()
    );
    let r = s.rc(&["cp", "src", "out"]).code_is(1);
    assert!(r.stderr().contains("SERVICE:PATH"), "{}", r.stderr());
    let r = s.rc(&["cp", "web:/a", "web:/b"]).code_is(1);
    assert!(r.stderr().contains("between services"), "{}", r.stderr());
}

#[test]
fn cp_index_and_all_choose_the_containers() {
    let s = Stack::new("cpidx", SLEEPERS);
    s.rc(&["up", "-d"]).ok();
    fs::write(s.dir.path().join("f.txt"), "f").expect("write");
    let (web1, web2) = (
        format!("{}-web-1", s.project),
        format!("{}-web-2", s.project),
    );
    // A one-off container of the service, as `run` makes them.
    let oneoff = format!("{}-web-run-0001", s.project);
    docker(&[
        "run",
        "-d",
        "--name",
        &oneoff,
        "--label",
        &format!("com.docker.compose.project={}", s.project),
        "--label",
        "com.docker.compose.service=web",
        "--label",
        "com.docker.compose.oneoff=True",
        "--label",
        "com.docker.compose.container-number=1",
        "busybox:stable",
        "sleep",
        "86400",
    ]);

    s.rc(&["cp", "--index", "2", "f.txt", "web:/tmp/only2.txt"])
        .ok();
    assert_eq!(cat(&web2, "/tmp/only2.txt").as_deref(), Some("f"));
    assert_eq!(cat(&web1, "/tmp/only2.txt"), None);
    // Every replica by default, the one-off ones too with --all.
    s.rc(&["cp", "f.txt", "web:/tmp/all.txt"]).ok();
    assert_eq!(cat(&web1, "/tmp/all.txt").as_deref(), Some("f"));
    assert_eq!(cat(&web2, "/tmp/all.txt").as_deref(), Some("f"));
    assert_eq!(cat(&oneoff, "/tmp/all.txt"), None);
    s.rc(&["cp", "--all", "f.txt", "web:/tmp/really.txt"]).ok();
    for c in [&web1, &web2, &oneoff] {
        assert_eq!(cat(c, "/tmp/really.txt").as_deref(), Some("f"), "{c}");
    }
    let r = s
        .rc(&["cp", "--index", "3", "f.txt", "web:/tmp"])
        .code_is(1);
    assert!(r.stderr().contains("number 3"), "{}", r.stderr());
}

#[test]
fn cp_dash_streams_a_tar_archive_both_ways() {
    let s = Stack::new("cptar", SLEEPERS);
    s.rc(&["up", "-d"]).ok();
    local_tree(s.dir.path());
    s.rc(&["cp", "src", "web:/tmp"]).ok();

    // Out: the archive as the engine makes it, on standard output.
    let out = s.rc(&["cp", "web:/tmp/src", "-"]).ok();
    let got = tar_entries(&out.out.stdout);
    assert_eq!(
        got.get("src/a.txt"),
        Some(&Some("alpha".to_string())),
        "{got:?}"
    );
    assert_eq!(
        got.get("src/sub/b.txt"),
        Some(&Some("beta".to_string())),
        "{got:?}"
    );

    // In: an archive on standard input, extracted into an existing directory.
    let mut builder = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(5);
    h.set_mode(0o644);
    h.set_cksum();
    builder
        .append_data(&mut h, "streamed/x.txt", &b"x-tar"[..])
        .expect("tar");
    let tar = builder.into_inner().expect("tar");
    let feed = |args: &[&str]| {
        let mut child = s
            .rc_command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rcompose cp");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&tar)
            .expect("write the archive");
        finish_within(child, "rcompose cp")
    };
    let o = feed(&["cp", "-", "web:/tmp"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for n in [1, 2] {
        let c = format!("{}-web-{n}", s.project);
        assert_eq!(cat(&c, "/tmp/streamed/x.txt").as_deref(), Some("x-tar"));
    }
    let o = feed(&["cp", "-", "web:/tmp/absent"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("/tmp/absent") && err.contains("directory"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// wait
// ---------------------------------------------------------------------------------------------

#[test]
fn wait_returns_the_exit_code_of_a_container_that_exits_with_3() {
    let yaml = r#"
services:
  job:
    image: busybox:stable
    command: ["sh", "-c", "sleep 4; exit 3"]
  web:
    image: busybox:stable
    command: ["sleep", "86400"]
    stop_grace_period: 1s
"#;
    let s = Stack::new("wait", yaml);
    s.rc(&["up", "-d"]).ok();
    let id = s.inspect(&format!("{}-job-1", s.project), "{{.Id}}");
    let r = s.rc(&["wait", "job"]).code_is(3);
    assert_eq!(
        r.stdout().trim(),
        format!("container \"{id}\" exited with status code 3")
    );
    // Nothing left to wait for, an unknown service, no service at all.
    let r = s.rc(&["wait", "job"]).code_is(1);
    assert!(r.stderr().contains("job"), "{}", r.stderr());
    let r = s.rc(&["wait", "nope"]).code_is(1);
    assert!(
        r.stderr().contains("no such service: nope"),
        "{}",
        r.stderr()
    );
    s.rc(&["wait"]).code_is(1);
}

#[test]
fn wait_down_project_removes_the_stack_after_the_exit() {
    let yaml = r#"
services:
  job:
    image: busybox:stable
    command: ["sh", "-c", "sleep 3"]
  web:
    image: busybox:stable
    command: ["sleep", "86400"]
    stop_grace_period: 1s
"#;
    let s = Stack::new("waitdown", yaml);
    s.rc(&["up", "-d"]).ok();
    s.rc(&["wait", "--down-project", "job"]).ok();
    assert!(s.containers().is_empty(), "{:?}", s.containers());
    assert!(s.networks().is_empty(), "{:?}", s.networks());
}
