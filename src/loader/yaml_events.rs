//! Builds `serde_yaml::Value` documents straight from `saphyr-parser`'s events.
//!
//! serde_yaml's own reader (libyaml's scanner, then every event buffered, then the tree built
//! through serde's visitor machinery) was a third of the loader's time on large files; this reads
//! the events once and builds the tree directly, about three times faster. The tree is the same:
//! scalars are resolved exactly as serde_yaml 0.9 resolves them (`resolve_plain`), tags become
//! `Value::Tagged` as there, and the same limits hold (nesting depth 128, alias expansion bounded),
//! so the rest of the loader cannot tell the difference. Never panics on any input.
//!
//! Must not import other loader steps: `yaml` turns the errors into `LoadError`s.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span, Tag};

use serde_yaml::mapping::Entry;
use serde_yaml::value::{Mapping, Tag as YamlTag, TaggedValue, Value};
use serde_yaml::Number;

/// One parser event, or the error that ends the stream.
type ParseResult<'a> = Result<(Event<'a>, Span), ScanError>;

/// How deeply sequences and mappings may nest (serde_yaml's recursion limit).
pub const MAX_DEPTH: usize = 128;

/// Nodes that aliases may add, on top of a hundred per event read (serde_yaml bounds alias
/// replays by the same factor), before the document counts as an alias bomb.
const ALIAS_NODE_ALLOWANCE: usize = 100_000;

/// Why a text could not be read. Positions are 1-based (line, column).
#[derive(Debug, Clone, PartialEq)]
pub enum BuildError {
    /// The text is not YAML.
    Syntax { message: String, at: (usize, usize) },
    /// A key appears twice in one mapping (position of the second one).
    DuplicateKey { key: Value, at: (usize, usize) },
    /// Aliases expand to too many nodes.
    RepetitionLimit { at: (usize, usize) },
    /// Nesting deeper than [`MAX_DEPTH`], or an alias used inside the node it names.
    RecursionLimit { at: (usize, usize) },
    /// A scalar cannot be represented (an integer beyond 64 bits, a bad `!!int`...).
    Scalar { message: String, at: (usize, usize) },
}

impl BuildError {
    pub fn position(&self) -> (usize, usize) {
        match self {
            BuildError::Syntax { at, .. }
            | BuildError::DuplicateKey { at, .. }
            | BuildError::RepetitionLimit { at }
            | BuildError::RecursionLimit { at }
            | BuildError::Scalar { at, .. } => *at,
        }
    }
}

fn position(span: &Span) -> (usize, usize) {
    (span.start.line(), span.start.col() + 1)
}

fn scan_error(e: &ScanError) -> BuildError {
    let m = e.marker();
    BuildError::Syntax {
        message: e.info().to_string(),
        at: (m.line(), m.col() + 1),
    }
}

/// A collection being built.
enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        tag: Option<String>,
        nodes: usize,
    },
    Map {
        map: Mapping,
        key: Option<(Value, (usize, usize))>,
        anchor: usize,
        tag: Option<String>,
        nodes: usize,
        /// It has a `<<` key.
        merge: bool,
    },
}

/// Every non-empty-stream document of `text`, in order (an empty document is `Value::Null`),
/// as serde_yaml reads it (`<<` keys left as they are).
pub fn documents(text: &str) -> Result<Vec<Value>, BuildError> {
    documents_with(text, false, pipelined(text)).map(|(docs, _)| docs)
}

/// What a stream contains, so that later passes over its tree can be skipped when they have
/// nothing to do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Features {
    /// A tagged node (`!reset`, `!custom`...).
    pub tags: bool,
    /// A mapping key that is not a string (`1:`, `null:`, `true:`...).
    pub non_string_keys: bool,
    /// A `<<` key left for the merge-key pass (see [`documents_with_features`]).
    pub merge_keys: bool,
}

/// From this size on, the text is scanned and parsed on a second thread while this one builds
/// the tree from its events (scanning is two thirds of the work).
const PIPELINE_MIN_BYTES: usize = 64 * 1024;

/// Events per hand-over between the two threads.
const BATCH: usize = 256;

/// [`documents`], and what the stream contains; merge keys (`<<: *base`) are already resolved
/// where that cannot change what the loader's merge-key pass would report, which is: the `<<`
/// value is a mapping or a list of mappings, and no tag, no non-string key and no merge key left
/// unresolved came before the mapping closed. Any other `<<` is left in place, and
/// `Features::merge_keys` asks for the pass (which leaves resolved mappings as they are).
pub fn documents_with_features(text: &str) -> Result<(Vec<Value>, Features), BuildError> {
    documents_with(text, true, pipelined(text))
}

/// Whether `text` is large enough to be scanned on a second thread.
pub(crate) fn pipelined(text: &str) -> bool {
    text.len() >= PIPELINE_MIN_BYTES
}

/// The builder with its two choices made by the caller: resolve merge keys while building
/// (`merges`), scan on a second thread (`pipeline`). For the tests that hold each choice to the
/// result without it.
#[doc(hidden)]
pub fn documents_with(
    text: &str,
    merges: bool,
    pipeline: bool,
) -> Result<(Vec<Value>, Features), BuildError> {
    if !pipeline {
        return build(Parser::new_from_str(text), merges);
    }
    std::thread::scope(|s| {
        // Bounded: the parser runs at most this many batches ahead of the tree (an error or an
        // alias bomb found while building stops it at its next hand-over).
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<ParseResult<'_>>>(16);
        let parse = move || {
            let mut batch = Vec::with_capacity(BATCH);
            for item in Parser::new_from_str(text) {
                let failed = item.is_err();
                batch.push(item);
                if batch.len() == BATCH || failed {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                    if tx.send(full).is_err() || failed {
                        return;
                    }
                }
            }
            let _ = tx.send(batch);
        };
        match std::thread::Builder::new()
            .name("yaml".into())
            .spawn_scoped(s, parse)
        {
            Ok(_) => build(rx.into_iter().flatten(), merges),
            Err(_) => build(Parser::new_from_str(text), merges),
        }
    })
}

/// Builds the documents from a stream of parser events, resolving merge keys when `merges`.
fn build<'a>(
    mut events_in: impl Iterator<Item = ParseResult<'a>>,
    merges: bool,
) -> Result<(Vec<Value>, Features), BuildError> {
    let mut b = Builder {
        merges,
        features: Features::default(),
        docs: Vec::new(),
        stack: Vec::new(),
        anchors: HashMap::new(),
        current: None,
        events: 0,
        alias_nodes: 0,
    };
    loop {
        let (event, span) = match events_in.next() {
            None => break,
            Some(Ok(e)) => e,
            Some(Err(e)) => return Err(scan_error(&e)),
        };
        b.events += 1;
        // A finished node: (value, anchor id, size in nodes).
        let done: (Value, usize, usize) = match event {
            Event::StreamEnd => break,
            Event::StreamStart | Event::Nothing => continue,
            Event::DocumentStart(_) => {
                b.current = None;
                b.anchors.clear();
                continue;
            }
            Event::DocumentEnd => {
                b.docs.push(b.current.take().unwrap_or(Value::Null));
                continue;
            }
            Event::Alias(id) => b.alias(id, &span)?,
            Event::Scalar(text, style, anchor, tag) => {
                let mut v =
                    scalar(&text, style, tag.as_deref()).map_err(|message| BuildError::Scalar {
                        message,
                        at: position(&span),
                    })?;
                if style == ScalarStyle::Plain && tag.is_none() && b.pending_key_is("mode") {
                    octal_mode(&mut v);
                }
                (v, anchor, 1)
            }
            Event::SequenceStart(anchor, tag) => {
                b.open(true, anchor, tag, &span)?;
                continue;
            }
            Event::MappingStart(anchor, tag) => {
                b.open(false, anchor, tag, &span)?;
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => b.close(&span)?,
        };
        b.attach(done, &span)?;
    }
    if let Some(v) = b.current.take() {
        b.docs.push(v);
    }
    Ok((b.docs, b.features))
}

/// The state of [`build`] between events.
struct Builder {
    /// Resolve merge keys as mappings close.
    merges: bool,
    features: Features,
    docs: Vec<Value>,
    stack: Vec<Frame>,
    /// Anchored nodes by id, with their size in nodes; `None` while the node is still open.
    anchors: HashMap<usize, Option<(Value, usize)>>,
    /// The finished root node of the current document.
    current: Option<Value>,
    /// Events read so far.
    events: usize,
    /// Nodes added by aliases so far.
    alias_nodes: usize,
}

/// A plain `mode: 0440` is an octal number, as Go's YAML decoder reads it (compose-go keeps
/// the value it decoded: 288); quoted, `"0440"` stays text.
fn octal_mode(v: &mut Value) {
    if let Value::String(t) = v {
        if digits_but_not_number(t) && t.starts_with('0') {
            if let Ok(n) = u64::from_str_radix(t, 8) {
                *v = Value::Number(n.into());
            }
        }
    }
}

impl Builder {
    /// Whether the node being read is the value of key `name` in the mapping being built.
    fn pending_key_is(&self, name: &str) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map { key: Some((Value::String(k), _)), .. }) if k == name
        )
    }

    /// An alias: a copy of the anchored node (bounded, see [`ALIAS_NODE_ALLOWANCE`]).
    #[inline]
    fn alias(&mut self, id: usize, span: &Span) -> Result<(Value, usize, usize), BuildError> {
        match self.anchors.get(&id) {
            Some(Some((v, n))) => {
                self.alias_nodes += *n;
                if self.alias_nodes > ALIAS_NODE_ALLOWANCE + self.events.saturating_mul(100) {
                    return Err(BuildError::RepetitionLimit { at: position(span) });
                }
                Ok((v.clone(), 0, *n))
            }
            // Used inside the node it names: expanding it would never end.
            Some(None) => Err(BuildError::RecursionLimit { at: position(span) }),
            None => Err(BuildError::Syntax {
                message: "found an alias to an unknown anchor".into(),
                at: position(span),
            }),
        }
    }

    /// A sequence (`is_seq`) or mapping starts.
    #[inline]
    fn open(
        &mut self,
        is_seq: bool,
        anchor: usize,
        tag: Option<Cow<'_, Tag>>,
        span: &Span,
    ) -> Result<(), BuildError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(BuildError::RecursionLimit { at: position(span) });
        }
        if anchor != 0 {
            self.anchors.insert(anchor, None);
        }
        let tag = tag.as_deref().and_then(local_tag);
        self.stack.push(if is_seq {
            Frame::Seq {
                items: Vec::new(),
                anchor,
                tag,
                nodes: 1,
            }
        } else {
            Frame::Map {
                map: Mapping::new(),
                key: None,
                anchor,
                tag,
                nodes: 1,
                merge: false,
            }
        });
        Ok(())
    }

    /// The innermost collection ends: the finished node (value, anchor id, size in nodes), its
    /// `<<` key resolved where that is safe (see [`documents_with_features`]).
    #[inline]
    fn close(&mut self, span: &Span) -> Result<(Value, usize, usize), BuildError> {
        match self.stack.pop() {
            Some(Frame::Seq {
                items,
                anchor,
                tag,
                nodes,
            }) => Ok((tagged(Value::Sequence(items), tag), anchor, nodes)),
            Some(Frame::Map {
                mut map,
                anchor,
                tag,
                nodes,
                merge,
                ..
            }) => {
                if merge {
                    let features = &mut self.features;
                    let clean = !(features.tags || features.non_string_keys);
                    let resolved = self.merges
                        && clean
                        && !features.merge_keys
                        && tag.is_none()
                        && resolve_merge_key(&mut map);
                    features.merge_keys |= !resolved;
                }
                Ok((tagged(Value::Mapping(map), tag), anchor, nodes))
            }
            None => Err(BuildError::Syntax {
                message: "unbalanced end of a collection".into(),
                at: position(span),
            }),
        }
    }

    /// Puts a finished node where it belongs: the document root, the next item of a sequence,
    /// or a mapping's key or value (a repeated key is an error).
    #[inline]
    fn attach(&mut self, done: (Value, usize, usize), span: &Span) -> Result<(), BuildError> {
        let (value, anchor, nodes) = done;
        if let Value::Tagged(_) = value {
            self.features.tags = true;
        }
        if anchor != 0 {
            self.anchors.insert(anchor, Some((value.clone(), nodes)));
        }
        match self.stack.last_mut() {
            None => self.current = Some(value),
            Some(Frame::Seq {
                items, nodes: n, ..
            }) => {
                *n += nodes;
                items.push(value);
            }
            Some(Frame::Map {
                map,
                key,
                nodes: n,
                merge,
                ..
            }) => {
                *n += nodes;
                match key.take() {
                    None => *key = Some((value, position(span))),
                    Some((k, at)) => {
                        match &k {
                            Value::String(s) => *merge |= s == "<<",
                            _ => self.features.non_string_keys = true,
                        }
                        match map.entry(k) {
                            Entry::Occupied(o) => {
                                return Err(BuildError::DuplicateKey {
                                    key: o.key().clone(),
                                    at,
                                })
                            }
                            Entry::Vacant(slot) => {
                                slot.insert(value);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// Resolves the `<<` key of a finished mapping as the loader's merge-key pass does: keys
/// written in the mapping win over merged ones, among several merged mappings the first wins,
/// and merged keys take the place of the `<<` key. Returns `false`, leaving `map` untouched,
/// when the `<<` value is not a mapping or a list of mappings (the pass reports that).
fn resolve_merge_key(map: &mut Mapping) -> bool {
    let valid = match map.get("<<") {
        Some(Value::Mapping(_)) => true,
        Some(Value::Sequence(items)) => items.iter().all(Value::is_mapping),
        _ => false,
    };
    if !valid {
        return false;
    }
    let old = std::mem::take(map);
    let mut out = Mapping::with_capacity(old.len());
    let explicit: Vec<Value> = old.keys().filter(|k| *k != "<<").cloned().collect();
    for (k, v) in old {
        if k != "<<" {
            out.insert(k, v);
            continue;
        }
        let sources = match v {
            Value::Mapping(src) => vec![src],
            Value::Sequence(items) => items
                .into_iter()
                .filter_map(|i| match i {
                    Value::Mapping(src) => Some(src),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        for src in sources {
            for (sk, sv) in src {
                if !explicit.contains(&sk) && !out.contains_key(&sk) {
                    out.insert(sk, sv);
                }
            }
        }
    }
    *map = out;
    true
}

/// A tag as libyaml spells it (`!reset`, `tag:yaml.org,2002:str`).
fn full_tag(tag: &Tag) -> Cow<'_, str> {
    if tag.handle.is_empty() {
        Cow::Borrowed(&tag.suffix)
    } else {
        Cow::Owned(format!("{}{}", tag.handle, tag.suffix))
    }
}

/// The name serde_yaml keeps in `Value::Tagged` for a local tag (`!reset` -> `reset`); `None`
/// for global tags such as `!!str`, which only steer scalar resolution.
fn local_tag(tag: &Tag) -> Option<String> {
    let full = full_tag(tag);
    let rest = full.strip_prefix('!')?;
    Some(if rest.is_empty() {
        full.into_owned()
    } else {
        rest.to_string()
    })
}

fn tagged(value: Value, tag: Option<String>) -> Value {
    match tag {
        None => value,
        Some(t) => Value::Tagged(Box::new(TaggedValue {
            tag: YamlTag::new(t),
            value,
        })),
    }
}

const CORE: &str = "tag:yaml.org,2002:";

/// A scalar event as serde_yaml 0.9 turns it into a `Value`.
fn scalar(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let Some(tag) = tag else {
        return Ok(if style == ScalarStyle::Plain {
            resolve_plain(text)?
        } else {
            Value::String(text.to_string())
        });
    };
    if let Some(local) = local_tag(tag) {
        // Inside a local tag, a plain scalar is resolved as if untagged.
        let inner = if style == ScalarStyle::Plain {
            resolve_plain(text)?
        } else {
            Value::String(text.to_string())
        };
        return Ok(tagged(inner, Some(local)));
    }
    let full = full_tag(tag);
    match full.strip_prefix(CORE) {
        Some("bool") => match parse_bool(text) {
            Some(b) => Ok(Value::Bool(b)),
            None => Err(format!(
                "invalid value: string {text:?}, expected a boolean"
            )),
        },
        Some("int") => match int(text)? {
            Some(n) => Ok(Value::Number(n)),
            None => Err(format!(
                "invalid value: string {text:?}, expected an integer"
            )),
        },
        Some("float") => match parse_f64(text) {
            Some(f) => Ok(Value::Number(f.into())),
            None => Err(format!("invalid value: string {text:?}, expected a float")),
        },
        Some("null") => match text {
            "null" | "Null" | "NULL" | "~" => Ok(Value::Null),
            _ => Err(format!("invalid value: string {text:?}, expected null")),
        },
        _ => Ok(Value::String(text.to_string())),
    }
}

/// serde_yaml 0.9's resolution of an untagged plain scalar: null, bool, integer, float, string.
fn resolve_plain(v: &str) -> Result<Value, String> {
    match v {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        _ => {}
    }
    if let Some(b) = parse_bool(v) {
        return Ok(Value::Bool(b));
    }
    // Most scalars are words: skip the number parsers unless the text can be a number.
    let first = v.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
        return Ok(Value::String(v.to_string()));
    }
    if let Some(n) = int(v)? {
        return Ok(Value::Number(n));
    }
    if !digits_but_not_number(v) {
        if let Some(f) = parse_f64(v) {
            return Ok(Value::Number(f.into()));
        }
    }
    Ok(Value::String(v.to_string()))
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// An integer, as serde_yaml reads one (64 bits; a 128-bit one is an error, as there).
fn int(v: &str) -> Result<Option<Number>, String> {
    if let Some(n) = parse_unsigned_int(v, u64::from_str_radix) {
        return Ok(Some(n.into()));
    }
    if let Some(n) = parse_negative_int(v, i64::from_str_radix) {
        return Ok(Some(n.into()));
    }
    if parse_unsigned_int(v, u128::from_str_radix).is_some()
        || parse_negative_int(v, i128::from_str_radix).is_some()
    {
        return Err(format!("the integer {v} does not fit in 64 bits"));
    }
    Ok(None)
}

fn parse_unsigned_int<T>(
    scalar: &str,
    from_str_radix: fn(&str, u32) -> Result<T, std::num::ParseIntError>,
) -> Option<T> {
    let unpositive = scalar.strip_prefix('+').unwrap_or(scalar);
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(rest) = unpositive.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(n) = from_str_radix(rest, radix) {
                return Some(n);
            }
        }
    }
    if unpositive.starts_with(['+', '-']) {
        return None;
    }
    if digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(unpositive, 10).ok()
}

fn parse_negative_int<T>(
    scalar: &str,
    from_str_radix: fn(&str, u32) -> Result<T, std::num::ParseIntError>,
) -> Option<T> {
    for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
        if let Some(rest) = scalar.strip_prefix(prefix) {
            if let Ok(n) = from_str_radix(&format!("-{rest}"), radix) {
                return Some(n);
            }
        }
    }
    if digits_but_not_number(scalar) {
        return None;
    }
    from_str_radix(scalar, 10).ok()
}

fn parse_f64(scalar: &str) -> Option<f64> {
    let unpositive = match scalar.strip_prefix('+') {
        Some(u) if u.starts_with(['+', '-']) => return None,
        Some(u) => u,
        None => scalar,
    };
    if let ".inf" | ".Inf" | ".INF" = unpositive {
        return Some(f64::INFINITY);
    }
    if let "-.inf" | "-.Inf" | "-.INF" = scalar {
        return Some(f64::NEG_INFINITY);
    }
    if let ".nan" | ".NaN" | ".NAN" = scalar {
        return Some(f64::NAN.copysign(1.0));
    }
    match unpositive.parse::<f64>() {
        Ok(f) if f.is_finite() => Some(f),
        _ => None,
    }
}

/// Leading zero(s) followed by digits is a string in YAML 1.2 (`0123`).
fn digits_but_not_number(scalar: &str) -> bool {
    let s = scalar.strip_prefix(['-', '+']).unwrap_or(scalar);
    s.len() > 1 && s.starts_with('0') && s[1..].bytes().all(|b| b.is_ascii_digit())
}
