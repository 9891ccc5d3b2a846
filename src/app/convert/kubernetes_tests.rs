//! Unit tests of the Kubernetes translation: names, ports, probes, resources, init containers,
//! secrets and configs, and the warnings for what cannot be translated.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::*;
use crate::app::convert::{ConvertError, Warning};
use crate::loader::{self, ConfigSource, LoadOptions};

fn project(yaml: &str) -> Project {
    let opts = LoadOptions {
        files: vec![ConfigSource::Inline {
            name: PathBuf::from("/proj/compose.yaml"),
            text: yaml.to_string(),
        }],
        project_name: Some("demo".into()),
        working_dir: Some(PathBuf::from("/proj")),
        ..Default::default()
    };
    loader::load(&opts).expect("loads").project
}

fn no_files(p: &Path) -> std::io::Result<Vec<u8>> {
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("{} not found", p.display()),
    ))
}

fn convert_ok(yaml: &str) -> Conversion {
    convert(&project(yaml), &no_files).expect("converts")
}

fn find<'a>(c: &'a Conversion, kind: &str, name: &str) -> &'a Value {
    &c.manifests
        .iter()
        .find(|m| m.kind == kind && m.name == name)
        .unwrap_or_else(|| {
            let all: Vec<String> = c
                .manifests
                .iter()
                .map(|m| format!("{}/{}", m.kind, m.name))
                .collect();
            panic!("no {kind}/{name} in {all:?}")
        })
        .object
}

fn warned<'a>(c: &'a Conversion, path: &str) -> Option<&'a Warning> {
    c.warnings.iter().find(|w| w.path() == path)
}

fn container(workload: &Value) -> &Value {
    &workload["spec"]["template"]["spec"]["containers"][0]
}

#[test]
fn names_become_dns_labels() {
    assert_eq!(dns_label("My_Service"), "my-service");
    assert_eq!(dns_label("_x_"), "x");
    assert_eq!(dns_label("a.b"), "a-b");
    assert_eq!(dns_label(&"a".repeat(80)).len(), 63);
    assert_eq!(dns_label(&format!("{}-b", "a".repeat(62))), "a".repeat(62));
    assert_eq!(dns_label("___"), "x");
}

#[test]
fn the_project_is_the_namespace_and_comes_first() {
    let c = convert_ok("services:\n  web:\n    image: nginx\n");
    assert_eq!(c.manifests[0].kind, "Namespace");
    assert_eq!(c.manifests[0].name, "demo");
    let d = find(&c, "Deployment", "web");
    assert_eq!(d["metadata"]["namespace"], "demo");
    assert_eq!(d["metadata"]["labels"][PART_OF], "demo");
    assert_eq!(
        d["spec"]["selector"]["matchLabels"],
        json!({ NAME: "web", PART_OF: "demo" })
    );
    assert_eq!(c.manifests[1].file_name(), "deployment-web.yaml");
}

#[test]
fn two_services_with_one_kubernetes_name_are_an_error_naming_both() {
    let p = project("services:\n  my_db:\n    image: a\n  my-db:\n    image: b\n");
    let err = convert(&p, &no_files).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, ConvertError::NameClash { .. }), "{text}");
    assert!(
        text.contains("services.my_db") && text.contains("services.my-db"),
        "{text}"
    );
}

#[test]
fn a_renamed_service_is_reported() {
    let c = convert_ok("services:\n  my_db:\n    image: a\n");
    find(&c, "Deployment", "my-db");
    assert!(warned(&c, "services.my_db").is_some(), "{:?}", c.warnings);
}

#[test]
fn ports_make_a_cluster_service_and_a_load_balancer_for_the_published() {
    let c = convert_ok(
        "services:\n  web:\n    image: nginx\n    ports: ['8080:80', '9000/udp', '127.0.0.1:81:81']\n    expose: ['3000', '4000-4001']\n",
    );
    let svc = find(&c, "Service", "web");
    assert_eq!(svc["spec"]["type"], "ClusterIP");
    let ports: Vec<(u64, &str)> = svc["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["port"].as_u64().unwrap(), p["protocol"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ports,
        [
            (80, "TCP"),
            (9000, "UDP"),
            (81, "TCP"),
            (3000, "TCP"),
            (4000, "TCP"),
            (4001, "TCP")
        ]
    );
    let lb = find(&c, "Service", "web-published");
    assert_eq!(lb["spec"]["type"], "LoadBalancer");
    assert_eq!(
        lb["spec"]["ports"][0],
        json!({ "name": "tcp-8080", "port": 8080, "targetPort": 80, "protocol": "TCP" })
    );
    assert_eq!(lb["spec"]["ports"][1]["port"], 9000);
    let container_ports = container(find(&c, "Deployment", "web"))["ports"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(container_ports, 6);
    assert!(warned(&c, "services.web.ports[2].host_ip").is_some());
}

#[test]
fn a_service_without_ports_gets_no_service_object() {
    let c = convert_ok("services:\n  worker:\n    image: busybox\n");
    assert!(!c.manifests.iter().any(|m| m.kind == "Service"));
}

#[test]
fn healthchecks_become_readiness_and_liveness_probes() {
    let c = convert_ok(
        "services:\n  db:\n    image: postgres\n    healthcheck:\n      test: pg_isready -U app\n      interval: 1500ms\n      timeout: 2s\n      retries: 5\n      start_period: 10s\n  cache:\n    image: redis\n    healthcheck:\n      test: [CMD, redis-cli, ping]\n  off:\n    image: redis\n    healthcheck:\n      disable: true\n",
    );
    let db = container(find(&c, "Deployment", "db"));
    let probe = &db["readinessProbe"];
    assert_eq!(
        probe["exec"]["command"],
        json!(["sh", "-c", "pg_isready -U app"])
    );
    assert_eq!(probe["periodSeconds"], 2, "1.5 s rounds up");
    assert_eq!(probe["timeoutSeconds"], 2);
    assert_eq!(probe["failureThreshold"], 5);
    assert_eq!(probe["initialDelaySeconds"], 10);
    assert_eq!(db["livenessProbe"], *probe);
    let cache = container(find(&c, "Deployment", "cache"));
    assert_eq!(
        cache["readinessProbe"]["exec"]["command"],
        json!(["redis-cli", "ping"])
    );
    assert_eq!(
        cache["readinessProbe"]["periodSeconds"], 30,
        "compose's default"
    );
    assert_eq!(cache["readinessProbe"]["failureThreshold"], 3);
    let off = container(find(&c, "Deployment", "off"));
    assert!(off.get("readinessProbe").is_none());
}

#[test]
fn deploy_resources_and_replicas_are_kept() {
    let c = convert_ok(
        "services:\n  api:\n    image: a\n    deploy:\n      replicas: 3\n      resources:\n        limits: {cpus: '0.5', memory: 512M}\n        reservations: {cpus: '2', memory: '100000'}\n  old:\n    image: a\n    scale: 2\n    cpus: 1.25\n    mem_limit: 1g\n",
    );
    let api = find(&c, "Deployment", "api");
    assert_eq!(api["spec"]["replicas"], 3);
    assert_eq!(
        container(api)["resources"],
        json!({
            "limits": { "cpu": "500m", "memory": "512Mi" },
            "requests": { "cpu": "2", "memory": "100000" },
        })
    );
    let old = find(&c, "Deployment", "old");
    assert_eq!(old["spec"]["replicas"], 2);
    assert_eq!(
        container(old)["resources"]["limits"],
        json!({ "cpu": "1250m", "memory": "1Gi" })
    );
}

#[test]
fn a_one_shot_others_wait_for_becomes_their_init_container() {
    let c = convert_ok(
        "services:\n  schema:\n    image: tool\n    command: [make, schema]\n  migrate:\n    image: tool\n    depends_on:\n      schema: {condition: service_completed_successfully}\n  app:\n    image: app\n    depends_on:\n      migrate: {condition: service_completed_successfully}\n      cache: {condition: service_healthy}\n  cache:\n    image: redis\n",
    );
    assert!(!c
        .manifests
        .iter()
        .any(|m| m.name == "migrate" || m.name == "schema"));
    let app = find(&c, "Deployment", "app");
    let init: Vec<&str> = app["spec"]["template"]["spec"]["initContainers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(init, ["schema", "migrate"], "dependencies first");
    assert_eq!(
        app["spec"]["template"]["spec"]["initContainers"][0]["args"],
        json!(["make", "schema"])
    );
    // The healthy wait has no equivalent: said, not dropped silently.
    let w = warned(&c, "services.app.depends_on.cache").expect("warned");
    assert!(w.reason.contains("service_healthy"), "{}", w.reason);
    assert!(warned(&c, "services.app.depends_on.migrate").is_none());
}

#[test]
fn a_restarting_dependency_stays_a_workload() {
    let c = convert_ok(
        "services:\n  job:\n    image: tool\n    restart: always\n  app:\n    image: app\n    depends_on:\n      job: {condition: service_completed_successfully}\n",
    );
    find(&c, "Deployment", "job");
    assert!(warned(&c, "services.app.depends_on.job").is_some());
}

#[test]
fn named_volumes_make_claims_and_stateful_sets() {
    let c = convert_ok(
        "services:\n  db:\n    image: postgres\n    volumes: ['data:/var/lib/postgresql/data', {type: tmpfs, target: /tmp, tmpfs: {size: 64m}}]\n    shm_size: 128m\nvolumes:\n  data:\n    driver_opts: {size: 20Gi}\n",
    );
    let pvc = find(&c, "PersistentVolumeClaim", "data");
    assert_eq!(pvc["spec"]["accessModes"], json!(["ReadWriteOnce"]));
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "20Gi");
    let db = find(&c, "StatefulSet", "db");
    assert_eq!(db["spec"]["serviceName"], "db");
    // The StatefulSet's governing Service exists (headless: no ports).
    assert_eq!(find(&c, "Service", "db")["spec"]["clusterIP"], "None");
    let volumes = &db["spec"]["template"]["spec"]["volumes"];
    assert_eq!(volumes[0]["persistentVolumeClaim"]["claimName"], "data");
    assert_eq!(
        volumes[1]["emptyDir"],
        json!({ "medium": "Memory", "sizeLimit": "64Mi" })
    );
    assert_eq!(
        volumes[2]["emptyDir"],
        json!({ "medium": "Memory", "sizeLimit": "128Mi" })
    );
    let mounts = &container(db)["volumeMounts"];
    assert_eq!(mounts[0]["mountPath"], "/var/lib/postgresql/data");
    assert_eq!(mounts[2]["mountPath"], "/dev/shm");
}

#[test]
fn host_paths_and_host_networking_are_reported_per_key() {
    let c = convert_ok(
        "services:\n  web:\n    image: nginx\n    network_mode: host\n    volumes: ['./site:/usr/share/nginx/html:ro']\n    devices: ['/dev/ttyUSB0']\n    user: www-data\n",
    );
    let web = container(find(&c, "Deployment", "web"));
    assert!(
        web.get("volumeMounts").is_none(),
        "the bind mount is dropped"
    );
    for path in [
        "services.web.network_mode",
        "services.web.volumes[0]",
        "services.web.devices",
        "services.web.user",
    ] {
        assert!(warned(&c, path).is_some(), "{path}: {:?}", c.warnings);
    }
    let bind = warned(&c, "services.web.volumes[0]").unwrap();
    assert!(bind.reason.contains("/proj/site"), "{}", bind.reason);
}

#[test]
fn environment_goes_to_a_config_map_read_through_env_from() {
    let c =
        convert_ok("services:\n  web:\n    image: nginx\n    environment: [A=1, B=yes, UNSET]\n");
    let cm = find(&c, "ConfigMap", "web-env");
    assert_eq!(cm["data"], json!({ "A": "1", "B": "yes" }));
    assert_eq!(
        container(find(&c, "Deployment", "web"))["envFrom"],
        json!([{ "configMapRef": { "name": "web-env" } }])
    );
    assert!(warned(&c, "services.web.environment.UNSET").is_some());
}

#[test]
fn secrets_and_configs_are_objects_mounted_at_compose_targets() {
    let p = project(
        "services:\n  web:\n    image: nginx\n    secrets: [pw, {source: pw, target: other, mode: 0400}]\n    configs: [site, {source: site, target: /etc/site.conf}]\nsecrets:\n  pw:\n    file: ./pw.txt\nconfigs:\n  site:\n    content: hello\n",
    );
    let read = |path: &Path| -> std::io::Result<Vec<u8>> {
        assert_eq!(path, Path::new("/proj/pw.txt"));
        Ok(b"s3cret".to_vec())
    };
    let c = convert(&p, &read).expect("converts");
    let secret = find(&c, "Secret", "pw");
    assert_eq!(secret["data"]["pw"], "czNjcmV0");
    assert_eq!(find(&c, "ConfigMap", "site")["data"]["site"], "hello");
    let web = find(&c, "Deployment", "web");
    let mounts: Vec<(&str, &str)> = container(web)["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["mountPath"].as_str().unwrap(),
                m["subPath"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        mounts,
        [
            ("/run/secrets/pw", "pw"),
            ("/run/secrets/other", "pw"),
            ("/site", "site"),
            ("/etc/site.conf", "site"),
        ]
    );
    let vols = web["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    assert!(vols
        .iter()
        .any(|v| v["secret"] == json!({ "secretName": "pw", "defaultMode": 0o400 })));
}

#[test]
fn a_missing_secret_file_is_an_error_naming_the_secret() {
    let p = project(
        "services:\n  web:\n    image: nginx\n    secrets: [pw]\nsecrets:\n  pw:\n    file: ./pw.txt\n",
    );
    let err = convert(&p, &no_files).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("secrets.pw.file: cannot read /proj/pw.txt"),
        "{err}"
    );
}

#[test]
fn security_settings_map_to_the_security_context() {
    let c = convert_ok(
        "services:\n  web:\n    image: nginx\n    user: '1000:2000'\n    privileged: true\n    read_only: true\n    cap_add: [NET_ADMIN]\n    cap_drop: [CAP_ALL]\n    security_opt: ['no-new-privileges:true']\n",
    );
    assert_eq!(
        container(find(&c, "Deployment", "web"))["securityContext"],
        json!({
            "privileged": true,
            "readOnlyRootFilesystem": true,
            "capabilities": { "add": ["NET_ADMIN"], "drop": ["ALL"] },
            "runAsUser": 1000,
            "runAsGroup": 2000,
            "allowPrivilegeEscalation": false,
        })
    );
}

#[test]
fn build_only_services_use_the_image_compose_would_build() {
    let c = convert_ok("services:\n  app:\n    build: .\n");
    assert_eq!(
        container(find(&c, "Deployment", "app"))["image"],
        "demo-app"
    );
    let w = warned(&c, "services.app.build").expect("warned");
    assert!(w.reason.contains("demo-app"), "{}", w.reason);
}

#[test]
fn command_entrypoint_and_pod_settings_are_kept() {
    let c = convert_ok(
        "services:\n  web:\n    image: nginx\n    entrypoint: [/bin/sh, -c]\n    command: [echo hi]\n    working_dir: /srv\n    hostname: front\n    extra_hosts: ['db.local=10.0.0.2', 'cache.local=10.0.0.2']\n    stop_grace_period: 1m\n    labels: {com.example.team: web, 'bad key!': x}\n",
    );
    let d = find(&c, "Deployment", "web");
    let ct = container(d);
    assert_eq!(ct["command"], json!(["/bin/sh", "-c"]));
    assert_eq!(ct["args"], json!(["echo hi"]));
    assert_eq!(ct["workingDir"], "/srv");
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["hostname"], "front");
    assert_eq!(
        pod["hostAliases"],
        json!([{ "ip": "10.0.0.2", "hostnames": ["cache.local", "db.local"] }])
    );
    assert_eq!(pod["terminationGracePeriodSeconds"], 60);
    assert_eq!(
        d["spec"]["template"]["metadata"]["annotations"],
        json!({ "com.example.team": "web" })
    );
    assert!(warned(&c, "services.web.labels.bad key!").is_some());
}

#[test]
fn no_input_panics_and_an_empty_project_is_just_a_namespace() {
    let c = convert(&Project::default(), &no_files).expect("converts");
    assert_eq!(c.manifests.len(), 1);
    assert_eq!(c.manifests[0].name, "x");
}

#[test]
fn quantities_and_keys() {
    assert_eq!(cpu_quantity(0.0), None);
    assert_eq!(cpu_quantity(0.0001), None);
    assert_eq!(cpu_quantity(f32::NAN), None);
    assert_eq!(cpu_quantity(2.0).as_deref(), Some("2"));
    assert_eq!(byte_quantity(1 << 30), "1Gi");
    assert_eq!(byte_quantity(1500), "1500");
    assert!(is_quantity("10Gi") && is_quantity("1.5") && !is_quantity("10 GB"));
    assert!(is_qualified_name("com.example/role") && is_qualified_name("role"));
    assert!(!is_qualified_name("-x") && !is_qualified_name("a/b/c") && !is_qualified_name(""));
    assert_eq!(
        parse_expose("8000-8002/udp"),
        Some((vec![8000, 8001, 8002], "UDP".to_string(), false))
    );
    assert_eq!(
        parse_expose("1-1000").map(|(p, _, cut)| (p.len(), cut)),
        Some((100, true))
    );
    assert_eq!(
        parse_expose("1-100").map(|(p, _, cut)| (p.len(), cut)),
        Some((100, false))
    );
    assert_eq!(parse_expose("x"), None);
    assert_eq!(parse_expose("9-1"), None);
}

#[test]
fn a_service_name_starting_with_a_digit_gets_a_service_starting_with_a_letter() {
    let c = convert_ok(
        "services:\n  1st:\n    image: a\n    ports: ['80:80']\n    volumes: [data:/d]\nvolumes:\n  data: {}\n",
    );
    let sts = find(&c, "StatefulSet", "1st");
    assert_eq!(sts["spec"]["serviceName"], "s-1st");
    find(&c, "Service", "s-1st");
    find(&c, "Service", "s-1st-published");
    assert!(warned(&c, "services.1st").is_some());
}

#[test]
fn one_shots_share_the_name_space_of_services() {
    let p = project(
        "services:\n  my_job:\n    image: a\n  my-job:\n    image: a\n  app:\n    image: b\n    depends_on:\n      my_job: {condition: service_completed_successfully}\n      my-job: {condition: service_completed_successfully}\n",
    );
    let err = convert(&p, &no_files).unwrap_err().to_string();
    assert!(
        err.contains("services.my_job") && err.contains("services.my-job"),
        "{err}"
    );
}

#[test]
fn a_published_port_used_twice_is_reported() {
    let c = convert_ok(
        "services:\n  web:\n    image: a\n    ports: ['127.0.0.1:80:80', '127.0.0.2:80:8080']\n",
    );
    let lb = find(&c, "Service", "web-published");
    assert_eq!(lb["spec"]["ports"].as_array().unwrap().len(), 1);
    assert!(warned(&c, "services.web.ports[1]").is_some());
}
