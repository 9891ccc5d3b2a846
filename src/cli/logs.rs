//! The rendering of container logs for `logs` and attached `up`: each line prefixed `web-1  | `
//! in a colour per container (as docker compose does). Pure; the streams themselves (one per
//! container, split into lines, merged) are `app::logs`'s, re-exported here for the callers.

pub use rcompose::app::logs::{LogEvent, LogTarget};

/// docker compose's rotation of prefix colours (ANSI SGR codes).
const PALETTE: [&str; 12] = [
    "36", "33", "32", "35", "34", "36;1", "33;1", "32;1", "35;1", "34;1", "31", "31;1",
];

/// The colour of the `i`-th container.
pub fn color(i: usize) -> &'static str {
    PALETTE.get(i % PALETTE.len()).copied().unwrap_or("36")
}

/// `web-1  | ` padded to `width`, coloured when `color` is given.
pub fn prefix(name: &str, width: usize, color: Option<&str>) -> String {
    let padded = format!("{name:<width$}");
    match color {
        Some(c) => format!("\x1b[{c}m{padded} |\x1b[0m "),
        None => format!("{padded} | "),
    }
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
    fn prefix_pads_and_colours() {
        assert_eq!(prefix("web-1", 7, None), "web-1   | ");
        assert_eq!(prefix("db-1", 4, Some("33")), "\x1b[33mdb-1 |\x1b[0m ");
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
