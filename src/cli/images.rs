//! The image commands: `build`, `pull`, `push` (run by `app::images` in the runtime's `Session`:
//! progress reporter, parallel limit, `--dry-run` and Ctrl-C handling) and `images` (the images
//! of the project's containers, read by `app::query::images`: a table like docker compose's,
//! JSON, or IDs with `-q`).
//!
//! The text of `images` comes from pure functions (`render_table`, `render_json`,
//! `render_quiet`, `human_size`), tested here. Must not import `engine::docker` directly (the
//! engine comes from `context::connect`).

use std::io::Write;
use std::sync::Arc;

use anyhow::Result;

use super::args::{BuildArgs, ImagesArgs, ListFormat, PullArgs, PushArgs, RuntimeGlobals};
use super::context;
use super::progress::{ProgressReporter, Style};
use super::read;
use super::render::{self, Line};
use super::runtime::{self, Session};
use super::{exit, GlobalArgs};
use rcompose::app::images::{self as ops, ImageOutcome};
use rcompose::app::query::{self, ImageRow};
use rcompose::app::types::plan::{BuildSelection, PullSelection, PushSelection, Skipped};
use rcompose::app::Cancel;

fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// The runtime's session for an image command (quiet: no progress display) and its Ctrl-C
/// driven cancel handle (first press graceful, second forced).
async fn session(rt: &RuntimeGlobals, quiet: bool) -> Result<(Session, Cancel)> {
    let mut s = runtime::session(rt).await?;
    if quiet {
        s.reporter = ProgressReporter::new(Style::Quiet);
    }
    let cancel = s.cancel();
    Ok((s, cancel))
}

/// Ends the progress display; prints the plan of a dry run and the skipped services.
fn finish_images(s: &mut Session, outcome: &ImageOutcome, show_skipped: bool) {
    if show_skipped && !outcome.dry_run {
        for skipped in &outcome.plan.skipped {
            s.reporter.note(&render::plain(&skipped_line(skipped)));
        }
    }
    s.reporter.finish();
    if outcome.dry_run {
        print(&outcome.plan.render());
    }
}

/// `Image busybox:stable  Skipped (Image is already present locally)`; `Service x ...` when
/// the service has no image.
fn skipped_line(s: &Skipped) -> Line {
    let (kind, name) = match &s.image {
        Some(i) => ("Image", i.clone()),
        None => ("Service", s.service.clone()),
    };
    Line {
        kind,
        name,
        status: "Skipped".to_string(),
        detail: Some(s.reason.clone()),
        error: false,
        done: true,
    }
}

/// `build [SERVICE...]`.
pub async fn build(global: &GlobalArgs, rt: &RuntimeGlobals, args: BuildArgs) -> Result<i32> {
    let project = super::runtime::load(global, &args.services)?.project;
    let (mut s, cancel) = session(rt, args.quiet).await?;
    let buildkit = args.buildkit.given();
    if !buildkit.is_empty() && !args.quiet {
        s.reporter.note(&format!(
            "WARN: {} need BuildKit (docker buildx); rcompose builds with the engine's classic \
             builder, as docker compose does without buildx: ignored",
            buildkit.join(", ")
        ));
    }
    let opts = ops::BuildOptions {
        selection: BuildSelection {
            services: args.services.clone(),
            with_dependencies: args.with_dependencies,
        },
        no_cache: args.no_cache,
        pull: args.pull,
        args: args.build_args.clone(),
        memory: args.memory,
        dry_run: s.dry_run,
        parallel: s.parallel,
    };
    let r = ops::build(
        Arc::clone(&s.engine),
        &project,
        &opts,
        &mut s.reporter,
        cancel.clone(),
    )
    .await;
    let outcome = match r {
        Ok(o) => o,
        Err(e) => {
            s.reporter.finish();
            return Err(e.into());
        }
    };
    finish_images(&mut s, &outcome, false);
    if !args.push {
        return Ok(exit::OK);
    }
    let push = ops::PushOptions {
        selection: PushSelection {
            services: args.services,
            include_deps: args.with_dependencies,
        },
        ignore_failures: false,
        dry_run: s.dry_run,
        parallel: s.parallel,
    };
    let r = ops::push(
        Arc::clone(&s.engine),
        &project,
        &push,
        &mut s.reporter,
        cancel.clone(),
    )
    .await;
    finish_with(&mut s, r, false)
}

fn finish_with(
    s: &mut Session,
    r: Result<ImageOutcome, rcompose::app::ExecError>,
    show_skipped: bool,
) -> Result<i32> {
    match r {
        Ok(o) => {
            finish_images(s, &o, show_skipped);
            Ok(exit::OK)
        }
        Err(e) => {
            s.reporter.finish();
            Err(e.into())
        }
    }
}

/// `pull [SERVICE...]`.
pub async fn pull(global: &GlobalArgs, rt: &RuntimeGlobals, args: PullArgs) -> Result<i32> {
    let project = super::runtime::load(global, &args.services)?.project;
    let (mut s, cancel) = session(rt, args.quiet).await?;
    let opts = ops::PullOptions {
        selection: PullSelection {
            services: args.services,
            include_deps: args.include_deps,
            ignore_buildable: args.ignore_buildable,
            policy: args.policy.map(|p| p.as_str().to_string()),
        },
        ignore_failures: args.ignore_pull_failures,
        dry_run: s.dry_run,
        parallel: s.parallel,
    };
    let r = ops::pull(
        Arc::clone(&s.engine),
        &project,
        &opts,
        &mut s.reporter,
        cancel.clone(),
    )
    .await;
    finish_with(&mut s, r, true)
}

/// `push [SERVICE...]`.
pub async fn push(global: &GlobalArgs, rt: &RuntimeGlobals, args: PushArgs) -> Result<i32> {
    let project = super::runtime::load(global, &args.services)?.project;
    let (mut s, cancel) = session(rt, args.quiet).await?;
    let opts = ops::PushOptions {
        selection: PushSelection {
            services: args.services,
            include_deps: args.include_deps,
        },
        ignore_failures: args.ignore_push_failures,
        dry_run: s.dry_run,
        parallel: s.parallel,
    };
    let r = ops::push(
        Arc::clone(&s.engine),
        &project,
        &opts,
        &mut s.reporter,
        cancel.clone(),
    )
    .await;
    finish_with(&mut s, r, true)
}

/// `publish`'s first step, as in docker compose v5: the images of the services that build one
/// are pushed (a failure is reported, not fatal).
pub async fn push_for_publish(
    project: &rcompose::model::Project,
    rt: &RuntimeGlobals,
    dry_run: bool,
) -> Result<i32> {
    let (mut s, cancel) = session(rt, false).await?;
    let opts = ops::PushOptions {
        selection: PushSelection::default(),
        ignore_failures: true,
        dry_run: s.dry_run || dry_run,
        parallel: s.parallel,
    };
    let r = ops::push(
        Arc::clone(&s.engine),
        project,
        &opts,
        &mut s.reporter,
        cancel.clone(),
    )
    .await;
    finish_with(&mut s, r, true)
}

/// `images [SERVICE...]`: works from the engine's labels (the project name is enough).
pub async fn images(global: &GlobalArgs, args: ImagesArgs) -> Result<i32> {
    let project = read::project_name(global, &args.services)?;
    let engine = context::connect().await?;
    let rows = query::images(engine.as_ref(), &project, &args.services).await?;
    let text = if args.quiet {
        render_quiet(&rows)
    } else {
        match args.format {
            ListFormat::Table => render_table(&rows, now()),
            ListFormat::Json => render_json(&rows),
        }
    };
    print(&text);
    Ok(exit::OK)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The CREATED cell: `2 hours ago`, `N/A` when the creation time is not known.
fn created_cell(created: &str, now: i64) -> String {
    match created.parse::<jiff::Timestamp>() {
        Ok(t) => super::list::ago(now, t.as_second()),
        Err(_) => "N/A".to_string(),
    }
}

/// `sha256:0123456789abcdef...` -> `0123456789ab`.
fn short_id(id: &str) -> String {
    let hex = id.split_once(':').map(|(_, h)| h).unwrap_or(id);
    hex.chars().take(12).collect()
}

/// `%.<digits>g` as Go prints it (that many significant digits, trailing zeros dropped,
/// exponent form from 10^digits up).
pub fn significant(v: f64, digits: i32) -> String {
    fn trim(s: String) -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
    if v == 0.0 || !v.is_finite() {
        return "0".to_string();
    }
    let digits = digits.max(1);
    let mut exp = v.abs().log10().floor() as i32;
    let mut scaled = (v / 10f64.powi(exp - (digits - 1))).round();
    if scaled.abs() >= 10f64.powi(digits) {
        scaled = (scaled / 10.0).round();
        exp += 1;
    }
    if !(-4..digits).contains(&exp) {
        let decimals = usize::try_from(digits - 1).unwrap_or(0);
        let mantissa = trim(format!("{:.*}", decimals, scaled / 10f64.powi(digits - 1)));
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let decimals = usize::try_from(digits - 1 - exp).unwrap_or(0);
    trim(format!(
        "{:.*}",
        decimals,
        scaled * 10f64.powi(exp - (digits - 1))
    ))
}

/// `%.3g` as Go prints it.
fn three_significant(v: f64) -> String {
    significant(v, 3)
}

/// Sizes as docker prints them: decimal units, 3 significant digits (`1.99MB`, `120kB`, `0B`).
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1000.0 && unit < UNITS.len() - 1 {
        size /= 1000.0;
        unit += 1;
    }
    format!("{}{}", three_significant(size), UNITS[unit])
}

/// The `images` table as docker compose v5 prints it: CONTAINER, REPOSITORY, TAG, PLATFORM,
/// IMAGE ID, SIZE, CREATED (`<none>` for what is not known), sorted by container.
pub fn render_table(rows: &[ImageRow], now: i64) -> String {
    let none = |s: &str| {
        if s.is_empty() {
            "<none>".to_string()
        } else {
            s.to_string()
        }
    };
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.container.clone(),
                none(&r.repository),
                none(&r.tag),
                r.platform.clone(),
                short_id(&r.id),
                human_size(r.size),
                created_cell(&r.created, now),
            ]
        })
        .collect();
    super::list::table(
        &[
            "CONTAINER",
            "REPOSITORY",
            "TAG",
            "PLATFORM",
            "IMAGE ID",
            "SIZE",
            "CREATED",
        ],
        &cells,
        20,
    )
}

/// `images --format json`: one JSON array with docker compose v5's keys (ID, ContainerName,
/// Repository, Tag, Platform, Size, Created and LastTagTime when known), followed, as v5
/// prints it, by an empty line.
pub fn render_json(rows: &[ImageRow]) -> String {
    let list: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let mut m = serde_json::Map::new();
            m.insert("ID".into(), r.id.clone().into());
            m.insert("ContainerName".into(), r.container.clone().into());
            m.insert("Repository".into(), r.repository.clone().into());
            m.insert("Tag".into(), r.tag.clone().into());
            m.insert("Platform".into(), r.platform.clone().into());
            m.insert("Size".into(), r.size.into());
            if !r.created.is_empty() {
                m.insert("Created".into(), r.created.clone().into());
            }
            if !r.last_tag_time.is_empty() {
                m.insert("LastTagTime".into(), r.last_tag_time.clone().into());
            }
            serde_json::Value::Object(m)
        })
        .collect();
    format!("{}\n\n", serde_json::Value::Array(list))
}

/// `images -q`: each image id once (without `sha256:`), in container order.
pub fn render_quiet(rows: &[ImageRow]) -> String {
    let mut seen: Vec<String> = Vec::new();
    for r in rows {
        let id =
            r.id.split_once(':')
                .map(|(_, h)| h.to_string())
                .unwrap_or_else(|| r.id.clone());
        if !seen.contains(&id) {
            seen.push(id);
        }
    }
    seen.iter().map(|i| format!("{i}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcompose::app::query::image_rows;
    use rcompose::app::types::engine::{ContainerSummary, ImageDetails};
    use std::collections::BTreeMap;

    #[test]
    fn sizes_read_like_docker() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_size(1000), "1kB");
        assert_eq!(human_size(1_993_457), "1.99MB");
        assert_eq!(human_size(4_260), "4.26kB");
        assert_eq!(human_size(120_000_000), "120MB");
        assert_eq!(human_size(1_234_567_890), "1.23GB");
        // Go's %.3g of 999.9 is 1e+03: docker prints that too.
        assert_eq!(human_size(999_900), "1e+03kB");
        assert_eq!(human_size(10_500), "10.5kB");
    }

    fn summary(name: &str, image: &str, image_id: &str) -> ContainerSummary {
        ContainerSummary {
            id: format!("id-{name}"),
            names: vec![name.to_string()],
            image: image.to_string(),
            image_id: image_id.to_string(),
            ..Default::default()
        }
    }

    fn rows() -> Vec<ImageRow> {
        let id = format!("sha256:{}", "406e1a93353a".repeat(5));
        let mut images = BTreeMap::new();
        images.insert(
            id.clone(),
            ImageDetails {
                id: id.clone(),
                size: 1_993_457,
                created: "2026-11-23T10:00:00Z".into(),
                platform: "linux/amd64".into(),
                ..Default::default()
            },
        );
        image_rows(
            &[
                summary("p-web-1", "p-web", &id),
                summary("p-db-1", "busybox:stable", &id),
                summary("p-old-1", "sha256:gone", "sha256:gone"),
            ],
            &images,
        )
    }

    #[test]
    fn table_has_docker_compose_columns_sorted_by_container() {
        // Two hours after the image was created (2026-11-23T10:00:00Z).
        let t = render_table(&rows(), 1_795_428_000 + 3600 * 2);
        let expected = "\
CONTAINER           REPOSITORY          TAG                 PLATFORM            IMAGE ID            SIZE                CREATED
p-db-1              busybox             stable              linux/amd64         406e1a93353a        1.99MB              2 hours ago
p-old-1             <none>              <none>                                  gone                0B                  N/A
p-web-1             p-web               latest              linux/amd64         406e1a93353a        1.99MB              2 hours ago
";
        assert_eq!(t, expected);
    }

    #[test]
    fn quiet_lists_each_image_once_and_json_is_one_array() {
        let r = rows();
        let q = render_quiet(&r);
        assert_eq!(q.lines().count(), 2, "{q}");
        assert_eq!(q.lines().next().map(str::len), Some(60));
        let j: serde_json::Value =
            serde_json::from_str(&render_json(&r)).unwrap_or(serde_json::Value::Null);
        let list = j.as_array().cloned().unwrap_or_default();
        assert_eq!(list.len(), 3);
        assert_eq!(list[0]["ContainerName"], "p-db-1");
        assert_eq!(list[0]["Repository"], "busybox");
        assert_eq!(list[0]["Size"], 1_993_457);
        assert_eq!(list[0]["Platform"], "linux/amd64");
        let keys: Vec<&str> = list[0]
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(
            keys,
            [
                "ID",
                "ContainerName",
                "Repository",
                "Tag",
                "Platform",
                "Size",
                "Created"
            ]
        );
        assert!(render_json(&r).ends_with("]\n\n"));
        assert!(list[0]["ID"]
            .as_str()
            .is_some_and(|i| i.starts_with("sha256:")));
    }
}
