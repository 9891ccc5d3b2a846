//! The `serde_yaml::Value` tree as a JSON representation for the `jsonschema` validator, so the
//! schema check reads the loader's tree in place instead of a JSON copy of it.
//!
//! The copy (the former `validate::to_json`) was a tenth of a large `config -q` and as much memory
//! again as the tree. This representation answers every accessor exactly as that copy would have:
//! keys are strings (the caller rejects any other key first), tags are transparent, integers stay
//! integers, floats are JSON numbers, and a non-finite float (`.inf`, `.nan`), which JSON cannot
//! hold, is the string serde_yaml prints for it, as the copy made it. Errors come from the same
//! validator; `tests/loader_validate.rs` checks on every corpus and fixture file that verdicts and
//! messages equal those from a JSON copy ([`json_value`]) read by jsonschema's own representation.
//!
//! Must not import other loader steps.

use std::borrow::Cow;
use std::collections::HashSet;

use jsonschema::json::{Array, Json, JsonNumber, Node, NodeIdentity, Object};
use jsonschema::types::JsonType;
use serde_yaml::{Mapping, Number, Value};

/// Marker type: validators built with `jsonschema::options_for::<YamlJson>()` take `&Value`.
pub struct YamlJson;

/// The value under any tags.
fn untagged(mut v: &Value) -> &Value {
    while let Value::Tagged(t) = v {
        v = &t.value;
    }
    v
}

/// A finite YAML number; infinities and NaN are strings to JSON.
fn finite(n: &Number) -> bool {
    n.is_i64() || n.is_u64() || n.as_f64().is_some_and(f64::is_finite)
}

/// The JSON value the copy made of a YAML value (errors and cold paths only).
pub fn json_value(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match untagged(v) {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) => json_number(n)
            .map(J::Number)
            .unwrap_or_else(|| J::String(n.to_string())),
        Value::String(s) => J::String(s.clone()),
        Value::Sequence(items) => J::Array(items.iter().map(json_value).collect()),
        Value::Mapping(m) => J::Object(
            m.iter()
                .filter_map(|(k, v)| k.as_str().map(|k| (k.to_string(), json_value(v))))
                .collect(),
        ),
        Value::Tagged(t) => json_value(&t.value),
    }
}

/// The JSON number of a finite YAML number.
pub fn json_number(n: &Number) -> Option<serde_json::Number> {
    if let Some(i) = n.as_i64() {
        Some(i.into())
    } else if let Some(u) = n.as_u64() {
        Some(u.into())
    } else {
        n.as_f64().and_then(serde_json::Number::from_f64)
    }
}

impl Json for YamlJson {
    type Node<'a> = &'a Value;
    type PreparedKey = String;
    type StringBuffer = Value;

    // A mapping's lookup hashes the key (SipHash); scanning a few keys is cheaper.
    const KEYS_PER_LOOKUP: usize = 2;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(buffer: &mut Value, string: &str, f: impl FnOnce(&Value) -> T) -> T {
        if let Value::String(s) = buffer {
            s.clear();
            s.push_str(string);
        } else {
            *buffer = Value::String(string.to_owned());
        }
        f(buffer)
    }
}

/// A number node: a finite YAML number.
#[derive(Clone, Copy)]
pub struct YamlNumber<'a>(&'a Number);

impl JsonNumber for YamlNumber<'_> {
    fn as_u64(&self) -> Option<u64> {
        self.0.as_u64()
    }
    fn as_i64(&self) -> Option<i64> {
        self.0.as_i64()
    }
    fn as_f64(&self) -> Option<f64> {
        self.0.as_f64()
    }
    fn as_str(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_number().to_string())
    }
    fn to_number(&self) -> Cow<'_, serde_json::Number> {
        // `YamlNumber`s are made for finite numbers only, which JSON can hold.
        Cow::Owned(json_number(self.0).unwrap_or_else(|| serde_json::Number::from(0)))
    }
    fn is_integer(&self) -> bool {
        // Drafts 6 and later: a float with no fractional part is an integer.
        self.0.is_i64() || self.0.is_u64() || self.0.as_f64().is_some_and(|f| f.fract() == 0.0)
    }
    fn is_written_as_integer(&self) -> bool {
        self.0.is_i64() || self.0.is_u64()
    }
}

impl<'a> Node<'a, YamlJson> for &'a Value {
    type Object = &'a Mapping;
    type Array = &'a [Value];
    type Number = YamlNumber<'a>;

    fn as_object(&self) -> Option<&'a Mapping> {
        match untagged(self) {
            Value::Mapping(m) => Some(m),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&'a [Value]> {
        match untagged(self) {
            Value::Sequence(s) => Some(s),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match untagged(self) {
            Value::String(s) => Some(Cow::Borrowed(s)),
            Value::Number(n) if !finite(n) => Some(Cow::Owned(n.to_string())),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<YamlNumber<'a>> {
        match untagged(self) {
            Value::Number(n) if finite(n) => Some(YamlNumber(n)),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match untagged(self) {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(untagged(self), Value::Null)
    }

    fn json_type(&self) -> JsonType {
        match untagged(self) {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Number(n) if finite(n) => JsonType::Number,
            Value::Number(_) | Value::String(_) => JsonType::String,
            Value::Sequence(_) => JsonType::Array,
            Value::Mapping(_) => JsonType::Object,
            Value::Tagged(t) => (&t.value).json_type(),
        }
    }

    fn string_length(&self) -> Option<u64> {
        self.as_string().map(|s| s.chars().count() as u64)
    }

    fn equals_value(&self, expected: &serde_json::Value) -> bool {
        use serde_json::Value as J;
        match (untagged(self), expected) {
            (Value::String(a), J::String(b)) => a == b,
            (Value::Bool(a), J::Bool(b)) => a == b,
            (Value::Null, J::Null) => true,
            (Value::String(_) | Value::Bool(_) | Value::Null, _) => false,
            _ => jsonschema::json::cmp::equal(&self.to_value(), expected),
        }
    }

    fn to_value(&self) -> Cow<'a, serde_json::Value> {
        Cow::Owned(json_value(self))
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(
            std::ptr::from_ref::<Value>(untagged(self)) as usize,
        ))
    }
}

/// The members of a mapping with string keys (the only keys the caller lets through).
pub struct Members<'a>(serde_yaml::mapping::Iter<'a>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<Self::Item> {
        for (k, v) in self.0.by_ref() {
            if let Value::String(k) = k {
                return Some((k.as_str(), v));
            }
        }
        None
    }
}

impl<'a> Object<'a, YamlJson> for &'a Mapping {
    type Node = &'a Value;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        Mapping::len(self)
    }

    fn get(&self, key: &String) -> Option<&'a Value> {
        if Mapping::len(self) <= 16 {
            return self
                .iter()
                .find(|(k, _)| k.as_str() == Some(key.as_str()))
                .map(|(_, v)| v);
        }
        Mapping::get(self, key.as_str())
    }

    fn members(&self) -> Members<'a> {
        Members(self.iter())
    }
}

impl<'a> Array<'a, YamlJson> for &'a [Value] {
    type Node = &'a Value;
    type ElementsIter = std::slice::Iter<'a, Value>;

    fn len(&self) -> usize {
        <[Value]>::len(self)
    }

    fn elements(&self) -> std::slice::Iter<'a, Value> {
        self.iter()
    }

    fn is_unique(&self) -> bool {
        // Lists of strings (the usual case in compose files) compare as strings; anything else
        // takes the JSON semantics (numbers compare mathematically, objects by content).
        let strings: Option<Vec<&str>> = self
            .iter()
            .map(|v| match untagged(v) {
                Value::String(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        match strings {
            Some(s) if s.len() <= 8 => s
                .iter()
                .enumerate()
                .all(|(i, a)| s[i + 1..].iter().all(|b| a != b)),
            Some(s) => {
                let mut seen = HashSet::with_capacity(s.len());
                s.into_iter().all(|x| seen.insert(x))
            }
            None => {
                let values: Vec<serde_json::Value> = self.iter().map(json_value).collect();
                jsonschema::json::unique::is_unique(&values)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn meets_the_validator_contract() {
        let doc = jsonschema::json::conformance::document();
        let tree: Value = serde_yaml::to_value(&doc).unwrap();
        jsonschema::json::conformance::assert_conformance::<YamlJson>(&&tree);
    }

    #[test]
    fn json_value_is_what_the_copy_made() {
        let v = yaml("a: 1\nb: 1.5\nc: .inf\nd: .nan\ne: [x, !custom y]\nf: null\ng: true\n");
        assert_eq!(
            json_value(&v),
            serde_json::json!({"a": 1, "b": 1.5, "c": ".inf", "d": ".nan", "e": ["x", "y"], "f": null, "g": true})
        );
    }

    #[test]
    fn non_finite_numbers_are_strings_and_tags_are_transparent() {
        let v = yaml("[.inf, !t 3, 'z']");
        let items = (&v).as_array().unwrap();
        let (inf, tagged) = (&items[0], &items[1]);
        assert_eq!(inf.json_type(), JsonType::String);
        assert_eq!(inf.as_string().as_deref(), Some(".inf"));
        assert!(inf.as_number().is_none());
        assert_eq!(tagged.json_type(), JsonType::Number);
        assert_eq!(tagged.as_number().and_then(|n| n.as_u64()), Some(3));
    }

    #[test]
    fn uniqueness_follows_json_semantics() {
        for (text, unique) in [
            ("[a, b, c]", true),
            ("[a, b, a]", false),
            ("[1, 1.0]", false),
            ("[1, '1']", true),
            ("[{a: 1}, {a: 1}]", false),
            ("[{a: 1}, {a: 2}]", true),
        ] {
            let v = yaml(text);
            assert_eq!((&v).as_array().unwrap().is_unique(), unique, "{text}");
        }
        let many: Vec<Value> = (0..40)
            .map(|i| Value::String(format!("s{}", i % 39)))
            .collect();
        assert!(!many.as_slice().is_unique());
        let distinct: Vec<Value> = (0..40).map(|i| Value::String(format!("s{i}"))).collect();
        assert!(distinct.as_slice().is_unique());
    }
}
