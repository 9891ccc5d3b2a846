//! End-to-end: the rcompose binary against the real Docker engine. Each test owns a project with a
//! unique name; the `Stack` guard removes everything it labelled, even when the test fails.

#[path = "e2e_harness.rs"]
mod harness;

use std::time::Duration;

use harness::*;

const CHAIN: &str = r#"
services:
  init:
    image: busybox:stable
    command: ["sh", "-c", "sleep 1; echo initialised"]
  db:
    image: busybox:stable
    init: true
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 86400"]
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 30
  web:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
    depends_on:
      init:
        condition: service_completed_successfully
      db:
        condition: service_healthy
"#;

#[test]
fn up_waits_for_each_dependency_condition() {
    let s = Stack::new("order", CHAIN);
    s.rc(&["up", "-d"]).ok();
    let p = &s.project;
    let web = format!("{p}-web-1");
    let db = format!("{p}-db-1");
    let init = format!("{p}-init-1");
    assert_eq!(s.inspect(&web, "{{.State.Status}}"), "running");
    assert_eq!(s.inspect(&init, "{{.State.ExitCode}}"), "0");
    let web_started = time_secs(&s.inspect(&web, "{{.State.StartedAt}}"));
    let init_finished = time_secs(&s.inspect(&init, "{{.State.FinishedAt}}"));
    let db_started = time_secs(&s.inspect(&db, "{{.State.StartedAt}}"));
    assert!(
        web_started >= init_finished,
        "web started before init completed ({web_started} < {init_finished})"
    );
    // db turns healthy no sooner than 2 s after it starts.
    assert!(
        web_started >= db_started + 2.0,
        "web started before db could be healthy ({web_started} < {db_started} + 2)"
    );
    assert_eq!(s.inspect(&db, "{{.State.Health.Status}}"), "healthy");
}

#[test]
fn second_up_recreates_nothing() {
    let s = Stack::new("noop", CHAIN);
    s.rc(&["up", "-d"]).ok();
    let before = s.containers();
    assert_eq!(before.len(), 3, "{before:?}");
    let second = s.rc(&["up", "-d"]).ok();
    assert_eq!(
        s.containers(),
        before,
        "container ids changed on a no-op up"
    );
    let err = second.stderr();
    assert!(
        !err.contains("Created") && !err.contains("Recreate"),
        "a no-op up created something:\n{err}"
    );
}

#[test]
fn changed_environment_recreates_only_that_service() {
    let yaml = |v: &str| {
        format!(
            r#"
services:
  a:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
    environment:
      VERSION: "{v}"
  b:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
"#
        )
    };
    let s = Stack::new("envchange", &yaml("1"));
    s.rc(&["up", "-d"]).ok();
    let a1 = s.service("a");
    let b1 = s.service("b");
    s.write(&yaml("2"));
    s.rc(&["up", "-d"]).ok();
    let a2 = s.service("a");
    assert_eq!(
        s.service("b"),
        b1,
        "b was recreated although it did not change"
    );
    assert_eq!(a2.len(), 1, "{a2:?}");
    assert_ne!(a2, a1, "a was not recreated after its environment changed");
    let name = format!("{}-a-1", s.project);
    assert!(s
        .inspect(&name, "{{json .Config.Env}}")
        .contains("VERSION=2"));
}

const ONE: &str = r#"
services:
  web:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
"#;

#[test]
fn scale_up_then_down() {
    let s = Stack::new("scale", ONE);
    s.rc(&["up", "-d", "--scale", "web=3"]).ok();
    let three = s.service("web");
    let p = &s.project;
    let want: Vec<String> = (1..=3).map(|i| format!("{p}-web-{i}")).collect();
    assert_eq!(three.keys().cloned().collect::<Vec<_>>(), want);
    s.rc(&["up", "-d", "--scale", "web=1"]).ok();
    let one = s.service("web");
    assert_eq!(
        one.keys().cloned().collect::<Vec<_>>(),
        [format!("{p}-web-1")]
    );
    assert_eq!(
        one.get(&format!("{p}-web-1")),
        three.get(&format!("{p}-web-1")),
        "scaling down replaced the first replica"
    );
}

#[test]
fn orphans_stay_without_the_flag_and_go_with_it() {
    let two = r#"
services:
  web:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
  old:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
"#;
    let s = Stack::new("orphans", two);
    s.rc(&["up", "-d"]).ok();
    s.write(ONE);
    s.rc(&["up", "-d"]).ok();
    assert_eq!(
        s.service("old").len(),
        1,
        "orphan removed without --remove-orphans"
    );
    s.rc(&["up", "-d", "--remove-orphans"]).ok();
    assert!(
        s.service("old").is_empty(),
        "orphan kept with --remove-orphans"
    );
    assert_eq!(s.service("web").len(), 1);
}

const WITH_VOLUME: &str = r#"
services:
  app:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
    volumes:
      - data:/data
volumes:
  data:
"#;

#[test]
fn down_keeps_named_volumes_and_down_v_removes_them() {
    let s = Stack::new("volumes", WITH_VOLUME);
    s.rc(&["up", "-d"]).ok();
    let vol = format!("{}_data", s.project);
    assert_eq!(s.volumes(), std::slice::from_ref(&vol));
    assert_eq!(s.networks(), [format!("{}_default", s.project)]);
    s.rc(&["down"]).ok();
    assert!(s.containers().is_empty());
    assert!(
        s.networks().is_empty(),
        "down left networks: {:?}",
        s.networks()
    );
    assert_eq!(s.volumes(), [vol], "plain down removed a named volume");
    s.rc(&["up", "-d"]).ok();
    s.rc(&["down", "-v"]).ok();
    assert!(s.volumes().is_empty(), "down -v kept {:?}", s.volumes());
}

#[test]
fn down_works_from_labels_without_a_compose_file() {
    let s = Stack::new("labels", WITH_VOLUME);
    s.rc(&["up", "-d"]).ok();
    s.rc_without_file(&["down", "-v"]).ok();
    assert!(s.containers().is_empty());
    assert!(s.networks().is_empty());
    assert!(s.volumes().is_empty());
}

#[test]
fn ps_lists_filters_and_formats() {
    let s = Stack::new("ps", CHAIN);
    s.rc(&["up", "-d"]).ok();
    let ids = s.rc(&["ps", "-q"]).ok().stdout();
    // init has exited: plain ps shows running containers only.
    assert_eq!(ids.lines().count(), 2, "{ids}");
    let all = s.rc(&["ps", "-a", "-q"]).ok().stdout();
    assert_eq!(all.lines().count(), 3, "{all}");
    let services = s.rc(&["ps", "--services"]).ok().stdout();
    assert_eq!(services, "db\nweb\n");
    let exited = s
        .rc(&["ps", "--status", "exited", "--format", "json"])
        .ok()
        .stdout();
    let rows: Vec<serde_json::Value> = exited
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(rows.len(), 1, "{exited}");
    assert_eq!(rows[0]["Service"], "init");
    let table = s.rc(&["ps"]).ok().stdout();
    assert!(table.starts_with("NAME"), "{table}");
    assert!(table.contains(&format!("{}-web-1", s.project)), "{table}");
}

/// Spawns an attached `up`, presses Ctrl-C once `{project}-web-1` runs, and checks that rcompose
/// exits 130 after stopping it gracefully.
fn ctrl_c_once_web_runs(s: &Stack) -> String {
    let mut child = s.spawn(&["up"]);
    let name = format!("{}-web-1", s.project);
    let running = eventually(Duration::from_secs(60), || {
        docker_try(&["inspect", "-f", "{{.State.Status}}", &name]).as_deref() == Some("running")
    });
    if !running {
        let _ = child.kill();
        let out = finish_within(child, "rcompose up");
        panic!(
            "attached up never got web running\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let pid = child.id().to_string();
    let st = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill -INT");
    assert!(st.success());
    let out = finish_within(child, "rcompose up (after Ctrl-C)");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(130), "stderr:\n{err}");
    assert_eq!(s.inspect(&name, "{{.State.Status}}"), "exited", "{err}");
    assert!(err.contains("Gracefully stopping"), "{err}");
    err
}

#[test]
fn ctrl_c_stops_an_attached_up_with_exit_130() {
    let s = Stack::new("sigint", ONE);
    ctrl_c_once_web_runs(&s);
}

#[test]
fn ctrl_c_while_an_attached_up_is_still_starting_stops_what_it_started() {
    // web runs at once but stays "starting" (failures inside start_period do not count), so `up`
    // is still waiting to start app when Ctrl-C lands.
    let yaml = r#"
services:
  web:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 1s
      start_period: 10m
  app:
    image: busybox:stable
    command: ["sleep", "86400"]
    depends_on:
      web:
        condition: service_healthy
"#;
    let s = Stack::new("sigint-starting", yaml);
    ctrl_c_once_web_runs(&s);
    let app = format!("{}-app-1", s.project);
    let state = docker_try(&["inspect", "-f", "{{.State.Status}}", &app]);
    assert_ne!(
        state.as_deref(),
        Some("running"),
        "app was started after Ctrl-C"
    );
}

#[test]
fn attached_up_prefixes_output_and_returns_the_exit_code() {
    let yaml = r#"
services:
  job:
    image: busybox:stable
    command: ["sh", "-c", "echo hello from job; exit 3"]
"#;
    let s = Stack::new("attach", yaml);
    let out = s
        .rc(&["up", "--exit-code-from", "job", "--no-color"])
        .code_is(3);
    let text = out.stdout();
    assert!(text.contains("job-1  | hello from job"), "{text}");
    assert!(text.contains("job-1 exited with code 3"), "{text}");
}

#[test]
fn dry_run_changes_nothing() {
    let s = Stack::new("dryrun", CHAIN);
    let out = s.rc(&["--dry-run", "up", "-d"]).ok();
    assert!(s.containers().is_empty(), "--dry-run created containers");
    assert!(
        out.stdout().contains("create container"),
        "{}",
        out.stdout()
    );
}

#[test]
fn unreachable_engine_is_one_line_naming_the_address() {
    let s = Stack::new("noengine", ONE).env("DOCKER_HOST", "unix:///nonexistent/docker.sock");
    let out = s.rc(&["up", "-d"]).code_is(1);
    let err = out.stderr();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("unix:///nonexistent/docker.sock"), "{err}");
    assert!(err.contains("DOCKER_HOST"), "{err}");
}

#[test]
fn bad_compose_file_exits_1_like_docker_compose_v5() {
    let s = Stack::new("badfile", "services:\n  web:\n    image: [\n");
    s.rc(&["up", "-d"]).code_is(1);
    let s = Stack::new("cycle", "services:\n  a:\n    image: busybox\n    depends_on: [b]\n  b:\n    image: busybox\n    depends_on: [a]\n");
    s.rc(&["up", "-d"]).code_is(1);
}

#[test]
fn second_ctrl_c_kills_what_will_not_stop() {
    // PID 1 ignores SIGTERM and the grace period is long: only a kill ends it quickly.
    let yaml = r#"
services:
  stubborn:
    image: busybox:stable
    command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
    stop_grace_period: 60s
"#;
    let s = Stack::new("sigint2", yaml);
    let child = s.spawn(&["up"]);
    let name = format!("{}-stubborn-1", s.project);
    assert!(
        eventually(Duration::from_secs(60), || {
            docker_try(&["inspect", "-f", "{{.State.Status}}", &name]).as_deref() == Some("running")
        }),
        "stubborn never ran"
    );
    let pid = child.id().to_string();
    let int = || {
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill -INT")
    };
    let first = std::time::Instant::now();
    int();
    std::thread::sleep(Duration::from_secs(2));
    let second = std::time::Instant::now();
    int();
    let out = finish_within(child, "rcompose up (after Ctrl-C)");
    // The second press kills at once (issue 15: gone within 2 s of it, here with room for a
    // loaded machine measured in the same run: the first press alone would take 60 s).
    let after_second = second.elapsed();
    eprintln!("second Ctrl-C to exit: {after_second:?}");
    assert!(
        after_second < Duration::from_secs(2),
        "the second Ctrl-C did not kill at once (took {after_second:?})"
    );
    assert!(first.elapsed() < Duration::from_secs(30));
    assert_eq!(
        out.status.code(),
        Some(130),
        "stderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(s.inspect(&name, "{{.State.Status}}"), "exited");
}

#[test]
fn logs_port_and_ls() {
    let port = free_port();
    let yaml = format!(
        r#"
services:
  talk:
    image: busybox:stable
    init: true
    command: ["sh", "-c", "echo one; echo two; echo three; exec httpd -f -p 8000"]
    ports:
      - "127.0.0.1:{port}:8000"
"#
    );
    let s = Stack::new("logs", &yaml);
    s.rc(&["up", "-d"]).ok();
    assert!(eventually(Duration::from_secs(10), || s
        .rc(&["logs", "--no-color"])
        .stdout()
        .contains("three")));
    let all = s.rc(&["logs", "--no-color"]).ok().stdout();
    assert_eq!(all, "talk-1  | one\ntalk-1  | two\ntalk-1  | three\n");
    let last = s
        .rc(&[
            "logs",
            "--no-color",
            "--no-log-prefix",
            "--tail",
            "1",
            "talk",
        ])
        .ok()
        .stdout();
    assert_eq!(last, "three\n");
    let published = s.rc(&["port", "talk", "8000"]).ok().stdout();
    assert_eq!(published.trim(), format!("127.0.0.1:{port}"));
    s.rc(&["port", "talk", "9999"]).code_is(1);
    let ls = s.rc(&["ls", "--format", "json"]).ok().stdout();
    let list: serde_json::Value = serde_json::from_str(&ls).expect("ls json");
    let mine = list
        .as_array()
        .and_then(|a| a.iter().find(|p| p["Name"] == s.project.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(mine["Status"], "running(1)", "{ls}");
}

#[test]
fn logs_since_and_until_select_by_time() {
    let yaml = r#"
services:
  talk:
    image: busybox:stable
    init: true
    command: ["sh", "-c", "echo early; sleep 3; echo late; exec sleep 3600"]
"#;
    let s = Stack::new("logtime", yaml);
    s.rc(&["up", "-d"]).ok();
    let stamped = || {
        s.rc(&["logs", "--no-color", "--no-log-prefix", "-t"])
            .ok()
            .stdout()
    };
    assert!(eventually(Duration::from_secs(15), || stamped().contains("late")));
    // `-t` gives each line the engine's RFC 3339 timestamp: take the one of "late".
    let out = stamped();
    let late = out
        .lines()
        .find_map(|l| l.strip_suffix(" late"))
        .unwrap_or_else(|| panic!("no timestamped late line in {out:?}"))
        .to_string();
    let plain = |extra: &[&str]| {
        let mut args = vec!["logs", "--no-color", "--no-log-prefix"];
        args.extend_from_slice(extra);
        s.rc(&args).ok().stdout()
    };
    // --since the late line's own timestamp (RFC 3339 with nanoseconds): only it.
    assert_eq!(plain(&["--since", &late]), "late\n");
    // --until a Unix time a second before it (the early line is 3 s older): only the early line.
    let until = unix_seconds(&late) - 1;
    assert_eq!(plain(&["--until", &until.to_string()]), "early\n");
    // A duration back from now covers both; a nonsense time is bad usage naming the value.
    assert_eq!(plain(&["--since", "1h"]), "early\nlate\n");
    let bad = s.rc(&["logs", "--since", "yesterday"]).code_is(1);
    assert!(bad.stderr().contains("yesterday"), "{}", bad.stderr());
}

/// Whole seconds since the epoch of an RFC 3339 UTC timestamp (`2026-12-02T19:20:01.5Z`).
fn unix_seconds(ts: &str) -> i64 {
    let n = |a: usize, b: usize| -> i64 { ts[a..b].parse().expect("timestamp digits") };
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let (hh, mm, ss) = (n(11, 13), n(14, 16), n(17, 19));
    assert!(ts.ends_with('Z'), "expected a UTC timestamp: {ts}");
    // Days from the civil date (proleptic Gregorian).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days * 86_400 + hh * 3600 + mm * 60 + ss
}

#[test]
fn stop_start_restart_pause_kill_rm() {
    let s = Stack::new("lifecycle", ONE);
    let name = format!("{}-web-1", s.project);
    let status = || s.inspect(&name, "{{.State.Status}}");
    s.rc(&["create"]).ok();
    assert_eq!(status(), "created");
    s.rc(&["start"]).ok();
    assert_eq!(status(), "running");
    let started = s.inspect(&name, "{{.State.StartedAt}}");
    s.rc(&["restart", "-t", "1"]).ok();
    assert_eq!(status(), "running");
    assert_ne!(s.inspect(&name, "{{.State.StartedAt}}"), started);
    s.rc(&["pause"]).ok();
    assert_eq!(status(), "paused");
    s.rc(&["unpause"]).ok();
    assert_eq!(status(), "running");
    s.rc(&["stop", "-t", "1"]).ok();
    assert_eq!(status(), "exited");
    s.rc(&["start", "web"]).ok();
    s.rc(&["kill"]).ok();
    assert_eq!(status(), "exited");
    assert_eq!(s.inspect(&name, "{{.State.ExitCode}}"), "137");
    s.rc(&["rm", "-f"]).ok();
    assert!(s.containers().is_empty());
}
