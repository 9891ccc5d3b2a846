//! Facts about a loaded project for `config --variables` and `config --explain`.

use super::environment::Source;
use super::interpolate;
use super::project::Loaded;
use super::yaml;

/// The variables the project's model refers to (`Loaded::tree`, loaded with `model_only` and no
/// interpolation, as `docker compose config --variables` reads it), sorted by name.
fn model_variables(loaded: &Loaded) -> Vec<interpolate::VariableUse> {
    interpolate::variables(&loaded.tree)
}

/// The rows of the table `docker compose config --variables` prints (header first): name,
/// required, default, alternate; one row per variable, sorted by name (v5 prints them in Go's
/// random map order). The CLI lays them out with the docker CLI's tabwriter.
pub fn variables_rows(loaded: &Loaded) -> Vec<Vec<String>> {
    let header = ["NAME", "REQUIRED", "DEFAULT VALUE", "ALTERNATE VALUE"];
    std::iter::once(header.iter().map(|h| h.to_string()).collect())
        .chain(model_variables(loaded).into_iter().map(|v| {
            vec![
                v.name,
                v.required.to_string(),
                v.default.unwrap_or_default(),
                v.alternate.unwrap_or_default(),
            ]
        }))
        .collect()
}

/// `config --variables --format json`: the docker CLI's JSON of compose-go's variable map (keys
/// sorted, four-space indent, then an empty line).
pub fn variables_json(loaded: &Loaded) -> String {
    use serde::Serialize;
    let map = variables_map(loaded);
    let mut buf = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut buf,
        serde_json::ser::PrettyFormatter::with_indent(b"    "),
    );
    let _ = map.serialize(&mut ser);
    let text = String::from_utf8_lossy(&buf).into_owned();
    format!("{}\n\n", crate::model::go_json::escape_html(&text))
}

/// `config --variables --format yaml`: Go's yaml encoder (four-space indent) on compose-go's
/// variable map, whose fields have no yaml tags (`defaultvalue`, `presencevalue`).
pub fn variables_yaml(loaded: &Loaded) -> String {
    let mut entries: Vec<(String, serde_json::Value)> = variables_map(loaded).into_iter().collect();
    entries.sort_by(|a, b| crate::model::yaml_out::go_key_cmp(&a.0, &b.0));
    let mut map = serde_json::Map::new();
    for (k, v) in entries {
        let mut m = serde_json::Map::new();
        m.insert("name".into(), v["Name"].clone());
        m.insert("defaultvalue".into(), v["DefaultValue"].clone());
        m.insert("presencevalue".into(), v["PresenceValue"].clone());
        m.insert("required".into(), v["Required"].clone());
        map.insert(k, serde_json::Value::Object(m));
    }
    if map.is_empty() {
        return "{}\n".to_string();
    }
    let text = crate::model::yaml_out::to_string(&serde_json::Value::Object(map));
    // The writer indents by two; Go's encoder here by four.
    let mut out = String::with_capacity(text.len() * 2);
    for line in text.lines() {
        let lead = line.len() - line.trim_start_matches(' ').len();
        for _ in 0..lead {
            out.push(' ');
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn variables_map(loaded: &Loaded) -> std::collections::BTreeMap<String, serde_json::Value> {
    model_variables(loaded)
        .into_iter()
        .map(|v| {
            let mut m = serde_json::Map::new();
            m.insert("Name".into(), v.name.clone().into());
            m.insert("DefaultValue".into(), v.default.unwrap_or_default().into());
            m.insert(
                "PresenceValue".into(),
                v.alternate.unwrap_or_default().into(),
            );
            m.insert("Required".into(), v.required.into());
            (v.name, serde_json::Value::Object(m))
        })
        .collect()
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
