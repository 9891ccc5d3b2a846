//! Error locations: maps a key path (`services.web.ports[1]`) back to a line and column in the
//! original YAML text, and finds duplicate keys with both of their positions.
//!
//! Only used on the error path, so it re-reads the text with `saphyr-parser`'s event parser
//! (which carries marks) instead of keeping positions in the value tree.
//! Must not import anything from the loader but `error`; never panics on any input.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, Span, StrInput};

use super::error::{KeyPath, Seg};

/// A 1-based (line, column) position.
pub type Pos = (usize, usize);

/// The 1-based line and column of the key (or sequence item) at `path`, searching every document
/// of `text` in order. The root path maps to the first node. Paths through aliases or merge keys
/// (`<<`), and paths that do not exist in the text, give `None`.
pub fn locate(text: &str, path: &KeyPath) -> Option<Pos> {
    let mut events = Events::new(text);
    loop {
        let (ev, span) = events.next()?;
        match ev {
            Event::StreamEnd => return None,
            Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd => continue,
            _ => {
                if path.0.is_empty() {
                    return Some(pos(&span));
                }
                if let Some(found) = search(&mut events, &ev, &path.0) {
                    return Some(found);
                }
                // Not in this document: the node has been consumed (or the stream is broken);
                // go on with the next document.
            }
        }
    }
}

/// Like [`locate`], but when `path` itself is not found, the position of its deepest ancestor
/// that is (useful for "missing key" errors). `None` only when not even the root is found.
pub fn locate_nearest(text: &str, path: &KeyPath) -> Option<Pos> {
    let mut segs = path.0.clone();
    loop {
        if let Some(p) = locate(text, &KeyPath(segs.clone())) {
            return Some(p);
        }
        segs.pop()?;
    }
}

/// A key that appears twice in the same mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateKey {
    /// The path of the duplicated key (its mapping's path plus the key).
    pub path: KeyPath,
    /// The key as written.
    pub key: String,
    /// Where it is first defined.
    pub first: Pos,
    /// Where it is defined again.
    pub again: Pos,
}

/// The first key defined twice in one mapping (compared by scalar text), if any.
pub fn find_duplicate_key(text: &str) -> Option<DuplicateKey> {
    enum Frame {
        Map {
            path: KeyPath,
            seen: HashMap<String, Pos>,
            /// The key whose value comes next, when the next node is a value.
            pending: Option<String>,
            expect_key: bool,
        },
        Seq {
            path: KeyPath,
            next: usize,
        },
        /// A complex (non-scalar) key being skipped.
        Skip(usize),
    }

    /// The path of the node about to start, given the enclosing frame.
    fn child_path(stack: &[Frame]) -> KeyPath {
        match stack.last() {
            Some(Frame::Map { path, pending, .. }) => match pending {
                Some(k) => path.key(k.clone()),
                None => path.clone(),
            },
            Some(Frame::Seq { path, next }) => path.index(*next),
            _ => KeyPath::root(),
        }
    }

    /// Records that a complete node was read in the enclosing frame.
    fn node_done(stack: &mut [Frame]) {
        match stack.last_mut() {
            Some(Frame::Map {
                pending,
                expect_key,
                ..
            }) => {
                if *expect_key {
                    // A complex key just ended; its value comes next.
                    *expect_key = false;
                    *pending = None;
                } else {
                    *expect_key = true;
                    *pending = None;
                }
            }
            Some(Frame::Seq { next, .. }) => *next += 1,
            _ => {}
        }
    }

    let mut events = Events::new(text);
    let mut stack: Vec<Frame> = Vec::new();
    while let Some((ev, span)) = events.next() {
        // Inside a complex key: only count nesting.
        if let Some(Frame::Skip(depth)) = stack.last_mut() {
            match ev {
                Event::MappingStart(..) | Event::SequenceStart(..) => *depth += 1,
                Event::MappingEnd | Event::SequenceEnd => {
                    *depth -= 1;
                    if *depth == 0 {
                        stack.pop();
                        node_done(&mut stack);
                    }
                }
                _ => {}
            }
            continue;
        }
        let is_key = matches!(
            stack.last(),
            Some(Frame::Map {
                expect_key: true,
                ..
            })
        );
        match ev {
            Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentStart(_) | Event::DocumentEnd | Event::Nothing => {}
            Event::Scalar(value, ..) if is_key => {
                if let Some(Frame::Map {
                    path,
                    seen,
                    pending,
                    expect_key,
                }) = stack.last_mut()
                {
                    let here = pos(&span);
                    if let Some(first) = seen.get(value.as_ref()) {
                        return Some(DuplicateKey {
                            path: path.key(value.to_string()),
                            key: value.to_string(),
                            first: *first,
                            again: here,
                        });
                    }
                    seen.insert(value.to_string(), here);
                    *pending = Some(value.to_string());
                    *expect_key = false;
                }
            }
            Event::Scalar(..) | Event::Alias(_) => node_done(&mut stack),
            Event::MappingStart(..) | Event::SequenceStart(..) if is_key => {
                stack.push(Frame::Skip(1));
            }
            Event::MappingStart(..) => {
                let path = child_path(&stack);
                stack.push(Frame::Map {
                    path,
                    seen: HashMap::new(),
                    pending: None,
                    expect_key: true,
                });
            }
            Event::SequenceStart(..) => {
                let path = child_path(&stack);
                stack.push(Frame::Seq { path, next: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                node_done(&mut stack);
            }
        }
    }
    None
}

/// Every scalar value (not key) of the first document of `text`, with its path (keys, and
/// sequence indexes written as numbers) and its byte range in `text` (quotes included). Aliases
/// and complex keys are left out; a text that does not parse gives what was read before the error.
pub fn scalar_spans(text: &str) -> Vec<(Vec<String>, std::ops::Range<usize>)> {
    enum Frame {
        Map { key: Option<String> },
        Seq { next: usize },
    }
    // saphyr's marks count characters; the ranges are bytes.
    let bytes_at: Vec<usize> = text
        .char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()))
        .collect();
    let byte = |c: usize| bytes_at.get(c).copied().unwrap_or(text.len());
    let mut out = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut events = Events::new(text);
    let mut skip = 0usize;
    // Pushes the segment of the node about to start; false when it is a mapping key.
    fn enter(stack: &mut [Frame], path: &mut Vec<String>) -> bool {
        match stack.last_mut() {
            Some(Frame::Map { key }) => match key.take() {
                Some(k) => {
                    path.push(k);
                    true
                }
                None => false,
            },
            Some(Frame::Seq { next }) => {
                path.push(next.to_string());
                *next += 1;
                true
            }
            None => true,
        }
    }
    while let Some((ev, span)) = events.next() {
        if skip > 0 {
            match ev {
                Event::MappingStart(..) | Event::SequenceStart(..) => skip += 1,
                Event::MappingEnd | Event::SequenceEnd => skip -= 1,
                _ => {}
            }
            continue;
        }
        match ev {
            Event::DocumentEnd | Event::StreamEnd => break,
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => {}
            Event::Scalar(value, ..) => {
                let is_key = matches!(stack.last(), Some(Frame::Map { key: None }));
                if is_key {
                    if let Some(Frame::Map { key }) = stack.last_mut() {
                        *key = Some(value.to_string());
                    }
                } else if enter(&mut stack, &mut path) {
                    out.push((
                        path.clone(),
                        byte(span.start.index())..byte(span.end.index()),
                    ));
                    path.pop();
                }
            }
            Event::Alias(_) => {
                if enter(&mut stack, &mut path) {
                    path.pop();
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_key =
                    matches!(stack.last(), Some(Frame::Map { key: None })) && !stack.is_empty();
                if is_key {
                    // A complex key: skipped, and its value with it.
                    skip = 1;
                    if let Some(Frame::Map { key }) = stack.last_mut() {
                        *key = Some(String::new());
                    }
                    continue;
                }
                if !stack.is_empty() {
                    enter(&mut stack, &mut path);
                }
                stack.push(if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map { key: None }
                } else {
                    Frame::Seq { next: 0 }
                });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                if !stack.is_empty() {
                    path.pop();
                }
            }
        }
    }
    out
}

/// The event stream of `text`, stopping (returning `None`) at the end or at the first error.
struct Events<'a> {
    parser: Parser<'a, StrInput<'a>>,
    done: bool,
}

impl<'a> Events<'a> {
    fn new(text: &'a str) -> Self {
        Events {
            parser: Parser::new_from_str(text),
            done: false,
        }
    }

    fn next(&mut self) -> Option<(Event<'a>, Span)> {
        if self.done {
            return None;
        }
        match self.parser.next_event() {
            Some(Ok((ev, span))) => {
                if matches!(ev, Event::StreamEnd) {
                    self.done = true;
                }
                Some((ev, span))
            }
            _ => {
                self.done = true;
                None
            }
        }
    }

    /// Skips the rest of a node whose first event `first` was already read.
    fn skip_rest(&mut self, first: &Event<'a>) {
        if !matches!(first, Event::MappingStart(..) | Event::SequenceStart(..)) {
            return;
        }
        let mut depth = 1usize;
        while depth > 0 {
            match self.next() {
                Some((Event::MappingStart(..) | Event::SequenceStart(..), _)) => depth += 1,
                Some((Event::MappingEnd | Event::SequenceEnd, _)) => depth -= 1,
                Some(_) => {}
                None => return,
            }
        }
    }
}

fn pos(span: &Span) -> Pos {
    (span.start.line(), span.start.col() + 1)
}

/// Searches the node starting with `first` for `segs` (not empty). Consumes the whole node when
/// the path is not found in it; may stop in the middle when it is.
fn search<'a>(events: &mut Events<'a>, first: &Event<'a>, segs: &[Seg]) -> Option<Pos> {
    let (seg, rest) = segs.split_first()?;
    match (first, seg) {
        (Event::MappingStart(..), Seg::Key(want)) => loop {
            let (key, key_span) = events.next()?;
            if matches!(key, Event::MappingEnd) {
                return None;
            }
            let matched = matches!(&key, Event::Scalar(k, ..) if k.as_ref() == want.as_str());
            events.skip_rest(&key);
            let (value, _) = events.next()?;
            if matched {
                if rest.is_empty() {
                    return Some(pos(&key_span));
                }
                let found = search(events, &value, rest);
                if found.is_some() {
                    return found;
                }
                // `search` consumed the value node; keep scanning (a duplicate key may follow).
            } else {
                events.skip_rest(&value);
            }
        },
        (Event::SequenceStart(..), Seg::Index(want)) => {
            let mut i = 0usize;
            loop {
                let (item, item_span) = events.next()?;
                if matches!(item, Event::SequenceEnd) {
                    return None;
                }
                if i == *want {
                    if rest.is_empty() {
                        return Some(pos(&item_span));
                    }
                    let found = search(events, &item, rest);
                    if found.is_some() {
                        return found;
                    }
                } else {
                    events.skip_rest(&item);
                }
                i += 1;
            }
        }
        _ => {
            events.skip_rest(first);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalar_spans_give_each_value_its_path_and_bytes() {
        let text = "services:\n  wéb:\n    env_file: [a.env, \"b.env\"]\n    x: {path: c.env}\n---\nz: 1\n";
        let spans = scalar_spans(text);
        let found: Vec<(String, &str)> = spans
            .iter()
            .map(|(p, r)| (p.join("."), &text[r.clone()]))
            .collect();
        assert_eq!(
            found,
            vec![
                ("services.wéb.env_file.0".to_string(), "a.env"),
                ("services.wéb.env_file.1".to_string(), "\"b.env\""),
                ("services.wéb.x.path".to_string(), "c.env"),
            ]
        );
    }

    const DOC: &str = "services:\n  web:\n    image: nginx\n    ports:\n      - \"80:80\"\n      - target: 443\n        published: 8443\n  db:\n    image: postgres\n";

    #[test]
    fn locates_keys_and_sequence_items() {
        assert_eq!(locate(DOC, &KeyPath::parse("services")), Some((1, 1)));
        assert_eq!(
            locate(DOC, &KeyPath::parse("services.web.image")),
            Some((3, 5))
        );
        assert_eq!(
            locate(DOC, &KeyPath::parse("services.web.ports[0]")),
            Some((5, 9))
        );
        assert_eq!(
            locate(DOC, &KeyPath::parse("services.web.ports[1].published")),
            Some((7, 9))
        );
        assert_eq!(
            locate(DOC, &KeyPath::parse("services.db.image")),
            Some((9, 5))
        );
        assert_eq!(locate(DOC, &KeyPath::parse("services.nope")), None);
        assert_eq!(locate(DOC, &KeyPath::parse("services.web.ports[5]")), None);
    }

    #[test]
    fn nearest_falls_back_to_the_deepest_ancestor() {
        assert_eq!(
            locate_nearest(DOC, &KeyPath::parse("services.web.missing.deeper")),
            Some((2, 3))
        );
    }

    #[test]
    fn locates_in_flow_style_and_later_documents() {
        let text = "a: 1\n---\nb: {c: [x, y]}\n";
        assert_eq!(locate(text, &KeyPath::parse("b.c[1]")), Some((3, 12)));
    }

    #[test]
    fn broken_text_gives_none_not_a_panic() {
        assert_eq!(locate("a: [1\n", &KeyPath::parse("b")), None);
        assert_eq!(locate("", &KeyPath::parse("a")), None);
        assert_eq!(find_duplicate_key("a: [1\n"), None);
    }

    #[test]
    fn finds_duplicate_keys_with_both_positions() {
        let text = "services:\n  web:\n    image: a\n    ports: [1]\n    image: b\n";
        let dup = find_duplicate_key(text);
        assert_eq!(
            dup,
            Some(DuplicateKey {
                path: KeyPath::parse("services.web.image"),
                key: "image".into(),
                first: (3, 5),
                again: (5, 5),
            })
        );
        assert_eq!(find_duplicate_key("a: 1\nb: {a: 2}\n---\na: 3\n"), None);
        let nested = "x:\n  - {k: 1, k: 2}\n";
        assert_eq!(
            find_duplicate_key(nested).map(|d| d.path.to_string()),
            Some("x[0].k".to_string())
        );
    }
}
