//! End-to-end: `rcompose stack deploy / ls / ps / services / rm` against the real engine, in a
//! one-node swarm. The swarm is shared by the whole binary, so everything runs in ONE test
//! function, scenario after scenario: a [`SwarmGuard`] inits the swarm only when the engine is not
//! in one, and on drop (even after a panic) removes every `e2e-swarm-*` stack object and leaves
//! the swarm again only if it made it. Ingress publishing and service VIPs do not answer on this
//! machine (its kernel has no IPVS: `# CONFIG_IP_VS is not set`; see README's swarm limits), so
//! the published-port traffic checks use `mode: host`; the ingress spec is compared with docker
//! stack deploy's.

#[path = "e2e_harness.rs"]
mod harness;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use harness::*;

const PREFIX: &str = "e2e-swarm-";

fn swarm_state() -> String {
    docker(&["info", "--format", "{{.Swarm.LocalNodeState}}"])
}

/// Inits a one-node swarm when the engine is not in one; on drop removes what the tests made
/// and leaves the swarm only if it inited it.
struct SwarmGuard {
    inited: bool,
    dir: PathBuf,
}

impl SwarmGuard {
    fn new() -> SwarmGuard {
        let dir = std::env::temp_dir().join(format!("{PREFIX}{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut g = SwarmGuard { inited: false, dir };
        if swarm_state() != "active" {
            docker(&["swarm", "init", "--advertise-addr", "127.0.0.1"]);
            g.inited = true;
        }
        g
    }

    fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).expect("write compose file");
        p
    }
}

/// Removes every object of every `e2e-swarm-*` stack this process made: services, secrets,
/// configs, then (once the tasks' containers are gone) networks and volumes.
fn clean_all() {
    let mine = format!("{PREFIX}{}-", std::process::id());
    let list = |what: &[&str]| -> Vec<String> {
        docker_try(what)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with(&mine))
            .map(str::to_string)
            .collect()
    };
    for s in list(&["service", "ls", "--format", "{{.Name}}"]) {
        let _ = docker_try(&["service", "rm", &s]);
    }
    for s in list(&["secret", "ls", "--format", "{{.Name}}"]) {
        let _ = docker_try(&["secret", "rm", &s]);
    }
    for s in list(&["config", "ls", "--format", "{{.Name}}"]) {
        let _ = docker_try(&["config", "rm", &s]);
    }
    let gone = eventually(Duration::from_secs(60), || {
        list(&["ps", "-a", "--format", "{{.Names}}"]).is_empty()
    });
    if !gone {
        eprintln!(
            "task containers still there after 60s: {:?}",
            list(&["ps", "-a", "--format", "{{.Names}}"])
        );
    }
    eventually(Duration::from_secs(30), || {
        for n in list(&["network", "ls", "--format", "{{.Name}}"]) {
            let _ = docker_try(&["network", "rm", &n]);
        }
        list(&["network", "ls", "--format", "{{.Name}}"]).is_empty()
    });
    for v in list(&["volume", "ls", "--format", "{{.Name}}"]) {
        let _ = docker_try(&["volume", "rm", &v]);
    }
}

impl Drop for SwarmGuard {
    fn drop(&mut self) {
        clean_all();
        let _ = std::fs::remove_dir_all(&self.dir);
        if self.inited {
            let _ = docker_try(&["swarm", "leave", "--force"]);
        }
    }
}

fn stack_name(tag: &str) -> String {
    // unique_name gives e2e-<tag>-<pid>-<n>; stacks need e2e-swarm-<pid>-... for clean_all.
    let n = unique_name("x");
    let suffix = n.rsplit('-').next().unwrap_or("0").to_string();
    format!("{PREFIX}{}-{tag}{suffix}", std::process::id())
}

fn rc(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(BIN);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    output_within(c, &format!("rcompose {}", args.join(" ")))
}

#[track_caller]
fn rc_ok(args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let o = rc(args, env);
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        o.status.success(),
        "rcompose {} failed:\n{out}\n{err}",
        args.join(" ")
    );
    (out, err)
}

fn deploy(file: &Path, stack: &str, extra: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let f = file.to_str().unwrap();
    let mut args = vec!["stack", "deploy", "-c", f];
    args.extend_from_slice(extra);
    args.push(stack);
    rc_ok(&args, env)
}

fn service_names(stack: &str) -> Vec<String> {
    let label = format!("label=com.docker.stack.namespace={stack}");
    let mut v: Vec<String> =
        docker(&["service", "ls", "--filter", &label, "--format", "{{.Name}}"])
            .lines()
            .map(str::to_string)
            .collect();
    v.sort();
    v
}

fn replicas(service: &str) -> String {
    docker(&[
        "service",
        "ls",
        "--filter",
        &format!("name={service}"),
        "--format",
        "{{.Replicas}}",
    ])
}

/// Waits until the stack has no services, task containers, networks, secrets or configs left.
#[track_caller]
fn assert_stack_gone(stack: &str) {
    let label = format!("label=com.docker.stack.namespace={stack}");
    let left = || -> Vec<String> {
        let mut v = Vec::new();
        for what in [
            vec!["service", "ls", "-q"],
            vec!["ps", "-aq"],
            vec!["network", "ls", "-q"],
            vec!["secret", "ls", "-q"],
            vec!["config", "ls", "-q"],
        ] {
            let mut a = what.clone();
            a.extend(["--filter", label.as_str()]);
            let out = docker_try(&a).unwrap_or_default();
            if !out.is_empty() {
                v.push(format!("{}: {}", what[0], out.replace('\n', " ")));
            }
        }
        v
    };
    let ok = eventually(Duration::from_secs(60), || left().is_empty());
    assert!(
        ok,
        "stack {stack} still has objects after 60s: {:?}",
        left()
    );
}

const WEB: &str = r#"
services:
  web:
    image: rcompose-test/busybox:latest
    build: .
    command: ["sh", "-c", "mkdir -p /w && echo $$GREETING > /w/index.html && exec httpd -f -p 80 -h /w"]
    stop_grace_period: 1s
    environment:
      GREETING: ${GREETING:-hello}
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"]
      interval: 1s
      timeout: 2s
      retries: 5
    secrets: [token]
    configs: [settings]
    ulimits: {nofile: {soft: 1024, hard: 2048}}
    group_add: ["4321"]
    pids_limit: 200
    deploy:
      replicas: ${REPLICAS:-3}
      labels: {org.example.tier: front}
      resources: {limits: {cpus: "0.5", memory: 64M}, reservations: {memory: 8M}}
      restart_policy: {condition: any, delay: 1s}
      update_config: {parallelism: 3, delay: 0s, order: stop-first}
      rollback_config: {parallelism: 1}
  edge:
    image: rcompose-test/busybox:latest
    container_name: ignored
    stop_grace_period: 1s
    command: ["sh", "-c", "mkdir -p /w && cat /run/secrets/token > /w/index.html && exec httpd -f -p 80 -h /w"]
    secrets: [token]
    ports: [{target: 80, published: "${EDGE_PORT}", mode: host}]
    volumes: [data:/data]
    networks: [default, back]
  worker:
    image: rcompose-test/busybox:latest
    command: ["sleep", "86400"]
    stop_grace_period: 1s
    platform: linux/amd64
    volumes: [{type: tmpfs, target: /scratch, tmpfs: {size: 1m, mode: 0o1770}}]
    networks: [back]
networks:
  back:
    attachable: true
volumes:
  data:
secrets:
  token:
    environment: TOKEN
configs:
  settings:
    content: "x=1"
"#;

fn not_a_manager_is_a_clear_error(g: &SwarmGuard) {
    let f = g.file(
        "nm.yaml",
        "services:\n  a:\n    image: rcompose-test/busybox:latest\n",
    );
    let o = rc(
        &["stack", "deploy", "-c", f.to_str().unwrap(), "e2e-swarm-nm"],
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("not a swarm manager") && err.contains("docker swarm init"),
        "{err}"
    );
    let o = rc(&["stack", "ls"], &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("docker swarm init"));
}

fn deploy_update_scale_prune_rm(g: &SwarmGuard) {
    let stack = stack_name("web");
    let port = free_port().to_string();
    let f = g.file("web.yaml", WEB);
    let env = |greeting: &'static str, replicas: &'static str, token: &'static str| {
        vec![
            ("GREETING", greeting),
            ("REPLICAS", replicas),
            ("TOKEN", token),
            ("EDGE_PORT", ""),
        ]
    };
    let mut e = env("hello", "3", "t1");
    e[3].1 = Box::leak(port.clone().into_boxed_str());

    // First deploy, waiting for 3 healthy replicas.
    let t = Instant::now();
    let (out, err) = deploy(&f, &stack, &["--wait", "--wait-timeout", "90"], &e);
    eprintln!("first deploy --wait: {:?}", t.elapsed());
    for key in ["services.web.build", "services.edge.container_name"] {
        assert!(err.contains(key), "no warning for {key}:\n{err}");
    }
    assert!(
        out.contains(&format!("Creating service {stack}_web")),
        "{out}"
    );
    assert_eq!(
        service_names(&stack),
        vec![
            format!("{stack}_edge"),
            format!("{stack}_web"),
            format!("{stack}_worker")
        ]
    );
    assert_eq!(replicas(&format!("{stack}_web")), "3/3");
    // docker's labels and names.
    let labels = docker(&[
        "service",
        "inspect",
        &format!("{stack}_web"),
        "--format",
        "{{json .Spec.Labels}}",
    ]);
    assert!(
        labels.contains(&format!("\"com.docker.stack.namespace\":\"{stack}\"")),
        "{labels}"
    );
    assert!(
        labels.contains("\"com.docker.stack.image\":\"rcompose-test/busybox:latest\""),
        "{labels}"
    );
    assert!(
        labels.contains("\"org.example.tier\":\"front\""),
        "{labels}"
    );
    let attachable = docker(&[
        "network",
        "inspect",
        &format!("{stack}_back"),
        "--format",
        "{{.Driver}} {{.Attachable}}",
    ]);
    assert_eq!(attachable, "overlay true");
    // The host-mode port serves the secret (edge may still be starting: no --wait on it is
    // needed, deploy --wait covered every service).
    let ok = eventually(Duration::from_secs(30), || {
        http_get(port.parse().unwrap()).is_some_and(|b| b.trim() == "t1")
    });
    assert!(
        ok,
        "edge did not serve the secret on host port {port}: {:?}",
        http_get(port.parse().unwrap())
    );
    // `stack ls / services / ps`.
    let (ls, _) = rc_ok(&["stack", "ls"], &[]);
    assert!(
        ls.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == [stack.as_str(), "3"]),
        "{ls}"
    );
    let (svcs, _) = rc_ok(&["stack", "services", &stack], &[]);
    assert!(
        svcs.contains(&format!("{stack}_web")) && svcs.contains("3/3"),
        "{svcs}"
    );
    let (ps, _) = rc_ok(&["stack", "ps", &stack], &[]);
    assert_eq!(
        ps.lines()
            .filter(|l| l.contains(&format!("{stack}_web.")) && l.contains("Running"))
            .count(),
        3,
        "{ps}"
    );
    // docker sees it.
    let dls = docker(&["stack", "ls", "--format", "{{.Name}}"]);
    assert!(dls.lines().any(|l| l == stack), "{dls}");
    let dps = docker(&["stack", "ps", &stack, "--format", "{{.Name}}"]);
    assert!(dps.contains(&format!("{stack}_worker.1")), "{dps}");

    // A second deploy of the same file changes nothing.
    let (out, _) = deploy(&f, &stack, &[], &e);
    assert!(
        !out.contains("Updating") && !out.contains("Creating"),
        "{out}"
    );

    // An environment change updates web only.
    let mut e2 = e.clone();
    e2[0].1 = "changed";
    let (out, _) = deploy(&f, &stack, &["--wait", "--wait-timeout", "90"], &e2);
    assert!(
        out.contains(&format!("Updating service {stack}_web")),
        "{out}"
    );
    assert!(!out.contains("_edge") && !out.contains("_worker"), "{out}");
    let env_now = docker(&[
        "service",
        "inspect",
        &format!("{stack}_web"),
        "--format",
        "{{json .Spec.TaskTemplate.ContainerSpec.Env}}",
    ]);
    assert!(env_now.contains("GREETING=changed"), "{env_now}");

    ulimits_groups_and_pids_reach_the_tasks(&stack);
    listings_match_docker_stack(&stack);

    // Scale down to one.
    e2[1].1 = "1";
    let (out, _) = deploy(&f, &stack, &["--detach=false", "--wait-timeout", "90"], &e2);
    assert!(
        out.contains(&format!("Updating service {stack}_web")),
        "{out}"
    );
    assert_eq!(replicas(&format!("{stack}_web")), "1/1");

    // A changed secret gets a new name and rolls out; the old one goes.
    let before = docker(&[
        "secret",
        "ls",
        "--filter",
        &format!("label=com.docker.stack.namespace={stack}"),
        "--format",
        "{{.Name}}",
    ]);
    e2[2].1 = "t2";
    let (out, _) = deploy(&f, &stack, &["--wait", "--wait-timeout", "90"], &e2);
    assert!(
        out.contains(&format!("Updating service {stack}_edge")),
        "{out}"
    );
    let after = docker(&[
        "secret",
        "ls",
        "--filter",
        &format!("label=com.docker.stack.namespace={stack}"),
        "--format",
        "{{.Name}}",
    ]);
    assert_ne!(before, after);
    assert_eq!(after.lines().count(), 1, "{after}");
    let ok = eventually(Duration::from_secs(30), || {
        http_get(port.parse().unwrap()).is_some_and(|b| b.trim() == "t2")
    });
    assert!(ok, "edge did not roll out the new secret");

    // --prune removes the services that left the file.
    let small = g.file("web-small.yaml", &WEB.replace("  worker:\n    image: rcompose-test/busybox:latest\n    command: [\"sleep\", \"86400\"]\n    stop_grace_period: 1s\n    platform: linux/amd64\n    volumes: [{type: tmpfs, target: /scratch, tmpfs: {size: 1m, mode: 0o1770}}]\n    networks: [back]\n", ""));
    let (out, _) = deploy(&small, &stack, &[], &e2);
    assert!(
        !out.contains("Removing"),
        "without --prune nothing goes: {out}"
    );
    let (out, _) = deploy(&small, &stack, &["--prune"], &e2);
    assert!(
        out.contains(&format!("Removing service {stack}_worker")),
        "{out}"
    );
    assert_eq!(
        service_names(&stack),
        vec![format!("{stack}_edge"), format!("{stack}_web")]
    );

    // rm removes everything but the volume (as docker stack rm).
    let (out, _) = rc_ok(&["stack", "rm", &stack], &[]);
    assert!(
        out.contains(&format!("Removing network {stack}_default")),
        "{out}"
    );
    assert_stack_gone(&stack);
    let vol = format!("{stack}_data");
    let _ = docker_try(&["volume", "rm", &vol]);
}

/// ulimits, group_add and pids_limit (web), platform and a tmpfs mode (worker) are in the service
/// spec and in the running tasks.
fn ulimits_groups_and_pids_reach_the_tasks(stack: &str) {
    let web = format!("{stack}_web");
    let cs = docker(&[
        "service",
        "inspect",
        &web,
        "--format",
        "{{json .Spec.TaskTemplate.ContainerSpec.Ulimits}} {{json .Spec.TaskTemplate.ContainerSpec.Groups}} {{json .Spec.TaskTemplate.Resources.Limits.Pids}}",
    ]);
    assert_eq!(
        cs,
        r#"[{"Name":"nofile","Hard":2048,"Soft":1024}] ["4321"] 200"#
    );
    let container = docker(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.swarm.service.name={web}"),
    ]);
    let container = container.lines().next().expect("a running web task");
    let seen = docker(&[
        "exec",
        container,
        "sh",
        "-c",
        "ulimit -Sn; ulimit -Hn; id -G; cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max",
    ]);
    let seen: Vec<&str> = seen.lines().collect();
    assert_eq!(seen[..2], ["1024", "2048"], "{seen:?}");
    assert!(seen[2].split(' ').any(|g| g == "4321"), "{seen:?}");
    assert_eq!(seen[3], "200", "{seen:?}");
    // platform (a placement platform the node matches) and a tmpfs mount's mode.
    let worker = format!("{stack}_worker");
    let placement = docker(&[
        "service",
        "inspect",
        &worker,
        "--format",
        "{{json .Spec.TaskTemplate.Placement.Platforms}}",
    ]);
    assert_eq!(placement, r#"[{"Architecture":"amd64","OS":"linux"}]"#);
    let container = docker(&[
        "ps",
        "-q",
        "--filter",
        &format!("label=com.docker.swarm.service.name={worker}"),
    ]);
    let mode = docker(&["exec", container.trim(), "stat", "-c", "%a", "/scratch"]);
    assert_eq!(mode, "1770");
}

/// `stack ls / services / ps` print what `docker stack` prints on the same stack: the tables,
/// JSON, templates, `-q`, `--no-trunc` and filters (CURRENT STATE, a time, is compared apart).
fn listings_match_docker_stack(stack: &str) {
    let host = docker(&["info", "--format", "{{.Name}}"]);
    let tier = "label=org.example.tier=front".to_string();
    let web = format!("name={stack}_web");
    let node = format!("node={host}");
    let ps_cols = "table {{.ID}}\t{{.Name}}\t{{.Image}}\t{{.Node}}\t{{.DesiredState}}\t{{.Error}}\t{{.Ports}}";
    let ps_json = "{{.CurrentState}}";
    let cases: Vec<Vec<&str>> = vec![
        vec!["services", stack],
        vec!["services", stack, "--format", "json"],
        vec!["services", stack, "-q"],
        vec!["services", stack, "--filter", "mode=replicated", "-q"],
        vec![
            "services",
            stack,
            "--filter",
            &tier,
            "--format",
            "{{.Name}}",
        ],
        vec![
            "services",
            stack,
            "--filter",
            &web,
            "--format",
            "{{.Name}} {{.Replicas}} {{.Mode}}",
        ],
        vec!["ps", stack, "--format", ps_cols],
        vec!["ps", stack, "--format", ps_cols, "--no-trunc"],
        vec!["ps", stack, "--format", ps_cols, "--no-resolve"],
        vec!["ps", stack, "-q"],
        vec!["ps", stack, "-q", "--no-trunc"],
        vec!["ps", stack, "--filter", "desired-state=running", "-q"],
        vec![
            "ps",
            stack,
            "--filter",
            "desired-state=shutdown",
            "--format",
            "{{.Name}}",
        ],
        vec!["ps", stack, "--filter", &web, "-q"],
        vec![
            "ps",
            stack,
            "--filter",
            &node,
            "--format",
            "{{.Name}} {{.Node}}",
        ],
    ];
    for args in cases {
        let mut ours = vec!["stack"];
        ours.extend(&args);
        let (mine, _) = rc_ok(&ours, &[]);
        let theirs = docker(&ours);
        assert_eq!(
            mine.trim(),
            theirs.trim(),
            "rcompose {} differs from docker's",
            ours.join(" ")
        );
    }
    // `stack ls`: our stack's line, as a table and as JSON.
    for format in ["table", "json"] {
        let line = |out: &str| -> String {
            out.lines()
                .filter(|l| l.starts_with("NAME") || l.contains(stack))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let (mine, _) = rc_ok(&["stack", "ls", "--format", format], &[]);
        let theirs = docker(&["stack", "ls", "--format", format]);
        // Column widths follow the longest name on the engine: compare cells.
        let cells = |s: String| -> Vec<Vec<String>> {
            s.lines()
                .map(|l| l.split_whitespace().map(str::to_string).collect())
                .collect()
        };
        assert_eq!(
            cells(line(&mine)),
            cells(line(&theirs)),
            "stack ls --format {format}"
        );
    }
    // The default `stack ps` table: the same rows and columns, times aside.
    let (mine, _) = rc_ok(&["stack", "ps", stack], &[]);
    let theirs = docker(&["stack", "ps", stack]);
    assert_eq!(
        mine.lines().next(),
        theirs.lines().next(),
        "stack ps header"
    );
    assert_eq!(
        mine.lines().count(),
        theirs.lines().count(),
        "{mine}\n{theirs}"
    );
    let (mine, _) = rc_ok(&["stack", "ps", stack, "--format", ps_json], &[]);
    let theirs = docker(&["stack", "ps", stack, "--format", ps_json]);
    let state = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.split(' ').next().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(state(&mine), state(&theirs), "CURRENT STATE's state");
    assert!(mine.lines().all(|l| l.ends_with(" ago")), "{mine}");
    // A bad filter is a clear error.
    let o = rc(&["stack", "ps", stack, "--filter", "colour=red"], &[]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("invalid filter 'colour'"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn wait_deadline_names_service_and_task_error(g: &SwarmGuard) {
    let stack = stack_name("sick");
    let f = g.file(
        "sick.yaml",
        "services:\n  sick:\n    image: rcompose-test/busybox:latest\n    command: [\"sleep\", \"86400\"]\n    stop_grace_period: 1s\n    healthcheck: {test: [\"CMD\", \"false\"], interval: 1s, retries: 1}\n",
    );
    let t = Instant::now();
    let o = rc(
        &[
            "stack",
            "deploy",
            "-c",
            f.to_str().unwrap(),
            "--wait",
            "--wait-timeout",
            "8",
            &stack,
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "a never-healthy service must fail --wait"
    );
    assert!(t.elapsed() < Duration::from_secs(40), "{:?}", t.elapsed());
    assert!(
        err.contains(&format!("service {stack}_sick")) && err.contains("timed out after 8s"),
        "{err}"
    );
    assert!(
        err.contains("task "),
        "the error names the failing task: {err}"
    );
    eprintln!("wait deadline error: {err}");
    rc_ok(&["stack", "rm", &stack], &[]);
    assert_stack_gone(&stack);
}

fn unsupported_input_is_an_error_naming_service_and_key(g: &SwarmGuard) {
    let f = g.file("bad.yaml", "services:\n  b:\n    build: .\n");
    let o = rc(
        &[
            "stack",
            "deploy",
            "-c",
            f.to_str().unwrap(),
            "e2e-swarm-bad",
        ],
        &[],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("services.b.image"), "{err}");
    assert!(service_names("e2e-swarm-bad").is_empty());
}

fn docker_stack_deploy_is_seen_and_removed_by_rcompose(g: &SwarmGuard) {
    let stack = stack_name("theirs");
    let f = g.file(
        "theirs.yaml",
        "version: \"3.8\"\nservices:\n  a:\n    image: rcompose-test/busybox:latest\n    command: [\"sleep\", \"86400\"]\n    stop_grace_period: 1s\n    ports: [\"${P}:80\", {target: 81, published: \"${Q}\", protocol: udp}]\n",
    );
    // Two ports each, in the same order for both stacks (the spec lists them by number).
    let pair = || {
        let (a, b) = (free_port(), free_port());
        (a.min(b).to_string(), a.max(b).to_string())
    };
    let (p, q) = pair();
    let mut c = Command::new("docker");
    c.args(["stack", "deploy", "--resolve-image", "never", "-c"])
        .arg(&f)
        .arg(&stack)
        .env("P", &p)
        .env("Q", &q);
    let o = output_within(c, "docker stack deploy");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // The same file deployed by rcompose (on other ports): the same ingress endpoint spec, and
    // `stack services` prints both stacks' PORTS as docker does.
    let ours = stack_name("ingress");
    let (p2, q2) = pair();
    deploy(&f, &ours, &[], &[("P", p2.as_str()), ("Q", q2.as_str())]);
    let endpoint = |service: &str| {
        docker(&[
            "service",
            "inspect",
            service,
            "--format",
            "{{json .Spec.EndpointSpec}}",
        ])
    };
    assert_eq!(
        endpoint(&format!("{ours}_a"))
            .replace(&p2, "P")
            .replace(&q2, "Q"),
        endpoint(&format!("{stack}_a"))
            .replace(&p, "P")
            .replace(&q, "Q")
    );
    for s in [&stack, &ours] {
        let (mine, _) = rc_ok(&["stack", "services", s, "--format", "{{.Ports}}"], &[]);
        let theirs = docker(&["stack", "services", s, "--format", "{{.Ports}}"]);
        assert_eq!(mine.trim(), theirs, "PORTS of {s}");
        assert!(theirs.contains("->80/tcp"), "{theirs}");
    }
    rc_ok(&["stack", "rm", &ours], &[]);
    let (ls, _) = rc_ok(&["stack", "ls"], &[]);
    assert!(ls.contains(&stack), "{ls}");
    let (svcs, _) = rc_ok(&["stack", "services", &stack], &[]);
    assert!(svcs.contains(&format!("{stack}_a")), "{svcs}");
    let ok = eventually(Duration::from_secs(30), || {
        rc_ok(&["stack", "ps", &stack], &[]).0.contains("Running")
    });
    assert!(ok, "docker's stack task never ran");
    rc_ok(&["stack", "rm", &stack], &[]);
    assert_stack_gone(&stack);
}

fn rcompose_stack_is_removed_by_docker_stack_rm(g: &SwarmGuard) {
    let stack = stack_name("ours");
    let f = g.file(
        "ours.yaml",
        "services:\n  a:\n    image: rcompose-test/busybox:latest\n    command: [\"sleep\", \"86400\"]\n    stop_grace_period: 1s\n    secrets: [s]\nsecrets:\n  s: {environment: S}\n",
    );
    deploy(
        &f,
        &stack,
        &["--wait", "--wait-timeout", "60"],
        &[("S", "x")],
    );
    let dps = docker(&[
        "stack",
        "services",
        &stack,
        "--format",
        "{{.Name}} {{.Replicas}}",
    ]);
    assert_eq!(dps, format!("{stack}_a 1/1"));
    docker(&["stack", "rm", &stack]);
    // docker stack rm does not wait for the tasks: the network goes once they are gone.
    eventually(Duration::from_secs(60), || {
        docker_try(&[
            "ps",
            "-aq",
            "--filter",
            &format!("label=com.docker.stack.namespace={stack}"),
        ])
        .unwrap_or_default()
        .is_empty()
    });
    eventually(Duration::from_secs(30), || {
        docker_try(&["network", "rm", &format!("{stack}_default")]).is_some()
            || docker_try(&["network", "inspect", &format!("{stack}_default")]).is_none()
    });
    assert_stack_gone(&stack);
}

fn compose_example_web_deploys(_g: &SwarmGuard) {
    let stack = stack_name("example");
    let port = free_port().to_string();
    let file = repo_path("compose-examples/web/compose.yaml");
    let (_, err) = deploy(&file, &stack, &[], &[("WEB_PORT", port.as_str())]);
    assert!(err.contains("services.web.depends_on"), "{err}");
    // store and web become running (web is healthy once content has written the site into the
    // shared node-local volume); content is a one-shot that swarm restarts.
    let ok = eventually(Duration::from_secs(60), || {
        replicas(&format!("{stack}_store")) == "1/1" && replicas(&format!("{stack}_web")) == "1/1"
    });
    assert!(
        ok,
        "example web stack never ran: {}",
        rc_ok(&["stack", "ps", &stack], &[]).0
    );
    rc_ok(&["stack", "rm", &stack], &[]);
    assert_stack_gone(&stack);
    let _ = docker_try(&["volume", "rm", &format!("{stack}_site")]);
}

/// A scenario's name and body.
type Scenario = (&'static str, fn(&SwarmGuard));

#[test]
fn swarm_stack_scenarios() {
    require_engine();
    let before = swarm_state();
    if before == "inactive" {
        let dir = std::env::temp_dir().join(format!("{PREFIX}nm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        not_a_manager_is_a_clear_error(&SwarmGuard { inited: false, dir });
    }
    {
        let g = SwarmGuard::new();
        let scenarios: [Scenario; 6] = [
            (
                "unsupported_input",
                unsupported_input_is_an_error_naming_service_and_key,
            ),
            ("deploy_update_scale_prune_rm", deploy_update_scale_prune_rm),
            ("wait_deadline", wait_deadline_names_service_and_task_error),
            (
                "docker_stack_deploy_seen_by_rcompose",
                docker_stack_deploy_is_seen_and_removed_by_rcompose,
            ),
            (
                "rcompose_stack_removed_by_docker",
                rcompose_stack_is_removed_by_docker_stack_rm,
            ),
            ("compose_example_web", compose_example_web_deploys),
        ];
        for (name, f) in scenarios {
            let t = Instant::now();
            f(&g);
            eprintln!("scenario {name}: {:.1}s", t.elapsed().as_secs_f64());
        }
    }
    assert_eq!(
        swarm_state(),
        before,
        "the engine's swarm state was not restored"
    );
}
