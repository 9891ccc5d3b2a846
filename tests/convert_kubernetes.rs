//! `convert --to kubernetes`: every compose-examples stack and every awesome-compose stack of the
//! shared corpus converts, and every manifest validates against the Kubernetes 1.30 and 1.37
//! schemas (strict: no unknown fields) with PyPI's `kubernetes-validate` as the oracle
//! (scripts/install-kubernetes-validate.sh; `.ci/run` exports RCOMPOSE_KUBERNETES_VALIDATE).
//! Golden outputs for three stacks, and the CLI's files, usage errors and warnings.

mod support;

use std::cell::Cell;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use rcompose::app::convert::kubernetes::{self, Conversion};
use rcompose::loader::{self, LoadOptions};
use rcompose::model::yaml_out;

const BIN: &str = env!("CARGO_BIN_EXE_rcompose");
/// The oldest and the newest Kubernetes versions the manifests must validate for.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.30.0", "1.37.0"];

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The validator: RCOMPOSE_KUBERNETES_VALIDATE, else where the install script puts it. Missing
/// is a failure (never a skip), saying how to install it.
fn validator() -> PathBuf {
    let path = std::env::var_os("RCOMPOSE_KUBERNETES_VALIDATE")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
            Some(cache.join("rcompose/k8s-validate-1.37.0/bin/kubernetes-validate"))
        })
        .unwrap_or_default();
    assert!(
        path.is_file(),
        "kubernetes-validate is missing at {:?}: run `bash scripts/install-kubernetes-validate.sh` and export RCOMPOSE_KUBERNETES_VALIDATE with the path it prints (.ci/run does){}",
        path,
        if std::env::var("CI").as_deref() == Ok("true") {
            " (CI=true: this is a failure, not a skip)"
        } else {
            ""
        }
    );
    path
}

/// A stack to convert: a label (also its output directory) and its compose file.
struct Stack {
    label: String,
    file: PathBuf,
}

fn stacks() -> (Vec<Stack>, Vec<Stack>) {
    let mut examples = Vec::new();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(crate_dir().join("compose-examples"))
        .expect("compose-examples")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for d in dirs {
        let file = d.join("compose.yaml");
        if file.is_file() {
            let name = d.file_name().unwrap().to_string_lossy().into_owned();
            examples.push(Stack {
                label: format!("example-{name}"),
                file,
            });
        }
    }
    let mut awesome: Vec<Stack> = corpus_compose_files()
        .into_iter()
        .filter(|(source, _, _)| source == "awesome-compose")
        .map(|(_, path, file)| Stack {
            label: format!("awesome-{}", path.replace(['/', '.'], "-")),
            file,
        })
        .collect();
    awesome.sort_by(|a, b| a.label.cmp(&b.label));
    (examples, awesome)
}

/// `(source, path, file)` of every compose file MANIFEST.json lists in the corpus.
fn corpus_compose_files() -> Vec<(String, String, PathBuf)> {
    let corpus = support::corpus_dir();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(corpus.join("MANIFEST.json")).expect("MANIFEST.json"),
    )
    .expect("MANIFEST.json is JSON");
    let mut out = Vec::new();
    for f in manifest["files"].as_array().expect("files") {
        if f["kind"] != "compose" {
            continue;
        }
        if let (Some(source), Some(path)) = (f["source"].as_str(), f["path"].as_str()) {
            out.push((
                source.to_string(),
                path.to_string(),
                corpus.join(source).join(path),
            ));
        }
    }
    out
}

/// The project, or the loader's message.
fn load(file: &Path) -> Result<rcompose::model::Project, String> {
    loader::load(&LoadOptions::with_files([file]))
        .map(|l| l.project)
        .map_err(|e| e.to_string())
}

/// Converts, reading secret and config files; the corpus copied no secret files (only data
/// files), so a file missing there reads as a placeholder, counted in `placeholders`.
fn convert(project: &rcompose::model::Project, placeholders: &Cell<usize>) -> Conversion {
    let read = |p: &Path| -> std::io::Result<Vec<u8>> {
        match std::fs::read(p) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                placeholders.set(placeholders.get() + 1);
                Ok(b"placeholder".to_vec())
            }
            other => other,
        }
    };
    kubernetes::convert(project, &read).unwrap_or_else(|e| panic!("project {}: {e}", project.name))
}

/// Runs the validator on `files` (many per process: it is slow to start) for `version`; returns
/// the failures as `file: object: message` lines.
fn validate(validator: &Path, version: &str, files: &[PathBuf]) -> Vec<String> {
    let mut failures = Vec::new();
    for chunk in files.chunks(400) {
        let out = Command::new(validator)
            .args(["-k", version, "--strict", "--quiet"])
            .args(chunk)
            .output()
            .expect("run kubernetes-validate");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let errors: Vec<String> = stdout
            .lines()
            .filter(|l| l.starts_with("ERROR"))
            .map(str::to_string)
            .collect();
        if !out.status.success() && errors.is_empty() {
            failures.push(format!(
                "kubernetes-validate exited {:?}: {stdout}{}",
                out.status.code(),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        failures.extend(errors);
    }
    failures
}

#[test]
fn every_example_and_awesome_compose_stack_converts_to_manifests_valid_for_kubernetes_1_30_and_later(
) {
    let validator = validator();
    let (examples, awesome) = stacks();
    assert_eq!(examples.len(), 3, "compose-examples has 3 stacks");
    assert!(
        awesome.len() >= 39,
        "the corpus has 39 awesome-compose files"
    );
    let out = tempfile::tempdir().expect("tempdir");
    let placeholders = Cell::new(0);
    let mut files = Vec::new();
    let mut rejected = Vec::new();
    let mut converted = [0usize; 2];
    for (i, group) in [&examples, &awesome].into_iter().enumerate() {
        for stack in group {
            let project = match load(&stack.file) {
                Ok(p) => p,
                Err(e) => {
                    // Only the loader may turn a stack away; counted below.
                    rejected.push(format!("{}: {e}", stack.label));
                    continue;
                }
            };
            let c = convert(&project, &placeholders);
            let dir = out.path().join(&stack.label);
            std::fs::create_dir_all(&dir).expect("mkdir");
            let mut names = BTreeSet::new();
            for m in &c.manifests {
                assert!(
                    names.insert(m.file_name()),
                    "{}: two objects write {}",
                    stack.label,
                    m.file_name()
                );
                let path = dir.join(m.file_name());
                std::fs::write(&path, yaml_out::to_string(&m.object)).expect("write");
                files.push(path);
            }
            for w in &c.warnings {
                let path = w.path();
                assert!(
                    ["services.", "volumes.", "secrets.", "configs."]
                        .iter()
                        .any(|p| path.starts_with(p)),
                    "{}: a warning names no key: {w}",
                    stack.label
                );
            }
            converted[i] += 1;
        }
    }
    assert!(!files.is_empty());
    // The oracle sees errors: a manifest with an unknown field fails it.
    let bad = out.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\nbogus: 1\n",
    )
    .expect("write");
    assert_eq!(
        validate(&validator, KUBERNETES_VERSIONS[0], &[bad]).len(),
        1,
        "kubernetes-validate must reject an unknown field"
    );
    let mut failures = Vec::new();
    for version in KUBERNETES_VERSIONS {
        failures.extend(validate(&validator, version, &files));
    }
    assert!(
        failures.is_empty(),
        "{} manifest(s) do not validate:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!(
        "converted and validated (Kubernetes {}): {} compose-examples stacks, {} of {} awesome-compose files ({} rejected by the loader: {:?}); {} manifests; {} secret/config files absent from the corpus read as placeholders",
        KUBERNETES_VERSIONS.join(", "),
        converted[0],
        converted[1],
        awesome.len(),
        rejected.len(),
        rejected,
        files.len(),
        placeholders.get()
    );
    assert_eq!(converted[0], 3, "every compose-examples stack loads");
    assert_eq!(
        converted[1] + rejected.len(),
        awesome.len(),
        "each awesome-compose file either converts or is rejected by the loader"
    );
}

/// The YAML stream and the warnings of one stack, with machine paths redacted.
fn golden(file: &Path) -> String {
    let project = load(file).expect("loads");
    let c = convert(&project, &Cell::new(0));
    let docs: Vec<String> = c
        .manifests
        .iter()
        .map(|m| yaml_out::to_string(&m.object))
        .collect();
    let mut text = docs.join("---\n");
    for w in &c.warnings {
        text.push_str(&format!("# WARN {w}\n"));
    }
    let corpus = support::corpus_dir();
    for dir in [
        corpus.canonicalize().unwrap_or(corpus.clone()),
        lexical(&corpus),
        corpus,
    ] {
        text = text.replace(&*dir.to_string_lossy(), "<corpus>");
    }
    text.replace(&*crate_dir().to_string_lossy(), "<crate>")
}

/// `a/b/../c` as `a/c`, as the loader spells the paths it resolves.
fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[test]
fn golden_web_example() {
    insta::assert_snapshot!(
        "web",
        golden(&crate_dir().join("compose-examples/web/compose.yaml"))
    );
}

#[test]
fn golden_testdb_example() {
    insta::assert_snapshot!(
        "testdb",
        golden(&crate_dir().join("compose-examples/testdb/compose.yaml"))
    );
}

#[test]
fn golden_awesome_compose_nginx_golang_postgres() {
    let file = support::corpus_dir().join("awesome-compose/nginx-golang-postgres/compose.yaml");
    insta::assert_snapshot!("nginx_golang_postgres", golden(&file));
}

fn rcompose(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_clear()
        .output()
        .expect("run rcompose")
}

#[test]
fn cli_writes_one_file_per_object_and_names_what_it_drops() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("compose.yaml"),
        "name: demo\nservices:\n  web:\n    image: nginx\n    network_mode: host\n    volumes: ['./site:/usr/share/nginx/html']\n    ports: ['8080:80']\n",
    )
    .expect("compose.yaml");
    let out = rcompose(
        dir.path(),
        &["convert", "--to", "kubernetes", "-o", "manifests"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let mut written: Vec<String> = std::fs::read_dir(dir.path().join("manifests"))
        .expect("manifests dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        [
            "deployment-web.yaml",
            "namespace-demo.yaml",
            "service-web-published.yaml",
            "service-web.yaml"
        ]
    );
    assert!(
        stderr.contains("WARN: services.web.network_mode: \"host\""),
        "{stderr}"
    );
    assert!(
        stderr.contains("WARN: services.web.volumes[0]: bind mount"),
        "{stderr}"
    );

    // Without -o: one stream on standard output.
    let out = rcompose(dir.path(), &["convert", "--to", "kubernetes"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert_eq!(stdout.matches("\n---\n").count(), 3, "{stdout}");
    assert!(
        stdout.starts_with("apiVersion: v1\nkind: Namespace\n"),
        "{stdout}"
    );
}

#[test]
fn cli_rejects_an_unknown_target_listing_the_known_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n",
    )
    .expect("compose.yaml");
    let out = rcompose(dir.path(), &["convert", "--to", "swarm"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("possible values: kubernetes"), "{stderr}");
    let out = rcompose(dir.path(), &["convert"]);
    assert_eq!(out.status.code(), Some(1), "--to is required");
}

#[test]
fn cli_fails_naming_a_secret_whose_file_is_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("compose.yaml"),
        "services:\n  web:\n    image: nginx\n    secrets: [pw]\nsecrets:\n  pw:\n    file: ./pw.txt\n",
    )
    .expect("compose.yaml");
    let out = rcompose(dir.path(), &["convert", "--to", "kubernetes"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("secrets.pw.file: cannot read"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing half-written");
}

/// Every compose file of the corpus that the loader accepts (compose-go's, compose-spec's and
/// docker compose's test data included, odd corners and all) converts without a panic; the
/// only errors allowed are the ones that name what clashes or cannot be read.
#[test]
fn conversion_never_panics_on_any_loadable_corpus_project() {
    let placeholder = |_: &Path| -> std::io::Result<Vec<u8>> { Ok(b"x".to_vec()) };
    let (mut converted, mut refused, mut rejected) = (0, 0, 0);
    let out = std::env::var_os("RCOMPOSE_CONVERT_DUMP").map(PathBuf::from);
    for (source, path, file) in corpus_compose_files() {
        let Ok(project) = load(&file) else {
            rejected += 1;
            continue;
        };
        match kubernetes::convert(&project, &placeholder) {
            Ok(c) => {
                converted += 1;
                if let Some(dir) = &out {
                    let dir = dir.join(format!("{source}-{}", path.replace(['/', '.'], "-")));
                    std::fs::create_dir_all(&dir).expect("mkdir");
                    for m in &c.manifests {
                        std::fs::write(dir.join(m.file_name()), yaml_out::to_string(&m.object))
                            .expect("write");
                    }
                }
            }
            Err(e) => {
                let text = e.to_string();
                assert!(
                    text.contains(" both become ") || text.contains("cannot read"),
                    "{source}/{path}: {text}"
                );
                refused += 1;
            }
        }
    }
    eprintln!("{converted} converted, {refused} refused (name clashes), {rejected} rejected by the loader");
    assert!(
        converted > 300,
        "only {converted} corpus projects converted"
    );
}
