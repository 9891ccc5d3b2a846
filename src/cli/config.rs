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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,
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
    /// An unset variable is an error instead of a warning.
    #[arg(long)]
    pub strict: bool,
    /// Write the output to this file instead of standard output.
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
    opts.no_env_resolution = args.no_env_resolution;
    opts.select_services = true;
    opts.strict = args.strict;
    // docker compose prints its model map, not the project, when it does not interpolate.
    opts.model_only = args.no_interpolate && !listing(&args);
    if args.profiles {
        // Every profile, whichever are active.
        opts.profiles = vec!["*".to_string()];
    }
    let loaded = config::load(&opts)?;
    for w in &loaded.warnings.0 {
        eprintln!("WARN: {w}");
    }
    // The process ends right after this command: leave the project's memory to the OS instead
    // of freeing every node of it (2% of a large `config -q`).
    let loaded = std::mem::ManuallyDrop::new(loaded);
    if args.quiet {
        return Ok(exit::OK);
    }
    let text = render(&loaded, &args)?;
    match &args.output {
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
        return Ok(lines(p.services.iter().map(|(_, s)| s.image_name(&p.name))));
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
        let mut all: Vec<String> = p
            .services
            .values()
            .flat_map(|s| s.profiles.iter().cloned())
            .collect();
        all.sort();
        all.dedup();
        return Ok(lines(all));
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
        return Ok(config::variables_table(loaded));
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
    if args.no_interpolate {
        // docker compose prints the model map (every mapping sorted), as it is.
        return Ok(config::model_text(
            &loaded.tree,
            args.format == Format::Json,
        ));
    }
    let text = match args.format {
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
