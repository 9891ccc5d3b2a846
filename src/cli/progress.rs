//! Progress reporters: receive the executor's events and show them live on a TTY (indicatif, one
//! row per resource), as plain lines (`Container proj-web-1  Started`), as JSON lines, or not at
//! all. Progress goes to standard error; standard output is kept for data (`ps`, `logs`).
//! The text itself comes from `render` (pure, tested there).

use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::{AnsiMode, ProgressMode};
use super::render::{self, Rendered};
use rcompose::app::types::plan::{StepId, Verb};
use rcompose::app::{ExecEvent, Reporter};

/// The output style actually used (after resolving `auto`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Tty,
    Plain,
    Json,
    Quiet,
}

/// Resolves `--progress` / `--ansi` against whether standard error is a terminal.
pub fn resolve_style(mode: ProgressMode, ansi: AnsiMode, stderr_is_tty: bool) -> Style {
    match mode {
        ProgressMode::Plain => Style::Plain,
        ProgressMode::Json => Style::Json,
        ProgressMode::Quiet => Style::Quiet,
        ProgressMode::Tty => Style::Tty,
        ProgressMode::Auto => {
            let tty = match ansi {
                AnsiMode::Never => false,
                AnsiMode::Always => true,
                AnsiMode::Auto => stderr_is_tty,
            };
            if tty {
                Style::Tty
            } else {
                Style::Plain
            }
        }
    }
}

/// Resolves the style from the flags and the real standard error.
pub fn style_for(mode: Option<ProgressMode>, ansi: Option<AnsiMode>) -> Style {
    resolve_style(
        mode.unwrap_or_default(),
        ansi.unwrap_or_default(),
        std::io::stderr().is_terminal(),
    )
}

struct Row {
    bar: ProgressBar,
    started: Instant,
}

/// A reporter for one command: each event is rendered on its own (`render::event`).
pub struct ProgressReporter {
    style: Style,
    multi: Option<MultiProgress>,
    rows: HashMap<String, Row>,
    /// Steps with these verbs show no output lines (`--quiet-pull`, `--quiet-build`).
    hide_output: Vec<Verb>,
    hidden_steps: HashSet<StepId>,
}

impl ProgressReporter {
    pub fn new(style: Style) -> ProgressReporter {
        let multi = (style == Style::Tty)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)));
        ProgressReporter {
            style,
            multi,
            rows: HashMap::new(),
            hide_output: Vec::new(),
            hidden_steps: HashSet::new(),
        }
    }

    /// Shows no output lines (pull status, build output) of steps that pull (`--quiet-pull`)
    /// or build (`--quiet-build`); their start and end are still shown.
    pub fn hide_output_of(mut self, verb: Verb, hide: bool) -> ProgressReporter {
        if hide {
            self.hide_output.push(verb);
        }
        self
    }

    /// Prints a line outside the live area (messages like "Gracefully stopping...").
    pub fn note(&mut self, text: &str) {
        match self.style {
            Style::Quiet => {}
            Style::Json => emit(&serde_json::json!({ "text": text }).to_string()),
            Style::Plain => emit(text),
            Style::Tty => match &self.multi {
                Some(m) => {
                    let _ = m.println(text);
                }
                None => emit(text),
            },
        }
    }

    fn warn(&mut self, w: &str) {
        match self.style {
            Style::Quiet => {}
            Style::Json => emit(&render::json_warning(w)),
            _ => {
                let text = render::plain_warning(w);
                match &self.multi {
                    Some(m) => {
                        let _ = m.println(text);
                    }
                    None => emit(&text),
                }
            }
        }
    }

    fn live(&mut self, l: &render::Line) {
        let Some(multi) = &self.multi else {
            return;
        };
        let key = l.resource();
        let row = self.rows.entry(key).or_insert_with(|| {
            let bar = multi.add(ProgressBar::new_spinner());
            let style = ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner());
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(100));
            Row {
                bar,
                started: Instant::now(),
            }
        });
        if l.done {
            let secs = row.started.elapsed().as_secs_f64();
            row.bar.set_style(
                ProgressStyle::with_template("{msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            row.bar.finish_with_message(render::tty_row(l, secs));
        } else {
            row.bar.set_message(render::plain(l));
        }
    }

    /// Leaves the live area as it is (call before printing anything else at the end).
    pub fn finish(&mut self) {
        for (_, r) in self.rows.drain() {
            if !r.bar.is_finished() {
                r.bar.abandon();
            }
        }
    }
}

impl Drop for ProgressReporter {
    fn drop(&mut self) {
        self.finish();
    }
}

fn emit(s: &str) {
    let mut e = std::io::stderr().lock();
    let _ = writeln!(e, "{s}");
}

impl Reporter for ProgressReporter {
    fn report(&mut self, ev: ExecEvent) {
        if self.style == Style::Quiet {
            return;
        }
        match &ev {
            ExecEvent::Started { step, subject, .. }
                if self.hide_output.contains(&subject.verb) =>
            {
                self.hidden_steps.insert(*step);
            }
            ExecEvent::Progress { step, .. } if self.hidden_steps.contains(step) => return,
            _ => {}
        }
        match render::event(&ev) {
            Rendered::Nothing => {}
            Rendered::Warning(w) => self.warn(&w),
            Rendered::Detail { service, text } => match self.style {
                Style::Quiet => {}
                Style::Json => emit(&render::json_detail(&service, &text)),
                _ => {
                    let line = render::plain_detail(&service, &text);
                    match &self.multi {
                        Some(m) => {
                            let _ = m.println(line);
                        }
                        None => emit(&line),
                    }
                }
            },
            Rendered::Line(l) => match self.style {
                Style::Plain => emit(&render::plain(&l)),
                Style::Json => emit(&render::json(&l)),
                Style::Tty => self.live(&l),
                Style::Quiet => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_follows_the_terminal_and_ansi() {
        assert_eq!(
            resolve_style(ProgressMode::Auto, AnsiMode::Auto, true),
            Style::Tty
        );
        assert_eq!(
            resolve_style(ProgressMode::Auto, AnsiMode::Auto, false),
            Style::Plain
        );
        assert_eq!(
            resolve_style(ProgressMode::Auto, AnsiMode::Never, true),
            Style::Plain
        );
        assert_eq!(
            resolve_style(ProgressMode::Json, AnsiMode::Always, true),
            Style::Json
        );
    }
}
