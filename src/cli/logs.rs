//! Log multiplexing for `logs` and attached `up`: one stream per container, split into lines,
//! each line prefixed `web-1  | ` in a colour per container (as docker compose does). The text
//! pieces (prefix, colour choice, line splitting) are pure; `multiplex` merges the engine's
//! streams and tells the caller when a container's stream ends.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};

use crate::engine::{Engine, LogOptions};

/// docker compose's rotation of prefix colours (ANSI SGR codes).
const PALETTE: [&str; 12] = [
    "36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1", "31", "31;1",
];

/// The colour of the `i`-th container.
pub fn color(i: usize) -> &'static str {
    PALETTE.get(i % PALETTE.len()).copied().unwrap_or("36")
}

/// The short name shown before each line: `web-1` for `proj-web-1`, else the container name.
pub fn display_name(project: &str, service: &str, number: u32, container_name: &str) -> String {
    if container_name == format!("{project}-{service}-{number}")
        || container_name == format!("{project}_{service}_{number}")
    {
        format!("{service}-{number}")
    } else {
        container_name.to_string()
    }
}

/// `web-1  | ` padded to `width`, coloured when `color` is given.
pub fn prefix(name: &str, width: usize, color: Option<&str>) -> String {
    let padded = format!("{name:<width$}");
    match color {
        Some(c) => format!("\x1b[{c}m{padded} |\x1b[0m "),
        None => format!("{padded} | "),
    }
}

/// Splits a byte stream into lines, keeping an incomplete last line until more arrives.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: Vec<u8>,
}

impl LineSplitter {
    /// Complete lines in `chunk` (without their `\n` or `\r\n`).
    pub fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(pos) = self.pending.iter().position(|b| *b == b'\n') {
            let rest = self.pending.split_off(pos + 1);
            let mut line = std::mem::replace(&mut self.pending, rest);
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            out.push(String::from_utf8_lossy(&line).into_owned());
        }
        out
    }

    /// The incomplete last line, if any (at the end of the stream).
    pub fn finish(&mut self) -> Option<String> {
        if self.pending.is_empty() {
            None
        } else {
            let line = std::mem::take(&mut self.pending);
            Some(String::from_utf8_lossy(&line).into_owned())
        }
    }
}

/// One container to follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogTarget {
    pub id: String,
    pub service: String,
    /// The prefix text (`web-1`).
    pub label: String,
}

/// What the multiplexer yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// A line of container `target` (index into the targets).
    Line { target: usize, text: String },
    /// The stream of `target` ended (the container stopped, or no `follow`).
    Ended { target: usize },
    /// Reading the stream failed.
    Error { target: usize, message: String },
}

fn one(
    engine: Arc<dyn Engine>,
    index: usize,
    id: String,
    opts: LogOptions,
) -> BoxStream<'static, LogEvent> {
    let logs = engine.logs(&id, &opts);
    let mut split = LineSplitter::default();
    enum Item {
        Chunk(Result<Bytes, String>),
        End,
    }
    logs.map(|r| Item::Chunk(r.map(|c| c.bytes).map_err(|e| e.to_string())))
        .chain(stream::once(async { Item::End }))
        .flat_map(move |item| {
            let evs: Vec<LogEvent> = match item {
                Item::Chunk(Ok(b)) => split
                    .push(&b)
                    .into_iter()
                    .map(|text| LogEvent::Line {
                        target: index,
                        text,
                    })
                    .collect(),
                Item::Chunk(Err(message)) => vec![LogEvent::Error {
                    target: index,
                    message,
                }],
                Item::End => {
                    let mut v: Vec<LogEvent> = split
                        .finish()
                        .map(|text| LogEvent::Line {
                            target: index,
                            text,
                        })
                        .into_iter()
                        .collect();
                    v.push(LogEvent::Ended { target: index });
                    v
                }
            };
            stream::iter(evs)
        })
        .boxed()
}

/// Merges the logs of `targets` into one stream of lines and end markers.
pub fn multiplex(
    engine: Arc<dyn Engine>,
    targets: &[LogTarget],
    opts: &LogOptions,
) -> BoxStream<'static, LogEvent> {
    let streams: Vec<_> = targets
        .iter()
        .enumerate()
        .map(|(i, t)| one(Arc::clone(&engine), i, t.id.clone(), opts.clone()))
        .collect();
    stream::select_all(streams).boxed()
}

/// Re-follows one target (after a restart), from `since` (seconds since the epoch).
pub fn follow_again(
    engine: Arc<dyn Engine>,
    index: usize,
    target: &LogTarget,
    since: i64,
) -> BoxStream<'static, LogEvent> {
    let opts = LogOptions {
        follow: true,
        since: Some(since),
        ..Default::default()
    };
    one(engine, index, target.id.clone(), opts)
}

/// Formats lines for output: prefixes, widths and colours for a set of targets.
#[derive(Debug, Clone)]
pub struct Formatter {
    labels: Vec<String>,
    width: usize,
    colors: bool,
    prefixes: bool,
}

impl Formatter {
    pub fn new(targets: &[LogTarget], colors: bool, prefixes: bool) -> Formatter {
        let width = targets
            .iter()
            .map(|t| t.label.chars().count())
            .max()
            .unwrap_or(0)
            // docker compose pads to the longest name plus one: `web-1  | `.
            + 1;
        Formatter {
            labels: targets.iter().map(|t| t.label.clone()).collect(),
            width,
            colors,
            prefixes,
        }
    }

    fn label(&self, target: usize) -> &str {
        self.labels.get(target).map(String::as_str).unwrap_or("?")
    }

    fn prefix(&self, target: usize) -> String {
        if !self.prefixes {
            return String::new();
        }
        let c = self.colors.then(|| color(target));
        prefix(self.label(target), self.width, c)
    }

    /// `web-1  | hello`.
    pub fn line(&self, target: usize, text: &str) -> String {
        format!("{}{text}", self.prefix(target))
    }

    /// `web-1 exited with code 0`.
    pub fn exited(&self, target: usize, code: i64) -> String {
        let text = format!("{} exited with code {code}", self.label(target));
        if self.colors {
            format!("\x1b[{}m{text}\x1b[0m", color(target))
        } else {
            text
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_split_across_chunks() {
        let mut s = LineSplitter::default();
        assert_eq!(s.push(b"hel"), Vec::<String>::new());
        assert_eq!(s.push(b"lo\r\nwor"), vec!["hello".to_string()]);
        assert_eq!(s.push(b"ld\n\n"), vec!["world".to_string(), String::new()]);
        assert_eq!(s.push(b"tail"), Vec::<String>::new());
        assert_eq!(s.finish(), Some("tail".to_string()));
        assert_eq!(s.finish(), None);
    }

    #[test]
    fn invalid_utf8_does_not_panic() {
        let mut s = LineSplitter::default();
        assert_eq!(s.push(&[0xff, 0xfe, b'\n']).len(), 1);
    }

    #[test]
    fn prefix_pads_and_colours() {
        assert_eq!(prefix("web-1", 7, None), "web-1   | ");
        assert_eq!(prefix("db-1", 4, Some("33")), "\x1b[33mdb-1 |\x1b[0m ");
    }

    #[test]
    fn display_name_shortens_generated_names_only() {
        assert_eq!(display_name("p", "web", 2, "p-web-2"), "web-2");
        assert_eq!(display_name("p", "web", 1, "p_web_1"), "web-1");
        assert_eq!(display_name("p", "web", 1, "custom"), "custom");
    }

    #[test]
    fn formatter_aligns_all_targets() {
        let t = |l: &str| LogTarget {
            id: "x".into(),
            service: "s".into(),
            label: l.into(),
        };
        let f = Formatter::new(&[t("web-1"), t("database-1")], false, true);
        assert_eq!(f.line(0, "hi"), "web-1       | hi");
        assert_eq!(f.line(1, "ok"), "database-1  | ok");
        assert_eq!(f.exited(0, 3), "web-1 exited with code 3");
        let bare = Formatter::new(&[t("web-1")], false, false);
        assert_eq!(bare.line(0, "hi"), "hi");
    }
}
