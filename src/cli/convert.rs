//! `rcompose convert --to kubernetes [-o DIR]`: the resolved project as another orchestrator's
//! objects. One YAML stream (`---` between documents) on standard output, or with `-o DIR` one
//! file per object, `<kind>-<name>.yaml`; what the target cannot express is printed on standard
//! error as `WARN: services.<svc>.<key>: <reason>`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use super::{exit, GlobalArgs};
use rcompose::app::config;
use rcompose::app::convert::kubernetes::{self, Manifest};
use rcompose::model::yaml_out;

/// What `convert --to` writes.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Target {
    /// Kubernetes objects (Namespace, Deployments/StatefulSets, Services, claims, ConfigMaps,
    /// Secrets), valid for Kubernetes 1.30 and later.
    Kubernetes,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The orchestrator to convert for.
    #[arg(long = "to", value_enum, value_name = "TARGET")]
    pub to: Target,
    /// Write one file per object (`<kind>-<name>.yaml`) into this directory instead of one YAML
    /// stream on standard output.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
}

pub fn run(global: &GlobalArgs, args: ConvertArgs) -> Result<i32> {
    let loaded = config::load(&global.load_options(&[])?)?;
    for w in &loaded.warnings.0 {
        eprintln!("WARN: {w}");
    }
    let converted = match args.to {
        Target::Kubernetes => kubernetes::convert(&loaded.project, &|p: &Path| std::fs::read(p))?,
    };
    for w in &converted.warnings {
        eprintln!("WARN: {w}");
    }
    match &args.output {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let mut out = std::io::stdout().lock();
            for m in &converted.manifests {
                let path = dir.join(m.file_name());
                std::fs::write(&path, yaml_out::to_string(&m.object))
                    .with_context(|| format!("cannot write {}", path.display()))?;
                let _ = writeln!(out, "{}", path.display());
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = out.write_all(stream(&converted.manifests).as_bytes());
        }
    }
    Ok(exit::OK)
}

/// The manifests as one multi-document YAML stream.
pub fn stream(manifests: &[Manifest]) -> String {
    let docs: Vec<String> = manifests
        .iter()
        .map(|m| yaml_out::to_string(&m.object))
        .collect();
    docs.join("---\n")
}
