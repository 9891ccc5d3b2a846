//! Relative-path resolution and normalisation of a compose document to the canonical long form.
//!
//! Owns two steps of the loader pipeline, both on `serde_yaml::Value` trees:
//! - [`resolve_paths`]: for one file's raw tree (before merge), make every relative host path
//!   absolute against that file's base directory (build contexts, bind-mount sources, `env_file`,
//!   `label_file`, secret/config `file`, `extends.file`, `include` paths, watch paths, local
//!   bind-volume devices), like compose-go's `paths` package.
//! - [`normalize`] / [`normalize_in`]: rewrite every short syntax to the long form that
//!   `docker compose config` prints (ports, volumes, depends_on, networks, secrets, healthcheck,
//!   build, command, labels...), add the implicit defaults (default network, resource names,
//!   implicit dependencies) and the project `name`.
//!
//! Must not import `engine`, `app`, `plan` or `cli`; from `model` only `model::path` (the lexical
//! path cleaning). Touches no files and reads no process environment (the home directory comes in
//! as an argument).

// `LoadError` is the loader's shared error type (file, line, path, hint); boxing it is the
// lead's call, not this module's.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};

use crate::model::path;

use crate::loader::fields::Fields;
use serde_yaml::{Mapping, Value};

use crate::loader::error::{ErrorKind, KeyPath, LoadError, Warnings};

// ---------------------------------------------------------------------------------------------
// Small helpers on serde_yaml values
// ---------------------------------------------------------------------------------------------

fn s(v: &str) -> Value {
    Value::String(v.to_string())
}

/// Looks through `!reset` / `!override` tags (they only matter to the merge step).
fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => untag(&t.value),
        other => other,
    }
}

fn untag_mut(v: &mut Value) -> &mut Value {
    match v {
        Value::Tagged(t) => untag_mut(&mut t.value),
        other => other,
    }
}

/// Recursively replaces tagged values by their content.
pub(super) fn strip_tags(v: &mut Value) {
    if let Value::Tagged(t) = v {
        let inner = std::mem::take(&mut t.value);
        *v = inner;
        strip_tags(v);
        return;
    }
    match v {
        Value::Mapping(m) => m.values_mut().for_each(strip_tags),
        Value::Sequence(seq) => seq.iter_mut().for_each(strip_tags),
        _ => {}
    }
}

fn get_map_mut<'a>(m: &'a mut Mapping, key: &str) -> Option<&'a mut Mapping> {
    match m.field_mut(key).map(untag_mut) {
        Some(Value::Mapping(inner)) => Some(inner),
        _ => None,
    }
}

fn get_str<'a>(m: &'a Mapping, key: &str) -> Option<&'a str> {
    m.field(key).map(untag).and_then(Value::as_str)
}

/// A scalar as the string Go's `fmt.Sprint` would print; `None` for null and non-scalars.
pub(crate) fn scalar_string(v: &Value) -> Option<String> {
    match untag(v) {
        Value::String(x) => Some(x.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn is_true(v: &Value) -> bool {
    match untag(v) {
        Value::Bool(b) => *b,
        Value::String(x) => x.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

fn err(kind: ErrorKind, path: KeyPath, msg: impl Into<String>) -> LoadError {
    LoadError::new(kind, msg).at(path)
}

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

/// `rel` made absolute against `base` and cleaned lexically (`model::path::resolve`).
fn clean_join(base: &Path, rel: &str) -> String {
    path::resolve(base, Path::new(rel))
        .to_string_lossy()
        .into_owned()
}

/// A mount target cleaned as a Unix path (`path.Clean`); an empty one stays empty (the semantic
/// checks report it).
pub(super) fn clean_target(t: &str) -> String {
    if t.is_empty() {
        String::new()
    } else {
        path::clean_unix(t)
    }
}

fn is_windows_abs(p: &str) -> bool {
    let b = p.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/'))
        || p.starts_with("\\\\")
}

struct PathCtx<'a> {
    base: &'a Path,
    home: Option<PathBuf>,
}

impl PathCtx<'_> {
    /// `~` and `~/x` -> home; other values unchanged.
    fn expand_user(&self, p: &str) -> String {
        if let Some(home) = &self.home {
            if p == "~" {
                return home.to_string_lossy().into_owned();
            }
            if let Some(rest) = p.strip_prefix("~/") {
                return clean_join(home, rest);
            }
        }
        p.to_string()
    }

    /// Makes a host path absolute (empty values are left alone).
    fn abs(&self, p: &str) -> String {
        if p.is_empty() {
            return String::new();
        }
        let expanded = self.expand_user(p);
        if is_windows_abs(&expanded) {
            return expanded;
        }
        if p.starts_with('/') {
            // compose-go leaves an absolute path as written (`/etc/pihole/` keeps its slash).
            return expanded;
        }
        if expanded.starts_with('/') {
            return path::clean(Path::new(&expanded))
                .to_string_lossy()
                .into_owned();
        }
        clean_join(self.base, &expanded)
    }

    fn abs_value(&self, v: &mut Value) {
        if let Value::String(x) = untag_mut(v) {
            *x = self.abs(x);
        }
    }

    fn abs_value_or_list(&self, v: &mut Value) {
        match untag_mut(v) {
            Value::Sequence(seq) => seq.iter_mut().for_each(|e| self.abs_value(e)),
            other => self.abs_value(other),
        }
    }

    fn abs_context(&self, v: &mut Value) {
        if let Value::String(x) = untag_mut(v) {
            if !is_remote_context(x) {
                *x = self.abs(x);
            }
        }
    }
}

/// Build contexts that are URLs, git references or another service's image stay as written.
pub(crate) fn is_remote_context(v: &str) -> bool {
    v.contains("://")
        || v.starts_with("service:")
        || [
            "https://",
            "http://",
            "git://",
            "ssh://",
            "github.com/",
            "git@",
        ]
        .iter()
        .any(|p| v.starts_with(p))
}

/// Makes the relative host paths of one file's raw tree absolute against `base_dir`.
///
/// Works on the tree before merge and before normalisation, so it accepts both short and long
/// syntaxes (and looks through `!reset` / `!override` tags). `~` stays as written: the loader
/// passes the home directory from its environment to [`resolve_paths_with_home`].
pub fn resolve_paths(doc: &mut Value, base_dir: &Path) {
    resolve_paths_with_home(doc, base_dir, None);
}

/// [`resolve_paths`] with a home directory: `~` and `~/x` expand to it.
pub fn resolve_paths_with_home(doc: &mut Value, base_dir: &Path, home: Option<&Path>) {
    let ctx = PathCtx {
        base: base_dir,
        home: home.map(Path::to_path_buf),
    };
    let Value::Mapping(root) = untag_mut(doc) else {
        return;
    };
    if let Some(services) = get_map_mut(root, "services") {
        for (_, svc) in services.iter_mut() {
            if let Value::Mapping(svc) = untag_mut(svc) {
                resolve_service_paths(svc, &ctx);
            }
        }
    }
    for kind in ["secrets", "configs"] {
        if let Some(defs) = get_map_mut(root, kind) {
            for (_, def) in defs.iter_mut() {
                if let Value::Mapping(def) = untag_mut(def) {
                    if let Some(f) = def.field_mut("file") {
                        ctx.abs_value(f);
                    }
                }
            }
        }
    }
    if let Some(volumes) = get_map_mut(root, "volumes") {
        for (_, vol) in volumes.iter_mut() {
            if let Value::Mapping(vol) = untag_mut(vol) {
                resolve_local_bind_volume(vol, &ctx);
            }
        }
    }
    if let Some(Value::Sequence(includes)) = root.field_mut("include").map(untag_mut) {
        for inc in includes.iter_mut() {
            match untag_mut(inc) {
                Value::String(p) => *p = ctx.abs(p),
                Value::Mapping(m) => {
                    if let Some(p) = m.field_mut("path") {
                        ctx.abs_value_or_list(p);
                    }
                    if let Some(p) = m.field_mut("project_directory") {
                        ctx.abs_value(p);
                    }
                    if let Some(p) = m.field_mut("env_file") {
                        ctx.abs_value_or_list(p);
                    }
                }
                _ => {}
            }
        }
    }
}

fn resolve_local_bind_volume(vol: &mut Mapping, ctx: &PathCtx) {
    if get_str(vol, "driver") != Some("local") {
        return;
    }
    if let Some(opts) = get_map_mut(vol, "driver_opts") {
        if get_str(opts, "o") == Some("bind") {
            if let Some(dev) = opts.field_mut("device") {
                match untag_mut(dev) {
                    // compose-go joins even an empty device to the project directory.
                    Value::String(x) if x.is_empty() => *x = clean_join(ctx.base, "."),
                    dev => ctx.abs_value(dev),
                }
            }
        }
    }
}

fn resolve_service_paths(svc: &mut Mapping, ctx: &PathCtx) {
    if let Some(build) = svc.field_mut("build").map(untag_mut) {
        match build {
            Value::String(_) => ctx.abs_context(build),
            Value::Mapping(b) => {
                if let Some(c) = b.field_mut("context") {
                    ctx.abs_context(c);
                }
                match b.field_mut("additional_contexts").map(untag_mut) {
                    Some(Value::Mapping(m)) => m.values_mut().for_each(|v| ctx.abs_context(v)),
                    Some(Value::Sequence(seq)) => {
                        for e in seq.iter_mut() {
                            if let Value::String(x) = untag_mut(e) {
                                if let Some((k, v)) = x.split_once('=') {
                                    if !is_remote_context(v) {
                                        *x = format!("{k}={}", ctx.abs(v));
                                    }
                                }
                            }
                        }
                    }
                    _ => {}
                }
                match b.field_mut("ssh").map(untag_mut) {
                    Some(Value::Sequence(seq)) => {
                        for e in seq.iter_mut() {
                            if let Value::String(x) = untag_mut(e) {
                                if let Some((k, v)) = x.split_once('=') {
                                    *x = format!("{k}={}", ctx.abs(v));
                                }
                            }
                        }
                    }
                    Some(Value::Mapping(m)) => m.values_mut().for_each(|v| ctx.abs_value(v)),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if let Some(env_file) = svc.field_mut("env_file").map(untag_mut) {
        match env_file {
            Value::Sequence(seq) => {
                for e in seq.iter_mut() {
                    match untag_mut(e) {
                        Value::Mapping(m) => {
                            if let Some(p) = m.field_mut("path") {
                                ctx.abs_value(p);
                            }
                        }
                        other => ctx.abs_value(other),
                    }
                }
            }
            other => ctx.abs_value(other),
        }
    }
    if let Some(lf) = svc.field_mut("label_file") {
        ctx.abs_value_or_list(lf);
    }
    if let Some(Value::Mapping(ext)) = svc.field_mut("extends").map(untag_mut) {
        if let Some(f) = ext.field_mut("file") {
            ctx.abs_value(f);
        }
    }
    if let Some(develop) = get_map_mut(svc, "develop") {
        if let Some(Value::Sequence(watch)) = develop.field_mut("watch").map(untag_mut) {
            for w in watch.iter_mut() {
                if let Value::Mapping(w) = untag_mut(w) {
                    if let Some(p) = w.field_mut("path") {
                        ctx.abs_value_or_list(p);
                    }
                }
            }
        }
    }
    if let Some(Value::Sequence(vols)) = svc.field_mut("volumes").map(untag_mut) {
        for v in vols.iter_mut() {
            match untag_mut(v) {
                Value::String(spec) => {
                    if let Some(rewritten) = resolve_short_volume(spec, ctx) {
                        *spec = rewritten;
                    }
                }
                Value::Mapping(m) if get_str(m, "type") == Some("bind") => {
                    if let Some(src) = m.field_mut("source") {
                        ctx.abs_value(src);
                    }
                }
                _ => {}
            }
        }
    }
}

/// Rewrites the source of a short bind-mount spec (`./data:/data:ro`) to an absolute path.
fn resolve_short_volume(spec: &str, ctx: &PathCtx) -> Option<String> {
    let parts = split_volume_spec(spec);
    if parts.len() < 2 {
        return None;
    }
    let source = parts.first()?;
    if !is_file_path(source) || is_windows_abs(source) {
        return None;
    }
    let rest = spec.get(source.len()..)?;
    Some(format!("{}{}", ctx.abs(source), rest))
}

// ---------------------------------------------------------------------------------------------
// Volume short syntax
// ---------------------------------------------------------------------------------------------

/// Splits a short volume spec on `:` like compose-go's `ParseVolume`: a Windows drive letter
/// (`C:`) and `${...}` never split.
fn split_volume_spec(spec: &str) -> Vec<String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut parts = Vec::new();
    let mut buf = String::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '$' && chars.get(i + 1) == Some(&'{') {
            depth += 1;
            buf.push(c);
        } else if c == '}' && depth > 0 {
            depth -= 1;
            buf.push(c);
        } else if c == ':' && depth == 0 {
            let mut bc = buf.chars();
            let drive = matches!((bc.next(), bc.next()), (Some(l), None) if l.is_alphabetic());
            if drive {
                buf.push(c);
            } else {
                parts.push(std::mem::take(&mut buf));
            }
        } else {
            buf.push(c);
        }
        i += 1;
    }
    parts.push(buf);
    parts
}

fn is_file_path(source: &str) -> bool {
    if source.starts_with(['.', '/', '~']) || source.starts_with("\\\\") {
        return true;
    }
    let mut cs = source.chars();
    matches!((cs.next(), cs.next()), (Some(l), Some(':')) if l.is_alphabetic())
}

/// Parses `[SOURCE:]TARGET[:MODE]` into the long form compose prints.
pub(super) fn parse_short_volume(spec: &str) -> Result<Mapping, String> {
    if spec.is_empty() {
        return Err("invalid empty volume spec".into());
    }
    let mut vol = Mapping::new();
    if spec.chars().count() <= 2 {
        vol.insert(s("type"), s("volume"));
        vol.insert(s("target"), s(spec));
        vol.insert(s("volume"), Value::Mapping(Mapping::new()));
        return Ok(vol);
    }
    let parts = split_volume_spec(spec);
    if parts.iter().any(String::is_empty) {
        return Err(format!(
            "invalid spec: {spec}: empty section between colons"
        ));
    }
    let (source, target, mode) = match parts.as_slice() {
        [t] => (None, t.clone(), None),
        [src, t] => (Some(src.clone()), t.clone(), None),
        [src, t, m] => (Some(src.clone()), t.clone(), Some(m.clone())),
        _ => return Err(format!("invalid spec: {spec}: too many colons")),
    };
    let bind = source.as_deref().is_some_and(is_file_path);
    let mut read_only = false;
    let mut nocopy = false;
    let mut selinux = None;
    let mut propagation = None;
    if let Some(mode) = &mode {
        for opt in mode.split(',') {
            match opt {
                "ro" => read_only = true,
                "rw" => read_only = false,
                "nocopy" => nocopy = true,
                "z" | "Z" => selinux = Some(opt.to_string()),
                "rprivate" | "private" | "rshared" | "shared" | "rslave" | "slave" => {
                    propagation = Some(opt.to_string())
                }
                _ => {}
            }
        }
    }
    vol.insert(s("type"), s(if bind { "bind" } else { "volume" }));
    if let Some(src) = &source {
        vol.insert(s("source"), s(src));
    }
    vol.insert(s("target"), s(&clean_target(&target)));
    if read_only {
        vol.insert(s("read_only"), Value::Bool(true));
    }
    if bind {
        let mut b = Mapping::new();
        if let Some(p) = propagation {
            b.insert(s("propagation"), s(&p));
        }
        b.insert(s("create_host_path"), Value::Bool(true));
        if let Some(z) = selinux {
            b.insert(s("selinux"), s(&z));
        }
        vol.insert(s("bind"), Value::Mapping(b));
    } else {
        let mut v = Mapping::new();
        if nocopy {
            v.insert(s("nocopy"), Value::Bool(true));
        }
        vol.insert(s("volume"), Value::Mapping(v));
    }
    Ok(vol)
}

// ---------------------------------------------------------------------------------------------
// Port short syntax
// ---------------------------------------------------------------------------------------------

fn parse_port_range(p: &str) -> Option<(u64, u64)> {
    if p.is_empty() {
        return None;
    }
    match p.split_once('-') {
        Some((a, b)) => {
            let a: u64 = a.parse().ok()?;
            let b: u64 = b.parse().ok()?;
            (b >= a && b <= 65535).then_some((a, b))
        }
        None => {
            let a: u64 = p.parse().ok()?;
            (a <= 65535).then_some((a, a))
        }
    }
}

fn valid_ip(ip: &str) -> bool {
    ip.parse::<std::net::IpAddr>().is_ok()
}

/// Parses `[[IP:]HOST:]CONTAINER[/PROTO]` into one long-form entry per container port.
pub(super) fn parse_short_port(raw: &str) -> Result<Vec<Mapping>, String> {
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let container = parts.last().copied().unwrap_or("");
    let (mut ip, host) = match n {
        1 => (String::new(), ""),
        2 => (String::new(), parts[0]),
        3 => (parts[0].to_string(), parts[1]),
        _ => (parts[..n - 2].join(":"), parts[n - 2]),
    };
    let (proto, container) = match container.split_once('/') {
        None => ("tcp".to_string(), container),
        Some((c, "")) => ("tcp".to_string(), c),
        Some((c, p)) => (p.to_ascii_lowercase(), c),
    };
    if ip.starts_with('[') && ip.ends_with(']') && ip.len() >= 2 {
        ip = ip[1..ip.len() - 1].to_string();
    }
    if !ip.is_empty() && !valid_ip(&ip) {
        return Err(format!("invalid IP address: {ip}"));
    }
    if container.is_empty() {
        return Err(format!("no port specified: {raw}<empty>"));
    }
    let (start, end) =
        parse_port_range(container).ok_or_else(|| format!("invalid containerPort: {container}"))?;
    let (hstart, hend) = if host.is_empty() {
        (0, 0)
    } else {
        parse_port_range(host).ok_or_else(|| format!("invalid hostPort: {host}"))?
    };
    if !host.is_empty() && (end - start) != (hend - hstart) && end != start {
        return Err(format!(
            "invalid ranges specified for container and host Ports: {container} and {host}"
        ));
    }
    if !matches!(proto.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid proto: {proto}"));
    }
    let mut out = Vec::new();
    for i in 0..=(end - start) {
        let mut m = Mapping::new();
        m.insert(s("mode"), s("ingress"));
        if !ip.is_empty() {
            m.insert(s("host_ip"), s(&ip));
        }
        m.insert(s("target"), Value::Number((start + i).into()));
        if !host.is_empty() {
            let published = if start == end && hstart != hend {
                format!("{hstart}-{hend}")
            } else {
                (hstart + i).to_string()
            };
            m.insert(s("published"), s(&published));
        }
        m.insert(s("protocol"), s(&proto));
        out.push(m);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------

/// Normalises a merged document to the canonical form `docker compose config` prints.
///
/// Relative build contexts that are still missing (`build: {dockerfile: X}`) become `.`; use
/// [`normalize_in`] to have them resolved against the project directory.
pub fn normalize(doc: &mut Value, project_name: &str) -> Result<(), LoadError> {
    normalize_in(doc, project_name, None).map(|_| ())
}

/// Fills in the build args written without a value (`- FROM_ENV`, `FROM_ENV:`) from the project
/// environment `lookup`, and drops those the environment does not define, as compose-go's
/// `Normalize` does (`resolve(args, fn, keepEmpty=false)`). Runs on the normalised tree, where
/// `build.args` is a mapping.
pub fn resolve_build_args(doc: &mut Value, lookup: &dyn Fn(&str) -> Option<String>) {
    let Some(Value::Mapping(services)) = doc.get_mut("services") else {
        return;
    };
    for svc in services.values_mut() {
        let Some(Value::Mapping(args)) = svc.field_mut("build").and_then(|b| b.field_mut("args"))
        else {
            continue;
        };
        let mut resolved = Mapping::new();
        for (k, v) in std::mem::take(args) {
            if !v.is_null() {
                resolved.insert(k, v);
            } else if let Some(val) = scalar_string(&k).and_then(|name| lookup(&name)) {
                resolved.insert(k, Value::String(val));
            }
        }
        *args = resolved;
    }
}

/// Drops the networks, volumes, secrets, configs and models that no service uses, as docker
/// compose does after loading (compose-go `WithoutUnnecessaryResources`) unless
/// `--all-resources` is given. Reads the references in the long and the short syntax alike, so
/// it also works on a tree that was not normalised.
pub fn drop_unused_resources(doc: &mut Value) {
    let unused = unused_resources(doc);
    drop_resources(doc, &unused);
}

/// The top-level resources (kind, names) that no service uses: what
/// [`drop_unused_resources`] removes. Reads the tree only.
pub fn unused_resources(doc: &Value) -> Vec<(&'static str, Vec<String>)> {
    let Value::Mapping(root) = doc else {
        return Vec::new();
    };
    let mut used: [(&'static str, Vec<String>); 5] = [
        ("networks", Vec::new()),
        ("volumes", Vec::new()),
        ("secrets", Vec::new()),
        ("configs", Vec::new()),
        ("models", Vec::new()),
    ];
    if let Some(Value::Mapping(services)) = root.field("services") {
        for svc in services.values() {
            let Value::Mapping(svc) = svc else { continue };
            for (kind, names) in used.iter_mut() {
                match *kind {
                    "networks" | "models" => names.extend(keys_or_items(svc.field(kind))),
                    "volumes" => {
                        if let Some(Value::Sequence(mounts)) = svc.field("volumes") {
                            names.extend(mounts.iter().filter_map(named_volume_source));
                        }
                    }
                    _ => {
                        names.extend(mount_sources(svc.field(kind)));
                        if *kind == "secrets" {
                            if let Some(Value::Mapping(build)) = svc.field("build") {
                                names.extend(mount_sources(build.field("secrets")));
                            }
                        }
                    }
                }
            }
        }
    }
    used.into_iter()
        .filter_map(|(kind, names)| {
            let Some(Value::Mapping(defined)) = root.get(kind) else {
                return None;
            };
            let unused: Vec<String> = defined
                .keys()
                .filter(|k| !scalar_string(k).is_some_and(|k| names.contains(&k)))
                .filter_map(scalar_string)
                .collect();
            let emptied = unused.len() == defined.len();
            // An emptied section goes too (an empty name list says so).
            (!unused.is_empty() || emptied).then_some((kind, unused))
        })
        .collect()
}

/// [`unused_resources`] for a swarm stack: a config named by a service's
/// `credential_spec.config` is used.
pub fn unused_resources_for_swarm(doc: &Value) -> Vec<(&'static str, Vec<String>)> {
    let mut creds: Vec<String> = Vec::new();
    if let Some(Value::Mapping(services)) = doc.get("services") {
        for svc in services.values() {
            if let Some(Value::String(c)) = svc.get("credential_spec").and_then(|c| c.get("config"))
            {
                creds.push(c.clone());
            }
        }
    }
    let defined = doc
        .get("configs")
        .and_then(Value::as_mapping)
        .map_or(0, |m| m.len());
    unused_resources(doc)
        .into_iter()
        .filter_map(|(kind, names)| {
            if kind != "configs" {
                return Some((kind, names));
            }
            let left: Vec<String> = names.into_iter().filter(|n| !creds.contains(n)).collect();
            // An empty list drops the whole section: only when nothing in it is used.
            (!left.is_empty() || creds.is_empty() && defined == 0).then_some((kind, left))
        })
        .collect()
}

/// Removes the resources [`unused_resources`] found (and any key that is not a string); a
/// section left empty goes too.
pub fn drop_resources(doc: &mut Value, unused: &[(&'static str, Vec<String>)]) {
    let Value::Mapping(root) = doc else {
        return;
    };
    for (kind, names) in unused {
        let Some(Value::Mapping(defined)) = root.get_mut(*kind) else {
            continue;
        };
        defined.retain(|k, _| scalar_string(k).is_some_and(|k| !names.contains(&k)));
        if defined.is_empty() {
            root.shift_remove(*kind);
        }
    }
}

/// The names a service attaches to: the keys of a mapping or the items of a list.
fn keys_or_items(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Mapping(m)) => m.keys().filter_map(scalar_string).collect(),
        Some(Value::Sequence(seq)) => seq.iter().filter_map(scalar_string).collect(),
        _ => Vec::new(),
    }
}

/// The `source` of each secret/config grant, short (`- name`) or long (`- source: name`).
fn mount_sources(v: Option<&Value>) -> Vec<String> {
    let Some(Value::Sequence(seq)) = v else {
        return Vec::new();
    };
    seq.iter()
        .filter_map(|e| match e {
            Value::Mapping(m) => m.field("source").and_then(scalar_string),
            other => scalar_string(other),
        })
        .collect()
}

/// The named volume a service mount uses, if it is one: a long-syntax `type: volume` with a
/// `source`, or a short `name:/path` whose source is not a host path.
fn named_volume_source(mount: &Value) -> Option<String> {
    match mount {
        Value::Mapping(m) => {
            if m.field("type").and_then(Value::as_str) != Some("volume") {
                return None;
            }
            m.field("source")
                .and_then(scalar_string)
                .filter(|x| !x.is_empty())
        }
        Value::String(spec) => {
            let (source, _) = spec.split_once(':')?;
            let is_path = source.is_empty()
                || source.starts_with(['/', '.', '~', '\\'])
                || (source.len() == 1 && source.chars().all(|c| c.is_ascii_alphabetic()));
            (!is_path).then(|| source.to_string())
        }
        _ => None,
    }
}

/// [`normalize`] with the project directory (for the implicit build context) and the
/// deprecation warnings it finds (`external.name`, `scale`...).
pub fn normalize_in(
    doc: &mut Value,
    project_name: &str,
    project_dir: Option<&Path>,
) -> Result<Warnings, LoadError> {
    let default_context = project_dir
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_else(|| ".".to_string());
    normalize_with(doc, project_name, Some(&default_context))
}

/// The short syntax in its long form, without the defaults compose-go's `Normalize` adds
/// (`config --no-normalize`): no default network, no implicit `depends_on`, no build context
/// or dockerfile defaults, no resource names, `pull_policy` as written. compose-go converts the
/// syntax whatever the options (its `transform` step), so this is still what the typed model
/// reads.
pub fn normalize_syntax(doc: &mut Value, project_name: &str) -> Result<Warnings, LoadError> {
    normalize_with(doc, project_name, None)
}

/// `defaults`: `Some(default build context)` to add compose-go's defaults, `None` for the
/// syntax only.
fn normalize_with(
    doc: &mut Value,
    project_name: &str,
    defaults: Option<&str>,
) -> Result<Warnings, LoadError> {
    let mut warnings = Warnings::default();
    strip_tags(doc);
    if doc.is_null() {
        *doc = Value::Mapping(Mapping::new());
    }
    let Value::Mapping(root) = doc else {
        return Err(LoadError::new(
            ErrorKind::Schema,
            "top-level object must be a mapping",
        ));
    };
    root.shift_remove("version");
    root.shift_remove("include");

    let services_path = KeyPath::root().key("services");
    let mut uses_default_network = false;
    if let Some(Value::Mapping(services)) = root.field_mut("services") {
        for (name, svc) in services.iter_mut() {
            let name = scalar_string(name).unwrap_or_default();
            let path = services_path.key(&name);
            if svc.is_null() {
                *svc = Value::Mapping(Mapping::new());
            }
            let Value::Mapping(svc) = svc else {
                return Err(err(ErrorKind::Schema, path, "must be a mapping"));
            };
            normalize_service(svc, &path, defaults)?;
            if defaults.is_some() {
                uses_default_network |= attach_default_network(svc);
                inherit_pre_start(svc);
            }
        }
    } else if root.field("services").is_some_and(Value::is_null) {
        root.insert(s("services"), Value::Mapping(Mapping::new()));
    }

    // Top-level resources.
    if uses_default_network {
        let nets = root
            .entry(s("networks"))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if nets.is_null() {
            *nets = Value::Mapping(Mapping::new());
        }
        if let Value::Mapping(nets) = nets {
            if !nets.has_field("default") {
                nets.insert(s("default"), Value::Null);
            }
        }
    }
    for kind in ["networks", "volumes", "secrets", "configs"] {
        let kpath = KeyPath::root().key(kind);
        match root.get_mut(kind) {
            Some(Value::Mapping(defs)) => {
                for (key, def) in defs.iter_mut() {
                    let key = scalar_string(key).unwrap_or_default();
                    normalize_resource(
                        def,
                        kind,
                        &key,
                        defaults.map(|_| project_name),
                        &kpath.key(&key),
                        &mut warnings,
                    )?;
                }
            }
            Some(v) if v.is_null() => {
                root.shift_remove(kind);
            }
            _ => {}
        }
    }

    // `name` first, as docker compose prints it.
    root.shift_remove("name");
    let mut out = Mapping::with_capacity(root.len() + 1);
    out.insert(s("name"), s(project_name));
    for (k, v) in std::mem::take(root) {
        out.insert(k, v);
    }
    *root = out;
    Ok(warnings)
}

/// The service keys a `pre_start` hook does not take from its service: what only the service's
/// own containers have (compose-go copies everything else into the hook's job).
const PRE_START_OWN: [&str; 20] = [
    "attach",
    "build",
    "container_name",
    "depends_on",
    "deploy",
    "develop",
    "expose",
    "external_links",
    "healthcheck",
    "links",
    "ports",
    "post_start",
    "pre_start",
    "pre_stop",
    "profiles",
    "restart",
    "scale",
    "stdin_open",
    "tty",
    "volumes",
];

/// Makes each `pre_start` hook a job of its own, as compose-go does: the service's keys (but
/// [`PRE_START_OWN`] and `x-` extensions) under the hook's; `environment` merges, the hook's
/// variables winning.
fn inherit_pre_start(svc: &mut Mapping) {
    let inherited: Vec<(Value, Value)> = svc
        .iter()
        .filter(|(k, _)| {
            k.as_str()
                .is_some_and(|k| !k.starts_with("x-") && !PRE_START_OWN.contains(&k))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let Some(Value::Sequence(hooks)) = svc.field_mut("pre_start") else {
        return;
    };
    for hook in hooks.iter_mut() {
        let Value::Mapping(hook) = hook else {
            continue;
        };
        for (k, v) in &inherited {
            match (hook.get_mut(k), v) {
                (None, _) => {
                    hook.insert(k.clone(), v.clone());
                }
                (Some(Value::Mapping(own)), Value::Mapping(service_env))
                    if k.as_str() == Some("environment") =>
                {
                    let mut merged = service_env.clone();
                    for (ek, ev) in std::mem::take(own) {
                        merged.insert(ek, ev);
                    }
                    *own = merged;
                }
                _ => {}
            }
        }
    }
}

/// Adds `networks: {default: null}` to a service that declares none; says whether the service
/// is on the default network.
fn attach_default_network(svc: &mut Mapping) -> bool {
    if svc.has_field("provider") || svc.has_field("network_mode") {
        return false;
    }
    match svc.field_mut("networks") {
        Some(Value::Mapping(nets)) if !nets.is_empty() => nets.has_field("default"),
        _ => {
            let mut m = Mapping::new();
            m.insert(s("default"), Value::Null);
            svc.insert(s("networks"), Value::Mapping(m));
            true
        }
    }
}

/// `project`: the project name, to name the resource after when it has no `name` (compose-go's
/// default); `None` leaves the name as written.
fn normalize_resource(
    def: &mut Value,
    kind: &str,
    key: &str,
    project: Option<&str>,
    path: &KeyPath,
    warnings: &mut Warnings,
) -> Result<(), LoadError> {
    if def.is_null() {
        *def = Value::Mapping(Mapping::new());
    }
    let Value::Mapping(m) = def else {
        return Err(err(ErrorKind::Schema, path.clone(), "must be a mapping"));
    };
    // external: {name: x} (deprecated) -> name: x, external: true
    if let Some(ext) = m.field("external").cloned() {
        match ext {
            Value::Mapping(e) => {
                m.insert(s("external"), Value::Bool(true));
                if let Some(ext_name) = e.field("name") {
                    warnings.push(format!(
                        "{path}: external.name is deprecated. Please set name and external: true"
                    ));
                    match m.field("name") {
                        Some(name) if name != ext_name => {
                            return Err(err(
                                ErrorKind::Semantic,
                                path.clone(),
                                "name and external.name conflict; only use name",
                            )
                            .hint(format!("remove {kind}.{key}.external.name")));
                        }
                        Some(_) => {}
                        None => {
                            m.insert(s("name"), ext_name.clone());
                        }
                    }
                }
            }
            Value::String(x) => {
                m.insert(s("external"), Value::Bool(x.eq_ignore_ascii_case("true")));
            }
            _ => {}
        }
    }
    let unnamed = !m.has_field("name") || m.field("name").is_some_and(Value::is_null);
    if let (true, Some(project)) = (unnamed, project) {
        let name = if m.field("external").is_some_and(is_true) {
            key.to_string()
        } else {
            format!("{project}_{key}")
        };
        m.insert(s("name"), s(&name));
    }
    if let Some(labels) = m.field_mut("labels") {
        list_to_map(labels);
        stringify_values(labels);
    }
    if let Some(opts) = m.field_mut("driver_opts") {
        stringify_values(opts);
    }
    Ok(())
}

/// Converts `["K=V", "K2"]` to `{K: V, K2: ""}` (labels, sysctls); leaves mappings alone.
fn list_to_map(v: &mut Value) {
    if let Value::Sequence(seq) = v {
        let mut m = Mapping::new();
        for e in seq.iter() {
            let Some(entry) = scalar_string(e) else {
                continue;
            };
            match entry.split_once('=') {
                Some((k, val)) => m.insert(s(k), s(val)),
                None => m.insert(s(&entry), s("")),
            };
        }
        *v = Value::Mapping(m);
    }
}

/// Like [`list_to_map`] but a bare `KEY` maps to null (environment, build args).
fn list_to_map_nullable(v: &mut Value) {
    if let Value::Sequence(seq) = v {
        let mut m = Mapping::new();
        for e in seq.iter() {
            let Some(entry) = scalar_string(e) else {
                continue;
            };
            match entry.split_once('=') {
                Some((k, val)) => m.insert(s(k), s(val)),
                None => m.insert(s(&entry), Value::Null),
            };
        }
        *v = Value::Mapping(m);
    }
}

/// Mapping values become strings (null stays null unless `null_as_empty`).
fn stringify_values_opt(v: &mut Value, null_as_empty: bool) {
    if let Value::Mapping(m) = v {
        for (_, val) in m.iter_mut() {
            match val {
                Value::Null if null_as_empty => *val = s(""),
                Value::Null => {}
                other => {
                    if let Some(x) = scalar_string(other) {
                        *other = Value::String(x);
                    }
                }
            }
        }
    }
}

fn stringify_values(v: &mut Value) {
    stringify_values_opt(v, false)
}

fn string_or_list(v: &mut Value) {
    if let Value::String(x) = v {
        *v = Value::Sequence(vec![s(x)]);
    }
}

fn split_command(v: &mut Value, path: &KeyPath) -> Result<(), LoadError> {
    match v {
        Value::String(x) => {
            let words = crate::model::shellwords::split(x).map_err(|_| {
                err(
                    ErrorKind::Schema,
                    path.clone(),
                    format!("invalid command line string: {x:?} (unmatched quote?)"),
                )
            })?;
            *v = Value::Sequence(words.into_iter().map(Value::String).collect());
        }
        Value::Sequence(seq) => {
            for e in seq.iter_mut() {
                if let Some(x) = scalar_string(e) {
                    *e = Value::String(x);
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn file_mounts(v: &mut Value) {
    if let Value::Sequence(seq) = v {
        for e in seq.iter_mut() {
            if let Value::String(x) = e {
                let mut m = Mapping::new();
                m.insert(s("source"), s(x));
                *e = Value::Mapping(m);
            }
        }
    }
}

/// A service secret with no `target` is mounted at `/run/secrets/<source>` (compose-go's
/// `defaultSecretMount`, applied to the short and the long syntax alike; configs get no default).
fn default_secret_targets(v: &mut Value) {
    if let Value::Sequence(seq) = v {
        for e in seq.iter_mut() {
            if let Value::Mapping(m) = e {
                if m.has_field("target") {
                    continue;
                }
                if let Some(source) = m.field("source").and_then(scalar_string) {
                    m.insert(s("target"), s(&format!("/run/secrets/{source}")));
                }
            }
        }
    }
}

fn extra_hosts(v: &mut Value, path: &KeyPath) -> Result<(), LoadError> {
    let mut entries: Vec<(String, String)> = Vec::new();
    match v {
        Value::Mapping(m) => {
            for (host, ips) in m.iter() {
                let host = scalar_string(host).unwrap_or_default();
                match ips {
                    Value::Sequence(seq) => {
                        for ip in seq {
                            entries.push((host.clone(), scalar_string(ip).unwrap_or_default()));
                        }
                    }
                    other => entries.push((host, scalar_string(other).unwrap_or_default())),
                }
            }
        }
        Value::Sequence(seq) => {
            for e in seq.iter() {
                let Some(e) = scalar_string(e) else { continue };
                let Some((host, ips)) = e.split_once('=').or_else(|| e.split_once(':')) else {
                    // Uninterpolated variables (`--no-interpolate`): keep the list as written.
                    if e.contains('$') {
                        return Ok(());
                    }
                    return Err(err(
                        ErrorKind::Schema,
                        path.clone(),
                        format!("invalid additional host, missing IP: {e}"),
                    )
                    .hint("use HOST=IP, e.g. \"somehost=162.242.195.82\""));
                };
                for ip in ips.split(',') {
                    entries.push((host.to_string(), ip.to_string()));
                }
            }
        }
        _ => return Ok(()),
    }
    let mut list: Vec<String> = entries
        .into_iter()
        .map(|(h, ip)| {
            let ip = if ip.starts_with('[') && ip.ends_with(']') && ip.len() >= 2 {
                ip[1..ip.len() - 1].to_string()
            } else {
                ip
            };
            format!("{h}={ip}")
        })
        .collect();
    list.sort();
    list.dedup();
    *v = Value::Sequence(list.into_iter().map(Value::String).collect());
    Ok(())
}

/// `default_context`: the build context to add when there is none, and the default dockerfile
/// with it; `None` adds neither.
fn normalize_build(
    build: &mut Value,
    path: &KeyPath,
    default_context: Option<&str>,
) -> Result<(), LoadError> {
    if let Value::String(ctx) = build {
        let mut m = Mapping::new();
        m.insert(s("context"), s(ctx));
        *build = Value::Mapping(m);
    }
    let Value::Mapping(b) = build else {
        return Ok(());
    };
    if let Some(default_context) = default_context {
        if !b.has_field("context") {
            b.insert(s("context"), s(default_context));
        }
        if !b.has_field("dockerfile") && !b.has_field("dockerfile_inline") {
            b.insert(s("dockerfile"), s("Dockerfile"));
        }
    }
    if let Some(args) = b.field_mut("args") {
        list_to_map_nullable(args);
        stringify_values(args);
    }
    if let Some(labels) = b.field_mut("labels") {
        list_to_map(labels);
        stringify_values_opt(labels, true);
    }
    if let Some(ac) = b.field_mut("additional_contexts") {
        list_to_map(ac);
    }
    if let Some(ssh) = b.field_mut("ssh") {
        match ssh {
            Value::Mapping(m) => {
                let list = m
                    .iter()
                    .map(|(k, v)| {
                        let k = scalar_string(k).unwrap_or_default();
                        match scalar_string(v) {
                            Some(p) if !p.is_empty() => s(&format!("{k}={p}")),
                            _ => s(&k),
                        }
                    })
                    .collect();
                *ssh = Value::Sequence(list);
            }
            Value::String(x) => *ssh = Value::Sequence(vec![s(x)]),
            _ => {}
        }
    }
    if let Some(eh) = b.field_mut("extra_hosts") {
        extra_hosts(eh, &path.key("extra_hosts"))?;
    }
    if let Some(secrets) = b.field_mut("secrets") {
        file_mounts(secrets);
    }
    Ok(())
}

fn normalize_ports(ports: &mut Value, path: &KeyPath) -> Result<(), LoadError> {
    let Value::Sequence(entries) = ports else {
        return Ok(());
    };
    let mut out = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        match e {
            Value::Number(n) => {
                let mut m = Mapping::new();
                m.insert(s("mode"), s("ingress"));
                m.insert(s("target"), Value::Number(n.clone()));
                m.insert(s("protocol"), s("tcp"));
                out.push(Value::Mapping(m));
            }
            Value::String(raw) => match parse_short_port(raw) {
                Ok(list) => out.extend(list.into_iter().map(Value::Mapping)),
                // Uninterpolated variables (`--no-interpolate`): keep the list as written.
                Err(_) if raw.contains('$') => return Ok(()),
                Err(msg) => {
                    return Err(err(ErrorKind::Schema, path.index(i), msg).hint(
                        "use [[IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL], e.g. \"127.0.0.1:8080:80/tcp\"",
                    ))
                }
            },
            Value::Mapping(m) => {
                let mut m = m.clone();
                if let Some(t) = m.field_mut("target") {
                    if let Some(n) = scalar_string(t).and_then(|x| x.parse::<u64>().ok()) {
                        *t = Value::Number(n.into());
                    }
                }
                if let Some(p) = m.field_mut("published") {
                    if let Some(x) = scalar_string(p) {
                        *p = Value::String(x);
                    }
                }
                if !m.has_field("mode") {
                    m.insert(s("mode"), s("ingress"));
                }
                if !m.has_field("protocol") {
                    m.insert(s("protocol"), s("tcp"));
                }
                out.push(Value::Mapping(m));
            }
            other => out.push(other.clone()),
        }
    }
    *entries = out;
    Ok(())
}

fn normalize_volumes(vols: &mut Value, path: &KeyPath) -> Result<(), LoadError> {
    let Value::Sequence(entries) = vols else {
        return Ok(());
    };
    for (i, e) in entries.iter_mut().enumerate() {
        match e {
            Value::String(spec) => {
                let m = parse_short_volume(spec).map_err(|msg| {
                    err(ErrorKind::Schema, path.index(i), msg)
                        .hint("use [SOURCE:]TARGET[:MODE], e.g. \"./data:/data:ro\"")
                })?;
                *e = Value::Mapping(m);
            }
            Value::Mapping(m) => {
                if let Some(Value::String(t)) = m.field_mut("target") {
                    *t = clean_target(t);
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn normalize_depends_on(dep: &mut Value) {
    match dep {
        Value::Sequence(seq) => {
            let mut m = Mapping::new();
            for e in seq.iter() {
                if let Some(name) = scalar_string(e) {
                    m.insert(s(&name), dependency("service_started", None));
                }
            }
            *dep = Value::Mapping(m);
        }
        Value::Mapping(m) => {
            for (_, d) in m.iter_mut() {
                if d.is_null() {
                    *d = Value::Mapping(Mapping::new());
                }
                if let Value::Mapping(d) = d {
                    if !d.has_field("condition") {
                        d.insert(s("condition"), s("service_started"));
                    }
                    if !d.has_field("required") {
                        d.insert(s("required"), Value::Bool(true));
                    }
                }
            }
        }
        _ => {}
    }
}

fn dependency(condition: &str, restart: Option<bool>) -> Value {
    let mut m = Mapping::new();
    m.insert(s("condition"), s(condition));
    if let Some(true) = restart {
        m.insert(s("restart"), Value::Bool(true));
    }
    m.insert(s("required"), Value::Bool(true));
    Value::Mapping(m)
}

/// depends_on entries implied by links, `service:` namespaces and volumes_from.
fn implicit_dependencies(svc: &Mapping) -> Vec<(String, bool)> {
    let mut deps = Vec::new();
    if let Some(Value::Sequence(links)) = svc.field("links") {
        for l in links {
            if let Some(l) = scalar_string(l) {
                let name = l.split(':').next().unwrap_or("").to_string();
                deps.push((name, true));
            }
        }
    }
    for ns in ["network_mode", "ipc", "pid", "uts", "cgroup"] {
        if let Some(name) = get_str(svc, ns).and_then(|v| v.strip_prefix("service:")) {
            deps.push((name.to_string(), true));
        }
    }
    if let Some(Value::Sequence(vf)) = svc.field("volumes_from") {
        for v in vf {
            if let Some(v) = scalar_string(v) {
                if !v.starts_with("container:") {
                    deps.push((v.split(':').next().unwrap_or("").to_string(), false));
                }
            }
        }
    }
    deps.retain(|(n, _)| !n.is_empty());
    deps
}

fn normalize_devices(devs: &mut Value, path: &KeyPath) -> Result<(), LoadError> {
    let Value::Sequence(seq) = devs else {
        return Ok(());
    };
    for (i, e) in seq.iter_mut().enumerate() {
        if let Value::String(x) = e {
            let parts: Vec<&str> = x.split(':').collect();
            let (src, dst, perm) = match parts.as_slice() {
                [a] => (*a, *a, "rwm"),
                [a, b] => (*a, *b, "rwm"),
                [a, b, c] => (*a, *b, *c),
                _ => {
                    return Err(err(
                        ErrorKind::Schema,
                        path.index(i),
                        format!("confusing device mapping, please use long syntax: {x}"),
                    ))
                }
            };
            let dst = if dst.is_empty() { src } else { dst };
            let mut m = Mapping::new();
            m.insert(s("source"), s(src));
            m.insert(s("target"), s(dst));
            m.insert(s("permissions"), s(perm));
            *e = Value::Mapping(m);
        }
    }
    Ok(())
}

fn normalize_watch(watch: &mut Value) {
    let Value::Sequence(seq) = watch else { return };
    let mut out = Vec::with_capacity(seq.len());
    for mut w in seq.drain(..) {
        // The legacy extension `x-initialSync` is compose-go's `initial_sync`.
        if let Value::Mapping(m) = &mut w {
            if let Some(v) = m.shift_remove("x-initialSync") {
                if !m.has_field("initial_sync") {
                    m.insert(s("initial_sync"), v);
                }
            }
        }
        match &w {
            Value::Mapping(m) => match m.field("path") {
                Some(Value::Sequence(paths)) => {
                    for p in paths {
                        let mut one = m.clone();
                        one.insert(s("path"), p.clone());
                        out.push(Value::Mapping(one));
                    }
                }
                _ => out.push(w),
            },
            _ => out.push(w),
        }
    }
    *seq = out;
}

fn normalize_hooks(hooks: &mut Value, path: &KeyPath) -> Result<(), LoadError> {
    if let Value::Sequence(seq) = hooks {
        for (i, h) in seq.iter_mut().enumerate() {
            if let Value::Mapping(h) = h {
                if let Some(cmd) = h.field_mut("command") {
                    split_command(cmd, &path.index(i).key("command"))?;
                }
                if let Some(env) = h.field_mut("environment") {
                    list_to_map_nullable(env);
                    stringify_values(env);
                }
            }
        }
    }
    Ok(())
}

/// One service in its long form; `defaults` as in [`normalize_with`].
fn normalize_service(
    svc: &mut Mapping,
    path: &KeyPath,
    defaults: Option<&str>,
) -> Result<(), LoadError> {
    if let Some(b) = svc.field_mut("build") {
        normalize_build(b, &path.key("build"), defaults)?;
    }
    for key in ["command", "entrypoint"] {
        if let Some(c) = svc.field_mut(key) {
            split_command(c, &path.key(key))?;
        }
    }
    if let Some(d) = svc.field_mut("depends_on") {
        normalize_depends_on(d);
    }
    add_implicit_dependencies(svc, defaults);
    normalize_lists_and_maps(svc);
    if let Some(p) = svc.field_mut("ports") {
        normalize_ports(p, &path.key("ports"))?;
    }
    if let Some(v) = svc.field_mut("volumes") {
        normalize_volumes(v, &path.key("volumes"))?;
    }
    normalize_service_networks(svc);
    for key in ["secrets", "configs"] {
        if let Some(v) = svc.field_mut(key) {
            file_mounts(v);
        }
    }
    if let Some(v) = svc.field_mut("secrets") {
        default_secret_targets(v);
    }
    if let Some(Value::Mapping(hc)) = svc.field_mut("healthcheck") {
        if let Some(Value::String(t)) = hc.field("test") {
            let t = t.clone();
            hc.insert(s("test"), Value::Sequence(vec![s("CMD-SHELL"), s(&t)]));
        }
    }
    if let Some(eh) = svc.field_mut("extra_hosts") {
        extra_hosts(eh, &path.key("extra_hosts"))?;
    }
    if let Some(d) = svc.field_mut("devices") {
        normalize_devices(d, &path.key("devices"))?;
    }
    normalize_runtime_settings(svc, defaults);
    for key in ["post_start", "pre_stop"] {
        if let Some(h) = svc.field_mut(key) {
            normalize_hooks(h, &path.key(key))?;
        }
    }
    Ok(())
}

/// The dependencies a service implies (`links`, `volumes_from`, `network_mode: service:x`...)
/// join `depends_on` as `service_started` (only with compose-go's defaults).
fn add_implicit_dependencies(svc: &mut Mapping, defaults: Option<&str>) {
    let implicit = if defaults.is_some() {
        implicit_dependencies(svc)
    } else {
        Vec::new()
    };
    if !implicit.is_empty() {
        let dep = svc
            .entry(s("depends_on"))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if let Value::Mapping(dep) = dep {
            for (name, restart) in implicit {
                if !dep.has_field(&name) {
                    dep.insert(s(&name), dependency("service_started", Some(restart)));
                }
            }
        }
    }
}

/// `env_file` entries as `{path, required}`, and the keys that take a list or a mapping
/// (`environment`, `labels`, `sysctls`, `expose`...) in their canonical shape.
fn normalize_lists_and_maps(svc: &mut Mapping) {
    if let Some(ef) = svc.field_mut("env_file") {
        string_or_list(ef);
        if let Value::Sequence(seq) = ef {
            for e in seq.iter_mut() {
                match e {
                    Value::String(p) => {
                        let mut m = Mapping::new();
                        m.insert(s("path"), s(p));
                        *e = Value::Mapping(m);
                    }
                    Value::Mapping(m) => {
                        // `required: true` is the default and compose omits it.
                        if m.field("required").is_some_and(is_true) {
                            m.shift_remove("required");
                        } else if let Some(r) = m.field_mut("required") {
                            *r = Value::Bool(false);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    for key in ["label_file", "dns", "dns_search", "tmpfs"] {
        if let Some(v) = svc.field_mut(key) {
            string_or_list(v);
        }
    }
    // compose-go drops empty DNS servers (`dns: ${UNSET}`).
    if let Some(Value::Sequence(dns)) = svc.field_mut("dns") {
        dns.retain(|d| d.as_str() != Some(""));
        if dns.is_empty() {
            svc.shift_remove("dns");
        }
    }
    if let Some(env) = svc.field_mut("environment") {
        list_to_map_nullable(env);
        stringify_values(env);
    }
    for key in ["labels", "annotations"] {
        if let Some(v) = svc.field_mut(key) {
            list_to_map(v);
            stringify_values_opt(v, true);
        }
    }
    if let Some(v) = svc.field_mut("sysctls") {
        list_to_map(v);
        stringify_values_opt(v, true);
    }
    for key in ["expose", "group_add"] {
        if let Some(Value::Sequence(seq)) = svc.field_mut(key) {
            for e in seq.iter_mut() {
                if let Some(x) = scalar_string(e) {
                    *e = Value::String(x);
                }
            }
        }
    }
}

/// `networks` and `models` given as lists become mappings (a null `networks` is dropped).
fn normalize_service_networks(svc: &mut Mapping) {
    if let Some(n) = svc.field_mut("networks") {
        match n {
            Value::Sequence(seq) => {
                let mut m = Mapping::new();
                for e in seq.iter() {
                    if let Some(name) = scalar_string(e) {
                        m.insert(s(&name), Value::Null);
                    }
                }
                *n = Value::Mapping(m);
            }
            Value::Null => {
                svc.shift_remove("networks");
            }
            _ => {}
        }
    }
    if let Some(Value::Sequence(models)) = svc.field("models") {
        let mut m = Mapping::new();
        for e in models {
            if let Some(name) = scalar_string(e) {
                m.insert(s(&name), Value::Null);
            }
        }
        svc.insert(s("models"), Value::Mapping(m));
    }
}

/// A device request with neither `count` nor `device_ids` asks for all devices (`count: -1`),
/// as compose-go makes it.
fn all_devices_by_default(requests: &mut Value) {
    if let Value::Sequence(list) = requests {
        for r in list.iter_mut() {
            if let Value::Mapping(m) = r {
                if !m.has_field("count") && !m.has_field("device_ids") {
                    m.insert(s("count"), Value::Number((-1).into()));
                }
            }
        }
    }
}

/// `gpus`, `pull_policy`, `logging.options`, `deploy.labels` and `develop.watch`.
fn normalize_runtime_settings(svc: &mut Mapping, defaults: Option<&str>) {
    if let Some(g) = svc.field_mut("gpus") {
        if let Value::String(_) = g {
            let mut m = Mapping::new();
            m.insert(s("count"), s("all"));
            *g = Value::Sequence(vec![Value::Mapping(m)]);
        }
        all_devices_by_default(g);
    }
    if let Some(Value::Mapping(deploy)) = svc.field_mut("deploy") {
        if let Some(Value::Mapping(res)) = deploy.field_mut("resources") {
            if let Some(Value::Mapping(r)) = res.field_mut("reservations") {
                if let Some(d) = r.field_mut("devices") {
                    all_devices_by_default(d);
                }
            }
        }
    }
    if defaults.is_some() && get_str(svc, "pull_policy") == Some("if_not_present") {
        svc.insert(s("pull_policy"), s("missing"));
    }
    if let Some(Value::Mapping(logging)) = svc.field_mut("logging") {
        if let Some(opts) = logging.field_mut("options") {
            stringify_values(opts);
        }
    }
    if let Some(Value::Mapping(deploy)) = svc.field_mut("deploy") {
        if let Some(labels) = deploy.field_mut("labels") {
            list_to_map(labels);
            stringify_values_opt(labels, true);
        }
    }
    if let Some(Value::Mapping(develop)) = svc.field_mut("develop") {
        if let Some(w) = develop.field_mut("watch") {
            normalize_watch(w);
        }
    }
}

/// One `run -p` value in the short port syntax (`[[IP:]HOST:]CONTAINER[/PROTO]`), as the long
/// form entries of a compose file's `ports:` (one per container port of a range).
pub fn short_port(raw: &str) -> Result<Vec<Value>, String> {
    parse_short_port(raw.trim()).map(|v| v.into_iter().map(Value::Mapping).collect())
}

/// One `run -v` value in the short volume syntax (`[SOURCE:]TARGET[:MODE]`), as the long form
/// entry of a compose file's `volumes:`.
pub fn short_volume(raw: &str) -> Result<Value, String> {
    parse_short_volume(raw.trim()).map(Value::Mapping)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(text: &str) -> Value {
        serde_yaml::from_str(text).expect("test yaml")
    }

    fn norm(text: &str) -> Value {
        let mut doc = y(text);
        normalize(&mut doc, "proj").expect("normalize");
        doc
    }

    fn service<'a>(doc: &'a Value, name: &str) -> &'a Value {
        &doc["services"][name]
    }

    #[test]
    fn clean_join_resolves_dot_segments() {
        assert_eq!(clean_join(Path::new("/a/b"), "./c/../d"), "/a/b/d");
        assert_eq!(clean_join(Path::new("/a"), "/abs/p"), "/abs/p");
    }

    #[test]
    fn empty_mount_target_stays_empty() {
        assert_eq!(clean_target(""), "");
        assert_eq!(clean_target("/data/"), "/data");
    }

    #[test]
    fn short_port_forms_expand_like_compose() {
        let p = parse_short_port("127.0.0.1:5000-5001:6000-6001/udp").expect("parse");
        assert_eq!(p.len(), 2);
        assert_eq!(
            Value::Mapping(p[1].clone()),
            y("{mode: ingress, host_ip: 127.0.0.1, target: 6001, published: '5001', protocol: udp}")
        );
        let p = parse_short_port("8080-8090:80").expect("parse");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].field("published"), Some(&s("8080-8090")));
        let p = parse_short_port("[::1]:8080:80").expect("parse");
        assert_eq!(p[0].field("host_ip"), Some(&s("::1")));
        let p = parse_short_port("127.0.0.1::80").expect("parse");
        assert!(p[0].field("published").is_none());
        assert!(parse_short_port("1-3:4-5").is_err());
        assert!(parse_short_port("80/xyz").is_err());
        assert!(parse_short_port("abc").is_err());
        assert!(parse_short_port("").is_err());
    }

    #[test]
    fn short_volume_forms() {
        let v = parse_short_volume("./data:/data:ro,z").expect("parse");
        assert_eq!(
            Value::Mapping(v),
            y("{type: bind, source: ./data, target: /data, read_only: true, bind: {create_host_path: true, selinux: z}}")
        );
        let v = parse_short_volume("db:/var/lib/db:nocopy").expect("parse");
        assert_eq!(
            Value::Mapping(v),
            y("{type: volume, source: db, target: /var/lib/db, volume: {nocopy: true}}")
        );
        let v = parse_short_volume("/anon/").expect("parse");
        assert_eq!(
            Value::Mapping(v),
            y("{type: volume, target: /anon, volume: {}}")
        );
        let v = parse_short_volume("C:\\data:/data").expect("parse");
        assert_eq!(v.field("type"), Some(&s("bind")));
        assert_eq!(v.field("source"), Some(&s("C:\\data")));
        let v = parse_short_volume("${DATA:-x}:/data").expect("parse");
        assert_eq!(v.field("source"), Some(&s("${DATA:-x}")));
        assert!(parse_short_volume("ab::c").is_err());
        assert!(parse_short_volume("ab:cd:ef:gh").is_err());
    }

    #[test]
    fn resolve_paths_makes_host_paths_absolute() {
        let mut doc = y(r#"
services:
  web:
    build: ./app
    env_file: [.env, {path: ./other.env, required: false}]
    label_file: ./labels
    volumes:
      - ./data:/data:ro
      - ~/cfg:/cfg
      - named:/named
      - type: bind
        source: ../shared
        target: /shared
    extends: {file: ../base.yml, service: base}
  ctx:
    build:
      context: https://github.com/x/y.git
      additional_contexts: {a: ./a, b: "docker-image://alpine"}
secrets: {s: {file: ./secret.txt}}
configs: {c: {file: /abs/c}}
volumes:
  v: {driver: local, driver_opts: {o: bind, type: none, device: ./dev}}
  w: {driver: local, driver_opts: {o: bind, type: none, device: ""}}
include: [./inc.yaml, {path: [a.yml], project_directory: ., env_file: x.env}]
"#);
        resolve_paths_with_home(&mut doc, Path::new("/proj"), Some(Path::new("/home/u")));
        let web = service(&doc, "web");
        assert_eq!(web["build"], s("/proj/app"));
        assert_eq!(web["env_file"][0], s("/proj/.env"));
        assert_eq!(web["env_file"][1]["path"], s("/proj/other.env"));
        assert_eq!(web["label_file"], s("/proj/labels"));
        assert_eq!(web["volumes"][0], s("/proj/data:/data:ro"));
        assert_eq!(web["volumes"][1], s("/home/u/cfg:/cfg"));
        assert_eq!(web["volumes"][2], s("named:/named"));
        assert_eq!(web["volumes"][3]["source"], s("/shared"));
        assert_eq!(web["extends"]["file"], s("/base.yml"));
        let ctx = service(&doc, "ctx");
        assert_eq!(ctx["build"]["context"], s("https://github.com/x/y.git"));
        assert_eq!(ctx["build"]["additional_contexts"]["a"], s("/proj/a"));
        assert_eq!(
            ctx["build"]["additional_contexts"]["b"],
            s("docker-image://alpine")
        );
        assert_eq!(doc["secrets"]["s"]["file"], s("/proj/secret.txt"));
        assert_eq!(doc["configs"]["c"]["file"], s("/abs/c"));
        assert_eq!(doc["volumes"]["v"]["driver_opts"]["device"], s("/proj/dev"));
        assert_eq!(doc["volumes"]["w"]["driver_opts"]["device"], s("/proj"));
        assert_eq!(doc["include"][0], s("/proj/inc.yaml"));
        assert_eq!(doc["include"][1]["path"][0], s("/proj/a.yml"));
        assert_eq!(doc["include"][1]["project_directory"], s("/proj"));
        assert_eq!(doc["include"][1]["env_file"], s("/proj/x.env"));
    }

    #[test]
    fn resolve_paths_sees_through_reset_tags() {
        let mut doc: Value =
            serde_yaml::from_str("services:\n  a:\n    volumes: !override\n      - ./x:/x\n")
                .expect("yaml");
        resolve_paths_with_home(&mut doc, Path::new("/p"), None);
        let vols = untag(&doc["services"]["a"]["volumes"]);
        assert_eq!(vols[0], s("/p/x:/x"));
    }

    #[test]
    fn default_network_and_names() {
        let doc = norm("services:\n  a: {image: x}\n  b: {image: y, network_mode: host}\n");
        assert_eq!(doc["name"], s("proj"));
        assert_eq!(service(&doc, "a")["networks"], y("{default: null}"));
        assert!(service(&doc, "b").get("networks").is_none());
        assert_eq!(doc["networks"], y("{default: {name: proj_default}}"));
    }

    #[test]
    fn no_default_network_when_unused() {
        let doc = norm("services:\n  a: {image: x, networks: [front]}\nnetworks:\n  front:\n");
        assert_eq!(doc["networks"], y("{front: {name: proj_front}}"));
        assert_eq!(service(&doc, "a")["networks"], y("{front: null}"));
    }

    #[test]
    fn external_resources_keep_their_name() {
        let doc = norm(
            "services: {}\nvolumes:\n  e: {external: true}\n  old: {external: {name: real}}\n  n: {name: custom}\nsecrets:\n  s: {file: /x}\n",
        );
        assert_eq!(doc["volumes"]["e"], y("{external: true, name: e}"));
        assert_eq!(doc["volumes"]["old"], y("{external: true, name: real}"));
        assert_eq!(doc["volumes"]["n"], y("{name: custom}"));
        assert_eq!(doc["secrets"]["s"], y("{file: /x, name: proj_s}"));
    }

    #[test]
    fn external_name_conflict_is_an_error() {
        let mut doc = y("volumes:\n  v: {name: a, external: {name: b}}\n");
        let e = normalize(&mut doc, "p").expect_err("conflict");
        assert_eq!(e.message, "name and external.name conflict; only use name");
        assert_eq!(e.path, Some(KeyPath::parse("volumes.v")));
    }

    #[test]
    fn depends_on_short_and_implicit() {
        let doc = norm(
            "services:\n  a:\n    image: x\n    depends_on: [b]\n    links: ['c:alias']\n    volumes_from: [d, 'container:zz']\n    network_mode: service:e\n  f:\n    image: x\n    depends_on: {b: {condition: service_healthy}}\n",
        );
        assert_eq!(
            service(&doc, "a")["depends_on"],
            y("{b: {condition: service_started, required: true}, c: {condition: service_started, restart: true, required: true}, d: {condition: service_started, required: true}, e: {condition: service_started, restart: true, required: true}}")
        );
        assert_eq!(
            service(&doc, "f")["depends_on"],
            y("{b: {condition: service_healthy, required: true}}")
        );
    }

    #[test]
    fn command_strings_split_like_a_shell() {
        let doc = norm("services:\n  a:\n    image: x\n    command: bundle exec 'thin -p' \"3000\"\n    entrypoint: [\"/e.sh\", 3]\n");
        assert_eq!(
            service(&doc, "a")["command"],
            y("[bundle, exec, 'thin -p', '3000']")
        );
        assert_eq!(service(&doc, "a")["entrypoint"], y("['/e.sh', '3']"));
        let mut bad = y("services:\n  a:\n    command: echo 'oops\n");
        assert!(normalize(&mut bad, "p").is_err());
    }

    #[test]
    fn lists_become_maps() {
        let doc = norm(
            "services:\n  a:\n    image: x\n    environment: [A=1, B]\n    labels: [l=v, bare]\n    sysctls: {net.core.somaxconn: 1024}\n    annotations: {n: 7}\n    expose: [3000, '8000']\n",
        );
        let a = service(&doc, "a");
        assert_eq!(a["environment"], y("{A: '1', B: null}"));
        assert_eq!(a["labels"], y("{l: v, bare: ''}"));
        assert_eq!(a["sysctls"], y("{net.core.somaxconn: '1024'}"));
        assert_eq!(a["annotations"], y("{n: '7'}"));
        assert_eq!(a["expose"], y("['3000', '8000']"));
    }

    #[test]
    fn build_defaults() {
        let mut doc = y("services:\n  a: {build: /ctx}\n  b: {build: {dockerfile_inline: FROM x}}\n  c: {build: {args: [A=1, B]}}\n");
        normalize_in(&mut doc, "p", Some(Path::new("/proj"))).expect("normalize");
        assert_eq!(
            service(&doc, "a")["build"],
            y("{context: /ctx, dockerfile: Dockerfile}")
        );
        assert_eq!(
            service(&doc, "b")["build"],
            y("{context: /proj, dockerfile_inline: FROM x}")
        );
        assert_eq!(service(&doc, "c")["build"]["args"], y("{A: '1', B: null}"));
    }

    #[test]
    fn bare_build_args_take_the_environment_or_go() {
        let mut doc = norm(
            "services:\n  a:\n    build:\n      context: .\n      args: [A=1, FROM_ENV, NOT_SET, EMPTY]\n",
        );
        let lookup = |k: &str| match k {
            "FROM_ENV" => Some("shell".to_string()),
            "EMPTY" => Some(String::new()),
            "A" => Some("ignored".to_string()),
            _ => None,
        };
        resolve_build_args(&mut doc, &lookup);
        assert_eq!(
            service(&doc, "a")["build"]["args"],
            y("{A: '1', FROM_ENV: shell, EMPTY: ''}")
        );
    }

    #[test]
    fn unused_resources_are_dropped() {
        let mut doc = norm(
            "services:\n  a:\n    image: x\n    networks: [front]\n    volumes: [data:/d, ./h:/h, /anon]\n    secrets: [s1]\n    build: {context: ., secrets: [{source: s2}]}\n    configs: [{source: c1}]\nnetworks: {front: {}, back: {}}\nvolumes: {data: {}, spare: {}}\nsecrets: {s1: {file: /a}, s2: {file: /b}, s3: {file: /c}}\nconfigs: {c1: {file: /a}, c2: {file: /b}}\n",
        );
        drop_unused_resources(&mut doc);
        let keys = |k: &str| -> Vec<String> {
            doc[k]
                .as_mapping()
                .map(|m| m.keys().filter_map(scalar_string).collect())
                .unwrap_or_default()
        };
        assert_eq!(keys("networks"), ["front"]);
        assert_eq!(keys("volumes"), ["data"]);
        assert_eq!(keys("secrets"), ["s1", "s2"]);
        assert_eq!(keys("configs"), ["c1"]);

        // Nothing used at all: the sections go, the default network with them.
        let mut doc = norm("services:\n  a: {image: x, network_mode: host}\nvolumes: {v: {}}\n");
        drop_unused_resources(&mut doc);
        assert!(
            doc.get("volumes").is_none() && doc.get("networks").is_none(),
            "{doc:?}"
        );

        // The short syntax of an un-normalised tree counts too.
        let mut doc = y("services:\n  a: {image: x, networks: [n], volumes: ['vol:/v', 'C:/x']}\nnetworks: {n: {}, m: {}}\nvolumes: {vol: {}, C: {}}\n");
        drop_unused_resources(&mut doc);
        assert_eq!(doc["networks"], y("{n: {}}"));
        assert_eq!(doc["volumes"], y("{vol: {}}"));
    }

    #[test]
    fn healthcheck_secrets_hosts_devices() {
        let doc = norm(
            "services:\n  a:\n    image: x\n    healthcheck: {test: curl -f localhost}\n    secrets: [s, {source: t, target: /t}]\n    extra_hosts: ['b:1.2.3.4', 'a=::1', 'c:[::2]']\n    devices: ['/dev/x', '/dev/y:/dev/z']\n",
        );
        let a = service(&doc, "a");
        assert_eq!(
            a["healthcheck"]["test"],
            y("[CMD-SHELL, curl -f localhost]")
        );
        assert_eq!(
            a["secrets"],
            y("[{source: s, target: /run/secrets/s}, {source: t, target: /t}]")
        );
        assert_eq!(a["extra_hosts"], y("['a=::1', 'b=1.2.3.4', 'c=::2']"));
        assert_eq!(
            a["devices"],
            y("[{source: /dev/x, target: /dev/x, permissions: rwm}, {source: /dev/y, target: /dev/z, permissions: rwm}]")
        );
    }

    #[test]
    fn ports_long_form_defaults_and_types() {
        let doc = norm("services:\n  a:\n    image: x\n    ports:\n      - 80\n      - {target: '81', published: 8081}\n");
        assert_eq!(
            service(&doc, "a")["ports"],
            y("[{mode: ingress, target: 80, protocol: tcp}, {target: 81, published: '8081', mode: ingress, protocol: tcp}]")
        );
    }

    #[test]
    fn uninterpolated_ports_are_left_as_written() {
        let doc = norm("services:\n  a:\n    image: x\n    ports: ['${PORT:-8080}:80']\n");
        assert_eq!(service(&doc, "a")["ports"], y("['${PORT:-8080}:80']"));
    }

    #[test]
    fn env_file_long_form() {
        let doc = norm("services:\n  a:\n    image: x\n    env_file: [/a.env, {path: /b.env, required: false}, {path: /c.env, required: true}]\n");
        assert_eq!(
            service(&doc, "a")["env_file"],
            y("[{path: /a.env}, {path: /b.env, required: false}, {path: /c.env}]")
        );
    }

    #[test]
    fn broken_input_never_panics() {
        for text in [
            "services: 3",
            "services: {a: 3}",
            "services: {a: {ports: 3, volumes: {}, depends_on: 7, build: [1]}}",
            "services: {a: {ports: [[1]], volumes: [[], 3, ''], networks: 4, extra_hosts: [novalue]}}",
            "networks: [a]",
            "volumes: {a: 3}",
            "- 1",
            "",
        ] {
            let mut doc: Value = serde_yaml::from_str(text).unwrap_or(Value::Null);
            let _ = normalize(&mut doc, "p");
            resolve_paths(&mut doc, Path::new("/p"));
        }
    }
}
