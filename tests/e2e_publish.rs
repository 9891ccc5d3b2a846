//! `publish` and `-f oci://REF` side by side with docker compose v5.6.1, on a throwaway loopback
//! registry (`support/registry.rs`): what one publishes the other loads to the same `config`, the
//! manifests both push for the same files agree (media types, artifact type, config, layer
//! digests and annotation keys), and bad input fails with a message naming the reference. Every
//! command runs under the harness's deadline. The artifacts travel over the registry's HTTP API;
//! the engine is needed only where images are built and pushed and for `up --dry-run`. Fails
//! (never skips) when v5, the registry or the engine cannot be had.

#[path = "e2e_harness.rs"]
mod harness;
#[path = "support/registry.rs"]
mod registry;

use std::path::Path;
use std::process::Command;

use harness::{output_within, v5_bin, BIN};
use rcompose::engine::registry::{Reference, Registry};
use registry::LocalRegistry;
use serde_json::Value;

const BASE: &str = r#"services:
  web:
    image: busybox:latest
    command: ["sleep", "1"]
    ports: ["8080:80"]
  db:
    image: busybox
    profiles: [debug]
    volumes: [data:/data]
volumes:
  data: {}
"#;

const OVERRIDE: &str = r#"services:
  web:
    environment:
      MODE: prod
    depends_on: [cache]
  cache:
    image: redis:7
"#;

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A directory with the compose files and an empty cache for both tools.
struct Dir {
    dir: tempfile::TempDir,
    cache: tempfile::TempDir,
}

impl Dir {
    fn new(files: &[(&str, &str)]) -> Dir {
        let dir = tempfile::Builder::new()
            .prefix("rcompose-publish-")
            .tempdir()
            .expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).expect("write");
        }
        let cache = tempfile::tempdir().expect("temp dir");
        Dir { dir, cache }
    }

    fn run(&self, program: &Path, args: &[&str]) -> Out {
        let mut c = Command::new(program);
        c.current_dir(self.dir.path())
            .args(args)
            .env("XDG_CACHE_HOME", self.cache.path())
            .env("DOCKER_CONFIG", self.cache.path().join("docker"))
            .env("COMPOSE_PROGRESS", "plain")
            .env_remove("COMPOSE_PROJECT_NAME")
            .env_remove("COMPOSE_FILE")
            .env_remove("COMPOSE_PROFILES");
        let what = format!("{} {}", program.display(), args.join(" "));
        let o = output_within(c, &what);
        let out = Out {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        };
        assert!(
            !out.stderr.contains("panicked"),
            "{what} panicked:\n{}",
            out.stderr
        );
        out
    }

    fn write_compose(&self, yaml: &str) {
        std::fs::write(self.dir.path().join("compose.yaml"), yaml).expect("write");
    }

    fn rc(&self, args: &[&str]) -> Out {
        self.run(Path::new(BIN), args)
    }

    fn v5(&self, args: &[&str]) -> Out {
        self.run(&v5_bin(), args)
    }
}

#[track_caller]
fn ok(o: Out, what: &str) -> Out {
    assert_eq!(
        o.code, 0,
        "{what} failed\n--- stdout\n{}\n--- stderr\n{}",
        o.stdout, o.stderr
    );
    o
}

/// `config` (and `config --format json`, `--profile debug config --services`) of `oci://REF`
/// by both tools, in the same directory: equal.
fn configs_agree(d: &Dir, reg: &LocalRegistry, reference: &str) {
    let oci = format!("oci://{reference}");
    for args in [
        &["config"][..],
        &["config", "--format", "json"],
        &["--profile", "debug", "config", "--services"],
    ] {
        let mut rc_args = vec!["-f", oci.as_str()];
        rc_args.extend_from_slice(args);
        let mut v5_args = vec!["--insecure-registry", reg.host.as_str()];
        v5_args.extend_from_slice(&rc_args);
        let rc = ok(d.rc(&rc_args), "rcompose config");
        let v5 = ok(d.v5(&v5_args), "v5 config");
        if args.contains(&"--services") {
            // v5 lists services of one dependency level in Go's random map order.
            let sorted = |t: &str| {
                let mut l: Vec<String> = t.lines().map(str::to_string).collect();
                l.sort();
                l
            };
            assert_eq!(sorted(&rc.stdout), sorted(&v5.stdout), "{args:?} of {oci}");
        } else {
            assert_eq!(rc.stdout, v5.stdout, "{args:?} of {oci}");
        }
        assert!(!rc.stdout.trim().is_empty(), "{args:?}: nothing printed");
    }
}

fn manifest(reg: &LocalRegistry, reference: &str) -> Value {
    let r = Reference::parse(reference).expect("reference");
    let mut c = Registry::new(&r, std::slice::from_ref(&reg.host), None);
    let m = c.get_manifest(r.object()).expect("manifest");
    serde_json::from_slice(&m.bytes).expect("manifest JSON")
}

/// The manifest without what legitimately differs: the creation time and the value of the
/// `com.docker.compose.version` annotations (each tool names its own).
fn comparable(mut m: Value) -> Value {
    if let Some(a) = m.pointer_mut("/annotations/org.opencontainers.image.created") {
        assert!(a.as_str().is_some_and(|t| t.len() >= 20), "{a}");
        *a = Value::Null;
    }
    if let Some(layers) = m.get_mut("layers").and_then(Value::as_array_mut) {
        for l in layers {
            if let Some(v) = l.pointer_mut("/annotations/com.docker.compose.version") {
                *v = Value::Null;
            }
        }
    }
    m
}

#[test]
fn an_application_published_by_v5_loads_in_rcompose_as_in_v5() {
    let reg = LocalRegistry::start();
    let d = Dir::new(&[("compose.yaml", BASE), ("compose.override.yaml", OVERRIDE)]);
    let reference = reg.image("apps/by-v5:1");
    ok(
        d.v5(&["publish", "-y", "--insecure-registry", &reference]),
        "v5 publish",
    );
    configs_agree(&d, &reg, &reference);
    // A second load comes from the cache (same digest), and still agrees.
    configs_agree(&d, &reg, &reference);
}

#[test]
fn an_application_published_by_rcompose_loads_in_v5_as_in_rcompose() {
    let reg = LocalRegistry::start();
    let d = Dir::new(&[("compose.yaml", BASE), ("compose.override.yaml", OVERRIDE)]);
    let reference = reg.image("apps/by-rc:1");
    let out = ok(d.rc(&["publish", "-y", &reference]), "rcompose publish");
    assert!(
        out.stderr.contains(&format!("{reference} published")),
        "{}",
        out.stderr
    );
    configs_agree(&d, &reg, &reference);
    // A dry run checks and prints the same, and pushes nothing.
    let dry = reg.image("apps/dry:1");
    for args in [
        &["publish", "--dry-run", "-y"][..],
        &["--dry-run", "publish", "-y"],
    ] {
        let mut a = args.to_vec();
        a.push(&dry);
        ok(d.rc(&a), "rcompose publish --dry-run");
    }
    let r = Reference::parse(&dry).expect("reference");
    assert!(Registry::new(&r, &[], None).get_manifest("1").is_err());
}

#[test]
fn the_manifest_rcompose_pushes_is_v5s_for_the_same_files() {
    let reg = LocalRegistry::start();
    let d = Dir::new(&[("compose.yaml", BASE), ("compose.override.yaml", OVERRIDE)]);
    for (tag, extra) in [("auto", &[][..]), ("v10", &["--oci-version", "1.0"][..])] {
        let ours = reg.image(&format!("cmp/rc:{tag}"));
        let theirs = reg.image(&format!("cmp/v5:{tag}"));
        let mut a = vec!["publish", "-y"];
        a.extend_from_slice(extra);
        let mut rc_args = a.clone();
        rc_args.push(&ours);
        ok(d.rc(&rc_args), "rcompose publish");
        let mut v5_args = a.clone();
        v5_args.extend(["--insecure-registry", theirs.as_str()]);
        ok(d.v5(&v5_args), "v5 publish");
        let (m_rc, m_v5) = (manifest(&reg, &ours), manifest(&reg, &theirs));
        assert_eq!(
            comparable(m_rc.clone()),
            comparable(m_v5.clone()),
            "{tag}:\nrc: {m_rc:#}\nv5: {m_v5:#}"
        );
        let layers = m_rc["layers"].as_array().expect("layers");
        assert_eq!(layers.len(), 2);
        assert_eq!(
            layers[0]["mediaType"],
            "application/vnd.docker.compose.file+yaml"
        );
        assert_eq!(
            layers[1]["annotations"]["com.docker.compose.file"],
            "compose.override.yaml"
        );
        if tag == "auto" {
            assert_eq!(
                m_rc["artifactType"],
                "application/vnd.docker.compose.project"
            );
        } else {
            assert!(m_rc.get("artifactType").is_none(), "{m_rc:#}");
            assert_eq!(
                m_rc["config"]["mediaType"],
                "application/vnd.docker.compose.config.empty.v1+json"
            );
        }
    }
}

#[test]
fn publish_checks_refuse_or_ask_as_v5_does() {
    let reg = LocalRegistry::start();
    let cases: [(&str, &str, i32, &[&str]); 4] = [
        (
            "includes",
            "include: [x.yaml]\nservices:\n  web:\n    image: busybox\n",
            1,
            &["cannot publish compose file with local includes"],
        ),
        (
            "binds",
            "services:\n  web:\n    image: busybox\n    volumes: [\"./data:/data\"]\n",
            130,
            &["bind mounts", "web", "/data:/data:rw"],
        ),
        (
            "envfile",
            "services:\n  web:\n    image: busybox\n    env_file: [x.env]\n",
            130,
            &[
                "env-related declarations",
                "\"web\": env_file declared",
                "--with-env",
            ],
        ),
        (
            "buildonly",
            "services:\n  web:\n    build: .\n",
            1,
            &["only contains a build section", "\"web\""],
        ),
    ];
    for (tag, yaml, code, says) in cases {
        let d = Dir::new(&[
            ("compose.yaml", yaml),
            ("x.env", "A=1\n"),
            ("x.yaml", "services:\n  db:\n    image: busybox\n"),
        ]);
        let reference = reg.image(&format!("checks/{tag}:1"));
        // No terminal: the confirmation is a "no".
        let rc = d.rc(&["publish", &reference]);
        let v5 = d.v5(&["publish", "--insecure-registry", &reference]);
        assert_eq!(rc.code, code, "{tag}: rcompose\n{}", rc.stderr);
        assert_eq!(v5.code, code, "{tag}: v5\n{}", v5.stderr);
        for s in says {
            assert!(rc.stderr.contains(s), "{tag}: {s:?} not in\n{}", rc.stderr);
        }
        // Nothing was pushed.
        let r = Reference::parse(&reference).expect("reference");
        let mut c = Registry::new(&r, &[], None);
        assert!(c.get_manifest("1").is_err(), "{tag}: pushed anyway");
        if code == 130 {
            ok(d.rc(&["publish", "-y", &reference]), "publish -y");
        }
    }
}

#[test]
fn bad_references_fail_naming_the_reference() {
    let reg = LocalRegistry::start();
    let d = Dir::new(&[]);
    // Nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let unreachable = format!("127.0.0.1:{port}/x/app:1");
    let missing = reg.image("x/missing:1");
    // A manifest of something else (an artifact of another type).
    let other = reg.image("x/other:1");
    let r = Reference::parse(&other).expect("reference");
    let mut c = Registry::new(&r, &[], None);
    c.push_blob(b"{}").expect("config blob");
    let layer = c.push_blob(b"hello").expect("layer");
    let body = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.example.thing",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                   "digest": rcompose::engine::registry::sha256_digest(b"{}"), "size": 2},
        "layers": [{"mediaType": "text/plain", "digest": layer, "size": 5}]
    });
    c.put_manifest(
        "1",
        "application/vnd.oci.image.manifest.v1+json",
        &serde_json::to_vec(&body).expect("json"),
    )
    .expect("manifest");
    for (reference, says) in [
        (unreachable.as_str(), "cannot reach the registry"),
        (missing.as_str(), "404"),
        (other.as_str(), "is not a compose project OCI artifact"),
        ("127.0.0.1:5000/Bad/Name:1", "must be lowercase"),
    ] {
        let oci = format!("oci://{reference}");
        let out = d.rc(&["-f", &oci, "config"]);
        assert_eq!(out.code, 1, "{oci}\n{}", out.stderr);
        assert!(
            out.stderr.contains(says) && out.stderr.contains(reference),
            "{oci}: want {says:?} and the reference in\n{}",
            out.stderr
        );
    }
    // Nothing half-written is left in the cache.
    let cache = d.cache.path().join("docker-compose");
    let left: Vec<_> = std::fs::read_dir(&cache)
        .map(|r| r.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn all_resources_is_a_global_flag_as_in_v5() {
    let yaml =
        "services:\n  web:\n    image: busybox\nnetworks:\n  unused: {}\nvolumes:\n  spare: {}\n";
    let d = Dir::new(&[("compose.yaml", yaml)]);
    for args in [&["--all-resources", "config"][..], &["config"]] {
        let rc = ok(d.rc(args), "rcompose config");
        let v5 = ok(d.v5(args), "v5 config");
        assert_eq!(rc.stdout, v5.stdout, "{args:?}");
    }
    let rc = ok(d.rc(&["--all-resources", "config"]), "rcompose");
    assert!(
        rc.stdout.contains("unused") && rc.stdout.contains("spare"),
        "{}",
        rc.stdout
    );
    // rcompose also takes it after `config`, where it used to be (v5 does not).
    let after = ok(d.rc(&["config", "--all-resources"]), "rcompose");
    assert_eq!(after.stdout, rc.stdout);
    // `up` creates them too (as v5 does), and only with the flag (a dry run: nothing changes).
    for (args, created) in [
        (&["--all-resources", "--dry-run", "up", "-d"][..], true),
        (&["--dry-run", "up", "-d"], false),
    ] {
        let rc = ok(d.rc(args), "rcompose up");
        let v5 = ok(d.v5(args), "v5 up");
        for out in [&rc, &v5] {
            let text = format!("{}{}", out.stdout, out.stderr);
            assert_eq!(text.contains("_unused"), created, "{args:?}:\n{text}");
            assert_eq!(text.contains("_spare"), created, "{args:?}:\n{text}");
        }
    }
}

#[test]
fn env_files_travel_with_with_env_as_in_v5() {
    let reg = LocalRegistry::start();
    let yaml = "services:\n  web:\n    image: busybox\n    env_file:\n      - x.env\n      - path: ./opt.env\n        required: false\n";
    let d = Dir::new(&[("compose.yaml", yaml), ("x.env", "B=2\nC=three\n")]);
    let ours = reg.image("env/rc:1");
    let theirs = reg.image("env/v5:1");
    ok(
        d.rc(&["publish", "-y", "--with-env", &ours]),
        "rcompose publish",
    );
    ok(
        d.v5(&[
            "publish",
            "-y",
            "--with-env",
            "--insecure-registry",
            &theirs,
        ]),
        "v5 publish",
    );
    let (m_rc, m_v5) = (manifest(&reg, &ours), manifest(&reg, &theirs));
    assert_eq!(
        comparable(m_rc.clone()),
        comparable(m_v5.clone()),
        "rc: {m_rc:#}\nv5: {m_v5:#}"
    );
    assert_eq!(
        m_rc["layers"][1]["mediaType"],
        "application/vnd.docker.compose.envfile"
    );
    // Loaded elsewhere: the env file comes from the artifact, not from the directory.
    let elsewhere = Dir::new(&[]);
    configs_agree(&elsewhere, &reg, &ours);
    configs_agree(&elsewhere, &reg, &theirs);
    let out = ok(
        elsewhere.rc(&["-f", &format!("oci://{ours}"), "config"]),
        "config",
    );
    assert!(out.stdout.contains("C: three"), "{}", out.stdout);
}

#[test]
fn publish_pushes_the_images_the_project_builds_first() {
    harness::require_engine();
    let reg = LocalRegistry::start();
    let image = reg.image(&format!("img/built-{}:1", std::process::id()));
    let yaml = format!(
        "services:\n  b:\n    image: {image}\n    build: .\n  c:\n    image: busybox:latest\n"
    );
    let d = Dir::new(&[
        ("compose.yaml", yaml.as_str()),
        (
            "Dockerfile",
            "FROM busybox:latest\nRUN echo built > /built\n",
        ),
    ]);
    ok(d.rc(&["build", "-q"]), "rcompose build");
    let app = reg.image("apps/with-image:1");
    let out = ok(d.rc(&["publish", "-y", &app]), "rcompose publish");
    let r = Reference::parse(&image).expect("reference");
    let mut c = Registry::new(&r, &[], None);
    let pushed = c.get_manifest("1");
    let _ = harness::docker_try(&["rmi", "-f", &image]);
    assert!(pushed.is_ok(), "{image} was not pushed:\n{}", out.stderr);
    configs_agree(&d, &reg, &app);
}

#[test]
fn extended_files_travel_in_the_artifact_as_in_v5() {
    let reg = LocalRegistry::start();
    let d = Dir::new(&[
        (
            "compose.yaml",
            "services:\n  web:\n    extends:\n      file: base.yaml\n      service: b\n    ports: [\"80\"]\n",
        ),
        (
            "base.yaml",
            "services:\n  b:\n    image: busybox\n    command: [\"true\"]\n",
        ),
    ]);
    let ours = reg.image("ext/rc:1");
    let theirs = reg.image("ext/v5:1");
    ok(d.rc(&["publish", "-y", &ours]), "rcompose publish");
    ok(
        d.v5(&["publish", "-y", "--insecure-registry", &theirs]),
        "v5 publish",
    );
    let (m_rc, m_v5) = (manifest(&reg, &ours), manifest(&reg, &theirs));
    assert_eq!(
        comparable(m_rc.clone()),
        comparable(m_v5.clone()),
        "rc: {m_rc:#}\nv5: {m_v5:#}"
    );
    assert_eq!(
        m_rc["layers"][1]["annotations"]["com.docker.compose.extends"],
        "true"
    );
    let elsewhere = Dir::new(&[]);
    configs_agree(&elsewhere, &reg, &ours);
    configs_agree(&elsewhere, &reg, &theirs);
}

/// Puts a small image manifest (no layers) at `reference` straight through the registry API.
fn put_image(reference: &str) -> String {
    let r = Reference::parse(reference).expect("reference");
    let mut c = Registry::new(&r, &[], None);
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let digest = c.push_blob(config).expect("config blob");
    let body = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": digest, "size": config.len()},
        "layers": []
    });
    c.put_manifest(
        r.object(),
        "application/vnd.oci.image.manifest.v1+json",
        &serde_json::to_vec(&body).expect("json"),
    )
    .expect("manifest")
}

#[test]
fn resolve_image_digests_pins_images_as_v5() {
    harness::require_engine();
    let reg = LocalRegistry::start();
    let image = reg.image("img/pinned:1");
    let digest = put_image(&image);
    let yaml = format!(
        "services:\n  web:\n    image: {image}\n  api:\n    image: {image}\n    command: [\"x\"]\n"
    );
    let d = Dir::new(&[("compose.yaml", yaml.as_str())]);
    let ours = reg.image("pin/rc:1");
    let theirs = reg.image("pin/v5:1");
    ok(
        d.rc(&["publish", "-y", "--resolve-image-digests", &ours]),
        "rcompose publish",
    );
    ok(
        d.v5(&[
            "publish",
            "-y",
            "--resolve-image-digests",
            "--insecure-registry",
            &theirs,
        ]),
        "v5 publish",
    );
    let (m_rc, m_v5) = (manifest(&reg, &ours), manifest(&reg, &theirs));
    assert_eq!(
        comparable(m_rc.clone()),
        comparable(m_v5.clone()),
        "rc: {m_rc:#}\nv5: {m_v5:#}"
    );
    assert_eq!(
        m_rc["layers"][1]["annotations"]["com.docker.compose.file"],
        "image-digests.yaml"
    );
    let elsewhere = Dir::new(&[]);
    configs_agree(&elsewhere, &reg, &ours);
    let out = ok(
        elsewhere.rc(&["-f", &format!("oci://{ours}"), "config"]),
        "config",
    );
    assert!(
        out.stdout.contains(&format!("{image}@{digest}")),
        "{}",
        out.stdout
    );
    // An image its registry does not have: the error names it.
    let missing = reg.image("img/missing:1");
    d.write_compose(&format!("services:\n  web:\n    image: {missing}\n"));
    let out = d.rc(&[
        "publish",
        "-y",
        "--resolve-image-digests",
        &reg.image("pin/bad:1"),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains(&missing), "{}", out.stderr);
}

/// The image index `publish --app` pushed (by digest, untagged) into `repo`, read from the
/// registry's storage (distribution 2.x has no referrers API).
fn application_index(reg: &LocalRegistry, repo: &str) -> Value {
    let dir = reg
        .storage()
        .join("docker/registry/v2/repositories")
        .join(repo)
        .join("_manifests/revisions/sha256");
    let r = Reference::parse(&reg.image(&format!("{repo}:x"))).expect("reference");
    let mut c = Registry::new(&r, &[], None);
    for e in std::fs::read_dir(&dir).expect("revisions").flatten() {
        let digest = format!("sha256:{}", e.file_name().to_string_lossy());
        let m = c.get_manifest(&digest).expect("manifest");
        let v: Value = serde_json::from_slice(&m.bytes).expect("json");
        if v["mediaType"] == "application/vnd.oci.image.index.v1+json" {
            return v;
        }
    }
    panic!("no image index in {repo}");
}

#[test]
fn publish_app_copies_the_images_and_indexes_them_as_v5() {
    let reg = LocalRegistry::start();
    let image = reg.image("img/app-image:1");
    let digest = put_image(&image);
    let yaml = format!("services:\n  web:\n    image: {image}\n");
    let d = Dir::new(&[("compose.yaml", yaml.as_str())]);
    ok(
        d.rc(&["publish", "-y", "--app", &reg.image("bundle/rc:1")]),
        "rcompose publish --app",
    );
    ok(
        d.v5(&[
            "publish",
            "-y",
            "--app",
            "--insecure-registry",
            &reg.image("bundle/v5:1"),
        ]),
        "v5 publish --app",
    );
    let mut indexes = Vec::new();
    for repo in ["bundle/rc", "bundle/v5"] {
        let mut index = application_index(&reg, repo);
        // The image is in the application's repository now.
        let r = Reference::parse(&reg.image(&format!("{repo}:x"))).expect("reference");
        assert!(
            Registry::new(&r, &[], None).get_manifest(&digest).is_ok(),
            "{repo}"
        );
        for p in [
            "/subject/digest",
            "/subject/size",
            "/subject/annotations/com.docker.compose.version",
            "/annotations/com.docker.compose.version",
        ] {
            assert!(index.pointer(p).is_some(), "{p} in {index:#}");
            if let Some(v) = index.pointer_mut(p) {
                *v = Value::Null;
            }
        }
        indexes.push(index);
    }
    assert_eq!(
        indexes[0], indexes[1],
        "rc: {:#}\nv5: {:#}",
        indexes[0], indexes[1]
    );
    assert_eq!(indexes[0]["manifests"][0]["digest"], digest.as_str());
}

#[test]
fn a_stack_started_from_a_published_application_is_v5s_too() {
    harness::require_engine();
    let reg = LocalRegistry::start();
    let d = Dir::new(&[(
        "compose.yaml",
        "services:\n  web:\n    image: busybox:latest\n    command: [\"sleep\", \"300\"]\n",
    )]);
    let reference = reg.image("run/app:1");
    ok(d.rc(&["publish", "-y", &reference]), "rcompose publish");
    let project = harness::unique_name("ociup");
    let oci = format!("oci://{reference}");
    let rc = |args: &[&str]| {
        let mut a = vec!["-p", project.as_str(), "-f", oci.as_str()];
        a.extend_from_slice(args);
        d.rc(&a)
    };
    let v5 = |args: &[&str]| {
        let mut a = vec![
            "--insecure-registry",
            reg.host.as_str(),
            "-p",
            project.as_str(),
            "-f",
            oci.as_str(),
        ];
        a.extend_from_slice(args);
        d.v5(&a)
    };
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ok(rc(&["up", "-d"]), "rcompose up");
        let id = |who: &str| {
            let name = format!("{project}-web-1");
            harness::docker_try(&["inspect", "-f", "{{.Id}}", &name])
                .unwrap_or_else(|| panic!("{who}: no container {name}"))
        };
        let before = id("rcompose up");
        // v5 sees the same configuration: nothing to recreate.
        ok(v5(&["up", "-d"]), "v5 up");
        assert_eq!(id("v5 up"), before, "v5 recreated the container");
        ok(v5(&["down"]), "v5 down");
        assert!(
            harness::docker_try(&["inspect", &format!("{project}-web-1")]).is_none(),
            "v5 down left the container"
        );
    }));
    harness::purge(&project);
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
