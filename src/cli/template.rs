//! The `--format` templates of the listings (`ps`, `volumes`, `stats`): the common subset of Go's
//! templates that docker's formatter takes, over any row that says what fields it has
//! ([`FormatRow`]). Pure text; the rows come from `app::query`.

use serde_json::Value;

use super::list::{go_json, tabwrite};

/// One row of a listing as docker's formatter context shows it to a template.
pub trait FormatRow {
    /// The fields, in the order `{{json .}}` lists them (alphabetical, as Go marshals a map),
    /// with the header each has in a `table` template (`None`: `<no value>`).
    const FIELDS: &'static [(&'static str, Option<&'static str>)];
    /// The Go type named by "can't evaluate field X in type ...".
    const CONTEXT: &'static str;

    /// The value of a field (`None` for one the row does not have).
    fn field(&self, name: &str) -> Option<Value>;

    /// How `{{.Field}}` prints a field whose text is not its JSON value's (a Go slice...).
    fn text(&self, _name: &str) -> Option<String> {
        None
    }

    /// `{{.Label "key"}}` (empty when missing).
    fn label(&self, key: &str) -> &str;

    /// `{{json .}}`: every field, in [`FormatRow::FIELDS`] order.
    fn json(&self) -> Value {
        let mut m = serde_json::Map::new();
        for (name, _) in Self::FIELDS {
            if let Some(v) = self.field(name) {
                m.insert(name.to_string(), v);
            }
        }
        Value::Object(m)
    }
}

/// The text Go's templates print for a value: strings as they are, numbers as numbers.
pub fn go_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "<no value>".to_string(),
        other => other.to_string(),
    }
}

/// One action of a `--format` template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Action {
    /// `{{.Name}}`
    Field(String),
    /// `{{.Label "com.example.tier"}}`
    Label(String),
    /// `{{json .}}` (None) or `{{json .Ports}}`.
    Json(Option<String>),
    /// `{{upper .Name}}`, `{{lower ...}}`, `{{title ...}}`.
    Func(String, String),
}

/// A piece of a `--format` template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Action(Action),
}

/// A Go template as docker's formatter takes it, the common subset: text with `\t` and `\n`
/// escapes, `{{.Field}}`, `{{.Label "key"}}`, `{{json .}}`, `{{json .Field}}`,
/// `{{upper|lower|title .Field}}`; `table ` in front prints a header and aligns the columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    table: bool,
    pieces: Vec<Piece>,
    /// The headers of the row type's fields.
    fields: &'static [(&'static str, Option<&'static str>)],
}

fn field_ref<R: FormatRow>(word: &str) -> Result<String, String> {
    let name = word
        .strip_prefix('.')
        .ok_or_else(|| format!("unsupported template argument {word:?}"))?;
    if R::FIELDS.iter().any(|(f, _)| *f == name) {
        Ok(name.to_string())
    } else {
        Err(format!(
            "can't evaluate field {name} in type {}",
            R::CONTEXT
        ))
    }
}

fn unquote(word: &str) -> Option<String> {
    let inner = word
        .strip_prefix('"')
        .and_then(|w| w.strip_suffix('"'))
        .or_else(|| word.strip_prefix('`').and_then(|w| w.strip_suffix('`')))?;
    Some(inner.replace("\\\"", "\"").replace("\\\\", "\\"))
}

fn parse_action<R: FormatRow>(text: &str) -> Result<Action, String> {
    let text = text
        .trim()
        .trim_start_matches('-')
        .trim_end_matches('-')
        .trim();
    let (head, rest) = match text.split_once(char::is_whitespace) {
        Some((h, r)) => (h, r.trim()),
        None => (text, ""),
    };
    match head {
        "json" if rest == "." => Ok(Action::Json(None)),
        "json" => Ok(Action::Json(Some(field_ref::<R>(rest)?))),
        "upper" | "lower" | "title" => Ok(Action::Func(head.to_string(), field_ref::<R>(rest)?)),
        ".Label" => unquote(rest)
            .map(Action::Label)
            .ok_or_else(|| format!("bad label name {rest:?}")),
        _ if rest.is_empty() => Ok(Action::Field(field_ref::<R>(head)?)),
        _ => Err(format!("unsupported template action {{{{{text}}}}}")),
    }
}

impl Template {
    /// Parses a custom format (not `table` alone, not `json`) for rows of type `R`.
    pub fn parse<R: FormatRow>(format: &str) -> Result<Template, String> {
        let (table, body) = match format.strip_prefix("table") {
            Some(rest) => (true, rest),
            None => (false, format),
        };
        let body = body
            .trim_matches(' ')
            .replace("\\t", "\t")
            .replace("\\n", "\n");
        let mut pieces = Vec::new();
        let mut rest = body.as_str();
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| "template: :1: unclosed action".to_string())?;
            pieces.push(Piece::Action(parse_action::<R>(&after[..close])?));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_string()));
        }
        Ok(Template {
            table,
            pieces,
            fields: R::FIELDS,
        })
    }

    fn render_row<R: FormatRow>(&self, r: &R) -> String {
        let field = |f: &str| r.field(f).unwrap_or(Value::Null);
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Action(Action::Field(f)) => {
                    out.push_str(&r.text(f).unwrap_or_else(|| go_text(&field(f))))
                }
                Piece::Action(Action::Label(k)) => out.push_str(r.label(k)),
                Piece::Action(Action::Json(None)) => out.push_str(&go_json(&r.json())),
                Piece::Action(Action::Json(Some(f))) => out.push_str(&go_json(&field(f))),
                Piece::Action(Action::Func(func, f)) => {
                    let text = go_text(&field(f));
                    out.push_str(&match func.as_str() {
                        "upper" => text.to_uppercase(),
                        "lower" => text.to_lowercase(),
                        _ => title(&text),
                    });
                }
            }
        }
        out
    }

    fn render_header(&self) -> String {
        let header = |f: &str| {
            self.fields
                .iter()
                .find(|(n, _)| *n == f)
                .and_then(|(_, h)| *h)
                .unwrap_or("<no value>")
                .to_string()
        };
        let mut out = String::new();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Action(Action::Field(f))
                | Piece::Action(Action::Json(Some(f)))
                | Piece::Action(Action::Func(_, f)) => out.push_str(&header(f)),
                // docker's formatter heads the column with the key as written.
                Piece::Action(Action::Label(k)) => out.push_str(k),
                Piece::Action(Action::Json(None)) => {}
            }
        }
        out
    }

    /// The rows through the template, one line each (aligned under a header for `table`).
    pub fn render<R: FormatRow>(&self, rows: &[R]) -> String {
        let lines: Vec<String> = rows.iter().map(|r| self.render_row(r)).collect();
        if !self.table {
            return lines.iter().map(|l| format!("{l}\n")).collect();
        }
        let text: String = std::iter::once(self.render_header())
            .chain(lines)
            .map(|l| format!("{l}\n"))
            .collect();
        let cells: Vec<Vec<String>> = text
            .lines()
            .map(|l| l.split('\t').map(str::to_string).collect())
            .collect();
        tabwrite(&cells, 10, 3)
    }
}

/// Renders `rows` with docker's formatter conventions: `table` (the `default_table` template),
/// `json` (one `{{json .}}` object a line), or a custom template.
pub fn render_format<R: FormatRow>(
    format: &str,
    default_table: &str,
    rows: &[R],
) -> Result<String, String> {
    let format = match format {
        "table" | "" => default_table,
        "json" => "{{json .}}",
        custom => custom,
    };
    Ok(Template::parse::<R>(format)
        .map_err(|e| format!("template parsing error: {e}"))?
        .render(rows))
}

/// Go's `strings.Title`: each word's first letter upper-cased.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric() && c != '_' && c != '\'';
    }
    out
}
