//! Robustness: every compose document in the shared corpus, read as if it were canonical (it
//! mostly is not), goes through the planner for `up` and `down` without a panic. Errors are fine;
//! a cycle error must name a real cycle.

mod support;

use rcompose::plan::{plan_desired, Desired, Intent, Observed, PlanError};

#[test]
fn planner_never_panics_on_corpus_documents() {
    let dir = support::corpus_dir();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("MANIFEST.json")).unwrap_or_default(),
    )
    .unwrap_or(serde_json::Value::Null);
    let files = manifest
        .get("files")
        .and_then(|f| f.as_array())
        .cloned()
        .unwrap_or_default();
    let mut planned = 0;
    let mut cycles = 0;
    for f in &files {
        if f.get("kind").and_then(|k| k.as_str()) != Some("compose") {
            continue;
        }
        let (Some(source), Some(path)) = (
            f.get("source").and_then(|s| s.as_str()),
            f.get("path").and_then(|s| s.as_str()),
        ) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(dir.join(source).join(path)) else {
            continue;
        };
        let Ok(value) = serde_yaml::from_str::<serde_yaml::Value>(&text) else {
            continue;
        };
        let Ok(desired) = Desired::from_canonical(&value, Some("corpus")) else {
            continue;
        };
        for intent in [Intent::up(), Intent::down()] {
            match plan_desired(&desired, &Observed::default(), &intent) {
                Ok(p) => {
                    assert!(p.check_order().is_ok(), "{source}/{path}");
                    planned += 1;
                }
                Err(PlanError::Cycle { cycle }) => {
                    assert_eq!(cycle.first(), cycle.last(), "{source}/{path}");
                    cycles += 1;
                }
                Err(_) => {}
            }
        }
    }
    assert!(planned > 1000, "only {planned} plans were made");
    assert!(cycles >= 2, "the corpus has cycle cases; found {cycles}");
}
