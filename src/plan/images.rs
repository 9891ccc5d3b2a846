//! Plans of the image commands `build`, `pull` and `push`: which images to build, pull or push
//! for the selected services, as docker compose chooses them, and the services left out with the
//! reason docker compose prints for them ("Skipped - Image is already present locally").
//!
//! - `build`: every selected service with a `build:` section (with `--with-dependencies`, also
//!   what they depend on, transitively); others are left out silently. One build per image name.
//!   A build waits for the builds of the services it depends on (a Dockerfile may start `FROM`
//!   another service's image), like docker compose's dependency-order builds.
//! - `pull`: every selected service that names an `image:` (with `--include-deps`, also its
//!   dependencies), unless its `pull_policy` is `never` or `build`, or `missing`/`if_not_present`
//!   and the image is present with a tag other than `latest`, or it can be built and
//!   `--ignore-buildable` is given. One pull per image.
//! - `push`: every selected service with both `build:` and `image:`, to `image` and each of
//!   `build.tags`.
//!
//! Pure and synchronous, like the rest of the planner.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::desired::Desired;
use super::graph;
use super::observed::Observed;
use super::step::{Action, Dep, Plan, Reason, Step, StepId};
use super::PlanError;

/// `build` selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildSelection {
    /// Services named on the command line (empty = all).
    pub services: Vec<String>,
    /// `--with-dependencies`: also build what they depend on.
    pub with_dependencies: bool,
}

/// `pull` selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullSelection {
    pub services: Vec<String>,
    /// `--include-deps`.
    pub include_deps: bool,
    /// `--ignore-buildable`: leave out services that have a `build:` section.
    pub ignore_buildable: bool,
    /// `--policy missing|always`: replaces the `pull_policy` of every service with an image.
    pub policy: Option<String>,
}

/// `push` selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushSelection {
    pub services: Vec<String>,
    /// `--include-deps`.
    pub include_deps: bool,
}

/// The image command being planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageIntent {
    Build(BuildSelection),
    Pull(PullSelection),
    Push(PushSelection),
}

/// A selected service the command leaves alone, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub service: String,
    /// The image it would have acted on, when it has one.
    pub image: Option<String>,
    pub reason: String,
}

/// The plan of an image command.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImagePlan {
    pub plan: Plan,
    /// Selected services with nothing to do (not listed for `build`, which skips silently).
    pub skipped: Vec<Skipped>,
}

impl ImagePlan {
    /// The plan's text (`--dry-run`), then one line per skipped service.
    pub fn render(&self) -> String {
        let mut out = self.plan.render();
        for s in &self.skipped {
            match &s.image {
                Some(i) => out.push_str(&format!("skip {} ({i}): {}\n", s.service, s.reason)),
                None => out.push_str(&format!("skip {}: {}\n", s.service, s.reason)),
            }
        }
        out
    }
}

/// Plans `intent` for `desired`; `observed` tells which images are present (for `pull`).
pub fn plan_images(
    desired: &Desired,
    observed: &Observed,
    intent: &ImageIntent,
) -> Result<ImagePlan, PlanError> {
    let needs = graph::needs(desired);
    graph::check_cycles(&needs)?;
    let mut b = ImageBuilder {
        desired,
        needs,
        out: ImagePlan {
            plan: Plan {
                project: desired.project.clone(),
                ..Plan::default()
            },
            skipped: Vec::new(),
        },
    };
    match intent {
        ImageIntent::Build(sel) => b.build(sel)?,
        ImageIntent::Pull(sel) => b.pull(sel, observed)?,
        ImageIntent::Push(sel) => b.push(sel)?,
    }
    Ok(b.out)
}

/// The tag of an image reference as docker compose reads it for "already present": `latest`
/// when none is written; `None` for a digest reference (always pulled).
fn tag_of(reference: &str) -> Option<&str> {
    if reference.contains('@') {
        return None;
    }
    let last = reference.rsplit('/').next().unwrap_or(reference);
    Some(last.split_once(':').map(|(_, t)| t).unwrap_or("latest"))
}

/// The repository of an image reference: without its tag or digest.
fn repository_of(reference: &str) -> &str {
    let no_digest = reference.split('@').next().unwrap_or(reference);
    let last_slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    match no_digest[last_slash..].find(':') {
        Some(colon) => &no_digest[..last_slash + colon],
        None => no_digest,
    }
}

struct ImageBuilder<'a> {
    desired: &'a Desired,
    needs: crate::model::ServiceGraph,
    out: ImagePlan,
}

impl ImageBuilder<'_> {
    fn add(&mut self, action: Action, deps: Vec<StepId>) -> StepId {
        let id = self.out.plan.steps.len();
        let mut deps: Vec<Dep> = deps
            .into_iter()
            .map(|step| Dep { step, soft: false })
            .collect();
        deps.sort();
        deps.dedup();
        self.out.plan.steps.push(Step {
            id,
            action,
            reason: Reason::Requested,
            deps,
        });
        id
    }

    fn skip(&mut self, service: &str, image: Option<&str>, reason: impl Into<String>) {
        self.out.skipped.push(Skipped {
            service: service.to_string(),
            image: image.map(str::to_string),
            reason: reason.into(),
        });
    }

    /// The selected services (all when none is named), with their dependencies when asked, in
    /// dependency order. Unknown names are an error that suggests a close one.
    fn scope(&self, selected: &[String], with_deps: bool) -> Result<Vec<String>, PlanError> {
        for n in selected {
            if !self.desired.services.contains_key(n) {
                return Err(PlanError::UnknownService {
                    name: n.clone(),
                    hint: super::build::suggest(n, self.desired.services.keys().cloned()),
                });
            }
        }
        let set: BTreeSet<String> = if selected.is_empty() {
            self.desired.services.keys().cloned().collect()
        } else if with_deps {
            self.needs.closure(selected)
        } else {
            selected.iter().cloned().collect()
        };
        Ok(self
            .needs
            .order()
            .into_iter()
            .filter(|s| set.contains(s))
            .collect())
    }

    fn build(&mut self, sel: &BuildSelection) -> Result<(), PlanError> {
        let scope = self.scope(&sel.services, sel.with_dependencies)?;
        let mut by_image: HashMap<String, StepId> = HashMap::new();
        let mut by_service: HashMap<String, StepId> = HashMap::new();
        for name in &scope {
            let Some(svc) = self.desired.services.get(name) else {
                continue;
            };
            if !svc.has_build {
                continue;
            }
            if let Some(id) = by_image.get(&svc.image_name) {
                by_service.insert(name.clone(), *id);
                continue;
            }
            let deps = self.nearest_builds(name, &by_service);
            let id = self.add(
                Action::BuildImage {
                    service: name.clone(),
                    image: svc.image_name.clone(),
                },
                deps,
            );
            by_image.insert(svc.image_name.clone(), id);
            by_service.insert(name.clone(), id);
        }
        Ok(())
    }

    /// The build steps of the closest services `name` depends on that are built (looking
    /// through dependencies that are not).
    fn nearest_builds(&self, name: &str, built: &HashMap<String, StepId>) -> Vec<StepId> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        let mut todo: Vec<&str> = self.needs.needs(name);
        while let Some(d) = todo.pop() {
            if !seen.insert(d) {
                continue;
            }
            match built.get(d) {
                Some(id) => out.push(*id),
                None => {
                    todo.extend(self.needs.needs(d));
                }
            }
        }
        out
    }

    fn pull(&mut self, sel: &PullSelection, observed: &Observed) -> Result<(), PlanError> {
        let scope = self.scope(&sel.services, sel.include_deps)?;
        let mut pulled_by: HashMap<String, String> = HashMap::new();
        for name in &scope {
            let Some(svc) = self.desired.services.get(name) else {
                continue;
            };
            let Some(image) = svc.image.clone() else {
                self.skip(name, None, "No image to be pulled");
                continue;
            };
            let policy = sel
                .policy
                .clone()
                .or_else(|| svc.pull_policy.clone())
                .unwrap_or_default();
            match policy.as_str() {
                "never" | "build" => {
                    self.skip(name, Some(&image), format!("pull_policy: {policy}"));
                    continue;
                }
                "missing" | "if_not_present"
                    if observed.image_id(&image).is_some()
                        && tag_of(&image).is_some_and(|t| t != "latest") =>
                {
                    self.skip(name, Some(&image), "Image is already present locally");
                    continue;
                }
                _ => {}
            }
            if svc.has_build && sel.ignore_buildable {
                self.skip(name, Some(&image), "Image can be built");
                continue;
            }
            let key = super::observed::normalize_image_ref(&image);
            if let Some(other) = pulled_by.get(&key) {
                let reason = format!("Image is already being pulled by {other}");
                self.skip(name, Some(&image), reason);
                continue;
            }
            pulled_by.insert(key, name.clone());
            self.add(
                Action::PullImage {
                    service: name.clone(),
                    image,
                },
                vec![],
            );
        }
        Ok(())
    }

    fn push(&mut self, sel: &PushSelection) -> Result<(), PlanError> {
        let scope = self.scope(&sel.services, sel.include_deps)?;
        let mut seen: BTreeSet<String> = BTreeSet::new();
        // Pushes to one repository go one after the other (a soft edge: a failed push does not
        // stop the next): the later ones find the layers there, and a registry given the same
        // blobs by two pushes at once may answer 500.
        let mut last_push: BTreeMap<String, StepId> = BTreeMap::new();
        for name in &scope {
            let Some(svc) = self.desired.services.get(name) else {
                continue;
            };
            let image = match (&svc.image, svc.has_build) {
                (Some(i), true) => i.clone(),
                (image, false) => {
                    let reason = "not built by compose (no build section)";
                    self.skip(name, image.as_deref(), reason);
                    continue;
                }
                (None, true) => {
                    self.skip(name, None, "no image name to push to (set `image:`)");
                    continue;
                }
            };
            let tags: Vec<String> = std::iter::once(image)
                .chain(svc.build_tags.iter().cloned())
                .collect();
            for tag in tags {
                let normal = super::observed::normalize_image_ref(&tag);
                if seen.insert(normal.clone()) {
                    let repository = repository_of(&normal).to_string();
                    let id = self.add(
                        Action::PushImage {
                            service: name.clone(),
                            image: tag,
                        },
                        vec![],
                    );
                    if let (Some(before), Some(step)) = (
                        last_push.insert(repository, id),
                        self.out.plan.steps.get_mut(id),
                    ) {
                        step.deps.push(Dep {
                            step: before,
                            soft: true,
                        });
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_drop_the_tag_and_digest_only() {
        assert_eq!(repository_of("busybox"), "busybox");
        assert_eq!(repository_of("busybox:1.36"), "busybox");
        assert_eq!(repository_of("127.0.0.1:5000/app"), "127.0.0.1:5000/app");
        assert_eq!(repository_of("127.0.0.1:5000/app:v2"), "127.0.0.1:5000/app");
        assert_eq!(repository_of("reg:5000/a/b@sha256:abc"), "reg:5000/a/b");
    }

    #[test]
    fn tags_are_read_like_docker_compose() {
        assert_eq!(tag_of("busybox"), Some("latest"));
        assert_eq!(tag_of("busybox:1.36"), Some("1.36"));
        assert_eq!(tag_of("127.0.0.1:5000/app"), Some("latest"));
        assert_eq!(tag_of("127.0.0.1:5000/app:v2"), Some("v2"));
        assert_eq!(tag_of("busybox@sha256:abc"), None);
    }
}
