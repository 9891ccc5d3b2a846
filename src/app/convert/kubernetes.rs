//! `convert --to kubernetes`: a resolved project as Kubernetes objects (validated against the
//! 1.30+ schemas in the test suite).
//!
//! What maps to what:
//! - the project: a `Namespace` named after it; every object is in it and carries the
//!   `app.kubernetes.io/part-of: <project>` and `app.kubernetes.io/managed-by: rcompose` labels;
//! - a service: a `Deployment`, or a `StatefulSet` when its pod mounts a named volume (a
//!   StatefulSet replaces a pod before starting the next, so two pods never fight over a
//!   ReadWriteOnce claim), with `replicas` from `scale` / `deploy.replicas`; its one container
//!   takes `image`, `entrypoint` (command), `command` (args), `working_dir`, `user` (numeric),
//!   `privileged`, `cap_add` / `cap_drop`, `read_only`, `tty`, `stdin_open`, `post_start` /
//!   `pre_stop` (lifecycle hooks), resources from `deploy.resources` (or `cpus` / `mem_limit` /
//!   `mem_reservation`), readiness and liveness probes from `healthcheck`;
//! - `environment` (with the `env_file`s the loader merged into it): a `ConfigMap`
//!   `<service>-env`, read through `envFrom`;
//! - `ports` and `expose`: a ClusterIP `Service` `<service>` on every container port (what other
//!   services reach by name, as on a compose network), plus a `LoadBalancer` `Service`
//!   `<service>-published` on the published ports;
//! - named volumes: one `PersistentVolumeClaim` each (ReadWriteOnce, `driver_opts.size` or 1Gi),
//!   shared by every pod that mounts it; tmpfs mounts and `shm_size`: memory-backed `emptyDir`s;
//! - `secrets` / `configs`: a `Secret` / `ConfigMap` each, mounted file by file at the compose
//!   target (`/run/secrets/<name>` and `/<name>` by default);
//! - a one-shot (`restart` unset, `no` or `on-failure`) that others wait for with
//!   `service_completed_successfully`: an init container of each of them instead of a workload;
//! - `extra_hosts`: `hostAliases`; `dns*`: `dnsConfig`; `hostname`; `stop_grace_period`;
//!   `labels` and `annotations`: pod annotations; `deploy.labels`: workload annotations.
//!
//! Everything else that is set becomes a [`Warning`] naming the service and key (host bind
//! mounts, `network_mode`, host namespaces, networks and aliases, ordering `depends_on`,
//! devices, ulimits, logging...). Pure: the only I/O is the caller's `read` of secret and config
//! files. Must not import `cli`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use indexmap::IndexMap;
use serde_json::{json, Map, Value};

use super::{ConvertError, Warning};
use crate::model::{Condition, FileObject, FileReference, Healthcheck, Project, Service};

/// The label every object carries with its project (and the selector's second key).
pub const PART_OF: &str = "app.kubernetes.io/part-of";
/// The label naming the service an object belongs to.
pub const NAME: &str = "app.kubernetes.io/name";
const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// A claim's size when `driver_opts.size` does not say.
pub const DEFAULT_CLAIM_SIZE: &str = "1Gi";
/// The most a ConfigMap or Secret may hold.
const OBJECT_LIMIT: usize = 1024 * 1024;
/// The most ports one `expose` range turns into.
const MAX_RANGE: u32 = 100;

/// One Kubernetes object.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// `Namespace`, `Deployment`, `StatefulSet`, `Service`, `PersistentVolumeClaim`,
    /// `ConfigMap` or `Secret`.
    pub kind: &'static str,
    /// `metadata.name`.
    pub name: String,
    /// The whole object (`apiVersion`, `kind`, `metadata`, ...).
    pub object: Value,
}

impl Manifest {
    /// The file `-o DIR` writes it to: `<kind>-<name>.yaml`, lower-case.
    pub fn file_name(&self) -> String {
        format!("{}-{}.yaml", self.kind.to_ascii_lowercase(), self.name)
    }
}

/// The objects, in apply order (Namespace, Secrets, ConfigMaps, claims, Services, workloads), and
/// what could not be translated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversion {
    pub manifests: Vec<Manifest>,
    pub warnings: Vec<Warning>,
}

/// `(container port, protocol)` pairs.
type Internal = Vec<(u32, String)>;
/// `(published port, container port, protocol)` triples.
type Published = Vec<(u32, u32, String)>;

/// Reads a secret's or config's file.
pub type ReadFile<'a> = &'a dyn Fn(&Path) -> std::io::Result<Vec<u8>>;

/// Translates `project`. `read` reads file-based secrets and configs (relative paths are taken
/// from the project directory).
pub fn convert(project: &Project, read: ReadFile<'_>) -> Result<Conversion, ConvertError> {
    let mut cx = Cx::new(project);
    cx.namespace();
    cx.file_objects(read)?;
    cx.claims();
    let init_only = init_only(project);
    // One name space for every service's pod and container names, one-shots included.
    for name in project.services.keys() {
        cx.claim_name("workload", &dns_label(name), format!("services.{name}"))?;
    }
    for (name, svc) in &project.services {
        if init_only.contains(name.as_str()) {
            continue;
        }
        cx.service(svc, &init_only)?;
    }
    cx.shared_claims();
    cx.finish()
}

/// The one-shots that become init containers: each service some other waits for with
/// `service_completed_successfully`, and whose `restart` lets it end (unset, `no`, `on-failure`).
fn init_only(project: &Project) -> HashSet<&str> {
    let mut out = HashSet::new();
    for svc in project.services.values() {
        for (dep, d) in &svc.depends_on {
            if d.condition != Condition::ServiceCompletedSuccessfully {
                continue;
            }
            if let Some((key, s)) = project.services.get_key_value(dep) {
                if ends_by_itself(s) {
                    out.insert(key.as_str());
                }
            }
        }
    }
    out
}

fn ends_by_itself(s: &Service) -> bool {
    match s.restart.as_deref() {
        None | Some("no") => true,
        Some(r) => r.starts_with("on-failure"),
    }
}

/// A DNS-1123 label from a compose name: lower-case, anything but `a-z0-9-` becomes `-`, no `-`
/// at either end, at most 63 characters (`"x"` if nothing is left).
pub fn dns_label(name: &str) -> String {
    let mapped: String = name
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut out: String = mapped.trim_matches('-').chars().take(63).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push('x');
    }
    out
}

/// A Service's name for workload `name`: a DNS-1035 label (it starts with a letter, so `1st`
/// becomes `s-1st`).
fn service_name(name: &str) -> String {
    if name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.to_string()
    } else {
        joined("s", name)
    }
}

/// `a` and `b` joined with `-`, shortened to a DNS-1123 label.
fn joined(a: &str, b: &str) -> String {
    dns_label(&format!("{a}-{b}"))
}

/// Where the objects are gathered while translating.
struct Cx<'p> {
    project: &'p Project,
    ns: String,
    warnings: Vec<Warning>,
    /// `(kind, name)` -> the compose object it came from, to find two that clash.
    names: HashMap<(&'static str, String), String>,
    namespace: Vec<Manifest>,
    secrets: Vec<Manifest>,
    config_maps: Vec<Manifest>,
    claims: Vec<Manifest>,
    services: Vec<Manifest>,
    workloads: Vec<Manifest>,
    /// Secret / config key -> (object name, data key); absent for an unusable definition.
    secret_refs: HashMap<String, (String, String)>,
    config_refs: HashMap<String, (String, String)>,
    /// Volume key -> claim name.
    claim_names: HashMap<String, String>,
    /// Volume key -> the workloads whose pods mount it.
    claim_users: BTreeMap<String, BTreeSet<String>>,
}

/// A pod being assembled: its volumes (each once, by name) and what its containers warn about.
#[derive(Default)]
struct Pod {
    volumes: IndexMap<String, Value>,
    uses_claim: bool,
}

impl<'p> Cx<'p> {
    fn new(project: &'p Project) -> Self {
        Cx {
            project,
            ns: dns_label(&project.name),
            warnings: Vec::new(),
            names: HashMap::new(),
            namespace: Vec::new(),
            secrets: Vec::new(),
            config_maps: Vec::new(),
            claims: Vec::new(),
            services: Vec::new(),
            workloads: Vec::new(),
            secret_refs: HashMap::new(),
            config_refs: HashMap::new(),
            claim_names: HashMap::new(),
            claim_users: BTreeMap::new(),
        }
    }

    fn warn(&mut self, service: Option<&str>, key: impl Into<String>, reason: impl Into<String>) {
        self.warnings.push(Warning {
            service: service.map(str::to_string),
            key: key.into(),
            reason: reason.into(),
        });
    }

    /// Records that `source` becomes `kind` `name`; a second source for one name is an error.
    fn claim_name(
        &mut self,
        kind: &'static str,
        name: &str,
        source: String,
    ) -> Result<(), ConvertError> {
        match self.names.get(&(kind, name.to_string())) {
            Some(first) => Err(ConvertError::NameClash {
                kind: kind.to_string(),
                name: name.to_string(),
                first: first.clone(),
                second: source,
            }),
            None => {
                self.names.insert((kind, name.to_string()), source);
                Ok(())
            }
        }
    }

    fn labels(&self, service: Option<&str>) -> Value {
        let mut m = Map::new();
        if let Some(s) = service {
            m.insert(NAME.into(), json!(s));
        }
        m.insert(PART_OF.into(), json!(self.ns));
        m.insert(MANAGED_BY.into(), json!("rcompose"));
        Value::Object(m)
    }

    fn metadata(&self, name: &str, service: Option<&str>) -> Value {
        json!({ "name": name, "namespace": self.ns, "labels": self.labels(service) })
    }

    fn namespace(&mut self) {
        let labels = self.labels(None);
        self.namespace.push(Manifest {
            kind: "Namespace",
            name: self.ns.clone(),
            object: json!({
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": { "name": self.ns, "labels": labels },
            }),
        });
    }

    // -----------------------------------------------------------------------------------------
    // Secrets and configs

    fn file_objects(&mut self, read: ReadFile<'_>) -> Result<(), ConvertError> {
        let project = self.project;
        for (key, secret) in &project.secrets {
            if let Some(r) = self.file_object("secrets", key, &secret.0, read)? {
                self.secret_refs.insert(key.clone(), r);
            }
        }
        for (key, config) in &project.configs {
            if let Some(r) = self.file_object("configs", key, &config.0, read)? {
                self.config_refs.insert(key.clone(), r);
            }
        }
        Ok(())
    }

    /// One `Secret` (kind `secrets`) or `ConfigMap` (kind `configs`); returns the object's name
    /// and the data key its content sits under.
    fn file_object(
        &mut self,
        kind: &str,
        key: &str,
        obj: &FileObject,
        read: ReadFile<'_>,
    ) -> Result<Option<(String, String)>, ConvertError> {
        let k8s_kind = if kind == "secrets" {
            "Secret"
        } else {
            "ConfigMap"
        };
        let at = format!("{kind}.{key}");
        if obj.external {
            let name = dns_label(obj.name.as_deref().unwrap_or(key));
            self.warn(
                None,
                format!("{at}.external"),
                format!("external: the {k8s_kind} {name:?} must already exist in namespace {:?}, with the content under the key {name:?}", self.ns),
            );
            return Ok(Some((name.clone(), name)));
        }
        for (what, set) in [
            ("driver", obj.driver.is_some()),
            ("driver_opts", !obj.driver_opts.is_empty()),
            ("template_driver", obj.template_driver.is_some()),
        ] {
            if set {
                self.warn(
                    None,
                    format!("{at}.{what}"),
                    "no Kubernetes equivalent; ignored",
                );
            }
        }
        let content: Vec<u8> = if let Some(c) = &obj.content {
            c.clone().into_bytes()
        } else if let Some(file) = &obj.file {
            let path = self.project_path(file);
            read(&path).map_err(|source| ConvertError::File {
                key: format!("{at}.file"),
                path,
                source,
            })?
        } else if let Some(var) = &obj.environment {
            match self.project.environment.get(var) {
                Some(v) => v.clone().into_bytes(),
                None => {
                    self.warn(
                        None,
                        format!("{at}.environment"),
                        format!("the variable {var} is not set; the {k8s_kind} is empty"),
                    );
                    Vec::new()
                }
            }
        } else {
            self.warn(
                None,
                at,
                format!("no file, environment or content: no {k8s_kind} written"),
            );
            return Ok(None);
        };
        if content.len() > OBJECT_LIMIT {
            self.warn(
                None,
                at.clone(),
                format!(
                    "{} bytes: more than a {k8s_kind} may hold (1 MiB); the API server will refuse it",
                    content.len()
                ),
            );
        }
        let name = dns_label(key);
        self.claim_name(k8s_kind, &name, at.clone())?;
        let mut object = json!({
            "apiVersion": "v1",
            "kind": k8s_kind,
            "metadata": self.metadata(&name, None),
        });
        let b64 = || json!({ &name: base64::engine::general_purpose::STANDARD.encode(&content) });
        if kind == "secrets" {
            object["type"] = json!("Opaque");
            object["data"] = b64();
        } else {
            match std::str::from_utf8(&content) {
                Ok(text) => object["data"] = json!({ &name: text }),
                Err(_) => object["binaryData"] = b64(),
            }
        }
        let list = if kind == "secrets" {
            &mut self.secrets
        } else {
            &mut self.config_maps
        };
        list.push(Manifest {
            kind: k8s_kind,
            name: name.clone(),
            object,
        });
        Ok(Some((name.clone(), name)))
    }

    fn project_path(&self, file: &str) -> PathBuf {
        let p = Path::new(file);
        match &self.project.working_dir {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.to_path_buf(),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Volumes

    fn claims(&mut self) {
        let project = self.project;
        for (key, vol) in &project.volumes {
            let at = format!("volumes.{key}");
            if vol.external {
                let name = dns_label(vol.name.as_deref().unwrap_or(key));
                self.warn(
                    None,
                    format!("{at}.external"),
                    format!(
                        "external: the PersistentVolumeClaim {name:?} must already exist in namespace {:?}",
                        self.ns
                    ),
                );
                self.claim_names.insert(key.clone(), name);
                continue;
            }
            if let Some(d) = vol.driver.as_deref().filter(|d| *d != "local") {
                self.warn(
                    None,
                    format!("{at}.driver"),
                    format!(
                        "volume driver {d:?}: the claim uses the cluster's default storage class"
                    ),
                );
            }
            let mut size = DEFAULT_CLAIM_SIZE.to_string();
            for (opt, value) in &vol.driver_opts {
                if opt == "size" && is_quantity(value) {
                    size = value.clone();
                } else {
                    self.warn(
                        None,
                        format!("{at}.driver_opts.{opt}"),
                        "no PersistentVolumeClaim equivalent (only `size`, as a Kubernetes quantity such as 10Gi, is used); ignored",
                    );
                }
            }
            let name = dns_label(key);
            if self.claim_name("PersistentVolumeClaim", &name, at).is_err() {
                // Two volume keys with one claim name: the second shares the first's claim.
                self.warn(
                    None,
                    format!("volumes.{key}"),
                    format!(
                        "its claim name {name:?} is another volume's too; they share one claim"
                    ),
                );
                self.claim_names.insert(key.clone(), name);
                continue;
            }
            let mut metadata = self.metadata(&name, None);
            if let Some(a) = self.annotations(None, &format!("volumes.{key}.labels"), &vol.labels) {
                metadata["annotations"] = a;
            }
            self.claims.push(Manifest {
                kind: "PersistentVolumeClaim",
                name: name.clone(),
                object: json!({
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "metadata": metadata,
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": { "requests": { "storage": size } },
                    },
                }),
            });
            self.claim_names.insert(key.clone(), name);
        }
    }

    /// A claim mounted by pods of more than one workload: ReadWriteOnce keeps them on one node.
    fn shared_claims(&mut self) {
        let shared: Vec<(String, Vec<String>)> = self
            .claim_users
            .iter()
            .filter(|(_, users)| users.len() > 1)
            .map(|(k, users)| (k.clone(), users.iter().cloned().collect()))
            .collect();
        for (key, users) in shared {
            self.warn(
                None,
                format!("volumes.{key}"),
                format!(
                    "mounted by the pods of {}: a ReadWriteOnce claim makes them share one node; give it a ReadWriteMany storage class to spread them",
                    users.join(", ")
                ),
            );
        }
    }

    /// Valid annotations from compose labels; the rest are warned about under `at`.
    fn annotations(
        &mut self,
        service: Option<&str>,
        at: &str,
        labels: &IndexMap<String, String>,
    ) -> Option<Value> {
        let mut m = Map::new();
        for (k, v) in labels {
            if is_qualified_name(k) {
                m.insert(k.clone(), json!(v));
            } else {
                self.warn(
                    service,
                    format!("{at}.{k}"),
                    "not a valid Kubernetes annotation key (prefix/name, name at most 63 of A-Z a-z 0-9 - _ .); dropped",
                );
            }
        }
        (!m.is_empty()).then_some(Value::Object(m))
    }

    // -----------------------------------------------------------------------------------------
    // Services

    fn service(&mut self, svc: &Service, init_only: &HashSet<&str>) -> Result<(), ConvertError> {
        let sname = svc.name.as_str();
        if svc.provider.is_some() {
            self.warn(
                Some(sname),
                "provider",
                "a provider service is run by a plugin, not a container; not translated",
            );
            return Ok(());
        }
        let name = dns_label(sname);
        if name != sname {
            self.warn(
                Some(sname),
                "",
                format!("named {name:?} in Kubernetes: other services reach it by that name, not {sname:?}"),
            );
        }
        let mut pod = Pod::default();
        // Init containers: the one-shots this service waits for, each after its own.
        let mut init = Vec::new();
        for dep in self.init_chain(svc, init_only) {
            if let Some(d) = self.project.services.get(&dep) {
                let c = self.container(d, &mut pod, &name, true)?;
                init.push(c);
            }
        }
        let main = self.container(svc, &mut pod, &name, false)?;
        self.depends_on(svc, init_only);

        let mut pod_spec = Map::new();
        if !init.is_empty() {
            pod_spec.insert("initContainers".into(), Value::Array(init));
        }
        pod_spec.insert("containers".into(), json!([main]));
        self.pod_level(svc, &mut pod_spec);
        if !pod.volumes.is_empty() {
            pod_spec.insert(
                "volumes".into(),
                Value::Array(pod.volumes.into_values().collect()),
            );
        }

        let stateful = pod.uses_claim;
        let replicas = svc.replicas();
        if stateful && replicas > 1 {
            self.warn(
                Some(sname),
                "deploy.replicas",
                format!("{replicas} replicas mount the same claims (as compose's containers share the volume); a ReadWriteOnce claim keeps them on one node"),
            );
        }
        self.deploy(svc);
        self.ports_and_services(svc, &name, stateful)?;

        let mut template_meta = json!({ "labels": self.labels(Some(&name)) });
        let mut pod_notes = IndexMap::new();
        pod_notes.extend(svc.labels.clone());
        pod_notes.extend(svc.annotations.clone());
        if let Some(a) = self.annotations(Some(sname), "labels", &pod_notes) {
            template_meta["annotations"] = a;
        }
        let selector = json!({ NAME: name, PART_OF: self.ns });
        let mut spec = Map::new();
        spec.insert("replicas".into(), json!(replicas));
        if stateful {
            spec.insert("serviceName".into(), json!(service_name(&name)));
        }
        spec.insert("selector".into(), json!({ "matchLabels": selector }));
        spec.insert(
            "template".into(),
            json!({ "metadata": template_meta, "spec": Value::Object(pod_spec) }),
        );
        let kind = if stateful {
            "StatefulSet"
        } else {
            "Deployment"
        };
        let mut metadata = self.metadata(&name, Some(&name));
        if let Some(deploy) = &svc.deploy {
            if let Some(a) = self.annotations(Some(sname), "deploy.labels", &deploy.labels) {
                metadata["annotations"] = a;
            }
        }
        self.workloads.push(Manifest {
            kind,
            name: name.clone(),
            object: json!({
                "apiVersion": "apps/v1",
                "kind": kind,
                "metadata": metadata,
                "spec": Value::Object(spec),
            }),
        });
        Ok(())
    }

    /// The init-only services `svc` waits for, transitively, dependencies first, each once.
    fn init_chain(&self, svc: &Service, init_only: &HashSet<&str>) -> Vec<String> {
        fn visit(
            p: &Project,
            s: &Service,
            init_only: &HashSet<&str>,
            seen: &mut HashSet<String>,
            out: &mut Vec<String>,
        ) {
            for (dep, d) in &s.depends_on {
                if d.condition != Condition::ServiceCompletedSuccessfully
                    || !init_only.contains(dep.as_str())
                    || !seen.insert(dep.clone())
                {
                    continue;
                }
                if let Some(ds) = p.services.get(dep) {
                    visit(p, ds, init_only, seen, out);
                }
                out.push(dep.clone());
            }
        }
        let mut seen = HashSet::new();
        seen.insert(svc.name.clone());
        let mut out = Vec::new();
        visit(self.project, svc, init_only, &mut seen, &mut out);
        out
    }

    /// `depends_on` entries with no Kubernetes equivalent.
    fn depends_on(&mut self, svc: &Service, init_only: &HashSet<&str>) {
        for (dep, d) in &svc.depends_on {
            let reason = match d.condition {
                Condition::ServiceCompletedSuccessfully if init_only.contains(dep.as_str()) => {
                    continue
                }
                Condition::ServiceCompletedSuccessfully => format!(
                    "{dep} is not a one-shot (its restart policy restarts it), so it is no init container: Kubernetes starts both at once"
                ),
                c => format!(
                    "Kubernetes starts workloads in no order: {} is not awaited (readiness probes only gate traffic; the service must retry until {dep} answers)",
                    c.as_str()
                ),
            };
            self.warn(Some(&svc.name), format!("depends_on.{dep}"), reason);
        }
    }

    /// The pod-level settings of the service's pod.
    fn pod_level(&mut self, svc: &Service, pod: &mut Map<String, Value>) {
        let s = Some(svc.name.as_str());
        if let Some(h) = svc.hostname.as_deref() {
            if dns_label(h) == h {
                pod.insert("hostname".into(), json!(h));
            } else {
                self.warn(
                    s,
                    "hostname",
                    "not a DNS-1123 label (lower-case a-z 0-9 -, at most 63); ignored",
                );
            }
        }
        let mut aliases: IndexMap<String, Vec<String>> = IndexMap::new();
        for (i, entry) in svc.extra_hosts.iter().enumerate() {
            let Some((host, ip)) = entry.split_once('=').or_else(|| entry.split_once(':')) else {
                continue;
            };
            if ip == "host-gateway" {
                self.warn(
                    s,
                    format!("extra_hosts[{i}]"),
                    "host-gateway (the engine's host) has no meaning in a cluster; dropped",
                );
                continue;
            }
            aliases
                .entry(ip.trim_matches(['[', ']']).to_string())
                .or_default()
                .push(host.to_string());
        }
        if !aliases.is_empty() {
            let list: Vec<Value> = aliases
                .into_iter()
                .map(|(ip, hostnames)| json!({ "ip": ip, "hostnames": hostnames }))
                .collect();
            pod.insert("hostAliases".into(), Value::Array(list));
        }
        let mut dns = Map::new();
        if !svc.dns.is_empty() {
            dns.insert("nameservers".into(), json!(svc.dns));
        }
        if !svc.dns_search.is_empty() {
            dns.insert("searches".into(), json!(svc.dns_search));
        }
        if !svc.dns_opt.is_empty() {
            let opts: Vec<Value> = svc
                .dns_opt
                .iter()
                .map(|o| match o.split_once(':') {
                    Some((n, v)) => json!({ "name": n, "value": v }),
                    None => json!({ "name": o }),
                })
                .collect();
            dns.insert("options".into(), Value::Array(opts));
        }
        if !dns.is_empty() {
            pod.insert("dnsConfig".into(), Value::Object(dns));
        }
        if let Some(g) = &svc.stop_grace_period {
            pod.insert(
                "terminationGracePeriodSeconds".into(),
                json!(g.0.as_secs() + u64::from(g.0.subsec_nanos() > 0)),
            );
        }
        let mut groups = Vec::new();
        for g in &svc.group_add {
            match g.parse::<i64>() {
                Ok(n) => groups.push(n),
                Err(_) => self.warn(
                    s,
                    "group_add",
                    format!("group {g:?}: Kubernetes takes numeric group ids only; dropped"),
                ),
            }
        }
        if !groups.is_empty() {
            pod.insert(
                "securityContext".into(),
                json!({ "supplementalGroups": groups }),
            );
        }
    }

    /// `deploy` keys with no Kubernetes equivalent.
    fn deploy(&mut self, svc: &Service) {
        let Some(d) = &svc.deploy else {
            return;
        };
        let s = Some(svc.name.as_str());
        if let Some(mode) = d.mode.as_deref().filter(|m| *m != "replicated") {
            self.warn(
                s,
                "deploy.mode",
                format!("mode {mode:?}: written as a replicated workload (no DaemonSet or Job is generated)"),
            );
        }
        let placement = &d.placement;
        for (key, set) in [
            ("deploy.update_config", d.update_config.is_some()),
            ("deploy.rollback_config", d.rollback_config.is_some()),
            ("deploy.restart_policy", d.restart_policy.is_some()),
            ("deploy.endpoint_mode", d.endpoint_mode.is_some()),
            (
                "deploy.placement",
                !placement.constraints.is_empty()
                    || !placement.preferences.is_empty()
                    || placement.max_replicas > 0,
            ),
        ] {
            if set {
                self.warn(
                    s,
                    key,
                    "Swarm setting with no direct Kubernetes equivalent; ignored",
                );
            }
        }
    }

    /// The container ports, and the Services in front of them.
    fn ports_and_services(
        &mut self,
        svc: &Service,
        name: &str,
        stateful: bool,
    ) -> Result<(), ConvertError> {
        let (internal, published) = self.port_lists(svc);
        let service = service_name(name);
        if service != name && (!internal.is_empty() || !published.is_empty() || stateful) {
            self.warn(
                Some(&svc.name),
                "",
                format!("its Service is named {service:?}: a Service name starts with a letter"),
            );
        }
        if !internal.is_empty() || stateful {
            self.claim_name("Service", &service, format!("services.{}", svc.name))?;
            let ports: Vec<Value> = internal
                .iter()
                .map(|(port, proto)| service_port(*port, *port, proto))
                .collect();
            let mut spec = json!({ "selector": { NAME: name, PART_OF: self.ns } });
            if ports.is_empty() {
                // The StatefulSet's governing Service: headless, for its pods' DNS names.
                spec["clusterIP"] = json!("None");
            } else {
                spec["type"] = json!("ClusterIP");
                spec["ports"] = Value::Array(ports);
            }
            self.services.push(Manifest {
                kind: "Service",
                name: service.clone(),
                object: json!({
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": self.metadata(&service, Some(name)),
                    "spec": spec,
                }),
            });
        }
        if !published.is_empty() {
            let pub_name = joined(&service, "published");
            self.claim_name("Service", &pub_name, format!("services.{}.ports", svc.name))?;
            let ports: Vec<Value> = published
                .iter()
                .map(|(port, target, proto)| service_port(*port, *target, proto))
                .collect();
            self.services.push(Manifest {
                kind: "Service",
                name: pub_name.clone(),
                object: json!({
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": self.metadata(&pub_name, Some(name)),
                    "spec": {
                        "type": "LoadBalancer",
                        "selector": { NAME: name, PART_OF: self.ns },
                        "ports": ports,
                    },
                }),
            });
        }
        Ok(())
    }

    /// `(container port, protocol)` of `ports` and `expose`, each once, and `(published port,
    /// container port, protocol)` of the published ones, each published port once.
    fn port_lists(&mut self, svc: &Service) -> (Internal, Published) {
        let s = Some(svc.name.as_str());
        let mut internal = Internal::new();
        let mut published = Published::new();
        for (i, p) in svc.ports.iter().enumerate() {
            let proto = protocol(p.protocol.as_deref());
            let Some(proto) = proto else {
                self.warn(
                    s,
                    format!("ports[{i}].protocol"),
                    "not tcp, udp or sctp; the port is dropped",
                );
                continue;
            };
            if !(1..=65535).contains(&p.target) {
                self.warn(
                    s,
                    format!("ports[{i}].target"),
                    "not a port number; dropped",
                );
                continue;
            }
            push_unique(&mut internal, (p.target, proto.clone()));
            if p.host_ip.as_deref().is_some_and(|ip| !ip.is_empty()) {
                self.warn(
                    s,
                    format!("ports[{i}].host_ip"),
                    "a LoadBalancer listens on the cluster's addresses, not a host IP; ignored",
                );
            }
            let port = match p.published.as_deref().filter(|p| !p.is_empty()) {
                None => p.target,
                Some(text) => {
                    match text.split('-').next().and_then(|n| n.parse::<u32>().ok()) {
                        Some(n) if (1..=65535).contains(&n) => {
                            if text.contains('-') {
                                self.warn(
                                s,
                                format!("ports[{i}].published"),
                                format!("a range of host ports: the LoadBalancer uses its first, {n}"),
                            );
                            }
                            n
                        }
                        _ => p.target,
                    }
                }
            };
            if let Some((_, first, _)) = published
                .iter()
                .find(|(q, _, pr)| *q == port && *pr == proto)
            {
                if *first != p.target {
                    self.warn(
                        s,
                        format!("ports[{i}]"),
                        format!("published port {port} is already published for container port {first}; dropped"),
                    );
                }
                continue;
            }
            published.push((port, p.target, proto));
        }
        for (i, e) in svc.expose.iter().enumerate() {
            match parse_expose(e) {
                Some((ports, proto, cut)) => {
                    if cut {
                        self.warn(
                            s,
                            format!("expose[{i}]"),
                            format!("a range of more than {MAX_RANGE} ports: only the first {MAX_RANGE} are exposed"),
                        );
                    }
                    for port in ports {
                        push_unique(&mut internal, (port, proto.clone()));
                    }
                }
                None => self.warn(
                    s,
                    format!("expose[{i}]"),
                    format!("{e:?} is not a port, a range or port/protocol; dropped"),
                ),
            }
        }
        (internal, published)
    }

    // -----------------------------------------------------------------------------------------
    // Containers

    /// The container of `svc` in the pod of workload `workload` (an init container when
    /// `init`), adding the pod volumes it mounts to `pod`.
    fn container(
        &mut self,
        svc: &Service,
        pod: &mut Pod,
        workload: &str,
        init: bool,
    ) -> Result<Value, ConvertError> {
        let sname = svc.name.as_str();
        let s = Some(sname);
        let name = dns_label(sname);
        let mut c = Map::new();
        c.insert("name".into(), json!(name));
        if svc.image.as_deref().is_none_or(str::is_empty) || svc.build.is_some() {
            let image = svc.image_name(&self.project.name);
            self.warn(
                s,
                "build",
                format!("Kubernetes does not build: push the image {image:?} to a registry the cluster pulls from"),
            );
        }
        c.insert("image".into(), json!(svc.image_name(&self.project.name)));
        if let Some(policy) = svc.pull_policy.as_deref() {
            match policy {
                "always" => {
                    c.insert("imagePullPolicy".into(), json!("Always"));
                }
                "never" => {
                    c.insert("imagePullPolicy".into(), json!("Never"));
                }
                "missing" | "if_not_present" => {
                    c.insert("imagePullPolicy".into(), json!("IfNotPresent"));
                }
                other => self.warn(
                    s,
                    "pull_policy",
                    format!(
                        "{other:?} has no Kubernetes equivalent; the cluster's default applies"
                    ),
                ),
            }
        }
        match &svc.entrypoint {
            Some(e) if !e.is_empty() => {
                c.insert("command".into(), json!(e));
            }
            Some(_) => self.warn(
                s,
                "entrypoint",
                "an empty entrypoint cannot clear the image's in Kubernetes; the image's applies",
            ),
            None => {}
        }
        match &svc.command {
            Some(a) if !a.is_empty() => {
                c.insert("args".into(), json!(a));
            }
            Some(_) if svc.entrypoint.is_none() => self.warn(
                s,
                "command",
                "an empty command cannot clear the image's in Kubernetes; the image's applies",
            ),
            _ => {}
        }
        if let Some(w) = &svc.working_dir {
            c.insert("workingDir".into(), json!(w));
        }
        if let Some(env) = self.environment(svc)? {
            c.insert("envFrom".into(), env);
        }
        if !init {
            let (internal, _) = self.port_lists_quiet(svc);
            if !internal.is_empty() {
                let ports: Vec<Value> = internal
                    .iter()
                    .map(|(p, proto)| json!({ "containerPort": p, "protocol": proto }))
                    .collect();
                c.insert("ports".into(), Value::Array(ports));
            }
        }
        if let Some(r) = self.resources(svc) {
            c.insert("resources".into(), r);
        }
        if let Some(hc) = &svc.healthcheck {
            if init {
                if svc.has_healthcheck() {
                    self.warn(
                        s,
                        "healthcheck",
                        format!("runs as an init container of {workload}, which takes no probes; ignored"),
                    );
                }
            } else if let Some(probe) = self.probe(sname, hc) {
                c.insert("readinessProbe".into(), probe.clone());
                c.insert("livenessProbe".into(), probe);
            }
        }
        if let Some(l) = self.lifecycle(svc, init) {
            c.insert("lifecycle".into(), l);
        }
        if let Some(sc) = self.security(svc) {
            c.insert("securityContext".into(), sc);
        }
        if svc.tty {
            c.insert("tty".into(), json!(true));
        }
        if svc.stdin_open {
            c.insert("stdin".into(), json!(true));
        }
        let mounts = self.mounts(svc, pod, workload, &name);
        if !mounts.is_empty() {
            c.insert("volumeMounts".into(), Value::Array(mounts));
        }
        self.unsupported(svc, init, workload);
        Ok(Value::Object(c))
    }

    /// [`Cx::port_lists`] without warnings (they are given once, for the Services).
    fn port_lists_quiet(&mut self, svc: &Service) -> (Internal, Published) {
        let before = self.warnings.len();
        let out = self.port_lists(svc);
        self.warnings.truncate(before);
        out
    }

    /// The service's environment as a ConfigMap `<service>-env`, and the `envFrom` reading it.
    fn environment(&mut self, svc: &Service) -> Result<Option<Value>, ConvertError> {
        let s = Some(svc.name.as_str());
        let mut data = Map::new();
        for (k, v) in &svc.environment {
            match v {
                None => self.warn(
                    s,
                    format!("environment.{k}"),
                    "declared without a value (taken from the shell by compose); not set",
                ),
                Some(_) if !is_config_key(k) => self.warn(
                    s,
                    format!("environment.{k}"),
                    "not a valid ConfigMap key (A-Z a-z 0-9 - _ .); not set",
                ),
                Some(v) => {
                    data.insert(k.clone(), json!(v));
                }
            }
        }
        if data.is_empty() {
            return Ok(None);
        }
        let name = joined(&dns_label(&svc.name), "env");
        self.claim_name(
            "ConfigMap",
            &name,
            format!("services.{}.environment", svc.name),
        )?;
        let svc_label = dns_label(&svc.name);
        self.config_maps.push(Manifest {
            kind: "ConfigMap",
            name: name.clone(),
            object: json!({
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": self.metadata(&name, Some(&svc_label)),
                "data": Value::Object(data),
            }),
        });
        Ok(Some(json!([{ "configMapRef": { "name": name } }])))
    }

    /// Requests and limits from `deploy.resources`, else `cpus` / `mem_limit` /
    /// `mem_reservation`.
    fn resources(&mut self, svc: &Service) -> Option<Value> {
        let s = Some(svc.name.as_str());
        let res = svc.deploy.as_ref().map(|d| &d.resources);
        let limits = res.and_then(|r| r.limits.as_ref());
        let reservations = res.and_then(|r| r.reservations.as_ref());
        let mut lim = Map::new();
        let mut req = Map::new();
        let cpu_limit = limits
            .map(|l| l.cpus)
            .filter(|c| *c > 0.0)
            .unwrap_or(svc.cpus);
        let mem_limit = limits
            .map(|l| l.memory.0)
            .filter(|m| *m > 0)
            .unwrap_or(svc.mem_limit.0);
        let cpu_req = reservations.map(|r| r.cpus).unwrap_or(0.0);
        let mem_req = reservations
            .map(|r| r.memory.0)
            .filter(|m| *m > 0)
            .unwrap_or(svc.mem_reservation.0);
        if let Some(q) = cpu_quantity(cpu_limit) {
            lim.insert("cpu".into(), json!(q));
        }
        if mem_limit > 0 {
            lim.insert("memory".into(), json!(byte_quantity(mem_limit)));
        }
        if let Some(q) = cpu_quantity(cpu_req) {
            req.insert("cpu".into(), json!(q));
        }
        if mem_req > 0 {
            req.insert("memory".into(), json!(byte_quantity(mem_req)));
        }
        for (key, r) in [
            ("deploy.resources.limits", limits),
            ("deploy.resources.reservations", reservations),
        ] {
            let Some(r) = r else { continue };
            if r.pids > 0 {
                self.warn(
                    s,
                    format!("{key}.pids"),
                    "no container-level pids limit in Kubernetes; ignored",
                );
            }
            if !r.devices.is_empty() {
                self.warn(
                    s,
                    format!("{key}.devices"),
                    "device reservations (GPUs) need a cluster's device plugin resource name; ignored",
                );
            }
            if !r.generic_resources.is_empty() {
                self.warn(
                    s,
                    format!("{key}.generic_resources"),
                    "Swarm generic resources; ignored",
                );
            }
        }
        let mut out = Map::new();
        if !lim.is_empty() {
            out.insert("limits".into(), Value::Object(lim));
        }
        if !req.is_empty() {
            out.insert("requests".into(), Value::Object(req));
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }

    /// The readiness/liveness probe of a healthcheck (`None` when disabled).
    fn probe(&mut self, service: &str, hc: &Healthcheck) -> Option<Value> {
        let s = Some(service);
        let command: Vec<String> = match hc.test.first().map(String::as_str) {
            _ if hc.disable => return None,
            None | Some("NONE") => return None,
            Some("CMD") => hc.test[1..].to_vec(),
            Some("CMD-SHELL") => {
                vec!["sh".into(), "-c".into(), hc.test[1..].join(" ")]
            }
            Some(_) => {
                // A bare string test is a shell command.
                vec!["sh".into(), "-c".into(), hc.test.join(" ")]
            }
        };
        if command.is_empty() {
            self.warn(s, "healthcheck.test", "an empty test; no probes");
            return None;
        }
        if hc.start_interval.is_some() {
            self.warn(
                s,
                "healthcheck.start_interval",
                "no Kubernetes equivalent (a startup probe would need its own settings); ignored",
            );
        }
        let secs = |d: Option<&crate::model::GoDuration>, default: u64, min: u64| -> u64 {
            d.map(|d| d.0.as_secs() + u64::from(d.0.subsec_nanos() > 0))
                .unwrap_or(default)
                .max(min)
        };
        let mut probe = json!({ "exec": { "command": command } });
        let delay = secs(hc.start_period.as_ref(), 0, 0);
        if delay > 0 {
            probe["initialDelaySeconds"] = json!(delay);
        }
        for (k, v) in [
            ("periodSeconds", secs(hc.interval.as_ref(), 30, 1)),
            ("timeoutSeconds", secs(hc.timeout.as_ref(), 30, 1)),
            (
                "failureThreshold",
                hc.retries.unwrap_or(3).clamp(1, i32::MAX as u64),
            ),
        ] {
            probe[k] = json!(v);
        }
        Some(probe)
    }

    /// `post_start` / `pre_stop` as lifecycle hooks (the first of each).
    fn lifecycle(&mut self, svc: &Service, init: bool) -> Option<Value> {
        let s = Some(svc.name.as_str());
        let mut out = Map::new();
        for (key, k8s, hooks) in [
            ("post_start", "postStart", &svc.post_start),
            ("pre_stop", "preStop", &svc.pre_stop),
        ] {
            for (i, h) in hooks.iter().enumerate() {
                let at = format!("{key}[{i}]");
                if init {
                    self.warn(s, at, "an init container takes no lifecycle hooks; dropped");
                    continue;
                }
                if i > 0 {
                    self.warn(s, at, "Kubernetes runs one hook of each kind; dropped");
                    continue;
                }
                if h.user.is_some()
                    || h.privileged
                    || !h.environment.is_empty()
                    || h.working_dir.is_some()
                {
                    self.warn(
                        s,
                        at.clone(),
                        "a hook runs as the container does: its user, privileged, environment and working_dir are ignored",
                    );
                }
                match &h.command {
                    Some(cmd) if !cmd.is_empty() => {
                        out.insert(k8s.into(), json!({ "exec": { "command": cmd } }));
                    }
                    _ => self.warn(s, at, "no command; dropped"),
                }
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }

    /// The container's securityContext.
    fn security(&mut self, svc: &Service) -> Option<Value> {
        let s = Some(svc.name.as_str());
        let mut sc = Map::new();
        if svc.privileged {
            sc.insert("privileged".into(), json!(true));
        }
        if svc.read_only {
            sc.insert("readOnlyRootFilesystem".into(), json!(true));
        }
        let cap = |list: &[String]| -> Vec<String> {
            list.iter()
                .map(|c| c.strip_prefix("CAP_").unwrap_or(c).to_string())
                .collect()
        };
        let mut caps = Map::new();
        if !svc.cap_add.is_empty() {
            caps.insert("add".into(), json!(cap(&svc.cap_add)));
        }
        if !svc.cap_drop.is_empty() {
            caps.insert("drop".into(), json!(cap(&svc.cap_drop)));
        }
        if !caps.is_empty() {
            sc.insert("capabilities".into(), Value::Object(caps));
        }
        if let Some(user) = svc.user.as_deref() {
            let (u, g) = match user.split_once(':') {
                Some((u, g)) => (u, Some(g)),
                None => (user, None),
            };
            match (u.parse::<i64>(), g.map(str::parse::<i64>)) {
                (Ok(u), None) => {
                    sc.insert("runAsUser".into(), json!(u));
                }
                (Ok(u), Some(Ok(g))) => {
                    sc.insert("runAsUser".into(), json!(u));
                    sc.insert("runAsGroup".into(), json!(g));
                }
                _ => self.warn(
                    s,
                    "user",
                    format!("{user:?}: Kubernetes takes numeric user and group ids only; the image's user applies"),
                ),
            }
        }
        for (i, opt) in svc.security_opt.iter().enumerate() {
            match opt.as_str() {
                "no-new-privileges" | "no-new-privileges:true" | "no-new-privileges=true" => {
                    sc.insert("allowPrivilegeEscalation".into(), json!(false));
                }
                other => self.warn(
                    s,
                    format!("security_opt[{i}]"),
                    format!("{other:?} has no securityContext equivalent here; ignored"),
                ),
            }
        }
        (!sc.is_empty()).then_some(Value::Object(sc))
    }

    /// The service's mounts (volumes, tmpfs, shm_size, secrets, configs), adding their pod
    /// volumes to `pod`.
    fn mounts(
        &mut self,
        svc: &Service,
        pod: &mut Pod,
        workload: &str,
        container: &str,
    ) -> Vec<Value> {
        let s = Some(svc.name.as_str());
        let mut mounts = Vec::new();
        let mut scratch = 0usize;
        let mut empty_dir = |pod: &mut Pod, memory: bool, size: i64| -> String {
            scratch += 1;
            let vname = dns_label(&format!("{container}-tmp-{scratch}"));
            let mut ed = Map::new();
            if memory {
                ed.insert("medium".into(), json!("Memory"));
            }
            if size > 0 {
                ed.insert("sizeLimit".into(), json!(byte_quantity(size)));
            }
            pod.volumes.insert(
                vname.clone(),
                json!({ "name": vname, "emptyDir": Value::Object(ed) }),
            );
            vname
        };
        for (i, v) in svc.volumes.iter().enumerate() {
            let at = format!("volumes[{i}]");
            let Some(target) = v.target.as_deref().filter(|t| !t.is_empty()) else {
                self.warn(s, at, "no target; dropped");
                continue;
            };
            let mut mount = Map::new();
            let vname = match (
                v.kind.as_str(),
                v.source.as_deref().filter(|x| !x.is_empty()),
            ) {
                ("volume", Some(source)) => {
                    let Some(claim) = self.claim_names.get(source).cloned() else {
                        self.warn(s, at, format!("volume {source:?} is not defined; dropped"));
                        continue;
                    };
                    self.claim_users
                        .entry(source.to_string())
                        .or_default()
                        .insert(workload.to_string());
                    pod.uses_claim = true;
                    let vname = joined("data", &claim);
                    pod.volumes.insert(
                        vname.clone(),
                        json!({ "name": vname, "persistentVolumeClaim": { "claimName": claim } }),
                    );
                    if let Some(sub) = v.volume.as_ref().and_then(|o| o.subpath.as_deref()) {
                        mount.insert("subPath".into(), json!(sub));
                    }
                    vname
                }
                ("volume", None) => {
                    self.warn(
                        s,
                        at,
                        "an anonymous volume becomes an emptyDir: its content goes with the pod",
                    );
                    empty_dir(pod, false, 0)
                }
                ("tmpfs", _) => {
                    let size = v.tmpfs.as_ref().map(|t| t.size.0).unwrap_or(0);
                    empty_dir(pod, true, size)
                }
                ("bind", source) => {
                    self.warn(
                        s,
                        at,
                        format!(
                            "bind mount of the host path {:?}: a cluster node has no such files; dropped (put the files in the image, a ConfigMap or a volume)",
                            source.unwrap_or("")
                        ),
                    );
                    continue;
                }
                (kind, _) => {
                    self.warn(
                        s,
                        at,
                        format!("a {kind:?} mount has no Kubernetes equivalent; dropped"),
                    );
                    continue;
                }
            };
            let mut m = json!({ "name": vname, "mountPath": target });
            if v.read_only {
                m["readOnly"] = json!(true);
            }
            if let Some(o) = m.as_object_mut() {
                o.extend(mount);
            }
            mounts.push(m);
        }
        for t in &svc.tmpfs {
            let (path, opts) = t.split_once(':').unwrap_or((t.as_str(), ""));
            let size = opts
                .split(',')
                .find_map(|o| o.strip_prefix("size="))
                .and_then(|v| crate::model::units::parse_bytes(v).ok())
                .unwrap_or(0);
            let vname = empty_dir(pod, true, size);
            mounts.push(json!({ "name": vname, "mountPath": path }));
        }
        if svc.shm_size.0 > 0 {
            let vname = empty_dir(pod, true, svc.shm_size.0);
            mounts.push(json!({ "name": vname, "mountPath": "/dev/shm" }));
        }
        for (kind, refs) in [("secrets", &svc.secrets), ("configs", &svc.configs)] {
            for (i, r) in refs.iter().enumerate() {
                if let Some(m) = self.file_mount(svc, kind, i, r, pod) {
                    mounts.push(m);
                }
            }
        }
        mounts
    }

    /// The mount of one secret or config reference, adding its pod volume.
    fn file_mount(
        &mut self,
        svc: &Service,
        kind: &str,
        i: usize,
        r: &FileReference,
        pod: &mut Pod,
    ) -> Option<Value> {
        let s = Some(svc.name.as_str());
        let at = format!("{kind}[{i}]");
        let refs = if kind == "secrets" {
            &self.secret_refs
        } else {
            &self.config_refs
        };
        let Some((object, key)) = refs.get(&r.source).cloned() else {
            self.warn(
                s,
                at,
                format!("{kind}.{} has no content to mount; dropped", r.source),
            );
            return None;
        };
        if r.uid.is_some() || r.gid.is_some() {
            self.warn(
                s,
                format!("{at}.uid"),
                "file ownership cannot be set per file in Kubernetes (use the pod's fsGroup); ignored",
            );
        }
        let (prefix, root) = if kind == "secrets" {
            ("secret", "/run/secrets/")
        } else {
            ("config", "/")
        };
        let target = match r.target.as_deref().filter(|t| !t.is_empty()) {
            Some(t) if t.starts_with('/') => t.to_string(),
            Some(t) => format!("{root}{t}"),
            None => format!("{root}{}", r.source),
        };
        let mode = r.mode.map(|m| m.0 & 0o777);
        let vname = match mode {
            Some(m) => dns_label(&format!("{prefix}-{object}-{m:o}")),
            None => joined(prefix, &object),
        };
        let mut source = if kind == "secrets" {
            json!({ "secretName": object })
        } else {
            json!({ "name": object })
        };
        if let Some(m) = mode {
            source["defaultMode"] = json!(m);
        }
        let field = if kind == "secrets" {
            "secret"
        } else {
            "configMap"
        };
        pod.volumes
            .insert(vname.clone(), json!({ "name": vname, field: source }));
        Some(json!({ "name": vname, "mountPath": target, "subPath": key, "readOnly": true }))
    }

    /// Keys that are set but have no Kubernetes equivalent.
    fn unsupported(&mut self, svc: &Service, init: bool, workload: &str) {
        let s = Some(svc.name.as_str());
        if let Some(mode) = svc.network_mode.as_deref() {
            if !matches!(mode, "bridge" | "default") {
                self.warn(
                    s,
                    "network_mode",
                    format!("{mode:?}: every pod has its own network in Kubernetes; ignored"),
                );
            }
        }
        let custom_networks = svc.networks.iter().any(|(n, cfg)| {
            n != "default"
                || cfg.as_ref().is_some_and(|c| {
                    !c.aliases.is_empty() || c.ipv4_address.is_some() || c.ipv6_address.is_some()
                })
        });
        if custom_networks {
            self.warn(
                s,
                "networks",
                "Kubernetes has one flat network: every pod reaches every Service; networks, aliases and fixed addresses are ignored",
            );
        }
        if !init
            && svc
                .restart
                .as_deref()
                .is_some_and(|r| r == "no" || r.starts_with("on-failure"))
        {
            self.warn(
                s,
                "restart",
                format!(
                    "{:?}: a Deployment's or StatefulSet's pods are always restarted",
                    svc.restart.as_deref().unwrap_or("")
                ),
            );
        }
        if init {
            for (key, set) in [
                ("ports", !svc.ports.is_empty()),
                ("expose", !svc.expose.is_empty()),
                ("extra_hosts", !svc.extra_hosts.is_empty()),
                ("hostname", svc.hostname.is_some()),
                ("dns", !svc.dns.is_empty()),
                ("scale", svc.scale.is_some() || svc.deploy.is_some()),
            ] {
                if set {
                    self.warn(
                        s,
                        key,
                        format!("runs as an init container of {workload}: a pod-level setting, taken from {workload} only; ignored"),
                    );
                }
            }
        }
        let blkio = svc.blkio_config.is_some();
        let set = |v: &Option<String>| v.as_deref().is_some_and(|x| !x.is_empty());
        let checks: [(&str, bool, &str); 43] = [
            ("blkio_config", blkio, "no Kubernetes equivalent"),
            ("cgroup", set(&svc.cgroup), "no Kubernetes equivalent"),
            (
                "cgroup_parent",
                set(&svc.cgroup_parent),
                "no Kubernetes equivalent",
            ),
            (
                "container_name",
                set(&svc.container_name),
                "Kubernetes names the pods itself",
            ),
            (
                "cpu_count",
                svc.cpu_count != 0,
                "no Kubernetes equivalent (use deploy.resources)",
            ),
            (
                "cpu_percent",
                svc.cpu_percent != 0.0,
                "no Kubernetes equivalent (use deploy.resources)",
            ),
            (
                "cpu_period",
                svc.cpu_period != 0,
                "no Kubernetes equivalent (use deploy.resources)",
            ),
            (
                "cpu_quota",
                svc.cpu_quota != 0,
                "no Kubernetes equivalent (use deploy.resources)",
            ),
            (
                "cpu_rt_period",
                svc.cpu_rt_period != 0,
                "no Kubernetes equivalent",
            ),
            (
                "cpu_rt_runtime",
                svc.cpu_rt_runtime != 0,
                "no Kubernetes equivalent",
            ),
            (
                "cpu_shares",
                svc.cpu_shares != 0,
                "no Kubernetes equivalent (use deploy.resources)",
            ),
            ("cpuset", set(&svc.cpuset), "no Kubernetes equivalent"),
            (
                "credential_spec",
                svc.credential_spec.is_some(),
                "Windows credential specs are not translated",
            ),
            (
                "device_cgroup_rules",
                !svc.device_cgroup_rules.is_empty(),
                "no Kubernetes equivalent",
            ),
            (
                "devices",
                !svc.devices.is_empty(),
                "host devices need a device plugin in Kubernetes",
            ),
            (
                "gpus",
                !svc.gpus.is_empty(),
                "GPUs need a device plugin resource in Kubernetes",
            ),
            (
                "ipc",
                set(&svc.ipc),
                "IPC namespaces are not translated (hostIPC is not set)",
            ),
            (
                "pid",
                set(&svc.pid),
                "PID namespaces are not translated (hostPID is not set)",
            ),
            (
                "uts",
                set(&svc.uts),
                "UTS namespaces are not translated",
            ),
            (
                "userns_mode",
                set(&svc.userns_mode),
                "no Kubernetes equivalent",
            ),
            (
                "isolation",
                set(&svc.isolation),
                "no Kubernetes equivalent",
            ),
            (
                "links",
                !svc.links.is_empty(),
                "Services are reached by their names; link aliases are not kept",
            ),
            (
                "external_links",
                !svc.external_links.is_empty(),
                "containers outside the project are not reachable by name",
            ),
            (
                "logging",
                svc.logging.is_some(),
                "logging is the cluster's; the driver and options are ignored",
            ),
            (
                "mac_address",
                set(&svc.mac_address),
                "no Kubernetes equivalent",
            ),
            (
                "memswap_limit",
                !svc.memswap_limit.is_zero(),
                "no Kubernetes equivalent",
            ),
            (
                "mem_swappiness",
                !svc.mem_swappiness.is_zero(),
                "no Kubernetes equivalent",
            ),
            (
                "oom_kill_disable",
                svc.oom_kill_disable,
                "no Kubernetes equivalent",
            ),
            (
                "oom_score_adj",
                svc.oom_score_adj != 0,
                "no Kubernetes equivalent",
            ),
            (
                "pids_limit",
                svc.pids_limit != 0,
                "no container-level pids limit in Kubernetes",
            ),
            (
                "platform",
                set(&svc.platform),
                "not translated (a nodeSelector on kubernetes.io/arch would pin it)",
            ),
            (
                "runtime",
                set(&svc.runtime),
                "not translated (a RuntimeClass would select it)",
            ),
            (
                "storage_opt",
                !svc.storage_opt.is_empty(),
                "no Kubernetes equivalent",
            ),
            ("sysctls", !svc.sysctls.is_empty(), "not translated (pod sysctls need the kubelet to allow them)"),
            ("ulimits", !svc.ulimits.is_empty(), "no Kubernetes equivalent"),
            ("volumes_from", !svc.volumes_from.is_empty(), "no Kubernetes equivalent (share a claim instead)"),
            ("domainname", set(&svc.domainname), "no Kubernetes equivalent"),
            ("init", svc.init == Some(true), "Kubernetes runs no init process in the container (use an image with one, e.g. tini)"),
            ("stop_signal", set(&svc.stop_signal), "Kubernetes sends SIGTERM"),
            ("develop", svc.develop.is_some(), "a development feature (watch); not translated"),
            ("pre_start", !svc.pre_start.is_empty(), "not translated (an init container would run it)"),
            ("models", !svc.models.is_empty(), "AI models are not translated"),
            ("use_api_socket", svc.use_api_socket, "there is no Docker API in a pod"),
        ];
        for (key, on, reason) in checks {
            if on {
                self.warn(s, key, format!("{reason}; ignored"));
            }
        }
    }

    /// The objects in apply order, warnings deduplicated (an init service's once).
    fn finish(self) -> Result<Conversion, ConvertError> {
        let mut seen = HashSet::new();
        let warnings = self
            .warnings
            .into_iter()
            .filter(|w| seen.insert(w.clone()))
            .collect();
        let mut manifests = self.namespace;
        manifests.extend(self.secrets);
        manifests.extend(self.config_maps);
        manifests.extend(self.claims);
        manifests.extend(self.services);
        manifests.extend(self.workloads);
        Ok(Conversion {
            manifests,
            warnings,
        })
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, item: T) {
    if !v.contains(&item) {
        v.push(item);
    }
}

fn service_port(port: u32, target: u32, proto: &str) -> Value {
    json!({
        "name": format!("{}-{port}", proto.to_ascii_lowercase()),
        "port": port,
        "targetPort": target,
        "protocol": proto,
    })
}

/// `TCP`, `UDP` or `SCTP` from a compose protocol (default tcp).
fn protocol(p: Option<&str>) -> Option<String> {
    match p.unwrap_or("tcp").to_ascii_lowercase().as_str() {
        "" | "tcp" => Some("TCP".into()),
        "udp" => Some("UDP".into()),
        "sctp" => Some("SCTP".into()),
        _ => None,
    }
}

/// `3000`, `3000/udp`, `4000-4005`: the ports (at most [`MAX_RANGE`]), the protocol, and whether
/// the range was cut.
fn parse_expose(e: &str) -> Option<(Vec<u32>, String, bool)> {
    let (ports, proto) = match e.split_once('/') {
        Some((p, proto)) => (p, Some(proto)),
        None => (e, None),
    };
    let proto = protocol(proto)?;
    let port = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|p| (1..=65535).contains(p))
    };
    let (lo, hi) = match ports.split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => {
            let p = port(ports)?;
            (p, p)
        }
    };
    if hi < lo {
        return None;
    }
    let cut = hi - lo >= MAX_RANGE;
    Some(((lo..=hi).take(MAX_RANGE as usize).collect(), proto, cut))
}

/// A CPU quantity: whole CPUs, else millicores (`0.5` -> `500m`); `None` for zero.
fn cpu_quantity(cpus: f32) -> Option<String> {
    let milli = (f64::from(cpus) * 1000.0).round();
    if milli.is_nan() || milli < 1.0 || !milli.is_finite() {
        return None;
    }
    let milli = milli as i64;
    Some(if milli % 1000 == 0 {
        (milli / 1000).to_string()
    } else {
        format!("{milli}m")
    })
}

/// A byte quantity in the largest binary unit that divides it (`536870912` -> `512Mi`).
fn byte_quantity(bytes: i64) -> String {
    for (unit, size) in [
        ("Ti", 1i64 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ] {
        if bytes % size == 0 {
            return format!("{}{unit}", bytes / size);
        }
    }
    bytes.to_string()
}

/// Whether `s` is a Kubernetes quantity such as `10Gi`, `500M` or `1.5`.
fn is_quantity(s: &str) -> bool {
    let digits_end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(digits_end);
    !num.is_empty()
        && num.parse::<f64>().is_ok()
        && matches!(
            suffix,
            "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "k" | "M" | "G" | "T" | "P" | "E"
        )
}

/// A ConfigMap key: `[-._a-zA-Z0-9]+`, at most 253 characters.
fn is_config_key(k: &str) -> bool {
    !k.is_empty()
        && k.len() <= 253
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// A label/annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63
/// characters, alphanumeric at both ends, `-_.` inside.
fn is_qualified_name(k: &str) -> bool {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.')
                .all(|part| !part.is_empty() && dns_label(part) == part)
    });
    name_ok && prefix_ok
}

#[cfg(test)]
#[path = "kubernetes_tests.rs"]
mod tests;
