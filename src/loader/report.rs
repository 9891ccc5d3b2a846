//! Facts about a loaded project for `config --variables` and `config --explain`.

use super::environment::Source;
use super::interpolate;
use super::project::Loaded;
use super::yaml;

/// The variables the compose files refer to, as a table like `docker compose config --variables`.
pub fn variables_table(loaded: &Loaded) -> String {
    let mut all: Vec<interpolate::VariableUse> = Vec::new();
    for (_, v) in file_variables(loaded) {
        if !all.iter().any(|x| x.name == v.name) {
            all.push(v);
        }
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let rows: Vec<[String; 4]> = all
        .iter()
        .map(|v| {
            [
                v.name.clone(),
                v.required.to_string(),
                v.default.clone().unwrap_or_default(),
                v.alternate.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let header = [
        "NAME".to_string(),
        "REQUIRED".to_string(),
        "DEFAULT VALUE".to_string(),
        "ALTERNATE VALUE".to_string(),
    ];
    let mut widths = header.clone().map(|h| h.len());
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(&header).chain(rows.iter()) {
        let line: Vec<String> = r
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        out.push_str(line.join("   ").trim_end());
        out.push('\n');
    }
    out
}

/// Where a variable's value came from: the winning source, every source that set it, and the
/// defaults the files give it.
pub fn explain_variable(loaded: &Loaded, name: &str) -> String {
    let mut out = String::new();
    match loaded.environment.explain(name) {
        Some(var) => {
            out.push_str(&format!(
                "{name}={:?}\n  value from: {}\n",
                var.value,
                describe(&var.source)
            ));
            if var.history.len() > 1 {
                out.push_str("  set by (in the order read):\n");
                for a in &var.history {
                    let mark = if a.source == var.source && a.value == var.value {
                        " (wins)"
                    } else {
                        ""
                    };
                    out.push_str(&format!(
                        "    {}: {:?}{mark}\n",
                        describe(&a.source),
                        a.value
                    ));
                }
            }
        }
        None => out.push_str(&format!(
            "{name} is unset (not in the shell or any env file)\n"
        )),
    }
    let uses: Vec<(String, interpolate::VariableUse)> = file_variables(loaded)
        .into_iter()
        .filter(|(_, v)| v.name == name)
        .collect();
    if uses.is_empty() {
        out.push_str("  no compose file refers to it\n");
    }
    for (file, v) in uses {
        let mut what = format!("  used in {file}");
        if let Some(d) = &v.default {
            what.push_str(&format!(", default in the file: {d:?}"));
            if loaded.environment.explain(name).is_none() {
                what.push_str(" (this default applies)");
            }
        }
        if v.required {
            what.push_str(", required");
        }
        if let Some(a) = &v.alternate {
            what.push_str(&format!(", alternate value when set: {a:?}"));
        }
        out.push_str(&what);
        out.push('\n');
    }
    out
}

/// Every variable each compose file refers to (read from the files as written, before
/// interpolation), with the file's name.
fn file_variables(loaded: &Loaded) -> Vec<(String, interpolate::VariableUse)> {
    let mut out = Vec::new();
    for t in &loaded.sources {
        let Ok(doc) = yaml::parse(&t.name, &t.text) else {
            continue;
        };
        let file = t.name.display().to_string();
        out.extend(
            interpolate::variables(&doc)
                .into_iter()
                .map(|v| (file.clone(), v)),
        );
    }
    out
}

fn describe(s: &Source) -> String {
    match s {
        Source::Shell => "the shell environment".to_string(),
        Source::EnvFile(p) => format!("--env-file {}", p.display()),
        Source::DotEnv(p) => format!(".env ({})", p.display()),
        Source::Explicit => "set by rcompose (project name)".to_string(),
    }
}
