//! Unit tests of the compose -> swarm translation: names, labels, networks, ports, healthcheck,
//! resources, policies, content-hashed secrets, warnings and errors.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::translate::*;
use crate::loader::{self, ConfigSource, LoadOptions};
use crate::model::Project;

fn project(yaml: &str) -> Project {
    project_with(yaml, &[])
}

/// `yaml` loaded for a stack, with these profiles active.
fn project_with(yaml: &str, profiles: &[&str]) -> Project {
    let opts = LoadOptions {
        files: vec![ConfigSource::Inline {
            name: PathBuf::from("/proj/compose.yaml"),
            text: yaml.to_string(),
        }],
        project_name: Some("demo".into()),
        working_dir: Some(PathBuf::from("/proj")),
        profiles: profiles.iter().map(|p| p.to_string()).collect(),
        swarm: true,
        ..Default::default()
    };
    loader::load(&opts).expect("loads").project
}

fn files(p: &Path) -> std::io::Result<Vec<u8>> {
    Ok(format!("content of {}", p.display()).into_bytes())
}

fn ok(yaml: &str) -> Desired {
    translate(&project(yaml), "demo", &files).expect("translates")
}

#[test]
fn service_gets_docker_cli_names_labels_and_default_network() {
    let d = ok("services:\n  web:\n    image: busybox\n    labels: {a: b}\n    deploy:\n      labels: {x: y}\n");
    let s = &d.services[0];
    assert_eq!(s.name, "demo_web");
    assert_eq!(s.spec["Labels"][NAMESPACE], "demo");
    assert_eq!(s.spec["Labels"]["com.docker.stack.image"], "busybox");
    assert_eq!(s.spec["Labels"]["x"], "y");
    assert_eq!(s.spec["TaskTemplate"]["ContainerSpec"]["Labels"]["a"], "b");
    assert_eq!(
        s.spec["TaskTemplate"]["ContainerSpec"]["Labels"][NAMESPACE],
        "demo"
    );
    assert_eq!(
        s.spec["TaskTemplate"]["Networks"],
        json!([{"Target": "demo_default", "Aliases": ["web"]}])
    );
    assert_eq!(d.networks[0].name, "demo_default");
    assert_eq!(d.networks[0].driver.as_deref(), Some("overlay"));
    assert_eq!(s.spec["Mode"], json!({"Replicated": {"Replicas": 1}}));
}

#[test]
fn deploy_keys_become_the_service_spec() {
    let d = ok(r#"
services:
  web:
    image: busybox
    environment: {B: "2", A: "1"}
    healthcheck: {test: ["CMD", "true"], interval: 2s, retries: 3}
    ports: ["8080:80", {target: 81, published: "8081", mode: host}]
    deploy:
      replicas: 3
      resources: {limits: {cpus: "0.5", memory: 64M}}
      restart_policy: {condition: on-failure, max_attempts: 2}
      update_config: {parallelism: 2, order: start-first}
      placement: {constraints: ["node.role==manager"]}
      endpoint_mode: vip
"#);
    let s = &d.services[0].spec;
    assert_eq!(s["Mode"]["Replicated"]["Replicas"], 3);
    assert_eq!(
        s["TaskTemplate"]["ContainerSpec"]["Env"],
        json!(["A=1", "B=2"])
    );
    assert_eq!(
        s["TaskTemplate"]["ContainerSpec"]["HealthCheck"],
        json!({"Test": ["CMD", "true"], "Interval": 2_000_000_000i64, "Retries": 3})
    );
    assert_eq!(
        s["TaskTemplate"]["Resources"]["Limits"],
        json!({"NanoCPUs": 500_000_000, "MemoryBytes": 67_108_864})
    );
    assert_eq!(
        s["TaskTemplate"]["RestartPolicy"],
        json!({"Condition": "on-failure", "MaxAttempts": 2})
    );
    assert_eq!(s["UpdateConfig"]["Order"], "start-first");
    assert_eq!(
        s["TaskTemplate"]["Placement"]["Constraints"],
        json!(["node.role==manager"])
    );
    assert_eq!(
        s["EndpointSpec"]["Ports"],
        json!([
            {"Protocol": "tcp", "TargetPort": 80, "PublishMode": "ingress", "PublishedPort": 8080},
            {"Protocol": "tcp", "TargetPort": 81, "PublishMode": "host", "PublishedPort": 8081}
        ])
    );
}

#[test]
fn ignored_keys_are_warnings_naming_service_and_key() {
    let d = ok("services:\n  web:\n    image: busybox\n    build: .\n    container_name: xx\n    depends_on: [db]\n  db:\n    image: busybox\n");
    let paths: Vec<String> = d.warnings.iter().map(|w| w.path()).collect();
    assert!(
        paths.contains(&"services.web.build".to_string()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"services.web.container_name".to_string()),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"services.web.depends_on".to_string()),
        "{paths:?}"
    );
}

#[test]
fn a_service_without_image_is_an_error_naming_it() {
    let e = translate(
        &project("services:\n  web:\n    build: .\n"),
        "demo",
        &files,
    )
    .unwrap_err();
    assert!(e.to_string().contains("services.web.image"), "{e}");
}

#[test]
fn secret_names_change_with_their_content() {
    let mut p = project(
        "services:\n  web:\n    image: busybox\n    secrets: [s]\nsecrets:\n  s:\n    environment: V\n",
    );
    p.environment.insert("V".into(), "one".into());
    let a = translate(&p, "demo", &files).unwrap();
    p.environment.insert("V".into(), "two".into());
    let b = translate(&p, "demo", &files).unwrap();
    assert!(a.objects[0].name.starts_with("demo_s-"));
    assert_ne!(a.objects[0].name, b.objects[0].name);
    assert_ne!(a.services[0].hash, b.services[0].hash);
    let r = &a.services[0].spec["TaskTemplate"]["ContainerSpec"]["Secrets"][0];
    assert_eq!(r["SecretName"], json!(a.objects[0].name));
    assert_eq!(r["File"]["Name"], "/run/secrets/s");
}

#[test]
fn same_file_same_hash() {
    let y = "services:\n  web:\n    image: busybox\n";
    assert_eq!(ok(y).services[0].hash, ok(y).services[0].hash);
}

#[test]
fn global_with_replicas_is_an_error() {
    let e = translate(
        &project("services:\n  w:\n    image: b\n    deploy: {mode: global, replicas: 2}\n"),
        "demo",
        &files,
    )
    .unwrap_err();
    assert!(e.to_string().contains("services.w.deploy.replicas"), "{e}");
}

#[test]
fn a_fixed_port_on_several_replicas_is_fine_for_swarm() {
    let d = ok("services:\n  web:\n    image: busybox\n    ports: [\"8080:80\"]\n    deploy: {replicas: 3}\n");
    assert_eq!(d.services[0].replicas, Some(3));
}

#[test]
fn a_relative_bind_mount_is_an_error_naming_service_and_key() {
    let mut p = project("services:\n  web:\n    image: busybox\n    volumes: [\"/abs:/x\"]\n");
    p.services[0].volumes[0].source = Some("rel".into());
    let e = translate(&p, "demo", &files).unwrap_err();
    assert!(e.to_string().contains("services.web.volumes[0]"), "{e}");
}

/// Every compose key a service can set, once (`network_mode` conflicts with `networks`, so
/// `other` sets it; `provider` is an error and is checked apart).
const EVERY_KEY: &str = r#"
services:
  all:
    profiles: [p]
    annotations: {a: b}
    attach: false
    build: .
    develop: {watch: [{path: ./src, action: rebuild}]}
    blkio_config: {weight: 300}
    cap_add: [NET_ADMIN]
    cap_drop: [MKNOD]
    cgroup_parent: parent
    cgroup: host
    cpu_count: 1
    cpu_percent: 50
    cpu_period: 100000
    cpu_quota: 50000
    cpu_rt_period: 1000
    cpu_rt_runtime: 500
    cpus: 0.5
    cpuset: "0"
    cpu_shares: 512
    command: [sleep, "1"]
    configs: [cfg]
    container_name: cname
    credential_spec: {config: cred}
    depends_on: [other]
    deploy:
      mode: replicated
      replicas: 2
      labels: {d: e}
      update_config: {parallelism: 1, delay: 1s, failure_action: pause, monitor: 1s, max_failure_ratio: 0.5, order: start-first}
      rollback_config: {parallelism: 1, order: stop-first}
      resources:
        limits: {cpus: "1", memory: 64M, pids: 50}
        reservations:
          cpus: "0.5"
          memory: 32M
          devices: [{capabilities: [gpu], count: 1}]
          generic_resources: [{discrete_resource_spec: {kind: gpu, value: 2}}]
      restart_policy: {condition: on-failure, delay: 1s, max_attempts: 3, window: 10s}
      placement: {constraints: [node.role==manager], preferences: [{spread: node.labels.zone}], max_replicas_per_node: 2}
      endpoint_mode: vip
    device_cgroup_rules: ["c 1:3 mr"]
    devices: ["/dev/null:/dev/null"]
    dns: [8.8.8.8]
    dns_opt: [use-vc]
    dns_search: [example.com]
    domainname: example.com
    entrypoint: [sh, -c]
    environment: {A: "1"}
    expose: ["80"]
    external_links: ["x:y"]
    extra_hosts: ["h:10.0.0.9"]
    group_add: [users]
    gpus: all
    hostname: h
    healthcheck: {test: [CMD, "true"], interval: 1s, start_interval: 1s}
    image: busybox
    init: true
    ipc: host
    isolation: default
    labels: {l: v}
    label_file: ./labels
    links: [other]
    logging: {driver: json-file, options: {max-size: 1m}}
    mem_limit: 64m
    mem_reservation: 32m
    memswap_limit: 128m
    mem_swappiness: 10
    mac_address: "02:42:ac:11:00:02"
    models: [m]
    networks: {front: {aliases: [a], ipv4_address: 10.9.0.5, priority: 1}}
    oom_kill_disable: true
    oom_score_adj: 100
    pid: host
    pids_limit: 100
    platform: linux/arm64/v8
    ports: [{target: 80, published: "8080", name: web, app_protocol: http}]
    privileged: true
    pull_policy: always
    pull_refresh_after: 1h
    read_only: true
    restart: always
    runtime: runc
    scale: 2
    secrets: [sec]
    security_opt: [no-new-privileges]
    shm_size: 64m
    stdin_open: true
    stop_grace_period: 5s
    stop_signal: SIGINT
    storage_opt: {size: 1G}
    sysctls: {net.core.somaxconn: "1024"}
    tmpfs: [/run]
    tty: true
    ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 512}
    use_api_socket: true
    user: "1000"
    userns_mode: host
    uts: host
    volumes: [data:/data]
    volumes_from: [other]
    working_dir: /w
    pre_start: [{command: [echo]}]
    post_start: [{command: [echo]}]
    pre_stop: [{command: [echo]}]
  other:
    image: busybox
    network_mode: none
networks:
  front:
    ipam: {config: [{subnet: 10.9.0.0/24}]}
volumes:
  data:
secrets:
  sec: {file: ./sec}
configs:
  cfg: {content: x}
  cred: {content: "{}"}
models:
  m: {model: ai/smollm2}
"#;

/// A translated key and where the service spec holds it (a JSON pointer that must be set).
const TRANSLATED: &[(&str, &str)] = &[
    ("cap_add", "/TaskTemplate/ContainerSpec/CapabilityAdd"),
    ("cap_drop", "/TaskTemplate/ContainerSpec/CapabilityDrop"),
    ("command", "/TaskTemplate/ContainerSpec/Args"),
    ("configs", "/TaskTemplate/ContainerSpec/Configs/0/File"),
    (
        "credential_spec",
        "/TaskTemplate/ContainerSpec/Privileges/CredentialSpec/Config",
    ),
    ("deploy.mode", "/Mode/Replicated"),
    ("deploy.replicas", "/Mode/Replicated/Replicas"),
    ("deploy.labels", "/Labels/d"),
    ("deploy.update_config", "/UpdateConfig/FailureAction"),
    ("deploy.rollback_config", "/RollbackConfig/Order"),
    (
        "deploy.resources.limits.cpus",
        "/TaskTemplate/Resources/Limits/NanoCPUs",
    ),
    (
        "deploy.resources.limits.memory",
        "/TaskTemplate/Resources/Limits/MemoryBytes",
    ),
    (
        "deploy.resources.limits.pids",
        "/TaskTemplate/Resources/Limits/Pids",
    ),
    (
        "deploy.resources.reservations.cpus",
        "/TaskTemplate/Resources/Reservations/NanoCPUs",
    ),
    (
        "deploy.resources.reservations.memory",
        "/TaskTemplate/Resources/Reservations/MemoryBytes",
    ),
    (
        "deploy.resources.reservations.generic_resources",
        "/TaskTemplate/Resources/Reservations/GenericResources/0/DiscreteResourceSpec",
    ),
    (
        "deploy.restart_policy",
        "/TaskTemplate/RestartPolicy/Window",
    ),
    (
        "deploy.placement.constraints",
        "/TaskTemplate/Placement/Constraints",
    ),
    (
        "deploy.placement.preferences",
        "/TaskTemplate/Placement/Preferences/0/Spread",
    ),
    (
        "deploy.placement.max_replicas_per_node",
        "/TaskTemplate/Placement/MaxReplicas",
    ),
    ("deploy.endpoint_mode", "/EndpointSpec/Mode"),
    ("dns", "/TaskTemplate/ContainerSpec/DNSConfig/Nameservers"),
    ("dns_opt", "/TaskTemplate/ContainerSpec/DNSConfig/Options"),
    ("dns_search", "/TaskTemplate/ContainerSpec/DNSConfig/Search"),
    ("entrypoint", "/TaskTemplate/ContainerSpec/Command"),
    ("environment", "/TaskTemplate/ContainerSpec/Env"),
    ("extra_hosts", "/TaskTemplate/ContainerSpec/Hosts"),
    ("group_add", "/TaskTemplate/ContainerSpec/Groups"),
    ("hostname", "/TaskTemplate/ContainerSpec/Hostname"),
    (
        "healthcheck",
        "/TaskTemplate/ContainerSpec/HealthCheck/Test",
    ),
    ("image", "/TaskTemplate/ContainerSpec/Image"),
    ("init", "/TaskTemplate/ContainerSpec/Init"),
    ("isolation", "/TaskTemplate/ContainerSpec/Isolation"),
    ("labels", "/TaskTemplate/ContainerSpec/Labels/l"),
    ("logging", "/TaskTemplate/LogDriver/Options"),
    ("networks", "/TaskTemplate/Networks/0/Aliases"),
    (
        "platform",
        "/TaskTemplate/Placement/Platforms/0/Architecture",
    ),
    ("ports", "/EndpointSpec/Ports/0/Name"),
    ("read_only", "/TaskTemplate/ContainerSpec/ReadOnly"),
    ("scale", "/Mode/Replicated/Replicas"),
    ("secrets", "/TaskTemplate/ContainerSpec/Secrets/0/File"),
    ("stdin_open", "/TaskTemplate/ContainerSpec/OpenStdin"),
    (
        "stop_grace_period",
        "/TaskTemplate/ContainerSpec/StopGracePeriod",
    ),
    ("stop_signal", "/TaskTemplate/ContainerSpec/StopSignal"),
    ("sysctls", "/TaskTemplate/ContainerSpec/Sysctls"),
    ("tmpfs", "/TaskTemplate/ContainerSpec/Mounts/1/Target"),
    ("tty", "/TaskTemplate/ContainerSpec/TTY"),
    ("ulimits", "/TaskTemplate/ContainerSpec/Ulimits/1/Hard"),
    ("user", "/TaskTemplate/ContainerSpec/User"),
    ("volumes", "/TaskTemplate/ContainerSpec/Mounts/0/Source"),
    ("working_dir", "/TaskTemplate/ContainerSpec/Dir"),
];

/// Keys the loader has applied before the translation sees the project.
const APPLIED_BY_LOADER: &[(&str, &str)] = &[
    ("profiles", "they select the services loaded"),
    (
        "label_file",
        "the loader reads its labels into labels (checked below)",
    ),
];

/// Model fields the file above cannot set, and why.
const NOT_IN_FILE: &[(&str, &str)] = &[
    ("name", "the service's key, not a compose key"),
    ("extensions", "x- keys: free-form, ignored by every target"),
    (
        "env_file",
        "the loader folds it into environment and removes it",
    ),
    ("extends", "the loader resolves it and removes it"),
    (
        "provider",
        "an error, checked by a_provider_service_is_an_error",
    ),
    (
        "devices",
        "limits.devices: the schema allows it only under reservations",
    ),
    (
        "generic_resources",
        "limits.generic_resources: the schema allows it only under reservations",
    ),
];

/// The `pub` fields of `struct <name>` in the model's source, by their compose key (serde's
/// `rename`).
fn model_fields(name: &str) -> Vec<String> {
    let src = include_str!("../../model/service.rs");
    let start = src
        .find(&format!("pub struct {name} {{"))
        .unwrap_or_else(|| panic!("struct {name}"));
    let body = &src[start..];
    let body = &body[..body.find("\n}\n").expect("end of struct")];
    let mut out = Vec::new();
    let mut rename = None;
    for line in body.lines().skip(1) {
        let l = line.trim();
        if let Some(r) = l.split("rename = \"").nth(1) {
            rename = r.split('"').next().map(str::to_string);
        }
        if let Some((field, _)) = l.strip_prefix("pub ").and_then(|f| f.split_once(':')) {
            out.push(rename.take().unwrap_or_else(|| field.to_string()));
        }
    }
    out
}

/// The key paths a service sets: its own keys, and under `deploy`, `deploy.resources.*` and
/// `deploy.placement` theirs.
fn set_paths(svc: &serde_json::Value) -> Vec<String> {
    let keys = |v: &serde_json::Value, at: &str| -> Vec<String> {
        v.as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, v)| !k.starts_with("x-") && !v.is_null())
                    .filter(|(_, v)| !v.as_object().is_some_and(|o| o.is_empty()))
                    .map(|(k, _)| format!("{at}{k}"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = Vec::new();
    for k in keys(svc, "") {
        if k == "deploy" {
            for d in keys(&svc["deploy"], "deploy.") {
                match d.as_str() {
                    "deploy.resources" => {
                        for part in ["limits", "reservations"] {
                            out.extend(keys(
                                &svc["deploy"]["resources"][part],
                                &format!("deploy.resources.{part}."),
                            ));
                        }
                    }
                    "deploy.placement" => {
                        out.extend(keys(&svc["deploy"]["placement"], "deploy.placement."))
                    }
                    _ => out.push(d),
                }
            }
        } else {
            out.push(k);
        }
    }
    out
}

#[test]
fn every_service_key_is_translated_or_warned() {
    // `label_file` is read when the project loads: the file must exist.
    let dir = tempfile::tempdir().expect("tempdir");
    let labels = dir.path().join("labels");
    std::fs::write(&labels, "from_label_file=yes\n").expect("label file");
    let yaml = EVERY_KEY.replace(
        "label_file: ./labels",
        &format!("label_file: {}", labels.display()),
    );
    let p = project_with(&yaml, &["p"]);
    let d = translate(&p, "demo", &files).expect("translates");
    for s in &d.services {
        if s.service == "all" {
            assert_eq!(
                s.spec
                    .pointer("/TaskTemplate/ContainerSpec/Labels/from_label_file")
                    .and_then(|v| v.as_str()),
                Some("yes"),
                "a label_file's labels reach the container labels: {:#}",
                s.spec
            );
        }
    }
    let mut set: Vec<(String, String)> = Vec::new();
    for svc in p.services.values() {
        let v = serde_json::to_value(svc).expect("serialises");
        set.extend(set_paths(&v).into_iter().map(|k| (svc.name.clone(), k)));
    }
    // The file sets every field of the model (a field added later must be added here too).
    let file_keys: Vec<&str> = set.iter().map(|(_, k)| k.as_str()).collect();
    let in_file = |f: &str| {
        file_keys.iter().any(|k| k.split('.').any(|part| part == f))
            || NOT_IN_FILE.iter().any(|(n, _)| *n == f)
    };
    for st in ["Service", "Deploy", "Resources", "Resource", "Placement"] {
        for f in model_fields(st) {
            assert!(
                in_file(&f) || st == "Resources",
                "{st}.{f} is not set by EVERY_KEY: set it there (or say in NOT_IN_FILE why not)"
            );
        }
    }
    // Each set key is translated (and lands in the spec) or named by a warning.
    for (service, key) in &set {
        let spec = &d
            .services
            .iter()
            .find(|s| &s.service == service)
            .expect("translated service")
            .spec;
        let translated = TRANSLATED.iter().find(|(k, _)| k == key);
        let warned = d.warnings.iter().any(|w| {
            w.service.as_deref() == Some(service.as_str())
                && (w.key == *key
                    || w.key.starts_with(&format!("{key}."))
                    || w.key.starts_with(&format!("{key}[")))
        });
        if APPLIED_BY_LOADER.iter().any(|(k, _)| k == key) {
            continue;
        }
        match translated {
            Some((_, pointer)) => assert!(
                spec.pointer(pointer).is_some_and(|v| !v.is_null()),
                "services.{service}.{key} is listed as translated but {pointer} is not in the spec: {spec:#}"
            ),
            None => assert!(
                warned,
                "services.{service}.{key} is set but neither translated nor warned about"
            ),
        }
    }
    // The translated list does not rot.
    for (k, _) in TRANSLATED {
        assert!(
            set.iter().any(|(_, s)| s == k),
            "{k} is listed as translated but EVERY_KEY does not set it"
        );
    }
}

#[test]
fn a_provider_service_is_an_error() {
    let e = translate(
        &project("services:\n  ai:\n    provider: {type: model, options: {model: x}}\n"),
        "demo",
        &files,
    )
    .unwrap_err();
    assert!(e.to_string().contains("services.ai.provider"), "{e}");
}

#[test]
fn ulimits_groups_pids_and_credential_spec_config_are_translated() {
    let d = ok(r#"
services:
  web:
    image: busybox
    ulimits: {nproc: 512, nofile: {soft: 1024, hard: 2048}}
    group_add: [users, "1234"]
    pids_limit: 64
    platform: linux/amd64
    credential_spec: {config: cred}
configs:
  cred: {content: "{}"}
"#);
    let s = &d.services[0].spec["TaskTemplate"];
    assert_eq!(
        s["ContainerSpec"]["Ulimits"],
        json!([
            {"Name": "nofile", "Soft": 1024, "Hard": 2048},
            {"Name": "nproc", "Soft": 512, "Hard": 512}
        ])
    );
    assert_eq!(s["ContainerSpec"]["Groups"], json!(["users", "1234"]));
    assert_eq!(s["Resources"]["Limits"], json!({"Pids": 64}));
    assert_eq!(
        s["Placement"]["Platforms"],
        json!([{"OS": "linux", "Architecture": "amd64"}])
    );
    let cred = d.objects[0].name.clone();
    assert_eq!(
        s["ContainerSpec"]["Privileges"]["CredentialSpec"],
        json!({"Config": cred})
    );
    assert_eq!(
        s["ContainerSpec"]["Configs"],
        json!([{"Runtime": {}, "ConfigName": cred, "ConfigID": ""}])
    );
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    let mut spec = d.services[0].spec.clone();
    let ids = std::collections::BTreeMap::from([(cred.clone(), "id1".to_string())]);
    assert!(resolve_ids(&mut spec, &Default::default(), &ids).is_empty());
    let cs = &spec["TaskTemplate"]["ContainerSpec"];
    assert_eq!(cs["Privileges"]["CredentialSpec"]["Config"], "id1");
    assert_eq!(cs["Configs"][0]["ConfigID"], "id1");
}

#[test]
fn bad_credential_spec_and_platform_name_the_key() {
    let e = translate(
        &project("services:\n  w:\n    image: b\n    credential_spec: {file: a, registry: b}\n"),
        "demo",
        &files,
    )
    .unwrap_err();
    assert!(e.to_string().contains("services.w.credential_spec"), "{e}");
    let d = ok("services:\n  w:\n    image: b\n    platform: amd64\n");
    assert_eq!(d.warnings[0].path(), "services.w.platform");
    assert!(d.services[0].spec["TaskTemplate"]["Placement"].is_null());
}

#[test]
fn ports_are_listed_by_published_port_as_the_docker_cli_does() {
    let d =
        ok("services:\n  w:\n    image: b\n    ports: [\"9000:90\", \"8000:80/udp\", \"85\"]\n");
    let published: Vec<serde_json::Value> = d.services[0].spec["EndpointSpec"]["Ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["PublishedPort"].clone())
        .collect();
    assert_eq!(published, [json!(null), json!(8000), json!(9000)]);
}
