//! A YAML writer that prints a `serde_json::Value` tree the way `docker compose config` does (Go's
//! yaml encoder with an indent of 2): block style, sequences indented under their key, strings
//! plain when they read back as strings, `"double quoted"` when they would read as another type
//! (`"3000"`, `"true"`, `""`), `'single quoted'` when they hold YAML indicators, `|` blocks for
//! multi-line text, and Go's float spelling.
//!
//! Also: Go's map key order (`go_key_cmp`), used wherever the model prints a map.
//!
//! Pure text work; imports only `units` from this crate.

use std::cmp::Ordering;

use serde_json::Value;

use super::units::format_go_float;

/// Prints a whole document (ends with a newline).
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0, false),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0, false),
        other => {
            out.push_str(&scalar_inline(other, 0, 0));
            out.push('\n');
        }
    }
    out
}

/// Sorts every mapping's keys in Go's order, at every depth: the shape of `docker compose config
/// --no-interpolate`, which prints a plain map instead of the typed project.
pub fn sort_keys(value: &mut Value) {
    match value {
        Value::Object(m) => {
            let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
            entries.sort_by(|a, b| go_key_cmp(&a.0, &b.0));
            for (k, mut v) in entries {
                sort_keys(&mut v);
                m.insert(k, v);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

fn pad(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

/// The longest key (in bytes) libyaml writes as a simple `key:`.
const MAX_SIMPLE_KEY: usize = 128;

/// Writes a non-empty mapping whose keys sit at column `indent`. With `inline_first`, the first
/// key continues the current line (after `- `).
fn write_map(
    out: &mut String,
    m: &serde_json::Map<String, Value>,
    indent: usize,
    inline_first: bool,
) {
    for (i, (k, v)) in m.iter().enumerate() {
        if !(i == 0 && inline_first) {
            pad(out, indent);
        }
        if k.len() > MAX_SIMPLE_KEY {
            // Too long for a simple key: Go's emitter writes `? key` (folded like a value) and
            // `:` on its own line.
            out.push_str("? ");
            out.push_str(&string_scalar(k, indent + 2, Some(column(out))));
            out.push('\n');
            pad(out, indent);
        } else {
            out.push_str(&key_scalar(k));
        }
        out.push(':');
        write_after_indicator(out, v, indent);
    }
}

/// Writes a non-empty sequence whose dashes sit at column `indent`.
fn write_seq(out: &mut String, a: &[Value], indent: usize, inline_first: bool) {
    for (i, v) in a.iter().enumerate() {
        if !(i == 0 && inline_first) {
            pad(out, indent);
        }
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                write_map(out, m, indent + 2, true);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push(' ');
                write_seq(out, inner, indent + 2, true);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar_inline(other, indent, column(out)));
                out.push('\n');
            }
        }
    }
}

/// After `key:` — a nested block on the next lines, or ` scalar`.
fn write_after_indicator(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, m, indent + 2, false);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(out, a, indent + 2, false);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar_inline(other, indent, column(out)));
            out.push('\n');
        }
    }
}

/// The column the next character written to `out` lands in (characters since the last newline,
/// as the Go emitter counts).
fn column(out: &str) -> usize {
    out[out.rfind('\n').map_or(0, |p| p + 1)..].chars().count()
}

/// A scalar (or empty collection) as it appears after `key: ` or `- `, starting at `column`.
/// `indent` is the column of the owning key or dash; block literals and the continuation lines
/// of a folded long string are indented two further.
fn scalar_inline(v: &Value, indent: usize, column: usize) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.to_string()
            } else if let Some(u) = n.as_u64() {
                u.to_string()
            } else {
                format_go_float(n.as_f64().unwrap_or(0.0))
            }
        }
        Value::String(s) => string_scalar(s, indent + 2, Some(column)),
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

fn key_scalar(k: &str) -> String {
    string_scalar(k, 0, None)
}

#[derive(Default)]
struct Analysis {
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
    multiline: bool,
}

fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || u == 0x85
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
        || (0x10000..=0x10FFFF).contains(&u)
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blankz(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => c == ' ' || c == '\t' || is_break(c) || c == '\0',
    }
}

/// libyaml's `yaml_emitter_analyze_scalar`, for block context.
fn analyze(s: &str) -> Analysis {
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = false;
    let mut special = false;
    let mut line_breaks = false;
    let (mut leading_space, mut leading_break) = (false, false);
    let (mut trailing_space, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);

    if s.starts_with("---") || s.starts_with("...") {
        block_indicators = true;
    }
    let mut preceded_by_ws = true;
    let n = chars.len();
    for (i, &c) in chars.iter().enumerate() {
        let next = chars.get(i + 1).copied();
        let followed_by_ws = is_blankz(next);
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_indicators = true,
                '#' if preceded_by_ws => block_indicators = true,
                _ => {}
            }
        }
        if !is_printable(c) {
            special = true;
        }
        if is_break(c) {
            line_breaks = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == n {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            if i == 0 {
                leading_break = true;
            }
            if i + 1 == n {
                trailing_break = true;
            }
            if prev_space {
                space_break = true;
            }
            prev_break = true;
            prev_space = false;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = is_blankz(Some(c));
    }
    let mut a = Analysis {
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
        multiline: line_breaks,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
        a.block_allowed = false;
    }
    if line_breaks {
        a.block_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// Prints a string scalar: plain, single-quoted, double-quoted or a `|` block (`block_indent` is
/// the column of the block's lines and of a folded string's continuation lines). A value starts
/// at `column` (`Some`) and is folded at spaces past column 80 as Go's emitter does; a key
/// (`None`) is never folded.
fn string_scalar(s: &str, block_indent: usize, column: Option<usize>) -> String {
    let is_key = column.is_none();
    let fold = column.map(|c| (c, block_indent));
    let a = analyze(s);
    if s.contains('\n') {
        if !is_key && a.block_allowed {
            return literal_block(s, block_indent);
        }
        return double_quoted(s, fold);
    }
    if !plain_resolves_to_string(s) && !yaml11_only(s) {
        return double_quoted(s, fold);
    }
    if is_key && a.multiline {
        return double_quoted(s, fold);
    }
    // A YAML 1.1 bool or base-60 float (`no`, `1:30`) and `<<` may not be plain: Go's encoder
    // asks for plain style and the emitter falls back to single quotes.
    if a.block_plain_allowed && !yaml11_only(s) {
        return plain(s, fold);
    }
    if a.single_quoted_allowed {
        return single_quoted(s, fold);
    }
    double_quoted(s, fold)
}

/// Go's emitter breaks a long line at a space once the column passes this.
const BEST_WIDTH: usize = 80;

/// Where a folded scalar stands: (its start column, the indent of its continuation lines).
type Fold = Option<(usize, usize)>;

/// The text of one scalar being written, with the emitter's column count; the writers below
/// decide where a space becomes a line break.
struct Folder {
    out: String,
    col: usize,
    fold: Fold,
}

impl Folder {
    fn new(fold: Fold, open: &str) -> Folder {
        let mut f = Folder {
            out: String::new(),
            col: fold.map_or(0, |(c, _)| c),
            fold,
        };
        f.push_str(open);
        f
    }

    fn push_str(&mut self, t: &str) {
        self.out.push_str(t);
        self.col += t.chars().count();
    }

    /// Whether a space here may become a line break (the emitter's `column > best_width`).
    fn past_width(&self) -> bool {
        self.fold.is_some() && self.col > BEST_WIDTH
    }

    fn line_break(&mut self) {
        let indent = self.fold.map_or(0, |(_, i)| i);
        self.out.push('\n');
        pad(&mut self.out, indent);
        self.col = indent;
    }
}

/// libyaml's `yaml_emitter_write_plain_scalar`.
fn plain(s: &str, fold: Fold) -> String {
    // A break needs a space past column 80: most values end before.
    if fold.is_none_or(|(c, _)| c + s.len() <= BEST_WIDTH) {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut f = Folder::new(fold, "");
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let next_space = chars.get(i + 1) == Some(&' ');
            if !spaces && f.past_width() && !next_space {
                f.line_break();
            } else {
                f.push_str(" ");
            }
            spaces = true;
        } else {
            f.push_str(c.encode_utf8(&mut [0; 4]));
            spaces = false;
        }
    }
    f.out
}

/// libyaml's `yaml_emitter_write_single_quoted_scalar` (the string holds no line break).
fn single_quoted(s: &str, fold: Fold) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut f = Folder::new(fold, "'");
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let next_space = chars.get(i + 1) == Some(&' ');
            if !spaces && f.past_width() && i != 0 && i + 1 != chars.len() && !next_space {
                f.line_break();
            } else {
                f.push_str(" ");
            }
            spaces = true;
        } else {
            if c == '\'' {
                f.push_str("''");
            } else {
                f.push_str(c.encode_utf8(&mut [0; 4]));
            }
            spaces = false;
        }
    }
    f.push_str("'");
    f.out
}

fn literal_block(s: &str, indent: usize) -> String {
    let mut out = String::from("|");
    if s.starts_with(' ') || s.starts_with('\n') {
        out.push('2');
    }
    if !s.ends_with('\n') {
        out.push('-');
    } else if s == "\n" || s.ends_with("\n\n") {
        out.push('+');
    }
    out.push('\n');
    let body = s.strip_suffix('\n').unwrap_or(s);
    for (i, line) in body.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if !line.is_empty() {
            pad(&mut out, indent);
            out.push_str(line);
        }
    }
    // The caller adds the final newline.
    out
}

/// libyaml's `yaml_emitter_write_double_quoted_scalar`.
fn double_quoted(s: &str, fold: Fold) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut f = Folder::new(fold, "\"");
    let mut spaces = false;
    for (i, &c) in chars.iter().enumerate() {
        let u = c as u32;
        let escape = !is_printable(c) || u == 0xFEFF || is_break(c) || c == '"' || c == '\\';
        if c == ' ' && !escape {
            if !spaces && f.past_width() && i != 0 && i + 1 != chars.len() {
                f.line_break();
                if chars.get(i + 1) == Some(&' ') {
                    f.push_str("\\");
                }
            } else {
                f.push_str(" ");
            }
            spaces = true;
            continue;
        }
        spaces = false;
        if !escape {
            f.push_str(c.encode_utf8(&mut [0; 4]));
            continue;
        }
        let esc = match c {
            '\0' => "\\0".to_string(),
            '\u{7}' => "\\a".to_string(),
            '\u{8}' => "\\b".to_string(),
            '\t' => "\\t".to_string(),
            '\n' => "\\n".to_string(),
            '\u{b}' => "\\v".to_string(),
            '\u{c}' => "\\f".to_string(),
            '\r' => "\\r".to_string(),
            '\u{1b}' => "\\e".to_string(),
            '"' => "\\\"".to_string(),
            '\\' => "\\\\".to_string(),
            '\u{85}' => "\\N".to_string(),
            '\u{a0}' => "\\_".to_string(),
            '\u{2028}' => "\\L".to_string(),
            '\u{2029}' => "\\P".to_string(),
            _ if u <= 0xFF => format!("\\x{u:02X}"),
            _ if u <= 0xFFFF => format!("\\u{u:04X}"),
            _ => format!("\\U{u:08X}"),
        };
        f.push_str(&esc);
    }
    f.push_str("\"");
    f.out
}

/// A YAML 1.1 bool (`yes`, `off`, `Y`, ...), a base-60 float (`1:30`) or the merge key `<<`:
/// strings in YAML 1.2 that Go's encoder still will not print plain.
fn yaml11_only(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "on"
            | "On"
            | "ON"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "off"
            | "Off"
            | "OFF"
            | "<<"
    ) || is_base60_float(s)
}

/// True when `s`, written plain, reads back as the same string in Go's YAML decoder (not as a
/// null, bool, number, timestamp or merge key, and not as a YAML 1.1 bool or base-60 float).
pub fn plain_resolves_to_string(s: &str) -> bool {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return false,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return false,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "n" | "N" | "no" | "No" | "NO"
        | "off" | "Off" | "OFF" => return false,
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" => return false,
        "<<" => return false,
        _ => {}
    }
    let first = s.chars().next().unwrap_or(' ');
    if first.is_ascii_digit() || first == '+' || first == '-' || first == '.' {
        if looks_like_go_int(s) || looks_like_yaml_float(s) || is_base60_float(s) {
            return false;
        }
        if looks_like_timestamp(s) {
            return false;
        }
    }
    true
}

fn strip_sign(s: &str) -> &str {
    s.strip_prefix('+')
        .or_else(|| s.strip_prefix('-'))
        .unwrap_or(s)
}

/// Go's `strconv.ParseInt(s, 0, 64)` syntax (also `0b`/`0o`/`0x` prefixes and `_` separators).
fn looks_like_go_int(s: &str) -> bool {
    let body = strip_sign(s);
    let lower = body.to_ascii_lowercase();
    let (digits, radix) = if let Some(r) = lower.strip_prefix("0x") {
        (r.to_string(), 16)
    } else if let Some(r) = lower.strip_prefix("0b") {
        (r.to_string(), 2)
    } else if let Some(r) = lower.strip_prefix("0o") {
        (r.to_string(), 8)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (lower[1..].to_string(), 8)
    } else {
        (lower.clone(), 10)
    };
    let digits = digits.trim_start_matches('_');
    if digits.is_empty() {
        return body == "0";
    }
    if digits.ends_with('_') || digits.contains("__") {
        return false;
    }
    digits.chars().all(|c| c == '_' || c.is_digit(radix))
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn looks_like_yaml_float(s: &str) -> bool {
    let body = strip_sign(s);
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mant_ok = if let Some(frac) = mant.strip_prefix('.') {
        !frac.is_empty() && frac.chars().all(|c| c.is_ascii_digit())
    } else {
        let (int, frac) = match mant.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (mant, None),
        };
        !int.is_empty()
            && int.chars().all(|c| c.is_ascii_digit())
            && frac.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit()))
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = strip_sign(e);
        !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
    });
    mant_ok && exp_ok
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60_float(s: &str) -> bool {
    let body = strip_sign(s);
    let (main, frac) = match body.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (body, None),
    };
    if frac.is_some_and(|f| !f.chars().all(|c| c.is_ascii_digit() || c == '_')) {
        return false;
    }
    let mut parts = main.split(':');
    let head = parts.next().unwrap_or("");
    if !head.starts_with(|c: char| c.is_ascii_digit())
        || !head.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return false;
    }
    let mut any = false;
    for p in parts {
        any = true;
        let ok = match p.len() {
            1 => p.chars().all(|c| c.is_ascii_digit()),
            2 => {
                let b = p.as_bytes();
                (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit()
            }
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    any
}

/// `YYYY-M-D` optionally followed by a time (what Go's decoder would read as a timestamp).
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let rest = &s[5..];
    let date_end = rest.find(['T', 't', ' ']).unwrap_or(rest.len());
    let date = &rest[..date_end];
    let mut parts = date.split('-');
    let (m, d) = (parts.next(), parts.next());
    if parts.next().is_some() {
        return false;
    }
    let ok = |p: Option<&str>| {
        p.is_some_and(|p| (1..=2).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()))
    };
    ok(m) && ok(d)
}

/// Go yaml's map key order: like byte order, but runs of digits compare as numbers and letters
/// sort after other characters except inside numbers (`web9` < `web10`).
pub fn go_key_cmp(a: &str, b: &str) -> Ordering {
    if go_key_less(a, b) {
        Ordering::Less
    } else if go_key_less(b, a) {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

fn go_key_less(a: &str, b: &str) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut digits = false;
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            digits = ar[i].is_numeric();
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if digits { al } else { bl };
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 {
                j -= 1;
                if !ar[j].is_ascii_digit() {
                    break;
                }
                if ar[j] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an
                .saturating_mul(10)
                .saturating_add(i64::from(ar[ai] as u8 - b'0'));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn
                .saturating_mul(10)
                .saturating_add(i64::from(br[bi] as u8 - b'0'));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_strings_that_would_change_type() {
        for s in ["3000", "0440", "true", "", "null", "1.5", "1e3", "0x1F"] {
            assert_eq!(string_scalar(s, 0, Some(0)), format!("\"{s}\""), "{s}");
        }
        // YAML 1.1 bools, base-60 floats and `<<`: single quotes (docker compose v5.6.1).
        for s in ["yes", "no", "Y", "off", "1:20", "<<"] {
            assert_eq!(string_scalar(s, 0, Some(0)), format!("'{s}'"), "{s}");
        }
        for s in [
            "redis",
            "-p",
            "8.8.8.8",
            "c 1:3 mr",
            "a 7:* rmw",
            "/code",
            "tcp://192.168.0.42:123",
            "2001:3984:3989::/64",
            "02:42:ac:11:65:43",
            "${MYVAR}",
            "label=level:s0:c100,c200",
        ] {
            assert_eq!(string_scalar(s, 0, Some(0)), s, "{s}");
        }
    }

    #[test]
    fn single_quotes_indicators_and_double_quotes_specials() {
        assert_eq!(string_scalar("*", 0, Some(0)), "'*'");
        assert_eq!(string_scalar("a: b", 0, Some(0)), "'a: b'");
        assert_eq!(string_scalar(" x", 0, Some(0)), "' x'");
        assert_eq!(string_scalar("it's: x", 0, Some(0)), "'it''s: x'");
        assert_eq!(string_scalar("a\tb", 0, Some(0)), "\"a\\tb\"");
    }

    /// As docker compose v5.6.1 prints them: a break at the first single space once past
    /// column 80, continuation lines two in from the key or dash.
    #[test]
    fn folds_long_strings_past_column_80() {
        let words = ["word"; 30].join(" ");
        let v = json!({ "P": words, "S": format!("'{words}"), "D": format!("x\t{words}"),
            "Z": "aaaa  ".repeat(20) });
        let w = |n: usize| ["word"; 30][..n].join(" ");
        assert_eq!(
            to_string(&v),
            format!(
                "P: {}\n  {}\nS: \'\'\'{}\n  {}\'\nD: \"x\\t{}\n  {}\"\nZ: \'{}\'\n",
                w(16),
                w(14),
                w(16),
                w(14),
                w(15),
                w(15),
                "aaaa  ".repeat(20)
            )
        );
    }

    #[test]
    fn writes_block_style_like_go() {
        let v = json!({
            "name": "p",
            "services": {"web": {
                "command": ["a", "3000"],
                "dockerfile_inline": "FROM alpine\nRUN x\n",
                "empty": {},
                "list": [],
                "networks": {"default": null},
                "ports": [{"mode": "ingress", "target": 80}],
                "cpus": 0.5
            }}
        });
        let expected = "name: p\nservices:\n  web:\n    command:\n      - a\n      - \"3000\"\n    dockerfile_inline: |\n      FROM alpine\n      RUN x\n    empty: {}\n    list: []\n    networks:\n      default: null\n    ports:\n      - mode: ingress\n        target: 80\n    cpus: 0.5\n";
        assert_eq!(to_string(&v), expected);
    }

    #[test]
    fn literal_block_chomping() {
        assert_eq!(literal_block("a\nb", 2), "|-\n  a\n  b");
        assert_eq!(literal_block("a\n\nb\n", 2), "|\n  a\n\n  b");
        assert_eq!(literal_block("a\n\n", 2), "|+\n  a\n");
    }

    #[test]
    fn key_order_matches_go_yaml() {
        let mut keys = vec![
            "web10", "web9", "b", "B", "a-b", "ab", "LABEL_X", "LABEL.X", "x-foo",
        ];
        keys.sort_by(|a, b| go_key_cmp(a, b));
        assert_eq!(
            keys,
            vec!["B", "LABEL.X", "LABEL_X", "a-b", "ab", "b", "web9", "web10", "x-foo"]
        );
    }
}
