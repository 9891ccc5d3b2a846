//! `rcompose publish REPOSITORY[:TAG]` and the `-f oci://REF` files: the flags, the process's
//! directories (the docker config, the cache the artifacts are pulled into), the confirmations on
//! the terminal, and v5's progress lines. The work is `app::publish`.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{exit, GlobalArgs};
use rcompose::app::publish::{
    self, OciVersion, PublishError, PublishOptions, RegistryError, RegistryOptions,
};
use rcompose::app::types::load::{ErrorKind, LoadError};

#[derive(Debug, Args, Default)]
pub struct PublishArgs {
    /// Published compose application (includes referenced images).
    #[arg(long)]
    pub app: bool,
    /// Execute command in dry run mode.
    #[arg(long)]
    pub dry_run: bool,
    /// OCI image/artifact specification version (automatically determined by default).
    #[arg(long, value_name = "VERSION")]
    pub oci_version: Option<String>,
    /// Pin image tags to digests.
    #[arg(long)]
    pub resolve_image_digests: bool,
    /// Include environment variables in the published OCI artifact.
    #[arg(long)]
    pub with_env: bool,
    /// Assume "yes" as answer to all prompts.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Use insecure registry (plain HTTP; loopback registries always are).
    #[arg(long, hide = true)]
    pub insecure_registry: bool,
    /// `REPOSITORY[:TAG]`.
    #[arg(value_name = "REPOSITORY[:TAG]")]
    pub repository: String,
}

fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
}

/// `DOCKER_CONFIG`, else `~/.docker`.
fn docker_config_dir() -> Option<PathBuf> {
    std::env::var_os("DOCKER_CONFIG")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| home_dir().map(|h| h.join(".docker")))
}

/// Where pulled applications are kept: docker compose v5's cache, `$XDG_CACHE_HOME/docker-compose`
/// (else `~/.cache/docker-compose`), one directory per manifest digest in the same layout, so
/// either tool reuses what the other pulled and the paths `config` prints are the same.
fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| home_dir().map(|h| h.join(".cache")))
        .unwrap_or_else(std::env::temp_dir)
        .join("docker-compose")
}

pub fn is_remote(file: &str) -> bool {
    publish::is_remote(file)
}

/// `-f oci://REF`: the local `compose.yaml` it was pulled into.
pub fn fetch(file: &str, insecure: &[String]) -> Result<PathBuf, LoadError> {
    let enabled = std::env::var("COMPOSE_EXPERIMENTAL_OCI_REMOTE").ok();
    if let Some(v) = enabled.as_deref().filter(|v| !v.is_empty()) {
        if matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "f") {
            return Err(LoadError::new(
                ErrorKind::Usage,
                format!("{file}: OCI remote resource is disabled by \"COMPOSE_EXPERIMENTAL_OCI_REMOTE\""),
            ));
        }
    }
    let registry = RegistryOptions {
        insecure: insecure.to_vec(),
        docker_config_dir: docker_config_dir(),
    };
    publish::fetch_remote(file, &cache_dir(), &registry).map_err(|e| {
        let reference = file.strip_prefix("oci://").unwrap_or(file);
        LoadError::new(
            ErrorKind::Io,
            format!(
                "failed to pull OCI resource {reference:?}: {e}{}",
                tls_hint(&e)
            ),
        )
    })
}

/// What to do when a registry reached over HTTPS could not be: it may serve plain HTTP.
fn tls_hint(e: &PublishError) -> String {
    match e {
        PublishError::Registry(RegistryError::Unreachable { url, .. })
            if url.starts_with("https://") =>
        {
            let host = url
                .trim_start_matches("https://")
                .split('/')
                .next()
                .unwrap_or_default();
            format!(
                "\n  hint: a registry that serves plain HTTP must be named: --insecure-registry {host}"
            )
        }
        _ => String::new(),
    }
}

/// Asks on the terminal; anything but `y`/`yes` (or the end of the input) is a no.
fn confirm(message: &str) -> bool {
    eprint!("{message} [y/N]: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).unwrap_or(0) == 0 {
        eprintln!();
        return false;
    }
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

pub fn run(
    global: &GlobalArgs,
    rt: &super::args::RuntimeGlobals,
    args: PublishArgs,
) -> Result<i32> {
    let oci_version = match &args.oci_version {
        None => None,
        Some(v) if v.is_empty() => None,
        Some(v) => Some(v.parse::<OciVersion>()?),
    };
    // A bad reference is an error before anything is read or asked.
    let host = publish::registry_host(&args.repository)?;
    let dry_run = args.dry_run || rt.dry_run;
    let mut opts = global.load_options(&[])?;
    // Every service is published, whatever the active profiles.
    opts.profiles = vec!["*".to_string()];
    let loaded = rcompose::app::config::load(&opts)?;
    for w in &loaded.warnings.0 {
        eprintln!("WARN: {w}");
    }
    let mut insecure = global.insecure_registry.clone();
    if args.insecure_registry {
        insecure.push(host);
    }
    let options = PublishOptions {
        repository: args.repository.clone(),
        oci_version,
        with_env: args.with_env,
        yes: args.yes,
        dry_run,
        resolve_image_digests: args.resolve_image_digests,
        app: args.app,
        compose_version: rcompose::model::labels::COMPOSE_VERSION.to_string(),
        registry: RegistryOptions {
            insecure,
            docker_config_dir: docker_config_dir(),
        },
    };
    match publish::pre_checks(&loaded.project, &options, &mut confirm) {
        Ok(()) => {}
        Err(PublishError::Canceled) => return Ok(exit::INTERRUPTED),
        Err(e) => return Err(anyhow::anyhow!("publish {}: {e}", args.repository)),
    }
    // The images the project builds go to their registries first (v5 does this too).
    let builds_images = loaded
        .project
        .services
        .values()
        .any(|s| s.build.is_some() && s.image.as_deref().is_some_and(|i| !i.is_empty()));
    if builds_images {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        runtime.block_on(super::images::push_for_publish(
            &loaded.project,
            rt,
            dry_run,
        ))?;
    }
    match publish::push_artifact(&loaded.project, &options) {
        Ok(_) => {
            eprintln!(" {} publishing", args.repository);
            eprintln!(" {} published", args.repository);
            Ok(exit::OK)
        }
        Err(PublishError::Canceled) => Ok(exit::INTERRUPTED),
        Err(e) => Err(anyhow::anyhow!(
            "publish {}: {e}{}",
            args.repository,
            tls_hint(&e)
        )),
    }
}
