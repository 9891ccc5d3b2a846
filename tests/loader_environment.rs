//! The project environment (shell, `.env`, `--env-file`) and service environments (`env_file`,
//! `environment`), against docker compose's e2e fixtures, compose-go's tests, and our own cases.

#![allow(clippy::result_large_err)] // the shared LoadError is deliberately rich

mod support;

use std::path::{Path, PathBuf};

use rcompose::loader::environment::{
    resolve_service_environment, resolve_services_environment, EnvFileKind, Environment, Source,
};
use rcompose::loader::interpolate::{interpolate, Options};
use rcompose::loader::{ErrorKind, KeyPath, LoadError, Warnings};
use serde_yaml::Value;

fn yaml(s: &str) -> Value {
    serde_yaml::from_str(s).unwrap()
}

fn read_yaml(path: &Path) -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn shell(pairs: &[(&str, &str)]) -> Environment {
    Environment::from_vars(pairs.iter().copied(), Source::Shell)
}

fn project_env(
    shell_vars: &[(&str, &str)],
    env_files: &[PathBuf],
    project_dir: &Path,
) -> Result<Environment, LoadError> {
    let mut w = Warnings::default();
    Environment::for_project(shell(shell_vars), env_files, project_dir, &mut w)
}

fn v2_testdata(name: &str) -> PathBuf {
    support::corpus_dir()
        .join("docker-compose-v2/pkg/e2e/testdata")
        .join(name)
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// Resolves one service of `doc` and returns its `environment` afterwards.
fn resolve(
    doc: &mut Value,
    service: &str,
    env: &Environment,
    working_dir: &Path,
) -> Result<Value, LoadError> {
    let mut w = Warnings::default();
    let svc = doc["services"].get_mut(service).unwrap();
    resolve_service_environment(svc, service, env, working_dir, &mut w)?;
    Ok(svc.get("environment").cloned().unwrap_or(Value::Null))
}

// ---------------------------------------------------------------------------------------------
// Project environment: docker compose's TestEnvPriority / TestEnvInterpolation fixtures
// ---------------------------------------------------------------------------------------------

#[test]
fn env_priority_as_docker_compose_e2e_checks_it() {
    let dir = v2_testdata("TestEnvPriority");
    let f = |name: &str| dir.join(name);
    // (shell, --env-file, COMPOSE_ENV_FILES) -> WHEREAMI
    let get = |sh: &[(&str, &str)], files: &[PathBuf]| {
        project_env(sh, files, &dir)
            .unwrap()
            .get("WHEREAMI")
            .map(str::to_string)
    };
    let shell_set = [("WHEREAMI", "shell")];
    assert_eq!(
        get(&shell_set, &[f(".env.override")]).as_deref(),
        Some("shell")
    );
    assert_eq!(
        get(&shell_set, &[f(".env.override.with.default")]).as_deref(),
        Some("shell")
    );
    assert_eq!(
        get(&[], &[f(".env.override.with.default")]).as_deref(),
        Some("EnvFileDefaultValue")
    );
    let listed = f(".env.override.with.default");
    let listed = listed.to_str().unwrap();
    assert_eq!(
        get(&[("COMPOSE_ENV_FILES", listed)], &[]).as_deref(),
        Some("EnvFileDefaultValue")
    );
    assert_eq!(get(&[], &[f(".env.override")]).as_deref(), Some("override"));
    assert_eq!(
        get(&[], &[]).as_deref(),
        Some("Env File"),
        "the project .env"
    );
    assert_eq!(
        get(&[], &[f(".env.empty")]),
        None,
        "--env-file replaces .env"
    );
}

#[test]
fn dotenv_values_interpolate_with_the_shell_first() {
    // TestEnvInterpolation: `IMAGE=default_env:${WHEREAMI}` with WHEREAMI in the shell and in
    // the same .env: the shell's value is used.
    for (name, shell_vars, want) in [
        (
            "TestEnvInterpolation",
            vec![("WHEREAMI", "shell")],
            "default_env:shell",
        ),
        (
            "TestEnvInterpolationDefaultValue",
            vec![],
            "default_env:EnvFileDefaultValue",
        ),
    ] {
        let dir = v2_testdata(name);
        let env = project_env(&shell_vars, &[], &dir).unwrap();
        let mut doc = read_yaml(&dir.join("compose.yaml"));
        let mut w = Warnings::default();
        interpolate(&mut doc, &env, &Options::default(), &mut w).unwrap();
        let got = resolve(&mut doc, "env-interpolation", &env, &dir).unwrap();
        assert_eq!(got["IMAGE"], Value::String(want.into()), "{name}");
    }
}

#[test]
fn comments_in_env_files_need_a_blank_before_the_hash() {
    // TestCommentsInEnvFile's .env. Current compose-go cuts an inline comment at " #" only, so
    // `COMMENT=1234#5` keeps its hash (docker compose's older e2e expectation `COMMENT=1234`
    // predates that fix).
    let env = project_env(&[], &[], &v2_testdata("TestCommentsInEnvFile")).unwrap();
    assert_eq!(env.get("COMMENT"), Some("1234#5"));
    assert_eq!(env.get("NO_COMMENT"), Some("1234#5"));
}

#[test]
fn shell_wins_later_files_win_and_history_shows_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(
        tmp.path(),
        "a.env",
        "FROM_SHELL=a\nONLY_A=a\nBOTH=a\nREF=${ONLY_A}-${FROM_SHELL}\n",
    );
    let b = write(tmp.path(), "b.env", "BOTH=b\nFROM_SHELL=b\nREF2=$BOTH\n");
    let env = project_env(&[("FROM_SHELL", "sh")], &[a.clone(), b.clone()], tmp.path()).unwrap();
    assert_eq!(env.get("FROM_SHELL"), Some("sh"));
    assert_eq!(env.get("ONLY_A"), Some("a"));
    assert_eq!(env.get("BOTH"), Some("b"));
    assert_eq!(env.get("REF"), Some("a-sh"), "earlier keys and the shell");
    // compose looks at earlier files before this file's own lines.
    assert_eq!(env.get("REF2"), Some("a"));

    let both = env.explain("BOTH").unwrap();
    assert_eq!(both.source, Source::EnvFile(b.clone()));
    assert_eq!(
        both.history
            .iter()
            .map(|h| h.value.as_str())
            .collect::<Vec<_>>(),
        vec!["a", "b"]
    );
    let sh = env.explain("FROM_SHELL").unwrap();
    assert_eq!(sh.source, Source::Shell);
    assert_eq!(
        sh.history
            .iter()
            .map(|h| h.source.clone())
            .collect::<Vec<_>>(),
        vec![
            Source::Shell,
            Source::EnvFile(a.clone()),
            Source::EnvFile(b.clone())
        ]
    );
    assert_eq!(env.files(), &[a, b]);
    assert!(env.explain("NOPE").is_none());
}

#[test]
fn the_project_dotenv_is_recorded_as_such() {
    let tmp = tempfile::tempdir().unwrap();
    let p = write(tmp.path(), ".env", "X=1\n");
    let env = project_env(&[], &[], tmp.path()).unwrap();
    assert_eq!(env.explain("X").unwrap().source, Source::DotEnv(p));
    assert_eq!(
        env.explain("X").unwrap().source.to_string(),
        format!(".env file {}", tmp.path().join(".env").display())
    );
}

#[test]
fn a_missing_env_file_is_an_error_a_missing_dotenv_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    assert!(project_env(&[], &[], tmp.path()).unwrap().is_empty());
    let missing = tmp.path().join("nope.env");
    let err = project_env(&[], std::slice::from_ref(&missing), tmp.path()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Io);
    assert!(err.message.contains("couldn't find env file"), "{err}");
    assert_eq!(err.file.as_deref(), Some(missing.as_path()));
}

#[test]
fn a_dotenv_directory_is_ignored() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join(".env")).unwrap();
    let env = project_env(&[("A", "1")], &[], tmp.path()).unwrap();
    assert_eq!(env.len(), 1);
    let mut e = Environment::new();
    let mut w = Warnings::default();
    let other = write(tmp.path(), "x.env", "X=1\n");
    let err = e
        .load_files(
            &[
                (tmp.path().join(".env"), EnvFileKind::DotEnv),
                (other, EnvFileKind::EnvFile),
            ],
            &mut w,
        )
        .unwrap_err();
    assert!(err.message.contains("is a directory"), "{err}");
}

#[test]
fn env_file_syntax_errors_name_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(tmp.path(), ".env", "A=1\nBAD KEY=2\n");
    let err = project_env(&[], &[], tmp.path()).unwrap_err();
    assert_eq!(err.file.as_deref(), Some(f.as_path()));
    assert_eq!(err.line, Some(2));
    assert_eq!(err.kind, ErrorKind::Syntax);
}

#[test]
fn explicit_settings_win_like_the_shell() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(tmp.path(), "e.env", "A=file\n");
    let mut env = Environment::new();
    env.set("A", "explicit", Source::Explicit);
    let mut w = Warnings::default();
    env.load_files(&[(f, EnvFileKind::EnvFile)], &mut w)
        .unwrap();
    assert_eq!(env.get("A"), Some("explicit"));
}

// ---------------------------------------------------------------------------------------------
// Service environment
// ---------------------------------------------------------------------------------------------

#[test]
fn full_example_environment_matches_compose_go() {
    let base = support::corpus_dir().join("compose-go/full-example@v2.10.1");
    let loader_dir = base.join("loader");
    let mut doc = read_yaml(&loader_dir.join("full-example.yml"));
    let env = shell(&[
        ("HOME", "/HOME"),
        ("BAR", "this is a secret"),
        ("QUX", "qux_from_environment"),
    ]);
    let got = resolve(&mut doc, "foo", &env, &loader_dir).unwrap();
    let expected = read_yaml(&base.join("expected/full-example.expected.yaml"));
    assert_eq!(got, expected["services"]["foo"]["environment"]);
    // docker compose config discards env_file once resolved.
    assert!(doc["services"]["foo"].get("env_file").is_none());
}

#[test]
fn environment_forms_as_compose_go_tests_them() {
    let dir = support::corpus_dir().join("compose-go/inline/loader/tests/environment");
    let env = shell(&[("MEU", "Shadoks")]);
    let s = |v: &str| Value::String(v.to_string());
    for file in ["TestEnvironmentMap.yaml", "TestEnvironmentList.yaml"] {
        let mut doc = read_yaml(&dir.join(file));
        let got = resolve(&mut doc, "foo", &env, &dir).unwrap();
        assert_eq!(got["FOO"], s("1"), "{file}");
        assert_eq!(got["BAR"], s("2"), "{file}");
        assert_eq!(got["BU"], s(""), "{file}");
        assert_eq!(got["MEU"], s("Shadoks"), "{file}");
        assert_eq!(got["ZO"], Value::Null, "{file}: unset stays null");
        if file == "TestEnvironmentMap.yaml" {
            assert_eq!(got["GA"], s("2.5"));
        }
    }
    let mut doc = read_yaml(&dir.join("TestEnvironmentBoolean.yaml"));
    let got = resolve(&mut doc, "foo", &env, &dir).unwrap();
    assert_eq!(got, yaml("BAR: 'false'\nFOO: 'true'\n"));

    let mut doc = read_yaml(&dir.join("TestEnvironmentInvalidValue.yaml"));
    let err = resolve(&mut doc, "foo", &env, &dir).unwrap_err();
    assert!(
        err.to_string()
            .contains("services.foo.environment.FOO must be a boolean, null, number or string"),
        "{err}"
    );
    let mut doc = read_yaml(&dir.join("TestEnvironmentInvalidObject.yaml"));
    let err = resolve(&mut doc, "foo", &env, &dir).unwrap_err();
    assert!(
        err.to_string()
            .contains("services.foo.environment must be a mapping"),
        "{err}"
    );
    let mut doc = read_yaml(&dir.join("TestEnvironmentWhitespace.yaml"));
    let err = resolve(&mut doc, "test", &env, &dir).unwrap_err();
    assert!(
        err.to_string()
            .contains("is declared with a trailing space"),
        "{err}"
    );
    assert_eq!(
        err.path,
        Some(KeyPath::parse("services.test.environment[0]"))
    );
}

#[test]
fn a_missing_required_env_file_names_service_and_file() {
    // docker compose TestUnusedMissingEnvFile.
    let dir = support::corpus_dir().join("docker-compose-v2/pkg/e2e/fixtures/env_file");
    let mut doc = read_yaml(&dir.join("compose.yaml"));
    let env = shell(&[]);
    let err = resolve(&mut doc, "serviceB", &env, &dir).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Io);
    assert!(
        err.to_string()
            .contains("env file /doesnotexist/.env not found"),
        "{err}"
    );
    assert_eq!(
        err.path,
        Some(KeyPath::parse("services.serviceB.env_file[0]"))
    );
    assert!(err.hint.as_deref().unwrap().contains("required: false"));
    // serviceA has nothing to resolve; serviceC reads test.env next to the compose file.
    assert_eq!(
        resolve(&mut doc, "serviceA", &env, &dir).unwrap(),
        Value::Null
    );
    assert_eq!(
        resolve(&mut doc, "serviceC", &env, &dir).unwrap(),
        yaml("FOO: BAR\n")
    );
}

#[test]
fn env_file_versus_environment_priority() {
    // TestEnvPriorityComposeEnvFile / TestEnvPriorityComposeEnvironment.
    let dir = v2_testdata("TestEnvPriorityComposeEnvFile");
    let env = project_env(&[], &[], &dir).unwrap();
    let mut doc = read_yaml(&dir.join("compose.yaml"));
    let got = resolve(&mut doc, "env-compose-priority", &env, &dir).unwrap();
    assert_eq!(got, yaml("WHEREAMI: override\n"));

    let dir = v2_testdata("TestEnvPriorityComposeEnvironment");
    let env = project_env(&[], &[], &dir).unwrap();
    let mut doc = read_yaml(&dir.join("compose.yaml"));
    let got = resolve(&mut doc, "env-compose-priority", &env, &dir).unwrap();
    assert_eq!(got, yaml("WHEREAMI: Compose File\n"));
}

#[test]
fn raw_env_files_are_taken_literally() {
    // TestRawEnvFile.
    let dir = v2_testdata("TestRawEnvFile");
    let env = shell(&[]);
    let mut doc = read_yaml(&dir.join("compose.yaml"));
    let got = resolve(&mut doc, "test", &env, &dir).unwrap();
    assert_eq!(got, yaml(r#"TEST_VAR: "'{\"key\": \"value\"}'""#));
}

#[test]
fn env_file_forms_paths_and_precedence() {
    let tmp = tempfile::tempdir().unwrap();
    let sub = tmp.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    write(
        &sub,
        "one.env",
        "A=one\nB=one\nC=${FROM_PROJECT}/${FROM_SERVICE}\nD=$A\n",
    );
    let two = write(tmp.path(), "two.env", "B=two\nNULLED=from-file\nE=2\n");
    let env = shell(&[("FROM_PROJECT", "p"), ("INHERIT", "inherited")]);
    let mut doc = yaml(&format!(
        r#"
services:
  s:
    image: x
    env_file:
      - sub/one.env
      - path: {}
        required: true
      - path: missing.env
        required: false
    environment:
      FROM_SERVICE: svc
      NULLED:
      INHERIT:
      E: 5
"#,
        two.display()
    ));
    let got = resolve(&mut doc, "s", &env, tmp.path()).unwrap();
    assert_eq!(
        got,
        yaml(
            r#"
A: one
B: two
C: p/svc
D: one
E: "5"
FROM_SERVICE: svc
INHERIT: inherited
NULLED: null
"#
        )
    );
    // Sorted by name, env_file gone.
    let keys: Vec<&str> = got
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(doc["services"]["s"].get("env_file").is_none());
}

#[test]
fn a_single_env_file_string_and_an_empty_result() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "only.env", "X=1\n");
    write(tmp.path(), "empty.env", "# nothing\n");
    let env = shell(&[]);
    let mut doc = yaml("services:\n  s:\n    env_file: only.env\n  t:\n    env_file: empty.env\n");
    assert_eq!(
        resolve(&mut doc, "s", &env, tmp.path()).unwrap(),
        yaml("X: '1'\n")
    );
    assert_eq!(
        resolve(&mut doc, "t", &env, tmp.path()).unwrap(),
        Value::Null
    );
    assert!(doc["services"]["t"].as_mapping().unwrap().is_empty());
}

#[test]
fn env_file_entry_errors() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "a.env", "X=1\n");
    let env = shell(&[]);
    let cases = [
        (
            "services:\n  s:\n    env_file: [{path: a.env, format: yaml}]\n",
            "services.s.env_file[0].format",
            "unsupported env_file format",
        ),
        (
            "services:\n  s:\n    env_file: [{required: false}]\n",
            "services.s.env_file[0]",
            "needs a `path`",
        ),
        (
            "services:\n  s:\n    env_file: {path: a.env}\n",
            "services.s.env_file",
            "must be a path or a list",
        ),
        (
            "services:\n  s:\n    env_file: [{path: a.env, required: perhaps}]\n",
            "services.s.env_file[0].required",
            "must be a boolean",
        ),
    ];
    for (src, path, msg) in cases {
        let mut doc = yaml(src);
        let err = resolve(&mut doc, "s", &env, tmp.path()).unwrap_err();
        assert_eq!(err.path, Some(KeyPath::parse(path)), "{src}");
        assert!(err.message.contains(msg), "{src}: {err}");
    }
    // `required: "false"` as a string is accepted.
    let mut doc = yaml("services:\n  s:\n    env_file: [{path: nope.env, required: 'false'}]\n");
    assert_eq!(
        resolve(&mut doc, "s", &env, tmp.path()).unwrap(),
        Value::Null
    );
}

#[test]
fn env_file_syntax_errors_keep_file_line_and_key_path() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(tmp.path(), "bad.env", "OK=1\nNOT OK=2\n");
    let mut doc = yaml("services:\n  s:\n    env_file: bad.env\n");
    let err = resolve(&mut doc, "s", &shell(&[]), tmp.path()).unwrap_err();
    assert_eq!(err.file.as_deref(), Some(f.as_path()));
    assert_eq!(err.line, Some(2));
    assert_eq!(err.path, Some(KeyPath::parse("services.s.env_file")));
}

#[test]
fn numbers_become_strings_like_go_prints_them() {
    let mut doc = yaml(
        "services:\n  s:\n    environment:\n      I: 10\n      F: 1.0\n      BIG: 1000000.0\n      NEG: -2.5\n      B: false\n",
    );
    let got = resolve(&mut doc, "s", &shell(&[]), Path::new("/")).unwrap();
    assert_eq!(
        got,
        yaml("B: 'false'\nBIG: '1e+06'\nF: '1'\nI: '10'\nNEG: '-2.5'\n")
    );
}

#[test]
fn list_entries_split_on_the_first_equals_and_later_entries_win() {
    let mut doc = yaml(
        "services:\n  s:\n    environment:\n      - A=x=y\n      - B=1\n      - B=2\n      - C=\n",
    );
    let got = resolve(&mut doc, "s", &shell(&[]), Path::new("/")).unwrap();
    assert_eq!(got, yaml("A: x=y\nB: '2'\nC: ''\n"));
}

#[test]
fn every_service_of_a_document() {
    let mut doc =
        yaml("services:\n  a:\n    environment: [X]\n  b:\n    environment: {Y: 1}\n  c: null\n");
    let mut w = Warnings::default();
    resolve_services_environment(&mut doc, &shell(&[("X", "x")]), Path::new("/"), &mut w).unwrap();
    assert_eq!(doc["services"]["a"]["environment"], yaml("X: x\n"));
    assert_eq!(doc["services"]["b"]["environment"], yaml("Y: '1'\n"));
    assert_eq!(doc["services"]["c"], Value::Null);
    // No services at all: nothing to do.
    let mut empty = yaml("name: x\n");
    resolve_services_environment(&mut empty, &shell(&[]), Path::new("/"), &mut w).unwrap();
}

#[test]
fn unset_variables_inside_env_files_warn() {
    let tmp = tempfile::tempdir().unwrap();
    write(tmp.path(), "a.env", "A=$NOT_SET\n");
    let mut doc = yaml("services:\n  s:\n    env_file: a.env\n");
    let mut w = Warnings::default();
    let svc = doc["services"].get_mut("s").unwrap();
    resolve_service_environment(svc, "s", &shell(&[]), tmp.path(), &mut w).unwrap();
    assert_eq!(
        w.0,
        vec!["The \"NOT_SET\" variable is not set. Defaulting to a blank string.".to_string()]
    );
}
