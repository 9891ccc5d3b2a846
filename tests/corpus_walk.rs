//! Walks every compose document of the shared corpus through the loader.
//!
//! Reads `MANIFEST.json`; every file of kind `compose`, `compose-no-services`, `compose-legacy-v1`,
//! `compose-empty` or `yaml-parse-error` is loaded the way the test it comes from loaded it, as far
//! as the manifest and that test say: the interpolation variables it supplied and nothing from the
//! shell; documents of one compose-go test loaded together (several `-f` files in order, or laid out
//! under the names the test wrote them to, see `GROUPS`); compose-go's literals with the Go
//! package's directory as the project directory (`go test` runs there, and relative paths such as
//! `testdata/extends/base.yaml` are relative to it); and the options the test used (`LOAD_OPTIONS`).
//! Each load runs in a thread of its own under `catch_unwind` and a time limit.
//!
//! The contract, checked exactly:
//! - no panic, no hang, anywhere;
//! - every file marked invalid fails (known exclusions in `INVALID_EXCLUSIONS`, each with its reason);
//! - every file marked valid loads, except those in `VALID_EXCLUSIONS`, where each entry states why
//!   and what the failure must be (error class and a substring of the message), and the test checks
//!   that the failure is exactly that one; an exclusion that no longer fails, or fails differently,
//!   fails the test.
//!
//! Prints a summary table (`--nocapture` to see it). Also checks that the benchmark projects
//! (scripts/gen-bench-project.rs) load as intended, so the benchmark times the real thing.

mod support;

#[path = "../scripts/gen-bench-project.rs"]
#[allow(dead_code)]
mod gen_bench_project;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use rcompose::loader::{self, LoadOptions};
use serde_json::Value as Json;
use serde_yaml::Value;

/// How long one file may take before it counts as a hang.
const TIME_LIMIT: Duration = Duration::from_secs(30);

/// Files marked invalid that legitimately load in this harness: (source/path, reason).
const INVALID_EXCLUSIONS: &[(&str, &str)] = &[
    (
        "compose-go/inline/loader/loader/TestLoadEmptyContent_MissingProject.yaml",
        "compose-go's test loads it with no working directory; here the directory names the project",
    ),
    (
        "docker-compose-v1/tests/fixtures/extends/invalid-net-v2.yml",
        "v1-only rule (network_mode: service:x cannot be extended); compose-go's extends has no such rule",
    ),
    (
        "docker-compose-v1/tests/fixtures/v2-simple/links-invalid.yml",
        "invalid by file name only, no test asserts it; its links name a defined service",
    ),
];

/// Why a file marked valid does not load here, and the failure that proves it.
struct Exclusion {
    /// The case: a corpus file (`source/path`), or the first file of a group.
    id: &'static str,
    /// The error class (`Io`, `Schema`, `Semantic`, ...) the load must fail with.
    class: &'static str,
    /// A substring of the error message (which names the file, the key path and the problem).
    needle: &'static str,
    /// Why this failure is the right answer, with the evidence.
    reason: &'static str,
    /// The broad category, for the summary.
    category: Category,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Category {
    /// The test supplied a file (an env file, a compose file from a custom resource loader) that
    /// the corpus extraction did not carry.
    MissingCompanion,
    /// The source test expects an error; the manifest's `valid` label is wrong.
    TestExpectsError,
    /// The source test bypasses a step docker compose always runs (schema validation), or feeds a
    /// fragment that is no compose file to a lower-level function.
    NotAComposeLoad,
    /// A `fmt.Sprintf` template: the literal holds a `%s` verb, not YAML.
    Template,
    /// docker compose versions disagree, or compose-go accepts it by an accident of ordering;
    /// recorded for a decision rather than hidden.
    Divergence,
    /// A check rcompose makes on purpose (issue 2's semantic checks) that compose-go leaves to
    /// the engine, which then fails at `up`.
    StricterOnPurpose,
}

const fn ex(
    id: &'static str,
    class: &'static str,
    needle: &'static str,
    category: Category,
    reason: &'static str,
) -> Exclusion {
    Exclusion {
        id,
        class,
        needle,
        reason,
        category,
    }
}

use Category::*;

/// Files marked valid that do not load, each with its checked failure.
const VALID_EXCLUSIONS: &[Exclusion] = &[
    ex(
        "compose-go/inline/transform/defaults/TestRegisterDefaultValue_9.yaml",
        "Semantic",
        "invalid ip address: localhost",
        NotAComposeLoad,
        "transform/defaults_test.go feeds it to the defaults transform only; docker compose v5 rejects the file (`services.web.ports.[]: invalid ip address: localhost`)",
    ),
    ex(
        "compose-go/inline/loader/extends/TestExtendsWihtMissingService.yaml",
        "Schema",
        "extends.service is required",
        TestExpectsError,
        "extends_test.go asserts the error \"extends.test.service is required\"",
    ),
    ex(
        "compose-go/inline/loader/extends/TestExtendsWithServiceRef.yaml",
        "Semantic",
        "service \"bar\" depends on undefined service \"zot\"",
        TestExpectsError,
        "table case \"volumes_from\": wantErr `service \"bar\" depends on undefined service \"zot\"`",
    ),
    ex(
        "compose-go/inline/loader/extends/TestExtendsWithServiceRef_2.yaml",
        "Semantic",
        "service \"bar\" depends on undefined service \"zot\"",
        TestExpectsError,
        "table case \"depends_on\": wantErr `service \"bar\" depends on undefined service \"zot\"`",
    ),
    ex(
        "compose-go/inline/loader/extends/TestExtendsWithServiceRef_3.yaml",
        "Semantic",
        "service \"bar\" depends on undefined service \"zot\"",
        TestExpectsError,
        "table case \"shared ipc\": wantErr `service \"bar\" depends on undefined service \"zot\"`",
    ),
    ex(
        "compose-go/inline/loader/extends/TestExtendsWithServiceRef_4.yaml",
        "Semantic",
        "service \"zot\" not found for network_mode 'service:zot'",
        TestExpectsError,
        "table case \"shared network_mode\": the test expects a load error for the undefined service zot (compose-go words it as an implicit depends_on)",
    ),
    ex(
        "compose-go/inline/loader/loader/TestLoadWithRemoteResources.yaml",
        "Io",
        "remote:compose.yaml",
        MissingCompanion,
        "loader_test.go serves `remote:` paths through a custom ResourceLoader of the test; docker compose has no such loader",
    ),
    ex(
        "compose-go/inline/loader/loader/TestLoadWithNestedResources.yaml",
        "Io",
        "remote:nested/compose.yaml",
        MissingCompanion,
        "loader_test.go serves `remote:` paths through a custom ResourceLoader of the test; docker compose has no such loader",
    ),
    ex(
        "compose-go/inline/loader/loader/TestLoadTmpfsVolume.yaml",
        "Syntax",
        "unexpected character: `%'",
        Template,
        "fmt.Sprintf template: `size: %s` is filled with 1kb / 1024 by the test",
    ),
    ex(
        "compose-go/inline/loader/paths/TestResolveAdditionalContexts.yaml",
        "Syntax",
        "unexpected character: `%'",
        Template,
        "fmt.Sprintf template: the test fills its `%s` verbs",
    ),
    ex(
        "compose-go/inline/loader/normalize/TestNormalizeImplicitDependencies.yaml",
        "Schema",
        "services.test.cgroup",
        NotAComposeLoad,
        "normalize_test.go feeds a hand-built model to Normalize, never to the schema; `cgroup: service:bar` is outside the schema's enum (host, private), so docker compose rejects the file",
    ),
    ex(
        "compose-go/inline/loader/normalize/TestNormalizeImplicitDependencies_2.yaml",
        "Schema",
        "services.test.cgroup",
        NotAComposeLoad,
        "the expected output of Normalize for the document above; same `cgroup: service:bar` outside the schema",
    ),
    ex(
        "compose-go/inline/validation/validation/TestValidateSecret.yaml",
        "Schema",
        "additional properties 'file' not allowed",
        NotAComposeLoad,
        "validation_test.go passes one secret definition to checkSecret; the document is a secret, not a compose file",
    ),
    ex(
        "compose-go/inline/validation/validation/TestValidateSecret_2.yaml",
        "Schema",
        "additional properties 'environment' not allowed",
        NotAComposeLoad,
        "validation_test.go passes one secret definition to checkSecret; the document is a secret, not a compose file",
    ),
    ex(
        "compose-go/inline/validation/validation/TestValidateSecret_3.yaml",
        "Schema",
        "additional properties 'content' not allowed",
        NotAComposeLoad,
        "validation_test.go passes one secret definition to checkSecret; the document is a secret, not a compose file",
    ),
    ex(
        "compose-go/inline/validation/validation/TestValidateSecret_4.yaml",
        "Schema",
        "additional properties 'environment', 'content' not allowed",
        NotAComposeLoad,
        "validation_test.go passes one secret definition to checkSecret; the document is a secret, not a compose file",
    ),
    ex(
        "compose-go/inline/validation/validation/TestValidateSecret_6.yaml",
        "Schema",
        "additional properties 'external' not allowed",
        NotAComposeLoad,
        "validation_test.go passes one secret definition to checkSecret; the document is a secret, not a compose file",
    ),
    ex(
        "compose-go/merge-cases/override/merge_build/Test_mergeYamlArgsMixed/base.yaml",
        "Schema",
        "services.test.build: additional properties 'platform' not allowed",
        NotAComposeLoad,
        "assertMergeYaml merges raw maps without schema validation; `build.platform` is not in the schema (it has `build.platforms`)",
    ),
    ex(
        "compose-go/merge-cases/override/merge_build/Test_mergeYamlBuildSequence/base.yaml",
        "Schema",
        "services.test.build: additional properties 'platform' not allowed",
        NotAComposeLoad,
        "assertMergeYaml merges raw maps without schema validation; `build.platform` is not in the schema (it has `build.platforms`)",
    ),
    ex(
        "compose-go/merge-cases/override/merge_ulimits/Test_mergeYamlUlimits/base.yaml",
        "Schema",
        "services.test.ulimits.nproc: missing property 'hard'",
        NotAComposeLoad,
        "assertMergeYaml merges raw maps without schema validation; the override's `nproc: {soft: ...}` lacks `hard`, which the schema requires",
    ),
    ex(
        "docker-compose-v1/tests/fixtures/simple-failing-dockerfile/docker-compose.yml",
        "Schema",
        "additional properties 'simple' not allowed",
        NotAComposeLoad,
        "v1 format (no `services:` key, INDEX note), marked valid-runtime-failure by docker-compose 1.29.2; the Compose Specification (docker compose v2+) rejects v1 files",
    ),
    ex(
        "compose-go/inline/loader/override/TestOverrideSelfExtends.yaml",
        "Semantic",
        "services \"depend_one\" and \"depend_two\" both publish host port 8091/tcp",
        StricterOnPurpose,
        "depend_two extends depend_one and so publishes 8091 too; two containers cannot bind one host port, and rcompose says so at load time (compose-go's checkConsistency does not look at ports; the engine refuses the second bind at up)",
    ),
    ex(
        "compose-go/inline/loader/loader/TestXService.yaml",
        "Semantic",
        "refers to undefined network x-network",
        Divergence,
        "docker compose v5.6.1 rejects it (its compose-go reads the top-level `x-network` as an extension of the networks map, so the service refers to an undefined network); rcompose follows v5, as tests/v5_hash.rs checks on every verdict",
    ),
    ex(
        "docker-compose-v2/pkg/e2e/fixtures/build-test/platforms/compose-service-platform-not-in-build-platforms.yaml",
        "Semantic",
        "service.build.platforms MUST include service.platform \"linux/riscv64\"",
        TestExpectsError,
        "the e2e build test expects exactly this error; docker compose v5.6.1 gives it at load time (`config` too), and so does rcompose",
    ),
    ex(
        "compose-go/inline/loader/include/TestLoadWithMultipleIncludeConflict.yaml",
        "Semantic",
        "services.bar conflicts with imported resource",
        Divergence,
        "compose-go HEAD (and docker compose 5.x) let the including file override an included service; docker compose 2.x rejects it, and fixture 102-include-conflict-error pins the 2.x error: a decision for the lead",
    ),
    ex(
        "compose-go/inline/loader/loader/TestLoadWithInterpolationCastFull.yaml",
        "Semantic",
        "networks.front: conflicting parameters \"external\" and \"internal\"",
        Divergence,
        "compose-go runs checkExternal before interpolation, where `external: $thebool` is not `true`, so it misses the conflict; written as `external: true` compose-go rejects it too",
    ),
];

/// Options a compose-go test loaded with, by case id prefix (longest match wins).
#[derive(Debug, Clone, Copy, Default)]
struct Opts {
    /// `SkipConsistencyCheck` (or a test of a function that runs no consistency check at all).
    no_consistency: bool,
    /// `SkipNormalization`.
    no_normalize: bool,
    /// `env_file` is not read (a raw-map merge never resolves it).
    no_env_resolution: bool,
}

const SKIP_CONSISTENCY: Opts = Opts {
    no_consistency: true,
    no_normalize: false,
    no_env_resolution: false,
};
const SKIP_BOTH: Opts = Opts {
    no_consistency: true,
    no_normalize: true,
    no_env_resolution: false,
};
const RAW_MERGE: Opts = Opts {
    no_consistency: true,
    no_normalize: false,
    no_env_resolution: true,
};

/// (case id or prefix, options, evidence).
const LOAD_OPTIONS: &[(&str, Opts, &str)] = &[
    (
        "compose-go/merge-cases/",
        RAW_MERGE,
        "override/*_test.go assertMergeYaml/assertUnicity merge raw YAML maps: no consistency check, env files never read",
    ),
    (
        "compose-go/inline/loader/tests/",
        SKIP_BOTH,
        "loader/tests' load(t, ...) helpers run with SkipNormalization + SkipConsistencyCheck (INDEX.md)",
    ),
    (
        "compose-go/inline/loader/reset/",
        SKIP_BOTH,
        "reset_test.go loadResetYAML: SkipNormalization + SkipConsistencyCheck",
    ),
    (
        "compose-go/inline/loader/loader_yaml/",
        SKIP_BOTH,
        "loader_yaml_test.go calls loadYamlModel: the raw merged model, before normalization and consistency checks",
    ),
    (
        "compose-go/inline/loader/normalize/",
        SKIP_CONSISTENCY,
        "normalize_test.go calls Normalize on the parsed model (input, then the expected output); no consistency check runs",
    ),
    (
        "compose-go/inline/transform/",
        SKIP_CONSISTENCY,
        "defaults_test.go calls transform.SetDefaultValues on raw maps (input, then expected); no loader, no consistency check",
    ),
    (
        "compose-go/inline/loader/loader/TestLoadLegacyBoolean.yaml",
        SKIP_BOTH,
        "loader_test.go loadYAML: SkipConsistencyCheck + SkipNormalization",
    ),
    (
        "compose-go/inline/loader/loader/TestLoadWithLabelFile.yaml",
        SKIP_CONSISTENCY,
        "its services have neither image nor build, which compose-go's checkConsistency rejects, yet the test asserts NilError: it loads with SkipConsistencyCheck (loadYAML)",
    ),
    (
        "compose-go/inline/loader/loader/TestLoadWithDependsOn.yaml",
        SKIP_BOTH,
        "loader_test.go loadYAML: SkipConsistencyCheck + SkipNormalization",
    ),
    (
        "compose-go/inline/loader/extends/TestLoadExtendsSameFile.yaml",
        SKIP_BOTH,
        "extends_test.go: SkipNormalization + SkipConsistencyCheck, project name \"project\"",
    ),
    (
        "compose-go/inline/loader/extends/TestLoadExtendsListenerMultipleFiles.yaml",
        SKIP_BOTH,
        "extends_test.go: SkipNormalization + SkipConsistencyCheck, project name \"project\"",
    ),
];

/// Extra interpolation variables a test supplied that the manifest does not record:
/// (case id, variables, evidence).
/// Variable names and values.
type Vars = &'static [(&'static str, &'static str)];

const EXTRA_ENV: &[(&str, Vars, &str)] = &[(
    "compose-go/inline/loader/loader/TestLoadWithInterpolationCastFull.yaml",
    &[
        ("theint", "555"),
        ("thefloat", "3.14"),
        ("thebool", "true"),
        ("thesize", "2gb"),
        ("theduration", "60s"),
    ],
    "loader_test.go TestLoadWithInterpolationCastFull: the values its expected project holds (555, 3.14, true, 2 GiB, 60s)",
)];

/// Documents of one test that the test loaded together.
struct Group {
    /// The corpus files (`source/path`), in the order the test gave them, each with the name the
    /// test wrote it under in its temporary directory ("" = loaded in place).
    docs: &'static [(&'static str, &'static str)],
    /// With a temporary layout: the names passed as `-f`, in order (empty = every doc in order).
    load: &'static [&'static str],
    /// Files the test wrote from literals of its own that the corpus does not carry: (name in the
    /// temporary directory, content).
    literal: &'static [(&'static str, &'static str)],
    /// A project name the test set (`SetProjectName`), if any.
    project_name: Option<&'static str>,
    /// For `pair`: `<stem>.yaml` and `<stem>_2.yaml`, loaded in place, in that order.
    stem: &'static str,
    /// What the source test does.
    evidence: &'static str,
}

const GROUPS: &[Group] = &[
    // override_test.go: LoadWithContext with ConfigFiles {base, override}.
    pair("compose-go/inline/loader/override/TestOverrideNetworks"),
    pair("compose-go/inline/loader/override/TestOverrideBuildContext"),
    pair("compose-go/inline/loader/override/TestOverrideDepends_on"),
    pair("compose-go/inline/loader/override/TestOverridePartial"),
    pair("compose-go/inline/loader/override/TestOverrideVolume"),
    Group {
        docs: &[
            ("compose-go/inline/loader/override/TestOverrideMiddle.yaml", "base.yaml"),
            ("compose-go/inline/loader/override/TestOverrideMiddle_2.yaml", "override.yaml"),
            ("compose-go/inline/loader/override/TestOverrideMiddle_3.yaml", "compose.yaml"),
        ],
        load: &["compose.yaml"],
        literal: &[],
        project_name: None,
        stem: "",
        evidence: "override_test.go TestOverrideMiddle: base.yaml and override.yaml written beside compose.yaml, which extends them",
    },
    // reset_test.go / merge_reset_test.go: loadResetYAML(base, override).
    pair("compose-go/inline/loader/reset/TestResetRemove"),
    pair("compose-go/inline/loader/reset/TestOverrideReplace"),
    pair("compose-go/inline/loader/reset/TestResetTagWithSharedAlias"),
    pair("compose-go/inline/loader/reset/TestOverrideTagWithSharedAlias"),
    pair("compose-go/inline/loader/reset/TestNestedAliasReset"),
    pair("compose-go/inline/loader/reset/TestDirectAliasWithReset"),
    pair("compose-go/inline/loader/merge_reset/Test_LoadWithReset"),
    // loader_yaml_test.go TestParseYAMLFiles: loadYamlModel(ConfigFiles {test.yaml, override.yaml}).
    pair("compose-go/inline/loader/loader_yaml/TestParseYAMLFiles"),
    // loader_test.go TestLoadWithIncludeOverride: {compose, override}.
    pair("compose-go/inline/loader/loader/TestLoadWithIncludeOverride"),
    // override/merge_test.go Test_mergeOverrides: merge(base, override) == expected (the third).
    Group {
        docs: &[
            ("compose-go/inline/override/merge/Test_mergeOverrides.yaml", ""),
            ("compose-go/inline/override/merge/Test_mergeOverrides_2.yaml", ""),
        ],
        load: &[],
        literal: &[],
        project_name: None,
        stem: "",
        evidence: "override/merge_test.go Test_mergeOverrides: the first two documents are merged, the third is the expected result",
    },
    Group {
        docs: &[
            ("compose-go/loader/testdata/extends/ports.yaml", ""),
            ("compose-go/inline/loader/extends/TestExtendsPortOverride.yaml", ""),
        ],
        load: &[],
        literal: &[],
        project_name: None,
        stem: "",
        evidence: "extends_test.go TestExtendsPortOverride: ConfigFiles {testdata/extends/ports.yaml, the literal as \"(override)\"}",
    },
    Group {
        docs: &[
            ("compose-go/inline/loader/extends/TestLoadExtendsSameFile.yaml", "sub/compose.yaml"),
            ("compose-go/inline/loader/extends/TestLoadExtendsSameFile_2.yaml", "compose.yaml"),
        ],
        load: &["compose.yaml"],
        literal: &[],
        project_name: Some("project"),
        stem: "",
        evidence: "extends_test.go TestLoadExtendsSameFile: writes sub/compose.yaml and compose.yaml in a temp dir, loads compose.yaml",
    },
    Group {
        docs: &[
            ("compose-go/inline/loader/extends/TestLoadExtendsListenerMultipleFiles.yaml", "sub/compose.yaml"),
            ("compose-go/inline/loader/extends/TestLoadExtendsListenerMultipleFiles_2.yaml", "compose.yaml"),
        ],
        load: &["compose.yaml"],
        literal: &[],
        project_name: Some("project"),
        stem: "",
        evidence: "extends_test.go TestLoadExtendsListenerMultipleFiles: sub/compose.yaml and compose.yaml in a temp dir",
    },
    Group {
        docs: &[
            ("compose-go/inline/loader/loader/TestLoadExtendsMultipleFiles.yaml", "a/compose.yaml"),
            ("compose-go/inline/loader/loader/TestLoadExtendsMultipleFiles_2.yaml", "b/compose.yaml"),
            ("compose-go/inline/loader/loader/TestLoadExtendsMultipleFiles_3.yaml", "compose.yaml"),
        ],
        load: &["compose.yaml"],
        literal: &[],
        project_name: Some("project"),
        stem: "",
        evidence: "loader_test.go TestLoadExtendsMultipleFiles: a/compose.yaml, b/compose.yaml and compose.yaml in a temp dir",
    },
    Group {
        docs: &[
            ("compose-go/inline/loader/include/TestNestedIncludeAndExtends.yaml", "compose.yml"),
            ("compose-go/inline/loader/include/TestNestedIncludeAndExtends_2.yaml", "dir/included.yaml"),
            ("compose-go/inline/loader/include/TestNestedIncludeAndExtends_3.yaml", "dir/extended.yaml"),
        ],
        load: &["compose.yml"],
        literal: &[],
        project_name: Some("project"),
        stem: "",
        evidence: "include_test.go TestNestedIncludeAndExtends: compose.yml, dir/included.yaml, dir/extended.yaml in a temp dir",
    },
    Group {
        docs: &[
            ("compose-go/inline/loader/include/TestLoadWithIncludeEnv.yaml", "compose.yml"),
            ("compose-go/inline/loader/include/TestLoadWithIncludeEnv_2.yaml", "module/compose.yml"),
        ],
        load: &["compose.yml"],
        literal: &[("custom.env", "VAR_NAME=value")],
        project_name: Some("project"),
        stem: "",
        evidence: "include_test.go TestLoadWithIncludeEnv: compose.yml, module/compose.yml and custom.env (VAR_NAME=value) in a temp dir",
    },
];

/// A base document and its `_2` override, loaded together in place.
const fn pair(stem: &'static str) -> Group {
    Group {
        docs: &[],
        load: &[],
        literal: &[],
        project_name: None,
        stem,
        evidence:
            "the test loads the base document and its override (`_2`) together, in that order",
    }
}

use support::COMPOSE_KINDS as KINDS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group3 {
    /// Loads with docker compose (or only fails at build / run time).
    Valid,
    /// docker compose's `config` rejects it.
    Invalid,
    /// No expectation, or one that needs a context this harness does not give (a profile, ...).
    Unlabelled,
}

fn group_of(expectation: Option<&str>) -> Group3 {
    match expectation {
        Some("valid" | "valid-runtime-failure" | "invalid-at-build") => Group3::Valid,
        // Loading resolves env_file like `docker compose config`, so a missing one fails.
        Some(
            "invalid"
            | "invalid-by-name"
            | "invalid-when-env-resolved"
            | "invalid (docker compose 5.3.1 config exit 1)",
        ) => Group3::Invalid,
        // "invalid-with-profile" needs --profile; "diagnostics(compose-lens)" are another tool's
        // lint findings; "unknown" and "depends-on-options" carry no verdict.
        _ => Group3::Unlabelled,
    }
}

#[derive(Debug, Clone)]
enum Outcome {
    Ok,
    Err { class: String, message: String },
    Panic(String),
    Hang,
}

impl Outcome {
    fn class(&self) -> String {
        match self {
            Outcome::Ok => "ok".into(),
            Outcome::Err { class, .. } => class.clone(),
            Outcome::Panic(_) => "PANIC".into(),
            Outcome::Hang => "HANG".into(),
        }
    }
}

/// One load: a file alone, or a group.
struct Entry {
    id: String,
    /// The manifest files this load stands for (those of the walked kinds).
    members: Vec<String>,
    kind: String,
    group: Group3,
    expected_error: Option<String>,
    outcome: Outcome,
}

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic payload)".to_string()
    }
}

/// Loads in its own thread (named after the case, so even a stack overflow says which).
fn load_with(name: &str, opts: LoadOptions) -> Outcome {
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let r = catch_unwind(AssertUnwindSafe(|| match loader::load(&opts) {
                Ok(_) => Outcome::Ok,
                Err(e) => Outcome::Err {
                    class: format!("{:?}", e.kind),
                    message: e.to_string(),
                },
            }));
            let outcome = r.unwrap_or_else(|p| Outcome::Panic(panic_message(p.as_ref())));
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        return Outcome::Panic(format!("cannot spawn a thread: {e}"));
    }
    rx.recv_timeout(TIME_LIMIT).unwrap_or(Outcome::Hang)
}

fn manifest() -> (PathBuf, Vec<Json>) {
    let dir = support::corpus_dir();
    let text = match std::fs::read_to_string(dir.join("MANIFEST.json")) {
        Ok(t) => t,
        Err(e) => panic!("cannot read MANIFEST.json: {e}"),
    };
    let json: Json = match serde_json::from_str(&text) {
        Ok(j) => j,
        Err(e) => panic!("MANIFEST.json is not JSON: {e}"),
    };
    let files = json
        .get("files")
        .and_then(Json::as_array)
        .cloned()
        .unwrap_or_default();
    assert!(!files.is_empty(), "MANIFEST.json lists no files");
    (dir, files)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// The directory a compose-go test ran in: `compose-go/inline/<pkg...>/<file>/<Test>.yaml` was
/// extracted from `<pkg...>/<file>_test.go`, and `go test` runs in the package directory.
fn go_package_dir(dir: &Path, id: &str) -> Option<PathBuf> {
    let rest = id.strip_prefix("compose-go/inline/")?;
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.len() < 3 {
        return None;
    }
    Some(
        dir.join("compose-go")
            .join(parts[..parts.len() - 2].join("/")),
    )
}

fn options_for(id: &str) -> Opts {
    LOAD_OPTIONS
        .iter()
        .filter(|(p, _, _)| id.starts_with(p))
        .max_by_key(|(p, _, _)| p.len())
        .map(|(_, o, _)| *o)
        .unwrap_or_default()
}

/// A record's interpolation variables.
fn record_env(r: &Json) -> IndexMap<String, String> {
    r.get("env")
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = v.as_str().map(str::to_string).unwrap_or(v.to_string());
                    (k.clone(), v)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One planned load.
struct Plan {
    id: String,
    members: Vec<String>,
    files: Vec<PathBuf>,
    project_dir: Option<PathBuf>,
    project_name: Option<String>,
    env: IndexMap<String, String>,
    /// Keeps a temporary layout alive until the load is done.
    _tmp: Option<tempfile::TempDir>,
}

/// compose-go's `merge-cases/override/<file>/<Test>/{base,override}.yaml` are the two inputs of one
/// `assertMergeYaml`: loaded together, base first.
fn merge_case_groups(dir: &Path, ids: &BTreeSet<String>) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for id in ids {
        if let Some(prefix) = id
            .strip_prefix("compose-go/merge-cases/")
            .and_then(|_| id.strip_suffix("/base.yaml"))
        {
            let over = format!("{prefix}/override.yaml");
            if ids.contains(&over) && dir.join(&over).is_file() {
                out.push(vec![id.clone(), over]);
            }
        }
    }
    out
}

fn plan_cases(dir: &Path, records: &BTreeMap<String, Json>) -> Vec<Plan> {
    let ids: BTreeSet<String> = records.keys().cloned().collect();
    let mut grouped: HashMap<String, usize> = HashMap::new();
    let mut plans = Vec::new();
    let env_of = |members: &[String], case_id: &str| {
        let mut env = IndexMap::new();
        for m in members {
            if let Some(r) = records.get(m) {
                env.extend(record_env(r));
            }
        }
        for (id, vars, _) in EXTRA_ENV {
            if *id == case_id {
                env.extend(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            }
        }
        env
    };

    for g in GROUPS {
        let stem_docs: Vec<(String, &str)> = if g.docs.is_empty() {
            vec![
                (format!("{}.yaml", g.stem), ""),
                (format!("{}_2.yaml", g.stem), ""),
            ]
        } else {
            g.docs.iter().map(|(id, n)| (id.to_string(), *n)).collect()
        };
        let docs = &stem_docs;
        // The files this load stands for: those marked valid (a companion without a label, such
        // as a testdata file the test loads first, is still walked alone too).
        let expectation = |id: &str| {
            group_of(
                records
                    .get(id)
                    .and_then(|r| r.get("expectation"))
                    .and_then(Json::as_str),
            )
        };
        let members: Vec<String> = docs
            .iter()
            .map(|(id, _)| id.to_string())
            .filter(|id| records.contains_key(id) && expectation(id) == Group3::Valid)
            .collect();
        assert!(
            !members.is_empty(),
            "group {} has no file marked valid",
            docs[0].0
        );
        let first = members[0].clone();
        for m in &members {
            let before = grouped.insert(m.clone(), plans.len());
            assert!(before.is_none(), "{m} is in two groups");
        }
        let laid_out = docs.iter().any(|(_, name)| !name.is_empty());
        let (files, project_dir, tmp) = if laid_out {
            let tmp = match tempfile::tempdir() {
                Ok(t) => t,
                Err(e) => panic!("cannot create a temp dir: {e}"),
            };
            let corpus_docs = docs.iter().map(|(id, name)| {
                let text = std::fs::read_to_string(dir.join(id))
                    .unwrap_or_else(|e| panic!("cannot read {id}: {e}"));
                (*name, text)
            });
            let literals = g.literal.iter().map(|(n, t)| (*n, t.to_string()));
            for (name, text) in corpus_docs.chain(literals) {
                let to = tmp.path().join(name);
                if let Some(parent) = to.parent() {
                    std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
                }
                std::fs::write(&to, text).unwrap_or_else(|e| panic!("{e}"));
            }
            let names: Vec<&str> = if g.load.is_empty() {
                docs.iter().map(|(_, n)| *n).collect()
            } else {
                g.load.to_vec()
            };
            let files = names.iter().map(|n| tmp.path().join(n)).collect();
            (files, Some(tmp.path().to_path_buf()), Some(tmp))
        } else {
            let files = docs.iter().map(|(id, _)| dir.join(id)).collect();
            (files, go_package_dir(dir, &first), None)
        };
        plans.push(Plan {
            env: env_of(&members, &first),
            id: first,
            members,
            files,
            project_dir,
            project_name: g.project_name.map(str::to_string),
            _tmp: tmp,
        });
    }
    for pair in merge_case_groups(dir, &ids) {
        if pair.iter().any(|m| grouped.contains_key(m)) {
            continue;
        }
        for m in &pair {
            grouped.insert(m.clone(), plans.len());
        }
        plans.push(Plan {
            env: env_of(&pair, &pair[0]),
            id: pair[0].clone(),
            files: pair.iter().map(|m| dir.join(m)).collect(),
            project_dir: None,
            project_name: None,
            members: pair,
            _tmp: None,
        });
    }
    for id in &ids {
        if grouped.contains_key(id) {
            continue;
        }
        let members = vec![id.clone()];
        plans.push(Plan {
            env: env_of(&members, id),
            id: id.clone(),
            files: vec![dir.join(id)],
            project_dir: go_package_dir(dir, id),
            project_name: None,
            members,
            _tmp: None,
        });
    }
    plans
}

fn run_plan(p: &Plan) -> Outcome {
    let mut opts = LoadOptions::with_files(p.files.iter().cloned());
    opts.environment = p.env.clone();
    opts.working_dir = p.files[0].parent().map(Path::to_path_buf);
    opts.project_directory = p.project_dir.clone();
    opts.project_name = p.project_name.clone();
    let o = options_for(&p.id);
    opts.no_consistency = o.no_consistency;
    opts.no_normalize = o.no_normalize;
    opts.no_env_resolution = o.no_env_resolution;
    load_with(&p.id, opts)
}

/// Whether an outcome is the failure an exclusion states.
fn matches_exclusion(outcome: &Outcome, x: &Exclusion) -> bool {
    match outcome {
        Outcome::Err { class, message } => class == x.class && message.contains(x.needle),
        _ => false,
    }
}

#[test]
fn every_corpus_document_loads_or_fails_cleanly() {
    let (dir, records) = manifest();
    let mut by_id: BTreeMap<String, Json> = BTreeMap::new();
    for r in &records {
        let field = |k: &str| r.get(k).and_then(Json::as_str);
        let (Some(source), Some(path), Some(kind)) =
            (field("source"), field("path"), field("kind"))
        else {
            continue;
        };
        if KINDS.contains(&kind) {
            by_id.insert(format!("{source}/{path}"), r.clone());
        }
    }
    let plans = plan_cases(&dir, &by_id);

    let started = Instant::now();
    let mut entries = Vec::new();
    for p in &plans {
        let outcome = run_plan(p);
        let rec = by_id.get(&p.id).or_else(|| by_id.get(&p.members[0]));
        let field = |k: &str| rec.and_then(|r| r.get(k)).and_then(Json::as_str);
        // A group is as valid as its members: all of them must agree.
        let groups: BTreeSet<Group3> = p
            .members
            .iter()
            .map(|m| {
                group_of(
                    by_id
                        .get(m)
                        .and_then(|r| r.get("expectation"))
                        .and_then(Json::as_str),
                )
            })
            .collect();
        assert!(
            groups.len() <= 1,
            "the members of {} carry different expectations: {groups:?}",
            p.id
        );
        entries.push(Entry {
            id: p.id.clone(),
            members: p.members.clone(),
            kind: field("kind").unwrap_or("").to_string(),
            group: groups.into_iter().next().unwrap_or(Group3::Unlabelled),
            expected_error: field("error").map(str::to_string),
            outcome,
        });
    }
    let elapsed = started.elapsed();

    // Summary table: group x outcome class, counted in files.
    let classes = [
        "ok",
        "Io",
        "Syntax",
        "Schema",
        "Interpolation",
        "Semantic",
        "Usage",
        "PANIC",
        "HANG",
    ];
    let mut table: BTreeMap<(Group3, String), usize> = BTreeMap::new();
    let mut by_kind: BTreeMap<(String, String), usize> = BTreeMap::new();
    for e in &entries {
        *table.entry((e.group, e.outcome.class())).or_default() += e.members.len();
        *by_kind
            .entry((e.kind.clone(), e.outcome.class()))
            .or_default() += e.members.len();
    }
    println!(
        "\ncorpus walk: {} files in {} loads, {:.1} s\n",
        entries.iter().map(|e| e.members.len()).sum::<usize>(),
        entries.len(),
        elapsed.as_secs_f64()
    );
    let header: Vec<String> = classes
        .iter()
        .map(|c| format!("{:>8}", if *c == "Interpolation" { "Interp" } else { c }))
        .collect();
    println!("{:<26} {:>6} {}", "group", "files", header.join(" "));
    let mut rows: Vec<(String, Vec<usize>)> = Vec::new();
    for g in [Group3::Valid, Group3::Invalid, Group3::Unlabelled] {
        let counts: Vec<usize> = classes
            .iter()
            .map(|c| table.get(&(g, c.to_string())).copied().unwrap_or(0))
            .collect();
        rows.push((format!("{g:?}"), counts));
    }
    for kind in KINDS {
        let counts: Vec<usize> = classes
            .iter()
            .map(|c| {
                by_kind
                    .get(&(kind.to_string(), c.to_string()))
                    .copied()
                    .unwrap_or(0)
            })
            .collect();
        rows.push((format!("kind {kind}"), counts));
    }
    for (name, counts) in &rows {
        let total: usize = counts.iter().sum();
        let cells: Vec<String> = counts.iter().map(|n| format!("{n:>8}")).collect();
        println!("{name:<26} {total:>6} {}", cells.join(" "));
    }

    // Details that help whoever works on the loader.
    println!("\nfiles marked valid that fail:");
    for e in entries.iter().filter(|e| e.group == Group3::Valid) {
        if let Outcome::Err { class, message } = &e.outcome {
            let excluded = VALID_EXCLUSIONS.iter().any(|x| x.id == e.id);
            let tag = if excluded { "excluded" } else { "FAILS" };
            println!("  {tag} {} [{class}] {}", e.id, first_line(message));
        }
    }
    println!("\nfiles marked invalid (expected error | our error):");
    for e in entries.iter().filter(|e| e.group == Group3::Invalid) {
        let ours = match &e.outcome {
            Outcome::Err { message, .. } => first_line(message).to_string(),
            other => other.class(),
        };
        println!(
            "  {} | {} | {}",
            e.id,
            e.expected_error.as_deref().unwrap_or(""),
            ours
        );
    }

    println!("\nloaded together (as their tests do):");
    for g in GROUPS {
        let what = if g.docs.is_empty() {
            g.stem
        } else {
            g.docs[0].0
        };
        println!("  {what}: {}", g.evidence);
    }

    println!("\nknown exclusions (marked invalid, expected to load here):");
    for (id, reason) in INVALID_EXCLUSIONS {
        println!("  {id}: {reason}");
    }

    // 1. Never a panic, never a hang.
    let broken: Vec<String> = entries
        .iter()
        .filter_map(|e| match &e.outcome {
            Outcome::Panic(m) => Some(format!("{}: panicked: {m}", e.id)),
            Outcome::Hang => Some(format!("{}: no answer within {TIME_LIMIT:?}", e.id)),
            _ => None,
        })
        .collect();
    assert!(
        broken.is_empty(),
        "the loader panicked or hung on {} corpus files:\n{}",
        broken.len(),
        broken.join("\n")
    );

    // 2. Files marked invalid fail, unless excluded for a stated reason.
    for (id, _) in INVALID_EXCLUSIONS {
        assert!(
            entries
                .iter()
                .any(|e| e.id == *id && e.group == Group3::Invalid),
            "stale exclusion: {id} is not a file marked invalid in the manifest"
        );
    }
    let wrongly_loaded: Vec<&str> = entries
        .iter()
        .filter(|e| e.group == Group3::Invalid && matches!(e.outcome, Outcome::Ok))
        .filter(|e| !INVALID_EXCLUSIONS.iter().any(|(id, _)| *id == e.id))
        .map(|e| e.id.as_str())
        .collect();
    assert!(
        wrongly_loaded.is_empty(),
        "files marked invalid loaded without error:\n{}",
        wrongly_loaded.join("\n")
    );

    // 3. Every file marked valid loads, or fails exactly as its exclusion states.
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for x in VALID_EXCLUSIONS {
        assert!(seen.insert(x.id), "{} is excluded twice", x.id);
        match entries.iter().find(|e| e.id == x.id) {
            None => problems.push(format!("stale exclusion: {} is not a case here", x.id)),
            Some(e) if e.group != Group3::Valid => problems.push(format!(
                "stale exclusion: {} is not marked valid in the manifest",
                x.id
            )),
            Some(e) if !matches_exclusion(&e.outcome, x) => problems.push(format!(
                "{}: excluded as failing with [{}] \"{}\" ({}), but the outcome is [{}] {}",
                x.id,
                x.class,
                x.needle,
                x.reason,
                e.outcome.class(),
                match &e.outcome {
                    Outcome::Err { message, .. } => first_line(message).to_string(),
                    _ => String::new(),
                }
            )),
            Some(_) => {}
        }
    }
    let valid: Vec<&Entry> = entries
        .iter()
        .filter(|e| e.group == Group3::Valid)
        .collect();
    for e in &valid {
        if let Outcome::Err { class, message } = &e.outcome {
            if !VALID_EXCLUSIONS.iter().any(|x| x.id == e.id) {
                problems.push(format!(
                    "{} (marked valid) does not load: [{class}] {}",
                    e.id,
                    first_line(message)
                ));
            }
        }
    }
    let files = |es: &mut dyn Iterator<Item = &&Entry>| es.map(|e| e.members.len()).sum::<usize>();
    let total = files(&mut valid.iter());
    let ok = files(&mut valid.iter().filter(|e| matches!(e.outcome, Outcome::Ok)));
    let mut by_category: BTreeMap<Category, usize> = BTreeMap::new();
    for x in VALID_EXCLUSIONS {
        let n = entries
            .iter()
            .find(|e| e.id == x.id)
            .map_or(0, |e| e.members.len());
        *by_category.entry(x.category).or_default() += n;
    }
    println!("\nfiles marked valid: {total}; load: {ok}; excluded with a checked reason:");
    for (c, n) in &by_category {
        println!("  {c:?}: {n}");
    }
    assert!(total > 0, "the manifest marks no file valid");
    assert!(
        problems.is_empty(),
        "{} problems with files marked valid:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

fn text_at(v: &Value, path: &[&str]) -> String {
    match at(v, path) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => format!("{other:?}"),
        None => format!("<missing {}>", path.join(".")),
    }
}

#[test]
fn generated_bench_projects_load_as_intended() {
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => panic!("cannot create a temp dir: {e}"),
    };
    let (large, small) = match gen_bench_project::generate(tmp.path(), 100) {
        Ok(f) => f,
        Err(e) => panic!("cannot generate the bench projects: {e}"),
    };
    let load = |file: &Path| {
        let mut opts = LoadOptions::with_files([file]);
        opts.environment = IndexMap::new();
        opts.working_dir = file.parent().map(Path::to_path_buf);
        match loader::load(&opts) {
            Ok(l) => l,
            Err(e) => panic!("{} does not load: {e}", file.display()),
        }
    };
    let loaded = load(&large);
    let tree = &loaded.tree;
    let services = at(tree, &["services"]).and_then(Value::as_mapping);
    assert_eq!(
        services.map(|s| s.len()),
        Some(102),
        "100 generated + db + base-web"
    );

    // Anchors, merge keys and the .env: a plain service.
    assert_eq!(
        text_at(tree, &["services", "svc-0001", "image"]),
        "registry.example.com/bench/app-0001:1.4.2"
    );
    assert_eq!(
        text_at(tree, &["services", "svc-0001", "environment", "LOG_LEVEL"]),
        "info"
    );
    assert_eq!(
        text_at(
            tree,
            &["services", "svc-0001", "labels", "com.example.project"]
        ),
        "bench"
    );
    // Same-file extends: base-web's image and environment, plus the override.
    assert_eq!(
        text_at(tree, &["services", "svc-0010", "image"]),
        "registry.example.com/bench/web:latest"
    );
    assert_eq!(
        text_at(tree, &["services", "svc-0010", "environment", "ROLE"]),
        "web"
    );
    assert_eq!(
        text_at(tree, &["services", "svc-0010", "environment", "SERVICE_ID"]),
        "10"
    );
    // extends: file: the worker's image, env_file and a path relative to base/.
    assert_eq!(
        text_at(tree, &["services", "svc-0005", "image"]),
        "registry.example.com/bench/worker:1.0"
    );
    assert_eq!(
        text_at(
            tree,
            &["services", "svc-0005", "environment", "WORKER_THREADS"]
        ),
        "4"
    );
    let shared = at(tree, &["services", "svc-0005", "volumes"])
        .and_then(Value::as_sequence)
        .and_then(|v| v.first())
        .map(|v| text_at(v, &["source"]))
        .unwrap_or_default();
    let base = large
        .parent()
        .map(|d| d.join("base/shared"))
        .unwrap_or_default();
    assert_eq!(Path::new(&shared), base.as_path());

    let loaded = load(&small);
    let services = at(&loaded.tree, &["services"]).and_then(Value::as_mapping);
    assert_eq!(services.map(|s| s.len()), Some(5));
    assert_eq!(
        text_at(
            &loaded.tree,
            &["services", "worker", "environment", "C_FORCE_ROOT"]
        ),
        "false"
    );
}
