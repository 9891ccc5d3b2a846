//! Compose applications as OCI artifacts, as docker compose v5 publishes and loads them:
//! `publish REPOSITORY[:TAG]` pushes the project's compose files as the layers of an OCI image
//! manifest, and `-f oci://REF` pulls such an artifact into a cache directory whose
//! `compose.yaml` the loader then reads like any local file (so the loader stays free of the
//! network; [`fetch_remote`] runs before it).
//!
//! The artifact (v5's `internal/oci`): one layer per compose file, media type
//! `application/vnd.docker.compose.file+yaml`, annotated with `com.docker.compose.file` (the file's
//! base name) and `com.docker.compose.version`; env files (`--with-env`) are
//! `application/vnd.docker.compose.envfile` layers. OCI 1.1 (the default, and v5's first try):
//! `artifactType: application/vnd.docker.compose.project` and the empty-JSON config; OCI 1.0 (or a
//! registry refusing 1.1 with a 4xx other than an authentication one): no artifact type and the
//! config media type `application/vnd.docker.compose.config.empty.v1+json`. Descriptors carry
//! their content inline (`data`), as v5's do.
//!
//! Before anything is pushed, v5's checks: a service with a `build` section and no `image` is
//! refused; bind mounts, `env_file`s and literal values of sensitive-looking environment keys
//! (unless `--with-env`), and configs with inline content each ask for a confirmation through the
//! caller's `confirm` (`-y` answers yes); a "no" cancels.
//!
//! Owns the artifact's shape and the checks; the HTTP is `engine::registry`. Must not import
//! `cli`, print, or read the process environment (the caller gives directories and answers).

use std::path::{Path, PathBuf};

use crate::engine::auth;
pub use crate::engine::registry::RegistryError;
use crate::engine::registry::{sha256_digest, Reference, Registry};
use crate::model::Project;

/// The artifact type of a Compose application (OCI 1.1).
pub const ARTIFACT_TYPE: &str = "application/vnd.docker.compose.project";
/// A compose file layer.
pub const COMPOSE_FILE_MEDIA_TYPE: &str = "application/vnd.docker.compose.file+yaml";
/// An env file layer.
pub const ENV_FILE_MEDIA_TYPE: &str = "application/vnd.docker.compose.envfile";
/// The config of an OCI 1.0 artifact (content `{}`).
pub const EMPTY_CONFIG_MEDIA_TYPE: &str = "application/vnd.docker.compose.config.empty.v1+json";
/// OCI's empty descriptor (content `{}`), the config of an OCI 1.1 artifact.
pub const OCI_EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
pub const OCI_MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

/// `--oci-version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OciVersion {
    V1_0,
    V1_1,
}

impl std::str::FromStr for OciVersion {
    type Err = PublishError;
    fn from_str(s: &str) -> Result<Self, PublishError> {
        match s {
            "1.0" => Ok(OciVersion::V1_0),
            "1.1" => Ok(OciVersion::V1_1),
            other => Err(PublishError::Refused(format!(
                "unsupported OCI version: {other} (use 1.0 or 1.1)"
            ))),
        }
    }
}

/// What went wrong publishing or fetching an application.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A check refused the project (the message says which services and what to do).
    #[error("{0}")]
    Refused(String),
    /// A confirmation was answered "no".
    #[error("publish canceled")]
    Canceled,
    /// The reference names something that is not a Compose application.
    #[error("{reference} is not a compose project OCI artifact, but {found}")]
    NotArtifact { reference: String, found: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> PublishError + '_ {
    move |source| PublishError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where registries and credentials are found.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Registry hosts reached over plain HTTP (`--insecure-registry`); loopback hosts always are.
    pub insecure: Vec<String>,
    /// The docker config directory (`DOCKER_CONFIG`, else `~/.docker`), for `auths`.
    pub docker_config_dir: Option<PathBuf>,
}

impl RegistryOptions {
    fn client(&self, r: &Reference) -> Registry {
        let creds = auth::for_image(
            &format!("{}/{}", r.domain, r.path),
            self.docker_config_dir.as_deref(),
        );
        Registry::new(r, &self.insecure, creds)
    }
}

/// `publish`'s options.
#[derive(Debug, Clone)]
pub struct PublishOptions {
    /// `REPOSITORY[:TAG]`.
    pub repository: String,
    /// `--oci-version` (`None`: 1.1, falling back to 1.0 when the registry refuses it).
    pub oci_version: Option<OciVersion>,
    /// `--with-env`: env declarations need no confirmation, env files are published too.
    pub with_env: bool,
    /// `-y`: every confirmation is answered yes.
    pub yes: bool,
    /// `--dry-run`: check and build the artifact, push nothing.
    pub dry_run: bool,
    /// `--resolve-image-digests`: an `image-digests.yaml` layer pins each service's image to the
    /// digest its registry has for it now.
    pub resolve_image_digests: bool,
    /// `--app`: the services' images are copied into the repository too, and an image index
    /// whose `subject` is the compose manifest lists them (implies `resolve_image_digests`).
    pub app: bool,
    /// The value of the `com.docker.compose.version` annotations.
    pub compose_version: String,
    pub registry: RegistryOptions,
}

/// One layer of the artifact.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub media_type: String,
    pub annotations: Vec<(String, String)>,
    pub data: Vec<u8>,
}

/// What `publish` did.
#[derive(Debug, Clone)]
pub struct Published {
    /// The reference, in full (`docker.io/library/app:latest`).
    pub reference: String,
    /// The manifest's digest (`None` on a dry run).
    pub digest: Option<String>,
    pub oci_version: OciVersion,
    pub layers: Vec<Layer>,
}

/// The checks v5 runs before publishing; `confirm(message)` is asked for each finding that needs a
/// "yes" (the message ends with the question).
pub fn pre_checks(
    project: &Project,
    opts: &PublishOptions,
    confirm: &mut dyn FnMut(&str) -> bool,
) -> Result<(), PublishError> {
    let mut ask = |message: String| -> Result<(), PublishError> {
        if opts.yes || confirm(&message) {
            Ok(())
        } else {
            Err(PublishError::Canceled)
        }
    };
    let all = project
        .services
        .iter()
        .chain(project.disabled_services.iter());
    let build_only: Vec<&String> = all
        .clone()
        .filter(|(_, s)| s.build.is_some() && s.image.as_deref().is_none_or(str::is_empty))
        .map(|(n, _)| n)
        .collect();
    if !build_only.is_empty() {
        let mut m = String::from(
            "your Compose stack cannot be published as it only contains a build section for service(s):\n",
        );
        for n in build_only {
            m.push_str(&format!("- {n:?}\n"));
        }
        m.push_str("give each of them an `image:` (the name their image is pushed under)");
        return Err(PublishError::Refused(m));
    }
    check_includes(&project.compose_files)?;
    let mut binds = String::new();
    let mut names: Vec<&String> = all.clone().map(|(n, _)| n).collect();
    names.sort();
    for name in &names {
        let s = project
            .services
            .get(*name)
            .or_else(|| project.disabled_services.get(*name));
        let Some(s) = s else { continue };
        let mounts: Vec<String> = s
            .volumes
            .iter()
            .filter(|v| v.kind == "bind")
            .map(|v| {
                format!(
                    "{}:{}:{}",
                    v.source.as_deref().unwrap_or(""),
                    v.target.as_deref().unwrap_or(""),
                    if v.read_only { "ro" } else { "rw" }
                )
            })
            .collect();
        if !mounts.is_empty() {
            binds.push_str(name);
            for m in mounts {
                binds.push_str(&m);
                binds.push('\n');
            }
        }
    }
    if !binds.is_empty() {
        ask(format!(
            "you are about to publish bind mounts declaration within your OCI artifact.\n\
             only the bind mount declarations will be added to the OCI artifact (not content)\n\
             please double check that you are not mounting potential user's sensitive directories or data\n\
             {binds}Are you ok to publish these bind mount declarations?"
        ))?;
    }
    let findings = env_findings(&project.compose_files)?;
    if !opts.with_env && !findings.services.is_empty() {
        let mut m = String::from(
            "you are about to publish env-related declarations within your OCI artifact.\n\
             env_file paths and literal values for sensitive-looking keys are embedded as-is in the published YAML;\n\
             interpolated values like \"${VAR}\" are kept symbolic and have already been excluded.\n",
        );
        for (name, (env_file, keys)) in &findings.services {
            if *env_file {
                m.push_str(&format!("  {name:?}: env_file declared\n"));
            }
            if !keys.is_empty() {
                let quoted: Vec<String> = keys.iter().map(|k| format!("{k:?}")).collect();
                m.push_str(&format!(
                    "  {name:?}: literal value for {}\n",
                    quoted.join(", ")
                ));
            }
        }
        m.push_str(
            "Use --with-env to silence this prompt and always publish env declarations.\n\
             Are you ok to publish these env declarations?",
        );
        ask(m)?;
    }
    if !findings.configs.is_empty() {
        let mut m = String::from(
            "you are about to publish literal inline config content within your OCI artifact.\n",
        );
        for c in &findings.configs {
            m.push_str(&format!("  config {c:?}\n"));
        }
        m.push_str("Are you ok to publish these config contents?");
        ask(m)?;
    }
    Ok(())
}

/// Env-related declarations found in the compose files as written (before interpolation).
#[derive(Debug, Default)]
struct EnvFindings {
    /// service -> (declares an `env_file`, sensitive-looking keys with a literal value).
    services: std::collections::BTreeMap<String, (bool, std::collections::BTreeSet<String>)>,
    /// Configs with inline content.
    configs: std::collections::BTreeSet<String>,
}

/// Whether an environment key looks like it holds a secret.
fn sensitive_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "api_key",
        "access_key",
        "private_key",
        "credential",
        "auth",
    ]
    .iter()
    .any(|w| k.contains(w))
}

fn env_findings(files: &[PathBuf]) -> Result<EnvFindings, PublishError> {
    use serde::Deserialize as _;
    use serde_yaml::Value;
    let mut out = EnvFindings::default();
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let Ok(v) = Value::deserialize(doc) else {
                continue;
            };
            if let Some(services) = v.get("services").and_then(Value::as_mapping) {
                for (name, svc) in services {
                    let Some(name) = name.as_str() else { continue };
                    let env_file = svc.get("env_file").is_some_and(|e| match e {
                        Value::String(s) => !s.is_empty(),
                        Value::Sequence(s) => !s.is_empty(),
                        Value::Mapping(m) => !m.is_empty(),
                        _ => false,
                    });
                    let mut keys = std::collections::BTreeSet::new();
                    let literal = |v: &str| !v.is_empty() && !v.replace("$$", "").contains('$');
                    match svc.get("environment") {
                        Some(Value::Mapping(m)) => {
                            for (k, v) in m {
                                let (Some(k), Some(v)) = (k.as_str(), scalar_text(v)) else {
                                    continue;
                                };
                                if sensitive_key(k) && literal(&v) {
                                    keys.insert(k.to_string());
                                }
                            }
                        }
                        Some(Value::Sequence(items)) => {
                            for item in items {
                                if let Some((k, v)) = item.as_str().and_then(|s| s.split_once('='))
                                {
                                    if sensitive_key(k) && literal(v) {
                                        keys.insert(k.to_string());
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                    if env_file || !keys.is_empty() {
                        let e = out.services.entry(name.to_string()).or_default();
                        e.0 |= env_file;
                        e.1.extend(keys);
                    }
                }
            }
            if let Some(configs) = v.get("configs").and_then(Value::as_mapping) {
                for (name, c) in configs {
                    let inline = c.get("content").is_some() || c.get("environment").is_some();
                    if let (Some(name), true) = (name.as_str(), inline) {
                        out.configs.insert(name.to_string());
                    }
                }
            }
        }
    }
    Ok(out)
}

fn scalar_text(v: &serde_yaml::Value) -> Option<String> {
    match v {
        serde_yaml::Value::String(s) => Some(s.clone()),
        serde_yaml::Value::Number(n) => Some(n.to_string()),
        serde_yaml::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The artifact's layers: each compose file as written, in order, with its `env_file` paths
/// replaced by `<sha256 of the absolute path>.env` and its local `extends.file`s by
/// `<sha256 of the absolute path>.yaml` (as v5 does, whether or not the env files are published);
/// then each extended file (rewritten the same way, annotated `com.docker.compose.extends`), and
/// with `with_env` the env files of the compose files, named so. Relative paths are read against
/// the project directory, in extended files too, as v5 reads them.
pub fn layers(
    project: &Project,
    compose_version: &str,
    with_env: bool,
) -> Result<Vec<Layer>, PublishError> {
    let working_dir = project.working_dir.clone().unwrap_or_default();
    let version = (
        "com.docker.compose.version".to_string(),
        compose_version.to_string(),
    );
    let mut out = Vec::new();
    let mut env_files: Vec<(PathBuf, String)> = Vec::new();
    let mut extended: Vec<(PathBuf, String)> = Vec::new();
    let read = |file: &Path| -> Result<(Vec<u8>, Refs), PublishError> {
        let raw = std::fs::read(file).map_err(io_error(file))?;
        Ok(match String::from_utf8(raw) {
            Ok(text) => {
                let (text, refs) = rewrite_refs(&text, &working_dir);
                (text.into_bytes(), refs)
            }
            Err(e) => (e.into_bytes(), Refs::default()),
        })
    };
    let add = |list: &mut Vec<(PathBuf, String)>, found: Vec<(PathBuf, String)>| {
        for f in found {
            if !list.contains(&f) {
                list.push(f);
            }
        }
    };
    for file in &project.compose_files {
        let (data, refs) = read(file)?;
        add(&mut env_files, refs.env_files);
        add(&mut extended, refs.extends);
        let base = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push(Layer {
            media_type: COMPOSE_FILE_MEDIA_TYPE.to_string(),
            annotations: vec![("com.docker.compose.file".into(), base), version.clone()],
            data,
        });
    }
    let mut i = 0;
    while i < extended.len() {
        let (path, name) = extended[i].clone();
        i += 1;
        let (data, refs) = read(&path)?;
        // An extended file's env files are renamed but not published (as in v5).
        add(&mut extended, refs.extends);
        out.push(Layer {
            media_type: COMPOSE_FILE_MEDIA_TYPE.to_string(),
            annotations: vec![
                ("com.docker.compose.extends".into(), "true".into()),
                ("com.docker.compose.file".into(), name),
                version.clone(),
            ],
            data,
        });
    }
    if with_env {
        for (path, name) in env_files {
            // An env file that cannot be read is left out, as v5 does.
            let Ok(data) = std::fs::read(&path) else {
                continue;
            };
            out.push(Layer {
                media_type: ENV_FILE_MEDIA_TYPE.to_string(),
                annotations: vec![("com.docker.compose.envfile".into(), name), version.clone()],
                data,
            });
        }
    }
    Ok(out)
}

/// `a/./b/../c` -> `a/c`, as Go's `filepath.Clean` reads a path (no file system access).
fn clean(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// The files a compose file names that travel in the artifact under hashed names: (absolute
/// path, name in the artifact).
#[derive(Debug, Default)]
struct Refs {
    env_files: Vec<(PathBuf, String)>,
    extends: Vec<(PathBuf, String)>,
}

/// The compose file's text with each `services.*.env_file` path (string, list item, or `path:`
/// of a list item) replaced by `<sha256 of its absolute path>.env` and each `extends.file` that
/// exists locally by `<sha256 of its absolute path>.yaml`. Only the first document is read, as
/// v5's transform does; the rest of the text is kept byte for byte.
fn rewrite_refs(text: &str, working_dir: &Path) -> (String, Refs) {
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let mut refs = Refs::default();
    for (path, range) in crate::loader::locate::scalar_spans(text) {
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        let is_index = |i: &str| i.parse::<usize>().is_ok();
        let ext = match p.as_slice() {
            ["services", _, "env_file"] => "env",
            ["services", _, "env_file", i] if is_index(i) => "env",
            ["services", _, "env_file", i, "path"] if is_index(i) => "env",
            ["services", _, "extends", "file"] => "yaml",
            _ => continue,
        };
        let raw = &text[range.clone()];
        let value = raw
            .strip_prefix('"')
            .and_then(|r| r.strip_suffix('"'))
            .or_else(|| raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
            .unwrap_or(raw);
        if value.is_empty() {
            continue;
        }
        let abs = clean(&working_dir.join(value));
        // A file that is not here is a remote resource: left as it is.
        if ext == "yaml" && !abs.is_file() {
            continue;
        }
        let name = format!(
            "{}.{ext}",
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
                abs.to_string_lossy().as_bytes()
            ))
        );
        edits.push((range, name.clone()));
        if ext == "env" {
            refs.env_files.push((abs, name));
        } else {
            refs.extends.push((abs, name));
        }
    }
    let mut out = text.to_string();
    for (range, name) in edits.into_iter().rev() {
        out.replace_range(range, &name);
    }
    (out, refs)
}

/// The `image-digests.yaml` override of `--resolve-image-digests`: each service (sorted by name)
/// with its image as `REFERENCE@DIGEST`, the digest its registry gives for the tag now (an image
/// already pinned by digest is kept as written).
fn image_digests(project: &Project, registry: &RegistryOptions) -> Result<String, PublishError> {
    let mut services: Vec<(&String, &str)> = project
        .services
        .iter()
        .chain(project.disabled_services.iter())
        .filter_map(|(n, s)| s.image.as_deref().filter(|i| !i.is_empty()).map(|i| (n, i)))
        .collect();
    services.sort();
    let mut out = String::from("services:\n");
    for (name, image) in services {
        let r = Reference::parse(image)?;
        let pinned = if r.digest.is_some() {
            image.to_string()
        } else {
            let digest = registry
                .client(&r)
                .get_manifest(r.object())
                .map_err(|e| {
                    PublishError::Refused(format!(
                        "failed to resolve digest for {r} (service {name:?}): {e}"
                    ))
                })?
                .digest;
            r.with_digest(&digest).to_string()
        };
        out.push_str(&format!("  {name}:\n    image: {pinned}\n"));
    }
    Ok(out)
}

/// v5 refuses to publish a project whose compose files `include` local files.
fn check_includes(files: &[PathBuf]) -> Result<(), PublishError> {
    use serde::Deserialize as _;
    for file in files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let Some(Ok(doc)) = serde_yaml::Deserializer::from_str(&text)
            .next()
            .map(serde_yaml::Value::deserialize)
        else {
            continue;
        };
        let Some(includes) = doc.get("include").and_then(|i| i.as_sequence()) else {
            continue;
        };
        let remote = |p: &str| p.contains("://") || p.starts_with("git@");
        let local = includes.iter().any(|entry| {
            let paths: Vec<&str> = match entry {
                serde_yaml::Value::String(s) => vec![s.as_str()],
                serde_yaml::Value::Mapping(_) => match entry.get("path") {
                    Some(serde_yaml::Value::String(s)) => vec![s.as_str()],
                    Some(serde_yaml::Value::Sequence(l)) => {
                        l.iter().filter_map(|v| v.as_str()).collect()
                    }
                    _ => vec![],
                },
                _ => vec![],
            };
            paths.iter().any(|p| !remote(p))
        });
        if local {
            return Err(PublishError::Refused(format!(
                "cannot publish compose file with local includes ({}: `include` names local \
                 files; merge them into the compose files, or publish them and include them \
                 by oci:// reference)",
                file.display()
            )));
        }
    }
    Ok(())
}

/// A descriptor as Go's `v1.Descriptor` marshals (field order kept, `data` in base64).
fn descriptor(
    media_type: &str,
    data: &[u8],
    annotations: &[(String, String)],
    artifact_type: Option<&str>,
    with_data: bool,
) -> serde_json::Value {
    use base64::Engine as _;
    let mut d = serde_json::Map::new();
    d.insert("mediaType".into(), media_type.into());
    d.insert("digest".into(), sha256_digest(data).into());
    d.insert("size".into(), data.len().into());
    if !annotations.is_empty() {
        let mut sorted: Vec<&(String, String)> = annotations.iter().collect();
        sorted.sort();
        let mut a = serde_json::Map::new();
        for (k, v) in sorted {
            a.insert(k.clone(), v.clone().into());
        }
        d.insert("annotations".into(), a.into());
    }
    if with_data {
        d.insert(
            "data".into(),
            base64::engine::general_purpose::STANDARD
                .encode(data)
                .into(),
        );
    }
    if let Some(t) = artifact_type {
        d.insert("artifactType".into(), t.into());
    }
    serde_json::Value::Object(d)
}

/// The image manifest of the artifact, and its config blob's media type.
pub fn manifest(layers: &[Layer], version: OciVersion, created: &str) -> Vec<u8> {
    let (config_type, artifact) = match version {
        OciVersion::V1_0 => (EMPTY_CONFIG_MEDIA_TYPE, None),
        OciVersion::V1_1 => (OCI_EMPTY_MEDIA_TYPE, Some(ARTIFACT_TYPE)),
    };
    let mut m = serde_json::Map::new();
    m.insert("schemaVersion".into(), 2.into());
    m.insert("mediaType".into(), OCI_MANIFEST_MEDIA_TYPE.into());
    if let Some(a) = artifact {
        m.insert("artifactType".into(), a.into());
    }
    m.insert(
        "config".into(),
        descriptor(config_type, b"{}", &[], None, true),
    );
    m.insert(
        "layers".into(),
        layers
            .iter()
            .map(|l| descriptor(&l.media_type, &l.data, &l.annotations, None, true))
            .collect::<Vec<_>>()
            .into(),
    );
    m.insert(
        "annotations".into(),
        serde_json::json!({ "org.opencontainers.image.created": created }),
    );
    serde_json::to_vec(&serde_json::Value::Object(m)).unwrap_or_default()
}

/// Now, as Go's `time.Now().Format(time.RFC3339)` writes it.
fn rfc3339_now() -> String {
    let now = jiff::Zoned::now();
    if now.offset().seconds() == 0 {
        now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        now.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
    }
}

/// `publish`: checks the project, builds the artifact and (unless a dry run) pushes it.
pub fn publish(
    project: &Project,
    opts: &PublishOptions,
    confirm: &mut dyn FnMut(&str) -> bool,
) -> Result<Published, PublishError> {
    Reference::parse(&opts.repository)?;
    pre_checks(project, opts, confirm)?;
    push_artifact(project, opts)
}

/// `publish` after its checks (the caller ran [`pre_checks`]): builds the artifact and (unless a
/// dry run) pushes it.
pub fn push_artifact(project: &Project, opts: &PublishOptions) -> Result<Published, PublishError> {
    let reference = Reference::parse(&opts.repository)?;
    if reference.digest.is_some() {
        return Err(PublishError::Refused(format!(
            "{}: publish needs a tag, not a digest",
            opts.repository
        )));
    }
    let mut layers = layers(project, &opts.compose_version, opts.with_env)?;
    if opts.resolve_image_digests || opts.app {
        layers.push(Layer {
            media_type: COMPOSE_FILE_MEDIA_TYPE.to_string(),
            annotations: vec![
                (
                    "com.docker.compose.file".into(),
                    "image-digests.yaml".into(),
                ),
                (
                    "com.docker.compose.version".into(),
                    opts.compose_version.clone(),
                ),
            ],
            data: image_digests(project, &opts.registry)?.into_bytes(),
        });
    }
    let version = opts.oci_version.unwrap_or(OciVersion::V1_1);
    if opts.dry_run {
        return Ok(Published {
            reference: reference.to_string(),
            digest: None,
            oci_version: version,
            layers,
        });
    }
    let mut client = opts.registry.client(&reference);
    let created = rfc3339_now();
    if version == OciVersion::V1_1 {
        client.push_blob(b"{}")?;
    }
    for l in &layers {
        client.push_blob(&l.data)?;
    }
    let push = |client: &mut Registry, v: OciVersion| -> Result<String, RegistryError> {
        client.push_blob(b"{}")?;
        let body = manifest(&layers, v, &created);
        client.put_manifest(reference.object(), OCI_MANIFEST_MEDIA_TYPE, &body)
    };
    let (digest, version) = match push(&mut client, version) {
        Ok(d) => (d, version),
        Err(e)
            if opts.oci_version.is_none()
                && e.status()
                    .is_some_and(|s| (400..500).contains(&s) && ![401, 403, 407].contains(&s)) =>
        {
            (push(&mut client, OciVersion::V1_0)?, OciVersion::V1_0)
        }
        Err(e) => return Err(e.into()),
    };
    if opts.app {
        let manifest_size = manifest(&layers, version, &created).len();
        push_application_index(project, opts, &mut client, &digest, manifest_size, version)?;
    }
    Ok(Published {
        reference: reference.to_string(),
        digest: Some(digest),
        oci_version: version,
        layers,
    })
}

/// `--app`: copies each service's image (sorted by service name) into the artifact's
/// repository and pushes, by digest, the image index v5 pushes: the images' manifests, each
/// annotated with its source repository, and the compose manifest as its `subject`.
fn push_application_index(
    project: &Project,
    opts: &PublishOptions,
    dst: &mut Registry,
    manifest_digest: &str,
    manifest_size: usize,
    version: OciVersion,
) -> Result<(), PublishError> {
    let mut services: Vec<(&String, &crate::model::Service)> = project
        .services
        .iter()
        .chain(project.disabled_services.iter())
        .collect();
    services.sort_by(|a, b| a.0.cmp(b.0));
    let mut manifests = Vec::new();
    for (name, svc) in services {
        let image = svc
            .image
            .as_deref()
            .filter(|i| !i.is_empty())
            .ok_or_else(|| {
                PublishError::Refused(format!(
                    "publish --app requires service {name:?} to define an image"
                ))
            })?;
        let src_ref = Reference::parse(image)?;
        let mut src = opts.registry.client(&src_ref);
        let top = src.get_manifest(src_ref.object())?;
        copy_manifest(&mut src, dst, &src_ref, &top)?;
        let media = manifest_media_type(&top);
        let host = src_ref
            .domain
            .rsplit_once(':')
            .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
            .map(|(h, _)| h)
            .unwrap_or(&src_ref.domain)
            .to_string();
        let mut d = serde_json::Map::new();
        d.insert("mediaType".into(), media.into());
        d.insert("digest".into(), top.digest.clone().into());
        d.insert("size".into(), top.bytes.len().into());
        d.insert(
            "annotations".into(),
            serde_json::json!({
                format!("containerd.io/distribution.source.{host}"): src_ref.path.clone()
            }),
        );
        manifests.push(serde_json::Value::Object(d));
    }
    let mut subject = serde_json::Map::new();
    subject.insert("mediaType".into(), OCI_MANIFEST_MEDIA_TYPE.into());
    subject.insert("digest".into(), manifest_digest.into());
    subject.insert("size".into(), manifest_size.into());
    subject.insert(
        "annotations".into(),
        serde_json::json!({ "com.docker.compose.version": opts.compose_version }),
    );
    if version == OciVersion::V1_1 {
        subject.insert("artifactType".into(), ARTIFACT_TYPE.into());
    }
    let mut index = serde_json::Map::new();
    index.insert("schemaVersion".into(), 2.into());
    index.insert("mediaType".into(), OCI_INDEX_MEDIA_TYPE.into());
    index.insert("manifests".into(), manifests.into());
    index.insert("subject".into(), subject.into());
    index.insert(
        "annotations".into(),
        serde_json::json!({ "com.docker.compose.version": opts.compose_version }),
    );
    let body = serde_json::to_vec(&serde_json::Value::Object(index)).unwrap_or_default();
    dst.put_manifest(&sha256_digest(&body), OCI_INDEX_MEDIA_TYPE, &body)?;
    Ok(())
}

/// A manifest's media type: its `mediaType` field, else what the registry said.
fn manifest_media_type(m: &crate::engine::registry::Manifest) -> String {
    serde_json::from_slice::<serde_json::Value>(&m.bytes)
        .ok()
        .and_then(|v| {
            v.get("mediaType")
                .and_then(|t| t.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| m.media_type.clone())
}

/// Copies a manifest and everything it names (child manifests of an index, config and layer
/// blobs: mounted when both repositories are on one registry, else downloaded and uploaded) from
/// `src` to `dst`, stored there by digest.
fn copy_manifest(
    src: &mut Registry,
    dst: &mut Registry,
    src_ref: &Reference,
    m: &crate::engine::registry::Manifest,
) -> Result<(), PublishError> {
    let doc: serde_json::Value = serde_json::from_slice(&m.bytes).map_err(|e| {
        PublishError::Refused(format!("{src_ref}: the image manifest is not JSON ({e})"))
    })?;
    if let Some(children) = doc.get("manifests").and_then(|c| c.as_array()) {
        for child in children {
            if let Some(d) = child.get("digest").and_then(|d| d.as_str()) {
                let cm = src.get_manifest(d)?;
                copy_manifest(src, dst, src_ref, &cm)?;
            }
        }
    }
    let blobs = doc.get("config").into_iter().chain(
        doc.get("layers")
            .and_then(|l| l.as_array())
            .into_iter()
            .flatten(),
    );
    for b in blobs {
        let Some(digest) = b.get("digest").and_then(|d| d.as_str()) else {
            continue;
        };
        let mounted = dst.same_registry(src_ref) && dst.mount_blob(digest, &src_ref.path)?;
        if !mounted && !dst.has_blob(digest)? {
            let data = src.get_blob(digest)?;
            dst.push_blob(&data)?;
        }
    }
    dst.put_manifest(&m.digest, &manifest_media_type(m), &m.bytes)?;
    Ok(())
}

/// The registry host of a reference (`127.0.0.1:5000`, `docker.io`).
pub fn registry_host(reference: &str) -> Result<String, PublishError> {
    Ok(Reference::parse(reference)?.domain)
}

/// Whether a `-f` value names a published application.
pub fn is_remote(file: &str) -> bool {
    file.starts_with("oci://")
}

/// Pulls the application `oci://REF` names into `cache_root/<manifest digest hex>/` (once: a
/// cached digest is reused) and returns the path of its `compose.yaml`: the compose file layers
/// in order as one multi-document file, env files and `extends` files beside it by their
/// annotated names.
pub fn fetch_remote(
    file: &str,
    cache_root: &Path,
    registry: &RegistryOptions,
) -> Result<PathBuf, PublishError> {
    let text = file.strip_prefix("oci://").unwrap_or(file);
    let reference = Reference::parse(text)?;
    let mut client = registry.client(&reference);
    let mut top = client.get_manifest(reference.object())?;
    let local = cache_root.join(top.digest.trim_start_matches("sha256:"));
    let compose = local.join("compose.yaml");
    if compose.is_file() {
        return Ok(compose);
    }
    let not_artifact = |found: &str| PublishError::NotArtifact {
        reference: reference.to_string(),
        found: found.to_string(),
    };
    let parse = |bytes: &[u8]| -> Result<serde_json::Value, PublishError> {
        serde_json::from_slice(bytes).map_err(|e| not_artifact(&format!("unreadable JSON ({e})")))
    };
    let mut doc = parse(&top.bytes)?;
    let media = doc
        .get("mediaType")
        .and_then(|m| m.as_str())
        .unwrap_or(&top.media_type)
        .to_string();
    if media.contains("index") || media.contains("manifest.list") {
        let found = doc
            .get("manifests")
            .and_then(|m| m.as_array())
            .and_then(|ms| {
                ms.iter()
                    .find(|m| m.get("artifactType").and_then(|a| a.as_str()) == Some(ARTIFACT_TYPE))
            })
            .and_then(|m| m.get("digest").and_then(|d| d.as_str()))
            .map(str::to_string);
        let Some(digest) = found else {
            return Err(PublishError::Refused(format!(
                "OCI index {reference} doesn't refer to compose artifacts"
            )));
        };
        top = client.get_manifest(&digest)?;
        doc = parse(&top.bytes)?;
    }
    let artifact = doc
        .get("artifactType")
        .and_then(|a| a.as_str())
        .unwrap_or("");
    let config = doc
        .pointer("/config/mediaType")
        .and_then(|a| a.as_str())
        .unwrap_or("");
    if (!artifact.is_empty() && artifact != ARTIFACT_TYPE)
        || (artifact.is_empty() && config != EMPTY_CONFIG_MEDIA_TYPE)
    {
        let found = if artifact.is_empty() {
            format!("an artifact with config {config:?}")
        } else {
            artifact.to_string()
        };
        return Err(not_artifact(&found));
    }
    // Written beside the final directory, then renamed: a failure leaves no half cache.
    std::fs::create_dir_all(cache_root).map_err(io_error(cache_root))?;
    let staging = cache_root.join(format!(
        ".{}.{}",
        top.digest.trim_start_matches("sha256:"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io_error(&staging))?;
    let result = write_layers(&mut client, &doc, &staging, &reference);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&staging);
        return Err(e);
    }
    if std::fs::rename(&staging, &local).is_err() {
        // Another process cached it first.
        let _ = std::fs::remove_dir_all(&staging);
    }
    Ok(compose)
}

fn write_layers(
    client: &mut Registry,
    doc: &serde_json::Value,
    dir: &Path,
    reference: &Reference,
) -> Result<(), PublishError> {
    use std::io::Write as _;
    let compose = dir.join("compose.yaml");
    std::fs::write(&compose, b"").map_err(io_error(&compose))?;
    let layers = doc
        .get("layers")
        .and_then(|l| l.as_array())
        .cloned()
        .unwrap_or_default();
    let safe_name = |name: &str| -> Result<String, PublishError> {
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            Err(PublishError::Refused(format!(
                "{reference}: invalid OCI artifact (layer file name {name:?})"
            )))
        } else {
            Ok(name.to_string())
        }
    };
    for (i, layer) in layers.iter().enumerate() {
        let media = layer
            .get("mediaType")
            .and_then(|m| m.as_str())
            .unwrap_or("");
        let annotation = |k: &str| {
            layer
                .pointer(&format!("/annotations/{}", k.replace('/', "~1")))
                .and_then(|v| v.as_str())
        };
        let Some(digest) = layer.get("digest").and_then(|d| d.as_str()) else {
            continue;
        };
        match media {
            COMPOSE_FILE_MEDIA_TYPE => {
                let data = client.get_blob(digest)?;
                let target = if annotation("com.docker.compose.extends").is_some() {
                    dir.join(safe_name(
                        annotation("com.docker.compose.file").unwrap_or(""),
                    )?)
                } else {
                    compose.clone()
                };
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&target)
                    .map_err(io_error(&target))?;
                if i > 0 && annotation("com.docker.compose.file").is_some() {
                    f.write_all(b"\n---\n").map_err(io_error(&target))?;
                }
                f.write_all(&data).map_err(io_error(&target))?;
            }
            ENV_FILE_MEDIA_TYPE => {
                let name = annotation("com.docker.compose.envfile").ok_or_else(|| {
                    PublishError::Refused(format!(
                        "{reference}: missing annotation com.docker.compose.envfile in layer {digest:?}"
                    ))
                })?;
                let data = client.get_blob(digest)?;
                let target = dir.join(safe_name(name)?);
                std::fs::write(&target, data).map_err(io_error(&target))?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(name: &str, text: &str) -> Layer {
        Layer {
            media_type: COMPOSE_FILE_MEDIA_TYPE.into(),
            annotations: vec![
                ("com.docker.compose.file".into(), name.into()),
                ("com.docker.compose.version".into(), "5.6.1".into()),
            ],
            data: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_manifest_is_shaped_as_v5_marshals_it() {
        let body = manifest(
            &[layer("compose.yaml", "services: {}\n")],
            OciVersion::V1_1,
            "2026-01-02T03:04:05Z",
        );
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with(
            r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.docker.compose.project","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2,"data":"e30="},"layers":[{"mediaType":"application/vnd.docker.compose.file+yaml","#
        ), "{text}");
        assert!(text.ends_with(
            r#""annotations":{"org.opencontainers.image.created":"2026-01-02T03:04:05Z"}}"#
        ));
        let old = String::from_utf8(manifest(&[], OciVersion::V1_0, "t")).unwrap();
        assert!(!old.contains("artifactType"));
        assert!(old.contains(EMPTY_CONFIG_MEDIA_TYPE));
    }

    #[test]
    fn env_file_paths_become_hashed_names() {
        let text = "services:\n  a:\n    env_file: ./x.env # keep\n  b:\n    env_file:\n      - path: ../y.env\n        required: false\n";
        let (out, refs) = rewrite_refs(text, Path::new("/w/p"));
        let found = refs.env_files;
        let hx = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"/w/p/x.env"));
        assert!(
            out.contains(&format!("env_file: {hx}.env # keep\n")),
            "{out}"
        );
        assert_eq!(found[1].0, PathBuf::from("/w/y.env"));
        assert!(out.ends_with("        required: false\n"), "{out}");
    }

    #[test]
    fn sensitive_keys_are_the_secret_looking_ones() {
        assert!(sensitive_key("DB_PASSWORD"));
        assert!(sensitive_key("api_key"));
        assert!(!sensitive_key("PORT"));
    }
}
