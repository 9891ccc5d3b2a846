//! Unit tests of the compose -> swarm translation: names, labels, networks, ports, healthcheck,
//! resources, policies, content-hashed secrets, warnings and errors.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::translate::*;
use crate::loader::{self, ConfigSource, LoadOptions};
use crate::model::Project;

fn project(yaml: &str) -> Project {
    let opts = LoadOptions {
        files: vec![ConfigSource::Inline {
            name: PathBuf::from("/proj/compose.yaml"),
            text: yaml.to_string(),
        }],
        project_name: Some("demo".into()),
        working_dir: Some(PathBuf::from("/proj")),
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
