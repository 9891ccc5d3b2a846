//! Shell completion and the man page, through the binary: the bash script `completion bash`
//! prints completes commands, and service and profile names from the compose file in the
//! current directory (bash itself runs the script, with COMP_WORDS set as readline would).

use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_rcompose");

/// What bash's completion offers for `words` (the last one being completed), in `dir`.
fn complete(dir: &std::path::Path, script: &std::path::Path, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let current = words[cword];
    let previous = if cword > 0 { words[cword - 1] } else { "" };
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _clap_complete_rcompose rcompose '{current}' '{previous}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" ")
    );
    let mut child = Command::new("bash")
        .args(["--norc", "-c", &program])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run bash");
    // A completion that hangs fails the test instead of the run.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("bash completion of {words:?} did not finish within 60 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    assert!(
        out.status.success(),
        "bash: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    v.sort();
    v
}

#[test]
fn bash_completes_commands_services_and_profiles_from_the_project_here() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: busybox\n  worker:\n    image: busybox\n    profiles: [jobs]\n  db:\n    image: busybox\n",
    )
    .expect("compose.yaml");
    let out = Command::new(BIN)
        .args(["completion", "bash"])
        .output()
        .expect("rcompose completion bash");
    assert!(out.status.success());
    let script = dir.path().join("rcompose.bash");
    std::fs::write(&script, &out.stdout).expect("script");

    assert_eq!(
        complete(dir.path(), &script, &["rcompose", "up", "w"]),
        ["web", "worker"]
    );
    assert_eq!(
        complete(dir.path(), &script, &["rcompose", "logs", "d"]),
        ["db"]
    );
    assert_eq!(
        complete(dir.path(), &script, &["rcompose", "--profile", "j"]),
        ["jobs"]
    );
    let commands = complete(dir.path(), &script, &["rcompose", "unp"]);
    assert_eq!(commands, ["unpause"]);
}

#[test]
fn man_prints_a_roff_page() {
    let out = Command::new(BIN).arg("man").output().expect("rcompose man");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(".ie") || text.contains(".TH rcompose"),
        "{}",
        &text[..text.len().min(200)]
    );
    assert!(text.contains("compose"), "{text}");
}
