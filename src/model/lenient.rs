//! Readers for fields that accept a short scalar form or a long mapping form (`build: .` or
//! `build: {context: .}`, `secrets: [name]`, `depends_on: [db]`, `gpus: all`...). They drive the
//! derived long-form readers through serde's map and sequence accessors so that error paths
//! (`services.web.depends_on.db.condition`) survive.
//!
//! No I/O; imports only sibling model modules.

use std::fmt;
use std::marker::PhantomData;

use indexmap::IndexMap;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// A type with a one-scalar short form (`build: ./dir` is `{context: ./dir}`).
pub(crate) trait FromScalar: Sized {
    /// What the short form is, for error messages.
    const EXPECTING: &'static str;
    fn from_scalar(s: String) -> Self;
}

struct StringOrVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + FromScalar> Visitor<'de> for StringOrVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(T::from_scalar(v.to_string())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(T::from_scalar(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(T::from_scalar(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(T::from_scalar(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(T::from_scalar(v.to_string())))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
}

struct StringOrSeed<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + FromScalar> DeserializeSeed<'de> for StringOrSeed<T> {
    type Value = Option<T>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(StringOrVisitor::<T>(PhantomData))
    }
}

/// `Option<T>` from `null`, the short scalar form or the long mapping form.
pub(crate) fn de_opt_string_or<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + FromScalar,
{
    d.deserialize_any(StringOrVisitor::<T>(PhantomData))
}

struct VecStringOrVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + FromScalar> Visitor<'de> for VecStringOrVisitor<T> {
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of {}", T::EXPECTING)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element_seed(StringOrSeed::<T>(PhantomData))? {
            if let Some(item) = item {
                out.push(item);
            }
        }
        Ok(out)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(vec![T::from_scalar(v.to_string())])
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A list whose items may each be short or long; a lone scalar is a one-item list.
pub(crate) fn de_vec_string_or<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + FromScalar,
{
    d.deserialize_any(VecStringOrVisitor::<T>(PhantomData))
}

/// A mapping `name -> T` that may also be written as a list of names (each getting
/// `T::from_name`): `depends_on: [db]`, `networks: [front]`.
pub(crate) trait FromName: Sized {
    fn from_name() -> Self;
}

struct NamesOrMapVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + FromName> Visitor<'de> for NamesOrMapVisitor<T> {
    type Value = IndexMap<String, T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of names or a mapping")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = IndexMap::new();
        while let Some(name) = seq.next_element::<serde_yaml::Value>()? {
            let name = super::serde_util::scalar_text(&name)
                .ok_or_else(|| de::Error::custom("expected a name"))?;
            out.insert(name, T::from_name());
        }
        Ok(out)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = IndexMap::new();
        while let Some(k) = map.next_key::<String>()? {
            let v: Option<T> = map.next_value()?;
            out.insert(k, v.unwrap_or_else(T::from_name));
        }
        Ok(out)
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
}

pub(crate) fn de_names_or_map<'de, D, T>(d: D) -> Result<IndexMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + FromName,
{
    d.deserialize_any(NamesOrMapVisitor::<T>(PhantomData))
}

/// A mapping whose values may be `null` (`services: {web: }`), read as the default value.
pub(crate) fn de_map_null_default<'de, D, T>(d: D) -> Result<IndexMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    d.deserialize_option(NullDefaultMapVisitor::<T>(PhantomData))
}

/// Reads `null` as an empty map, and each `null` value as `T::default()`, straight into a map sized
/// from the input (a thousand services would otherwise be copied through a growing intermediate map).
struct NullDefaultMapVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + Default> Visitor<'de> for NullDefaultMapVisitor<T> {
    type Value = IndexMap<String, T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map")
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(IndexMap::new())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(IndexMap::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = IndexMap::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(k) = map.next_key::<String>()? {
            let v: Option<T> = map.next_value()?;
            out.insert(k, v.unwrap_or_default());
        }
        Ok(out)
    }
}
