//! The image commands the CLI and library users call: `build`, `pull`, `push`. Each one plans with
//! `plan::images` (pure) and runs the plan through the same dispatcher and `EngineDriver` as `up`:
//! the parallel limit, progress events and Ctrl-C work the same, and a service's build is the
//! very build `up --build` does (`context::build_spec`). The build flags (`--no-cache`, `--pull`,
//! `--build-arg`) are applied to the services' `build:` sections before planning, as docker
//! compose does.
//!
//! `build` and `pull` hold the project's lock (`lock`) while they run, like every command that
//! changes what the engine has; `push` changes nothing locally and takes none.
//! Must not import `loader` or `cli`.

use std::sync::Arc;

use crate::model::Project;
use crate::plan::images::{BuildSelection, PullSelection, PushSelection};
use crate::plan::{
    self, desired_of, plan_images, with_default_network, Action, Desired, ImageIntent, ImagePlan,
    Observed,
};

use super::cancel::Cancel;
use super::engine_driver::EngineDriver;
use super::ops::{observed, EngineRef};
use super::reporter::{ExecEvent, Reporter};
use super::{run_plan, ExecError, ExecOptions, RunReport, StepFailure};

/// `build` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildOptions {
    pub selection: BuildSelection,
    /// `--no-cache`.
    pub no_cache: bool,
    /// `--pull`: always try to pull a newer base image.
    pub pull: bool,
    /// `--build-arg KEY=VAL` (`Some`) or `--build-arg KEY` (`None`: the value comes from the
    /// project's environment, and the argument is left alone when it is not set there).
    pub args: Vec<(String, Option<String>)>,
    /// `-m/--memory`: the memory limit of the build containers, in bytes.
    pub memory: Option<i64>,
    pub dry_run: bool,
    /// Engine calls in flight at once; 0 = the default (the CLI fills in
    /// `--parallel` / `COMPOSE_PARALLEL_LIMIT`).
    pub parallel: usize,
}

/// `pull` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullOptions {
    pub selection: PullSelection,
    /// `--ignore-pull-failures`: a failed pull is reported, not an error.
    pub ignore_failures: bool,
    pub dry_run: bool,
    pub parallel: usize,
}

/// `push` options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushOptions {
    pub selection: PushSelection,
    /// `--ignore-push-failures`.
    pub ignore_failures: bool,
    pub dry_run: bool,
    pub parallel: usize,
}

/// What an image command did (or, with `dry_run`, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageOutcome {
    pub plan: ImagePlan,
    /// What happened to each step (empty for a dry run).
    pub report: RunReport,
    pub dry_run: bool,
    /// Failures that `--ignore-*-failures` let pass.
    pub ignored: Vec<StepFailure>,
}

fn parallel_of(p: usize) -> usize {
    if p > 0 {
        p
    } else {
        ExecOptions::parallel_from(None, None)
    }
}

fn named(project: &Project) -> Result<(), ExecError> {
    if project.name.is_empty() {
        return Err(ExecError::Plan(plan::PlanError::Invalid(
            "the project has no name; set `name:` or pass -p".into(),
        )));
    }
    Ok(())
}

/// The desired state of `project` as the planner sees it.
fn desired(project: &Project) -> Result<(Project, Desired), ExecError> {
    let p = with_default_network(project);
    let mut d = desired_of(&p)?;
    d.project = project.name.clone();
    Ok((p, d))
}

/// The project with `build`'s flags applied to every `build:` section: `--no-cache` and `--pull`
/// switch those options on, `--build-arg`s override the file's `args`.
pub fn with_build_flags(project: &Project, opts: &BuildOptions) -> Project {
    let mut p = project.clone();
    let env = project.environment.clone();
    for svc in p.services.values_mut() {
        let Some(build) = svc.build.as_mut() else {
            continue;
        };
        build.no_cache |= opts.no_cache;
        build.pull |= opts.pull;
        if opts.memory.is_some() {
            build.memory = opts.memory;
        }
        for (key, value) in &opts.args {
            let value = value.clone().or_else(|| env.get(key).cloned());
            if let Some(v) = value {
                build.args.insert(key.clone(), Some(v));
            }
        }
    }
    p
}

/// Runs an image plan (or, dry, returns it) and sorts its failures into errors and ignored ones.
#[allow(clippy::too_many_arguments)]
async fn run_images(
    engine: EngineRef,
    project: Project,
    desired: Desired,
    plan: ImagePlan,
    parallel: usize,
    dry_run: bool,
    ignore_failures: bool,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<ImageOutcome, ExecError> {
    if dry_run {
        return Ok(ImageOutcome {
            plan,
            report: RunReport::default(),
            dry_run: true,
            ignored: Vec::new(),
        });
    }
    let driver = Arc::new(EngineDriver::new(
        engine,
        &project.name,
        Some(Arc::new(project.clone())),
        Some(Arc::new(desired)),
    ));
    let opts = ExecOptions {
        parallel: parallel_of(parallel),
        wait: None,
    };
    let mut wording = PullWording { inner: reporter };
    let mut report = run_plan(&plan.plan, driver, &mut wording, opts, cancel).await;
    for f in &mut report.failed {
        f.error = pull_wording(&f.error);
    }
    let ignored = if ignore_failures && !report.cancelled_by_user {
        std::mem::take(&mut report.failed)
    } else {
        Vec::new()
    };
    let report = report.into_result()?;
    Ok(ImageOutcome {
        plan,
        report,
        dry_run: false,
        ignored,
    })
}

/// `build`: builds the images of the selected services that have a `build:` section, in
/// parallel (a service after the services it depends on), tagged `<project>-<service>` or with
/// `image:`, plus `build.tags`, labelled with the project and service.
pub async fn build(
    engine: EngineRef,
    project: &Project,
    opts: &BuildOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<ImageOutcome, ExecError> {
    named(project)?;
    let project = with_build_flags(project, opts);
    let (project, desired) = desired(&project)?;
    let intent = ImageIntent::Build(opts.selection.clone());
    let plan = plan_images(&desired, &Observed::default(), &intent)?;
    let _lock = super::ops::lock_project(
        &engine,
        &project.name,
        "build",
        opts.dry_run,
        reporter,
        &cancel,
    )
    .await?;
    run_images(
        engine,
        project,
        desired,
        plan,
        opts.parallel,
        opts.dry_run,
        false,
        reporter,
        cancel,
    )
    .await
}

/// `pull`: pulls the images of the selected services as docker compose chooses them
/// (`plan::images`). A service that cannot be pulled but can be built is named in a warning
/// (`rcompose build <service>`).
pub async fn pull(
    engine: EngineRef,
    project: &Project,
    opts: &PullOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<ImageOutcome, ExecError> {
    named(project)?;
    let (project, desired) = desired(project)?;
    let _lock = super::ops::lock_project(
        &engine,
        &project.name,
        "pull",
        opts.dry_run,
        reporter,
        &cancel,
    )
    .await?;
    let observed = observed(&engine, &project.name).await?;
    let intent = ImageIntent::Pull(opts.selection.clone());
    let plan = plan_images(&desired, &observed, &intent)?;
    let buildable: Vec<String> = desired
        .services
        .values()
        .filter(|s| s.has_build)
        .map(|s| s.name.clone())
        .collect();
    let steps = plan.plan.clone();
    let r = run_images(
        engine,
        project,
        desired,
        plan,
        opts.parallel,
        opts.dry_run,
        opts.ignore_failures,
        reporter,
        cancel,
    )
    .await;
    let failed: Vec<StepFailure> = match &r {
        Ok(o) => o.ignored.clone(),
        Err(ExecError::Failed { failures, .. }) => failures.clone(),
        Err(_) => Vec::new(),
    };
    let must_build: Vec<String> = failed
        .iter()
        .filter_map(|f| match steps.steps.get(f.step).map(|s| &s.action) {
            Some(Action::PullImage { service, .. }) if buildable.contains(service) => {
                Some(service.clone())
            }
            _ => None,
        })
        .collect();
    if !must_build.is_empty() {
        reporter.report(ExecEvent::Warning(format!(
            "some service image(s) must be built from source by running: rcompose build {}",
            must_build.join(" ")
        )));
    }
    r
}

/// `push`: pushes `image:` (and `build.tags`) of the selected services that are built by
/// compose, with the registry credentials of the docker config file (else anonymously).
pub async fn push(
    engine: EngineRef,
    project: &Project,
    opts: &PushOptions,
    reporter: &mut dyn Reporter,
    cancel: Cancel,
) -> Result<ImageOutcome, ExecError> {
    named(project)?;
    let (project, desired) = desired(project)?;
    let intent = ImageIntent::Push(opts.selection.clone());
    let plan = plan_images(&desired, &Observed::default(), &intent)?;
    run_images(
        engine,
        project,
        desired,
        plan,
        opts.parallel,
        opts.dry_run,
        opts.ignore_failures,
        reporter,
        cancel,
    )
    .await
}

/// The driver words a failed pull for `up` ("service web needs image x, which is not present
/// locally and cannot be pulled: ..."); for `pull` the image may well be present: just "service
/// web: cannot pull image x: ...".
fn pull_wording(error: &str) -> String {
    match (
        error.strip_prefix("service "),
        error.split_once(" cannot be pulled: "),
    ) {
        (Some(rest), Some((_, reason))) if error.contains(" needs image ") => {
            let service = rest.split(' ').next().unwrap_or(rest);
            format!("service {service}: {reason}")
        }
        _ => error.to_string(),
    }
}

/// Passes events on, with failed pulls worded for `pull` ([`pull_wording`]).
struct PullWording<'a> {
    inner: &'a mut dyn Reporter,
}

impl Reporter for PullWording<'_> {
    fn report(&mut self, event: ExecEvent) {
        let event = match event {
            ExecEvent::Failed {
                step,
                what,
                subject,
                error,
            } => ExecEvent::Failed {
                step,
                what,
                subject,
                error: pull_wording(&error),
            },
            other => other,
        };
        self.inner.report(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::RecordingReporter;
    use crate::engine::fake::FakeEngine;
    use crate::engine::prelude::*;

    fn project(yaml: &str) -> Project {
        let tree: serde_yaml::Value = serde_yaml::from_str(yaml).unwrap_or_default();
        Project::from_value(tree).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn build_flags_reach_the_build_spec() -> Result<(), String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n")
            .map_err(|e| e.to_string())?;
        let mut p = project(&format!(
            "name: p\nservices:\n  web:\n    build:\n      context: {}\n      args:\n        A: file\n        B: file\n  db:\n    image: x\n",
            dir.path().display()
        ));
        p.environment.insert("FROM_ENV".into(), "env-value".into());
        let opts = BuildOptions {
            no_cache: true,
            pull: true,
            args: vec![
                ("A".into(), Some("cli".into())),
                ("FROM_ENV".into(), None),
                ("UNSET".into(), None),
            ],
            memory: Some(64 << 20),
            ..Default::default()
        };
        let p = with_build_flags(&p, &opts);
        let web = p.services.get("web").cloned().unwrap_or_default();
        let spec = super::super::context::build_spec(&p, &web)?;
        assert!(spec.no_cache && spec.pull);
        assert_eq!(spec.memory, Some(64 << 20));
        assert_eq!(spec.tags, vec!["p-web".to_string()]);
        let arg = |k: &str| spec.args.get(k).cloned().flatten();
        assert_eq!(arg("A").as_deref(), Some("cli"));
        assert_eq!(arg("B").as_deref(), Some("file"));
        assert_eq!(arg("FROM_ENV").as_deref(), Some("env-value"));
        assert!(!spec.args.contains_key("UNSET"));
        assert_eq!(
            spec.labels
                .get(crate::plan::labels::SERVICE)
                .map(String::as_str),
            Some("web")
        );
        assert!(spec.labels.contains_key(crate::plan::labels::VERSION));
        // Services without `build:` are untouched.
        assert!(p.services.get("db").is_some_and(|s| s.build.is_none()));
        Ok(())
    }

    #[tokio::test]
    async fn pull_reports_buildable_failures_and_can_ignore_them() -> Result<(), ExecError> {
        let fake = FakeEngine::new();
        fake.allow_pull("redis:7");
        let p = project(
            "name: p\nservices:\n  cache:\n    image: redis:7\n  app:\n    image: reg.test/p/app:1\n    build: /nonexistent\n",
        );
        let engine: EngineRef = Arc::new(fake.clone());
        let mut rec = RecordingReporter::new();
        let e = pull(
            engine.clone(),
            &p,
            &PullOptions::default(),
            &mut rec,
            Cancel::new(),
        )
        .await;
        assert!(
            matches!(&e, Err(ExecError::Failed { failures, .. }) if failures.len() == 1
                && failures[0].error.starts_with("service app: cannot pull image reg.test/p/app:1")),
            "{e:?}"
        );
        let warned = rec.take().iter().any(|ev| {
            matches!(ev, ExecEvent::Warning(w) if w.contains("must be built from source") && w.contains("rcompose build app"))
        });
        assert!(warned, "no must-build warning");
        assert!(fake.image_exists("redis:7").await.unwrap_or(false));

        let opts = PullOptions {
            ignore_failures: true,
            ..Default::default()
        };
        let o = pull(engine, &p, &opts, &mut rec, Cancel::new()).await?;
        assert_eq!(o.ignored.len(), 1);
        Ok(())
    }

    #[tokio::test]
    async fn push_sends_every_name_of_a_built_image() -> Result<(), ExecError> {
        let fake = FakeEngine::new();
        fake.add_registry("reg.test");
        fake.add_image("reg.test/p/app:1");
        fake.add_image("reg.test/p/app:extra");
        let p = project(
            "name: p\nservices:\n  app:\n    image: reg.test/p/app:1\n    build:\n      context: /x\n      tags: [reg.test/p/app:extra]\n  db:\n    image: redis:7\n",
        );
        let engine: EngineRef = Arc::new(fake.clone());
        let o = push(
            engine,
            &p,
            &PushOptions::default(),
            &mut RecordingReporter::new(),
            Cancel::new(),
        )
        .await?;
        let mut pushed = fake.calls_of("push");
        pushed.sort();
        assert_eq!(pushed, vec!["reg.test/p/app:1", "reg.test/p/app:extra"]);
        assert_eq!(o.plan.skipped.len(), 1, "db is skipped");
        Ok(())
    }

    #[test]
    fn failed_pulls_are_worded_for_the_pull_command() {
        let up = "service web needs image x:1, which is not present locally and cannot be pulled: cannot pull image x:1: manifest unknown; build it locally or check the image name";
        assert_eq!(
            pull_wording(up),
            "service web: cannot pull image x:1: manifest unknown; build it locally or check the image name"
        );
        let other = "service web: cannot build image p-web: boom";
        assert_eq!(pull_wording(other), other);
    }
}
