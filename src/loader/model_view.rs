//! The project as a plain map, as compose-go's `LoadModel` leaves it: what `docker compose config
//! --no-interpolate` prints. No typed model is read and no consistency check runs: the merged
//! tree gets only compose-go's `transform.Canonical` (short syntax to long form where it parses;
//! what does not parse, such as `${PORT}:80`, stays as written), its default values, and the
//! map-level `Normalize` (default network, resource names, implicit `depends_on`, build
//! defaults, `pull_policy: if_not_present` as `missing`). `env_file` stays a list of files, the
//! environment stays as written, commands are not split.
//!
//! Pure tree work on `serde_yaml::Value`; imports only loader helpers.

use serde_yaml::{Mapping, Value};

use super::error::{ErrorKind, KeyPath, LoadError};
use super::normalize::{clean_target, parse_short_port, parse_short_volume, strip_tags};

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

fn dependency(restart: Option<bool>) -> Value {
    let mut m = Mapping::new();
    m.insert(s("condition"), s("service_started"));
    m.insert(s("required"), Value::Bool(true));
    if let Some(r) = restart {
        m.insert(s("restart"), Value::Bool(r));
    }
    Value::Mapping(m)
}

/// The shapes compose-go's transform insists on even when the schema is not checked
/// (`config --variables`): the top-level sections are mappings (`services` even when empty),
/// and so is each resource.
pub fn check_shapes(tree: &Value) -> Result<(), LoadError> {
    let Value::Mapping(top) = tree else {
        return Ok(());
    };
    for kind in [
        "services", "networks", "volumes", "secrets", "configs", "models",
    ] {
        let Some(section) = top.get(kind) else {
            continue;
        };
        let at = KeyPath::root().key(kind);
        match section {
            Value::Mapping(entries) => {
                for (k, v) in entries {
                    if !matches!(v, Value::Mapping(_) | Value::Null) {
                        let key = k.as_str().unwrap_or_default();
                        return Err(
                            LoadError::new(ErrorKind::Schema, "must be a mapping").at(at.key(key))
                        );
                    }
                }
            }
            Value::Null if kind != "services" => {}
            _ => return Err(LoadError::new(ErrorKind::Schema, "must be a mapping").at(at)),
        }
    }
    Ok(())
}

/// Turns the merged, path-resolved tree into compose-go's model map. `project` names the
/// resources that have no `name`; `default_context` is the build context of a `build` without
/// one (the project directory, or `.` without path resolution); `normalize` applies compose-go's
/// `Normalize` (off with `--no-normalize`).
///
/// Fails as compose-go's transform does on a resource whose `name` and `external.name` differ.
pub fn model_view(
    tree: &mut Value,
    project: &str,
    default_context: &str,
    normalize: bool,
) -> Result<(), LoadError> {
    strip_tags(tree);
    let Value::Mapping(top) = tree else {
        return Ok(());
    };
    if let Some(Value::Mapping(services)) = top.get_mut("services") {
        for svc in services.values_mut() {
            if svc.is_null() {
                *svc = Value::Mapping(Mapping::new());
            }
            if let Value::Mapping(m) = svc {
                canonical_service(m, default_context);
                // A variable without a value takes it from the environment, with or without
                // `Normalize` (which adds the build arguments' resolution).
                if let Some(env) = m.get_mut("environment") {
                    resolve_from_env(env, project, true);
                }
            }
        }
    }
    for kind in ["networks", "volumes", "secrets", "configs"] {
        if let Some(Value::Mapping(res)) = top.get_mut(kind) {
            for (k, r) in res.iter_mut() {
                let key = k.as_str().unwrap_or_default();
                canonical_resource(r).map_err(|e| {
                    LoadError::new(ErrorKind::Semantic, e)
                        .at(KeyPath::root().key(kind).key(key))
                        .hint(format!("remove {kind}.{key}.external.name"))
                })?;
            }
        }
    }
    if !normalize {
        return Ok(());
    }
    if let Some(Value::Mapping(services)) = top.get_mut("services") {
        for svc in services.values_mut() {
            if let Value::Mapping(m) = svc {
                normalize_service(m, default_context, project);
            }
        }
    }
    normalize_networks(top);
    if let Some(Value::Mapping(services)) = top.get_mut("services") {
        for svc in services.values_mut() {
            if let Value::Mapping(m) = svc {
                inherit_into_pre_start(m);
            }
        }
    }
    top.insert(s("name"), s(project));
    for kind in ["networks", "volumes", "configs", "secrets"] {
        if let Some(Value::Mapping(res)) = top.get_mut(kind) {
            for (k, r) in res.iter_mut() {
                let key = k.as_str().unwrap_or_default().to_string();
                if !matches!(r, Value::Mapping(_)) {
                    *r = Value::Mapping(Mapping::new());
                }
                let Value::Mapping(m) = r else { continue };
                if m.get("name").is_none_or(Value::is_null) {
                    let external = m.get("external").is_some_and(is_true);
                    let name = if external {
                        key
                    } else {
                        format!("{project}_{key}")
                    };
                    m.insert(s("name"), s(&name));
                }
            }
        }
    }
    Ok(())
}

fn is_true(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(x) => x == "true",
        _ => false,
    }
}

fn canonical_resource(r: &mut Value) -> Result<(), &'static str> {
    // compose-go's transformMaybeExternal: `external: {name: x}` -> `external: true`, `name: x`.
    let Value::Mapping(m) = r else { return Ok(()) };
    if let Some(Value::Mapping(ext)) = m.get("external") {
        let name = ext.get("name").cloned();
        m.insert(s("external"), Value::Bool(true));
        if let Some(n) = name {
            match m.get("name") {
                None => {
                    m.insert(s("name"), n);
                }
                Some(own) if *own != n => {
                    return Err("name and external.name conflict; only use name")
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

fn string_to_list(v: &mut Value) {
    if let Value::String(x) = v {
        *v = Value::Sequence(vec![s(x)]);
    }
}

fn canonical_service(svc: &mut Mapping, default_context: &str) {
    if let Some(b) = svc.get_mut("build") {
        if let Value::String(ctx) = b {
            let mut m = Mapping::new();
            m.insert(s("context"), s(ctx));
            *b = Value::Mapping(m);
        }
        if let Value::Mapping(m) = b {
            if !m.contains_key("context") {
                m.insert(s("context"), s(default_context));
            }
            if let Some(sec) = m.get_mut("secrets") {
                file_mounts(sec);
            }
            if let Some(ac) = m.get_mut("additional_contexts") {
                list_to_map(ac);
            }
            if let Some(ssh) = m.get_mut("ssh") {
                list_to_map(ssh);
            }
            // compose-go's `transformStringOrX`: a boolean attestation flag is its text.
            for key in ["sbom", "provenance"] {
                if let Some(Value::Bool(b)) = m.get(key) {
                    let text = b.to_string();
                    m.insert(s(key), s(&text));
                }
            }
        }
    }
    if let Some(d) = svc.get_mut("depends_on") {
        match d {
            Value::Sequence(items) => {
                let mut m = Mapping::new();
                for i in items.iter() {
                    m.insert(i.clone(), dependency(None));
                }
                *d = Value::Mapping(m);
            }
            Value::Mapping(m) => {
                for v in m.values_mut() {
                    if v.is_null() {
                        *v = Value::Mapping(Mapping::new());
                    }
                    if let Value::Mapping(e) = v {
                        if !e.contains_key("condition") {
                            e.insert(s("condition"), s("service_started"));
                        }
                        if !e.contains_key("required") {
                            e.insert(s("required"), Value::Bool(true));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(e) = svc.get_mut("env_file") {
        string_to_list(e);
        if let Value::Sequence(items) = e {
            for i in items.iter_mut() {
                if let Value::String(p) = i {
                    let mut m = Mapping::new();
                    m.insert(s("path"), s(p));
                    m.insert(s("required"), Value::Bool(true));
                    *i = Value::Mapping(m);
                } else if let Value::Mapping(m) = i {
                    if !m.contains_key("required") {
                        m.insert(s("required"), Value::Bool(true));
                    }
                }
            }
        }
    }
    for key in ["label_file", "dns"] {
        if let Some(v) = svc.get_mut(key) {
            string_to_list(v);
        }
    }
    if let Some(Value::String(x)) = svc.get("extends").cloned().as_ref() {
        let mut m = Mapping::new();
        m.insert(s("service"), s(x));
        svc.insert(s("extends"), Value::Mapping(m));
    }
    if let Some(Value::Sequence(nets)) = svc.get("networks").cloned() {
        let mut m = Mapping::new();
        for n in nets {
            m.insert(n, Value::Null);
        }
        svc.insert(s("networks"), Value::Mapping(m));
    }
    if let Some(Value::Sequence(vols)) = svc.get_mut("volumes") {
        for v in vols.iter_mut() {
            // A bind mount gets `create_host_path: true` in its `bind` options when it is
            // written short, or long with a `bind` key; a long one without `bind` stays so.
            let short = if let Value::String(spec) = v {
                let Ok(m) = parse_short_volume(spec) else {
                    continue;
                };
                *v = Value::Mapping(m);
                true
            } else {
                false
            };
            let Value::Mapping(m) = v else { continue };
            if m.get("type").and_then(Value::as_str) != Some("bind") {
                continue;
            }
            if !short && !m.contains_key("bind") {
                continue;
            }
            let bind = m
                .entry(s("bind"))
                .or_insert_with(|| Value::Mapping(Mapping::new()));
            if bind.is_null() {
                *bind = Value::Mapping(Mapping::new());
            }
            if let Value::Mapping(b) = bind {
                if !b.contains_key("create_host_path") {
                    b.insert(s("create_host_path"), Value::Bool(true));
                }
            }
        }
    }
    if let Some(Value::Sequence(devs)) = svc.get_mut("devices") {
        for d in devs.iter_mut() {
            if let Value::String(x) = d {
                let parts: Vec<&str> = x.split(':').collect();
                let (src, dst, perm) = match parts.as_slice() {
                    [a] => (*a, *a, "rwm"),
                    [a, b] => (*a, *b, "rwm"),
                    [a, b, c] => (*a, *b, *c),
                    _ => continue,
                };
                let dst = if dst.is_empty() { src } else { dst };
                let mut m = Mapping::new();
                m.insert(s("source"), s(src));
                m.insert(s("target"), s(dst));
                m.insert(s("permissions"), s(perm));
                *d = Value::Mapping(m);
            }
        }
    }
    if let Some(sec) = svc.get_mut("secrets") {
        file_mounts(sec);
        if let Value::Sequence(items) = sec {
            for i in items.iter_mut() {
                if let Value::Mapping(m) = i {
                    if !m.contains_key("target") {
                        if let Some(src) = m.get("source").and_then(Value::as_str) {
                            let t = format!("/run/secrets/{src}");
                            m.insert(s("target"), s(&t));
                        }
                    }
                }
            }
        }
    }
    if let Some(c) = svc.get_mut("configs") {
        file_mounts(c);
    }
    if let Some(Value::Sequence(models)) = svc.get("models") {
        // compose-go's `transformStringSliceToMap`: `[m]` is `{m: null}`.
        let mut m = Mapping::new();
        for name in models {
            m.insert(name.clone(), Value::Null);
        }
        svc.insert(s("models"), Value::Mapping(m));
    }
    if let Some(Value::Mapping(dev)) = svc.get_mut("develop") {
        if let Some(Value::Sequence(watch)) = dev.get_mut("watch") {
            for w in watch.iter_mut() {
                let Value::Mapping(w) = w else { continue };
                for key in ["include", "ignore"] {
                    if let Some(v) = w.get_mut(key) {
                        string_to_list(v);
                    }
                }
                // The experimental spelling, as compose-go reads it.
                if let Some(x) = w.remove("x-initialSync") {
                    if !w.contains_key("initial_sync") {
                        w.insert(s("initial_sync"), x);
                    }
                }
            }
        }
    }
    if let Some(Value::Sequence(ports)) = svc.get("ports").cloned() {
        let mut out = Vec::new();
        for p in ports {
            let raw = match &p {
                Value::String(x) => Some(x.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            match raw.map(|r| parse_short_port(&r)) {
                Some(Ok(ms)) => out.extend(ms.into_iter().map(Value::Mapping)),
                Some(Err(_)) => out.push(p),
                None => {
                    let mut p = p;
                    if let Value::Mapping(m) = &mut p {
                        if !m.contains_key("mode") {
                            m.insert(s("mode"), s("ingress"));
                        }
                        if !m.contains_key("protocol") {
                            m.insert(s("protocol"), s("tcp"));
                        }
                    }
                    out.push(p);
                }
            }
        }
        svc.insert(s("ports"), Value::Sequence(out));
    }
    if let Some(Value::Sequence(gpus)) = svc.get_mut("gpus") {
        device_defaults(gpus);
    } else if let Some(Value::String(_)) = svc.get("gpus") {
        let mut m = Mapping::new();
        m.insert(s("count"), s("all"));
        svc.insert(s("gpus"), Value::Sequence(vec![Value::Mapping(m)]));
    }
    if let Some(Value::Mapping(deploy)) = svc.get_mut("deploy") {
        if let Some(Value::Mapping(res)) = deploy.get_mut("resources") {
            if let Some(Value::Mapping(rv)) = res.get_mut("reservations") {
                if let Some(Value::Sequence(devs)) = rv.get_mut("devices") {
                    device_defaults(devs);
                }
            }
        }
    }
}

/// compose-go's `deviceRequestDefaults`: a request with neither `count` nor `device_ids` is for
/// all devices.
fn device_defaults(devs: &mut [Value]) {
    for d in devs.iter_mut() {
        if let Value::Mapping(m) = d {
            if !m.contains_key("count") && !m.contains_key("device_ids") {
                m.insert(s("count"), s("all"));
            }
        }
    }
}

fn list_to_map(v: &mut Value) {
    if let Value::Sequence(items) = v {
        let mut m = Mapping::new();
        for i in items.iter() {
            if let Some(x) = i.as_str() {
                match x.split_once('=') {
                    Some((k, val)) => m.insert(s(k), s(val)),
                    None => m.insert(s(x), Value::Null),
                };
            }
        }
        *v = Value::Mapping(m);
    }
}

fn file_mounts(v: &mut Value) {
    if let Value::Sequence(items) = v {
        for i in items.iter_mut() {
            if let Value::String(x) = i {
                let mut m = Mapping::new();
                m.insert(s("source"), s(x));
                *i = Value::Mapping(m);
            }
        }
    }
}

/// compose-go's map-level `resolve`: a variable without a value takes it from the environment
/// the model is normalised with, which without interpolation holds only COMPOSE_PROJECT_NAME;
/// one that stays without a value is kept (`keep_empty`) or dropped.
fn resolve_from_env(v: &mut Value, project: &str, keep_empty: bool) {
    let lookup = |k: &str| (k == "COMPOSE_PROJECT_NAME").then(|| project.to_string());
    match v {
        Value::Sequence(items) => items.retain_mut(|i| match i {
            Value::String(x) if !x.contains('=') => match lookup(x) {
                Some(val) => {
                    *x = format!("{x}={val}");
                    true
                }
                None => keep_empty,
            },
            _ => true,
        }),
        Value::Mapping(m) => m.retain(|k, val| {
            if !val.is_null() {
                return true;
            }
            match k.as_str().and_then(lookup) {
                Some(x) => {
                    *val = s(&x);
                    true
                }
                None => keep_empty,
            }
        }),
        _ => {}
    }
}

fn normalize_service(svc: &mut Mapping, default_context: &str, project: &str) {
    if svc.get("pull_policy").and_then(Value::as_str) == Some("if_not_present") {
        svc.insert(s("pull_policy"), s("missing"));
    }
    if let Some(Value::Mapping(b)) = svc.get_mut("build") {
        if let Some(args) = b.get_mut("args") {
            resolve_from_env(args, project, false);
        }
    }
    if let Some(Value::Mapping(b)) = svc.get_mut("build") {
        if b.get("context").is_none_or(Value::is_null) {
            b.insert(s("context"), s(default_context));
        }
        if b.get("dockerfile").is_none_or(Value::is_null)
            && b.get("dockerfile_inline").is_none_or(Value::is_null)
        {
            b.insert(s("dockerfile"), s("Dockerfile"));
        }
    }
    let mut implied: Vec<(String, bool)> = Vec::new();
    if let Some(Value::Sequence(links)) = svc.get("links") {
        for l in links.iter().filter_map(Value::as_str) {
            let parts: Vec<&str> = l.split(':').collect();
            let name = if parts.len() == 2 { parts[0] } else { l };
            implied.push((name.to_string(), true));
        }
    }
    for ns in ["network_mode", "ipc", "pid", "uts", "cgroup"] {
        if let Some(r) = svc.get(ns).and_then(Value::as_str) {
            if let Some(shared) = r.strip_prefix("service:") {
                implied.push((shared.to_string(), true));
            }
        }
    }
    if let Some(Value::Sequence(vols)) = svc.get_mut("volumes") {
        for v in vols.iter_mut() {
            if let Value::Mapping(m) = v {
                if let Some(t) = m.get("target").and_then(Value::as_str) {
                    let t = clean_target(t);
                    m.insert(s("target"), s(&t));
                }
            }
        }
    }
    if let Some(Value::Sequence(vf)) = svc.get("volumes_from") {
        for v in vf.iter().filter_map(Value::as_str) {
            if !v.starts_with("container:") {
                let name = v.split(':').next().unwrap_or(v);
                implied.push((name.to_string(), false));
            }
        }
    }
    if implied.is_empty() {
        return;
    }
    let dep = svc
        .entry(s("depends_on"))
        .or_insert_with(|| Value::Mapping(Mapping::new()));
    if let Value::Mapping(d) = dep {
        for (name, restart) in implied {
            if !d.contains_key(name.as_str()) {
                d.insert(s(&name), dependency(Some(restart)));
            }
        }
    }
}

/// compose-go's `Normalize` makes each `pre_start` job run in the service's image (unless it
/// names its own) on the service's networks.
fn inherit_into_pre_start(svc: &mut Mapping) {
    let image = svc.get("image").cloned();
    let networks = svc.get("networks").cloned();
    let Some(Value::Sequence(hooks)) = svc.get_mut("pre_start") else {
        return;
    };
    for h in hooks.iter_mut() {
        let Value::Mapping(h) = h else { continue };
        if let Some(i) = &image {
            if h.get("image").is_none_or(Value::is_null) {
                h.insert(s("image"), i.clone());
            }
        }
        if let Some(n) = &networks {
            if !h.contains_key("networks") {
                h.insert(s("networks"), n.clone());
            }
        }
    }
}

/// compose-go's `normalizeNetworks`: a service with no network (and no `network_mode` or
/// `provider`) joins `default`, which is declared when some service uses it.
fn normalize_networks(top: &mut Mapping) {
    let mut uses_default = false;
    if let Some(Value::Mapping(services)) = top.get_mut("services") {
        for svc in services.values_mut() {
            let Value::Mapping(m) = svc else { continue };
            if m.contains_key("provider") || m.contains_key("network_mode") {
                continue;
            }
            match m.get("networks") {
                Some(Value::Mapping(n)) if !n.is_empty() => {
                    if n.contains_key("default") {
                        uses_default = true;
                    }
                }
                _ => {
                    let mut n = Mapping::new();
                    n.insert(s("default"), Value::Null);
                    m.insert(s("networks"), Value::Mapping(n));
                    uses_default = true;
                }
            }
        }
    }
    if uses_default {
        let nets = top
            .entry(s("networks"))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if nets.is_null() {
            *nets = Value::Mapping(Mapping::new());
        }
        if let Value::Mapping(n) = nets {
            if !n.contains_key("default") {
                n.insert(s("default"), Value::Null);
            }
        }
    }
}
