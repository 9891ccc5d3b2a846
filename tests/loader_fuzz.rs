//! Robustness of the loader: no input, however broken, may panic (errors are fine).
//!
//! A proptest renders random YAML-ish documents (nested maps / sequences / scalars with compose keys
//! mixed in, `${...}` strings, tags, anchors, aliases, `<<` merge keys, byte-level damage) and loads
//! one to three of them as `ConfigSource::Inline` files with random options. Hand-written hostile
//! inputs (alias bombs, deep nesting, odd tags) come first. The default run is bounded to a few
//! seconds; a long run: `RCOMPOSE_FUZZ_CASES=20000 cargo test --release --test loader_fuzz`.
//! Longer, coverage-guided runs: the `cargo fuzz` target in `fuzz/` (see BENCHMARKS.md).

use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::OnceLock;

use indexmap::IndexMap;
use proptest::prelude::*;
use proptest::sample::select;
use rcompose::loader::{self, ConfigSource, LoadOptions};

/// A project directory with a few real files for `extends: file:`, `include`, `env_file`, `.env`.
fn workdir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = match tempfile::Builder::new().prefix("fuzz").tempdir() {
            Ok(d) => d,
            Err(e) => panic!("cannot create a temp dir: {e}"),
        };
        let files: [(&str, &str); 5] = [
            (
                "base.yaml",
                "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n  db:\n    image: postgres\n    environment:\n      A: ${FROM_DOTENV}\n",
            ),
            (
                "sub/inc.yaml",
                "services:\n  inc:\n    image: busybox\n    env_file: ../app.env\nnetworks:\n  back: {}\n",
            ),
            ("app.env", "APP=1\nexport QUOTED=\"a b\"\nEMPTY=\n"),
            (".env", "FROM_DOTENV=dotenv\nPORT=8080\n"),
            ("bad.yaml", "services: [\n"),
        ];
        for (name, text) in files {
            let path = dir.path().join(name);
            if let Some(parent) = path.parent() {
                if let Err(e) = std::fs::create_dir_all(parent) {
                    panic!("cannot create {}: {e}", parent.display());
                }
            }
            if let Err(e) = std::fs::write(&path, text) {
                panic!("cannot write {}: {e}", path.display());
            }
        }
        dir
    })
    .path()
}

fn base_env() -> IndexMap<String, String> {
    [
        ("NAME", "web"),
        ("PORT", "8080"),
        ("EMPTY", ""),
        ("DOLLAR", "$HOME ${X}"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Loads the texts as inline files; panics propagate (that is the failure we look for).
fn load_texts(texts: &[String], opts: LoadOptions) -> Result<(), String> {
    let mut opts = opts;
    opts.files = texts
        .iter()
        .enumerate()
        .map(|(i, t)| ConfigSource::Inline {
            name: workdir().join(format!("fuzz-{i}.yaml")),
            text: t.clone(),
        })
        .collect();
    opts.working_dir = Some(workdir().to_path_buf());
    loader::load(&opts).map(|_| ()).map_err(|e| e.to_string())
}

fn default_opts() -> LoadOptions {
    LoadOptions {
        environment: base_env(),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Hand-written hostile inputs.

fn alias_bomb() -> String {
    let mut s = String::from(
        "x-a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = 'a';
    for c in 'b'..='i' {
        let _ = writeln!(
            s,
            "x-{c}: &{c} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        );
        prev = c;
    }
    s.push_str("services:\n  web:\n    image: nginx\n    command: *i\n");
    s
}

fn hostile_inputs() -> Vec<(&'static str, String)> {
    let deep_flow = format!("services: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let mut deep_block = String::from("services:\n");
    for i in 0..300 {
        let _ = writeln!(deep_block, "{}k{i}:", " ".repeat(2 * (i + 1)));
    }
    let many_services = {
        let mut s = String::from("services:\n");
        for i in 0..2000 {
            let _ = writeln!(
                s,
                "  s{i}:\n    image: x\n    depends_on: [s{}]",
                (i + 1) % 2000
            );
        }
        s
    };
    let nested_vars = format!(
        "services:\n  web:\n    image: \"{}x{}\"\n",
        "${A:-".repeat(500),
        "}".repeat(500)
    );
    vec![
        ("empty text", String::new()),
        ("only a comment", "# nothing\n".into()),
        ("null document", "~\n".into()),
        ("scalar document", "42\n".into()),
        ("sequence document", "- services\n- web\n".into()),
        ("multi-document stream", "services: {}\n---\nservices: {}\n".into()),
        ("tab indentation", "services:\n\tweb:\n\t\timage: x\n".into()),
        ("byte order mark", "\u{feff}services:\n  web:\n    image: x\n".into()),
        ("NUL byte", "services:\n  web:\n    image: \"a\0b\"\n\0".into()),
        ("alias bomb", alias_bomb()),
        ("deep flow nesting", deep_flow),
        ("deep block nesting", deep_block),
        ("2000-service dependency cycle", many_services),
        ("500 nested defaults", nested_vars),
        ("unterminated variable", "services:\n  web:\n    image: ${A\n".into()),
        ("empty variable", "services:\n  web:\n    image: ${}\n".into()),
        ("bad variable name", "services:\n  web:\n    image: ${1A:-x}\n".into()),
        ("required variable", "services:\n  web:\n    image: ${MISSING:?it is required}\n".into()),
        ("variable in key", "services:\n  ${NAME}:\n    image: x\n".into()),
        ("merge key to scalar", "x: &a 1\nservices:\n  web:\n    <<: *a\n".into()),
        ("merge key to sequence of scalars", "services:\n  web:\n    <<: [1, 2]\n".into()),
        ("merge key to undefined alias", "services:\n  web:\n    <<: *nope\n".into()),
        ("recursive alias", "a: &a [*a]\n".into()),
        ("reset at top level", "!reset\n".into()),
        ("reset services", "services: !reset {}\n".into()),
        ("override null", "services:\n  web: !override\n".into()),
        ("reset in sequence", "services:\n  web:\n    image: x\n    ports:\n      - !reset 80\n".into()),
        ("unknown tags", "services: !foo\n  web: !!binary aGVsbG8=\n".into()),
        ("tagged key", "services:\n  !reset web:\n    image: x\n".into()),
        ("non-string keys", "services:\n  1:\n    image: x\n  [a]: 2\n  {b: c}: 3\n  ~: 4\n  true: 5\n".into()),
        ("huge numbers", "services:\n  web:\n    image: x\n    scale: 99999999999999999999999\n    cpus: 1e999\n    mem_limit: -1\n    ports: [\"99999999:1\"]\n".into()),
        ("ports garbage", "services:\n  web:\n    image: x\n    ports: [\":\", \"::\", \"-:-\", \"1-:2\", \"a:b:c:d:e\", \"[::1]:80:80\", \"65536:80\", \"1-65535:1-3\"]\n".into()),
        ("volumes garbage", "services:\n  web:\n    image: x\n    volumes: [\":\", \"::\", \"a:b:c:d\", \"/:/:rw,ro\", \"\", \"vol:\"]\n".into()),
        ("self extends", "services:\n  web:\n    extends: web\n".into()),
        ("extends cycle", "services:\n  a:\n    extends: b\n  b:\n    extends: {service: a}\n".into()),
        ("extends missing file", "services:\n  a:\n    extends: {file: nope.yaml, service: b}\n".into()),
        ("extends a directory", "services:\n  a:\n    extends: {file: sub, service: b}\n".into()),
        ("extends broken file", "services:\n  a:\n    extends: {file: bad.yaml, service: b}\n".into()),
        ("include itself", format!("include: [{}]\nservices: {{}}\n", workdir().join("fuzz-0.yaml").display())),
        ("include a directory", "include: [sub]\n".into()),
        ("include broken file", "include: [bad.yaml]\n".into()),
        ("include twice", "include: [base.yaml, base.yaml, {path: [base.yaml, sub/inc.yaml]}]\n".into()),
        ("depends_on self", "services:\n  web:\n    image: x\n    depends_on: [web]\n".into()),
        ("network_mode cycle", "services:\n  a:\n    image: x\n    network_mode: service:b\n  b:\n    image: x\n    network_mode: service:a\n".into()),
        ("env_file missing", "services:\n  web:\n    image: x\n    env_file: [nope.env, {path: x.env, required: false}]\n".into()),
        ("env_file is a directory", "services:\n  web:\n    image: x\n    env_file: sub\n".into()),
        ("long line", format!("services:\n  web:\n    image: {}\n", "a".repeat(1 << 20))),
        ("unicode keys", "services:\n  wéb🚀:\n    image: ñ\n".into()),
        ("bad project name", "name: \"Not Valid!\"\nservices: {}\n".into()),
        ("interpolated project name", "name: ${NAME}-${EMPTY}\nservices: {}\n".into()),
        ("profiles of wrong type", "services:\n  web:\n    image: x\n    profiles: 3\n".into()),
    ]
}

#[test]
fn hostile_inputs_never_panic() {
    let mut panics = Vec::new();
    for (name, text) in hostile_inputs() {
        for no_interpolate in [false, true] {
            let opts = LoadOptions {
                no_interpolate,
                ..default_opts()
            };
            let texts = [text.clone()];
            if catch_unwind(AssertUnwindSafe(|| load_texts(&texts, opts))).is_err() {
                panics.push(format!("{name} (no_interpolate={no_interpolate})"));
            }
        }
    }
    assert!(panics.is_empty(), "the loader panicked on: {panics:#?}");
}

#[test]
fn alias_bomb_is_rejected() {
    let texts = [alias_bomb()];
    assert!(load_texts(&texts, default_opts()).is_err());
}

// ---------------------------------------------------------------------------------------------
// Random documents.

#[derive(Debug, Clone)]
enum Node {
    Scalar { text: String, quoted: bool },
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
    Tagged(String, Box<Node>),
    Anchored(String, Box<Node>),
    Alias(String),
}

const TOP_KEYS: &[&str] = &[
    "services", "networks", "volumes", "secrets", "configs", "include", "name", "version",
    "models", "x-common",
];

const SERVICE_KEYS: &[&str] = &[
    "image",
    "build",
    "ports",
    "expose",
    "environment",
    "env_file",
    "depends_on",
    "volumes",
    "volumes_from",
    "extends",
    "profiles",
    "command",
    "entrypoint",
    "healthcheck",
    "deploy",
    "networks",
    "network_mode",
    "links",
    "labels",
    "secrets",
    "configs",
    "restart",
    "ulimits",
    "tmpfs",
    "develop",
    "scale",
    "container_name",
    "extra_hosts",
    "devices",
    "post_start",
    "logging",
    "pid",
    "ipc",
    "cpus",
    "mem_limit",
    "sysctls",
    "gpus",
    "annotations",
    "x-meta",
];

const OTHER_KEYS: &[&str] = &[
    "file",
    "service",
    "path",
    "project_directory",
    "env_file",
    "required",
    "condition",
    "restart",
    "target",
    "published",
    "host_ip",
    "protocol",
    "mode",
    "source",
    "type",
    "read_only",
    "bind",
    "propagation",
    "create_host_path",
    "selinux",
    "volume",
    "nocopy",
    "tmpfs",
    "size",
    "context",
    "dockerfile",
    "args",
    "ssh",
    "cache_from",
    "additional_contexts",
    "test",
    "interval",
    "timeout",
    "retries",
    "start_period",
    "disable",
    "resources",
    "limits",
    "reservations",
    "memory",
    "devices",
    "capabilities",
    "count",
    "device_ids",
    "driver",
    "driver_opts",
    "external",
    "name",
    "ipam",
    "config",
    "subnet",
    "aliases",
    "ipv4_address",
    "priority",
    "watch",
    "action",
    "ignore",
    "content",
    "environment",
    "soft",
    "hard",
    "labels",
    "x-ext",
];

const NAMES: &[&str] = &[
    "web", "db", "cache", "front", "back", "data", "NAME", "PORT",
];

fn key() -> BoxedStrategy<String> {
    prop_oneof![
        4 => select(SERVICE_KEYS).prop_map(str::to_string),
        4 => select(OTHER_KEYS).prop_map(str::to_string),
        2 => select(NAMES).prop_map(str::to_string),
        1 => select(TOP_KEYS).prop_map(str::to_string),
        1 => Just("<<".to_string()),
        1 => "[a-zA-Z0-9_.-]{0,8}",
        1 => "[0-9]{1,3}",
    ]
    .boxed()
}

/// Strings that reach interpolation, the short syntaxes and the path resolution.
fn scalar_text() -> BoxedStrategy<String> {
    let var = select(
        &[
            "NAME",
            "PORT",
            "EMPTY",
            "UNSET",
            "DOLLAR",
            "FROM_DOTENV",
            "1BAD",
            "",
        ][..],
    );
    let op = select(&["", ":-", "-", ":?", "?", ":+", "+", ":", "!", "#"][..]);
    let interpolated =
        (var.clone(), op, "[a-z0-9 ${}:/.-]{0,8}", var).prop_map(|(v, op, word, w)| {
            let inner = if op.is_empty() {
                String::new()
            } else {
                format!("{word}${{{w}}}")
            };
            format!("pre-${{{v}{op}{inner}}}-post")
        });
    let fixed = select(
        &[
            "8080:80",
            "127.0.0.1:80:80/udp",
            "[::1]:53:53/udp",
            "1000-1010:2000-2010",
            "80",
            "./data:/data:ro",
            "data:/data:rw,z",
            "/abs:/abs",
            "~/home:/h",
            "../up:/up",
            ".",
            "base.yaml",
            "./base.yaml",
            "sub/inc.yaml",
            "missing.yaml",
            "bad.yaml",
            "app.env",
            "sub",
            "web",
            "db",
            "service:web",
            "container:x",
            "host",
            "none",
            "all",
            "10s",
            "1h30m",
            "-5s",
            "512M",
            "1.5g",
            "0.5",
            "-1",
            "1e999",
            "0x1F",
            "0o17",
            "true",
            "yes",
            "off",
            "null",
            "~",
            "",
            " ",
            "$",
            "$$",
            "$$VAR",
            "${",
            "${}",
            "$NAME",
            "${NAME}",
            "${NAME:-${PORT:-${UNSET:?nested}}}",
            "${UNSET:?required}",
            "CMD-SHELL",
            "NONE",
            "service_healthy",
            "service_completed_successfully",
            "on-failure:3",
            "é",
            "🚀",
            "a\nb",
            "key=value",
            "KEY",
            "=",
            "tcp",
            "bind",
            "volume",
            "tmpfs",
            "npipe",
        ][..],
    )
    .prop_map(str::to_string);
    prop_oneof![
        3 => interpolated,
        6 => fixed,
        2 => "[a-zA-Z0-9_${}:?+\\-. /=\"'\\\\]{0,16}",
        1 => any::<i64>().prop_map(|n| n.to_string()),
    ]
    .boxed()
}

fn leaf() -> BoxedStrategy<Node> {
    prop_oneof![
        10 => (scalar_text(), any::<bool>()).prop_map(|(text, quoted)| Node::Scalar { text, quoted }),
        1 => select(&["a", "b", "c"][..]).prop_map(|a| Node::Alias(a.to_string())),
        1 => Just(Node::Map(Vec::new())),
        1 => Just(Node::Seq(Vec::new())),
    ]
    .boxed()
}

fn tag() -> impl Strategy<Value = String> {
    select(
        &[
            "!reset",
            "!override",
            "!!str",
            "!!int",
            "!!map",
            "!!seq",
            "!!null",
            "!!bool",
            "!!float",
            "!!binary",
            "!foo",
            "!",
        ][..],
    )
    .prop_map(str::to_string)
}

fn node() -> BoxedStrategy<Node> {
    leaf()
        .prop_recursive(4, 40, 6, |inner| {
            prop_oneof![
                4 => prop::collection::vec((key(), inner.clone()), 0..6).prop_map(Node::Map),
                3 => prop::collection::vec(inner.clone(), 0..5).prop_map(Node::Seq),
                1 => (tag(), inner.clone()).prop_map(|(t, n)| Node::Tagged(t, Box::new(n))),
                1 => (select(&["a", "b", "c"][..]), inner)
                    .prop_map(|(a, n)| Node::Anchored(a.to_string(), Box::new(n))),
            ]
        })
        .boxed()
}

fn plain(text: &str) -> Node {
    Node::Scalar {
        text: text.to_string(),
        quoted: false,
    }
}

fn texts(choices: &'static [&'static str]) -> BoxedStrategy<Node> {
    select(choices).prop_map(plain).boxed()
}

fn seq_of(item: BoxedStrategy<Node>) -> BoxedStrategy<Node> {
    prop::collection::vec(item, 0..4)
        .prop_map(Node::Seq)
        .boxed()
}

/// A value of the right shape for a service key, most of the time, so that random documents get
/// past the schema into normalisation and the semantic checks.
fn plausible(key: &str) -> BoxedStrategy<Node> {
    let name = || texts(&["web", "db", "cache", "NAME"]);
    match key {
        "image" => texts(&[
            "nginx",
            "${NAME}:${PORT:-latest}",
            "redis:7",
            "a/b@sha256:00",
            "",
        ]),
        "ports" | "expose" => seq_of(texts(&[
            "80",
            "8080:80",
            "${PORT}:80",
            "127.0.0.1:80:80/udp",
            "1000-1002:2000-2002",
            "[::1]:53:53",
            "9090",
        ])),
        "volumes" | "tmpfs" => seq_of(texts(&[
            "./data:/data",
            "data:/data:ro",
            "/tmp",
            "${NAME}:/x:z",
            "../up:/up:rw,cached",
            "~/h:/h",
        ])),
        "depends_on" | "links" | "volumes_from" | "profiles" => seq_of(name()),
        "environment" | "labels" | "sysctls" | "annotations" => prop::collection::vec(
            (
                select(NAMES).prop_map(str::to_string),
                scalar_text().prop_map(|t| plain(&t)),
            ),
            0..4,
        )
        .prop_map(Node::Map)
        .boxed(),
        "env_file" => texts(&["app.env", "missing.env", "./app.env"]),
        "command" | "entrypoint" => {
            texts(&["sh -c 'echo $$HOME'", "run ${NAME}", "[\"a\", \"b\"]"])
        }
        "extends" => prop_oneof![
            name(),
            (
                name(),
                texts(&["base.yaml", "./base.yaml", "missing.yaml", "bad.yaml"])
            )
                .prop_map(|(s, f)| Node::Map(vec![("service".into(), s), ("file".into(), f)])),
        ]
        .boxed(),
        "networks" => seq_of(texts(&["front", "back", "default"])),
        "network_mode" | "pid" | "ipc" => {
            texts(&["host", "none", "service:web", "service:db", "bridge"])
        }
        "restart" => texts(&["always", "no", "on-failure:3", "unless-stopped"]),
        "scale" | "cpus" | "mem_limit" => texts(&["1", "0.5", "512m", "${PORT}", "-1"]),
        "healthcheck" => Just(Node::Map(vec![
            ("test".into(), plain("[\"CMD\", \"true\"]")),
            ("interval".into(), plain("10s")),
        ]))
        .boxed(),
        "build" => texts(&[".", "./app", "sub"]),
        _ => node(),
    }
}

/// A value of the right shape for a top-level key, most of the time.
fn plausible_top(key: &str) -> BoxedStrategy<Node> {
    match key {
        "name" => texts(&["fuzz", "${NAME}", "Bad Name", "", "x-${UNSET}"]),
        "version" => texts(&["3.8", "2"]),
        "include" => seq_of(
            prop_oneof![
                texts(&["base.yaml", "sub/inc.yaml", "missing.yaml", "bad.yaml"]),
                texts(&["base.yaml", "sub/inc.yaml"])
                    .prop_map(|p| Node::Map(vec![("path".into(), p)])),
            ]
            .boxed(),
        ),
        "networks" | "volumes" | "secrets" | "configs" | "models" => {
            let body = prop_oneof![
                2 => Just(Node::Map(Vec::new())),
                1 => Just(Node::Map(vec![("external".into(), plain("true"))])),
                1 => texts(&["./app.env", "base.yaml", "missing"])
                    .prop_map(|f| Node::Map(vec![("file".into(), f)])),
                1 => node(),
            ];
            prop::collection::vec(
                (
                    texts(&["front", "back", "data", "default"]).prop_map(|n| match n {
                        Node::Scalar { text, .. } => text,
                        _ => String::new(),
                    }),
                    body,
                ),
                0..3,
            )
            .prop_map(Node::Map)
            .boxed()
        }
        _ => node(),
    }
}

fn service() -> BoxedStrategy<Node> {
    let entry = select(SERVICE_KEYS).prop_flat_map(|k| {
        let value = prop_oneof![3 => plausible(k), 1 => node()];
        (Just(k.to_string()), value)
    });
    prop_oneof![
        8 => prop::collection::vec(entry, 0..7).prop_map(Node::Map),
        1 => node(),
    ]
    .boxed()
}

fn document() -> BoxedStrategy<Node> {
    let services = prop::collection::vec((select(NAMES).prop_map(str::to_string), service()), 0..4)
        .prop_map(|s| ("services".to_string(), Node::Map(s)));
    let other = select(TOP_KEYS).prop_flat_map(|k| {
        let value = prop_oneof![3 => plausible_top(k), 1 => node()];
        (Just(k.to_string()), value)
    });
    (services, prop::collection::vec(other, 0..4), any::<bool>())
        .prop_map(|(services, mut others, first)| {
            if first {
                others.insert(0, services);
            } else {
                others.push(services);
            }
            Node::Map(others)
        })
        .boxed()
}

fn is_plain_safe(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/' | '<'))
}

/// Whether a block-context plain scalar is likely to read back as the same string (the damage step
/// takes care of producing broken text).
fn plain_ok(s: &str) -> bool {
    !s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@`~ ".contains(c))
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with([':', ' '])
        && !s.contains(['\n', '"', '\''])
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn render_key(k: &str) -> String {
    if is_plain_safe(k) {
        k.to_string()
    } else {
        quote(k)
    }
}

/// Flow style (`{a: [1, "x"]}`), used inside sequences.
fn flow(n: &Node) -> String {
    match n {
        Node::Scalar { text, quoted } => {
            if *quoted || !is_plain_safe(text) {
                quote(text)
            } else {
                text.clone()
            }
        }
        Node::Map(entries) => {
            let parts: Vec<String> = entries
                .iter()
                .map(|(k, v)| format!("{}: {}", render_key(k), flow(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Node::Seq(items) => {
            let parts: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", parts.join(", "))
        }
        Node::Tagged(t, inner) => format!("{t} {}", flow(inner)),
        Node::Anchored(a, inner) => format!("&{a} {}", flow(inner)),
        Node::Alias(a) => format!("*{a}"),
    }
}

/// Block style: writes the value that follows `key:` (or the document itself at indent 0).
fn block(n: &Node, indent: usize, props: &str, out: &mut String) {
    let pad = " ".repeat(indent);
    match n {
        Node::Tagged(t, inner) => block(inner, indent, &format!("{props} {t}"), out),
        Node::Anchored(a, inner) => block(inner, indent, &format!("{props} &{a}"), out),
        Node::Map(entries) if !entries.is_empty() => {
            out.push_str(props);
            out.push('\n');
            for (k, v) in entries {
                let _ = write!(out, "{pad}{}:", render_key(k));
                block(v, indent + 2, "", out);
            }
        }
        Node::Seq(items) if !items.is_empty() => {
            out.push_str(props);
            out.push('\n');
            for item in items {
                let _ = writeln!(out, "{pad}- {}", flow(item));
            }
        }
        Node::Scalar { text, quoted } if !*quoted && plain_ok(text) => {
            let _ = writeln!(out, "{props} {text}");
        }
        other => {
            let _ = writeln!(out, "{props} {}", flow(other));
        }
    }
}

/// Makes a generated tree well-formed YAML: unique keys, aliases only to anchors defined before
/// them, at most one anchor and one tag per node. (Damage to the text comes afterwards, on purpose.)
fn sanitize(n: Node, defined: &mut Vec<String>) -> Node {
    match n {
        Node::Map(entries) => {
            let mut seen = Vec::new();
            let mut out = Vec::new();
            for (k, v) in entries {
                if seen.contains(&k) {
                    continue;
                }
                seen.push(k.clone());
                let v = sanitize(v, defined);
                // A merge key takes a mapping or an alias (to one, we hope): not a random scalar.
                let v = match v {
                    Node::Scalar { .. } | Node::Tagged(..) if k == "<<" => match defined.last() {
                        Some(a) => Node::Alias(a.clone()),
                        None => Node::Map(Vec::new()),
                    },
                    v => v,
                };
                out.push((k, v));
            }
            Node::Map(out)
        }
        Node::Seq(items) => Node::Seq(items.into_iter().map(|i| sanitize(i, defined)).collect()),
        Node::Tagged(t, inner) => match sanitize(*inner, defined) {
            inner @ (Node::Tagged(..) | Node::Alias(_) | Node::Anchored(..)) => inner,
            inner => Node::Tagged(t, Box::new(inner)),
        },
        Node::Anchored(a, inner) => {
            let inner = match sanitize(*inner, defined) {
                Node::Anchored(_, i) => *i,
                Node::Alias(_) => Node::Scalar {
                    text: "anchored-alias".into(),
                    quoted: false,
                },
                i => i,
            };
            defined.push(a.clone());
            Node::Anchored(a, Box::new(inner))
        }
        Node::Alias(a) if defined.contains(&a) => Node::Alias(a),
        Node::Alias(_) => Node::Scalar {
            text: "undefined-alias".into(),
            quoted: false,
        },
        scalar => scalar,
    }
}

fn render(doc: &Node) -> String {
    let doc = sanitize(doc.clone(), &mut Vec::new());
    let mut out = String::new();
    match &doc {
        Node::Map(entries) => {
            for (k, v) in entries {
                let _ = write!(out, "{}:", render_key(k));
                block(v, 2, "", &mut out);
            }
        }
        other => out.push_str(&flow(other)),
    }
    out
}

/// Byte-level damage: delete / insert / duplicate at a position.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Insert(usize, char),
    DuplicateLine(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let chars = select(
        &[
            '{', '}', '[', ']', ':', '-', '&', '*', '!', '#', '"', '\'', '\n', '\t', ' ', '$', '|',
            '>', '%', '@',
        ][..],
    );
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), chars).prop_map(|(p, c)| Edit::Insert(p, c)),
        any::<usize>().prop_map(Edit::DuplicateLine),
    ]
}

fn damage(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let len = chars.len();
        match *e {
            Edit::Delete(p) if len > 0 => {
                chars.remove(p % len);
            }
            Edit::Insert(p, c) => chars.insert(p % (len + 1), c),
            Edit::DuplicateLine(p) => {
                let s: String = chars.iter().collect();
                let lines: Vec<&str> = s.lines().collect();
                if !lines.is_empty() {
                    let i = p % lines.len();
                    let mut out: Vec<&str> = lines.clone();
                    out.insert(i, lines.get(i).copied().unwrap_or(""));
                    chars = (out.join("\n") + "\n").chars().collect();
                }
            }
            Edit::Delete(_) => {}
        }
    }
    chars.into_iter().collect()
}

#[derive(Debug, Clone)]
struct Case {
    texts: Vec<String>,
    env: Vec<(String, String)>,
    no_interpolate: bool,
    strict: bool,
    no_normalize: bool,
    no_consistency: bool,
    no_env_resolution: bool,
    no_path_resolution: bool,
    /// `config --no-interpolate` / `--variables`: the model map, without the schema for the
    /// latter.
    model_only: bool,
    skip_validation: bool,
    profiles: Vec<String>,
    services: Vec<String>,
    project_name: Option<String>,
}

fn case() -> impl Strategy<Value = Case> {
    let edits = prop::option::weighted(0.3, prop::collection::vec(edit(), 1..3));
    let text = (document(), edits)
        .prop_map(|(doc, edits)| damage(&render(&doc), &edits.unwrap_or_default()))
        .boxed();
    let env = prop::collection::vec(
        (select(NAMES).prop_map(str::to_string), scalar_text()),
        0..4,
    );
    let flags = prop::array::uniform8(prop::bool::weighted(0.15));
    let profiles = prop::collection::vec(
        select(&["*", "debug", ""][..]).prop_map(str::to_string),
        0..2,
    );
    let services = prop::collection::vec(select(NAMES).prop_map(str::to_string), 0..2);
    let project_name = prop::option::weighted(
        0.2,
        select(&["fuzz", "Bad Name", "", "-x"][..]).prop_map(str::to_string),
    );
    (
        prop_oneof![3 => prop::collection::vec(text.clone(), 1..2), 1 => prop::collection::vec(text, 2..4)],
        env,
        flags,
        profiles,
        prop::bool::weighted(0.1).prop_flat_map(move |pick| {
            if pick {
                services.clone().boxed()
            } else {
                Just(Vec::new()).boxed()
            }
        }),
        project_name,
    )
        .prop_map(|(texts, env, f, profiles, services, project_name)| Case {
            texts,
            env,
            no_interpolate: f[0],
            strict: f[1],
            no_normalize: f[2],
            no_consistency: f[3],
            no_env_resolution: f[4],
            no_path_resolution: f[5],
            model_only: f[6],
            skip_validation: f[6] && f[7],
            profiles,
            services,
            project_name,
        })
}

fn cases() -> u32 {
    std::env::var("RCOMPOSE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        // Shrinking re-runs the loader many times; keep a failing run short.
        max_shrink_iters: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_documents_never_panic(c in case()) {
        let mut env = base_env();
        env.extend(c.env.iter().cloned());
        let opts = LoadOptions {
            environment: env,
            no_interpolate: c.no_interpolate,
            strict: c.strict,
            no_normalize: c.no_normalize,
            no_consistency: c.no_consistency,
            no_env_resolution: c.no_env_resolution,
            no_path_resolution: c.no_path_resolution,
            model_only: c.model_only,
            skip_validation: c.skip_validation,
            profiles: c.profiles.clone(),
            services: c.services.clone(),
            project_name: c.project_name.clone(),
            ..Default::default()
        };
        // Errors are fine; a panic fails the property and proptest shrinks the input.
        let _ = load_texts(&c.texts, opts);
    }
}

/// The renderer itself must produce loadable YAML most of the time, or the property above would
/// only exercise the parser's error path.
#[test]
fn most_random_documents_parse_as_yaml() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = document();
    let mut parsed = 0;
    let total = 200;
    for _ in 0..total {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let text = render(&tree.current());
        if serde_yaml::from_str::<serde_yaml::Value>(&text).is_ok() {
            parsed += 1;
        }
    }
    assert!(
        parsed * 10 > total * 8,
        "only {parsed} of {total} generated documents are valid YAML"
    );
}

/// The random cases must get past the parser: some load, and the errors come from several steps.
#[test]
fn random_documents_reach_every_step() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let mut outcomes: std::collections::BTreeMap<String, usize> = Default::default();
    let total = 300;
    for _ in 0..total {
        let Ok(tree) = strategy.new_tree(&mut runner) else {
            continue;
        };
        let c = tree.current();
        let mut opts = default_opts();
        opts.no_interpolate = c.no_interpolate;
        opts.files = c
            .texts
            .iter()
            .enumerate()
            .map(|(i, t)| ConfigSource::Inline {
                name: workdir().join(format!("fuzz-{i}.yaml")),
                text: t.clone(),
            })
            .collect();
        opts.working_dir = Some(workdir().to_path_buf());
        let key = match loader::load(&opts) {
            Ok(_) => "ok".to_string(),
            Err(e) => format!("{:?}", e.kind),
        };
        *outcomes.entry(key).or_default() += 1;
    }
    println!("outcomes of {total} random cases: {outcomes:?}");
    let loaded = outcomes.get("ok").copied().unwrap_or(0);
    assert!(
        loaded * 100 >= total * 2,
        "only {loaded} of {total} random cases load: {outcomes:?}"
    );
    for step in ["Syntax", "Schema", "Interpolation", "Semantic"] {
        assert!(
            outcomes.contains_key(step),
            "no random case reaches a {step} error: {outcomes:?}"
        );
    }
}
