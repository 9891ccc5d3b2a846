//! End-to-end: `build`, `pull`, `push` and `images` of the rcompose binary against the real
//! Docker engine, with a throwaway loopback registry (`support/registry.rs`) for push and pull.
//! Each test owns a project with a unique name; its guard removes the project's containers,
//! networks, volumes and every image labelled with the project (all tags), even when it fails.

#[path = "e2e_harness.rs"]
mod harness;
#[path = "support/registry.rs"]
mod registry;

use harness::*;
use registry::LocalRegistry;

/// A `Stack` whose images go too: containers first (they hold images), then every image
/// labelled with the project, the layers cached for the test's Dockerfiles (labelled
/// `org.rcompose.e2e=<project>`).
struct Images {
    stack: Stack,
}

impl Images {
    fn new(tag: &str, yaml: &str) -> Images {
        Images::with_env(tag, yaml, &[])
    }

    /// With variables set for every command it runs.
    fn with_env(tag: &str, yaml: &str, env: &[(&str, &str)]) -> Images {
        let mut stack = Stack::new(tag, yaml);
        for (k, v) in env {
            stack = stack.env(k, v);
        }
        Images { stack }
    }

    /// Writes `text` to `path` under the project directory.
    fn file(&self, path: &str, text: &str) {
        let p = self.stack.dir.path().join(path);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create dir");
        }
        std::fs::write(p, text).expect("write file");
    }
}

impl Drop for Images {
    fn drop(&mut self) {
        purge(&self.stack.project);
        let label = format!("label=com.docker.compose.project={}", self.stack.project);
        let ids = docker_try(&["images", "-q", "--filter", &label]).unwrap_or_default();
        let mut ids: Vec<&str> = ids.split_whitespace().collect();
        ids.sort();
        ids.dedup();
        for id in ids {
            let _ = docker_try(&["rmi", "-f", id]);
        }
        // What failed builds leave: cached layers of the test's Dockerfiles, untagged.
        let mark = format!("label=org.rcompose.e2e={}", self.stack.project);
        let ids = docker_try(&["images", "-a", "-q", "--filter", &mark]).unwrap_or_default();
        for id in ids.split_whitespace() {
            let _ = docker_try(&["rmi", "-f", id]);
        }
    }
}

/// The image id of a reference (`docker image inspect`), if it exists.
fn image_id(reference: &str) -> Option<String> {
    docker_try(&["image", "inspect", "-f", "{{.Id}}", reference])
}

fn label(reference: &str, key: &str) -> String {
    docker(&[
        "image",
        "inspect",
        "-f",
        &format!("{{{{index .Config.Labels \"{key}\"}}}}"),
        reference,
    ])
}

/// A Dockerfile that records the build argument `STAMP` (in `/stamp` and a label) and the build
/// time. The first line after `FROM` is unique to the test so that no two tests share cached
/// layers (one test's cleanup would pull them from under the other's build).
fn stamp_dockerfile(project: &str) -> String {
    format!(
        "FROM busybox:stable\n\
         LABEL org.rcompose.e2e={project}\n\
         ARG STAMP=unset\n\
         RUN echo \"$STAMP\" > /stamp && date +%s%N > /built\n\
         LABEL stamp=$STAMP\n"
    )
}

#[test]
fn build_builds_only_buildable_services_and_tags_them_as_docker_compose_does() {
    let yaml_of = |project: &str| {
        format!(
            r#"
services:
  app:
    build: ./app
  named:
    build:
      context: ./app
      tags: ["{project}/extra:t2"]
    image: {project}/named:v1
    depends_on: [app]
  plain:
    image: busybox:stable
    command: ["sleep", "1"]
"#
        )
    };
    let s = Images::new("imgbuild", "services: {}\n");
    let p = s.stack.project.clone();
    s.stack.write(&yaml_of(&p));
    s.file("app/Dockerfile", &stamp_dockerfile(&s.stack.project));
    let run = s.stack.rc(&["build"]).ok();
    let err = run.stderr();
    assert!(err.contains(&format!("Image {p}-app  Built")), "{err}");
    assert!(err.contains(&format!("Image {p}/named:v1  Built")), "{err}");
    // `<project>-<service>` without `image:`, else `image:` plus `build.tags`.
    let app = format!("{p}-app");
    assert!(image_id(&app).is_some(), "{app} was not built");
    assert!(image_id(&format!("{p}/named:v1")).is_some());
    assert_eq!(
        image_id(&format!("{p}/extra:t2")),
        image_id(&format!("{p}/named:v1"))
    );
    for (image, service) in [(app.as_str(), "app"), (&format!("{p}/named:v1"), "named")] {
        assert_eq!(label(image, "com.docker.compose.project"), p);
        assert_eq!(label(image, "com.docker.compose.service"), service);
        assert!(!label(image, "com.docker.compose.version").is_empty());
    }
    // The service without `build:` is skipped silently; nothing runs.
    let plain = "label=com.docker.compose.service=plain";
    let label_p = format!("label=com.docker.compose.project={p}");
    let built_plain = docker(&["images", "-q", "--filter", &label_p, "--filter", plain]);
    assert!(built_plain.is_empty(), "plain was built: {built_plain}");
    assert!(!err.contains("plain"), "{err}");
    assert!(s.stack.containers().is_empty());
    // Named services: only those (a service without `build:` is not an error).
    s.stack.rc(&["build", "-q", "app", "plain"]).ok();
}

#[test]
fn build_args_and_no_cache_reach_the_build() {
    let s = Images::with_env(
        "imgargs",
        r#"
services:
  app:
    build:
      context: ./app
      args:
        STAMP: from-file
"#,
        &[("STAMP", "from-env")],
    );
    s.file("app/Dockerfile", &stamp_dockerfile(&s.stack.project));
    let app = format!("{}-app", s.stack.project);
    let stamp = |image: &str| docker(&["run", "--rm", image, "cat", "/stamp"]);

    s.stack.rc(&["build"]).ok();
    assert_eq!(label(&app, "stamp"), "from-file");
    let first = image_id(&app);

    // A second build uses the cache: same image.
    let again = s.stack.rc(&["build"]).ok();
    assert!(again.stderr().contains("Using cache"), "{}", again.stderr());
    assert_eq!(image_id(&app), first);

    // --no-cache runs every step again: a new image.
    let fresh = s.stack.rc(&["build", "--no-cache"]).ok();
    assert!(
        !fresh.stderr().contains("Using cache"),
        "{}",
        fresh.stderr()
    );
    assert_ne!(image_id(&app), first, "--no-cache reused the cached image");

    // --build-arg KEY=VAL overrides the file; a bare KEY takes the environment's value.
    s.stack
        .rc(&["build", "-q", "--build-arg", "STAMP=from-cli"])
        .ok();
    assert_eq!(label(&app, "stamp"), "from-cli");
    assert_eq!(stamp(&app), "from-cli");
    let quiet = s.stack.rc(&["build", "-q", "--build-arg", "STAMP"]).ok();
    assert_eq!(label(&app, "stamp"), "from-env");
    assert!(quiet.stdout().is_empty() && quiet.stderr().is_empty());
    assert_eq!(stamp(&app), "from-env");
}

#[test]
fn a_broken_dockerfile_fails_the_build_naming_the_service() {
    let s = Images::new(
        "imgbroken",
        r#"
services:
  good:
    build: ./good
  failing:
    build: ./failing
  garbled:
    build: ./garbled
"#,
    );
    let p = s.stack.project.clone();
    s.file(
        "good/Dockerfile",
        &format!("FROM busybox:stable\nLABEL org.rcompose.e2e={p}\nRUN true\n"),
    );
    s.file(
        "failing/Dockerfile",
        &format!(
            "FROM busybox:stable\nLABEL org.rcompose.e2e={p}\nRUN echo output-$((6*7)) && exit 7\n"
        ),
    );
    s.file("garbled/Dockerfile", "FROMM busybox:stable\n");
    let run = s.stack.rc(&["build"]).code_is(1);
    let err = run.stderr();
    assert!(err.contains("service failing"), "{err}");
    assert!(err.contains("returned a non-zero code: 7"), "{err}");
    assert!(
        err.contains("output-42"),
        "the build output is not shown: {err}"
    );
    assert!(err.contains("service garbled"), "{err}");
    assert!(err.contains("unknown instruction"), "{err}");
    // The other build still ran.
    assert!(image_id(&format!("{}-good", s.stack.project)).is_some());
    // Quiet: no build output, the error still names the service and says why.
    let run = s.stack.rc(&["build", "-q", "failing"]).code_is(1);
    let err = run.stderr();
    assert!(
        err.contains("service failing") && err.contains("non-zero code: 7"),
        "{err}"
    );
    assert!(!err.contains("output-42"), "{err}");
}

#[test]
fn push_then_rmi_then_pull_brings_the_image_back() {
    let registry = LocalRegistry::start();
    let s = Images::new("imgpush", "services: {}\n");
    let p = s.stack.project.clone();
    let image = registry.image(&format!("{p}/app:t1"));
    let extra = registry.image(&format!("{p}/app:t2"));
    s.stack.write(&format!(
        r#"
services:
  app:
    build:
      context: ./app
      tags: ["{extra}"]
    image: {image}
  base:
    image: busybox:stable
"#
    ));
    s.file("app/Dockerfile", &stamp_dockerfile(&s.stack.project));
    s.stack.rc(&["build", "-q"]).ok();
    let built = image_id(&image).expect("built image");

    let pushed = s.stack.rc(&["push"]).ok();
    let err = pushed.stderr();
    assert!(err.contains(&format!("Image {image}  Pushed")), "{err}");
    assert!(err.contains(&format!("Image {extra}  Pushed")), "{err}");
    assert!(
        err.contains("Skipped"),
        "base is not reported skipped: {err}"
    );

    docker(&["rmi", &image, &extra]);
    assert!(image_id(&image).is_none());

    let pulled = s.stack.rc(&["pull", "app"]).ok();
    assert!(
        pulled.stderr().contains(&format!("Image {image}  Pulled")),
        "{}",
        pulled.stderr()
    );
    assert_eq!(
        image_id(&image),
        Some(built),
        "pull brought back another image"
    );
    // build --push pushes after building.
    s.stack.rc(&["build", "-q", "--push"]).ok();
}

#[test]
fn pull_failure_names_the_image_and_ignore_pull_failures_exits_0() {
    let registry = LocalRegistry::start();
    let s = Images::new("imgpull", "services: {}\n");
    let p = s.stack.project.clone();
    let missing = registry.image(&format!("{p}/nothere:1"));
    let unbuilt = registry.image(&format!("{p}/unbuilt:1"));
    s.stack.write(&format!(
        r#"
services:
  missing:
    image: {missing}
  buildable:
    build: ./app
    image: {unbuilt}
  present:
    image: busybox:stable
    pull_policy: missing
"#
    ));
    s.file("app/Dockerfile", &stamp_dockerfile(&s.stack.project));
    let run = s.stack.rc(&["pull"]).code_is(1);
    let err = run.stderr();
    assert!(err.contains("service missing"), "{err}");
    assert!(
        err.contains(&format!("cannot pull image {missing}")),
        "{err}"
    );
    assert!(err.contains("manifest unknown"), "{err}");
    assert!(
        err.contains("must be built from source") && err.contains("rcompose build buildable"),
        "{err}"
    );
    let run = s.stack.rc(&["pull", "--ignore-pull-failures"]).ok();
    let err = run.stderr();
    assert!(err.contains(&missing), "{err}");
    assert!(
        err.contains("Image busybox:stable  Skipped (Image is already present locally)"),
        "{err}"
    );
    // --ignore-buildable leaves the buildable one out; -q prints nothing.
    let run = s
        .stack
        .rc(&["pull", "-q", "--ignore-buildable", "buildable", "present"])
        .ok();
    assert!(
        run.stderr().is_empty() && run.stdout().is_empty(),
        "{}",
        run.stderr()
    );
}

#[test]
fn images_lists_the_images_of_the_project_containers() {
    let s = Images::new(
        "imglist",
        r#"
services:
  web:
    image: busybox:stable
    command: ["sleep", "86400"]
    init: true
  app:
    build: ./app
    command: ["sleep", "86400"]
    init: true
"#,
    );
    s.file("app/Dockerfile", &stamp_dockerfile(&s.stack.project));
    s.stack.rc(&["up", "-d"]).ok();
    let p = s.stack.project.clone();
    let web_id = docker(&["inspect", "-f", "{{.Image}}", &format!("{p}-web-1")]);
    let app_id = docker(&["inspect", "-f", "{{.Image}}", &format!("{p}-app-1")]);
    let short = |id: &str| id.trim_start_matches("sha256:")[..12].to_string();

    let out = s.stack.rc(&["images"]).ok().stdout();
    let lines: Vec<Vec<String>> = out
        .lines()
        .map(|l| {
            l.split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        })
        .collect();
    assert_eq!(
        lines.first().cloned().unwrap_or_default(),
        [
            "CONTAINER",
            "REPOSITORY",
            "TAG",
            "PLATFORM",
            "IMAGE ID",
            "SIZE",
            "CREATED"
        ],
        "{out}"
    );
    assert_eq!(lines.len(), 3, "{out}");
    let app_row = &lines[1];
    let web_row = &lines[2];
    // docker compose v5's columns: PLATFORM between TAG and IMAGE ID, CREATED last.
    let pick = |row: &[String]| -> Vec<String> {
        [0, 1, 2, 4]
            .iter()
            .map(|&i| row.get(i).cloned().unwrap_or_default())
            .collect()
    };
    assert_eq!(
        pick(app_row),
        [
            format!("{p}-app-1"),
            format!("{p}-app"),
            "latest".into(),
            short(&app_id)
        ],
        "{out}"
    );
    assert_eq!(
        pick(web_row),
        [
            format!("{p}-web-1"),
            "busybox".into(),
            "stable".into(),
            short(&web_id)
        ],
        "{out}"
    );
    assert!(web_row[3].starts_with("linux/"), "{out}");
    assert!(
        web_row[5].ends_with("MB") || web_row[5].ends_with("kB"),
        "{out}"
    );
    assert!(web_row[6].ends_with(" ago"), "{out}");
    // Columns line up like docker's tabwriter: every column starts where its header does.
    let header = out.lines().next().unwrap_or_default();
    let at = header.find("IMAGE ID").unwrap_or(0);
    for l in out.lines().skip(1) {
        assert_eq!(
            l.get(at..at + 12),
            Some(
                short(if l.contains("-app-1") {
                    &app_id
                } else {
                    &web_id
                })
                .as_str()
            ),
            "{out}"
        );
    }

    let quiet = s.stack.rc(&["images", "-q"]).ok().stdout();
    let mut ids: Vec<&str> = quiet.lines().collect();
    ids.sort();
    let mut want = vec![
        app_id.trim_start_matches("sha256:"),
        web_id.trim_start_matches("sha256:"),
    ];
    want.sort();
    want.dedup();
    assert_eq!(ids, want);

    let only = s.stack.rc(&["images", "web"]).ok().stdout();
    assert_eq!(only.lines().count(), 2, "{only}");
    assert!(
        only.contains(&format!("{p}-web-1")) && !only.contains("-app-1"),
        "{only}"
    );

    let json = s.stack.rc(&["images", "--format", "json"]).ok().stdout();
    let v: serde_json::Value = serde_json::from_str(&json).expect("images --format json");
    let list = v.as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 2, "{json}");
    assert_eq!(list[1]["ContainerName"], format!("{p}-web-1"));
    assert_eq!(list[1]["Repository"], "busybox");
    assert_eq!(list[1]["ID"], web_id);

    // Works from the labels alone, like docker compose (no compose file needed).
    let bare = s.stack.rc_without_file(&["images", "-q"]).ok().stdout();
    assert_eq!(bare, quiet);
}

/// `build -m` limits the memory of the build's containers, as docker compose v5 does with the
/// classic builder: a `RUN` step sees the limit in its cgroup.
#[test]
fn build_memory_flag_limits_the_build_containers_as_v5() {
    let s = Stack::new("buildmem", "services:\n  b:\n    build: .\n");
    std::fs::write(
        s.dir.path().join("Dockerfile"),
        "FROM busybox:latest\nRUN echo limit=$(cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes)\n",
    )
    .expect("Dockerfile");
    let rc = s.rc(&["build", "--no-cache", "-m", "64m"]).ok();
    let v5 = s.v5(&["build", "--no-cache", "-m", "64m"]).ok();
    for (who, out) in [("rcompose", &rc), ("v5", &v5)] {
        let text = format!("{}{}", out.stdout(), out.stderr());
        assert!(text.contains("limit=67108864"), "{who}:\n{text}");
    }
    let bad = s.rc(&["build", "-m", "lots"]).code_is(1);
    assert!(
        bad.stderr().contains("invalid size: 'lots'"),
        "{}",
        bad.stderr()
    );
    docker_try(&["rmi", "-f", &format!("{}-b", s.project)]);
}
