//! YAML parsing of one compose file into a `serde_yaml::Value` tree, safely.
//!
//! The text is read by `yaml_events` (saphyr-parser's events, built straight into the tree with
//! serde_yaml's scalar resolution). Owns: the size cap, syntax errors with line and column,
//! duplicate keys (both lines), non-string keys (with their path), `<<` merge keys (applied,
//! recursively), the custom tags (`!reset` and `!override` are kept as `Value::Tagged` for the
//! merge step; any other tag is dropped, keeping its value, as compose-go does, with a warning),
//! several documents in one file (merged in order, like compose-go), and the warning for the
//! obsolete top-level `version:`. Alias bombs and deep nesting fail fast (serde_yaml's repetition
//! and recursion limits, kept by `yaml_events`), never exhausting the machine; nothing here panics.
//!
//! Must not import other loader steps except `merge` (to fold several documents), `locate` and
//! `yaml_events`.

// `LoadError` (shared, in error.rs) is larger than clippy's `result_large_err` threshold.
#![allow(clippy::result_large_err)]

use std::path::Path;

use serde_yaml::value::{Mapping, Value};

use super::error::{ErrorKind, KeyPath, LoadError, Seg, Warnings};
use super::yaml_events::{self, BuildError};
use super::{locate, merge};

/// Files larger than this are refused before parsing.
pub const MAX_INPUT_BYTES: usize = 32 * 1024 * 1024;

/// Parses one compose file. See the module doc for what is checked.
///
/// An empty file (or one with only comments / empty documents) gives `Value::Null`; the caller
/// decides whether that is an error ("empty compose file"). Otherwise the result is a mapping.
/// A top-level `version:` is left in place (see [`parse_with_warnings`]).
pub fn parse(file: &Path, text: &str) -> Result<Value, LoadError> {
    parse_inner(file, text, &mut Warnings::default())
}

fn parse_inner(file: &Path, text: &str, warnings: &mut Warnings) -> Result<Value, LoadError> {
    parse_documents(file, text, warnings, true)
}

/// [`parse`] with merge keys resolved only by the merge-key pass (`early_merges: false`) or also
/// while the tree is built, as the loader does; the warnings too. For the test that holds the
/// two to the same result.
#[doc(hidden)]
pub fn parse_with_early_merges(
    file: &Path,
    text: &str,
    early_merges: bool,
) -> Result<(Value, Vec<String>), LoadError> {
    let mut warnings = Warnings::default();
    let v = parse_documents(file, text, &mut warnings, early_merges)?;
    Ok((v, warnings.0))
}

fn parse_documents(
    file: &Path,
    text: &str,
    warnings: &mut Warnings,
    early_merges: bool,
) -> Result<Value, LoadError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(LoadError::new(
            ErrorKind::Syntax,
            format!(
                "the file is too large to load ({} bytes; the limit is {} MiB)",
                text.len(),
                MAX_INPUT_BYTES / (1024 * 1024)
            ),
        )
        .in_file(file));
    }
    let pipeline = yaml_events::pipelined(text);
    let (docs, features) = yaml_events::documents_with(text, early_merges, pipeline)
        .map_err(|e| build_error(file, text, &e))?;
    let mut result: Option<Value> = None;
    for value in docs {
        if value.is_null() {
            continue;
        }
        let value = check_document(file, text, value, features, warnings)?;
        result = Some(match result {
            None => value,
            Some(prev) => merge::merge(prev, value).map_err(|e| e.or_file(file))?,
        });
    }
    Ok(result.unwrap_or(Value::Null))
}

/// [`parse`], then: a top-level `version:` is removed and reported as obsolete in `warnings`.
pub fn parse_with_warnings(
    file: &Path,
    text: &str,
    warnings: &mut Warnings,
) -> Result<Value, LoadError> {
    let mut value = parse_inner(file, text, warnings)?;
    if let Value::Mapping(m) = &mut value {
        if m.shift_remove("version").is_some() {
            warnings.push(format!(
                "{}: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion",
                file.display()
            ));
        }
    }
    Ok(value)
}

/// Checks and prepares one non-empty document.
fn check_document(
    file: &Path,
    text: &str,
    mut value: Value,
    features: yaml_events::Features,
    warnings: &mut Warnings,
) -> Result<Value, LoadError> {
    let located = |e: LoadError| {
        let e = e.in_file(file);
        match e
            .path
            .as_ref()
            .and_then(|p| locate::locate_nearest(text, p))
        {
            Some((line, col)) => e.at_line(line, Some(col)),
            None => e,
        }
    };
    // Each pass below walks the whole tree; the parser said which have anything to do.
    if features.non_string_keys {
        check_keys(&value, &mut KeyPath::root(), text).map_err(|(e, at)| match at {
            Some((line, col)) => e.in_file(file).at_line(line, Some(col)),
            None => located(e),
        })?;
    }
    let mut unknown = Vec::new();
    if features.tags {
        strip_unknown_tags(&mut value, &mut KeyPath::root(), &mut unknown);
    }
    for (path, tag) in unknown {
        let at = locate::locate_nearest(text, &path)
            .map(|(l, c)| format!(":{l}:{c}"))
            .unwrap_or_default();
        let what = if path.is_root() {
            String::new()
        } else {
            format!(" {path}:")
        };
        warnings.push(format!(
            "{}{at}:{what} unknown tag {tag} ignored (compose files only use !reset and !override)",
            file.display()
        ));
    }
    if features.merge_keys {
        apply_merge_keys(&mut value, &mut KeyPath::root()).map_err(located)?;
    }
    match value {
        Value::Mapping(_) => Ok(value),
        other => Err(LoadError::new(
            ErrorKind::Schema,
            format!(
                "Top-level object must be a mapping, found {}",
                merge::kind_name(&other)
            ),
        )
        .in_file(file)
        .at_line(1, Some(1))
        .hint("a compose file starts with keys such as `services:`")),
    }
}

fn build_error(file: &Path, text: &str, e: &BuildError) -> LoadError {
    let (line, col) = e.position();
    let (message, hint) = match e {
        BuildError::DuplicateKey { key, .. } => {
            // Both positions of the key, read again from the text (an error path only).
            if let Some(dup) = locate::find_duplicate_key(text) {
                return LoadError::new(
                    ErrorKind::Syntax,
                    format!(
                        "mapping key {:?} already defined at line {}",
                        dup.key, dup.first.0
                    ),
                )
                .in_file(file)
                .at_line(dup.again.0, Some(dup.again.1))
                .at(dup.path)
                .hint("remove one of the two definitions");
            }
            (
                format!("mapping key {} defined twice", merge::go_format(key)),
                Some("remove one of the two definitions"),
            )
        }
        BuildError::RepetitionLimit { .. } => (
            "repetition limit exceeded".to_string(),
            Some("the file expands too many aliases (`*name`); is it an alias bomb?"),
        ),
        BuildError::RecursionLimit { .. } => (
            "recursion limit exceeded".to_string(),
            Some("the document is nested too deeply, or an alias (`*name`) refers to a mapping that contains it"),
        ),
        BuildError::Scalar { message, .. } => (message.clone(), None),
        BuildError::Syntax { message, .. } => (
            message.clone(),
            message
                .contains("tab")
                .then_some("YAML does not allow tabs for indentation; use spaces"),
        ),
    };
    let err = LoadError::new(ErrorKind::Syntax, message)
        .in_file(file)
        .at_line(line, Some(col));
    match hint {
        Some(h) => err.hint(h),
        None => err,
    }
}

/// Rejects non-string keys, with compose-go's wording (`non-string key in services: 123`); the
/// error's path is the mapping holding the key, its position the key's when it can be found.
fn check_keys(
    value: &Value,
    path: &mut KeyPath,
    text: &str,
) -> Result<(), (LoadError, Option<(usize, usize)>)> {
    match value {
        Value::Mapping(m) => {
            for (k, v) in m {
                let Value::String(key) = k else {
                    let where_ = if path.is_root() {
                        "at top level".to_string()
                    } else {
                        format!("in {path}")
                    };
                    let shown = merge::go_format(k);
                    let spellings: Vec<String> = match k {
                        Value::Null => ["null", "~", "Null", "NULL", ""].map(String::from).to_vec(),
                        Value::Bool(b) => {
                            let t = b.to_string();
                            vec![t.clone(), capitalize(&t), t.to_uppercase()]
                        }
                        _ => vec![shown.clone()],
                    };
                    let at = spellings
                        .iter()
                        .find_map(|s| locate::locate(text, &path.key(s.clone())));
                    let hint = match k {
                        Value::Null => "quote the key if it is meant as text: \"null\"".to_string(),
                        _ => format!("quote the key: \"{shown}\""),
                    };
                    return Err((
                        LoadError::new(
                            ErrorKind::Schema,
                            format!("non-string key {where_}: {shown}"),
                        )
                        .at(path.clone())
                        .hint(hint),
                        at,
                    ));
                };
                path.0.push(Seg::Key(key.clone()));
                let r = check_keys(v, path, text);
                path.0.pop();
                r?;
            }
            Ok(())
        }
        Value::Sequence(s) => {
            for (i, v) in s.iter().enumerate() {
                path.0.push(Seg::Index(i));
                let r = check_keys(v, path, text);
                path.0.pop();
                r?;
            }
            Ok(())
        }
        Value::Tagged(t) => check_keys(&t.value, path, text),
        _ => Ok(()),
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Drops tags other than `!reset` / `!override`, keeping their values, like compose-go (whose
/// YAML decoder reads an unknown tag's value as if untagged); records where they were.
fn strip_unknown_tags(value: &mut Value, path: &mut KeyPath, found: &mut Vec<(KeyPath, String)>) {
    match value {
        Value::Mapping(m) => {
            for (k, v) in m.iter_mut() {
                path.0.push(Seg::Key(merge::key_string(k)));
                strip_unknown_tags(v, path, found);
                path.0.pop();
            }
        }
        Value::Sequence(s) => {
            for (i, v) in s.iter_mut().enumerate() {
                path.0.push(Seg::Index(i));
                strip_unknown_tags(v, path, found);
                path.0.pop();
            }
        }
        Value::Tagged(t) => {
            if t.tag == "reset" || t.tag == "override" {
                strip_unknown_tags(&mut t.value, path, found);
            } else {
                found.push((path.clone(), t.tag.to_string()));
                let mut inner = std::mem::take(&mut t.value);
                strip_unknown_tags(&mut inner, path, found);
                *value = inner;
            }
        }
        _ => {}
    }
}

/// Applies YAML merge keys (`<<: *base`, `<<: [*a, *b]`) bottom-up, so merged mappings that
/// themselves use `<<` are expanded too. Keys written in the mapping win over merged ones; among
/// several merged mappings, the first wins. Merged keys take the place of the `<<` key.
fn apply_merge_keys(value: &mut Value, path: &mut KeyPath) -> Result<(), LoadError> {
    merge_keys_in(value).map_err(|mut e| {
        // The error's path is relative to `value`: put `path` in front of it.
        let mut full = path.clone();
        full.0.extend(e.path.take().unwrap_or_default().0);
        e.at(full)
    })
}

/// Prepends `seg` to the (relative) path of an error coming up from a child node.
fn under(seg: Seg, e: LoadError) -> LoadError {
    e.under(seg)
}

/// [`apply_merge_keys`] proper; an error's path is relative to `value` (key paths are built
/// only for an error, not at every node).
fn merge_keys_in(value: &mut Value) -> Result<(), LoadError> {
    match value {
        Value::Mapping(m) => {
            let mut has_merge_key = false;
            for (k, v) in m.iter_mut() {
                has_merge_key |= matches!(k, Value::String(s) if s == "<<");
                merge_keys_in(v).map_err(|e| under(Seg::Key(merge::key_string(k)), e))?;
            }
            if !has_merge_key {
                return Ok(());
            }
            let old = std::mem::take(m);
            let mut out = Mapping::with_capacity(old.len());
            let explicit: Vec<Value> = old.keys().filter(|k| *k != "<<").cloned().collect();
            for (k, v) in old {
                if k != "<<" {
                    out.insert(k, v);
                    continue;
                }
                let merge_path = KeyPath::root().key("<<");
                let sources = match v {
                    Value::Mapping(src) => vec![src],
                    Value::Sequence(items) => {
                        let mut sources = Vec::with_capacity(items.len());
                        for (i, item) in items.into_iter().enumerate() {
                            match item {
                                Value::Mapping(src) => sources.push(src),
                                other => {
                                    return Err(merge_error(merge_path.index(i), &other));
                                }
                            }
                        }
                        sources
                    }
                    other => return Err(merge_error(merge_path, &other)),
                };
                for src in sources {
                    for (sk, sv) in src {
                        if !explicit.contains(&sk) && !out.contains_key(&sk) {
                            out.insert(sk, sv);
                        }
                    }
                }
            }
            *m = out;
            Ok(())
        }
        Value::Sequence(s) => {
            for (i, v) in s.iter_mut().enumerate() {
                merge_keys_in(v).map_err(|e| under(Seg::Index(i), e))?;
            }
            Ok(())
        }
        Value::Tagged(t) => merge_keys_in(&mut t.value),
        _ => Ok(()),
    }
}

fn merge_error(path: KeyPath, found: &Value) -> LoadError {
    LoadError::new(
        ErrorKind::Syntax,
        format!(
            "map merge requires map or sequence of maps as the value, found {}",
            merge::kind_name(found)
        ),
    )
    .at(path)
    .hint("`<<:` takes an alias of a mapping (`<<: *base`) or a list of them")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Value, LoadError> {
        parse(Path::new("compose.yaml"), text)
    }

    #[test]
    fn merge_key_errors_name_the_full_path() {
        let e = p("x: &s 1\nservices:\n  web:\n    <<: *s\n").err();
        let path = e.and_then(|e| e.path).map(|p| p.to_string());
        assert_eq!(path.as_deref(), Some("services.web.<<"));
        let e = p("x: &s 1\ny: &m {a: 1}\nservices:\n  - web:\n      <<: [*m, *s]\n").err();
        let path = e.and_then(|e| e.path).map(|p| p.to_string());
        assert_eq!(path.as_deref(), Some("services[0].web.<<[1]"));
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let e = p("services:\n  web: [1\n").err();
        let e = e.map(|e| (e.kind, e.line.is_some(), e.column.is_some()));
        assert_eq!(e, Some((ErrorKind::Syntax, true, true)));
    }

    #[test]
    fn empty_file_is_null() {
        assert_eq!(p("").ok(), Some(Value::Null));
        assert_eq!(p("# nothing\n---\n").ok(), Some(Value::Null));
    }
}
