//! Multi-file override merge, by the Compose Specification's rules (as compose-go's
//! `override/merge.go` and `override/uncity.go` implement them), on raw `serde_yaml::Value` trees.
//!
//! - mappings merge recursively; a `null` in the override keeps the base value;
//! - sequences append, then [`enforce_unicity`] keeps one entry per identity for `ports`
//!   (published/target/protocol), `volumes`/`devices` (target), `secrets`/`configs` (target),
//!   `environment`/`labels`/`dns`/`cap_add`/... (the key before `=`), `env_file` (path), ...;
//!   the later definition wins, at the place of the first;
//! - `command`, `entrypoint`, `healthcheck.test` and each `ulimits.*` are replaced;
//! - `environment`, `labels`, `annotations`, `build.args`, `sysctls`, `extra_hosts`, ... merge as
//!   `KEY=VALUE` sequences whatever syntax each side uses (the normaliser turns them back into
//!   mappings); `depends_on`, service `networks` and `models` merge as mappings; `build: path`
//!   merges as `{context: path}`; `logging` options merge only for the same driver;
//!   `networks.*.ipam.config` merges by subnet;
//! - `!reset` in the override removes the value, `!override` replaces it instead of merging.
//!
//! Owns only the merge; must not import other loader steps (parsing, interpolation, paths...).

// `LoadError` (shared, in error.rs) is larger than clippy's `result_large_err` threshold.
#![allow(clippy::result_large_err)]

use crate::loader::fields::Fields;
use serde_yaml::value::{Mapping, Value};

use super::error::{ErrorKind, KeyPath, LoadError};

/// Merges `over` (a later `-f` file, parsed, with `!reset`/`!override` tags still in it) on top
/// of `base` (the earlier files), then enforces unicity of keyed sequences.
///
/// The result has no `!reset`/`!override` tags left. Errors (a mapping overridden by a list...)
/// carry the key path but no file: the caller knows which file `over` came from.
pub fn merge(base: Value, over: Value) -> Result<Value, LoadError> {
    let merged = merge_at(base, over, &[])?;
    enforce_unicity(merged)
}

/// Merges one service definition `over` on top of `base` (used by `extends`), with the same
/// rules as [`merge`] for a service named `name`, unicity included.
pub fn merge_service(base: Value, over: Value, name: &str) -> Result<Value, LoadError> {
    let path = vec!["services".to_string(), name.to_string()];
    let merged = merge_at(base, over, &path)?;
    unicity(merged, &mut path.clone())
}

/// Resolves `!reset`/`!override` tags in a document that has nothing to override: a `!reset`
/// value is dropped (a key holding it disappears), an `!override` value is kept untagged.
/// A document that is itself `!reset` becomes `null`. Other tags are left alone.
pub fn resolve_tags(value: Value) -> Value {
    if !has_tag(&value) {
        return value;
    }
    strip_tags(value).unwrap_or(Value::Null)
}

/// Whether any node of `value` is tagged (untagged trees need no rewriting: no allocation).
fn has_tag(value: &Value) -> bool {
    match value {
        Value::Tagged(_) => true,
        Value::Mapping(m) => m.values().any(has_tag),
        Value::Sequence(s) => s.iter().any(has_tag),
        _ => false,
    }
}

/// Removes redefinitions from the keyed sequences of a whole document (`ports`, `volumes`,
/// `environment` lists, ...): one entry per identity, the last definition at the first place.
pub fn enforce_unicity(doc: Value) -> Result<Value, LoadError> {
    unicity(doc, &mut Vec::new())
}

// ---------------------------------------------------------------------------------------------
// Tags

/// `Some(value)` without `!reset`/`!override` tags, `None` when the value itself is `!reset`.
fn strip_tags(value: Value) -> Option<Value> {
    match value {
        Value::Tagged(tagged) => match tag_kind(&tagged.tag) {
            Some(TagKind::Reset) => None,
            Some(TagKind::Override) => strip_tags(tagged.value),
            None => Some(Value::Tagged(tagged)),
        },
        Value::Mapping(m) => Some(Value::Mapping(
            m.into_iter()
                .filter_map(|(k, v)| strip_tags(v).map(|v| (k, v)))
                .collect(),
        )),
        Value::Sequence(s) => Some(Value::Sequence(
            s.into_iter().filter_map(strip_tags).collect(),
        )),
        other => Some(other),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TagKind {
    Reset,
    Override,
}

fn tag_kind(tag: &serde_yaml::value::Tag) -> Option<TagKind> {
    if tag == "reset" {
        Some(TagKind::Reset)
    } else if tag == "override" {
        Some(TagKind::Override)
    } else {
        None
    }
}

/// Strips the tags of `over`, recording (relative to `over`) the mapping paths that carry
/// `!reset` or `!override`: those are removed from the base before merging.
fn collect_resets(
    value: Value,
    path: &mut Vec<String>,
    out: &mut Vec<Vec<String>>,
) -> Option<Value> {
    match value {
        Value::Tagged(tagged) => match tag_kind(&tagged.tag) {
            Some(TagKind::Reset) => {
                out.push(path.clone());
                None
            }
            Some(TagKind::Override) => {
                out.push(path.clone());
                strip_tags(tagged.value)
            }
            None => Some(Value::Tagged(tagged)),
        },
        Value::Mapping(m) => {
            let mut kept = Mapping::with_capacity(m.len());
            for (k, v) in m {
                path.push(key_string(&k));
                if let Some(v) = collect_resets(v, path, out) {
                    kept.insert(k, v);
                }
                path.pop();
            }
            Some(Value::Mapping(kept))
        }
        // Like compose-go, a tagged sequence item is dropped (`!reset`) or kept (`!override`)
        // in the override's own list, and does not touch the base list.
        Value::Sequence(s) => Some(Value::Sequence(
            s.into_iter().filter_map(strip_tags).collect(),
        )),
        other => Some(other),
    }
}

/// Removes from `base` every mapping entry whose path is in `resets` (relative paths).
fn apply_resets(base: &mut Value, resets: &[&[String]]) {
    if resets.is_empty() {
        return;
    }
    let Value::Mapping(m) = base else {
        return;
    };
    m.retain(|k, _| {
        let ks = key_string(k);
        !resets
            .iter()
            .any(|r| r.len() == 1 && r.first() == Some(&ks))
    });
    for (k, v) in m.iter_mut() {
        let ks = key_string(k);
        let tails: Vec<&[String]> = resets
            .iter()
            .filter(|r| r.len() > 1 && r.first() == Some(&ks))
            .filter_map(|r| r.get(1..))
            .collect();
        apply_resets(v, &tails);
    }
}

// ---------------------------------------------------------------------------------------------
// Merge

fn merge_at(base: Value, over: Value, path: &[String]) -> Result<Value, LoadError> {
    let mut base = resolve_tags(base);
    let mut resets = Vec::new();
    let over = if has_tag(&over) {
        collect_resets(over, &mut Vec::new(), &mut resets)
    } else {
        Some(over)
    };
    let refs: Vec<&[String]> = resets.iter().map(Vec::as_slice).collect();
    if refs.iter().any(|r| r.is_empty()) {
        // The whole override document is `!reset` / `!override`.
        return Ok(over.unwrap_or(Value::Null));
    }
    apply_resets(&mut base, &refs);
    match over {
        None => Ok(base),
        Some(over) => merge_value(base, over, &mut path.to_vec()),
    }
}

#[derive(Clone, Copy, Debug)]
enum Rule {
    /// The override replaces the base.
    Replace,
    /// Both sides become `KEY=VALUE` sequences, appended.
    ToSequence,
    /// Like `ToSequence`, dropping override entries already in the base.
    ExtraHosts,
    /// `build: path` is `{context: path}`; then merge as mappings.
    Build,
    /// Lists become mappings of `{condition: service_started, required: true}`.
    DependsOn,
    /// Lists become mappings of `null`.
    ToMapping,
    /// Options merge only when both sides use the same driver (or one names none).
    Logging,
    /// Entries merge by subnet.
    IpamConfig,
}

const SPECIALS: &[(&str, Rule)] = &[
    ("networks.*.ipam.config", Rule::IpamConfig),
    ("networks.*.labels", Rule::ToSequence),
    ("volumes.*.labels", Rule::ToSequence),
    ("services.*.annotations", Rule::ToSequence),
    ("services.*.build", Rule::Build),
    ("services.*.build.args", Rule::ToSequence),
    ("services.*.build.additional_contexts", Rule::ToSequence),
    ("services.*.build.extra_hosts", Rule::ExtraHosts),
    ("services.*.build.labels", Rule::ToSequence),
    ("services.*.command", Rule::Replace),
    ("services.*.depends_on", Rule::DependsOn),
    ("services.*.deploy.labels", Rule::ToSequence),
    ("services.*.dns", Rule::ToSequence),
    ("services.*.dns_opt", Rule::ToSequence),
    ("services.*.dns_search", Rule::ToSequence),
    ("services.*.entrypoint", Rule::Replace),
    ("services.*.env_file", Rule::ToSequence),
    ("services.*.label_file", Rule::ToSequence),
    ("services.*.environment", Rule::ToSequence),
    ("services.*.extra_hosts", Rule::ExtraHosts),
    ("services.*.healthcheck.test", Rule::Replace),
    ("services.*.labels", Rule::ToSequence),
    ("services.*.logging", Rule::Logging),
    ("services.*.models", Rule::ToMapping),
    ("services.*.networks", Rule::ToMapping),
    ("services.*.sysctls", Rule::ToSequence),
    ("services.*.tmpfs", Rule::ToSequence),
    // compose-go's mergeUlimit merges the override with itself: the override wins.
    ("services.*.ulimits.*", Rule::Replace),
];

fn matches(path: &[String], pattern: &str) -> bool {
    let mut segs = pattern.split('.');
    for p in path {
        match segs.next() {
            Some("*") => {}
            Some(s) if s == p => {}
            _ => return false,
        }
    }
    segs.next().is_none()
}

fn special(path: &[String]) -> Option<Rule> {
    if path.len() < 2 {
        return None;
    }
    SPECIALS
        .iter()
        .find(|(pattern, _)| matches(path, pattern))
        .map(|(_, rule)| *rule)
}

fn merge_value(base: Value, over: Value, path: &mut Vec<String>) -> Result<Value, LoadError> {
    if let Some(rule) = special(path) {
        return apply_rule(rule, base, over, path);
    }
    if over.is_null() {
        return Ok(base);
    }
    match base {
        Value::Mapping(m) => match over {
            Value::Mapping(o) => merge_mappings(m, o, path).map(Value::Mapping),
            other => Err(cannot_override(path, "a mapping", &other)),
        },
        Value::Sequence(mut s) => match over {
            Value::Sequence(o) => {
                s.extend(o);
                Ok(Value::Sequence(s))
            }
            other => Err(cannot_override(path, "a sequence", &other)),
        },
        _ => Ok(over),
    }
}

fn merge_mappings(
    mut base: Mapping,
    over: Mapping,
    path: &mut Vec<String>,
) -> Result<Mapping, LoadError> {
    for (k, v) in over {
        match base.get_mut(&k) {
            Some(slot) => {
                path.push(key_string(&k));
                let e = std::mem::take(slot);
                let merged = merge_value(e, v, path);
                path.pop();
                *slot = merged?;
            }
            None => {
                base.insert(k, v);
            }
        }
    }
    Ok(base)
}

fn apply_rule(
    rule: Rule,
    base: Value,
    over: Value,
    path: &mut Vec<String>,
) -> Result<Value, LoadError> {
    match rule {
        Rule::Replace => Ok(over),
        Rule::ToSequence => {
            let mut seq = to_sequence(base);
            seq.extend(to_sequence(over));
            Ok(Value::Sequence(seq))
        }
        Rule::ExtraHosts => {
            let mut seq = to_sequence(base);
            let extra: Vec<Value> = to_sequence(over)
                .into_iter()
                .filter(|v| !seq.contains(v))
                .collect();
            seq.extend(extra);
            Ok(Value::Sequence(seq))
        }
        Rule::Build => {
            let to_build = |v: Value| match v {
                Value::String(s) => {
                    let mut m = Mapping::new();
                    m.insert(Value::String("context".into()), Value::String(s));
                    Some(m)
                }
                Value::Mapping(m) => Some(m),
                _ => None,
            };
            match (to_build(base), to_build(over)) {
                (Some(b), Some(o)) => merge_mappings(b, o, path).map(Value::Mapping),
                (Some(b), None) => Ok(Value::Mapping(b)),
                (None, Some(o)) => Ok(Value::Mapping(o)),
                (None, None) => Ok(Value::Null),
            }
        }
        Rule::DependsOn | Rule::ToMapping => {
            let default = matches!(rule, Rule::DependsOn).then(depends_on_default);
            match (
                to_mapping(base, default.as_ref()),
                to_mapping(over, default.as_ref()),
            ) {
                (Some(b), Some(o)) => merge_mappings(b, o, path).map(Value::Mapping),
                (Some(b), None) => Ok(Value::Mapping(b)),
                (None, Some(o)) => Ok(Value::Mapping(o)),
                (None, None) => Ok(Value::Null),
            }
        }
        Rule::Logging => match (base, over) {
            (Value::Mapping(b), Value::Mapping(o)) => {
                let bd = b.field("driver");
                let od = o.field("driver");
                if bd.is_none() || od.is_none() || bd == od {
                    merge_mappings(b, o, path).map(Value::Mapping)
                } else {
                    Ok(Value::Mapping(o))
                }
            }
            (b, Value::Null) => Ok(b),
            (_, o) => Ok(o),
        },
        Rule::IpamConfig => merge_ipam_config(base, over, path),
    }
}

fn depends_on_default() -> Mapping {
    let mut m = Mapping::new();
    m.insert("condition".into(), "service_started".into());
    m.insert("required".into(), Value::Bool(true));
    m
}

/// A list of names becomes a mapping (each name to `default`, or `null`); a mapping stays.
fn to_mapping(value: Value, default: Option<&Mapping>) -> Option<Mapping> {
    match value {
        Value::Mapping(m) => Some(m),
        Value::Sequence(s) => {
            let mut m = Mapping::with_capacity(s.len());
            for item in s {
                let v = default.map_or(Value::Null, |d| Value::Mapping(d.clone()));
                m.insert(Value::String(scalar_string(&item)), v);
            }
            Some(m)
        }
        _ => None,
    }
}

/// A mapping becomes a sorted `KEY=VALUE` (or `KEY` for null) sequence; a list stays; a string
/// is a one-item list; anything else is empty.
fn to_sequence(value: Value) -> Vec<Value> {
    match value {
        Value::Mapping(m) => {
            let mut seq = Vec::with_capacity(m.len());
            for (k, v) in m {
                let k = key_string(&k);
                match v {
                    Value::Null => seq.push(k),
                    Value::Sequence(items) => {
                        for item in items {
                            seq.push(format!("{k}={}", go_format(&item)));
                        }
                    }
                    other => seq.push(format!("{k}={}", go_format(&other))),
                }
            }
            seq.sort();
            seq.into_iter().map(Value::String).collect()
        }
        Value::Sequence(s) => s,
        Value::String(s) => vec![Value::String(s)],
        _ => Vec::new(),
    }
}

fn merge_ipam_config(base: Value, over: Value, path: &mut Vec<String>) -> Result<Value, LoadError> {
    let (configs, overrides) = match (base, over) {
        (Value::Sequence(b), Value::Sequence(o)) => (b, o),
        (b, Value::Null) => return Ok(b),
        (Value::Null, o) => return Ok(o),
        (b, o) => {
            let found = if b.is_sequence() { &o } else { &b };
            return Err(cannot_override(path, "a sequence", found));
        }
    };
    // compose-go's algorithm pairs every base entry with every override entry; with an empty
    // side it would drop everything, so an empty side simply yields the other.
    if configs.is_empty() {
        return Ok(Value::Sequence(overrides));
    }
    if overrides.is_empty() {
        return Ok(Value::Sequence(configs));
    }
    let subnet = |m: &Mapping| m.field("subnet").cloned();
    let mut out: Vec<Mapping> = Vec::new();
    for original in &configs {
        let right = to_mapping(original.clone(), None).unwrap_or_default();
        for over in &overrides {
            let left = to_mapping(over.clone(), None).unwrap_or_default();
            if subnet(&left) != subnet(&right) {
                if !out.iter().any(|c| subnet(c) == subnet(&left)) {
                    out.push(left);
                }
                continue;
            }
            let merged = merge_mappings(right.clone(), left, path)?;
            match out.iter().position(|c| subnet(c) == subnet(&merged)) {
                Some(i) => {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = merged;
                    }
                }
                None => out.push(merged),
            }
        }
    }
    Ok(Value::Sequence(
        out.into_iter().map(Value::Mapping).collect(),
    ))
}

fn cannot_override(path: &[String], base_kind: &str, over: &Value) -> LoadError {
    LoadError::new(
        ErrorKind::Semantic,
        format!(
            "cannot override {base_kind} defined by an earlier file with {}",
            kind_name(over)
        ),
    )
    .at(key_path(path))
    .hint("use the same syntax in both files, or tag the value with !override to replace it")
}

// ---------------------------------------------------------------------------------------------
// Unicity

#[derive(Clone, Copy, Debug)]
enum Indexer {
    KeyValue,
    Volume,
    Device,
    Expose,
    Port,
    EnvFile,
    Mount(&'static str),
}

const UNIQUE: &[(&str, Indexer)] = &[
    ("networks.*.labels", Indexer::KeyValue),
    ("networks.*.ipam.options", Indexer::KeyValue),
    ("services.*.annotations", Indexer::KeyValue),
    ("services.*.build.args", Indexer::KeyValue),
    ("services.*.build.additional_contexts", Indexer::KeyValue),
    ("services.*.build.platform", Indexer::KeyValue),
    ("services.*.build.tags", Indexer::KeyValue),
    ("services.*.build.labels", Indexer::KeyValue),
    ("services.*.cap_add", Indexer::KeyValue),
    ("services.*.cap_drop", Indexer::KeyValue),
    ("services.*.configs", Indexer::Mount("")),
    ("services.*.deploy.labels", Indexer::KeyValue),
    ("services.*.devices", Indexer::Device),
    ("services.*.dns", Indexer::KeyValue),
    ("services.*.dns_opt", Indexer::KeyValue),
    ("services.*.dns_search", Indexer::KeyValue),
    ("services.*.environment", Indexer::KeyValue),
    ("services.*.env_file", Indexer::EnvFile),
    ("services.*.expose", Indexer::Expose),
    ("services.*.labels", Indexer::KeyValue),
    ("services.*.links", Indexer::KeyValue),
    ("services.*.networks.*.aliases", Indexer::KeyValue),
    ("services.*.networks.*.link_local_ips", Indexer::KeyValue),
    ("services.*.ports", Indexer::Port),
    ("services.*.profiles", Indexer::KeyValue),
    ("services.*.secrets", Indexer::Mount("/run/secrets")),
    ("services.*.sysctls", Indexer::KeyValue),
    ("services.*.tmpfs", Indexer::KeyValue),
    ("services.*.volumes", Indexer::Volume),
];

/// [`UNIQUE`] with each pattern split into its segments, once.
fn unique_table() -> &'static [(Vec<&'static str>, Indexer)] {
    static TABLE: std::sync::OnceLock<Vec<(Vec<&'static str>, Indexer)>> =
        std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        UNIQUE
            .iter()
            .map(|(pattern, ix)| (pattern.split('.').collect(), *ix))
            .collect()
    })
}

/// Whether `path` is matched by the first `path.len()` segments of `segs` (`*` matches any key).
fn prefix_matches(path: &[String], segs: &[&str]) -> bool {
    path.len() <= segs.len()
        && path
            .iter()
            .zip(segs)
            .all(|(p, s)| *s == "*" || *s == p.as_str())
}

fn unicity(value: Value, path: &mut Vec<String>) -> Result<Value, LoadError> {
    match value {
        Value::Mapping(mut m) => {
            // Only subtrees that can hold a keyed sequence are walked (and rewritten in place).
            if !leads_to_unique(path) {
                return Ok(Value::Mapping(m));
            }
            for (k, v) in m.iter_mut() {
                path.push(key_string(k));
                let done = unicity(std::mem::take(v), path);
                path.pop();
                *v = done?;
            }
            Ok(Value::Mapping(m))
        }
        Value::Sequence(s) => {
            let Some(indexer) = unique_table()
                .iter()
                .find(|(segs, _)| segs.len() == path.len() && prefix_matches(path, segs))
                .map(|(_, ix)| *ix)
            else {
                return Ok(Value::Sequence(s));
            };
            let mut out: Vec<Value> = Vec::with_capacity(s.len());
            let mut seen = Seen::for_len(s.len());
            for (i, entry) in s.into_iter().enumerate() {
                match index(indexer, &entry, path, i)? {
                    Some(key) => match seen.get(&key).and_then(|j| out.get_mut(j)) {
                        Some(slot) => *slot = entry,
                        None => {
                            seen.insert(key, out.len());
                            out.push(entry);
                        }
                    },
                    None => out.push(entry),
                }
            }
            Ok(Value::Sequence(out))
        }
        other => Ok(other),
    }
}

/// Identity -> position, for the entries of one keyed sequence. Most are short (a few ports or
/// volumes), where a scan beats hashing each identity; long ones hash.
enum Seen {
    Few(Vec<(String, usize)>),
    Many(std::collections::HashMap<String, usize>),
}

impl Seen {
    fn for_len(len: usize) -> Seen {
        if len <= 32 {
            Seen::Few(Vec::with_capacity(len))
        } else {
            Seen::Many(std::collections::HashMap::with_capacity(len))
        }
    }

    fn get(&self, key: &str) -> Option<usize> {
        match self {
            Seen::Few(v) => v.iter().find(|(k, _)| k == key).map(|(_, j)| *j),
            Seen::Many(m) => m.get(key).copied(),
        }
    }

    fn insert(&mut self, key: String, at: usize) {
        match self {
            Seen::Few(v) => v.push((key, at)),
            Seen::Many(m) => {
                m.insert(key, at);
            }
        }
    }
}

/// Whether some keyed-sequence pattern lies strictly below `path` (so its subtree must be walked).
fn leads_to_unique(path: &[String]) -> bool {
    unique_table()
        .iter()
        .any(|(segs, _)| segs.len() > path.len() && prefix_matches(path, segs))
}

/// The identity of a sequence entry, or `None` when it has none we can tell (left for schema
/// validation to judge; never deduplicated).
fn index(
    ix: Indexer,
    entry: &Value,
    path: &[String],
    i: usize,
) -> Result<Option<String>, LoadError> {
    let item_path = || key_path(path).index(i);
    Ok(match ix {
        Indexer::KeyValue => scalar(entry).map(|s| match s.split_once('=') {
            Some((k, _)) => k.to_string(),
            None => s,
        }),
        Indexer::Expose => scalar(entry),
        Indexer::Volume | Indexer::Device => match entry {
            Value::Mapping(m) => match m.field("target").and_then(scalar) {
                Some(t) => Some(t),
                None => {
                    let what = if matches!(ix, Indexer::Volume) {
                        "volume"
                    } else {
                        "device"
                    };
                    return Err(LoadError::new(
                        ErrorKind::Schema,
                        format!("service {what} is missing a mount target"),
                    )
                    .at(item_path())
                    .hint("add `target:` (the path inside the container)"));
                }
            },
            Value::String(s) if matches!(ix, Indexer::Volume) => Some(volume_target(s)),
            Value::String(s) => {
                let parts: Vec<&str> = s.split(':').collect();
                parts.get(1).or(parts.first()).map(|p| p.to_string())
            }
            _ => None,
        },
        Indexer::Port => match entry {
            Value::Mapping(m) => {
                let Some(target) = m.field("target").and_then(scalar) else {
                    return Err(LoadError::new(
                        ErrorKind::Schema,
                        "service port is missing a target port",
                    )
                    .at(item_path())
                    .hint("add `target:` (the container port)"));
                };
                let host = m
                    .field("host_ip")
                    .and_then(scalar)
                    .unwrap_or_else(|| "0.0.0.0".into());
                let published = m.field("published").and_then(scalar).unwrap_or_default();
                let protocol = m
                    .field("protocol")
                    .and_then(scalar)
                    .unwrap_or_else(|| "tcp".into());
                Some(format!("{host}:{published}:{target}/{protocol}"))
            }
            other => scalar(other),
        },
        Indexer::EnvFile => match entry {
            Value::String(s) => Some(s.clone()),
            Value::Mapping(m) => match m.field("path").and_then(scalar) {
                Some(p) => Some(p),
                None => {
                    return Err(LoadError::new(
                        ErrorKind::Schema,
                        "env_file entry is missing its `path` attribute",
                    )
                    .at(item_path()));
                }
            },
            _ => None,
        },
        Indexer::Mount(default) => match entry {
            Value::String(s) => Some(format!("{default}/{s}")),
            Value::Mapping(m) => match m.field("target").and_then(scalar) {
                Some(t) => Some(t),
                None => m
                    .field("source")
                    .and_then(scalar)
                    .map(|s| format!("{default}/{s}")),
            },
            _ => None,
        },
    })
}

/// The container path of a short-syntax volume (`src:dst[:mode]`, `dst`), Windows sources
/// (`C:\data:/data`) included.
fn volume_target(spec: &str) -> String {
    let raw: Vec<&str> = spec.split(':').collect();
    let mut parts: Vec<String> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(part) = raw.get(i) {
        let next = raw.get(i + 1);
        let is_drive = part.len() == 1
            && part.chars().all(|c| c.is_ascii_alphabetic())
            && next.is_some_and(|n| n.starts_with('\\') || n.starts_with('/'))
            && parts.is_empty();
        if is_drive {
            parts.push(format!("{part}:{}", next.copied().unwrap_or_default()));
            i += 2;
        } else {
            parts.push(part.to_string());
            i += 1;
        }
    }
    match parts.len() {
        0 | 1 => parts.into_iter().next().unwrap_or_default(),
        _ => parts.into_iter().nth(1).unwrap_or_default(),
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A scalar as text (strings as they are, numbers and booleans printed); `None` otherwise.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(go_format(value)),
        _ => None,
    }
}

fn scalar_string(value: &Value) -> String {
    scalar(value).unwrap_or_else(|| go_format(value))
}

/// A mapping key as text (keys are strings once `yaml::parse` has checked them).
pub(crate) fn key_string(key: &Value) -> String {
    match key {
        Value::String(s) => s.clone(),
        other => go_format(other),
    }
}

fn key_path(path: &[String]) -> KeyPath {
    let mut p = KeyPath::root();
    for seg in path {
        p = p.key(seg.clone());
    }
    p
}

pub(crate) fn kind_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a sequence",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

/// A value printed as Go's `%v` prints the same YAML value (what compose-go writes in the
/// `KEY=VALUE` entries it builds when merging mappings).
pub(crate) fn go_format(value: &Value) -> String {
    match value {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                n.as_f64().map_or_else(|| n.to_string(), go_float)
            }
        }
        Value::Sequence(s) => {
            let items: Vec<String> = s.iter().map(go_format).collect();
            format!("[{}]", items.join(" "))
        }
        Value::Mapping(m) => {
            let mut items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}:{}", go_format(k), go_format(v)))
                .collect();
            items.sort();
            format!("map[{}]", items.join(" "))
        }
        Value::Tagged(t) => go_format(&t.value),
    }
}

/// Go's `%v` for a float64: the shortest representation, in exponent form when the exponent is
/// below -4 or at least 6 (`strconv`'s 'g' with the shortest precision).
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Shortest round-trip digits, in scientific form: "d.ddde[-]x".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        go_exp(mantissa, exp)
    } else {
        format!("{f}")
    }
}

fn go_exp(mantissa: &str, exp: i32) -> String {
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap_or(Value::Null)
    }

    #[test]
    fn path_patterns_match_whole_segments() {
        let p = |s: &str| s.split('.').map(String::from).collect::<Vec<_>>();
        assert!(matches(
            &p("services.web.environment"),
            "services.*.environment"
        ));
        assert!(!matches(&p("services.web"), "services.*.environment"));
        assert!(!matches(
            &p("services.web.environment.X"),
            "services.*.environment"
        ));
    }

    #[test]
    fn go_float_formats_like_go() {
        assert_eq!(go_float(1.5), "1.5");
        assert_eq!(go_float(3.0), "3");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(1e-5), "1e-05");
        assert_eq!(go_float(1e21), "1e+21");
        assert_eq!(go_float(123456789.0), "1.23456789e+08");
    }

    #[test]
    fn volume_targets_from_short_syntax() {
        assert_eq!(volume_target("./data:/data:ro"), "/data");
        assert_eq!(volume_target("/data"), "/data");
        assert_eq!(volume_target("C:\\data:/data"), "/data");
        assert_eq!(volume_target("c:/data:/data:rw"), "/data");
    }

    #[test]
    fn reset_and_override_tags() {
        let base = y("services: {web: {image: a, ports: ['80:80'], environment: {A: '1'}}}");
        let over = y("services: {web: {ports: !override ['81:81'], environment: !reset null}}");
        let merged = merge(base, over).unwrap_or(Value::Null);
        assert_eq!(merged, y("services: {web: {image: a, ports: ['81:81']}}"));
    }

    #[test]
    fn untagged_override_null_keeps_the_base() {
        let merged = merge(y("a: {b: 1}"), y("a: {b: null}")).unwrap_or(Value::Null);
        assert_eq!(merged, y("a: {b: 1}"));
    }

    #[test]
    fn mapping_over_sequence_is_an_error_with_path() {
        let err = merge(
            y("services: {web: {volumes: [a:/a]}}"),
            y("services: {web: {volumes: {a: b}}}"),
        );
        let err = err.err().map(|e| e.path.map(|p| p.to_string()));
        assert_eq!(err, Some(Some("services.web.volumes".to_string())));
    }
}
