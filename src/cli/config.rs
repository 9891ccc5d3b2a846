//! `rcompose config`: print the resolved project, or facts about it.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use super::{exit, GlobalArgs};
use rcompose::app::config;
use rcompose::app::types::load::Loaded;

#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Yaml,
    Json,
}

#[derive(Debug, Args, Default)]
pub struct ConfigArgs {
    /// Output format: yaml (the default) or json; `--variables` prints a table without it.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Only validate the configuration, print nothing.
    #[arg(short, long)]
    pub quiet: bool,
    /// Print the service names, one per line.
    #[arg(long)]
    pub services: bool,
    /// Print the volume names, one per line.
    #[arg(long)]
    pub volumes: bool,
    /// Print the network names, one per line.
    #[arg(long)]
    pub networks: bool,
    /// Print the image names, one per line.
    #[arg(long)]
    pub images: bool,
    /// Print the profile names, one per line.
    #[arg(long)]
    pub profiles: bool,
    /// Print the model names (the `model` of each top-level model a service uses), one per line.
    #[arg(long)]
    pub models: bool,
    /// Print the config hash of the named services (`*` for all), one `service hash` per line.
    #[arg(long, value_name = "SERVICES")]
    pub hash: Option<String>,
    /// Print the variables the model uses, with their defaults.
    #[arg(long)]
    pub variables: bool,
    /// Print the interpolation environment.
    #[arg(long)]
    pub environment: bool,
    /// Say where a variable's value came from (shell, --env-file, .env, default, unset).
    #[arg(long, value_name = "VAR")]
    pub explain: Option<String>,
    /// Don't interpolate environment variables.
    #[arg(long)]
    pub no_interpolate: bool,
    /// Don't normalise the model to its canonical form.
    #[arg(long)]
    pub no_normalize: bool,
    /// Don't check the model's consistency.
    #[arg(long)]
    pub no_consistency: bool,
    /// Don't resolve env_file into environment.
    #[arg(long)]
    pub no_env_resolution: bool,
    /// Don't resolve file paths (build contexts, bind sources, env and secret files stay as
    /// written).
    #[arg(long)]
    pub no_path_resolution: bool,
    /// Pin image tags to digests (asks each image's registry).
    #[arg(long)]
    pub resolve_image_digests: bool,
    /// Print an override file that pins every service's image to its digest.
    #[arg(long)]
    pub lock_image_digests: bool,
    /// An unset variable is an error instead of a warning.
    #[arg(long)]
    pub strict: bool,
    /// Write the configuration to this file instead of standard output (the listings and
    /// facts are printed as usual).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Services to include (default: all enabled).
    pub service_names: Vec<String>,
}

pub fn run(global: &GlobalArgs, args: ConfigArgs) -> Result<i32> {
    let mut opts = global.load_options(&args.service_names)?;
    opts.no_interpolate = args.no_interpolate;
    opts.no_normalize = args.no_normalize;
    opts.no_consistency = args.no_consistency;
    // The listings and facts read the project without the services' env files, as v5 does.
    opts.no_env_resolution = args.no_env_resolution || listing_only(&args);
    opts.no_path_resolution = args.no_path_resolution;
    opts.select_services = true;
    opts.strict = args.strict;
    // docker compose prints its model map, not the project, when it does not interpolate; its
    // `--variables` reads that map too.
    opts.model_only =
        (args.no_interpolate && !listing(&args) && !args.lock_image_digests) || args.variables;
    if args.variables {
        opts.no_interpolate = true;
        opts.skip_validation = true;
    }
    let mut loaded = config::load(&opts)?;
    if args.profiles {
        // Every service's profiles, active or not: v5 loads the project as usual (so a missing
        // env file still fails it), then reads the services its profiles leave out too.
        let mut all = opts.clone();
        all.model_only = true;
        loaded.tree = config::load(&all)?.tree;
    }
    for w in &loaded.warnings.0 {
        eprintln!("WARN: {w}");
    }
    if (args.resolve_image_digests || args.lock_image_digests) && !listing(&args) {
        pin_images(&mut loaded, opts.model_only)?;
    }
    // The process ends right after this command: leave the project's memory to the OS instead
    // of freeing every node of it (2% of a large `config -q`).
    let loaded = std::mem::ManuallyDrop::new(loaded);
    if args.quiet {
        return Ok(exit::OK);
    }
    let text = render(&loaded, &args)?;
    // v5 writes only the configuration itself to `-o`; a listing still goes to stdout.
    match args.output.as_ref().filter(|_| !listing(&args)) {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = out.write_all(text.as_bytes());
        }
    }
    Ok(exit::OK)
}

/// Whether the command prints a listing or a fact instead of the configuration.
fn listing(args: &ConfigArgs) -> bool {
    args.services
        || args.volumes
        || args.networks
        || args.images
        || args.profiles
        || args.models
        || args.hash.is_some()
        || args.variables
        || args.environment
        || args.explain.is_some()
}

/// The listings that v5 reads without resolving the services' env files (`--images`,
/// `--profiles` and `--hash` read them: a missing env file fails them).
fn listing_only(args: &ConfigArgs) -> bool {
    args.services || args.volumes || args.networks || args.models
}

fn lines<I: IntoIterator<Item = String>>(items: I) -> String {
    let mut s = String::new();
    for i in items {
        s.push_str(&i);
        s.push('\n');
    }
    s
}

/// The service names as `docker compose config --services` prints them (compose-go
/// `ForEachService` over the sorted names): each service after its dependencies, depth first,
/// dependencies and ties in name order. Iterative, so a long chain cannot overflow the stack; a
/// service already on the way (a cycle under `--no-consistency`) is not visited twice.
fn services_in_dependency_order(p: &rcompose::model::Project) -> Vec<String> {
    let deps_of = |name: &str| -> Vec<String> {
        let mut deps: Vec<String> = p
            .services
            .get(name)
            .map(|s| {
                s.depends_on
                    .keys()
                    .filter(|d| p.services.contains_key(d.as_str()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        deps.sort();
        deps
    };
    let mut names: Vec<String> = p.services.keys().cloned().collect();
    names.sort();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(names.len());
    for root in names {
        if !seen.insert(root.clone()) {
            continue;
        }
        // (service, its dependencies, how many of them are done)
        let mut stack = vec![(root.clone(), deps_of(&root), 0usize)];
        while let Some((name, deps, next)) = stack.last_mut() {
            if let Some(dep) = deps.get(*next).cloned() {
                *next += 1;
                if seen.insert(dep.clone()) {
                    let d = deps_of(&dep);
                    stack.push((dep, d, 0));
                }
            } else {
                out.push(std::mem::take(name));
                stack.pop();
            }
        }
    }
    out
}

/// `--resolve-image-digests` / `--lock-image-digests`: pins every service's image to its
/// registry digest, asked through the engine.
/// With `model_map` (`--no-interpolate`), the images of the model map are pinned.
fn pin_images(loaded: &mut Loaded, model_map: bool) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        // The engine is asked only when some image has no digest yet (v5 connects only then).
        let engine = if config::needs_digests(loaded, model_map) {
            Some(super::context::connect().await?)
        } else {
            None
        };
        config::pin_image_digests(engine.as_deref(), loaded, model_map).await?;
        Ok(())
    })
}

fn render(loaded: &Loaded, args: &ConfigArgs) -> Result<String> {
    let p = &loaded.project;
    if args.services {
        return Ok(lines(services_in_dependency_order(p)));
    }
    if args.volumes {
        return Ok(lines(p.volumes.keys().cloned()));
    }
    if args.networks {
        return Ok(lines(p.networks.keys().cloned()));
    }
    if args.images {
        return Ok(lines(config::image_list(p)));
    }
    if args.models {
        let mut all: Vec<String> = p
            .services
            .values()
            .flat_map(|s| s.models.keys())
            .filter_map(|k| p.models.get(k))
            .filter_map(|m| m.model.clone())
            .collect();
        all.sort();
        all.dedup();
        return Ok(lines(all));
    }
    if args.profiles {
        return Ok(lines(config::all_profiles(&loaded.tree)));
    }
    if let Some(which) = &args.hash {
        let wanted: Vec<&str> = which.split(',').map(str::trim).collect();
        // The planner's own hashes: exactly the `com.docker.compose.config-hash` labels `up`
        // writes.
        let hashes = config::hashes(p, &wanted).map_err(|e| match e {
            config::HashError::Load(l) => anyhow::Error::from(l),
            config::HashError::Plan(p) => anyhow::Error::from(p),
        })?;
        return Ok(lines(hashes.into_iter().map(|(n, h)| format!("{n} {h}"))));
    }
    if args.variables {
        return Ok(match args.format {
            // The docker CLI's tabwriter: cells at least 20 wide, 3 spaces of padding.
            None => super::list::tabwrite(&config::variables_rows(loaded), 20, 3),
            Some(Format::Json) => config::variables_json(loaded),
            Some(Format::Yaml) => config::variables_yaml(loaded),
        });
    }
    if args.environment {
        return Ok(lines(
            config::environment(loaded)
                .into_iter()
                .map(|(k, v)| format!("{k}={v}")),
        ));
    }
    if let Some(var) = &args.explain {
        return Ok(config::explain(loaded, var));
    }
    if args.lock_image_digests {
        let text = config::lock_override(p, args.format == Some(Format::Json));
        return Ok(if args.no_interpolate {
            text
        } else {
            escape_dollars(&text)
        });
    }
    if args.no_interpolate {
        // docker compose prints the model map (every mapping sorted), as it is.
        return Ok(config::model_text(
            &loaded.tree,
            args.format == Some(Format::Json),
        ));
    }
    let text = match args.format.unwrap_or_default() {
        Format::Yaml => p.to_yaml(),
        Format::Json => p.to_json(),
    };
    Ok(if args.no_interpolate {
        text
    } else {
        escape_dollars(&text)
    })
}

/// The interpolated document is printed so that it can be read back as a compose file with the
/// same meaning: every `$` is doubled, as docker compose's `escapeDollarSign` does (a literal `$`
/// in a value would otherwise start a variable reference on the next load). The model keeps the
/// real values; only the printed text is escaped.
fn escape_dollars(text: &str) -> String {
    text.replace('$', "$$")
}
