//! Serde helpers for the model: lenient readers for the spellings the canonical form allows
//! (numbers as strings, a string for a one-item list, `null` for empty), and writers that print
//! what `docker compose config` prints (maps in Go's key order, byte sizes and file modes as
//! strings, durations as Go prints them, `x-*` extensions last).
//!
//! The JSON flavour (`Project::to_json`) differs from YAML in a few Go-specific ways; a
//! thread-local flag, set only while `to_json` runs, selects it.
//!
//! No I/O; imports only `units`, `shellwords` and `yaml_out` from this crate.

use std::cell::Cell;
use std::fmt;
use std::time::Duration;

use indexmap::IndexMap;
use serde::de::{self, Deserializer};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};
use serde_yaml::Value;

use super::units;
use super::yaml_out::go_key_cmp;

thread_local! {
    static JSON_MODE: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with the JSON flavour of serialisation selected.
pub(crate) fn with_json_mode<T>(f: impl FnOnce() -> T) -> T {
    struct Reset(bool);
    impl Drop for Reset {
        fn drop(&mut self) {
            JSON_MODE.with(|m| m.set(self.0));
        }
    }
    let prev = JSON_MODE.with(|m| m.replace(true));
    let _reset = Reset(prev);
    f()
}

pub(crate) fn json_mode() -> bool {
    JSON_MODE.with(|m| m.get())
}

// ---------------------------------------------------------------------------------------------
// Key order

/// Compares map keys as Go does when it prints a map: yaml's natural order, or byte order for
/// JSON.
pub(crate) fn key_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    if json_mode() {
        a.cmp(b)
    } else {
        go_key_cmp(a, b)
    }
}

fn sorted_entries<V>(m: &IndexMap<String, V>) -> Vec<(&String, &V)> {
    let mut entries: Vec<_> = m.iter().collect();
    entries.sort_by(|a, b| key_cmp(a.0, b.0));
    entries
}

/// Serialises a map with its keys in Go's order.
pub(crate) fn sorted_map<S: Serializer, V: Serialize>(
    m: &IndexMap<String, V>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(m.len()))?;
    for (k, v) in sorted_entries(m) {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

/// A YAML value printed with every mapping's keys in Go's order (extension values are Go
/// `map[string]any`, so they are sorted at every depth).
pub(crate) struct SortedValue<'a>(pub &'a Value);

impl Serialize for SortedValue<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Mapping(m) => {
                let mut entries: Vec<(String, &Value)> =
                    m.iter().map(|(k, v)| (key_to_string(k), v)).collect();
                entries.sort_by(|a, b| key_cmp(&a.0, &b.0));
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(&k, &SortedValue(v))?;
                }
                map.end()
            }
            Value::Sequence(seq) => {
                let mut out = s.serialize_seq(Some(seq.len()))?;
                for v in seq {
                    out.serialize_element(&SortedValue(v))?;
                }
                out.end()
            }
            Value::Tagged(t) => SortedValue(&t.value).serialize(s),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    s.serialize_i64(i)
                } else if let Some(u) = n.as_u64() {
                    s.serialize_u64(u)
                } else {
                    s.serialize_f64(n.as_f64().unwrap_or(0.0))
                }
            }
            Value::Null => s.serialize_unit(),
            Value::Bool(b) => s.serialize_bool(*b),
            Value::String(st) => s.serialize_str(st),
        }
    }
}

/// A scalar map key as text (`1` -> "1", `true` -> "true").
pub(crate) fn key_to_string(k: &Value) -> String {
    match k {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        Value::Tagged(t) => key_to_string(&t.value),
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Extensions

/// The `x-*` keys of an object, kept as written, printed last and sorted (Go's inline map).
/// Reading rejects any other key: that is how unknown keys are reported.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Extensions(pub IndexMap<String, Value>);

impl Extensions {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }
    /// Skipped when empty, and always in JSON (Go tags extensions `json:"-"`).
    pub(crate) fn skip(&self) -> bool {
        self.0.is_empty() || json_mode()
    }
    /// The entries in Go's key order, values sorted at every depth (as they print).
    pub(crate) fn sorted(&self) -> Vec<(&String, SortedValue<'_>)> {
        sorted_entries(&self.0)
            .into_iter()
            .map(|(k, v)| (k, SortedValue(v)))
            .collect()
    }
}

impl Serialize for Extensions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        if !json_mode() {
            for (k, v) in sorted_entries(&self.0) {
                map.serialize_entry(k, &SortedValue(v))?;
            }
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Extensions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Extensions;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Extensions, A::Error> {
                let mut out = IndexMap::new();
                while let Some(k) = map.next_key::<String>()? {
                    if !k.starts_with("x-") {
                        // consume the value so the error is about the key
                        let _ = map.next_value::<de::IgnoredAny>()?;
                        return Err(de::Error::custom(format!(
                            "unknown key {k:?} (only x-* extension keys may be added)"
                        )));
                    }
                    let v: Value = map.next_value()?;
                    out.insert(k, v);
                }
                Ok(Extensions(out))
            }
        }
        d.deserialize_map(V)
    }
}

// ---------------------------------------------------------------------------------------------
// Skip predicates (Go's omitempty)

/// `skip_serializing_if` for a list: short enough that a field's serde attribute fits on one
/// line.
pub(crate) fn empty<T>(v: &[T]) -> bool {
    v.is_empty()
}

pub(crate) fn is_false(b: &bool) -> bool {
    !*b
}
pub(crate) fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}
pub(crate) fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}
pub(crate) fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}
pub(crate) fn is_zero_f32(n: &f32) -> bool {
    *n == 0.0
}
pub(crate) fn str_empty(s: &Option<String>) -> bool {
    s.as_deref().is_none_or(str::is_empty)
}
pub(crate) fn dur_zero(d: &Option<GoDuration>) -> bool {
    d.is_none_or(|d| d.0.is_zero())
}

// ---------------------------------------------------------------------------------------------
// Value writers

/// A float32 field, printed as Go prints a float32 (`0.3`, `2`).
pub(crate) fn ser_f32<S: Serializer>(f: &f32, s: S) -> Result<S::Ok, S::Error> {
    let v = units::f32_to_f64_shortest(*f);
    if v.fract() == 0.0 && v.abs() < 1e15 {
        s.serialize_i64(v as i64)
    } else {
        s.serialize_f64(v)
    }
}

/// Extra hosts print sorted, as `host=ip`.
pub(crate) fn ser_sorted_strings<S: Serializer>(v: &[String], s: S) -> Result<S::Ok, S::Error> {
    let mut sorted: Vec<&String> = v.iter().collect();
    sorted.sort();
    let mut seq = s.serialize_seq(Some(sorted.len()))?;
    for x in sorted {
        seq.serialize_element(x)?;
    }
    seq.end()
}

// ---------------------------------------------------------------------------------------------
// Small value types

/// A duration, read from `1m30s` / `90s` / `2d`, printed as Go prints it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoDuration(pub Duration);

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&units::format_duration(self.0))
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let text = match &v {
            Value::String(s) => s.clone(),
            Value::Number(n) if n.as_f64() == Some(0.0) => "0".to_string(),
            Value::Number(n) => {
                return Err(de::Error::custom(format!(
                    "invalid duration {n}: missing unit (write e.g. \"{n}s\")"
                )))
            }
            other => return Err(type_error("a duration such as \"30s\"", other)),
        };
        units::parse_duration(&text)
            .map(GoDuration)
            .map_err(de::Error::custom)
    }
}

/// A byte count, read from `512m` / `1g` / `1024`, printed as a decimal string (`"536870912"`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitBytes(pub i64);

impl UnitBytes {
    pub fn is_zero(&self) -> bool {
        self.0 == 0
    }
}

impl Serialize for UnitBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for UnitBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        match &v {
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(UnitBytes)
                .ok_or_else(|| de::Error::custom(format!("invalid size {n}: expected an integer"))),
            // A plain (possibly negative: `memswap_limit: -1`) integer, as printed; else a size.
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(n) => Ok(UnitBytes(n)),
                Err(_) => units::parse_bytes(s)
                    .map(UnitBytes)
                    .map_err(de::Error::custom),
            },
            Value::Null => Ok(UnitBytes(0)),
            other => Err(type_error(
                "a size such as \"512m\" or a number of bytes",
                other,
            )),
        }
    }
}

/// A file mode, read from an octal string (`"0440"`) or an integer, printed as `"0440"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FileMode(pub u32);

impl Serialize for FileMode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0{:o}", self.0))
    }
}

impl<'de> Deserialize<'de> for FileMode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        match &v {
            Value::Number(n) => n
                .as_u64()
                .and_then(|u| u32::try_from(u).ok())
                .map(FileMode)
                .ok_or_else(|| de::Error::custom(format!("invalid file mode {n}"))),
            Value::String(s) => {
                let t = s.trim();
                let t = t
                    .strip_prefix("0o")
                    .or_else(|| t.strip_prefix("0O"))
                    .unwrap_or(t);
                u32::from_str_radix(t, 8).map(FileMode).map_err(|_| {
                    de::Error::custom(format!(
                        "invalid file mode {s:?}: expected octal like \"0440\""
                    ))
                })
            }
            other => Err(type_error("an octal file mode such as \"0440\"", other)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lenient readers

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

pub(crate) fn type_error<E: de::Error>(expected: &str, got: &Value) -> E {
    E::custom(format!("expected {expected}, found {}", kind(got)))
}

/// A scalar as text, as Go's `fmt.Sprint` would print it.
pub(crate) fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Tagged(t) => scalar_text(&t.value),
        _ => None,
    }
}

/// A string; numbers and booleans are accepted and kept as their text.
pub(crate) fn de_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_null() {
        return Ok(String::new());
    }
    scalar_text(&v).ok_or_else(|| type_error("a string", &v))
}

pub(crate) fn de_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Value::deserialize(d)?;
    if v.is_null() {
        return Ok(None);
    }
    scalar_text(&v)
        .map(Some)
        .ok_or_else(|| type_error("a string", &v))
}

/// A list of strings; a single string is a one-item list, `null` is empty.
pub(crate) fn de_string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Value::deserialize(d)?;
    string_list(&v)
}

fn string_list<E: de::Error>(v: &Value) -> Result<Vec<String>, E> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(i, it)| {
                scalar_text(it).ok_or_else(|| {
                    E::custom(format!("item {i}: expected a string, found {}", kind(it)))
                })
            })
            .collect(),
        other => scalar_text(other)
            .map(|s| vec![s])
            .ok_or_else(|| type_error("a list of strings", other)),
    }
}

/// A command: a list of words, or a string split as compose-go splits it (`shellwords`). `null`
/// means unset.
pub(crate) fn de_command<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::Null => Ok(None),
        Value::String(s) => super::shellwords::split(s)
            .map(Some)
            .map_err(|e| de::Error::custom(format!("cannot split command {s:?}: {e}"))),
        Value::Sequence(_) => string_list(&v).map(Some),
        other => Err(type_error("a command (string or list of strings)", other)),
    }
}

/// A healthcheck test: a list, or a string meaning `["CMD-SHELL", string]`.
pub(crate) fn de_health_test<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::String(s) => Ok(vec!["CMD-SHELL".to_string(), s.clone()]),
        _ => string_list(&v),
    }
}

/// `KEY: value` mapping; also a list of `KEY=value`. `null` values become "".
pub(crate) fn de_mapping<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, String>, D::Error> {
    d.deserialize_any(EqualsMapVisitor(|v: Option<String>| v.unwrap_or_default()))
}

/// `KEY: value` mapping where a value may be absent (`null`); also a list of `KEY[=value]`.
pub(crate) fn de_mapping_opt<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<IndexMap<String, Option<String>>, D::Error> {
    d.deserialize_any(EqualsMapVisitor(|v: Option<String>| v))
}

/// Reads a `KEY: value` mapping or a `KEY[=value]` list entry by entry, straight into the result
/// (no intermediate tree); the function makes each value (`None` for an absent one).
struct EqualsMapVisitor<F>(F);

const EQUALS_MAP: &str = "a mapping or a list of KEY=value";

impl<'de, V, F: Fn(Option<String>) -> V> de::Visitor<'de> for EqualsMapVisitor<F> {
    type Value = IndexMap<String, V>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(EQUALS_MAP)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(IndexMap::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(IndexMap::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = IndexMap::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(k) = map.next_key::<Value>()? {
            let key = key_to_string(&k);
            let val: Value = map.next_value()?;
            let val = match val {
                Value::Null => None,
                other => Some(scalar_text(&other).ok_or_else(|| {
                    de::Error::custom(format!(
                        "{key}: expected a string, number, boolean or null, found {}",
                        kind(&other)
                    ))
                })?),
            };
            out.insert(key, (self.0)(val));
        }
        Ok(out)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = IndexMap::with_capacity(seq.size_hint().unwrap_or(0));
        let mut i = 0usize;
        while let Some(it) = seq.next_element::<Value>()? {
            let s = scalar_text(&it).ok_or_else(|| {
                de::Error::custom(format!("item {i}: expected KEY=value, found {}", kind(&it)))
            })?;
            match s.split_once('=') {
                Some((k, val)) => out.insert(k.to_string(), (self.0)(Some(val.to_string()))),
                None => out.insert(s, (self.0)(None)),
            };
            i += 1;
        }
        Ok(out)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(E::custom(format!("expected {EQUALS_MAP}, found a boolean")))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(E::custom(format!("expected {EQUALS_MAP}, found a number")))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(E::custom(format!("expected {EQUALS_MAP}, found a number")))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(E::custom(format!("expected {EQUALS_MAP}, found a number")))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(E::custom(format!("expected {EQUALS_MAP}, found a string")))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(de::Error::custom(format!(
            "expected {EQUALS_MAP}, found a tagged value"
        )))
    }
}

/// Any mapping (`null` is empty) of deserialisable values.
pub(crate) fn de_map<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
    d: D,
) -> Result<IndexMap<String, V>, D::Error> {
    Ok(Option::<IndexMap<String, V>>::deserialize(d)?.unwrap_or_default())
}

/// A value where `null` means the default (Go's zero value).
pub(crate) fn de_nullable<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(
    d: D,
) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn int_from<E: de::Error>(v: &Value) -> Result<Option<i64>, E> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| E::custom(format!("expected an integer, found {n}"))),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| E::custom(format!("expected an integer, found {s:?}"))),
        other => Err(type_error("an integer", other)),
    }
}

/// An integer; a numeric string is accepted. `null` is 0.
pub(crate) fn de_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(int_from(&v)?.unwrap_or(0))
}

pub(crate) fn de_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v = Value::deserialize(d)?;
    int_from(&v)
}

pub(crate) fn de_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let v = Value::deserialize(d)?;
    let n = int_from::<D::Error>(&v)?.unwrap_or(0);
    u64::try_from(n)
        .map_err(|_| de::Error::custom(format!("expected a non-negative integer, found {n}")))
}

pub(crate) fn de_opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = Value::deserialize(d)?;
    match int_from::<D::Error>(&v)? {
        None => Ok(None),
        Some(n) => u64::try_from(n)
            .map(Some)
            .map_err(|_| de::Error::custom(format!("expected a non-negative integer, found {n}"))),
    }
}

pub(crate) fn de_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let v = Value::deserialize(d)?;
    let n = int_from::<D::Error>(&v)?.unwrap_or(0);
    u32::try_from(n).map_err(|_| de::Error::custom(format!("{n} is out of range (0..=4294967295)")))
}

/// A float; numbers and numeric strings are accepted.
pub(crate) fn de_f32<'de, D: Deserializer<'de>>(d: D) -> Result<f32, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::Null => Ok(0.0),
        Value::Number(n) => Ok(n.as_f64().unwrap_or(0.0) as f32),
        Value::String(s) => s
            .trim()
            .parse::<f32>()
            .map_err(|_| de::Error::custom(format!("expected a number, found {s:?}"))),
        other => Err(type_error("a number", other)),
    }
}

fn bool_from<E: de::Error>(v: &Value) -> Result<Option<bool>, E> {
    match v {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(*b)),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "y" | "on" => Ok(Some(true)),
            "false" | "no" | "n" | "off" => Ok(Some(false)),
            _ => Err(E::custom(format!("expected a boolean, found {s:?}"))),
        },
        other => Err(type_error("a boolean", other)),
    }
}

/// A boolean; `"true"`/`"false"` (and YAML 1.1's yes/no/on/off) strings are accepted.
pub(crate) fn de_bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(bool_from(&v)?.unwrap_or(false))
}

pub(crate) fn de_opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v = Value::deserialize(d)?;
    bool_from(&v)
}

/// `external`: a boolean, or the legacy `{name: ...}` mapping (meaning true).
pub(crate) fn de_external<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::Mapping(_) => Ok(true),
        _ => Ok(bool_from(&v)?.unwrap_or(false)),
    }
}

/// `extra_hosts`: a list of `host=ip` (or `host:ip`), or a mapping host -> ip or list of ips.
/// Kept as `host=ip` strings.
pub(crate) fn de_extra_hosts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Value::deserialize(d)?;
    let mut out = Vec::new();
    let mut push = |host: &str, ip: &str| -> Result<(), D::Error> {
        if host.is_empty() || host.contains([':', '=']) {
            return Err(de::Error::custom(format!("bad host name {host:?}")));
        }
        let ip = ip
            .strip_prefix('[')
            .and_then(|i| i.strip_suffix(']'))
            .unwrap_or(ip);
        out.push(format!("{host}={ip}"));
        Ok(())
    };
    match &v {
        Value::Null => {}
        Value::Sequence(items) => {
            for it in items {
                let s = scalar_text(it).ok_or_else(|| type_error("host=ip", it))?;
                let (host, ips) =
                    s.split_once('=')
                        .or_else(|| s.split_once(':'))
                        .ok_or_else(|| {
                            de::Error::custom(format!("invalid additional host, missing IP: {s}"))
                        })?;
                for ip in ips.split(',') {
                    push(host, ip)?;
                }
            }
        }
        Value::Mapping(m) => {
            for (k, val) in m {
                let host = key_to_string(k);
                match val {
                    Value::Sequence(ips) => {
                        for ip in ips {
                            push(&host, &scalar_text(ip).unwrap_or_default())?;
                        }
                    }
                    Value::Null => push(&host, "")?,
                    other => push(&host, &scalar_text(other).unwrap_or_default())?,
                }
            }
        }
        other => return Err(type_error("a list of host=ip or a mapping", other)),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_mode_is_scoped() {
        assert!(!json_mode());
        with_json_mode(|| assert!(json_mode()));
        assert!(!json_mode());
    }

    #[test]
    fn file_mode_reads_octal_text_and_prints_it_back() {
        let m: FileMode = serde_yaml::from_str("\"0440\"").unwrap();
        assert_eq!(m.0, 0o440);
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"0440\"");
        let m: FileMode = serde_yaml::from_str("288").unwrap();
        assert_eq!(m.0, 0o440);
    }
}
