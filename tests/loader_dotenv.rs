//! The `.env` parser against compose-go's dotenv fixtures and expectations, plus our own cases.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;

use indexmap::IndexMap;
use rcompose::loader::dotenv::{self, Format};
use rcompose::loader::environment::{EnvFileKind, Environment, Source};
use rcompose::loader::{ErrorKind, Warnings};

fn dotenv_dir() -> PathBuf {
    support::corpus_dir().join("compose-go/dotenv")
}

fn fixture(name: &str) -> PathBuf {
    dotenv_dir().join("fixtures").join(name)
}

fn no_lookup(_: &str) -> Option<String> {
    None
}

/// `dotenv.Read` / `ReadWithLookup`: parse each file; keys starting with a digit are dropped.
fn read_with_lookup(
    path: &std::path::Path,
    lookup: &HashMap<String, String>,
) -> BTreeMap<String, String> {
    let l = |k: &str| lookup.get(k).cloned();
    let mut out = IndexMap::new();
    let mut w = Warnings::default();
    dotenv::read_file(path, Format::DotEnv, &l, &mut out, &mut w).unwrap();
    out.into_iter()
        .filter(|(k, _)| !k.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .collect()
}

/// `dotenv.Load`: parse without lookup, then set each variable unless the process already has it.
fn load(path: &std::path::Path, presets: &HashMap<String, String>) -> Environment {
    let mut env = Environment::from_vars(presets.clone(), Source::Shell);
    let mut w = Warnings::default();
    env.load_files(&[(path.to_path_buf(), EnvFileKind::DotEnv)], &mut w)
        .unwrap();
    env
}

fn string_map(v: &serde_json::Value) -> HashMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

/// The Go test's `os.Setenv(envKey, envVal)`: the recording kept the identifiers, whose values
/// are the constants of `godotenv_test.go` (`envKey = "OPTION_A"`, `envVal = "5"`).
fn go_setenv_constants(calls: &serde_json::Value) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for call in calls.as_array().into_iter().flatten() {
        let pair: Vec<&str> = call
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let value_of = |ident: &str| match ident {
            "envKey" => "OPTION_A",
            "envVal" => "5",
            other => panic!("unknown Go identifier {other} in setenv_calls"),
        };
        out.insert(value_of(pair[0]).to_string(), value_of(pair[1]).to_string());
    }
    out
}

#[test]
fn every_expected_file_matches() {
    let mut checked = 0;
    let mut fixtures_used = BTreeSet::new();
    let mut entries: Vec<_> = std::fs::read_dir(dotenv_dir().join("expected"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let test = case["test"].as_str().unwrap();
        let fixture_rel = case["fixture"].as_str().unwrap();
        let file = support::corpus_dir().join("compose-go").join(fixture_rel);
        fixtures_used.insert(file.file_name().unwrap().to_string_lossy().to_string());
        let mut presets = string_map(&case["presets_in_process_env"]);
        presets.extend(go_setenv_constants(&case["setenv_calls(go identifiers)"]));
        let expected = string_map(&case["expected"]);

        if test.starts_with("TestRead") {
            // Read: the whole map must match.
            let got = read_with_lookup(&file, &HashMap::new());
            let want: BTreeMap<_, _> = expected.into_iter().collect();
            assert_eq!(got, want, "{test}");
        } else if test.starts_with("TestSubstitutionsWith") {
            // ReadWithLookup(os.LookupEnv): the process environment is the lookup.
            let got = read_with_lookup(&file, &presets);
            for (k, v) in &expected {
                assert_eq!(got.get(k), Some(v), "{test}: {k}");
            }
        } else {
            // Load (and LoadWithFormat: compose-go's test registers a `KEY:VALUE` format,
            // which the dotenv format reads natively).
            let env = load(&file, &presets);
            for (k, v) in &expected {
                assert_eq!(env.get(k), Some(v.as_str()), "{test}: {k}");
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 12, "expected-file count changed");
    // The fixtures without an expected file are covered by the tests below.
    let others: BTreeSet<String> = [
        "quoted.env",
        "special.env",
        "inherited-multi-var.env",
        "inherited-single-var.env",
        "inherited-not-found.env",
        "invalid1.env",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let all: BTreeSet<String> = std::fs::read_dir(dotenv_dir().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let covered: BTreeSet<String> = fixtures_used.union(&others).cloned().collect();
    assert_eq!(covered, all, "a dotenv fixture is not covered by any test");
}

#[test]
fn quoted_fixture_matches_upstream_test() {
    // Expectations of compose-go's TestLoadQuotedEnv.
    let env = load(&fixture("quoted.env"), &HashMap::new());
    let want = [
        ("OPTION_A", "1"),
        ("OPTION_B", "2"),
        ("OPTION_C", ""),
        ("OPTION_D", "\\n"),
        ("OPTION_E", "1"),
        ("OPTION_F", "2"),
        ("OPTION_G", ""),
        ("OPTION_H", "\n"),
        ("OPTION_I", "echo 'asd'"),
        ("OPTION_J", "first line\nsecond line\nthird line\nand so on"),
        ("OPTION_K", "Let\\'s go!"),
        ("OPTION_Z", "last value"),
    ];
    for (k, v) in want {
        assert_eq!(env.get(k), Some(v), "{k}");
    }
}

#[test]
fn keys_may_hold_dots_underscores_and_dashes() {
    let got = read_with_lookup(&fixture("special.env"), &HashMap::new());
    assert_eq!(got.get("VAR.WITH.DOTS").map(String::as_str), Some("dots"));
    assert_eq!(
        got.get("VAR_WITH_UNDERSCORES").map(String::as_str),
        Some("underscores")
    );
    assert_eq!(
        got.get("VAR-WITH-DASHES").map(String::as_str),
        Some("dashes")
    );
}

#[test]
fn key_alone_inherits_from_the_lookup() {
    let os: HashMap<String, String> = [(
        "VAR_TO_BE_LOADED_FROM_OS_ENV".to_string(),
        "SOME_RANDOM_VALUE".to_string(),
    )]
    .into();
    let multi = read_with_lookup(&fixture("inherited-multi-var.env"), &os);
    let want: BTreeMap<String, String> = [
        ("VAR_TO_BE_LOADED_FROM_OS_ENV", "SOME_RANDOM_VALUE"),
        ("foo", "bar"),
        ("bar", "baz"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(multi, want);
    let single = read_with_lookup(&fixture("inherited-single-var.env"), &os);
    assert_eq!(single.len(), 1);
    // Not found: left out, no error.
    let missing = read_with_lookup(&fixture("inherited-not-found.env"), &HashMap::new());
    assert!(missing.is_empty());
}

#[test]
fn invalid_fixture_fails_with_its_line() {
    let mut out = IndexMap::new();
    let mut w = Warnings::default();
    let path = fixture("invalid1.env");
    let err = dotenv::read_file(&path, Format::DotEnv, &no_lookup, &mut out, &mut w).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Syntax);
    assert_eq!(err.line, Some(7));
    assert_eq!(err.file.as_deref(), Some(path.as_path()));
    assert!(
        err.to_string().contains(":7: key cannot contain a space"),
        "{err}"
    );
    assert!(err.hint.is_some());
}

// ---------------------------------------------------------------------------------------------
// Our own cases (compose-go's TestParsing / TestExpanding and friends)
// ---------------------------------------------------------------------------------------------

fn parse(src: &str) -> IndexMap<String, String> {
    let mut w = Warnings::default();
    dotenv::parse(src, &no_lookup, &mut w).unwrap()
}

fn one(src: &str) -> (String, String) {
    parse(src).into_iter().next().expect("one variable")
}

#[test]
fn line_forms() {
    let kv = |k: &str, v: &str| (k.to_string(), v.to_string());
    assert_eq!(one("FOO=bar"), kv("FOO", "bar"));
    assert_eq!(one("FOO =bar"), kv("FOO", "bar"));
    assert_eq!(one("FOO= bar"), kv("FOO", "bar"));
    assert_eq!(one(r#"FOO="bar""#), kv("FOO", "bar"));
    assert_eq!(one("FOO='bar'"), kv("FOO", "bar"));
    assert_eq!(one(r#"FOO="'d'""#), kv("FOO", "'d'"));
    assert_eq!(one("OPTION_A: 1"), kv("OPTION_A", "1"));
    assert_eq!(one("OPTION_A: Foo=bar"), kv("OPTION_A", "Foo=bar"));
    assert_eq!(one("OPTION_A=1:B"), kv("OPTION_A", "1:B"));
    assert_eq!(one("export OPTION_A=2"), kv("OPTION_A", "2"));
    assert_eq!(one(r"export OPTION_B='\n'"), kv("OPTION_B", "\\n"));
    assert_eq!(one("export exportFoo=2"), kv("exportFoo", "2"));
    assert_eq!(one("exportFOO=2"), kv("exportFOO", "2"));
    assert_eq!(one("export_FOO =2"), kv("export_FOO", "2"));
    assert_eq!(one("export.FOO= 2"), kv("export.FOO", "2"));
    assert_eq!(one("export\tOPTION_A=2"), kv("OPTION_A", "2"));
    assert_eq!(one("  export OPTION_A=2"), kv("OPTION_A", "2"));
    assert_eq!(one("FOO.BAR=foobar"), kv("FOO.BAR", "foobar"));
    assert_eq!(one("FOO=foobar="), kv("FOO", "foobar="));
    assert_eq!(one("FOO=bar "), kv("FOO", "bar"));
    assert_eq!(one(" KEY =value"), kv("KEY", "value"));
    assert_eq!(one("\tKEY=value"), kv("KEY", "value"));
    assert_eq!(one("a[1]=c"), kv("a[1]", "c"));
    assert_eq!(
        one("árvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép"),
        kv("árvíztűrő-TÜKÖRFÚRÓGÉP", "ÁRVÍZTŰRŐ-tükörfúrógép")
    );
}

#[test]
fn inline_comments_need_a_blank_before_the_hash() {
    assert_eq!(one("FOO=bar # this is foo").1, "bar");
    assert_eq!(one("FOO=bar#baz").1, "bar#baz");
    assert_eq!(one(r#"FOO="bar#baz" # comment"#).1, "bar#baz");
    assert_eq!(one("FOO='bar#baz' # comment").1, "bar#baz");
    assert_eq!(one(r#"FOO="ba#r""#).1, "ba#r");
}

#[test]
fn comments_blank_lines_and_crlf_are_skipped() {
    let m = parse("# c\r\n\r\n  # indented\r\nA=1\r\nB=\"2\"\r\n\t\nC\r\n");
    assert_eq!(m.get("A").map(String::as_str), Some("1"));
    assert_eq!(m.get("B").map(String::as_str), Some("2"));
    assert_eq!(m.len(), 2, "{m:?}");
}

#[test]
fn double_quotes_expand_escapes_then_variables() {
    let m = parse("FOO=test\nBAR=\"foo\\${FOO} ${FOO}\"\nBAZ=\"quote $FOO\"\nQ='quote $FOO'\n");
    assert_eq!(m["BAR"], "foo${FOO} test");
    assert_eq!(m["BAZ"], "quote test");
    assert_eq!(m["Q"], "quote $FOO");
    assert_eq!(one(r#"FOO="foo\$BAR""#).1, "foo$BAR");
    assert_eq!(one(r#"FOO="a\tb\\c""#).1, "a\tb\\c");
    assert_eq!(
        one("TEST_URLS=\"stratum+tcp://a:3333\nstratum+tcp://b:443\"").1,
        "stratum+tcp://a:3333\nstratum+tcp://b:443"
    );
}

#[test]
fn unquoted_values_are_interpolated_with_defaults() {
    let m = parse("A=1\nB=${A}\nC=$B\nD=${A}_${B}\nE=${NOPE}\nF=${NOPE:-dflt}\nG=$$A\n");
    assert_eq!(m["B"], "1");
    assert_eq!(m["C"], "1");
    assert_eq!(m["D"], "1_1");
    assert_eq!(m["E"], "");
    assert_eq!(m["F"], "dflt");
    assert_eq!(m["G"], "$A");
}

#[test]
fn the_lookup_wins_over_earlier_lines() {
    let lookup = |k: &str| (k == "A").then(|| "shell".to_string());
    let mut w = Warnings::default();
    let m = dotenv::parse("A=file\nB=$A\n", &lookup, &mut w).unwrap();
    assert_eq!(m["A"], "file", "a key's own value is the file's");
    assert_eq!(m["B"], "shell", "references see the lookup first");
}

#[test]
fn unset_variables_in_values_warn_once() {
    let mut w = Warnings::default();
    dotenv::parse("A=$NOPE\nB=${NOPE}\n", &no_lookup, &mut w).unwrap();
    assert_eq!(
        w.0,
        vec!["The \"NOPE\" variable is not set. Defaulting to a blank string.".to_string()]
    );
}

#[test]
fn utf8_bom_is_ignored() {
    assert_eq!(one("\u{feff}A=1"), ("A".to_string(), "1".to_string()));
}

#[test]
fn errors_name_the_line() {
    let mut w = Warnings::default();
    let e = dotenv::parse("A=1\n\nB=\"open\nstill open\n", &no_lookup, &mut w).unwrap_err();
    assert_eq!(e.line, 3);
    assert!(e.message.starts_with("unterminated quoted value"), "{e}");

    let e = dotenv::parse("%!(EXTRA string)=foo", &no_lookup, &mut w).unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1: unexpected character \"%\" in variable name \"%!(EXTRA string)=foo\""
    );

    let e = dotenv::parse("A=1\nlol$wut\n", &no_lookup, &mut w).unwrap_err();
    assert_eq!(e.line, 2);

    let e = dotenv::parse("A=ok\nB=${X:?set X}\n", &no_lookup, &mut w).unwrap_err();
    assert_eq!(e.line, 2);
    assert_eq!(e.kind, ErrorKind::Interpolation);
    assert!(e
        .message
        .contains("required variable X is missing a value: set X"));

    // A `$` that starts no reference stays literal, as in compose-go (see the interpolation
    // tests); docker-compose v1 rejected it.
    let vars = dotenv::parse("PASSWORD=abc$\n", &no_lookup, &mut w).unwrap();
    assert_eq!(vars.get("PASSWORD").map(String::as_str), Some("abc$"));
}

#[test]
fn raw_format_takes_values_literally() {
    let lookup = |k: &str| (k == "FROM_SHELL").then(|| "s".to_string());
    let mut out = IndexMap::new();
    let mut w = Warnings::default();
    dotenv::parse_into(
        "\u{feff}# comment\nA=\"quoted\" $NOT ${EXPANDED} \r\n  B=x=y\nFROM_SHELL\nMISSING\n\n",
        Format::Raw,
        &lookup,
        &mut out,
        &mut w,
    )
    .unwrap();
    assert_eq!(out["A"], "\"quoted\" $NOT ${EXPANDED} ");
    assert_eq!(out["B"], "x=y");
    assert_eq!(out["FROM_SHELL"], "s");
    assert!(!out.contains_key("MISSING"));

    let e = dotenv::parse_into("A B=1\n", Format::Raw, &lookup, &mut out, &mut w).unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.message.contains("contains whitespaces"));
    let e = dotenv::parse_into("ok=1\n=1\n", Format::Raw, &lookup, &mut out, &mut w).unwrap_err();
    assert_eq!(e.line, 2);
}

#[test]
fn format_names() {
    assert_eq!(Format::from_name("raw"), Some(Format::Raw));
    assert_eq!(Format::from_name(""), Some(Format::DotEnv));
    assert_eq!(Format::from_name("yaml"), None);
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "\"",
        "'",
        "=",
        "==",
        "A=\"\\",
        "A=\"\\0",
        "A=\"\\0999\"",
        "export",
        "export ",
        "\u{feff}",
        "A=${",
        "A=\"${\"",
        "\n\n\n#",
        "A='\n",
        "ä=ö",
        "A=\u{0}",
        "\\",
        "A=$",
        "A=\"\\\"",
    ];
    for input in inputs {
        let mut w = Warnings::default();
        let _ = dotenv::parse(input, &no_lookup, &mut w);
        let mut out = IndexMap::new();
        let _ = dotenv::parse_into(input, Format::Raw, &no_lookup, &mut out, &mut w);
    }
}

proptest::proptest! {
    #[test]
    fn no_text_makes_the_parsers_panic(src in "[A-Za-z0-9_=:#'\"$ {}\\\\\\-\\.\t\r\n\u{feff}é]{0,60}") {
        let mut w = Warnings::default();
        let _ = dotenv::parse(&src, &no_lookup, &mut w);
        let mut out = IndexMap::new();
        let _ = dotenv::parse_into(&src, Format::Raw, &no_lookup, &mut out, &mut w);
    }

    #[test]
    fn simple_assignments_round_trip(key in "[A-Za-z_][A-Za-z0-9_]{0,10}", value in "[A-Za-z0-9_./:@+,-]{0,20}") {
        let parsed = parse(&format!("{key}={value}\n"));
        proptest::prop_assert_eq!(parsed.get(&key), Some(&value));
        let quoted = parse(&format!("{key}='{value}'\n"));
        proptest::prop_assert_eq!(quoted.get(&key), Some(&value));
    }
}
