//! The `.env` file format, as compose reads it (compose-go's `dotenv` package is the reference),
//! plus the `raw` format of `env_file: {format: raw}` (docker's `--env-file` parser).
//!
//! Owns only the text format: `parse` turns text into ordered `KEY -> value` pairs, given a
//! [`Lookup`] for variables defined outside the file. Which files are read, and who wins, is
//! `environment`'s business. Must not import `engine`, `exec`, `plan`, `cli` or `model`.
//!
//! The dotenv format:
//! - blank lines and `#` comment lines are skipped; a leading `export ` is ignored;
//! - `KEY=value` or `KEY: value`; spaces around the separator are ignored; a key is letters,
//!   digits, `_`, `.`, `-`, `[`, `]` (a space inside it is an error);
//! - unquoted values run to the end of the line, lose a trailing ` # comment` and trailing
//!   blanks, and are interpolated (`$VAR`, `${VAR:-default}`...);
//! - `'single quoted'` values are literal and may span lines;
//! - `"double quoted"` values may span lines, understand `\n`, `\r`, `\t`, `\"`, `\\`, `\$`,
//!   `\a`, `\b`, `\f`, `\v` and `\0NNN` (octal), and are then interpolated;
//! - `KEY` alone takes the value from the lookup, and is left out when the lookup has none;
//! - a UTF-8 byte order mark is ignored.
//!
//! Inside a value, a variable is looked up first in the [`Lookup`] (the shell, for a project
//! `.env`), then among the keys already read (earlier lines of this file, or what the caller
//! seeded), exactly as compose-go does.
//!
//! Known deviations from compose-go: line numbers in errors are exact (compose-go miscounts after
//! a `KEY` line), a final `KEY` with no newline is treated as `KEY` alone (compose-go stores it as
//! the value of an empty key), and keys containing non-ASCII letters are judged per character
//! rather than per byte.

// `LoadError` is the loader's shared, deliberately rich error type (file, line, key path, hint).
#![allow(clippy::result_large_err)]

use indexmap::IndexMap;

use super::error::{ErrorKind, LoadError, Warnings};
use super::interpolate::{self, Lookup, TemplateError};

/// The formats `env_file` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// The `.env` format described in the module doc (compose's default).
    #[default]
    DotEnv,
    /// `format: raw`: `KEY=VALUE` lines taken literally (no quotes, no interpolation, trailing
    /// blanks kept), `KEY` alone looked up, `#` comment lines.
    Raw,
}

impl Format {
    /// Parses the `format:` attribute of an `env_file` entry (absent or empty = dotenv).
    pub fn from_name(name: &str) -> Option<Format> {
        match name {
            "" | ".env" | "dotenv" => Some(Format::DotEnv),
            "raw" => Some(Format::Raw),
            _ => None,
        }
    }
}

/// A parse error, with the 1-based line it was found on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotEnvError {
    pub line: usize,
    /// `Syntax` for malformed text, `Interpolation` for a failed `${...}`.
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
}

impl std::fmt::Display for DotEnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for DotEnvError {}

impl DotEnvError {
    fn new(line: usize, message: impl Into<String>) -> Self {
        DotEnvError {
            line,
            kind: ErrorKind::Syntax,
            message: message.into(),
            hint: None,
        }
    }

    fn from_template(line: usize, e: TemplateError) -> Self {
        let hint = e.hint();
        DotEnvError {
            line,
            kind: ErrorKind::Interpolation,
            message: e.to_string(),
            hint: Some(hint),
        }
    }

    /// The load error for this problem in `file`.
    pub fn into_load_error(self, file: impl Into<std::path::PathBuf>) -> LoadError {
        let mut e = LoadError::new(self.kind, self.message)
            .in_file(file)
            .at_line(self.line, None);
        e.hint = self.hint;
        e
    }
}

/// Parses `src` in the given format into `out` (keys already in `out` count as "read earlier"
/// for interpolation, and are overwritten when the file sets them again). Unset variables met
/// while interpolating are reported in `warnings`.
pub fn parse_into(
    src: &str,
    format: Format,
    lookup: &dyn Lookup,
    out: &mut IndexMap<String, String>,
    warnings: &mut Warnings,
) -> Result<(), DotEnvError> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    match format {
        Format::DotEnv => Parser {
            src,
            pos: 0,
            line: 1,
        }
        .run(lookup, out, warnings),
        Format::Raw => parse_raw(src, lookup, out),
    }
}

/// Parses `src` (dotenv format) into a fresh ordered map.
pub fn parse(
    src: &str,
    lookup: &dyn Lookup,
    warnings: &mut Warnings,
) -> Result<IndexMap<String, String>, DotEnvError> {
    let mut out = IndexMap::new();
    parse_into(src, Format::DotEnv, lookup, &mut out, warnings)?;
    Ok(out)
}

/// Reads and parses a file. Errors name the file (and the line, for syntax errors).
pub fn read_file(
    path: &std::path::Path,
    format: Format,
    lookup: &dyn Lookup,
    out: &mut IndexMap<String, String>,
    warnings: &mut Warnings,
) -> Result<(), LoadError> {
    let bytes = std::fs::read(path).map_err(|e| {
        LoadError::new(ErrorKind::Io, format!("cannot read env file: {e}")).in_file(path)
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        LoadError::new(
            ErrorKind::Syntax,
            format!(
                "env file is not valid UTF-8 (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
        .in_file(path)
        .hint("save the file as UTF-8")
    })?;
    parse_into(&text, format, lookup, out, warnings).map_err(|e| e.into_load_error(path))
}

/// Blanks that separate tokens on a line (not the line break itself).
fn is_blank(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// 1-based line of `pos`.
    line: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or_default()
    }

    /// Moves `pos` forward by `n` bytes, counting the line breaks passed.
    fn advance(&mut self, n: usize) {
        let end = (self.pos + n).min(self.src.len());
        let passed = self.src.get(self.pos..end).unwrap_or_default();
        self.line += passed.bytes().filter(|&b| b == b'\n').count();
        self.pos = end;
    }

    fn skip_blanks(&mut self) {
        let n = self.rest().len() - self.rest().trim_start_matches(is_blank).len();
        self.advance(n);
    }

    /// Skips whitespace (line breaks included) and comment lines; false at the end of the text.
    fn statement_start(&mut self) -> bool {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            let n = rest.len() - trimmed.len();
            self.advance(n);
            if self.rest().is_empty() {
                return false;
            }
            if !self.rest().starts_with('#') {
                return true;
            }
            match self.rest().find('\n') {
                Some(i) => self.advance(i),
                None => {
                    self.advance(self.rest().len());
                    return false;
                }
            }
        }
    }

    fn run(
        mut self,
        lookup: &dyn Lookup,
        out: &mut IndexMap<String, String>,
        warnings: &mut Warnings,
    ) -> Result<(), DotEnvError> {
        while self.statement_start() {
            let line = self.line;
            let (key, inherited) = self.key()?;
            if key.contains(' ') {
                return Err(DotEnvError {
                    line,
                    kind: ErrorKind::Syntax,
                    message: "key cannot contain a space".to_string(),
                    hint: Some(
                        "write KEY=value; quote a value that contains spaces, and start comment \
                         lines with #"
                            .to_string(),
                    ),
                });
            }
            if inherited {
                if let Some(v) = lookup.lookup(&key) {
                    out.insert(key, v);
                }
                continue;
            }
            let value = self.value(lookup, out, warnings)?;
            out.insert(key, value);
        }
        Ok(())
    }

    /// Reads a key up to `=`, `:` or the end of the line (`KEY` alone: inherited).
    fn key(&mut self) -> Result<(String, bool), DotEnvError> {
        if let Some(after) = self.rest().strip_prefix("export") {
            if after.starts_with([' ', '\t']) {
                self.advance("export".len());
                self.skip_blanks();
            }
        }
        let rest = self.rest();
        let mut end = rest.len();
        let mut sep = None;
        for (i, c) in rest.char_indices() {
            if is_blank(c) {
                continue;
            }
            match c {
                '=' | ':' | '\n' => {
                    end = i;
                    sep = Some(c);
                    break;
                }
                '_' | '.' | '-' | '[' | ']' => {}
                c if c.is_alphanumeric() => {}
                c => {
                    let statement = rest.lines().next().unwrap_or_default();
                    return Err(DotEnvError {
                        line: self.line,
                        kind: ErrorKind::Syntax,
                        message: format!(
                            "unexpected character {:?} in variable name {statement:?}",
                            c.to_string()
                        ),
                        hint: Some(
                            "a variable name is letters, digits, `_`, `.`, `-`; comment lines \
                             start with #"
                                .to_string(),
                        ),
                    });
                }
            }
        }
        let key = rest
            .get(..end)
            .unwrap_or_default()
            .trim_end_matches(char::is_whitespace)
            .to_string();
        match sep {
            Some('\n') => {
                self.advance(end + 1);
                Ok((key, true))
            }
            Some(_) => {
                self.advance(end + 1);
                self.skip_blanks();
                Ok((key, false))
            }
            None => {
                // `KEY` on the last line, without a newline.
                self.advance(end);
                Ok((key, true))
            }
        }
    }

    fn value(
        &mut self,
        lookup: &dyn Lookup,
        out: &IndexMap<String, String>,
        warnings: &mut Warnings,
    ) -> Result<String, DotEnvError> {
        let line = self.line;
        let rest = self.rest();
        let quote = match rest.chars().next() {
            Some(q @ ('"' | '\'')) => q,
            _ => {
                let (raw, consumed) = match rest.find('\n') {
                    Some(i) => (rest.get(..i).unwrap_or_default(), i + 1),
                    None => (rest, rest.len()),
                };
                let raw = raw.split(" #").next().unwrap_or_default();
                let raw = raw.trim_end_matches(char::is_whitespace).to_string();
                self.advance(consumed);
                return expand(&raw, lookup, out, warnings)
                    .map_err(|e| DotEnvError::from_template(line, e));
            }
        };
        // Find the closing quote: the first one not preceded by a backslash.
        let bytes = rest.as_bytes();
        let q = quote as u8;
        let mut close = None;
        let mut i = 1;
        while let Some(&b) = bytes.get(i) {
            if b == q && bytes.get(i - 1) != Some(&b'\\') {
                close = Some(i);
                break;
            }
            i += 1;
        }
        let Some(close) = close else {
            let first_line = rest.lines().next().unwrap_or_default();
            return Err(DotEnvError {
                line,
                kind: ErrorKind::Syntax,
                message: format!("unterminated quoted value {first_line}"),
                hint: Some(format!("close the value with {quote}")),
            });
        };
        let inner = rest.get(1..close).unwrap_or_default().to_string();
        let end_line = line + inner.bytes().filter(|&b| b == b'\n').count();
        self.advance(close + 1);
        if quote == '\'' {
            return Ok(inner);
        }
        expand(&unescape(&inner), lookup, out, warnings)
            .map_err(|e| DotEnvError::from_template(end_line, e))
    }
}

/// Interpolates a value: the lookup first, then the keys read so far.
fn expand(
    value: &str,
    lookup: &dyn Lookup,
    out: &IndexMap<String, String>,
    warnings: &mut Warnings,
) -> Result<String, TemplateError> {
    if !value.contains('$') {
        return Ok(value.to_string());
    }
    let combined = |k: &str| lookup.lookup(k).or_else(|| out.get(k).cloned());
    let done = interpolate::substitute(value, &combined, false)?;
    for name in &done.unset {
        warnings.push(interpolate::unset_warning(name));
    }
    Ok(done.value)
}

/// Expands the escape sequences of a double-quoted value. `\$` becomes `$$`, so that the
/// interpolation that follows yields a literal `$`. Unknown escapes are kept as written.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&next) = chars.peek() else {
            out.push('\\');
            break;
        };
        let simple = match next {
            'a' => Some("\u{7}"),
            'b' => Some("\u{8}"),
            'c' => None, // matched by compose-go's pattern, but not a Go escape: kept as is
            'f' => Some("\u{c}"),
            'n' => Some("\n"),
            'r' => Some("\r"),
            't' => Some("\t"),
            'v' => Some("\u{b}"),
            '"' => Some("\""),
            '\\' => Some("\\"),
            '$' => Some("$$"),
            _ => None,
        };
        if let Some(rep) = simple {
            chars.next();
            out.push_str(rep);
            continue;
        }
        if next == '0' {
            // `\0` then up to three digits: `\0NNN` is the octal escape `\NNN`; anything else
            // comes out as `\` followed by the digits (compose-go's behaviour).
            chars.next();
            let mut digits = String::new();
            while digits.len() < 3 {
                match chars.peek() {
                    Some(d) if d.is_ascii_digit() => {
                        digits.push(*d);
                        chars.next();
                    }
                    _ => break,
                }
            }
            let octal = (digits.len() == 3)
                .then(|| u32::from_str_radix(&digits, 8).ok())
                .flatten()
                .filter(|v| *v <= 0xff)
                .and_then(char::from_u32);
            match octal {
                Some(ch) => out.push(ch),
                None => {
                    out.push('\\');
                    out.push_str(&digits);
                }
            }
            continue;
        }
        out.push('\\');
    }
    out
}

/// `format: raw` (docker's `--env-file`): one `KEY=VALUE` per line, nothing interpreted.
fn parse_raw(
    src: &str,
    lookup: &dyn Lookup,
    out: &mut IndexMap<String, String>,
) -> Result<(), DotEnvError> {
    for (n, raw_line) in src.split('\n').enumerate() {
        let line_no = n + 1;
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, value) = match line.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (line, None),
        };
        if name.is_empty() {
            return Err(DotEnvError::new(
                line_no,
                format!("no variable name on line '{line}'"),
            ));
        }
        if name.contains([' ', '\t']) {
            return Err(DotEnvError::new(
                line_no,
                format!("variable '{name}' contains whitespaces"),
            ));
        }
        match value {
            Some(v) => {
                out.insert(name.to_string(), v.to_string());
            }
            None => {
                if let Some(v) = lookup.lookup(name) {
                    out.insert(name.to_string(), v);
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<String> {
        None
    }

    fn one(src: &str) -> (String, String) {
        let mut w = Warnings::default();
        let m = parse(src, &none, &mut w).unwrap();
        let (k, v) = m.into_iter().next().unwrap();
        (k, v)
    }

    #[test]
    fn escapes_in_double_quotes() {
        assert_eq!(one(r#"FOO="bar\nbaz""#).1, "bar\nbaz");
        assert_eq!(one(r#"FOO="escaped\"bar""#).1, "escaped\"bar");
        assert_eq!(one(r#"FOO="foo\$BAR""#).1, "foo$BAR");
        assert_eq!(one(r#"FOO="\0123""#).1, "S");
        assert_eq!(one(r#"FOO="bar\\\n\ b\az""#).1, "bar\\\n\\ b\u{7}z");
    }

    #[test]
    fn line_numbers_are_counted_across_quoted_values() {
        let mut w = Warnings::default();
        let e = parse("A='x\ny'\n\n# c\nB C=1\n", &none, &mut w).unwrap_err();
        assert_eq!(e.line, 5);
    }
}
