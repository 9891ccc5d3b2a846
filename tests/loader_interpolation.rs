//! Interpolation: docker-compose v1's recorded cases, the Compose Specification's additions, and
//! the tree walk (values only, casts, warnings, errors with key paths).

#![allow(clippy::result_large_err)] // the shared LoadError is deliberately rich

mod support;

use std::collections::HashMap;

use rcompose::loader::interpolate::{
    self, interpolate, substitute, variables, Options, TemplateError, VariableUse,
};
use rcompose::loader::{ErrorKind, KeyPath, Warnings};
use serde_yaml::Value;

fn lookup_of(env: &HashMap<String, String>) -> impl Fn(&str) -> Option<String> + '_ {
    move |k: &str| env.get(k).cloned()
}

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn sub(template: &str, e: &HashMap<String, String>) -> Result<String, TemplateError> {
    substitute(template, &lookup_of(e), false).map(|s| s.value)
}

/// The v1 recorder stored some environment values as the repr of a Python `bytes` object
/// (`b'\xe5\x8d\x81'`): decode those to the UTF-8 text the test fed in.
fn decode_py_bytes(v: &str) -> String {
    let Some(inner) = v.strip_prefix("b'").and_then(|s| s.strip_suffix('\'')) else {
        return v.to_string();
    };
    let mut bytes = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        if let Some(hex) = rest.strip_prefix("\\x") {
            bytes.push(u8::from_str_radix(&hex[..2], 16).unwrap());
            rest = &hex[2..];
        } else {
            let c = rest.chars().next().unwrap();
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            rest = &rest[c.len_utf8()..];
        }
    }
    String::from_utf8(bytes).unwrap()
}

#[test]
fn all_v1_cases() {
    let path = support::corpus_dir().join("cases/v1-interpolation.json");
    let cases: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(cases.len(), 833);
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let input = case["in"].as_str().unwrap();
        let e: HashMap<String, String> = case["env"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), decode_py_bytes(v.as_str().unwrap())))
                    .collect()
            })
            .unwrap_or_default();
        let got = sub(input, &e);
        // Where the Compose Specification extends or relaxes v1, the specification wins:
        // compose-go keeps a `$` that starts no reference (`$}`) as written; v1 rejected it.
        if input == "$}" {
            assert_eq!(got.as_deref(), Ok("$}"), "spec behaviour for {input:?}");
            continue;
        }
        match (case.get("out").and_then(|o| o.as_str()), case.get("error")) {
            (Some(out), _) => {
                if got.as_deref() != Ok(out) {
                    failures.push(format!("#{i} {input:?}: want {out:?}, got {got:?}"));
                }
            }
            (None, Some(kind)) => {
                let ok = matches!(
                    (kind.as_str().unwrap(), &got),
                    ("InvalidInterpolation", Err(TemplateError::Invalid { .. }))
                        | (
                            "UnsetRequiredSubstitution",
                            Err(TemplateError::MissingRequired { .. })
                        )
                );
                if !ok {
                    failures.push(format!("#{i} {input:?}: want {kind}, got {got:?}"));
                }
            }
            _ => panic!("case #{i} has neither out nor error"),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Compose Specification forms v1 lacks (compose-go template tests)
// ---------------------------------------------------------------------------------------------

#[test]
fn alternate_values() {
    let e = env(&[("SET", "v"), ("EMPTY", "")]);
    assert_eq!(sub("${SET:+alt}", &e).unwrap(), "alt");
    assert_eq!(sub("${SET+alt}", &e).unwrap(), "alt");
    assert_eq!(sub("${EMPTY:+alt}", &e).unwrap(), "");
    assert_eq!(sub("${EMPTY+alt}", &e).unwrap(), "alt");
    assert_eq!(sub("${UNSET:+alt}", &e).unwrap(), "");
    assert_eq!(sub("${UNSET+alt}", &e).unwrap(), "");
    assert_eq!(sub("x${SET:+--flag=$SET}y", &e).unwrap(), "x--flag=vy");
}

#[test]
fn nested_defaults() {
    let e = env(&[("FOO", "first"), ("BAR", "")]);
    for (t, want) in [
        ("ok ${UNSET_VAR-$FOO}", "ok first"),
        ("ok ${UNSET_VAR-${FOO}}", "ok first"),
        ("ok ${UNSET_VAR-${FOO} ${FOO}}", "ok first first"),
        ("ok ${BAR:-$FOO}", "ok first"),
        ("ok ${BAR:-${FOO}}", "ok first"),
        ("ok ${BAR:-${FOO} ${FOO}}", "ok first first"),
        ("${A:-${B:-x}}", "x"),
        ("${A:-${B:-${C:-deep}}}-tail", "deep-tail"),
        ("${A:-{literal}}", "{literal}"),
        ("${A:-$${B}}", "${B}"),
    ] {
        assert_eq!(sub(t, &e).unwrap(), want, "{t}");
    }
}

#[test]
fn required_messages_are_interpolated() {
    let e = env(&[("FOO", "first")]);
    let err = sub("not ok ${UNSET_VAR:?Mandatory Variable ${FOO}}", &e).unwrap_err();
    assert_eq!(
        err.to_string(),
        "required variable UNSET_VAR is missing a value: Mandatory Variable first"
    );
    let err = sub("${UNSET_VAR?}", &e).unwrap_err();
    assert_eq!(
        err.to_string(),
        "required variable UNSET_VAR is missing a value"
    );
}

#[test]
fn the_operator_is_the_one_right_after_the_name() {
    // compose-go TestPrecedence / TestSubstitutionFunctionChoice.
    let e = env(&[("FOO", "first"), ("BAR", "")]);
    assert!(matches!(
        sub("${UNSET_VAR?bar-baz}", &e),
        Err(TemplateError::MissingRequired { ref message, .. }) if message == "bar-baz"
    ));
    assert_eq!(sub("${UNSET_VAR-myerror?msg}", &e).unwrap(), "myerror?msg");
    assert_eq!(sub("${FOO?bar-baz}", &e).unwrap(), "first");
    assert_eq!(sub("${UNSET+va:+lue}", &e).unwrap(), "");
    assert_eq!(sub("${FOO+va:+lue}", &e).unwrap(), "va:+lue");
    assert_eq!(sub("${FOO:+va:?lu:-e}", &e).unwrap(), "va:?lu:-e");
}

#[test]
fn defaults_are_lazy() {
    // A default that is not used is not expanded: no warning, no error.
    let e = env(&[("SET", "v")]);
    let l = lookup_of(&e);
    let s = substitute("${SET:-$NOPE}", &l, false).unwrap();
    assert_eq!(s.value, "v");
    assert!(s.unset.is_empty());
    assert_eq!(sub("${SET:-${X:?boom}}", &e).unwrap(), "v");
}

#[test]
fn names_are_letters_digits_underscores() {
    let e = env(&[("FOO", "first"), ("foo_1", "low")]);
    assert_eq!(sub("$FOO-bar", &e).unwrap(), "first-bar");
    assert_eq!(sub("$FOO.bar", &e).unwrap(), "first.bar");
    assert_eq!(sub("${foo_1}", &e).unwrap(), "low");
    for bad in ["${1A}", "${A:}", "${A:x}", "${A", "${A:-x"] {
        assert!(
            matches!(sub(bad, &e), Err(TemplateError::Invalid { .. })),
            "{bad}"
        );
    }
    // A `$` that starts no reference is kept as written, as compose-go does (v1 rejected it).
    for literal in ["$1", "$-", "end$", "$ x"] {
        assert_eq!(sub(literal, &e).as_deref(), Ok(literal), "{literal}");
    }
}

#[test]
fn strict_mode_rejects_unset_plain_references_only() {
    let e = env(&[]);
    let l = lookup_of(&e);
    assert_eq!(
        substitute("${NOPE}", &l, true),
        Err(TemplateError::Unset {
            name: "NOPE".into()
        })
    );
    assert_eq!(substitute("${NOPE:-d}", &l, true).unwrap().value, "d");
    assert_eq!(substitute("${NOPE:+a}", &l, true).unwrap().value, "");
}

// ---------------------------------------------------------------------------------------------
// The tree walk
// ---------------------------------------------------------------------------------------------

fn yaml(s: &str) -> Value {
    serde_yaml::from_str(s).unwrap()
}

fn run(
    doc: &mut Value,
    e: &HashMap<String, String>,
) -> Result<Warnings, rcompose::loader::LoadError> {
    let mut w = Warnings::default();
    interpolate(doc, &lookup_of(e), &Options::default(), &mut w)?;
    Ok(w)
}

#[test]
fn values_are_interpolated_keys_never() {
    let mut doc = yaml(
        r#"
services:
  ${NAME}:
    image: ${IMAGE}:$TAG
    command: ["echo", "$$HOME", "${NAME}"]
    labels:
      $KEY: ${VALUE}
    x-tagged: !override
      - ${IMAGE}
"#,
    );
    let e = env(&[
        ("NAME", "web"),
        ("IMAGE", "nginx"),
        ("TAG", "1"),
        ("VALUE", "v"),
    ]);
    let w = run(&mut doc, &e).unwrap();
    let want = yaml(
        r#"
services:
  ${NAME}:
    image: nginx:1
    command: ["echo", "$HOME", "web"]
    labels:
      $KEY: v
    x-tagged: !override
      - nginx
"#,
    );
    assert_eq!(doc, want);
    assert!(w.0.is_empty(), "{w:?}");
}

#[test]
fn unset_variable_warns_once() {
    let mut doc = yaml("a: $NOPE\nb: [\"${NOPE}\", \"${NOPE}x\"]\nc: ${OTHER}\n");
    let w = run(&mut doc, &env(&[])).unwrap();
    assert_eq!(
        w.0,
        vec![
            "The \"NOPE\" variable is not set. Defaulting to a blank string.".to_string(),
            "The \"OTHER\" variable is not set. Defaulting to a blank string.".to_string(),
        ]
    );
    assert_eq!(doc, yaml("a: ''\nb: ['', x]\nc: ''\n"));
}

#[test]
fn errors_carry_the_key_path_and_say_what_to_do() {
    let mut doc = yaml("services:\n  web:\n    image: ${IMAGE:?pick an image}\n");
    let err = run(&mut doc, &env(&[])).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Interpolation);
    assert_eq!(err.path, Some(KeyPath::parse("services.web.image")));
    assert_eq!(
        err.message,
        "required variable IMAGE is missing a value: pick an image"
    );
    assert!(err
        .hint
        .as_deref()
        .unwrap()
        .contains("set IMAGE in the shell or in the .env file"));

    let mut doc = yaml("services:\n  web:\n    environment:\n      - PASS=${abc\n");
    let err = run(&mut doc, &env(&[])).unwrap_err();
    assert_eq!(
        err.path,
        Some(KeyPath::parse("services.web.environment[0]"))
    );
    assert!(err.hint.as_deref().unwrap().contains("$$"));

    let mut doc = yaml("services:\n  web:\n    image: $NOPE\n");
    let mut w = Warnings::default();
    let err = interpolate(
        &mut doc,
        &lookup_of(&env(&[])),
        &Options { strict: true },
        &mut w,
    )
    .unwrap_err();
    assert_eq!(err.message, "variable \"NOPE\" is not set");
    assert_eq!(err.path, Some(KeyPath::parse("services.web.image")));
}

#[test]
fn typed_fields_are_cast_like_compose_go() {
    // compose-go TestLoadWithInterpolationCastFull, with the environment its test sets.
    let path = support::corpus_dir()
        .join("compose-go/inline/loader/loader/TestLoadWithInterpolationCastFull.yaml");
    let mut doc: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let e = env(&[
        ("theint", "555"),
        ("thefloat", "3.14"),
        ("thebool", "true"),
        ("thesize", "2gb"),
        ("theduration", "60s"),
    ]);
    let w = run(&mut doc, &e).unwrap();
    assert!(w.0.is_empty(), "{w:?}");
    let web = &doc["services"]["web"];
    let int = |v: &Value| v.as_i64();
    let the_float: f64 = "3.14".parse().unwrap();
    // File modes are octal text, as compose-go's FileMode reads them ("0440" is 0o440).
    assert_eq!(int(&web["configs"][0]["mode"]), Some(0o555));
    assert_eq!(int(&web["secrets"][0]["mode"]), Some(0o555));
    assert_eq!(int(&web["healthcheck"]["retries"]), Some(555));
    assert_eq!(web["healthcheck"]["disable"], Value::Bool(true));
    assert_eq!(int(&web["deploy"]["replicas"]), Some(555));
    assert_eq!(
        int(&web["deploy"]["update_config"]["parallelism"]),
        Some(555)
    );
    assert_eq!(
        web["deploy"]["update_config"]["max_failure_ratio"].as_f64(),
        Some(the_float)
    );
    assert_eq!(
        web["deploy"]["rollback_config"]["max_failure_ratio"].as_f64(),
        Some(the_float)
    );
    assert_eq!(
        int(&web["deploy"]["restart_policy"]["max_attempts"]),
        Some(555)
    );
    assert_eq!(
        int(&web["deploy"]["placement"]["max_replicas_per_node"]),
        Some(555)
    );
    // A short-syntax port stays a string; the long syntax's target is cast, published is not.
    assert_eq!(web["ports"][0], Value::String("555".into()));
    assert_eq!(int(&web["ports"][2]["target"]), Some(555));
    assert_eq!(web["ports"][2]["published"], Value::String("555".into()));
    assert_eq!(int(&web["ulimits"]["nproc"]), Some(555));
    assert_eq!(int(&web["ulimits"]["nofile"]["hard"]), Some(555));
    assert_eq!(int(&web["ulimits"]["nofile"]["soft"]), Some(555));
    for key in ["privileged", "read_only", "stdin_open", "tty"] {
        assert_eq!(web[key], Value::Bool(true), "{key}");
    }
    // Sizes and durations stay strings for the normaliser.
    assert_eq!(web["shm_size"], Value::String("2gb".into()));
    assert_eq!(web["stop_grace_period"], Value::String("60s".into()));
    assert_eq!(web["volumes"][0]["read_only"], Value::Bool(true));
    assert_eq!(web["volumes"][0]["volume"]["nocopy"], Value::Bool(true));
    for top in ["configs", "secrets", "volumes"] {
        let (_, res) = doc[top].as_mapping().unwrap().iter().next().unwrap();
        assert_eq!(res["external"], Value::Bool(true), "{top}");
    }
    for key in ["external", "internal", "attachable"] {
        assert_eq!(doc["networks"]["front"][key], Value::Bool(true), "{key}");
    }
}

#[test]
fn interpolated_scale_is_an_integer() {
    // compose-go TestInterpolateInt, with its manifest environment.
    let path =
        support::corpus_dir().join("compose-go/inline/loader/loader/TestInterpolateInt.yaml");
    let mut doc: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    run(&mut doc, &env(&[("FOO_SCALE", "2")])).unwrap();
    assert_eq!(doc["services"]["foo"]["scale"].as_i64(), Some(2));
}

#[test]
fn cast_failures_and_yaml11_booleans() {
    let mut doc = yaml("services:\n  web:\n    privileged: ${P}\n    tty: 'yes'\n");
    let w = run(&mut doc, &env(&[("P", "off")])).unwrap();
    assert_eq!(doc["services"]["web"]["privileged"], Value::Bool(false));
    assert_eq!(doc["services"]["web"]["tty"], Value::Bool(true));
    assert_eq!(w.0.len(), 2, "{w:?}");

    let mut doc = yaml("services:\n  web:\n    deploy:\n      replicas: ${N}\n");
    let err = run(&mut doc, &env(&[("N", "three")])).unwrap_err();
    assert_eq!(
        err.path,
        Some(KeyPath::parse("services.web.deploy.replicas"))
    );
    assert!(err.message.contains("expected an integer"), "{err}");

    let mut doc = yaml("services:\n  web:\n    cpus: ${CPUS}\n");
    let err = run(&mut doc, &env(&[])).unwrap_err();
    assert!(err.message.contains("expected a number"), "{err}");

    let mut doc = yaml("networks:\n  n:\n    external: maybe\n");
    let err = run(&mut doc, &env(&[])).unwrap_err();
    assert_eq!(err.path, Some(KeyPath::parse("networks.n.external")));
}

#[test]
fn non_strings_are_left_alone() {
    let mut doc = yaml("a: 1\nb: true\nc: null\nd: 1.5\nservices:\n  s:\n    scale: 3\n");
    let before = doc.clone();
    run(&mut doc, &env(&[])).unwrap();
    assert_eq!(doc, before);
}

// ---------------------------------------------------------------------------------------------
// config --variables
// ---------------------------------------------------------------------------------------------

#[test]
fn variables_lists_each_name_with_what_it_needs() {
    let doc = yaml(
        r#"
services:
  ${KEYS_ARE_NOT_SCANNED}:
    image: "$docker:${project:-cli}"
    ports: ["${PORT:-8080}:80"]
    environment:
      A: ${REQ:?needed}
      B: ${OPT:+--opt}
      C: $$ESCAPED
      D: ${OUTER:-${INNER:-x}}
      E: $PORT
"#,
    );
    let vars = variables(&doc);
    let v = |name: &str, required, default: Option<&str>, alternate: Option<&str>| VariableUse {
        name: name.to_string(),
        required,
        default: default.map(str::to_string),
        alternate: alternate.map(str::to_string),
    };
    assert_eq!(
        vars,
        vec![
            v("INNER", false, Some("x"), None),
            v("OPT", false, None, Some("--opt")),
            v("OUTER", false, Some("${INNER:-x}"), None),
            v("PORT", false, Some("8080"), None),
            v("REQ", true, None, None),
            v("docker", false, None, None),
            v("project", false, Some("cli"), None),
        ]
    );
}

#[test]
fn unset_warning_text_matches_compose() {
    assert_eq!(
        interpolate::unset_warning("X"),
        "The \"X\" variable is not set. Defaulting to a blank string."
    );
}

// ---------------------------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------------------------

proptest::proptest! {
    #[test]
    fn no_template_makes_substitution_panic(t in "[$${}:?+\\-a-zA-Z_0-9 é\n]{0,40}") {
        let e = env(&[("a", "1"), ("A", ""), ("_", "x")]);
        let l = lookup_of(&e);
        let _ = substitute(&t, &l, false);
        let _ = substitute(&t, &l, true);
        let _ = variables(&Value::String(t));
    }

    #[test]
    fn escaped_dollars_survive_untouched(t in "[a-z {}:-]{0,20}") {
        // Doubling every `$` of a literal protects it from interpolation entirely.
        let escaped = format!("$${}", t.replace('$', "$$"));
        let got = sub(&escaped, &env(&[])).unwrap();
        proptest::prop_assert_eq!(got, format!("${t}"));
    }
}
