//! Go's `encoding/json` text of model values, as compose-go's types marshal: the JSON flavour of
//! the model's serde (struct fields in compose-go's declaration order, `omitempty` as Go applies
//! it, map keys in byte order, extensions left out, `command`/`entrypoint` always present), written
//! compactly as `json.Marshal` does, with Go's HTML-safe escaping of `<`, `>`, `&`, U+2028 and
//! U+2029.
//!
//! This is the text docker compose v5 hashes for a service's config hash, so it must match Go's
//! byte for byte. Plain data, no I/O; imports only sibling model modules.

use serde::Serialize;

use super::serde_util::with_json_mode;

/// `json.Marshal(value)` as Go writes it (compact). A value serde cannot write as JSON (a map with
/// non-string keys, which the model never has) gives `null`, as an empty answer would hide it.
pub fn marshal<T: Serialize + ?Sized>(value: &T) -> String {
    let text =
        with_json_mode(|| serde_json::to_string(value)).unwrap_or_else(|_| "null".to_string());
    escape_html(&text)
}

/// The model value as a JSON tree in Go's flavour (see the module doc), for callers that edit it
/// before printing.
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> serde_json::Value {
    with_json_mode(|| serde_json::to_value(value)).unwrap_or(serde_json::Value::Null)
}

/// Go's encoder escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings (its `HTMLEscape`); those
/// characters can only occur inside strings in JSON text, so a textual replacement is exact.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_go_does() {
        let s = "a<b>&c\u{2028}\u{2029}\n\t\u{8}\u{c}\u{1}\"\\é";
        assert_eq!(
            marshal(s),
            "\"a\\u003cb\\u003e\\u0026c\\u2028\\u2029\\n\\t\\b\\f\\u0001\\\"\\\\é\""
        );
    }
}
