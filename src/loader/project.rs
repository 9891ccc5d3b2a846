//! The loading pipeline: options -> files -> environment -> merged, resolved tree -> `Project`.
//!
//! Owns the order of the steps (see the module doc of `loader`), the project directory and name,
//! `include`, and `profiles`. Each step's rules live in its own module.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::loader::fields::Fields;
use indexmap::IndexMap;
use serde_yaml::{Mapping, Value};

use super::discover::{self, absolute, check_project_name, normalize_project_name};
use super::environment::{EnvFileKind, Environment, Source};
use super::error::{ErrorKind, KeyPath, LoadError, Warnings};
use super::options::{ConfigSource, LoadOptions};
use super::{environment, extends, interpolate, merge, normalize, validate, yaml};
use crate::model::Project;

/// A loaded project and what the loader learned on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub project: Project,
    /// The resolved tree the project was deserialised from (canonical form).
    pub tree: Value,
    pub warnings: Warnings,
    /// The compose files, in order (`-` for stdin).
    pub files: Vec<PathBuf>,
    /// The project directory: relative paths resolve against it.
    pub project_dir: PathBuf,
    /// The environment used for interpolation, with each variable's source.
    pub environment: Environment,
    /// Profiles that were active.
    pub active_profiles: Vec<String>,
    /// The compose files' texts, as read.
    pub sources: Vec<SourceText>,
    /// The other compose files read on the way: included and extended ones (and the env files
    /// of includes), in the order they were read, without repeats.
    pub included_files: Vec<PathBuf>,
    /// The services' `env_file`s (absolute), whether they exist or not.
    pub service_env_files: Vec<PathBuf>,
}

impl Loaded {
    /// Every file the project was loaded from, so that a change to any of them is a reason to
    /// load again: the compose files, the included and extended ones, the env files (`.env`,
    /// `--env-file`) and the services' `env_file`s. Stdin and inline sources are not files.
    pub fn inputs(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = Vec::new();
        let all = self
            .files
            .iter()
            .filter(|f| f.as_os_str() != "-" && f.is_absolute())
            .cloned()
            .chain(self.included_files.iter().cloned())
            .chain(self.environment.files().iter().cloned())
            .chain(self.service_env_files.iter().cloned());
        for f in all {
            if !out.contains(&f) {
                out.push(f);
            }
        }
        out
    }
}

/// One compose file's text and where it came from.
#[derive(Debug, Clone)]
pub struct SourceText {
    pub name: PathBuf,
    pub text: String,
}

/// Loads the project the options describe.
pub fn load(opts: &LoadOptions) -> Result<Loaded, LoadError> {
    let mut texts_seen: Vec<SourceText> = Vec::new();
    load_inner(opts, &mut texts_seen).map_err(|e| attribute(e, &texts_seen))
}

/// An error that knows its key path but not its file gets the last file that defines that path
/// (files later on the command line override earlier ones), with the line and column.
fn attribute(mut e: LoadError, texts: &[SourceText]) -> LoadError {
    let Some(path) = e.path.clone() else {
        return e;
    };
    if let Some(file) = &e.file {
        if e.line.is_none() {
            if let Some(t) = texts.iter().find(|t| &t.name == file) {
                if let Some((l, c)) = super::locate::locate(&t.text, &path) {
                    e.line = Some(l);
                    e.column = Some(c);
                }
            }
        }
        return e;
    }
    for t in texts.iter().rev() {
        if let Some((l, c)) = super::locate::locate(&t.text, &path) {
            e.file = Some(t.name.clone());
            e.line = Some(l);
            e.column = Some(c);
            return e;
        }
    }
    // Not written as such anywhere (e.g. produced by a merge): name the nearest ancestor.
    for t in texts.iter().rev() {
        if let Some((l, c)) = super::locate::locate_nearest(&t.text, &path) {
            e.file = Some(t.name.clone());
            e.line = Some(l);
            e.column = Some(c);
            return e;
        }
    }
    e
}

fn load_inner(opts: &LoadOptions, texts_seen: &mut Vec<SourceText>) -> Result<Loaded, LoadError> {
    let shell = &opts.environment;
    let cwd = match &opts.working_dir {
        Some(d) => d.clone(),
        None => std::env::current_dir().map_err(|e| {
            LoadError::new(
                ErrorKind::Io,
                format!("cannot read the current directory: {e}"),
            )
        })?,
    };
    let explicit_dir = opts.project_directory.as_ref().map(|d| absolute(&cwd, d));

    // COMPOSE_* settings may come from the shell or from the .env of the directory we start in.
    let pre_dir = explicit_dir.clone().unwrap_or_else(|| cwd.clone());
    let pre_env = early_settings(shell, &pre_dir, opts)?;
    let setting = |k: &str| shell.get(k).or_else(|| pre_env.get(k)).cloned();

    let mut warnings = Warnings::default();
    let sources = config_sources(opts, &setting, &cwd, explicit_dir.as_deref(), &mut warnings)?;
    let project_dir = explicit_dir.unwrap_or_else(|| match sources.first() {
        Some(ConfigSource::Path(p)) => p.parent().map(Path::to_path_buf).unwrap_or(cwd.clone()),
        _ => cwd.clone(),
    });

    // The interpolation environment: env files (in order), then the shell, which wins.
    let env_files = env_file_list(opts, &setting, &project_dir, &cwd);
    let mut env = Environment::from_vars(shell.clone(), Source::Shell);
    env.load_files(&env_files, &mut warnings)?;

    let texts = read_sources(&sources)?;
    validate::prefetch_schema(texts.iter().map(|t| t.text.len()).sum());
    texts_seen.clone_from(&texts);
    let files: Vec<PathBuf> = texts.iter().map(|t| t.name.clone()).collect();

    // Parse every file first: the project name may come from a `name:` key, and the name must be
    // known (as COMPOSE_PROJECT_NAME) before anything is interpolated.
    let docs = parse_all(&texts, &mut warnings)?;
    let name = project_name(
        opts,
        &env,
        &docs,
        &project_dir,
        &texts,
        opts.no_interpolate,
        &mut warnings,
    )?;
    // The project's name, whichever way it was given (`-p` wins over a COMPOSE_PROJECT_NAME
    // from the shell or .env), as compose-go sets it.
    if env.get("COMPOSE_PROJECT_NAME") != Some(name.as_str()) {
        env.set("COMPOSE_PROJECT_NAME", name.clone(), Source::Explicit);
    }

    let home = home_dir(shell);
    let mut ctx = Ctx {
        env: &env,
        home: home.as_deref(),
        strict: opts.strict,
        no_interpolate: opts.no_interpolate,
        resolve_paths: !opts.no_path_resolution,
        project_dir: project_dir.clone(),
        warnings: &mut warnings,
        include_stack: Vec::new(),
        cache: HashMap::new(),
        read: Vec::new(),
        remote_files: &opts.remote_files,
    };
    let mut tree = ctx.merge_files(docs, &texts, &project_dir)?;
    let mut included_files = std::mem::take(&mut ctx.read);
    included_files.retain(|f| !files.contains(f));
    // compose-go's model map without `Normalize` keeps the files' own `name:` (or none).
    if !(opts.model_only && opts.no_normalize) {
        set_key(&mut tree, "name", Value::String(name.clone()));
    }

    let named_texts: Vec<(PathBuf, String)> = texts
        .iter()
        .map(|t| (t.name.clone(), t.text.clone()))
        .collect();
    if opts.skip_validation {
        super::model_view::check_shapes(&tree)?;
    } else {
        validate::validate_schema(&tree, &named_texts)?;
    }
    if opts.model_only {
        let context = if opts.no_path_resolution {
            ".".to_string()
        } else {
            project_dir.to_string_lossy().into_owned()
        };
        super::model_view::model_view(&mut tree, &name, &context, !opts.no_normalize)?;
        let level = if opts.skip_validation {
            validate::LoadChecks::Variables
        } else {
            validate::LoadChecks::Model
        };
        validate::check_load_time(&tree, level)?;
        let project = Project {
            name: name.clone(),
            ..Project::default()
        };
        return Ok(Loaded {
            project,
            tree,
            warnings,
            files,
            project_dir,
            environment: env,
            active_profiles: Vec::new(),
            sources: texts,
            included_files,
            service_env_files: Vec::new(),
        });
    }

    let active_profiles = active_profiles(opts, &setting);
    apply_profiles(
        &mut tree,
        &active_profiles,
        &opts.services,
        opts.select_services,
        !opts.no_consistency,
    )?;
    let service_env_files = service_env_files(&tree, &project_dir);
    if opts.no_env_resolution {
        fill_environments(&mut tree, &env);
    } else {
        resolve_environments(&mut tree, &env, &project_dir, &mut warnings)?;
    }
    resolve_label_files(&mut tree, &project_dir, &mut warnings)?;
    normalize_tree(&mut tree, opts, &name, &project_dir, &env, &mut warnings)?;
    let main_file = files.first().cloned().unwrap_or_default();
    let mut project = check_and_type(&mut tree, opts, &main_file, &mut warnings)?;
    project.environment = env_map(&env);
    project.working_dir = Some(project_dir.clone());
    project.compose_files = files.clone();
    Ok(Loaded {
        project,
        tree,
        warnings,
        files,
        project_dir,
        environment: env,
        active_profiles,
        sources: texts,
        included_files,
        service_env_files,
    })
}

/// The compose files: the `-f` files, else `COMPOSE_FILE`, else the ones discovery finds.
fn config_sources(
    opts: &LoadOptions,
    setting: &dyn Fn(&str) -> Option<String>,
    cwd: &Path,
    explicit_dir: Option<&Path>,
    warnings: &mut Warnings,
) -> Result<Vec<ConfigSource>, LoadError> {
    if !opts.files.is_empty() {
        return Ok(opts
            .files
            .iter()
            .map(|s| match s {
                ConfigSource::Path(p) => ConfigSource::Path(absolute(cwd, p)),
                other => other.clone(),
            })
            .collect());
    }
    if let Some(cf) = setting("COMPOSE_FILE").filter(|v| !v.is_empty()) {
        let sep = setting("COMPOSE_PATH_SEPARATOR");
        return Ok(discover::split_compose_file(&cf, sep.as_deref(), cwd)
            .into_iter()
            .map(ConfigSource::Path)
            .collect());
    }
    let found = discover::discover(explicit_dir.unwrap_or(cwd))?;
    for w in found.warnings {
        warnings.push(w);
    }
    Ok(found.files.into_iter().map(ConfigSource::Path).collect())
}

/// Parses every file; an empty one is an error.
fn parse_all(texts: &[SourceText], warnings: &mut Warnings) -> Result<Vec<Value>, LoadError> {
    let mut docs = Vec::with_capacity(texts.len());
    for t in texts {
        let doc = yaml::parse_with_warnings(&t.name, &t.text, warnings)?;
        if doc.is_null() {
            return Err(LoadError::new(ErrorKind::Schema, "empty compose file")
                .in_file(&t.name)
                .hint("add at least a `services:` section"));
        }
        docs.push(doc);
    }
    Ok(docs)
}

/// Resolves every service's `env_file` into its `environment`.
/// The `env_file`s of every service (a malformed entry is left to the resolution to report).
fn service_env_files(tree: &Value, project_dir: &Path) -> Vec<PathBuf> {
    let Some(Value::Mapping(services)) = tree.field("services") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for svc in services.values() {
        if let Some(v) = svc.field("env_file") {
            let entries = environment::env_file_entries(v, &KeyPath::root(), project_dir);
            out.extend(entries.unwrap_or_default().into_iter().map(|(f, _)| f.path));
        }
    }
    out
}

/// Adds the labels of each service's `label_file`s (in order, a later file winning) to its
/// `labels`, where `labels` does not set them; `label_file` stays in the model, as in v5. A
/// missing file is an error naming it.
fn resolve_label_files(
    tree: &mut Value,
    project_dir: &Path,
    warnings: &mut Warnings,
) -> Result<(), LoadError> {
    let Some(Value::Mapping(services)) = get_mut(tree, "services") else {
        return Ok(());
    };
    for (name, svc) in services.iter_mut() {
        let files: Vec<String> = match svc.get("label_file") {
            Some(Value::String(f)) => vec![f.clone()],
            Some(Value::Sequence(fs)) => fs
                .iter()
                .filter_map(|f| f.as_str().map(str::to_string))
                .collect(),
            _ => continue,
        };
        let at = KeyPath::root()
            .key("services")
            .key(name.as_str().unwrap_or_default())
            .key("label_file");
        let mut from_files: IndexMap<String, String> = IndexMap::new();
        for f in files {
            let path = crate::model::path::resolve(project_dir, Path::new(&f));
            if !path.is_file() {
                return Err(LoadError::new(
                    ErrorKind::Io,
                    format!("label file {} not found", path.display()),
                )
                .at(at)
                .hint("create the file, or remove it from `label_file`"));
            }
            let none = |_: &str| -> Option<String> { None };
            super::dotenv::read_file(
                &path,
                super::dotenv::Format::DotEnv,
                &none,
                &mut from_files,
                warnings,
            )?;
        }
        let Value::Mapping(svc) = svc else { continue };
        let labels = svc
            .entry(Value::String("labels".into()))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if labels.is_null() {
            *labels = Value::Mapping(Mapping::new());
        }
        match labels {
            Value::Mapping(m) => {
                for (k, v) in from_files {
                    if !m.contains_key(k.as_str()) {
                        m.insert(Value::String(k), Value::String(v));
                    }
                }
            }
            Value::Sequence(items) => {
                let set: Vec<String> = items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|e| e.split_once('=').map_or(e, |(k, _)| k).to_string())
                    .collect();
                for (k, v) in from_files {
                    if !set.contains(&k) {
                        items.push(Value::String(format!("{k}={v}")));
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// `--no-env-resolution`: the `env_file`s are not read (they stay in the model), but a variable
/// declared without a value still takes it from the interpolation environment, as in v5.
fn fill_environments(tree: &mut Value, env: &Environment) {
    let Some(Value::Mapping(services)) = get_mut(tree, "services") else {
        return;
    };
    for svc in services.values_mut() {
        let Some(e) = svc.get_mut("environment") else {
            continue;
        };
        match e {
            Value::Sequence(items) => {
                for i in items.iter_mut() {
                    if let Value::String(k) = i {
                        if !k.contains('=') {
                            if let Some(v) = env.get(k) {
                                *k = format!("{k}={v}");
                            }
                        }
                    }
                }
            }
            Value::Mapping(m) => {
                for (k, v) in m.iter_mut() {
                    if v.is_null() {
                        if let Some(x) = k.as_str().and_then(|k| env.get(k)) {
                            *v = Value::String(x.to_string());
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn resolve_environments(
    tree: &mut Value,
    env: &Environment,
    project_dir: &Path,
    warnings: &mut Warnings,
) -> Result<(), LoadError> {
    if let Some(Value::Mapping(services)) = get_mut(tree, "services") {
        for (k, svc) in services.iter_mut() {
            let sname = k.as_str().unwrap_or_default().to_string();
            environment::resolve_service_environment(svc, &sname, env, project_dir, warnings)?;
        }
    }
    Ok(())
}

/// The short syntax always takes its long form (compose-go's transform step); only the
/// defaults compose-go's `Normalize` adds are skipped with --no-normalize.
fn normalize_tree(
    tree: &mut Value,
    opts: &LoadOptions,
    name: &str,
    project_dir: &Path,
    env: &Environment,
    warnings: &mut Warnings,
) -> Result<(), LoadError> {
    let w = if opts.no_normalize {
        // compose-go's transform gives a `build` without a context the default `.` (resolved
        // against the project directory) whatever the options; only `Normalize` is skipped.
        if opts.no_path_resolution {
            default_build_context(tree, Path::new("."));
        } else {
            default_build_context(tree, project_dir);
        }
        normalize::normalize_syntax(tree, name)?
    } else {
        let dir = (!opts.no_path_resolution).then_some(project_dir);
        let w = normalize::normalize_in(tree, name, dir)?;
        normalize::resolve_build_args(tree, &|k| env.get(k).map(str::to_string));
        w
    };
    for x in w.0 {
        warnings.push(x);
    }
    Ok(())
}

/// Runs the consistency checks, drops the unused resources, and reads the typed model.
///
/// The consistency checks see every declared resource, as in docker compose; the unused ones
/// are dropped after them. The checks and the typed model only read the tree, so on a large
/// project they run side by side, the model read before the drop and then given the same drop.
fn check_and_type(
    tree: &mut Value,
    opts: &LoadOptions,
    main_file: &Path,
    warnings: &mut Warnings,
) -> Result<Project, LoadError> {
    let check = |tree: &Value| {
        // compose-go's load-time checks come first, with or without the consistency checks.
        validate::check_load_time(tree, validate::LoadChecks::Typed)?;
        if opts.no_consistency {
            Ok(Warnings::default())
        } else {
            validate::check_semantics_for(tree, opts.swarm)
        }
    };
    let unused = if opts.all_resources {
        Vec::new()
    } else if opts.swarm {
        // A swarm service refers to a credential spec's config too (docker compose drops it).
        normalize::unused_resources_for_swarm(tree)
    } else {
        normalize::unused_resources(tree)
    };
    let (checked, early) = if service_count(tree) >= PARALLEL_MIN_SERVICES {
        let tree = &*tree;
        std::thread::scope(|s| {
            let typed = s.spawn(|| Project::from_value_ref(tree));
            let checked = check(tree);
            let typed = typed
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            (checked, typed.ok())
        })
    } else {
        (check(tree), None)
    };
    for x in checked?.0 {
        warnings.push(x);
    }
    normalize::drop_resources(tree, &unused);
    Ok(match early {
        Some(mut p) => {
            p.drop_resources(&unused);
            p
        }
        // Read from the dropped tree (also for the error: an unused resource is not reported).
        None => Project::from_value_ref(tree).map_err(|e| LoadError::from(e).or_file(main_file))?,
    })
}

/// From this many services on, the consistency checks and the typed model are built on two
/// threads (below it, starting a thread costs more than it saves).
const PARALLEL_MIN_SERVICES: usize = 64;

fn service_count(tree: &Value) -> usize {
    match tree.get("services") {
        Some(Value::Mapping(m)) => m.len(),
        _ => 0,
    }
}

/// Reads the `.env` of the starting directory for `COMPOSE_*` settings only (the shell wins).
fn early_settings(
    shell: &IndexMap<String, String>,
    dir: &Path,
    opts: &LoadOptions,
) -> Result<IndexMap<String, String>, LoadError> {
    let files: Vec<(PathBuf, EnvFileKind)> = if opts.env_files.is_empty() {
        let p = dir.join(".env");
        if p.is_file() {
            vec![(p, EnvFileKind::DotEnv)]
        } else {
            vec![]
        }
    } else {
        opts.env_files
            .iter()
            .map(|p| (absolute(dir, p), EnvFileKind::EnvFile))
            .collect()
    };
    if files.is_empty() {
        return Ok(IndexMap::new());
    }
    let mut env = Environment::from_vars(shell.clone(), Source::Shell);
    env.load_files(&files, &mut Warnings::default())?;
    Ok(env_map(&env))
}

/// The user's home directory, from the shell's `HOME` (or `USERPROFILE`).
fn home_dir(shell: &IndexMap<String, String>) -> Option<PathBuf> {
    shell
        .get("HOME")
        .or_else(|| shell.get("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// The environment as a plain map.
pub fn env_map(env: &Environment) -> IndexMap<String, String> {
    env.iter()
        .map(|v| (v.name.clone(), v.value.clone()))
        .collect()
}

fn env_file_list(
    opts: &LoadOptions,
    setting: &dyn Fn(&str) -> Option<String>,
    project_dir: &Path,
    cwd: &Path,
) -> Vec<(PathBuf, EnvFileKind)> {
    if !opts.env_files.is_empty() {
        return opts
            .env_files
            .iter()
            .map(|p| (absolute(cwd, p), EnvFileKind::EnvFile))
            .collect();
    }
    if let Some(v) = setting("COMPOSE_ENV_FILES").filter(|v| !v.is_empty()) {
        return v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| (absolute(cwd, Path::new(s)), EnvFileKind::EnvFile))
            .collect();
    }
    if setting("COMPOSE_DISABLE_ENV_FILE")
        .map(|v| matches!(v.as_str(), "1" | "true" | "TRUE" | "True"))
        .unwrap_or(false)
    {
        return Vec::new();
    }
    let p = project_dir.join(".env");
    if p.is_file() {
        vec![(p, EnvFileKind::DotEnv)]
    } else {
        Vec::new()
    }
}

fn read_sources(sources: &[ConfigSource]) -> Result<Vec<SourceText>, LoadError> {
    sources
        .iter()
        .map(|s| match s {
            ConfigSource::Path(p) => {
                if p.is_dir() {
                    return Err(LoadError::new(
                        ErrorKind::Io,
                        "is a directory, not a compose file".to_string(),
                    )
                    .in_file(p));
                }
                std::fs::read_to_string(p)
                    .map(|text| SourceText {
                        name: p.clone(),
                        text,
                    })
                    .map_err(|e| {
                        let what = if e.kind() == std::io::ErrorKind::NotFound {
                            "no such file".to_string()
                        } else {
                            format!("cannot read: {e}")
                        };
                        LoadError::new(ErrorKind::Io, what).in_file(p)
                    })
            }
            ConfigSource::Stdin(text) => Ok(SourceText {
                name: PathBuf::from("-"),
                text: text.clone(),
            }),
            ConfigSource::Inline { name, text } => Ok(SourceText {
                name: name.clone(),
                text: text.clone(),
            }),
        })
        .collect()
}

fn project_name(
    opts: &LoadOptions,
    env: &Environment,
    docs: &[Value],
    project_dir: &Path,
    texts: &[SourceText],
    no_interpolate: bool,
    warnings: &mut Warnings,
) -> Result<String, LoadError> {
    // The schema wants every file's `name:` to be a string, whichever name wins (without the
    // schema, `config --variables`, another `name:` is passed over).
    for (doc, t) in docs.iter().zip(texts) {
        if !opts.skip_validation && doc.get("name").is_some_and(|v| !v.is_string()) {
            return Err(LoadError::new(ErrorKind::Schema, "name must be a string")
                .in_file(&t.name)
                .at(KeyPath::root().key("name")));
        }
    }
    if let Some(n) = &opts.project_name {
        check_project_name(n, "-p")?;
        return Ok(n.clone());
    }
    if let Some(n) = env.get("COMPOSE_PROJECT_NAME").filter(|n| !n.is_empty()) {
        check_project_name(n, "COMPOSE_PROJECT_NAME")?;
        return Ok(n.to_string());
    }
    // The last file that sets `name:` wins, as with any other key.
    for (doc, t) in docs.iter().zip(texts).rev() {
        if let Some(v) = doc.get("name") {
            let Some(raw) = v.as_str() else {
                continue;
            };
            let n = if no_interpolate {
                raw.to_string()
            } else {
                let at = KeyPath::root().key("name");
                let s = interpolate::substitute(raw, env, opts.strict)
                    .map_err(|e| e.into_load_error(at).or_file(&t.name))?;
                for u in &s.unset {
                    warnings.push(interpolate::unset_warning(u));
                }
                s.value
            };
            // compose-go normalises a `name:` from a file silently (`Shop_App.Prod` becomes
            // `shop_appprod`), unlike `-p` and COMPOSE_PROJECT_NAME, which must already be normal.
            let n = if opts.no_normalize {
                n
            } else {
                normalize_project_name(&n)
            };
            if n.is_empty() {
                continue;
            }
            return Ok(n);
        }
    }
    let base = project_dir
        .file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let n = normalize_project_name(&base);
    if n.is_empty() {
        return Err(LoadError::new(
            ErrorKind::Usage,
            format!(
                "project name must not be empty: the directory name {base:?} has no usable characters"
            ),
        )
        .hint("name the project with -p NAME, COMPOSE_PROJECT_NAME or a top-level `name:`"));
    }
    Ok(n)
}

/// State shared while files are prepared: environment, warnings, include stack, parsed-file cache.
struct Ctx<'a> {
    env: &'a Environment,
    /// The home directory `~` expands to (from the shell's `HOME`, else `USERPROFILE`).
    home: Option<&'a Path>,
    strict: bool,
    no_interpolate: bool,
    /// Whether relative paths are made absolute (off with `--no-path-resolution`).
    resolve_paths: bool,
    /// The (main) project's directory: without path resolution, the relative paths of an
    /// included or extended file elsewhere are rebased onto it.
    project_dir: PathBuf,
    warnings: &'a mut Warnings,
    include_stack: Vec<PathBuf>,
    cache: HashMap<PathBuf, Value>,
    /// The files read besides the compose files (included, extended, include env files).
    read: Vec<PathBuf>,
    /// Compose files pulled from a registry (`LoadOptions::remote_files`).
    remote_files: &'a [PathBuf],
}

impl Ctx<'_> {
    /// `dir` relative to the project directory (without path resolution, the paths of an
    /// included or extended file are rebased so).
    fn rebased(&self, dir: &Path) -> PathBuf {
        crate::model::path::relative(&self.project_dir, dir).unwrap_or_else(|| dir.to_path_buf())
    }

    fn note_read(&mut self, path: &Path) {
        if !self.read.iter().any(|p| p == path) {
            self.read.push(path.to_path_buf());
        }
    }
}

impl Ctx<'_> {
    /// Per file, as compose-go does: interpolate, resolve paths, include, extends; then merge it
    /// over the files before it (merging from Null also resolves a lone file's tags).
    fn merge_files(
        &mut self,
        docs: Vec<Value>,
        texts: &[SourceText],
        project_dir: &Path,
    ) -> Result<Value, LoadError> {
        let mut merged: Option<Value> = None;
        for (doc, t) in docs.into_iter().zip(texts) {
            // A pulled file's relative paths (its env files) are beside it, in the cache.
            let base = match t.name.parent() {
                Some(dir) if self.remote_files.contains(&t.name) => dir,
                _ => project_dir,
            };
            let mut doc = self.prepare(doc, &t.name, base, true)?;
            self.apply_extends(&mut doc, &t.name)?;
            let base = merged.take().unwrap_or(Value::Null);
            merged = Some(merge::merge(base, doc).map_err(|e| e.or_file(&t.name))?);
        }
        let tree = merged.unwrap_or(Value::Mapping(Mapping::new()));
        if !matches!(tree, Value::Mapping(_)) {
            return Err(
                LoadError::new(ErrorKind::Schema, "top-level object must be a mapping")
                    .in_file(texts.first().map(|t| t.name.clone()).unwrap_or_default()),
            );
        }
        Ok(tree)
    }

    /// Interpolates one parsed file, resolves its relative paths against `base_dir`, applies its
    /// `include`s. Without path resolution a compose file (`main`) keeps its paths as written,
    /// and an included or extended one has them rebased onto the project directory (relative
    /// still, as compose-go does).
    fn prepare(
        &mut self,
        mut doc: Value,
        file: &Path,
        base_dir: &Path,
        main: bool,
    ) -> Result<Value, LoadError> {
        if !self.no_interpolate {
            let o = interpolate::Options {
                strict: self.strict,
            };
            interpolate::interpolate(&mut doc, self.env, &o, self.warnings)
                .map_err(|e| e.or_file(file))?;
        }
        if self.resolve_paths {
            normalize::resolve_paths_with_home(&mut doc, base_dir, self.home);
        } else if !main {
            // `extends.file` stays as written: it is read from this file's directory.
            let extends_files = extends_files(&doc);
            normalize::resolve_paths_with_home(&mut doc, &self.rebased(base_dir), self.home);
            restore_extends_files(&mut doc, extends_files);
        }
        self.apply_include(&mut doc, file, base_dir)?;
        Ok(doc)
    }

    fn load_file(&mut self, path: &Path) -> Result<Value, LoadError> {
        if let Some(v) = self.cache.get(path) {
            return Ok(v.clone());
        }
        self.note_read(path);
        let text = std::fs::read_to_string(path).map_err(|e| {
            LoadError::new(ErrorKind::Io, format!("cannot read extended file: {e}")).in_file(path)
        })?;
        let doc = yaml::parse(path, &text)?;
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let doc = self.prepare(doc, path, &dir, false)?;
        self.cache.insert(path.to_path_buf(), doc.clone());
        Ok(doc)
    }

    fn apply_extends(&mut self, doc: &mut Value, file: &Path) -> Result<(), LoadError> {
        let mut load = |p: &Path| self.load_file(p);
        extends::apply_extends(doc, file, &mut load)
    }

    /// Top-level `include`: each entry is loaded as a project of its own (its own directory and
    /// env files) and its resources are added to this one; a resource defined on both sides with
    /// different content is an error.
    fn apply_include(
        &mut self,
        doc: &mut Value,
        file: &Path,
        base_dir: &Path,
    ) -> Result<(), LoadError> {
        let Some(Value::Mapping(top)) = Some(&mut *doc) else {
            return Ok(());
        };
        let Some(include) = top.remove("include") else {
            return Ok(());
        };
        let entries = match include {
            Value::Sequence(s) => s,
            Value::Null => Vec::new(),
            _ => {
                return Err(LoadError::new(ErrorKind::Schema, "include must be a list")
                    .in_file(file)
                    .at(KeyPath::root().key("include")))
            }
        };
        for (i, entry) in entries.into_iter().enumerate() {
            let at = KeyPath::root().key("include").index(i);
            let (paths, project_directory, env_files) =
                include_entry(&entry, base_dir).map_err(|e| e.in_file(file).at(at.clone()))?;
            let Some(first) = paths.first() else {
                continue;
            };
            if let Some(pos) = self.include_stack.iter().position(|p| p == first) {
                let mut chain: Vec<String> = self.include_stack[pos..]
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
                chain.push(first.display().to_string());
                return Err(LoadError::new(
                    ErrorKind::Semantic,
                    format!("include cycle detected: {}", chain.join(" -> ")),
                )
                .in_file(file)
                .at(at));
            }
            let sub_dir = project_directory
                .unwrap_or_else(|| first.parent().map(Path::to_path_buf).unwrap_or_default());
            let env_files = env_files.unwrap_or_else(|| {
                let p = sub_dir.join(".env");
                if p.is_file() {
                    vec![p]
                } else {
                    vec![]
                }
            });
            let mut sub_env = self.env.clone();
            let kinds: Vec<(PathBuf, EnvFileKind)> = env_files
                .iter()
                .map(|p| (p.clone(), EnvFileKind::EnvFile))
                .collect();
            sub_env.load_files(&kinds, self.warnings)?;
            self.include_stack.push(file.to_path_buf());
            self.include_stack.push(first.clone());
            let included = {
                let mut sub = Ctx {
                    env: &sub_env,
                    home: self.home,
                    strict: self.strict,
                    no_interpolate: self.no_interpolate,
                    resolve_paths: self.resolve_paths,
                    project_dir: self.project_dir.clone(),
                    warnings: &mut *self.warnings,
                    include_stack: self.include_stack.clone(),
                    cache: HashMap::new(),
                    read: env_files.clone(),
                    remote_files: self.remote_files,
                };
                let mut merged = Value::Null;
                for p in &paths {
                    sub.note_read(p);
                    let text = std::fs::read_to_string(p).map_err(|e| {
                        LoadError::new(ErrorKind::Io, format!("cannot read included file: {e}"))
                            .in_file(p)
                    })?;
                    let d = yaml::parse_with_warnings(p, &text, sub.warnings)?;
                    let mut d = sub.prepare(d, p, &sub_dir, false)?;
                    sub.apply_extends(&mut d, p)?;
                    merged = merge::merge(merged, d).map_err(|e| e.or_file(p))?;
                }
                for p in std::mem::take(&mut sub.read) {
                    self.note_read(&p);
                }
                let context = if self.resolve_paths {
                    sub_dir.clone()
                } else {
                    self.rebased(&sub_dir)
                };
                default_build_context(&mut merged, &context);
                merged
            };
            self.include_stack.pop();
            self.include_stack.pop();
            import_resources(top, included, first, file)?;
        }
        Ok(())
    }
}

/// Each service's `extends.file`, by service key.
fn extends_files(doc: &Value) -> Vec<(Value, Value)> {
    let Some(Value::Mapping(services)) = doc.get("services") else {
        return Vec::new();
    };
    services
        .iter()
        .filter_map(|(k, svc)| {
            let file = svc.get("extends")?.get("file")?;
            Some((k.clone(), file.clone()))
        })
        .collect()
}

fn restore_extends_files(doc: &mut Value, files: Vec<(Value, Value)>) {
    let Some(Value::Mapping(services)) = doc.get_mut("services") else {
        return;
    };
    for (k, file) in files {
        if let Some(Value::Mapping(ext)) = services.get_mut(&k).and_then(|s| s.get_mut("extends")) {
            ext.insert(Value::String("file".into()), file);
        }
    }
}

/// An included service's `build` without a `context` builds the include's project directory
/// (compose-go gives each included file the default context `.`, resolved there), not the
/// including project's.
fn default_build_context(doc: &mut Value, dir: &Path) {
    let Some(Value::Mapping(services)) = doc.get_mut("services") else {
        return;
    };
    for svc in services.values_mut() {
        if let Some(build) = svc.get_mut("build").filter(|b| b.is_null()) {
            *build = Value::Mapping(Mapping::new());
        }
        if let Some(Value::Mapping(build)) = svc.get_mut("build") {
            if !build.contains_key("context") {
                build.insert(
                    Value::String("context".into()),
                    Value::String(dir.to_string_lossy().into_owned()),
                );
            }
        }
    }
}

type IncludeEntry = (Vec<PathBuf>, Option<PathBuf>, Option<Vec<PathBuf>>);

fn include_entry(entry: &Value, base_dir: &Path) -> Result<IncludeEntry, LoadError> {
    let strs = |v: &Value, what: &str| -> Result<Vec<PathBuf>, LoadError> {
        match v {
            Value::String(s) => Ok(vec![absolute(base_dir, Path::new(s))]),
            Value::Sequence(items) => items
                .iter()
                .map(|i| {
                    i.as_str()
                        .map(|s| absolute(base_dir, Path::new(s)))
                        .ok_or_else(|| {
                            LoadError::new(ErrorKind::Schema, format!("{what} must be strings"))
                        })
                })
                .collect(),
            _ => Err(LoadError::new(
                ErrorKind::Schema,
                format!("{what} must be a string or a list of strings"),
            )),
        }
    };
    match entry {
        Value::String(_) => Ok((strs(entry, "include")?, None, None)),
        Value::Mapping(m) => {
            let path = m.field("path").ok_or_else(|| {
                LoadError::new(ErrorKind::Schema, "include entry has no `path`")
                    .hint("write `- path: ../other/compose.yaml`")
            })?;
            let paths = strs(path, "include path")?;
            let dir = match m.field("project_directory") {
                Some(Value::String(s)) => Some(absolute(base_dir, Path::new(s))),
                Some(Value::Null) | None => None,
                Some(_) => {
                    return Err(LoadError::new(
                        ErrorKind::Schema,
                        "project_directory must be a string",
                    ))
                }
            };
            let env_files = match m.field("env_file") {
                Some(Value::Null) | None => None,
                Some(v) => Some(strs(v, "env_file")?),
            };
            Ok((paths, dir, env_files))
        }
        _ => Err(LoadError::new(
            ErrorKind::Schema,
            "include entry must be a path or a mapping with `path`",
        )),
    }
}

/// Adds an included project's resources to `top`; the same name with different content conflicts.
fn import_resources(
    top: &mut Mapping,
    included: Value,
    included_file: &Path,
    file: &Path,
) -> Result<(), LoadError> {
    let Value::Mapping(inc) = included else {
        return Ok(());
    };
    for kind in [
        "services", "networks", "volumes", "secrets", "configs", "models",
    ] {
        let Some(Value::Mapping(items)) = inc.get(kind) else {
            continue;
        };
        let target = top
            .entry(Value::String(kind.to_string()))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if target.is_null() {
            *target = Value::Mapping(Mapping::new());
        }
        let Value::Mapping(target) = target else {
            continue;
        };
        for (k, v) in items {
            match target.get(k) {
                Some(existing) if existing != v => {
                    let name = k.as_str().unwrap_or_default();
                    return Err(LoadError::new(
                        ErrorKind::Semantic,
                        format!(
                            "{kind}.{name} conflicts with imported resource: {} also defines {kind} {name:?} differently",
                            included_file.display()
                        ),
                    )
                    .in_file(file)
                    .at(KeyPath::root().key(kind).key(name))
                    .hint("rename one of them, or remove the duplicate definition"));
                }
                Some(_) => {}
                None => {
                    target.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Ok(())
}

fn active_profiles(opts: &LoadOptions, setting: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    if !opts.profiles.is_empty() {
        return opts.profiles.clone();
    }
    setting("COMPOSE_PROFILES")
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn service_profiles(svc: &Value) -> Vec<String> {
    match svc.field("profiles") {
        Some(Value::Sequence(s)) => s
            .iter()
            .filter_map(|p| p.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// The services a service needs, whatever syntax it used: (name, required).
pub fn service_dependencies(svc: &Value) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    match svc.field("depends_on") {
        Some(Value::Sequence(s)) => out.extend(
            s.iter()
                .filter_map(|d| d.as_str())
                .map(|d| (d.to_string(), true)),
        ),
        Some(Value::Mapping(m)) => {
            for (k, v) in m {
                let required = v.field("required").and_then(Value::as_bool).unwrap_or(true);
                if let Some(k) = k.as_str() {
                    out.push((k.to_string(), required));
                }
            }
        }
        _ => {}
    }
    for key in ["network_mode", "pid", "ipc"] {
        if let Some(parent) = svc
            .field(key)
            .and_then(Value::as_str)
            .and_then(|m| m.strip_prefix("service:"))
        {
            out.push((parent.to_string(), true));
        }
    }
    if let Some(Value::Sequence(s)) = svc.field("volumes_from") {
        for v in s.iter().filter_map(Value::as_str) {
            if !v.starts_with("container:") {
                let name = v.split(':').next().unwrap_or(v);
                out.push((name.to_string(), true));
            }
        }
    }
    if let Some(Value::Sequence(s)) = svc.field("links") {
        for v in s.iter().filter_map(Value::as_str) {
            let name = v.split(':').next().unwrap_or(v);
            out.push((name.to_string(), true));
        }
    }
    out
}

/// Removes services that no active profile enables; a required dependency on a removed service is
/// an error naming both and the profile to activate.
/// With `select`, only the named services and their dependencies are kept.
/// `check` off (`--no-consistency`) lets such a dependency be.
fn apply_profiles(
    tree: &mut Value,
    active: &[String],
    named: &[String],
    select: bool,
    check: bool,
) -> Result<(), LoadError> {
    let Some(Value::Mapping(services)) = get_mut(tree, "services") else {
        if let Some(n) = named.first() {
            return Err(no_such_service(n, &[]));
        }
        return Ok(());
    };
    let all: Vec<String> = services
        .keys()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect();
    for n in named {
        if !all.contains(n) {
            return Err(no_such_service(n, &all));
        }
    }
    let star = active.iter().any(|p| p == "*");
    let mut enabled: BTreeSet<String> = services
        .iter()
        .filter_map(|(k, v)| {
            let name = k.as_str()?;
            let profiles = service_profiles(v);
            let on = profiles.is_empty() || star || profiles.iter().any(|p| active.contains(p));
            on.then(|| name.to_string())
        })
        .collect();
    for (k, v) in services.iter() {
        let Some(name) = k.as_str() else { continue };
        if !enabled.contains(name) {
            continue;
        }
        for (dep, required) in service_dependencies(v) {
            if !check || !required || enabled.contains(&dep) || !all.contains(&dep) {
                continue;
            }
            let profiles = services
                .get(dep.as_str())
                .map(service_profiles)
                .unwrap_or_default();
            return Err(LoadError::new(
                ErrorKind::Semantic,
                format!(
                    "service {name:?} depends on service {dep:?}, which is not enabled by the active profiles"
                ),
            )
            .at(KeyPath::root().key("services").key(name).key("depends_on"))
            .hint(format!(
                "activate one of its profiles ({}) with --profile or COMPOSE_PROFILES, or mark the dependency `required: false`",
                profiles.join(", ")
            )));
        }
    }
    // A service named on the command line is enabled whatever its profiles, and so is everything
    // a service enabled that way depends on (the Compose Specification; docker compose `up baz`
    // starts baz's disabled dependencies too). A service enabled by the profiles that depends on a
    // disabled one is an error above, named or not, as in docker compose.
    let mut todo: Vec<String> = named
        .iter()
        .filter(|n| !enabled.contains(*n))
        .cloned()
        .collect();
    while let Some(name) = todo.pop() {
        if !enabled.insert(name.clone()) {
            continue;
        }
        if let Some(svc) = services.get(name.as_str()) {
            for (dep, _) in service_dependencies(svc) {
                if all.contains(&dep) && !enabled.contains(&dep) {
                    todo.push(dep);
                }
            }
        }
    }
    if select && !named.is_empty() {
        let mut selected: BTreeSet<String> = BTreeSet::new();
        let mut todo: Vec<String> = named.to_vec();
        while let Some(name) = todo.pop() {
            if !enabled.contains(&name) || !selected.insert(name.clone()) {
                continue;
            }
            if let Some(svc) = services.get(name.as_str()) {
                todo.extend(service_dependencies(svc).into_iter().map(|(d, _)| d));
            }
        }
        enabled = selected;
    }
    services.retain(|k, _| k.as_str().map(|n| enabled.contains(n)).unwrap_or(false));
    Ok(())
}

fn no_such_service(name: &str, all: &[String]) -> LoadError {
    let mut e = LoadError::new(ErrorKind::Usage, format!("no such service: {name}"));
    if let Some(best) = crate::model::names::closest(name, all.iter().map(String::as_str)) {
        e = e.hint(format!("did you mean {best:?}?"));
    }
    e
}

fn get_mut<'a>(tree: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    match tree {
        Value::Mapping(m) => m.get_mut(key),
        _ => None,
    }
}

fn set_key(tree: &mut Value, key: &str, v: Value) {
    if let Value::Mapping(m) = tree {
        // `name` goes first, as docker compose prints it.
        let mut out = Mapping::new();
        out.insert(Value::String(key.to_string()), v);
        for (k, val) in std::mem::take(m) {
            if k.as_str() != Some(key) {
                out.insert(k, val);
            }
        }
        *m = out;
    }
}

#[cfg(test)]
mod inputs_tests {
    use super::*;

    #[test]
    fn inputs_name_every_file_the_project_was_read_from() {
        let d = tempfile::tempdir().unwrap();
        let at = |f: &str| d.path().join(f);
        std::fs::create_dir_all(at("inc")).unwrap();
        let write = |f: &str, text: &str| std::fs::write(at(f), text).unwrap();
        write(
            "compose.yaml",
            "include: [inc/compose.yaml]\nservices:\n  web:\n    extends: {file: base.yaml, service: base}\n    env_file: app.env\n",
        );
        write("base.yaml", "services:\n  base:\n    image: busybox\n");
        write("inc/compose.yaml", "services:\n  db:\n    image: busybox\n");
        write("app.env", "A=1\n");
        write(".env", "B=2\n");
        let opts = LoadOptions {
            files: vec![ConfigSource::Path(at("compose.yaml"))],
            project_name: Some("p".into()),
            ..Default::default()
        };
        let l = load(&opts).unwrap();
        let mut got = l.inputs();
        got.sort();
        let mut want = vec![
            at("compose.yaml"),
            at("base.yaml"),
            at("inc/compose.yaml"),
            at("app.env"),
            at(".env"),
        ];
        want.sort();
        assert_eq!(got, want);
    }
}
