//! End-to-end: `logs -f` follows a service's containers across a restart, a recreate, a scale-up
//! and a scale-down, and `--until` ends it — against the real engine, with the rcompose binary.
//!
//! Each container run prints `<run id> 1`, `<run id> 2`, ... every 0.1 s and `<run id> bye` when
//! stopped, so the output proves, run by run, that no line was lost or printed twice at a switch:
//! each run must read exactly `1..k` then `bye`, followed by one `exited with code 0`. Waits poll
//! the output with generous deadlines that fail naming what they waited for; nothing sleeps to
//! synchronise. Each `Stack` removes its project when dropped.

#[path = "e2e_harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::io::Read;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use harness::*;

/// A service whose every run counts lines under a fresh run id and says `bye` on SIGTERM.
const COUNTER: &str = r#"
services:
  w:
    image: busybox:stable
    stop_grace_period: 20s
    command:
      - sh
      - -c
      - >-
        r=$$(cut -c1-8 /proc/sys/kernel/random/uuid);
        trap 'echo "$$r bye"; exit 0' TERM;
        i=0;
        while true; do i=$$((i+1)); echo "$$r $$i"; sleep 0.1; done
"#;

/// How long one wait for the output may take (the machine may be busy with builds).
const WAIT: Duration = Duration::from_secs(120);

/// A running `rcompose logs -f`, its output collected as it comes.
struct Follower {
    child: Option<Child>,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

fn collect(r: impl Read + Send + 'static, into: Arc<Mutex<String>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut r = r;
        let mut buf = [0u8; 4096];
        loop {
            match r.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => into
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n])),
            }
        }
    })
}

impl Follower {
    fn spawn(s: &Stack, args: &[&str]) -> Follower {
        let mut child = s
            .rc_command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rcompose logs -f");
        let out = Arc::new(Mutex::new(String::new()));
        let err = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            collect(child.stdout.take().expect("stdout"), Arc::clone(&out)),
            collect(child.stderr.take().expect("stderr"), Arc::clone(&err)),
        ];
        Follower {
            child: Some(child),
            out,
            err,
            readers,
        }
    }

    fn out(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    /// Polls the output until `cond` holds; fails naming `what` (with the output) at [`WAIT`].
    #[track_caller]
    fn wait_for(&mut self, what: &str, cond: impl Fn(&str) -> bool) {
        self.wait_for_both(what, |out, _| cond(out))
    }

    /// [`Follower::wait_for`] on stdout and stderr.
    #[track_caller]
    fn wait_for_both(&mut self, what: &str, cond: impl Fn(&str, &str) -> bool) {
        let end = Instant::now() + WAIT;
        loop {
            let err = self.err.lock().unwrap().clone();
            if cond(&self.out(), &err) {
                return;
            }
            let exited = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > end {
                let why = match exited {
                    Some(st) => format!("logs -f ended ({st}) before {what}"),
                    None => format!("gave up after {}s waiting for {what}", WAIT.as_secs()),
                };
                panic!(
                    "{why}\n--- stdout\n{}\n--- stderr\n{}",
                    self.out(),
                    self.err.lock().unwrap()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for `logs -f` to end on its own; its exit code, stdout and stderr.
    #[track_caller]
    fn finish(mut self, what: &str) -> (Option<i32>, String, String) {
        let mut child = self.child.take().expect("running");
        let st = wait_within(&mut child, what);
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        let err = self.err.lock().unwrap().clone();
        (st.code(), self.out(), err)
    }

    fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One item of a container's output, in the order printed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Line { run: String, text: String },
    Exit(i64),
}

/// `w-1  | abcd1234 5` and `w-1 exited with code 0`, by container label, in order.
fn items(out: &str) -> BTreeMap<String, Vec<Item>> {
    let mut m: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    for l in out.lines() {
        if let Some((label, rest)) = l.split_once(" | ") {
            let (run, text) = rest.split_once(' ').unwrap_or((rest, ""));
            m.entry(label.trim().to_string())
                .or_default()
                .push(Item::Line {
                    run: run.to_string(),
                    text: text.to_string(),
                });
        } else if let Some((label, code)) = l.split_once(" exited with code ") {
            let code = code.trim().parse().unwrap_or(-1);
            m.entry(label.trim().to_string())
                .or_default()
                .push(Item::Exit(code));
        } else if !l.trim().is_empty() {
            panic!("unexpected output line {l:?} in\n{out}");
        }
    }
    m
}

/// The runs of container `label` in order of their first line: run id -> its texts.
fn runs(out: &str, label: &str) -> Vec<(String, Vec<String>)> {
    let mut v: Vec<(String, Vec<String>)> = Vec::new();
    for it in items(out).remove(label).unwrap_or_default() {
        if let Item::Line { run, text } = it {
            match v.iter_mut().find(|(r, _)| *r == run) {
                Some((_, texts)) => texts.push(text),
                None => v.push((run, vec![text])),
            }
        }
    }
    v
}

/// How many numbered lines run `nth` (from 0) of `label` has printed so far.
fn lines_of(out: &str, label: &str, nth: usize) -> usize {
    runs(out, label)
        .get(nth)
        .map(|(_, t)| t.iter().filter(|t| *t != "bye").count())
        .unwrap_or(0)
}

/// Checks that container `label` printed exactly `want` runs, each `1..k` then `bye` (every
/// line once, in order, none lost at a switch), each followed by `exited with code 0`.
#[track_caller]
fn assert_runs(out: &str, label: &str, want: usize) -> Vec<(String, Vec<String>)> {
    let rs = runs(out, label);
    assert_eq!(rs.len(), want, "{label}: runs {rs:?}\n{out}");
    for (run, texts) in &rs {
        let k = texts.len() - 1;
        let expected: Vec<String> = (1..=k)
            .map(|i| i.to_string())
            .chain(["bye".to_string()])
            .collect();
        assert!(k >= 1, "{label} run {run} printed no numbered line\n{out}");
        assert_eq!(
            texts, &expected,
            "{label} run {run}: not exactly 1..{k} then bye\n{out}"
        );
    }
    let all = items(out).remove(label).unwrap_or_default();
    let exits: Vec<i64> = all
        .iter()
        .filter_map(|i| match i {
            Item::Exit(c) => Some(*c),
            _ => None,
        })
        .collect();
    assert_eq!(exits, vec![0; want], "{label}: exit lines\n{out}");
    // Each exit line comes after the `bye` of a run.
    let mut byes = 0;
    for it in &all {
        match it {
            Item::Line { text, .. } if text == "bye" => byes += 1,
            Item::Exit(_) => {
                assert!(
                    byes > 0,
                    "{label}: an exit line before its run's bye\n{out}"
                );
                byes -= 1;
            }
            _ => {}
        }
    }
    rs
}

/// `docker logs` of `container`, as the runs' lines (`<run> <text>`).
fn engine_logs(container: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["logs"];
    args.extend_from_slice(extra);
    args.push(container);
    let mut c = std::process::Command::new("docker");
    c.args(&args);
    let o = output_within(c, &format!("docker {}", args.join(" ")));
    assert!(o.status.success(), "docker logs {container} failed");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(String::from)
        .collect()
}

/// The lines `logs -f` printed for `label`, without the prefix.
fn printed(out: &str, label: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.split_once(" | "))
        .filter(|(l, _)| l.trim() == label)
        .map(|(_, rest)| rest.to_string())
        .collect()
}

/// Stops the project and waits for `logs -f` to end by itself (every container exited), exit 0.
#[track_caller]
fn stop_and_finish(s: &Stack, f: Follower) -> String {
    s.rc(&["stop"]).ok();
    let (code, out, err) = f.finish("rcompose logs -f (after stop)");
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    out
}

#[test]
fn logs_follow_survives_a_restart_without_losing_or_repeating_a_line() {
    let s = Stack::new("follow-restart", COUNTER);
    s.rc(&["up", "-d"]).ok();
    let mut f = Follower::spawn(&s, &["logs", "-f", "--no-color"]);
    f.wait_for("3 lines of the first run", |o| lines_of(o, "w-1", 0) >= 3);
    s.rc(&["restart", "w"]).ok();
    f.wait_for("3 lines of the run after the restart", |o| {
        lines_of(o, "w-1", 1) >= 3
    });
    assert!(f.is_running(), "logs -f ended at the restart");
    let out = stop_and_finish(&s, f);
    assert_runs(&out, "w-1", 2);
    // What the engine kept of both runs is exactly what was printed.
    let name = format!("{}-w-1", s.project);
    assert_eq!(printed(&out, "w-1"), engine_logs(&name, &[]), "{out}");
}

#[test]
fn logs_follow_switches_to_the_recreated_container_from_its_start() {
    let s = Stack::new("follow-recreate", COUNTER);
    s.rc(&["up", "-d"]).ok();
    let name = format!("{}-w-1", s.project);
    let first = s.inspect(&name, "{{.Id}}");
    let mut f = Follower::spawn(&s, &["logs", "-f", "--no-color"]);
    f.wait_for("3 lines of the first container", |o| {
        lines_of(o, "w-1", 0) >= 3
    });
    s.rc(&["up", "-d", "--force-recreate"]).ok();
    assert_ne!(s.inspect(&name, "{{.Id}}"), first, "w-1 was not recreated");
    f.wait_for("3 lines of the replacement", |o| lines_of(o, "w-1", 1) >= 3);
    assert!(f.is_running(), "logs -f ended at the recreate");
    let out = stop_and_finish(&s, f);
    let rs = assert_runs(&out, "w-1", 2);
    // The replacement's whole log, from its first line, was printed.
    let replacement: Vec<String> = engine_logs(&name, &[]);
    let (run, texts) = &rs[1];
    let mine: Vec<String> = texts.iter().map(|t| format!("{run} {t}")).collect();
    assert_eq!(mine, replacement, "{out}");
}

#[test]
fn logs_follow_picks_up_a_replica_added_by_scale_up() {
    let s = Stack::new("follow-scale-up", COUNTER);
    s.rc(&["up", "-d"]).ok();
    let mut f = Follower::spawn(&s, &["logs", "-f", "--no-color"]);
    f.wait_for("3 lines of w-1", |o| lines_of(o, "w-1", 0) >= 3);
    s.rc(&["up", "-d", "--scale", "w=2"]).ok();
    f.wait_for("3 lines of the added w-2", |o| lines_of(o, "w-2", 0) >= 3);
    let out = stop_and_finish(&s, f);
    assert_runs(&out, "w-1", 1);
    assert_runs(&out, "w-2", 1);
}

#[test]
fn logs_follow_ends_the_stream_of_a_replica_removed_by_scale_down() {
    let s = Stack::new("follow-scale-down", COUNTER);
    s.rc(&["up", "-d", "--scale", "w=2"]).ok();
    let mut f = Follower::spawn(&s, &["logs", "-f", "--no-color"]);
    f.wait_for("3 lines of w-1 and of w-2", |o| {
        lines_of(o, "w-1", 0) >= 3 && lines_of(o, "w-2", 0) >= 3
    });
    s.rc(&["up", "-d", "--scale", "w=1"]).ok();
    f.wait_for("w-2's exit", |o| o.contains("w-2 exited with code 0"));
    let after = lines_of(&f.out(), "w-1", 0);
    f.wait_for("3 more lines of w-1 after w-2 went", |o| {
        lines_of(o, "w-1", 0) >= after + 3
    });
    assert!(f.is_running(), "logs -f ended with w-2");
    let out = stop_and_finish(&s, f);
    assert_runs(&out, "w-1", 1);
    assert_runs(&out, "w-2", 1);
    assert!(
        s.service("w").len() == 1,
        "scale-down left {:?}",
        s.service("w")
    );
}

#[test]
fn logs_follow_until_ends_by_itself_with_exactly_the_lines_up_to_that_time() {
    let s = Stack::new("follow-until", COUNTER);
    s.rc(&["up", "-d"]).ok();
    let name = format!("{}-w-1", s.project);
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 4;
    let until = until.to_string();
    let f = Follower::spawn(&s, &["logs", "-f", "-t", "--no-color", "--until", &until]);
    // It ends on its own, while the container keeps running.
    let (code, out, err) = f.finish("rcompose logs -f --until");
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(s.inspect(&name, "{{.State.Status}}"), "running");
    let mine = printed(&out, "w-1");
    assert!(mine.len() >= 3, "too few lines before --until:\n{out}");
    assert_eq!(
        mine,
        engine_logs(&name, &["-t", "--until", &until]),
        "logs -f --until printed other lines than the engine keeps up to {until}"
    );
}

#[test]
fn logs_follow_reports_an_unreadable_log_driver_once_and_shows_the_exit() {
    let yaml = r#"
services:
  w:
    image: busybox:stable
    logging:
      driver: none
    command: ["sh", "-c", "trap 'exit 4' TERM; echo hi; while true; do sleep 0.1; done"]
"#;
    let s = Stack::new("follow-nolog", yaml);
    s.rc(&["up", "-d"]).ok();
    let mut f = Follower::spawn(&s, &["logs", "-f", "--no-color"]);
    f.wait_for_both("the unreadable logs reported", |_, err| {
        err.contains("cannot read")
    });
    s.rc(&["stop"]).ok();
    let (code, out, err) = f.finish("rcompose logs -f (log driver none)");
    assert_eq!(code, Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert_eq!(out.trim(), "w-1 exited with code 4", "stderr:\n{err}");
    assert_eq!(
        err.matches("cannot read").count(),
        1,
        "reported once:\n{err}"
    );
}

#[test]
fn attached_up_follows_a_restart_and_a_recreate_too() {
    let s = Stack::new("follow-up", COUNTER);
    let mut f = Follower::spawn(&s, &["up", "--no-color"]);
    f.wait_for("3 lines of the first run", |o| lines_of(o, "w-1", 0) >= 3);
    s.rc(&["restart", "w"]).ok();
    f.wait_for("3 lines of the run after the restart", |o| {
        lines_of(o, "w-1", 1) >= 3
    });
    s.rc(&["up", "-d", "--force-recreate"]).ok();
    f.wait_for("3 lines of the recreated container", |o| {
        lines_of(o, "w-1", 2) >= 3
    });
    assert!(f.is_running(), "attached up ended");
    // Every attached container exited: the attached `up` ends by itself.
    let out = stop_and_finish(&s, f);
    assert_runs(&out, "w-1", 3);
}
