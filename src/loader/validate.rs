//! Validation of compose documents: the Compose Specification JSON schema, and the semantic
//! checks that need the whole normalised project.
//!
//! Owns [`validate_schema`] (the vendored compose-go schema in `schema/compose-spec.json`,
//! compiled once per process, errors phrased the way docker compose phrases them, with a
//! "did you mean" hint for unknown keys) and [`check_semantics`] (undefined references,
//! dependency cycles, conflicting settings) on the tree `normalize` produced.
//!
//! Must not import `engine`, `exec`, `plan`, `cli` or `model`; does no I/O.

// `LoadError` is the loader's shared error type (file, line, path, hint); boxing it is the
// lead's call, not this module's.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

use crate::loader::fields::Fields;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{Draft, ValidationError, Validator};
use serde_yaml::{Mapping, Value};

use crate::loader::error::{ErrorKind, KeyPath, LoadError, Seg, Warnings};
use crate::loader::normalize::scalar_string;
use crate::loader::schema_yaml::YamlJson;

/// The Compose Specification schema, vendored from compose-spec/compose-go (see `schema/NOTICE`).
pub const COMPOSE_SCHEMA: &str = include_str!("schema/compose-spec.json");

struct Compiled {
    schema: serde_json::Value,
    /// Reads the loader's tree in place (`schema_yaml`), errors included.
    validator: Validator<YamlJson>,
}

static COMPILED: OnceLock<Result<Compiled, String>> = OnceLock::new();

/// The same schema compiled into Rust when the crate is built: it answers valid / invalid on a
/// JSON copy of the tree with no run-time compilation of the schema (which costs a small project's
/// load more than everything else together). The run-time validator still phrases every error,
/// reads large trees in place, and is the reference: `tests/loader_validate.rs` checks that both
/// give the same verdict on every corpus and fixture file.
#[jsonschema::validator(path = "src/loader/schema/compose-spec.json", draft = Draft7)]
struct BuiltSchema;

/// Below this many bytes of compose files the tree is small enough that copying it to JSON for
/// [`BuiltSchema`] is cheaper than compiling the schema at run time (the copy of the
/// 1000-service bench project, ~150 KB, costs about as much as the compilation).
pub const BUILT_SCHEMA_MAX_BYTES: usize = 64 * 1024;

/// Set when [`prefetch_schema`] started the run-time compilation: then the load uses it.
static PREFETCHED: AtomicBool = AtomicBool::new(false);

/// Starts compiling the schema on another thread, once per process, so that it is ready by the
/// time `bytes` of compose files are parsed and merged (`compiled` waits for it, or compiles it
/// itself when no thread could be started). Small inputs skip it: [`BuiltSchema`] checks them.
pub fn prefetch_schema(bytes: usize) {
    if bytes < BUILT_SCHEMA_MAX_BYTES {
        return;
    }
    PREFETCHED.store(true, Ordering::Relaxed);
    if COMPILED.get().is_none() {
        let _ = std::thread::Builder::new().name("schema".into()).spawn(|| {
            let _ = compiled();
        });
    }
}

fn compiled() -> Result<&'static Compiled, LoadError> {
    COMPILED
        .get_or_init(|| {
            let schema: serde_json::Value =
                serde_json::from_str(COMPOSE_SCHEMA).map_err(|e| e.to_string())?;
            let validator = jsonschema::options_for::<YamlJson>()
                .with_draft(Draft::Draft7)
                .build(&schema)
                .map_err(|e| e.to_string())?;
            Ok(Compiled { schema, validator })
        })
        .as_ref()
        .map_err(|e| {
            LoadError::new(
                ErrorKind::Schema,
                format!("internal error: the bundled compose schema does not compile: {e}"),
            )
        })
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// Compose rejects non-string keys; the validator reads the tree in place and sees only string
/// keys, so any other key is an error here first.
fn check_string_keys(v: &Value, path: &KeyPath) -> Result<(), LoadError> {
    non_string_key(v).map_err(|(rev, k)| {
        // The path is built only here, on the error path: the segments come innermost first.
        let mut path = path.clone();
        path.0.extend(rev.into_iter().rev());
        let shown = scalar_string(&k).unwrap_or_else(|| "null".to_string());
        let at = if path.is_root() {
            "top level".to_string()
        } else {
            path.to_string()
        };
        LoadError::new(
            ErrorKind::Schema,
            format!("non-string key in {at}: {shown}"),
        )
        .at(path)
        .hint(format!("quote the key: \"{shown}\""))
    })
}

/// The first non-string key: the segments leading to the mapping that holds it (innermost
/// first) and the key.
fn non_string_key(v: &Value) -> Result<(), (Vec<Seg>, Value)> {
    match v {
        Value::Sequence(seq) => {
            for (i, e) in seq.iter().enumerate() {
                non_string_key(e).map_err(|(mut rev, k)| {
                    rev.push(Seg::Index(i));
                    (rev, k)
                })?;
            }
            Ok(())
        }
        Value::Mapping(m) => {
            for (k, val) in m {
                let Value::String(key) = k else {
                    return Err((Vec::new(), k.clone()));
                };
                non_string_key(val).map_err(|(mut rev, bad)| {
                    rev.push(Seg::Key(key.clone()));
                    (rev, bad)
                })?;
            }
            Ok(())
        }
        Value::Tagged(t) => non_string_key(&t.value),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Schema errors -> one useful message
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Problem {
    /// Expected types, in the order to print them.
    Type(Vec<String>),
    Additional(Vec<String>),
    Required(String),
    Enum(Vec<String>),
    Other(String),
}

#[derive(Debug, Clone)]
struct Candidate {
    path: Vec<Seg>,
    problem: Problem,
    /// JSON-pointer-ish evaluation path of the failing keyword (for allowed property names).
    eval_path: Vec<String>,
}

impl Candidate {
    fn is_type(&self) -> bool {
        matches!(self.problem, Problem::Type(_))
    }
}

fn human_type(t: &str) -> String {
    match t {
        "object" => "mapping".into(),
        "array" => "list".into(),
        other => other.into(),
    }
}

fn instance_path(e: &ValidationError) -> Vec<Seg> {
    e.instance_path()
        .iter()
        .map(|seg| match seg {
            LocationSegment::Property(p) => Seg::Key(p.into_owned()),
            LocationSegment::Index(i) => Seg::Index(i),
        })
        .collect()
}

fn eval_path(e: &ValidationError) -> Vec<String> {
    e.evaluation_path()
        .iter()
        .map(|seg| match seg {
            LocationSegment::Property(p) => p.into_owned(),
            LocationSegment::Index(i) => i.to_string(),
        })
        .collect()
}

fn json_scalar(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The most useful candidate among sibling errors: the deepest, a non-type error on ties.
fn best(cands: Vec<Candidate>) -> Option<Candidate> {
    let mut best: Option<Candidate> = None;
    for c in cands {
        let better = match &best {
            None => true,
            Some(b) => {
                c.path.len() > b.path.len()
                    || (c.path.len() == b.path.len() && b.is_type() && !c.is_type())
            }
        };
        if better {
            best = Some(c);
        }
    }
    best
}

fn candidate(e: &ValidationError) -> Option<Candidate> {
    let path = instance_path(e);
    let eval = eval_path(e);
    let problem = match e.kind() {
        ValidationErrorKind::Type { kind } => {
            let mut list: Vec<String> = match kind {
                TypeKind::Single(t) => vec![human_type(t.as_str())],
                TypeKind::Multiple(ts) => ts.iter().map(|t| human_type(t.as_str())).collect(),
            };
            list.sort();
            Problem::Type(list)
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            Problem::Additional(unexpected.clone())
        }
        ValidationErrorKind::Required { property } => Problem::Required(json_scalar(property)),
        ValidationErrorKind::Enum { options } => Problem::Enum(match options.as_ref() {
            serde_json::Value::Array(a) => a.iter().map(json_scalar).collect(),
            other => vec![json_scalar(other)],
        }),
        ValidationErrorKind::Minimum { limit } => {
            Problem::Other(format!("must be greater than or equal to {limit}"))
        }
        ValidationErrorKind::Maximum { limit } => {
            Problem::Other(format!("must be less than or equal to {limit}"))
        }
        ValidationErrorKind::Pattern { pattern } => {
            Problem::Other(format!("does not match pattern '{pattern}'"))
        }
        ValidationErrorKind::UniqueItems => Problem::Other("must contain unique items".into()),
        ValidationErrorKind::FalseSchema => Problem::Other("is not allowed".into()),
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            let branches: Vec<Candidate> = context
                .iter()
                .filter_map(|branch| best(branch.iter().filter_map(candidate).collect()))
                .collect();
            // Every branch rejects the value's type right here: say which types would do.
            if !branches.is_empty() && branches.iter().all(|b| b.is_type() && b.path == path) {
                // Branch order, as compose lists them ("must be a mapping or list").
                let mut all: Vec<String> = Vec::new();
                for b in &branches {
                    if let Problem::Type(t) = &b.problem {
                        for x in t {
                            if !all.contains(x) {
                                all.push(x.clone());
                            }
                        }
                    }
                }
                return Some(Candidate {
                    path,
                    problem: Problem::Type(all),
                    eval_path: eval,
                });
            }
            return best(branches).or(Some(Candidate {
                path,
                problem: Problem::Other("must match exactly one of the allowed forms".into()),
                eval_path: eval,
            }));
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            Problem::Other("matches more than one of the allowed forms".into())
        }
        other => Problem::Other(format!("is invalid ({})", other.keyword())),
    };
    Some(Candidate {
        path,
        problem,
        eval_path: eval,
    })
}

/// Follows an evaluation path through the schema (resolving `$ref`) to the object schema that
/// holds the failing keyword, and returns its declared property names.
fn allowed_properties(schema: &serde_json::Value, eval: &[String]) -> Vec<String> {
    let root = schema;
    let mut node = schema;
    // The last segment is the keyword itself (`additionalProperties`).
    let upto = eval.len().saturating_sub(1);
    for seg in eval.iter().take(upto) {
        if seg == "$ref" {
            let Some(target) = node.get("$ref").and_then(serde_json::Value::as_str) else {
                return Vec::new();
            };
            let Some(pointer) = target.strip_prefix('#') else {
                return Vec::new();
            };
            match root.pointer(pointer) {
                Some(n) => node = n,
                None => return Vec::new(),
            }
            continue;
        }
        let next = match node {
            serde_json::Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
            other => other.get(seg.as_str()),
        };
        match next {
            Some(n) => node = n,
            None => return Vec::new(),
        }
    }
    node.get("properties")
        .and_then(serde_json::Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn did_you_mean(unknown: &str, allowed: &[String]) -> Option<String> {
    crate::model::names::closest(unknown, allowed.iter().map(String::as_str)).map(str::to_string)
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn describe(c: &Candidate, schema: &serde_json::Value) -> (String, Option<String>) {
    match &c.problem {
        Problem::Type(types) => (format!("must be a {}", join_or(types)), None),
        Problem::Additional(unexpected) => {
            let names = unexpected
                .iter()
                .map(|u| format!("'{u}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let allowed = allowed_properties(schema, &c.eval_path);
            let hint = unexpected
                .iter()
                .find_map(|u| did_you_mean(u, &allowed).map(|a| format!("did you mean \"{a}\"?")));
            (format!("additional properties {names} not allowed"), hint)
        }
        Problem::Required(p) => (format!("missing property '{p}'"), None),
        Problem::Enum(opts) => (
            format!(
                "must be one of {}",
                opts.iter()
                    .map(|o| format!("'{o}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        ),
        Problem::Other(m) => (m.clone(), None),
    }
}

/// Validates a document against the Compose Specification schema.
///
/// `files` are the compose files (path, text) the document came from, used to report the file
/// and line where the offending key is written (the last file that has it wins).
pub fn validate_schema(doc: &Value, files: &[(PathBuf, String)]) -> Result<(), LoadError> {
    check_string_keys(doc, &KeyPath::root()).map_err(|e| attach_location(e, files))?;
    if COMPILED.get().is_none() && !PREFETCHED.load(Ordering::Relaxed) && built_schema_accepts(doc)
    {
        return Ok(());
    }
    verdict(doc).map_err(|(e, at)| attach_location_at(e, files, &at))
}

/// The build-time schema's verdict on a JSON copy of `doc` (which must have string keys only).
#[doc(hidden)]
pub fn built_schema_accepts(doc: &Value) -> bool {
    BuiltSchema::is_valid(&crate::loader::schema_yaml::json_value(doc))
}

/// The schema error (without its file location yet) and the key path to locate it by.
type Verdict = Result<(), (LoadError, KeyPath)>;

/// Validates a document in place: the best error to report, and where to point at it.
fn verdict(doc: &Value) -> Verdict {
    let compiled = compiled().map_err(|e| (e, KeyPath::root()))?;
    verdict_with(&compiled.validator, doc, &compiled.schema)
}

/// [`verdict`] with any representation of the document (the test of `schema_yaml` compares the
/// tree read in place with a JSON copy of it read by the stock representation).
fn verdict_with<'a, F: jsonschema::json::Json>(
    validator: &'a Validator<F>,
    doc: F::Node<'a>,
    schema: &serde_json::Value,
) -> Verdict {
    if validator.is_valid(doc.clone()) {
        return Ok(());
    }
    let cands: Vec<Candidate> = validator
        .iter_errors(doc)
        .filter_map(|e| candidate(&e))
        .collect();
    let Some(c) = best(cands) else {
        return Ok(());
    };
    let (message, hint) = describe(&c, schema);
    let mut e = LoadError::new(ErrorKind::Schema, message).at(KeyPath(c.path.clone()));
    if let Some(h) = hint {
        e = e.hint(h);
    }
    // For an unknown key, point at the key itself.
    let locate_path = match &c.problem {
        Problem::Additional(u) if !u.is_empty() => {
            let mut p = KeyPath(c.path.clone());
            if let Some(first) = u.first() {
                p = p.key(first.clone());
            }
            p
        }
        _ => KeyPath(c.path),
    };
    Err((e, locate_path))
}

/// The schema verdict on a document, read in place as [`validate_schema`] reads it, and the
/// verdict from a JSON copy of it read by jsonschema's stock `serde_json` representation (what
/// the loader did before): `(in place, from the copy)`, each `Ok` or the error message and key
/// path. For the differential test of the in-place representation; `None` when the document has
/// a non-string key (no JSON copy exists, and the schema is never consulted).
#[doc(hidden)]
pub fn schema_verdicts(doc: &Value) -> Option<(Result<(), String>, Result<(), String>)> {
    check_string_keys(doc, &KeyPath::root()).ok()?;
    let show = |v: Verdict| {
        v.map_err(|(e, at)| {
            format!(
                "{} at {}: {}",
                e.path.map(|p| p.to_string()).unwrap_or_default(),
                at,
                e.message
            )
        })
    };
    let in_place = show(verdict(doc));
    let compiled = compiled().ok()?;
    static STOCK: OnceLock<Option<Validator>> = OnceLock::new();
    let stock = STOCK
        .get_or_init(|| {
            jsonschema::options()
                .with_draft(Draft::Draft7)
                .build(&compiled.schema)
                .ok()
        })
        .as_ref()?;
    let copy = crate::loader::schema_yaml::json_value(doc);
    let from_copy = show(verdict_with(stock, &copy, &compiled.schema));
    Some((in_place, from_copy))
}

fn attach_location(e: LoadError, files: &[(PathBuf, String)]) -> LoadError {
    let path = e.path.clone().unwrap_or_default();
    attach_location_at(e, files, &path)
}

fn attach_location_at(mut e: LoadError, files: &[(PathBuf, String)], path: &KeyPath) -> LoadError {
    let mut found: Option<(&PathBuf, usize, (usize, usize))> = None;
    for (file, text) in files.iter().rev() {
        if let Some((depth, pos)) = locate(text, path) {
            if found.is_none_or(|(_, d, _)| depth > d) {
                found = Some((file, depth, pos));
            }
        }
    }
    match found {
        Some((file, _, (line, col))) => {
            e = e.or_file(file.clone());
            if e.line.is_none() {
                e = e.at_line(line, Some(col));
            }
        }
        None => {
            if let Some((file, _)) = files.first() {
                e = e.or_file(file.clone());
            }
        }
    }
    e
}

/// Finds where `path` is written in a block-style YAML text: the number of path segments
/// matched and the 1-based (line, column) of the deepest one.
///
/// A line-based approximation (flow collections are not descended into); a stand-in until the
/// loader's positional locator is available.
pub(crate) fn locate(text: &str, path: &KeyPath) -> Option<(usize, (usize, usize))> {
    struct Line<'a> {
        no: usize,
        indent: usize,
        dash: bool,
        content: &'a str,
    }
    let mut lines: Vec<Line> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_start_matches(' ');
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
            continue;
        }
        let mut indent = raw.len() - trimmed.len();
        let mut content = trimmed;
        let mut dash = false;
        // "- key: v" opens an item whose mapping starts two columns further in.
        if let Some(rest) = content
            .strip_prefix("- ")
            .or_else(|| (content == "-").then_some(""))
        {
            dash = true;
            lines.push(Line {
                no: i + 1,
                indent,
                dash: true,
                content: "",
            });
            let inner = rest.trim_start_matches(' ');
            indent += 2 + (rest.len() - inner.len());
            content = inner;
            if content.is_empty() {
                continue;
            }
        }
        let _ = dash;
        lines.push(Line {
            no: i + 1,
            indent,
            dash: false,
            content,
        });
    }
    let mut start = 0usize;
    let mut end = lines.len();
    let mut parent_indent: Option<usize> = None;
    let mut depth = 0usize;
    let mut pos = None;
    for seg in &path.0 {
        let within = |l: &Line| parent_indent.is_none_or(|p| l.indent > p);
        let child_indent = lines
            .get(start..end)?
            .iter()
            .find(|l| within(l))
            .map(|l| l.indent)?;
        let idx = match seg {
            Seg::Key(k) => (start..end).find(|&j| {
                lines.get(j).is_some_and(|l| {
                    !l.dash && l.indent == child_indent && key_of(l.content) == Some(k.as_str())
                })
            })?,
            Seg::Index(n) => (start..end)
                .filter(|&j| {
                    lines
                        .get(j)
                        .is_some_and(|l| l.dash && l.indent == child_indent)
                })
                .nth(*n)?,
        };
        let line = lines.get(idx)?;
        pos = Some((line.no, line.indent + 1));
        depth += 1;
        let own = line.indent;
        let next_end = ((idx + 1)..end)
            .find(|&j| {
                lines
                    .get(j)
                    .is_some_and(|l| l.indent < own || (l.indent == own && (l.dash == line.dash)))
            })
            .unwrap_or(end);
        start = idx + 1;
        end = next_end;
        parent_indent = Some(own);
    }
    pos.map(|p| (depth, p))
}

fn key_of(content: &str) -> Option<&str> {
    let (k, _) = content.split_once(':')?;
    let k = k.trim();
    Some(
        k.strip_prefix('"')
            .and_then(|x| x.strip_suffix('"'))
            .or_else(|| k.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
            .unwrap_or(k),
    )
}

// ---------------------------------------------------------------------------------------------
// Semantic checks on the normalised tree
// ---------------------------------------------------------------------------------------------

fn sem(path: KeyPath, msg: impl Into<String>) -> LoadError {
    LoadError::new(ErrorKind::Semantic, msg).at(path)
}

fn map_keys(root: &Mapping, key: &str) -> BTreeSet<String> {
    match root.get(key) {
        Some(Value::Mapping(m)) => m.keys().filter_map(scalar_string).collect(),
        _ => BTreeSet::new(),
    }
}

fn as_u64(v: Option<&Value>) -> Option<u64> {
    v.and_then(scalar_string).and_then(|x| x.parse().ok())
}

fn service_scale(svc: &Mapping) -> u64 {
    let replicas = match svc.field("deploy") {
        Some(Value::Mapping(d)) => as_u64(d.field("replicas")),
        _ => None,
    };
    replicas.or_else(|| as_u64(svc.field("scale"))).unwrap_or(1)
}

/// One published host port binding, for conflict detection.
struct Binding {
    service: String,
    /// The entry's index in the service's `ports`.
    index: usize,
    /// How many containers the service runs.
    scale: u64,
    ip: String,
    start: u64,
    end: u64,
    protocol: String,
}

fn published_range(p: &str) -> Option<(u64, u64)> {
    match p.split_once('-') {
        Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
        None => p.parse().ok().map(|x| (x, x)),
    }
}

fn ips_overlap(a: &str, b: &str) -> bool {
    let any = |x: &str| x.is_empty() || x == "0.0.0.0" || x == "::";
    any(a) || any(b) || a == b
}

/// Checks the normalised project for references to undefined resources, dependency cycles and
/// conflicting settings. Returns the non-fatal findings as warnings.
pub fn check_semantics(doc: &Value) -> Result<Warnings, LoadError> {
    check_semantics_for(doc, false)
}

/// [`check_semantics`]; for a swarm stack (`swarm`) a fixed published port on a replicated
/// service is fine (the routing mesh shares it, or the replicas run on different nodes), and
/// `container_name` is ignored (`stack deploy` warns about it) rather than refused.
pub fn check_semantics_for(doc: &Value, swarm: bool) -> Result<Warnings, LoadError> {
    let mut warnings = Warnings::default();
    let Value::Mapping(root) = doc else {
        return Ok(warnings);
    };
    let no_services = Mapping::new();
    let services_map: &Mapping = match root.field("services") {
        Some(Value::Mapping(m)) => m,
        _ => &no_services,
    };
    let defined = Defined {
        // compose-go reads a top-level `x-*` network as an extension of the map, not a network.
        networks: map_keys(root, "networks")
            .into_iter()
            .filter(|n| !n.starts_with("x-"))
            .collect(),
        models: map_keys(root, "models"),
        volumes: map_keys(root, "volumes"),
        secrets: map_keys(root, "secrets"),
        configs: map_keys(root, "configs"),
        services: services_map.keys().filter_map(scalar_string).collect(),
    };

    check_resources(root, true)?;

    let mut bindings: Vec<Binding> = Vec::new();
    let mut graph: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, svc) in services_map {
        let name = scalar_string(name).unwrap_or_default();
        let path = KeyPath::root().key("services").key(&name);
        let Value::Mapping(svc) = svc else { continue };
        check_service_refs(svc, &name, &path, &defined)?;
        let deps = service_deps(svc, &name, &path, &defined.services, &mut warnings)?;
        graph.insert(name.clone(), deps);
        if !swarm {
            service_bindings(svc, &name, &path, &mut bindings)?;
        }
    }

    if let Some(cycle) = find_cycle(&graph) {
        return Err(LoadError::new(
            ErrorKind::Semantic,
            format!("dependency cycle detected: {}", cycle.join(" -> ")),
        )
        .at(KeyPath::root().key("services").key(cycle.first().cloned().unwrap_or_default()).key("depends_on"))
        .hint("remove one of the depends_on links (or links / volumes_from / service: references) in the cycle"));
    }

    if !swarm {
        check_host_ports(&bindings)?;
        check_container_names(services_map)?;
    }
    Ok(warnings)
}

/// A published port's `host_ip` (long syntax) must be an IP address (compose-go's transform:
/// `invalid ip address: localhost`); the short syntax is checked when it is parsed.
fn check_port_ips(svc: &Mapping, path: &KeyPath) -> Result<(), LoadError> {
    let Some(Value::Sequence(ports)) = svc.field("ports") else {
        return Ok(());
    };
    for (i, p) in ports.iter().enumerate() {
        let Value::Mapping(p) = p else { continue };
        let Some(ip) = p.field("host_ip") else {
            continue;
        };
        let text = scalar_string(ip).unwrap_or_default();
        // `${VAR}` left by --no-interpolate cannot be checked.
        if text.contains('$') || text.parse::<std::net::IpAddr>().is_ok() {
            continue;
        }
        return Err(sem(
            path.key("ports").index(i),
            format!("invalid ip address: {text}"),
        )
        .hint("give host_ip as an IPv4 or IPv6 address (0.0.0.0 for all), or leave it out"));
    }
    Ok(())
}

/// How much of compose-go's load-time checking a load gets (see [`check_load_time`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LoadChecks {
    /// The model map `config --variables` reads (no schema): a bind mount's source only.
    Variables,
    /// The model map (`config --no-interpolate`): also external resources' attributes and
    /// device requests with both `count` and `device_ids`.
    Model,
    /// The typed project (`--no-consistency`): also a device request's `count` value.
    Typed,
}

/// The checks compose-go makes while it loads, which `--no-consistency` does not turn off: an
/// external resource with attributes it cannot have, a bind mount without a source, a device
/// request with both `count` and `device_ids` or a bad `count`; `level` says which apply.
pub fn check_load_time(doc: &Value, level: LoadChecks) -> Result<(), LoadError> {
    let Value::Mapping(root) = doc else {
        return Ok(());
    };
    if level >= LoadChecks::Model {
        check_resources(root, false)?;
    }
    let Some(Value::Mapping(services)) = root.field("services") else {
        return Ok(());
    };
    for (name, svc) in services {
        let name = scalar_string(name).unwrap_or_default();
        let path = KeyPath::root().key("services").key(&name);
        let Value::Mapping(svc) = svc else { continue };
        if let Some(Value::Sequence(mounts)) = svc.field("volumes") {
            for (i, m) in mounts.iter().enumerate() {
                let Value::Mapping(m) = m else { continue };
                let kind = m.field("type").and_then(Value::as_str);
                let source = m.field("source").and_then(Value::as_str).unwrap_or("");
                if kind == Some("bind") && source.is_empty() {
                    return Err(sem(
                        path.key("volumes").index(i),
                        "invalid mount config for type \"bind\": field Source must not be empty",
                    ));
                }
            }
        }
        if level >= LoadChecks::Model {
            check_device_requests(svc, &path, level == LoadChecks::Typed)?;
            check_port_ips(svc, &path)?;
        }
    }
    Ok(())
}

/// The names defined at the top level, which services may refer to.
struct Defined {
    networks: BTreeSet<String>,
    volumes: BTreeSet<String>,
    secrets: BTreeSet<String>,
    configs: BTreeSet<String>,
    models: BTreeSet<String>,
    services: BTreeSet<String>,
}

/// One service's own consistency and its references to networks, volumes, secrets, configs and
/// (through `network_mode: service:x`) other services.
fn check_service_refs(
    svc: &Mapping,
    name: &str,
    path: &KeyPath,
    defined: &Defined,
) -> Result<(), LoadError> {
    // An empty image (`image: ${UNSET}`) is no image, as in compose-go.
    let has_image = svc
        .field("image")
        .is_some_and(|i| !matches!(i, Value::Null) && i.as_str() != Some(""));
    if !has_image && !svc.has_field("build") && !svc.has_field("provider") {
        return Err(sem(
            path.clone(),
            format!("service {name:?} has neither an image nor a build context specified"),
        )
        .hint("add `image:` or `build:` to the service"));
    }
    let svc_networks: Vec<String> = match svc.field("networks") {
        Some(Value::Mapping(m)) => m.keys().filter_map(scalar_string).collect(),
        _ => Vec::new(),
    };
    if svc.has_field("network_mode") && !svc_networks.is_empty() {
        return Err(sem(
            path.key("network_mode"),
            format!("service {name} declares mutually exclusive `network_mode` and `networks`"),
        )
        .hint("remove one of them"));
    }
    for net in &svc_networks {
        if !defined.networks.contains(net) {
            let hint = if net.starts_with("x-") {
                "a top-level key starting with `x-` is an extension, not a network: rename the network"
                    .to_string()
            } else {
                format!("declare it under the top-level `networks:` key, e.g. `networks: {{{net}: {{}}}}`")
            };
            return Err(sem(
                path.key("networks").key(net),
                format!("service {name:?} refers to undefined network {net}"),
            )
            .hint(hint));
        }
    }
    let svc_models: Vec<String> = match svc.field("models") {
        Some(Value::Mapping(m)) => m.keys().filter_map(scalar_string).collect(),
        Some(Value::Sequence(s)) => s.iter().filter_map(scalar_string).collect(),
        _ => Vec::new(),
    };
    if let Some(model) = svc_models.iter().find(|m| !defined.models.contains(*m)) {
        return Err(sem(
            path.key("models").key(model),
            format!("service {name:?} refers to undefined model {model}"),
        )
        .hint(format!("declare it under the top-level `models:` key, e.g. `models: {{{model}: {{model: ai/...}}}}`")));
    }
    check_build_platforms(svc, path)?;
    if let Some(target) = svc
        .field("network_mode")
        .and_then(Value::as_str)
        .and_then(|m| m.strip_prefix("service:"))
    {
        if !defined.services.contains(target) {
            return Err(sem(
                path.key("network_mode"),
                format!("service {target:?} not found for network_mode 'service:{target}'"),
            ));
        }
    }
    check_mounts(svc, name, path, &defined.volumes)?;
    for (kind, names) in [("secrets", &defined.secrets), ("configs", &defined.configs)] {
        check_grants(svc.field(kind), kind, name, &path.key(kind), names)?;
    }
    if let Some(Value::Mapping(build)) = svc.field("build") {
        check_grants(
            build.field("secrets"),
            "secrets",
            name,
            &path.key("build").key("secrets"),
            &defined.secrets,
        )?;
    }
    check_device_requests(svc, path, true)
}

/// The services `svc` depends on; an undefined one is an error, or a warning when the
/// dependency is not `required`.
fn service_deps(
    svc: &Mapping,
    name: &str,
    path: &KeyPath,
    service_names: &BTreeSet<String>,
    warnings: &mut Warnings,
) -> Result<Vec<String>, LoadError> {
    let mut deps = Vec::new();
    let Some(Value::Mapping(d)) = svc.field("depends_on") else {
        return Ok(deps);
    };
    for (dep, cfg) in d {
        let dep = scalar_string(dep).unwrap_or_default();
        let required = match cfg {
            Value::Mapping(c) => !matches!(c.field("required"), Some(Value::Bool(false))),
            _ => true,
        };
        if !service_names.contains(&dep) {
            if required {
                return Err(sem(
                    path.key("depends_on").key(&dep),
                    format!("service {name:?} depends on undefined service {dep:?}"),
                )
                .hint(
                    close_match(&dep, service_names)
                        .map(|m| format!("did you mean {m:?}?"))
                        .unwrap_or_else(|| "define the service or remove the dependency".into()),
                ));
            }
            warnings.push(format!(
                "service {name:?} depends on undefined service {dep:?} (not required, ignored)"
            ));
            continue;
        }
        deps.push(dep);
    }
    Ok(deps)
}

/// Adds the fixed host ports `svc` publishes to `bindings`; `container_name` with several
/// replicas is an error.
fn service_bindings(
    svc: &Mapping,
    name: &str,
    path: &KeyPath,
    bindings: &mut Vec<Binding>,
) -> Result<(), LoadError> {
    let scale = service_scale(svc);
    if svc.has_field("container_name") && scale > 1 {
        return Err(sem(
            path.key("container_name"),
            format!("service {name:?}: can't set container_name and scale/replicas > 1 ({scale}) as container names must be unique"),
        )
        .hint("remove container_name, or run a single replica"));
    }
    let Some(Value::Sequence(ports)) = svc.field("ports") else {
        return Ok(());
    };
    for (index, p) in ports.iter().enumerate() {
        let Value::Mapping(p) = p else { continue };
        let Some((start, end)) = p
            .field("published")
            .and_then(scalar_string)
            .and_then(|x| published_range(&x))
        else {
            continue;
        };
        bindings.push(Binding {
            service: name.to_string(),
            index,
            scale,
            ip: p
                .field("host_ip")
                .and_then(scalar_string)
                .unwrap_or_default(),
            start,
            end,
            protocol: p
                .field("protocol")
                .and_then(scalar_string)
                .unwrap_or_else(|| "tcp".into()),
        });
    }
    Ok(())
}

/// Two services may not use the same `container_name`.
fn check_container_names(services_map: &Mapping) -> Result<(), LoadError> {
    let mut container_names: BTreeMap<String, String> = BTreeMap::new();
    for (name, svc) in services_map {
        let name = scalar_string(name).unwrap_or_default();
        let Some(cn) = svc.field("container_name").and_then(scalar_string) else {
            continue;
        };
        if let Some(first) = container_names.get(&cn) {
            return Err(sem(
                KeyPath::root()
                    .key("services")
                    .key(&name)
                    .key("container_name"),
                format!(
                    "services {first:?} and {name:?} both use container_name {cn:?}; container names must be unique"
                ),
            )
            .hint("rename one of them, or remove container_name to let the container be named <project>-<service>-<n>"));
        }
        container_names.insert(cn, name);
    }
    Ok(())
}

/// Two containers cannot bind the same host port: two services publishing the same fixed port
/// (same protocol, overlapping host IPs), or one service running several replicas of a fixed
/// port, is an error. A range (`8000-8010:80`) is a pool the engine picks from, not a clash.
fn check_host_ports(bindings: &[Binding]) -> Result<(), LoadError> {
    let fixed = |x: &Binding| x.start == x.end;
    let at = |x: &Binding| {
        KeyPath::root()
            .key("services")
            .key(&x.service)
            .key("ports")
            .index(x.index)
    };
    let shown = |x: &Binding| {
        if x.ip.is_empty() {
            format!("{}/{}", x.start, x.protocol)
        } else {
            format!("{}:{}/{}", x.ip, x.start, x.protocol)
        }
    };
    for (i, a) in bindings.iter().enumerate() {
        if fixed(a) && a.scale > 1 {
            return Err(sem(
                at(a),
                format!(
                    "service {:?} publishes host port {} but runs {} replicas; only one container can bind it",
                    a.service,
                    shown(a),
                    a.scale
                ),
            )
            .hint(format!(
                "publish a range (\"{}-{}:<container port>\"), leave the host port out to let the engine pick one, or run a single replica",
                a.start,
                a.start.saturating_add(a.scale - 1)
            )));
        }
        for b in bindings.iter().skip(i + 1) {
            if a.protocol == b.protocol
                && ips_overlap(&a.ip, &b.ip)
                && fixed(a)
                && fixed(b)
                && a.start == b.start
            {
                let who = if a.service == b.service {
                    format!(
                        "service {:?} publishes host port {} twice",
                        a.service,
                        shown(b)
                    )
                } else {
                    format!(
                        "services {:?} and {:?} both publish host port {}",
                        a.service,
                        b.service,
                        shown(b)
                    )
                };
                return Err(sem(at(b), format!("{who}; they cannot run at the same time"))
                    .hint("publish one of them on another host port, bind them to different host IPs (\"127.0.0.1:8080:80\"), or leave the host port out to let the engine pick one"));
            }
        }
    }
    Ok(())
}

fn close_match(name: &str, candidates: &BTreeSet<String>) -> Option<String> {
    let all: Vec<String> = candidates.iter().cloned().collect();
    did_you_mean(name, &all)
}

/// `sources`: also check that a resource that is not external has a source (a consistency
/// check, off with `--no-consistency`; the external conflicts are checked while loading).
fn check_resources(root: &Mapping, sources: bool) -> Result<(), LoadError> {
    for (kind, conflicting) in [
        ("volumes", &["driver", "driver_opts", "labels"][..]),
        (
            "networks",
            &["driver", "driver_opts", "labels", "ipam", "internal"][..],
        ),
        (
            "secrets",
            &["driver", "driver_opts", "labels", "file", "environment"][..],
        ),
        ("configs", &["labels", "file", "environment", "content"][..]),
    ] {
        let Some(Value::Mapping(defs)) = root.get(kind) else {
            continue;
        };
        for (key, def) in defs {
            let key = scalar_string(key).unwrap_or_default();
            let Value::Mapping(def) = def else { continue };
            let external = matches!(def.field("external"), Some(Value::Bool(true)));
            if !external {
                if sources {
                    check_source(def, kind, &key)?;
                }
                continue;
            }
            for attr in conflicting {
                if def.contains_key(*attr) {
                    return Err(sem(
                        KeyPath::root().key(kind).key(&key),
                        format!("conflicting parameters \"external\" and \"{attr}\" specified"),
                    )
                    .hint(format!(
                        "an external {} is created outside compose: remove `{attr}` or `external`",
                        &kind[..kind.len() - 1]
                    )));
                }
            }
        }
    }
    Ok(())
}

/// `build.platforms`, when given, must include the service's `platform` (compose-go's rule).
fn check_build_platforms(svc: &Mapping, path: &KeyPath) -> Result<(), LoadError> {
    let (Some(platform), Some(Value::Mapping(build))) = (
        svc.field("platform").and_then(Value::as_str),
        svc.field("build"),
    ) else {
        return Ok(());
    };
    let Some(Value::Sequence(platforms)) = build.field("platforms") else {
        return Ok(());
    };
    if platform.is_empty()
        || platforms.is_empty()
        || platforms.iter().any(|p| p.as_str() == Some(platform))
    {
        return Ok(());
    }
    Err(sem(
        path.key("build").key("platforms"),
        format!("service.build.platforms MUST include service.platform {platform:?}"),
    )
    .hint(format!(
        "add {platform} to build.platforms, or change `platform:`"
    )))
}

/// A secret that is not external needs `file` or `environment`; a config also may have
/// `content` (compose-go's rule, whether or not a service uses it).
fn check_source(def: &Mapping, kind: &str, key: &str) -> Result<(), LoadError> {
    let sources: &[&str] = match kind {
        "secrets" => &["file", "environment"],
        "configs" => &["file", "environment", "content"],
        _ => return Ok(()),
    };
    if sources.iter().any(|s| def.contains_key(*s)) {
        return Ok(());
    }
    let singular = &kind[..kind.len() - 1];
    let names: Vec<String> = sources.iter().map(|s| format!("`{s}`")).collect();
    Err(sem(
        KeyPath::root().key(kind).key(key),
        format!(
            "{singular} {key:?} must declare one of {}",
            join_or(&names)
        ),
    )
    .hint("give it a `file:` (or `environment:`), or mark it `external: true` if it is created outside compose"))
}

fn check_mounts(
    svc: &Mapping,
    name: &str,
    path: &KeyPath,
    volumes: &BTreeSet<String>,
) -> Result<(), LoadError> {
    let Some(Value::Sequence(mounts)) = svc.field("volumes") else {
        return Ok(());
    };
    let mut targets = BTreeSet::new();
    for (i, m) in mounts.iter().enumerate() {
        let Value::Mapping(m) = m else { continue };
        let mpath = path.key("volumes").index(i);
        let kind = m.field("type").and_then(Value::as_str).unwrap_or("");
        let source = m.field("source").and_then(Value::as_str).unwrap_or("");
        match kind {
            "bind" if source.is_empty() => {
                return Err(sem(
                    mpath,
                    "invalid mount config for type \"bind\": field Source must not be empty",
                ))
            }
            // `${VAR}` left by --no-interpolate cannot be checked.
            "volume"
                if !source.is_empty() && !source.contains('$') && !volumes.contains(source) =>
            {
                return Err(sem(
                    mpath,
                    format!("service {name:?} refers to undefined volume {source}"),
                )
                .hint(format!(
                "declare it under the top-level `volumes:` key, or use ./{source} for a bind mount"
            )))
            }
            _ => {}
        }
        if let Some(t) = m.field("target").and_then(Value::as_str) {
            if !targets.insert(t.to_string()) {
                return Err(sem(mpath, format!("duplicate mount target {t:?}")));
            }
        }
    }
    Ok(())
}

fn check_grants(
    grants: Option<&Value>,
    kind: &str,
    name: &str,
    path: &KeyPath,
    defined: &BTreeSet<String>,
) -> Result<(), LoadError> {
    let Some(Value::Sequence(list)) = grants else {
        return Ok(());
    };
    for (i, g) in list.iter().enumerate() {
        let source = match g {
            Value::Mapping(m) => m.field("source").and_then(scalar_string),
            other => scalar_string(other),
        };
        if let Some(source) = source {
            if !defined.contains(&source) {
                let singular = &kind[..kind.len() - 1];
                return Err(sem(
                    path.index(i),
                    format!("service {name:?} refers to undefined {singular} {source}"),
                )
                .hint(format!("declare it under the top-level `{kind}:` key")));
            }
        }
    }
    Ok(())
}

/// `counts`: also check that a `count` is `all` or a number.
fn check_device_requests(svc: &Mapping, path: &KeyPath, counts: bool) -> Result<(), LoadError> {
    let Some(Value::Mapping(deploy)) = svc.field("deploy") else {
        return Ok(());
    };
    let Some(Value::Mapping(res)) = deploy.field("resources") else {
        return Ok(());
    };
    let Some(Value::Mapping(resv)) = res.field("reservations") else {
        return Ok(());
    };
    let Some(Value::Sequence(devs)) = resv.field("devices") else {
        return Ok(());
    };
    let base = path
        .key("deploy")
        .key("resources")
        .key("reservations")
        .key("devices");
    for (i, d) in devs.iter().enumerate() {
        let Value::Mapping(d) = d else { continue };
        if d.has_field("count") && d.has_field("device_ids") {
            return Err(sem(
                base.index(i),
                "\"count\" and \"device_ids\" attributes are exclusive",
            ));
        }
        if let Some(Value::String(c)) = d.field("count").filter(|_| counts) {
            if c != "all" && c.parse::<i64>().is_err() {
                return Err(sem(
                    base.index(i).key("count"),
                    format!("invalid value {c:?}, the only value allowed is 'all' or a number"),
                ));
            }
        }
    }
    Ok(())
}

/// The first dependency cycle, services visited in name order: `[a, b, a]` (the model's
/// [`ServiceGraph`](crate::model::ServiceGraph) answers it).
fn find_cycle(graph: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    crate::model::ServiceGraph::new(graph.iter().map(|(k, v)| (k.clone(), v.iter().cloned())))
        .find_cycle()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn y(text: &str) -> Value {
        serde_yaml::from_str(text).expect("test yaml")
    }

    fn schema_err(text: &str) -> LoadError {
        validate_schema(
            &y(text),
            &[(PathBuf::from("compose.yaml"), text.to_string())],
        )
        .expect_err("schema error expected")
    }

    #[test]
    fn schema_compiles_and_accepts_a_simple_file() {
        validate_schema(&y("services:\n  web:\n    image: nginx\n"), &[]).expect("valid");
    }

    #[test]
    fn unknown_key_gets_did_you_mean_and_location() {
        let text = "services:\n  web:\n    image: nginx\n    enviroment:\n      A: b\n";
        let e = schema_err(text);
        assert_eq!(e.message, "additional properties 'enviroment' not allowed");
        assert_eq!(e.path, Some(KeyPath::parse("services.web")));
        assert_eq!(e.hint.as_deref(), Some("did you mean \"environment\"?"));
        assert_eq!(e.file, Some(PathBuf::from("compose.yaml")));
        assert_eq!((e.line, e.column), (Some(4), Some(5)));
    }

    #[test]
    fn wrong_types_read_like_compose() {
        let e = schema_err("services:\n  foo:\n    image: [x]\n");
        assert_eq!(
            e.to_string().lines().next(),
            Some("compose.yaml:3:5: services.foo.image: must be a string")
        );
        let e = schema_err("services:\n  foo:\n    image: x\n    environment:\n      FOO: [1]\n");
        assert_eq!(e.message, "must be a boolean, null, number or string");
        assert_eq!(e.path, Some(KeyPath::parse("services.foo.environment.FOO")));
        let e = schema_err("services: []\n");
        assert_eq!(e.message, "must be a mapping");
    }

    #[test]
    fn missing_property_and_enum() {
        let e = schema_err(
            "services:\n  web:\n    image: x\n    develop:\n      watch:\n        - path: .\n",
        );
        assert_eq!(e.message, "missing property 'action'");
        assert_eq!(
            e.path,
            Some(KeyPath::parse("services.web.develop.watch[0]"))
        );
        let e = schema_err("services:\n  web:\n    image: x\n    depends_on:\n      db:\n        condition: started\n");
        assert!(
            e.message.starts_with("must be one of 'service_started'"),
            "{}",
            e.message
        );
    }

    #[test]
    fn non_string_keys_are_rejected() {
        let e = schema_err("services:\n  123:\n    image: x\n");
        assert_eq!(e.message, "non-string key in services: 123");
    }

    #[test]
    fn locate_finds_nested_keys_and_items() {
        let text = "services:\n  web:\n    volumes:\n      - ./a:/a\n      - type: bind\n        source: x\n";
        assert_eq!(
            locate(text, &KeyPath::parse("services.web.volumes[1].source")),
            Some((5, (6, 9)))
        );
        assert_eq!(
            locate(text, &KeyPath::parse("services.web.nope")).map(|x| x.0),
            None
        );
    }

    fn sem_err(text: &str) -> LoadError {
        let mut doc = y(text);
        crate::loader::normalize::normalize(&mut doc, "p").expect("normalize");
        check_semantics(&doc).expect_err("semantic error expected")
    }

    #[test]
    fn undefined_references() {
        assert_eq!(
            sem_err("services:\n  web: {image: x, networks: [foo]}\n").message,
            "service \"web\" refers to undefined network foo"
        );
        assert_eq!(
            sem_err("services:\n  web: {image: x, volumes: ['data:/d']}\n").message,
            "service \"web\" refers to undefined volume data"
        );
        assert_eq!(
            sem_err("services:\n  web: {image: x, secrets: [s]}\n").message,
            "service \"web\" refers to undefined secret s"
        );
        assert_eq!(
            sem_err("services:\n  web: {image: x, depends_on: [db]}\n").message,
            "service \"web\" depends on undefined service \"db\""
        );
        assert_eq!(
            sem_err("services:\n  web: {}\n").message,
            "service \"web\" has neither an image nor a build context specified"
        );
    }

    /// Files docker compose v5.6.1 rejects (and compose-go's consistency checks name).
    #[test]
    fn references_and_sources_v5_rejects() {
        assert_eq!(
            sem_err("services:\n  web: {image: '', command: top}\n").message,
            "service \"web\" has neither an image nor a build context specified"
        );
        assert_eq!(
            sem_err("services:\n  web: {image: x, models: [llm]}\n").message,
            "service \"web\" refers to undefined model llm"
        );
        assert_eq!(
            sem_err("services:\n  web: {image: x, networks: [x-n]}\nnetworks: {x-n: {}}\n").message,
            "service \"web\" refers to undefined network x-n"
        );
        assert_eq!(
            sem_err("services:\n  web:\n    image: x\n    platform: linux/riscv64\n    build: {context: ., platforms: [linux/amd64]}\n").message,
            "service.build.platforms MUST include service.platform \"linux/riscv64\""
        );
        assert_eq!(
            sem_err("services:\n  web: {image: x}\nsecrets: {s: {driver: d}}\n").message,
            "secret \"s\" must declare one of `file` or `environment`"
        );
        assert_eq!(
            sem_err("services:\n  web: {image: x}\nconfigs: {c: {name: n}}\n").message,
            "config \"c\" must declare one of `file`, `environment` or `content`"
        );
    }

    #[test]
    fn dependency_cycles_report_the_chain() {
        let e = sem_err("services:\n  a: {image: x, depends_on: [b]}\n  b: {image: x, depends_on: [c]}\n  c: {image: x, links: [a]}\n");
        assert_eq!(e.message, "dependency cycle detected: a -> b -> c -> a");
        let e = sem_err("services:\n  a: {image: x, depends_on: [a]}\n");
        assert_eq!(e.message, "dependency cycle detected: a -> a");
    }

    #[test]
    fn conflicts() {
        assert!(
            sem_err("services:\n  a: {image: x, container_name: c, scale: 2}\n")
                .message
                .contains("container_name")
        );
        assert_eq!(
            sem_err("services:\n  a: {image: x, network_mode: host, networks: [n]}\nnetworks: {n: {}}\n").message,
            "service a declares mutually exclusive `network_mode` and `networks`"
        );
        assert_eq!(
            sem_err("services: {}\nvolumes:\n  v: {external: true, driver: foo}\n").message,
            "conflicting parameters \"external\" and \"driver\" specified"
        );
    }

    #[test]
    fn same_host_port_twice_is_an_error_naming_both() {
        let ok = |text: &str| {
            let mut doc = y(text);
            crate::loader::normalize::normalize(&mut doc, "p").expect("normalize");
            check_semantics(&doc).expect(text);
        };
        let e = sem_err("services:\n  a: {image: x, ports: ['8080:80']}\n  b: {image: x, ports: ['9000:1', '8080:81']}\n");
        assert!(
            e.message
                .contains("services \"a\" and \"b\" both publish host port 8080/tcp"),
            "{}",
            e.message
        );
        assert_eq!(
            e.path.as_ref().map(ToString::to_string).as_deref(),
            Some("services.b.ports[1]")
        );
        assert!(e.hint.is_some());
        // Different host IPs, protocols or ranges do not clash.
        ok("services:\n  a: {image: x, ports: ['127.0.0.1:8080:80', '8080:80/udp', '7000-7005:80']}\n  b: {image: x, ports: ['127.0.0.2:8080:81', '7000-7005:81']}\n");
        // A wildcard host IP clashes with a specific one.
        sem_err("services:\n  a: {image: x, ports: ['8080:80']}\n  b: {image: x, ports: ['127.0.0.1:8080:81']}\n");
        // Replicas of a fixed host port clash with each other.
        let e = sem_err("services:\n  a: {image: x, ports: ['8080:80'], deploy: {replicas: 2}}\n");
        assert!(e.message.contains("2 replicas"), "{}", e.message);
        ok("services:\n  a: {image: x, ports: ['80'], deploy: {replicas: 2}}\n");
    }

    #[test]
    fn duplicate_container_name_names_both_services() {
        let e = sem_err("services:\n  a: {image: x, container_name: same}\n  b: {image: x, container_name: same}\n");
        assert!(
            e.message
                .contains("services \"a\" and \"b\" both use container_name \"same\""),
            "{}",
            e.message
        );
        assert_eq!(
            e.path.as_ref().map(ToString::to_string).as_deref(),
            Some("services.b.container_name")
        );
    }
}
