//! Variable interpolation: `${VAR}` and friends, in strings and in whole YAML value trees.
//!
//! Owns the template language the Compose Specification defines (the same one compose-go's
//! `template` package implements, which `.env` files also use):
//!
//! | form | result |
//! |---|---|
//! | `$VAR`, `${VAR}` | the value, or empty (with a warning) when unset |
//! | `${VAR:-default}` / `${VAR-default}` | `default` when unset or empty / only when unset |
//! | `${VAR:?message}` / `${VAR?message}` | an error when unset or empty / only when unset |
//! | `${VAR:+alternate}` / `${VAR+alternate}` | `alternate` when set and non-empty / when set |
//! | `$$` | a literal `$` |
//!
//! Defaults, messages and alternates may nest further references (`${A:-${B:-x}}`). They are
//! evaluated lazily, as a shell does: a default is only expanded when it is used (compose-go
//! expands it eagerly, so it may warn about, or fail on, a default it then throws away).
//!
//! The tree walk ([`interpolate`]) substitutes every string *value*, never a key, and then casts
//! the strings found at the paths compose-go types (`services.*.ports[].target`,
//! `services.*.privileged`...) to integers, floats or booleans, as compose-go's
//! `interpolateTypeCastMapping` does, so `replicas: ${N}` validates as an integer.
//!
//! Pure: no I/O, no process environment (variables come through a [`Lookup`]). Must not import
//! `engine`, `exec`, `plan`, `cli` or `model`.

// `LoadError` is the loader's shared, deliberately rich error type (file, line, key path, hint).
#![allow(clippy::result_large_err)]

use serde_yaml::{Number, Value};

use super::error::{ErrorKind, KeyPath, LoadError, Seg, Warnings};

/// Where variable values come from: the project [`Environment`](super::environment::Environment),
/// a map in a test, or any closure `Fn(&str) -> Option<String>`.
pub trait Lookup {
    /// The value of `name`, or `None` when it is unset (an empty value is *set*).
    fn lookup(&self, name: &str) -> Option<String>;
}

impl<F> Lookup for F
where
    F: Fn(&str) -> Option<String>,
{
    fn lookup(&self, name: &str) -> Option<String> {
        self(name)
    }
}

/// How deeply `${A:-${B:-...}}` may nest before we refuse the template (a guard against
/// pathological input blowing the stack; real files nest two or three levels).
const MAX_NESTING: usize = 64;

/// Why a template could not be substituted. Converted to a [`LoadError`] by the callers that know
/// where the template came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// Malformed syntax: a lone `$`, `${`, `${}`, `${ foo}`, `${foo!}`, an unclosed `${`...
    Invalid {
        /// The whole string that was being substituted.
        template: String,
        /// What exactly is wrong.
        detail: String,
    },
    /// `${VAR:?message}` or `${VAR?message}` on a variable without a (non-empty) value.
    MissingRequired { name: String, message: String },
    /// A plain `$VAR` / `${VAR}` on an unset variable, in strict mode.
    Unset { name: String },
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Invalid { template, detail } => {
                write!(f, "invalid interpolation format in {template:?}: {detail}")
            }
            TemplateError::MissingRequired { name, message } => {
                write!(f, "required variable {name} is missing a value")?;
                if !message.is_empty() {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            TemplateError::Unset { name } => write!(f, "variable {name:?} is not set"),
        }
    }
}

impl std::error::Error for TemplateError {}

impl TemplateError {
    /// What to do about it, for [`LoadError::hint`].
    pub fn hint(&self) -> String {
        match self {
            TemplateError::Invalid { .. } => {
                "write a literal `$` as `$$`; a reference looks like $NAME or ${NAME} \
                 (letters, digits and `_`, not starting with a digit)"
                    .to_string()
            }
            TemplateError::MissingRequired { name, .. } => {
                format!("set {name} in the shell or in the .env file")
            }
            TemplateError::Unset { name } => format!(
                "set {name} in the shell or in the .env file, or give a default: ${{{name}:-default}}"
            ),
        }
    }

    /// The load error for this problem at `path` (a key path inside a compose document).
    pub fn into_load_error(self, path: KeyPath) -> LoadError {
        let hint = self.hint();
        LoadError::new(ErrorKind::Interpolation, self.to_string())
            .at(path)
            .hint(hint)
    }
}

/// The result of substituting one string.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Substituted {
    pub value: String,
    /// Unset variables that defaulted to a blank string, in order of appearance, without repeats.
    pub unset: Vec<String>,
}

/// The warning compose prints for an unset variable (word for word).
pub fn unset_warning(name: &str) -> String {
    format!("The \"{name}\" variable is not set. Defaulting to a blank string.")
}

/// Substitutes every reference in `template`. In `strict` mode an unset plain reference is an
/// error instead of an empty string.
pub fn substitute(
    template: &str,
    lookup: &dyn Lookup,
    strict: bool,
) -> Result<Substituted, TemplateError> {
    if !template.contains('$') {
        return Ok(Substituted {
            value: template.to_string(),
            unset: Vec::new(),
        });
    }
    let mut cx = Cx {
        lookup,
        strict,
        template,
        unset: Vec::new(),
    };
    let value = expand(template, &mut cx, 0)?;
    Ok(Substituted {
        value,
        unset: cx.unset,
    })
}

struct Cx<'a> {
    lookup: &'a dyn Lookup,
    strict: bool,
    template: &'a str,
    unset: Vec<String>,
}

impl Cx<'_> {
    fn invalid(&self, detail: impl Into<String>) -> TemplateError {
        TemplateError::Invalid {
            template: self.template.to_string(),
            detail: detail.into(),
        }
    }

    /// A plain reference: the value, or "" (recorded, or an error in strict mode).
    fn plain(&mut self, name: &str) -> Result<String, TemplateError> {
        match self.lookup.lookup(name) {
            Some(v) => Ok(v),
            None if self.strict => Err(TemplateError::Unset {
                name: name.to_string(),
            }),
            None => {
                if !self.unset.iter().any(|n| n == name) {
                    self.unset.push(name.to_string());
                }
                Ok(String::new())
            }
        }
    }
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// End (exclusive) of the variable name starting at `start` (which must be a name start).
fn name_end(bytes: &[u8], start: usize) -> usize {
    let mut end = start;
    while bytes.get(end).copied().is_some_and(is_name_char) {
        end += 1;
    }
    end
}

fn expand(s: &str, cx: &mut Cx<'_>, depth: usize) -> Result<String, TemplateError> {
    if depth > MAX_NESTING {
        return Err(cx.invalid(format!(
            "references nest more than {MAX_NESTING} levels deep"
        )));
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut literal_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) != Some(&b'$') {
            i += 1;
            continue;
        }
        // `$` is ASCII, so both ends of the literal run are char boundaries.
        out.push_str(s.get(literal_start..i).unwrap_or_default());
        let next = expand_reference(s, i, cx, depth, &mut out)?;
        i = next;
        literal_start = next;
    }
    out.push_str(s.get(literal_start..).unwrap_or_default());
    Ok(out)
}

/// Expands the reference whose `$` is at `dollar`, appending to `out`; returns where the text
/// after it starts.
fn expand_reference(
    s: &str,
    dollar: usize,
    cx: &mut Cx<'_>,
    depth: usize,
    out: &mut String,
) -> Result<usize, TemplateError> {
    let bytes = s.as_bytes();
    match bytes.get(dollar + 1).copied() {
        Some(b'$') => {
            out.push('$');
            Ok(dollar + 2)
        }
        Some(b) if is_name_start(b) => {
            let end = name_end(bytes, dollar + 1);
            let name = s.get(dollar + 1..end).unwrap_or_default();
            out.push_str(&cx.plain(name)?);
            Ok(end)
        }
        Some(b'{') => expand_braced(s, dollar + 2, cx, depth, out),
        // As in compose-go (the specification's reference), a `$` that starts no reference —
        // `$(date)`, `$ `, a trailing `$` — is kept as written. (docker-compose v1 rejected it.)
        _ => {
            out.push('$');
            Ok(dollar + 1)
        }
    }
}

/// The operator of `${NAME<op>arg}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `-`: default.
    Default,
    /// `?`: required.
    Required,
    /// `+`: alternate.
    Alternate,
}

/// The operator part of `${NAME<op>arg}`.
#[derive(Debug, Clone, Copy)]
struct Operator {
    op: Op,
    /// The `:` forms also treat an empty value as absent.
    colon: bool,
    /// Where the argument starts.
    arg_start: usize,
}

/// Parses `NAME`, then `}` or an operator, starting at `start` (just after `${`). Returns the
/// name's end and the operator, if any.
fn parse_braced_head(bytes: &[u8], start: usize) -> Result<(usize, Option<Operator>), String> {
    match bytes.get(start).copied() {
        Some(b) if is_name_start(b) => {}
        Some(b'}') => return Err("`${}` names no variable".to_string()),
        Some(_) => {
            return Err(
                "a variable name must start right after `${` with a letter or `_`".to_string(),
            )
        }
        None => return Err("`${` is never closed".to_string()),
    }
    let end = name_end(bytes, start);
    let op_of = |b: u8| match b {
        b'-' => Some(Op::Default),
        b'?' => Some(Op::Required),
        b'+' => Some(Op::Alternate),
        _ => None,
    };
    match bytes.get(end).copied() {
        Some(b'}') => Ok((end, None)),
        Some(b':') => match bytes.get(end + 1).copied().and_then(op_of) {
            Some(op) => Ok((
                end,
                Some(Operator {
                    op,
                    colon: true,
                    arg_start: end + 2,
                }),
            )),
            None => Err("`:` must be followed by `-`, `?` or `+`".to_string()),
        },
        Some(b) => match op_of(b) {
            Some(op) => Ok((
                end,
                Some(Operator {
                    op,
                    colon: false,
                    arg_start: end + 1,
                }),
            )),
            None => Err(format!(
                "unexpected {:?} after the variable name (expected `}}`, `:-`, `-`, `:?`, `?`, `:+` or `+`)",
                char::from(b)
            )),
        },
        None => Err("`${` is never closed".to_string()),
    }
}

/// Finds the `}` that closes an argument starting at `start`, counting nested braces.
fn closing_brace(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 1usize;
    let mut i = start;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

fn expand_braced(
    s: &str,
    start: usize,
    cx: &mut Cx<'_>,
    depth: usize,
    out: &mut String,
) -> Result<usize, TemplateError> {
    let bytes = s.as_bytes();
    let (name_end, op) = parse_braced_head(bytes, start).map_err(|d| cx.invalid(d))?;
    let name = s.get(start..name_end).unwrap_or_default();
    let Some(Operator {
        op,
        colon,
        arg_start,
    }) = op
    else {
        out.push_str(&cx.plain(name)?);
        return Ok(name_end + 1);
    };
    let Some(close) = closing_brace(bytes, arg_start) else {
        return Err(cx.invalid(format!("`${{{name}` is never closed")));
    };
    let arg = s.get(arg_start..close).unwrap_or_default();
    let value = cx.lookup.lookup(name);
    // "Present" for this operator: set, and also non-empty for the `:` forms.
    let present = match &value {
        Some(v) => !(colon && v.is_empty()),
        None => false,
    };
    match op {
        Op::Default => {
            if present {
                out.push_str(&value.unwrap_or_default());
            } else {
                out.push_str(&expand(arg, cx, depth + 1)?);
            }
        }
        Op::Required => {
            if present {
                out.push_str(&value.unwrap_or_default());
            } else {
                let message = expand(arg, cx, depth + 1)?;
                return Err(TemplateError::MissingRequired {
                    name: name.to_string(),
                    message,
                });
            }
        }
        Op::Alternate => {
            if present {
                out.push_str(&expand(arg, cx, depth + 1)?);
            } else {
                out.push_str(&value.unwrap_or_default());
            }
        }
    }
    Ok(close + 1)
}

// ---------------------------------------------------------------------------------------------
// Variables used by a document (`config --variables`)
// ---------------------------------------------------------------------------------------------

/// One variable a document refers to, for `config --variables`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariableUse {
    pub name: String,
    /// `${NAME?...}` / `${NAME:?...}`.
    pub required: bool,
    /// The (unexpanded) default of `${NAME-default}` / `${NAME:-default}`.
    pub default: Option<String>,
    /// The (unexpanded) alternate of `${NAME+alt}` / `${NAME:+alt}` (compose: "PresenceValue").
    pub alternate: Option<String>,
}

/// Every variable referenced in the string values of `doc` (keys are never interpolated, so never
/// looked at), including references nested in defaults, sorted by name; a name used several times
/// is listed once, with the first use that says most (required, default or alternate).
/// Malformed templates are skipped: interpolation reports them.
pub fn variables(doc: &Value) -> Vec<VariableUse> {
    let mut found: Vec<VariableUse> = Vec::new();
    collect_variables(doc, &mut found);
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

fn collect_variables(v: &Value, found: &mut Vec<VariableUse>) {
    match v {
        Value::String(s) => scan_variables(s, found, 0),
        Value::Sequence(seq) => seq.iter().for_each(|x| collect_variables(x, found)),
        Value::Mapping(m) => m.values().for_each(|x| collect_variables(x, found)),
        Value::Tagged(t) => collect_variables(&t.value, found),
        _ => {}
    }
}

fn record(found: &mut Vec<VariableUse>, new: VariableUse) {
    let says_more = |u: &VariableUse| u.required || u.default.is_some() || u.alternate.is_some();
    match found.iter_mut().find(|u| u.name == new.name) {
        Some(old) => {
            if !says_more(old) && says_more(&new) {
                *old = new;
            }
        }
        None => found.push(new),
    }
}

fn scan_variables(s: &str, found: &mut Vec<VariableUse>, depth: usize) {
    if depth > MAX_NESTING {
        return;
    }
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i) != Some(&b'$') {
            i += 1;
            continue;
        }
        match bytes.get(i + 1).copied() {
            Some(b'$') => i += 2,
            Some(b) if is_name_start(b) => {
                let end = name_end(bytes, i + 1);
                let name = s.get(i + 1..end).unwrap_or_default().to_string();
                record(
                    found,
                    VariableUse {
                        name,
                        required: false,
                        default: None,
                        alternate: None,
                    },
                );
                i = end;
            }
            Some(b'{') => {
                let start = i + 2;
                let Ok((name_end, op)) = parse_braced_head(bytes, start) else {
                    i += 2;
                    continue;
                };
                let name = s.get(start..name_end).unwrap_or_default().to_string();
                let Some(Operator { op, arg_start, .. }) = op else {
                    record(
                        found,
                        VariableUse {
                            name,
                            required: false,
                            default: None,
                            alternate: None,
                        },
                    );
                    i = name_end + 1;
                    continue;
                };
                let Some(close) = closing_brace(bytes, arg_start) else {
                    i += 2;
                    continue;
                };
                let arg = s.get(arg_start..close).unwrap_or_default().to_string();
                scan_variables(&arg, found, depth + 1);
                let mut use_ = VariableUse {
                    name,
                    required: false,
                    default: None,
                    alternate: None,
                };
                match op {
                    Op::Default => use_.default = Some(arg),
                    Op::Required => use_.required = true,
                    Op::Alternate => use_.alternate = Some(arg),
                }
                record(found, use_);
                i = close + 1;
            }
            _ => i += 1,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tree walk
// ---------------------------------------------------------------------------------------------

/// Options for [`interpolate`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// An unset variable in a plain reference is an error, not an empty string.
    pub strict: bool,
}

/// Interpolates every string value of `doc` in place (keys are left alone), then casts the
/// strings at typed paths (see the module doc). Unset variables warn once each.
///
/// Errors carry the key path of the offending value; the caller adds the file
/// (`.map_err(|e| e.or_file(path))`).
pub fn interpolate(
    doc: &mut Value,
    lookup: &dyn Lookup,
    opts: &Options,
    warnings: &mut Warnings,
) -> Result<(), LoadError> {
    walk(doc, Steps::ROOT, lookup, opts, warnings)
}

fn key_segment(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_string(),
        _ => "?".to_string(),
    }
}

/// One step of the walk's position, borrowed from the tree.
#[derive(Debug, Clone, Copy)]
enum Step<'a> {
    Key(&'a str),
    /// A key that is not a string (never named by a cast pattern).
    OtherKey,
    Index,
}

/// The longest cast pattern (`services.*.volumes[].volume.nocopy`).
const MAX_STEPS: usize = 6;

/// The walk's position as far as casts care: its first [`MAX_STEPS`] steps and its depth. The full
/// key path is built only for an error, on the way back up ([`LoadError::under`]).
#[derive(Debug, Clone, Copy)]
struct Steps<'a> {
    depth: usize,
    at: [Step<'a>; MAX_STEPS],
}

impl<'a> Steps<'a> {
    const ROOT: Steps<'static> = Steps {
        depth: 0,
        at: [Step::Index; MAX_STEPS],
    };

    fn then(self, step: Step<'a>) -> Self {
        let mut next = self;
        if let Some(slot) = next.at.get_mut(self.depth) {
            *slot = step;
        }
        next.depth = self.depth.saturating_add(1);
        next
    }

    /// The steps, when the path is short enough for a cast pattern to match it.
    fn steps(&self) -> Option<&[Step<'a>]> {
        self.at.get(..self.depth)
    }
}

fn walk<'a>(
    v: &'a mut Value,
    at: Steps<'a>,
    lookup: &dyn Lookup,
    opts: &Options,
    warnings: &mut Warnings,
) -> Result<(), LoadError> {
    match v {
        Value::String(s) => {
            if s.contains('$') {
                let done = substitute(s, lookup, opts.strict)
                    .map_err(|e| e.into_load_error(KeyPath::root()))?;
                for name in &done.unset {
                    warnings.push(unset_warning(name));
                }
                *s = done.value;
            }
            if let Some(cast) = at.steps().and_then(cast_for_steps) {
                let text = std::mem::take(s);
                *v = apply_cast(cast, text, &KeyPath::root(), warnings)?;
            }
            Ok(())
        }
        Value::Sequence(seq) => {
            for (i, item) in seq.iter_mut().enumerate() {
                walk(item, at.then(Step::Index), lookup, opts, warnings)
                    .map_err(|e| e.under(Seg::Index(i)))?;
            }
            Ok(())
        }
        Value::Mapping(m) => {
            for (k, item) in m.iter_mut() {
                let step = match k {
                    Value::String(s) => Step::Key(s),
                    _ => Step::OtherKey,
                };
                walk(item, at.then(step), lookup, opts, warnings)
                    .map_err(|e| e.under(Seg::Key(key_segment(k))))?;
            }
            Ok(())
        }
        Value::Tagged(t) => walk(&mut t.value, at, lookup, opts, warnings),
        Value::Null | Value::Bool(_) | Value::Number(_) => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Type casts after interpolation (compose-go loader/interpolate.go)
// ---------------------------------------------------------------------------------------------

/// The type a string at a typed path is converted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cast {
    Int,
    /// A unix file mode: the text is octal (`"0440"`), as compose-go reads secret/config modes.
    FileMode,
    Float,
    Bool,
}

/// One step of a cast pattern.
#[derive(Debug, Clone, Copy)]
enum P {
    Key(&'static str),
    /// Any single step (compose-go `*`).
    Any,
    /// Any list index (compose-go `[]`).
    Item,
}

use P::{Any, Item, Key};

const SVC: [P; 2] = [Key("services"), Any];

/// Paths under `services.<name>.` and their types.
const SERVICE_CASTS: &[(&[P], Cast)] = &[
    (&[Key("configs"), Item, Key("mode")], Cast::FileMode),
    (&[Key("cpu_count")], Cast::Int),
    (&[Key("cpu_percent")], Cast::Float),
    (&[Key("cpu_period")], Cast::Int),
    (&[Key("cpu_quota")], Cast::Int),
    (&[Key("cpu_rt_period")], Cast::Int),
    (&[Key("cpu_rt_runtime")], Cast::Int),
    (&[Key("cpus")], Cast::Float),
    (&[Key("cpu_shares")], Cast::Int),
    (&[Key("init")], Cast::Bool),
    (&[Key("deploy"), Key("replicas")], Cast::Int),
    (
        &[Key("deploy"), Key("update_config"), Key("parallelism")],
        Cast::Int,
    ),
    (
        &[
            Key("deploy"),
            Key("update_config"),
            Key("max_failure_ratio"),
        ],
        Cast::Float,
    ),
    (
        &[Key("deploy"), Key("rollback_config"), Key("parallelism")],
        Cast::Int,
    ),
    (
        &[
            Key("deploy"),
            Key("rollback_config"),
            Key("max_failure_ratio"),
        ],
        Cast::Float,
    ),
    (
        &[Key("deploy"), Key("restart_policy"), Key("max_attempts")],
        Cast::Int,
    ),
    (
        &[
            Key("deploy"),
            Key("placement"),
            Key("max_replicas_per_node"),
        ],
        Cast::Int,
    ),
    (&[Key("healthcheck"), Key("retries")], Cast::Int),
    (&[Key("healthcheck"), Key("disable")], Cast::Bool),
    (&[Key("oom_kill_disable")], Cast::Bool),
    (&[Key("oom_score_adj")], Cast::Int),
    (&[Key("pids_limit")], Cast::Int),
    (&[Key("ports"), Item, Key("target")], Cast::Int),
    (&[Key("privileged")], Cast::Bool),
    (&[Key("read_only")], Cast::Bool),
    (&[Key("scale")], Cast::Int),
    (&[Key("secrets"), Item, Key("mode")], Cast::FileMode),
    (&[Key("stdin_open")], Cast::Bool),
    (&[Key("tty")], Cast::Bool),
    (&[Key("ulimits"), Any], Cast::Int),
    (&[Key("ulimits"), Any, Key("hard")], Cast::Int),
    (&[Key("ulimits"), Any, Key("soft")], Cast::Int),
    (&[Key("volumes"), Item, Key("read_only")], Cast::Bool),
    (
        &[Key("volumes"), Item, Key("volume"), Key("nocopy")],
        Cast::Bool,
    ),
];

/// Top-level paths and their types.
const TOP_CASTS: &[(&[P], Cast)] = &[
    (&[Key("networks"), Any, Key("external")], Cast::Bool),
    (&[Key("networks"), Any, Key("internal")], Cast::Bool),
    (&[Key("networks"), Any, Key("attachable")], Cast::Bool),
    (&[Key("networks"), Any, Key("enable_ipv6")], Cast::Bool),
    (&[Key("volumes"), Any, Key("external")], Cast::Bool),
    (&[Key("secrets"), Any, Key("external")], Cast::Bool),
    (&[Key("configs"), Any, Key("external")], Cast::Bool),
];

fn step_matches(p: P, s: &Step) -> bool {
    match (p, s) {
        (Any, _) => true,
        (Item, Step::Index) => true,
        (Key(k), Step::Key(sk)) => k == *sk,
        _ => false,
    }
}

fn matches(pattern: &[P], steps: &[Step]) -> bool {
    pattern.len() == steps.len()
        && pattern
            .iter()
            .zip(steps.iter())
            .all(|(p, s)| step_matches(*p, s))
}

/// The cast compose applies to a string at `path`, if any.
pub fn cast_for(path: &KeyPath) -> Option<Cast> {
    let steps: Vec<Step> = path
        .0
        .iter()
        .map(|s| match s {
            Seg::Key(k) => Step::Key(k),
            Seg::Index(_) => Step::Index,
        })
        .collect();
    cast_for_steps(&steps)
}

/// [`cast_for`] on the walk's borrowed steps. Most strings sit under a key no pattern ends with,
/// which one `match` rules out before any pattern is tried.
fn cast_for_steps(steps: &[Step]) -> Option<Cast> {
    let last = match steps.last() {
        Some(Step::Key(k)) => k,
        _ => return None,
    };
    let ulimit = matches!(steps.get(2), Some(Step::Key("ulimits"))) && steps.len() == 4;
    if !ulimit
        && !matches!(
            *last,
            "mode"
                | "cpu_count"
                | "cpu_percent"
                | "cpu_period"
                | "cpu_quota"
                | "cpu_rt_period"
                | "cpu_rt_runtime"
                | "cpus"
                | "cpu_shares"
                | "init"
                | "replicas"
                | "parallelism"
                | "max_failure_ratio"
                | "max_attempts"
                | "max_replicas_per_node"
                | "retries"
                | "disable"
                | "oom_kill_disable"
                | "oom_score_adj"
                | "pids_limit"
                | "target"
                | "privileged"
                | "read_only"
                | "scale"
                | "stdin_open"
                | "tty"
                | "hard"
                | "soft"
                | "nocopy"
                | "external"
                | "internal"
                | "attachable"
                | "enable_ipv6"
        )
    {
        return None;
    }
    if let Some(rest) = steps.get(SVC.len()..) {
        if matches(&SVC, steps.get(..SVC.len()).unwrap_or_default()) {
            if let Some((_, c)) = SERVICE_CASTS.iter().find(|(p, _)| matches(p, rest)) {
                return Some(*c);
            }
        }
    }
    TOP_CASTS
        .iter()
        .find(|(p, _)| matches(p, steps))
        .map(|(_, c)| *c)
}

/// Converts `text` per `cast`, as compose-go does (Go `strconv` rules; YAML 1.1 booleans are
/// accepted with a warning).
pub fn apply_cast(
    cast: Cast,
    text: String,
    path: &KeyPath,
    warnings: &mut Warnings,
) -> Result<Value, LoadError> {
    let fail = |what: &str, hint: &str| {
        LoadError::new(
            ErrorKind::Interpolation,
            format!("cannot use {text:?} here: expected {what}"),
        )
        .at(path.clone())
        .hint(hint.to_string())
    };
    match cast {
        Cast::Int => match text.parse::<i64>() {
            Ok(n) => Ok(Value::Number(Number::from(n))),
            Err(_) => Err(fail(
                "an integer",
                "check the variable's value (digits only, optionally signed)",
            )),
        },
        Cast::FileMode => {
            let t = text.trim();
            let digits = t
                .strip_prefix("0o")
                .or_else(|| t.strip_prefix("0O"))
                .unwrap_or(t);
            match u32::from_str_radix(digits, 8) {
                Ok(n) => Ok(Value::Number(Number::from(n))),
                Err(_) => Err(fail(
                    "an octal file mode",
                    "write the mode in octal, like \"0440\"",
                )),
            }
        }
        Cast::Float => match text.parse::<f64>() {
            Ok(f) => Ok(Value::Number(Number::from(f))),
            Err(_) => Err(fail("a number", "check the variable's value")),
        },
        Cast::Bool => match text.to_ascii_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            "y" | "yes" | "on" => {
                warnings.push(format!(
                    "{text:?} for boolean is not supported by YAML 1.2, please use `true`"
                ));
                Ok(Value::Bool(true))
            }
            "n" | "no" | "off" => {
                warnings.push(format!(
                    "{text:?} for boolean is not supported by YAML 1.2, please use `false`"
                ));
                Ok(Value::Bool(false))
            }
            _ => Err(fail("a boolean", "use true or false")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn sub(t: &str, e: &HashMap<String, String>) -> Result<String, TemplateError> {
        let l = |k: &str| e.get(k).cloned();
        substitute(t, &l, false).map(|s| s.value)
    }

    /// The quick rule-out in `cast_for_steps` must let every pattern through.
    #[test]
    fn every_cast_pattern_is_reached() {
        let concrete = |pattern: &[P]| -> Vec<String> {
            pattern
                .iter()
                .map(|p| match p {
                    Key(k) => format!(".{k}"),
                    Any => ".anything".to_string(),
                    Item => "[0]".to_string(),
                })
                .collect()
        };
        for (pattern, cast) in SERVICE_CASTS {
            let path = format!("services.web{}", concrete(pattern).concat());
            assert_eq!(cast_for(&KeyPath::parse(&path)), Some(*cast), "{path}");
        }
        for (pattern, cast) in TOP_CASTS {
            let path = concrete(pattern).concat();
            let path = path.trim_start_matches('.');
            assert_eq!(cast_for(&KeyPath::parse(path)), Some(*cast), "{path}");
        }
    }

    #[test]
    fn operators_follow_the_spec() {
        let e = env(&[("SET", "v"), ("EMPTY", "")]);
        assert_eq!(sub("${SET:-d}", &e).unwrap(), "v");
        assert_eq!(sub("${EMPTY:-d}", &e).unwrap(), "d");
        assert_eq!(sub("${EMPTY-d}", &e).unwrap(), "");
        assert_eq!(sub("${UNSET-d}", &e).unwrap(), "d");
        assert_eq!(sub("${SET:+a}", &e).unwrap(), "a");
        assert_eq!(sub("${EMPTY:+a}", &e).unwrap(), "");
        assert_eq!(sub("${EMPTY+a}", &e).unwrap(), "a");
        assert_eq!(sub("${UNSET+a}", &e).unwrap(), "");
        assert_eq!(sub("${EMPTY?x}", &e).unwrap(), "");
        assert!(matches!(
            sub("${EMPTY:?x}", &e),
            Err(TemplateError::MissingRequired { .. })
        ));
    }

    #[test]
    fn nesting_too_deep_is_an_error_not_a_crash() {
        let mut t = String::new();
        for _ in 0..10_000 {
            t.push_str("${A:-");
        }
        t.push('x');
        for _ in 0..10_000 {
            t.push('}');
        }
        assert!(matches!(
            sub(&t, &env(&[])),
            Err(TemplateError::Invalid { .. })
        ));
    }

    #[test]
    fn cast_paths_match_like_compose_go() {
        assert_eq!(
            cast_for(&KeyPath::parse("services.web.ports[0].target")),
            Some(Cast::Int)
        );
        assert_eq!(cast_for(&KeyPath::parse("services.web.ports[0]")), None);
        assert_eq!(
            cast_for(&KeyPath::parse("services.web.ports[0].published")),
            None
        );
        assert_eq!(
            cast_for(&KeyPath::parse("services.web.ulimits.nproc")),
            Some(Cast::Int)
        );
        assert_eq!(
            cast_for(&KeyPath::parse("networks.front.external")),
            Some(Cast::Bool)
        );
        assert_eq!(cast_for(&KeyPath::parse("services")), None);
    }

    #[test]
    fn secret_and_config_modes_are_octal() {
        let at = KeyPath::parse("services.web.secrets[0].mode");
        assert_eq!(cast_for(&at), Some(Cast::FileMode));
        assert_eq!(
            cast_for(&KeyPath::parse("services.web.configs[1].mode")),
            Some(Cast::FileMode)
        );
        let mut w = Warnings::default();
        for (text, want) in [("0400", 0o400), ("440", 0o440), ("0o755", 0o755)] {
            let v = apply_cast(Cast::FileMode, text.to_string(), &at, &mut w).expect(text);
            assert_eq!(v, Value::Number(Number::from(want)), "{text}");
        }
        assert!(apply_cast(Cast::FileMode, "0999".to_string(), &at, &mut w).is_err());
        assert!(apply_cast(Cast::FileMode, "rw".to_string(), &at, &mut w).is_err());
    }
}
