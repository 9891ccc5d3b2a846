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
    std::fs::create_dir_all(s.dir.path().join("failing")).expect("mkdir");
    // The failing step names the project, so that the intermediate container v5 leaves behind
    // (its classic build ignores --force-rm; rcompose removes it) can be found and removed.
    std::fs::write(
        s.dir.path().join("failing/Dockerfile"),
        format!("FROM busybox:stable\nRUN test {} = fails\n", s.project),
    )
    .expect("write Dockerfile");
    let failing_image = format!("{}-failing-build", s.project);
    std::fs::write(
        s.dir.path().join("failing.yaml"),
        format!("services:\n  app:\n    build: ./failing\n    image: {failing_image}\n"),
    )
    .expect("write failing.yaml");
    let failing = s.dir.path().join("failing.yaml").display().to_string();
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
        ("failed build", vec!["-f", &failing, "build", "--force-rm"]),
        (
            "run passes the container's code through",
            vec!["run", "--rm", "-T", "web", "sh", "-c", "exit 3"],
        ),
        ("help", vec!["--help"]),
        ("config", vec!["config", "-q"]),
        ("ps of nothing", vec!["ps"]),
    ];
    let mut differ = Vec::new();
    for (what, args) in &cases {
        let ours = s.rc(args);
        let theirs = s.v5(args);
        if *what == "failed build" {
            remove_containers_running(&s.project);
        }
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
    // The container's own code, not a generic failure.
    s.rc(&["run", "--rm", "-T", "web", "sh", "-c", "exit 3"])
        .code_is(3);
}

/// Removes every container whose command mentions `marker` (a failed build's step).
fn remove_containers_running(marker: &str) {
    let out = std::process::Command::new("docker")
        .args(["ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Command}}"])
        .output()
        .expect("docker ps");
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(marker))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    if !ids.is_empty() {
        let rm = std::process::Command::new("docker")
            .args(["rm", "-f"])
            .args(&ids)
            .output()
            .expect("docker rm");
        assert!(rm.status.success(), "docker rm -f {ids:?} failed");
    }
}

#[test]
fn deprecated_global_flags_are_accepted_with_v5s_warning() {
    let s = Stack::new("v5flags", STACK);
    let dir = s.dir.path().display().to_string();
    // (arguments, the warning rcompose prints, whether v5 prints it too)
    let cases: Vec<(Vec<&str>, Option<&str>, bool)> = vec![
        (
            vec!["--no-ansi", "ps"],
            Some("option '--no-ansi' is DEPRECATED"),
            true,
        ),
        (
            vec!["--workdir", &dir, "ps"],
            Some("option '--workdir' is DEPRECATED at root level"),
            true,
        ),
        (vec!["--verbose", "ps"], None, false),
        // v5 accepts --compatibility silently and then names containers v1's way; rcompose
        // does not implement those names, so it says so instead of silently differing.
        (
            vec!["--compatibility", "ps"],
            Some("--compatibility: rcompose names containers"),
            false,
        ),
    ];
    for (args, warning, v5_too) in cases {
        let ours = s.rc(&args).ok();
        let theirs = s.v5(&args).ok();
        if let Some(w) = warning {
            assert!(
                theirs.stderr().contains(w) == v5_too,
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

const PROFILED: &str = r#"
services:
  web:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
  baz:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
    profiles: [test]
    depends_on: [bar]
  bar:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
    profiles: [test]
"#;

/// The services of the project that have a container, by the service label.
fn services_of(s: &Stack) -> Vec<String> {
    let mut v: Vec<String> = s
        .containers()
        .keys()
        .filter_map(|n| {
            let rest = n.strip_prefix(&format!("{}-", s.project))?;
            rest.rsplit_once('-').map(|(svc, _)| svc.to_string())
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_named_service_is_enabled_with_its_dependencies_like_v5() {
    // `up -d baz`: baz and its dependency bar are enabled although their profile is not active;
    // web (no profile) is not named, so it is not started.
    let ours = Stack::new("v5named-rc", PROFILED);
    ours.rc(&["up", "-d", "baz"]).ok();
    let theirs = Stack::new("v5named-v5", PROFILED);
    theirs.v5(&["up", "-d", "baz"]).ok();
    assert_eq!(services_of(&theirs), ["bar", "baz"], "v5");
    assert_eq!(services_of(&ours), services_of(&theirs));
    // `config baz` prints baz and what it needs, as v5 does.
    let names = |out: String| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(&out).expect("config json");
        let mut k: Vec<String> = v["services"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    };
    assert_eq!(
        names(
            ours.rc(&["config", "--format", "json", "baz"])
                .ok()
                .stdout()
        ),
        names(
            theirs
                .v5(&["config", "--format", "json", "baz"])
                .ok()
                .stdout()
        )
    );
}

#[test]
fn unknown_services_are_errors_for_every_command_with_a_did_you_mean() {
    // Deliberately stricter than v5.6.1, which exits 0 without a word for `logs`, `ps`, `stop`,
    // `rm`, `kill`, `pause`, `top`, `images` and `down` of an unknown service (it exits 1 for
    // `up`, `create`, `run`, `start`, `restart`, `pull`, `build` and `config`): a misspelt
    // service in a script is a bug to report, never a silent no-op.
    let s = Stack::new("v5unknown", STACK);
    let commands: Vec<Vec<&str>> = vec![
        vec!["up", "-d", "wbe"],
        vec!["create", "wbe"],
        vec!["config", "wbe"],
        vec!["logs", "wbe"],
        vec!["ps", "wbe"],
        vec!["images", "wbe"],
        vec!["port", "wbe", "80"],
        vec!["top", "wbe"],
        vec!["stop", "wbe"],
        vec!["start", "wbe"],
        vec!["restart", "wbe"],
        vec!["kill", "wbe"],
        vec!["rm", "-f", "wbe"],
        vec!["pause", "wbe"],
        vec!["unpause", "wbe"],
        vec!["pull", "wbe"],
        vec!["build", "wbe"],
        vec!["push", "wbe"],
        vec!["exec", "wbe", "true"],
        vec!["run", "--rm", "wbe", "true"],
        vec!["down", "wbe"],
        vec!["wait", "wbe"],
        vec!["events", "wbe"],
        vec!["watch", "wbe"],
        vec!["cp", "wbe:/x", "out"],
    ];
    let mut wrong = Vec::new();
    for args in &commands {
        let r = s.rc(args);
        let err = r.stderr();
        if r.code() != 1
            || !err.contains("no such service: wbe")
            || !err.contains("did you mean \"web\"")
        {
            wrong.push(format!(
                "{}: exit {:?}: {}",
                args.join(" "),
                r.code(),
                err.trim()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        s.containers().is_empty(),
        "nothing is created: {:?}",
        s.containers()
    );
    // Where v5 says so too, the words are the same.
    for args in [vec!["up", "-d", "wbe"], vec!["config", "wbe"]] {
        let v5 = s.v5(&args);
        assert_eq!(v5.code(), 1, "v5 {args:?}");
        assert!(
            v5.stderr().contains("no such service: wbe"),
            "{}",
            v5.stderr()
        );
    }
}

#[test]
fn missing_external_networks_and_volumes_fail_before_anything_is_created() {
    let tag = std::process::id();
    let net = format!("rcompose-e2e-nonet-{tag}");
    let vol = format!("rcompose-e2e-novol-{tag}");
    let yaml = format!(
        r#"
services:
  web:
    image: busybox:stable
    command: ["sleep", "86400"]
    networks: [ext]
    volumes: ["extvol:/data"]
  other:
    image: busybox:stable
    command: ["sleep", "86400"]
networks:
  ext:
    external: true
    name: {net}
volumes:
  extvol:
    external: true
    name: {vol}
"#
    );
    let s = Stack::new("v5external", &yaml);
    // The network is missing: v5 and rcompose both refuse, naming it as external.
    let theirs = s.v5(&["up", "-d"]);
    assert_eq!(theirs.code(), 1, "v5: {}", theirs.stderr());
    assert!(
        theirs.stderr().contains("declared as external"),
        "{}",
        theirs.stderr()
    );
    s.v5(&["down"]).ok();
    let ours = s.rc(&["up", "-d"]).code_is(1);
    let err = ours.stderr();
    assert!(
        err.contains(&net)
            && err.contains("declared external")
            && err.contains("docker network create"),
        "{err}"
    );
    assert!(s.containers().is_empty(), "created: {:?}", s.containers());
    assert!(s.networks().is_empty(), "created: {:?}", s.networks());
    // The network exists, the volume does not: refused again, and the engine did not quietly
    // create an empty volume under the external name.
    docker(&["network", "create", &net]);
    let ours = s.rc(&["up", "-d"]).code_is(1);
    let err = ours.stderr();
    assert!(
        err.contains(&vol)
            && err.contains("declared external")
            && err.contains("docker volume create"),
        "{err}"
    );
    let run = s.rc(&["run", "--rm", "web", "true"]).code_is(1);
    assert!(run.stderr().contains(&vol), "{}", run.stderr());
    assert!(s.containers().is_empty(), "created: {:?}", s.containers());
    assert!(
        docker_try(&["volume", "inspect", &vol]).is_none(),
        "the external volume was created"
    );
    docker(&["network", "rm", &net]);
}

#[test]
fn links_on_user_defined_networks_are_endpoint_links_like_v5() {
    let yaml = r#"
services:
  db:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
    networks: [a, b]
  web:
    image: busybox:stable
    init: true
    command: ["sleep", "86400"]
    links: ["db:database"]
    external_links: ["elsewhere:ext"]
    networks: [a, b]
networks:
  a: {}
  b: {}
"#;
    // One db replica: with `scale: 2` v5 itself links whichever replicas exist when it creates
    // web, which varies from run to run.
    // Each network's Links of the linking container, with the project name taken out so that
    // the two projects compare.
    let links = |s: &Stack| -> Vec<(String, Vec<String>)> {
        let web = format!("{}-web-1", s.project);
        let text = docker(&["inspect", "-f", "{{json .NetworkSettings.Networks}}", &web]);
        let nets: serde_json::Value = serde_json::from_str(&text).expect("networks json");
        let mut out: Vec<(String, Vec<String>)> = nets
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let mut l: Vec<String> = v["Links"]
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|x| x.as_str())
                                    .map(|x| x.replace(&s.project, "P"))
                                    .collect()
                            })
                            .unwrap_or_default();
                        l.sort();
                        (k.replace(&s.project, "P"), l)
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.sort();
        out
    };
    let ours = Stack::new("v5links-rc", yaml);
    ours.rc(&["up", "-d"]).ok();
    let theirs = Stack::new("v5links-v5", yaml);
    theirs.v5(&["up", "-d"]).ok();
    let want = links(&theirs);
    assert!(
        want.iter()
            .all(|(_, l)| l.contains(&"P-db-1:database".to_string())),
        "v5: {want:?}"
    );
    assert_eq!(links(&ours), want);
    // A second `up` keeps the container (links are not part of what changes it).
    let id = ours.containers();
    ours.rc(&["up", "-d"]).ok();
    assert_eq!(ours.containers(), id);
}
