//! Key lookups on the small mappings of a compose tree (a service, a port, a build section).
//!
//! `serde_yaml::Mapping::get("key")` hashes the key with SipHash before it looks; on a mapping of a
//! dozen entries, comparing the keys in turn is several times cheaper, and the loader does tens of
//! such lookups per service. Large mappings (the services of a big project) still use the hash.
//! Same answers as `get` / `get_mut` / `contains_key`: only a string key equal to `key` matches.
//!
//! No I/O; imports nothing from this crate.

use serde_yaml::{Mapping, Value};

/// Above this many entries, a lookup hashes.
const SCAN_LIMIT: usize = 16;

/// Lookups by string key that scan small mappings instead of hashing.
pub(crate) trait Fields {
    fn field(&self, key: &str) -> Option<&Value>;
    fn field_mut(&mut self, key: &str) -> Option<&mut Value>;
    fn has_field(&self, key: &str) -> bool {
        self.field(key).is_some()
    }
}

fn is_key(k: &Value, key: &str) -> bool {
    matches!(k, Value::String(s) if s == key)
}

impl Fields for Mapping {
    fn field(&self, key: &str) -> Option<&Value> {
        if self.len() > SCAN_LIMIT {
            return self.get(key);
        }
        self.iter().find(|(k, _)| is_key(k, key)).map(|(_, v)| v)
    }

    fn field_mut(&mut self, key: &str) -> Option<&mut Value> {
        if self.len() > SCAN_LIMIT {
            return self.get_mut(key);
        }
        self.iter_mut()
            .find(|(k, _)| is_key(k, key))
            .map(|(_, v)| v)
    }
}

/// On a value, as `Value::get` / `Value::get_mut` with a string: the tagged value's mapping, or
/// nothing when it is not a mapping.
impl Fields for Value {
    fn field(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Mapping(m) => m.field(key),
            Value::Tagged(t) => t.value.field(key),
            _ => None,
        }
    }

    fn field_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self {
            Value::Mapping(m) => m.field_mut(key),
            Value::Tagged(t) => t.value.field_mut(key),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_like_get_on_small_and_large_mappings() {
        for n in [0usize, 3, SCAN_LIMIT, SCAN_LIMIT + 1, 40] {
            let mut m = Mapping::new();
            for i in 0..n {
                m.insert(Value::String(format!("k{i}")), Value::from(i as u64));
            }
            // Keys that are not strings never match a string lookup.
            m.insert(Value::from(7u64), Value::from("seven"));
            m.insert(Value::Bool(true), Value::from("yes"));
            for key in ["k0", "k2", "k16", "k39", "7", "true", "missing", ""] {
                assert_eq!(m.field(key), m.get(key), "{n} entries, key {key}");
                assert_eq!(m.has_field(key), m.contains_key(key));
                let expected = m.get(key).cloned();
                assert_eq!(m.field_mut(key).map(|v| v.clone()), expected);
            }
        }
    }

    #[test]
    fn values_answer_like_get_tagged_or_not() {
        let doc: Value = serde_yaml::from_str("a: 1\nb: !t {c: 2}\nd: [x]\ne: s").unwrap();
        let tagged = doc.get("b").unwrap().clone();
        for v in [&doc, &tagged, &doc["d"], &doc["e"], &Value::Null] {
            for key in ["a", "b", "c", "d", "0", "missing"] {
                assert_eq!(v.field(key), v.get(key), "{v:?} {key}");
                let mut owned = v.clone();
                let expected = owned.get_mut(key).cloned();
                assert_eq!(owned.field_mut(key).cloned(), expected);
            }
        }
    }
}
