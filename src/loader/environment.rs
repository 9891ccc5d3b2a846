//! The project environment (shell + `.env` / `--env-file`), and each service's container
//! environment (`env_file` + `environment`).
//!
//! Owns:
//! - [`Environment`]: the ordered variables interpolation sees, each with the source that won and
//!   the history of every source that set it (for `config --explain VAR`). Built like compose
//!   does: the shell first; then the `--env-file`s in order (else `COMPOSE_ENV_FILES`, else the
//!   project's `.env`), a later file overriding an earlier one, the shell overriding every file.
//! - [`resolve_service_environment`]: reads a service's `env_file`s, merges them under its
//!   `environment`, fills `KEY`-only entries from the project environment, and leaves the
//!   canonical form `docker compose config` prints: `environment` as a `KEY: value` mapping
//!   (a value stays null when nothing sets it), and no `env_file` any more.
//!
//! Reads files (the env files), never the process environment (the shell's variables come in
//! through `LoadOptions::environment`). Must not import `engine`, `app`, `plan`, `cli` or `model`.

// `LoadError` is the loader's shared, deliberately rich error type (file, line, key path, hint).
#![allow(clippy::result_large_err)]

use std::fmt;
use std::path::{Path, PathBuf};

use crate::loader::fields::Fields;
use indexmap::IndexMap;
use serde_yaml::{Mapping, Number, Value};

use super::dotenv::{self, Format};
use super::error::{ErrorKind, KeyPath, LoadError, Warnings};
use super::interpolate::Lookup;

/// Where a variable's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// The environment rcompose was started with.
    Shell,
    /// A file given with `--env-file` (or listed in `COMPOSE_ENV_FILES`).
    EnvFile(PathBuf),
    /// The project's `.env`, read because no `--env-file` was given.
    DotEnv(PathBuf),
    /// Set through the API (tests, embedding programs); wins like the shell does.
    Explicit,
}

impl Source {
    /// The shell and explicit settings win over every file.
    fn beats_files(&self) -> bool {
        matches!(self, Source::Shell | Source::Explicit)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Shell => f.write_str("shell environment"),
            Source::EnvFile(p) => write!(f, "env file {}", p.display()),
            Source::DotEnv(p) => write!(f, ".env file {}", p.display()),
            Source::Explicit => f.write_str("set explicitly"),
        }
    }
}

/// One source setting a variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub source: Source,
    pub value: String,
}

/// A variable of the project environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variable {
    pub name: String,
    /// The value in effect.
    pub value: String,
    /// Where `value` came from.
    pub source: Source,
    /// Every source that set the variable, in the order they were read (the winner included).
    pub history: Vec<Assignment>,
}

/// The kind of file [`Environment::load_files`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvFileKind {
    /// `--env-file` / `COMPOSE_ENV_FILES`: a missing file is an error.
    EnvFile,
    /// The project `.env`.
    DotEnv,
}

/// The project environment: what `${VAR}` resolves against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    vars: IndexMap<String, Variable>,
    files: Vec<PathBuf>,
}

impl Environment {
    pub fn new() -> Self {
        Self::default()
    }

    /// An environment holding `vars`, all from `source`.
    pub fn from_vars<I, K, V>(vars: I, source: Source) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut env = Self::new();
        for (k, v) in vars {
            env.set(k, v, source.clone());
        }
        env
    }

    /// Sets `name` unconditionally (the new value wins), recording it in the history.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>, source: Source) {
        let name = name.into();
        let value = value.into();
        let assignment = Assignment {
            source: source.clone(),
            value: value.clone(),
        };
        match self.vars.get_mut(&name) {
            Some(var) => {
                var.value = value;
                var.source = source;
                var.history.push(assignment);
            }
            None => {
                self.vars.insert(
                    name.clone(),
                    Variable {
                        name,
                        value,
                        source,
                        history: vec![assignment],
                    },
                );
            }
        }
    }

    /// A value read from a file: recorded, and in effect unless the shell (or an explicit
    /// setting) already set the variable.
    fn offer(&mut self, name: String, value: String, source: Source) {
        match self.vars.get_mut(&name) {
            Some(var) => {
                var.history.push(Assignment {
                    source: source.clone(),
                    value: value.clone(),
                });
                if !var.source.beats_files() {
                    var.value = value;
                    var.source = source;
                }
            }
            None => self.set(name, value, source),
        }
    }

    /// Reads env files in order, like compose: while a file is parsed, `${VAR}` looks first at
    /// the values read from earlier files, then at what this environment already holds (the
    /// shell), then at the file's own earlier lines; a later file overrides an earlier one; a
    /// variable the shell sets keeps the shell's value.
    ///
    /// A missing file is an error; a directory is skipped when it is the only file (compose's
    /// behaviour for a `.env` directory) and an error otherwise.
    pub fn load_files(
        &mut self,
        files: &[(PathBuf, EnvFileKind)],
        warnings: &mut Warnings,
    ) -> Result<(), LoadError> {
        let mut from_files: IndexMap<String, String> = IndexMap::new();
        for (path, kind) in files {
            let meta = std::fs::metadata(path).map_err(|e| {
                let (message, hint) = if e.kind() == std::io::ErrorKind::NotFound {
                    (
                        format!("couldn't find env file {}", path.display()),
                        "check the --env-file path (relative paths start from the current directory)",
                    )
                } else {
                    (
                        format!("cannot read env file {}: {e}", path.display()),
                        "check the file's permissions",
                    )
                };
                LoadError::new(ErrorKind::Io, message)
                    .in_file(path)
                    .hint(hint)
            })?;
            if meta.is_dir() {
                if files.len() == 1 {
                    continue;
                }
                return Err(LoadError::new(
                    ErrorKind::Io,
                    format!("{} is a directory, not an env file", path.display()),
                )
                .in_file(path));
            }
            let source = match kind {
                EnvFileKind::EnvFile => Source::EnvFile(path.clone()),
                EnvFileKind::DotEnv => Source::DotEnv(path.clone()),
            };
            let mut parsed = IndexMap::new();
            {
                let lookup = |k: &str| {
                    from_files
                        .get(k)
                        .cloned()
                        .or_else(|| self.get(k).map(str::to_string))
                };
                dotenv::read_file(path, Format::DotEnv, &lookup, &mut parsed, warnings)?;
            }
            for (k, v) in parsed {
                if k.is_empty() {
                    continue;
                }
                from_files.insert(k.clone(), v.clone());
                self.offer(k, v, source.clone());
            }
            self.files.push(path.clone());
        }
        Ok(())
    }

    /// Builds the project environment the way `docker compose` does: `shell`, plus the
    /// `env_files` given on the command line; when none are given, the comma-separated
    /// `COMPOSE_ENV_FILES` of the shell; when that is unset too, `project_dir/.env` if it exists.
    pub fn for_project(
        shell: Environment,
        env_files: &[PathBuf],
        project_dir: &Path,
        warnings: &mut Warnings,
    ) -> Result<Environment, LoadError> {
        let mut env = shell;
        let files: Vec<(PathBuf, EnvFileKind)> = if !env_files.is_empty() {
            env_files
                .iter()
                .map(|p| (p.clone(), EnvFileKind::EnvFile))
                .collect()
        } else if let Some(list) = env.get("COMPOSE_ENV_FILES").filter(|v| !v.is_empty()) {
            list.split(',')
                .filter(|p| !p.is_empty())
                .map(|p| (PathBuf::from(p), EnvFileKind::EnvFile))
                .collect()
        } else {
            let dotenv = project_dir.join(".env");
            if dotenv.is_file() {
                vec![(dotenv, EnvFileKind::DotEnv)]
            } else {
                Vec::new()
            }
        };
        env.load_files(&files, warnings)?;
        Ok(env)
    }

    /// The value of `name`, if set (an empty value is set).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(|v| v.value.as_str())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// Everything known about `name`: value, winning source, history (`config --explain`).
    pub fn explain(&self, name: &str) -> Option<&Variable> {
        self.vars.get(name)
    }

    /// The variables, in the order they were first set.
    pub fn iter(&self) -> impl Iterator<Item = &Variable> {
        self.vars.values()
    }

    pub fn len(&self) -> usize {
        self.vars.len()
    }

    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }

    /// The env files read, in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }
}

impl Lookup for Environment {
    fn lookup(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }
}

// ---------------------------------------------------------------------------------------------
// Service environment
// ---------------------------------------------------------------------------------------------

/// One `env_file` entry, in long form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvFileRef {
    pub path: PathBuf,
    pub required: bool,
    pub format: Format,
}

fn schema_error(path: &KeyPath, message: impl Into<String>) -> LoadError {
    LoadError::new(ErrorKind::Schema, message).at(path.clone())
}

fn unwrap_tags(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => unwrap_tags(&t.value),
        other => other,
    }
}

/// Formats a float as Go's `fmt.Sprint` does (compose-go turns `environment` numbers into
/// strings that way): shortest round-trip digits, `%e` form from an exponent of 6 up or
/// below -4 (`1e+06`, `1.5e-07`), `+Inf`, `-Inf`, `NaN`.
fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "-1.2345e-7".
    let sci = format!("{:e}", f);
    let (neg, sci) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, sci),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1.min(digits.len()));
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        out.push_str(&format!("{:02}", exp.unsigned_abs()));
        return out;
    }
    // Plain form: the decimal point goes after `exp + 1` digits.
    let point = exp + 1;
    if point <= 0 {
        out.push_str("0.");
        for _ in 0..(-point) {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let point = point as usize;
        if digits.len() <= point {
            out.push_str(&digits);
            for _ in digits.len()..point {
                out.push('0');
            }
        } else {
            let (int, frac) = digits.split_at(point);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        }
    }
    out
}

/// A YAML number as compose writes it into a string.
fn number_string(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        go_float(n.as_f64().unwrap_or(f64::NAN))
    }
}

/// A scalar as the string compose would store (null is `None`); `Err(())` for a mapping or a
/// sequence.
fn scalar_string(v: &Value) -> Result<Option<String>, ()> {
    match unwrap_tags(v) {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        Value::Number(n) => Ok(Some(number_string(n))),
        _ => Err(()),
    }
}

fn check_key(key: &str, path: &dyn Fn() -> KeyPath) -> Result<(), LoadError> {
    if key.ends_with(char::is_whitespace) {
        return Err(schema_error(
            &path(),
            format!("environment variable {key:?} is declared with a trailing space"),
        )
        .hint("remove the blank before `=`"));
    }
    Ok(())
}

/// Reads a service's `environment` (list of `KEY=value` / `KEY`, or mapping) into ordered
/// entries; `None` is a `KEY` with no value. `path` is the key path of `environment`.
pub fn environment_entries(
    value: &Value,
    path: &KeyPath,
) -> Result<IndexMap<String, Option<String>>, LoadError> {
    let mut out = IndexMap::new();
    match unwrap_tags(value) {
        Value::Null => {}
        Value::Mapping(m) => {
            for (k, v) in m {
                let key = match unwrap_tags(k) {
                    Value::String(s) => s.clone(),
                    other => {
                        let shown = scalar_string(other)
                            .ok()
                            .flatten()
                            .unwrap_or_else(|| "?".to_string());
                        return Err(schema_error(
                            path,
                            format!("non-string key in {path}: {shown}"),
                        )
                        .hint("quote the variable name"));
                    }
                };
                // Key paths are built only for an error.
                check_key(&key, &|| path.key(key.clone()))?;
                let value = scalar_string(v).map_err(|()| {
                    let item_path = path.key(key.clone());
                    schema_error(
                        &item_path,
                        format!("{item_path} must be a boolean, null, number or string"),
                    )
                })?;
                out.insert(key, value);
            }
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter().enumerate() {
                let item_path = path.index(i);
                let text = match scalar_string(item) {
                    Ok(Some(s)) => s,
                    Ok(None) => continue,
                    Err(()) => {
                        return Err(schema_error(
                            &item_path,
                            format!("{item_path} must be a string (KEY=value or KEY)"),
                        ))
                    }
                };
                let (key, value) = match text.split_once('=') {
                    Some((k, v)) => (k.to_string(), Some(v.to_string())),
                    None => (text, None),
                };
                check_key(&key, &|| item_path.clone())?;
                out.insert(key, value);
            }
        }
        _ => {
            return Err(schema_error(path, format!("{path} must be a mapping"))
                .hint("write `KEY: value` lines, or a list of `KEY=value` items"))
        }
    }
    Ok(out)
}

fn parse_required(v: &Value, path: &KeyPath) -> Result<bool, LoadError> {
    match unwrap_tags(v) {
        Value::Null => Ok(true),
        Value::Bool(b) => Ok(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "on" => Ok(true),
            "false" | "no" | "n" | "off" => Ok(false),
            _ => Err(schema_error(path, format!("{path} must be a boolean"))),
        },
        _ => Err(schema_error(path, format!("{path} must be a boolean"))),
    }
}

/// Reads `env_file` in every form (a path, a list of paths, a list of `{path, required, format}`)
/// into long-form entries, paths resolved against `working_dir` unless absolute. `path` is the
/// key path of `env_file`.
pub fn env_file_entries(
    value: &Value,
    path: &KeyPath,
    working_dir: &Path,
) -> Result<Vec<(EnvFileRef, KeyPath)>, LoadError> {
    let resolve = |p: &str| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            working_dir.join(p)
        }
    };
    let one = |item: &Value, item_path: KeyPath| -> Result<(EnvFileRef, KeyPath), LoadError> {
        match unwrap_tags(item) {
            Value::String(s) => Ok((
                EnvFileRef {
                    path: resolve(s),
                    required: true,
                    format: Format::DotEnv,
                },
                item_path,
            )),
            Value::Mapping(m) => {
                let p = match m.field("path").map(unwrap_tags) {
                    Some(Value::String(s)) => s.clone(),
                    _ => {
                        return Err(schema_error(
                            &item_path,
                            format!("{item_path} needs a `path` string"),
                        ))
                    }
                };
                let required = match m.field("required") {
                    Some(v) => parse_required(v, &item_path.key("required"))?,
                    None => true,
                };
                let format = match m.field("format").map(unwrap_tags) {
                    None | Some(Value::Null) => Format::DotEnv,
                    Some(Value::String(f)) => Format::from_name(f).ok_or_else(|| {
                        schema_error(
                            &item_path.key("format"),
                            format!("unsupported env_file format {f:?}"),
                        )
                        .hint("use `format: raw`, or leave `format` out for the .env format")
                    })?,
                    Some(_) => {
                        return Err(schema_error(
                            &item_path.key("format"),
                            format!("{item_path}.format must be a string"),
                        ))
                    }
                };
                Ok((
                    EnvFileRef {
                        path: resolve(&p),
                        required,
                        format,
                    },
                    item_path,
                ))
            }
            _ => Err(schema_error(
                &item_path,
                format!("{item_path} must be a path or a {{path, required, format}} mapping"),
            )),
        }
    };
    match unwrap_tags(value) {
        Value::Null => Ok(Vec::new()),
        Value::String(_) => Ok(vec![one(value, path.clone())?]),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| one(item, path.index(i)))
            .collect(),
        _ => Err(schema_error(
            path,
            format!("{path} must be a path or a list of paths"),
        )),
    }
}

/// Resolves one service's container environment in place (see the module doc). `service` is
/// the service's mapping, `service_name` its key under `services`; relative `env_file` paths
/// start from `working_dir`. Unset variables met inside env files are reported in `warnings`.
///
/// Precedence, lowest first: env files in order, then `environment` (an entry there wins even
/// when it is a `KEY` the project environment does not set: it stays null, as compose leaves it).
/// Inside an env file, `${VAR}` looks at the project environment, then at the service's
/// `environment`, then at what earlier env files and lines set.
pub fn resolve_service_environment(
    service: &mut Value,
    service_name: &str,
    env: &Environment,
    working_dir: &Path,
    warnings: &mut Warnings,
) -> Result<(), LoadError> {
    let base = KeyPath::root().key("services").key(service_name);
    let Value::Mapping(svc) = service else {
        return Ok(());
    };
    let env_path = base.key("environment");
    let mut declared = match svc.field("environment") {
        Some(v) => environment_entries(v, &env_path)?,
        None => IndexMap::new(),
    };
    for (k, v) in declared.iter_mut() {
        if v.is_none() {
            *v = env.get(k).map(str::to_string);
        }
    }
    let files = match svc.field("env_file") {
        Some(v) => env_file_entries(v, &base.key("env_file"), working_dir)?,
        None => Vec::new(),
    };
    if files.is_empty() && !svc.has_field("env_file") {
        // Nothing to merge: the declared entries, sorted, are the result.
        declared.sort_keys();
        store_environment(svc, declared);
        return Ok(());
    }

    let mut merged: IndexMap<String, String> = declared
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v.clone())))
        .collect();
    for (file, file_path) in &files {
        if !file.path.exists() {
            if file.required {
                return Err(LoadError::new(
                    ErrorKind::Io,
                    format!("env file {} not found", file.path.display()),
                )
                .at(file_path.clone())
                .hint(format!(
                    "create the file, or mark it optional: {{path: {}, required: false}}",
                    file.path.display()
                )));
            }
            continue;
        }
        let lookup = |k: &str| {
            env.get(k)
                .map(str::to_string)
                .or_else(|| declared.get(k).cloned().flatten())
        };
        dotenv::read_file(&file.path, file.format, &lookup, &mut merged, warnings)
            .map_err(|e| e.at(file_path.clone()))?;
    }

    let mut result: IndexMap<String, Option<String>> = merged
        .into_iter()
        .filter(|(k, _)| !k.is_empty())
        .map(|(k, v)| (k, Some(v)))
        .collect();
    for (k, v) in declared {
        result.insert(k, v);
    }
    result.sort_keys();
    store_environment(svc, result);
    Ok(())
}

/// Writes the resolved `environment` (or removes it when empty) and drops `env_file`.
fn store_environment(svc: &mut Mapping, result: IndexMap<String, Option<String>>) {
    svc.remove("env_file");
    if result.is_empty() {
        svc.remove("environment");
    } else {
        let mapping: Mapping = result
            .into_iter()
            .map(|(k, v)| (Value::String(k), v.map_or(Value::Null, Value::String)))
            .collect();
        match svc.field_mut("environment") {
            Some(slot) => *slot = Value::Mapping(mapping),
            None => {
                svc.insert(Value::String("environment".into()), Value::Mapping(mapping));
            }
        }
    }
}

/// [`resolve_service_environment`] for every service of a document (`services.*`).
pub fn resolve_services_environment(
    doc: &mut Value,
    env: &Environment,
    working_dir: &Path,
    warnings: &mut Warnings,
) -> Result<(), LoadError> {
    let Some(Value::Mapping(services)) = doc.get_mut("services") else {
        return Ok(());
    };
    for (name, service) in services.iter_mut() {
        let name = match name {
            Value::String(s) => s.clone(),
            other => scalar_string(other).ok().flatten().unwrap_or_default(),
        };
        resolve_service_environment(service, &name, env, working_dir, warnings)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_go() {
        assert_eq!(go_float(2.5), "2.5");
        assert_eq!(go_float(1.0), "1");
        assert_eq!(go_float(100000.0), "100000");
        assert_eq!(go_float(1000000.0), "1e+06");
        assert_eq!(go_float(123456789.0), "1.23456789e+08");
        assert_eq!(go_float(0.0001), "0.0001");
        assert_eq!(go_float(0.00001), "1e-05");
        assert_eq!(go_float(-0.5), "-0.5");
        assert_eq!(go_float(f64::INFINITY), "+Inf");
    }
}
