//! Container logs as a typed event stream (for `logs` and attached `up`): one stream per
//! container, split into lines, merged ([`multiplex`]), with an end marker per container so the
//! caller (`app::monitor`) can follow a restarted container again; [`split_timestamp`] reads the
//! engine's timestamp off a line. `--since`/`--until`/`--tail` travel in `engine::LogOptions`. Rendering (prefixes, colours) is the cli's. Must not import
//! `cli` or `loader`; prints nothing.

use std::sync::Arc;

use bytes::Bytes;
use futures::stream::{self, BoxStream, StreamExt};

use super::query::{service_containers, QueryError};
use crate::engine::{ContainerSummary, Engine, LogOptions};
use crate::plan::labels;

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

/// Splits the engine's timestamp (`2026-12-05T16:42:35.430926934Z text`, as logs with
/// `timestamps` come) off a line: nanoseconds since the epoch and the text after it. `None` when
/// the line does not start with one.
pub fn split_timestamp(line: &str) -> Option<(i128, &str)> {
    let (first, rest) = line.split_once(' ').unwrap_or((line, ""));
    if first.len() < 20 || !first.as_bytes()[0].is_ascii_digit() || !first.contains('T') {
        return None;
    }
    let at: jiff::Timestamp = first.parse().ok()?;
    Some((at.as_nanosecond(), rest))
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

/// The log stream of container `id` as events under `index` (lines, then `Ended`).
pub(crate) fn one(
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

/// Log targets for containers: label `web-1` (or the container name).
pub fn targets(project: &str, containers: &[ContainerSummary]) -> Vec<LogTarget> {
    containers
        .iter()
        .map(|c| {
            let service = c.labels.get(labels::SERVICE).cloned().unwrap_or_default();
            let number = c
                .labels
                .get(labels::CONTAINER_NUMBER)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            LogTarget {
                id: c.id.clone(),
                label: display_name(project, &service, number, c.name()),
                service,
            }
        })
        .collect()
}

/// `logs`: which containers, and how to read them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogsOptions {
    /// Services (all when empty).
    pub services: Vec<String>,
    /// Only the container with this number (`--index`).
    pub index: Option<u32>,
    /// `--follow`, `--timestamps`, `--tail`, `--since`, `--until`.
    pub log: LogOptions,
}

/// `logs`: the project's service containers chosen by `opts` (sorted by service and number),
/// as targets, and their merged log stream.
pub async fn logs(
    engine: Arc<dyn Engine>,
    project: &str,
    opts: &LogsOptions,
) -> Result<(Vec<LogTarget>, BoxStream<'static, LogEvent>), QueryError> {
    let mut containers = service_containers(engine.as_ref(), project).await?;
    if !opts.services.is_empty() {
        containers.retain(|c| {
            c.labels
                .get(labels::SERVICE)
                .is_some_and(|s| opts.services.contains(s))
        });
    }
    if let Some(i) = opts.index {
        containers.retain(|c| c.labels.get(labels::CONTAINER_NUMBER) == Some(&i.to_string()));
    }
    let targets = targets(project, &containers);
    let stream = multiplex(engine, &targets, &opts.log);
    Ok((targets, stream))
}

/// Everything container `id` has logged (its last `tail` lines, or all), stdout and stderr
/// interleaved, as text.
pub async fn text(
    engine: &dyn Engine,
    id: &str,
    tail: Option<u64>,
) -> Result<String, crate::engine::EngineError> {
    let opts = LogOptions {
        tail,
        ..Default::default()
    };
    let mut stream = engine.logs(id, &opts);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk?.bytes);
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
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
    fn timestamps_split_off_exactly() {
        let (ns, text) = split_timestamp("1970-01-01T00:00:01.000000002Z hello world").unwrap();
        assert_eq!((ns, text), (1_000_000_002, "hello world"));
        assert_eq!(
            split_timestamp("1970-01-01T00:00:01Z").unwrap(),
            (1_000_000_000, "")
        );
        assert_eq!(split_timestamp("hello world"), None);
        assert_eq!(split_timestamp("2026-12-05Tnonsense-nonsense x"), None);
    }

    #[test]
    fn invalid_utf8_does_not_panic() {
        let mut s = LineSplitter::default();
        assert_eq!(s.push(&[0xff, 0xfe, b'\n']).len(), 1);
    }

    #[test]
    fn display_name_shortens_generated_names_only() {
        assert_eq!(display_name("p", "web", 2, "p-web-2"), "web-2");
        assert_eq!(display_name("p", "web", 1, "p_web_1"), "web-1");
        assert_eq!(display_name("p", "web", 1, "custom"), "custom");
    }
}
