//! Builds the step DAG for each intent. Steps are appended only after the steps they wait for,
//! so the plan's order is a topological order by construction.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::desired::{Condition, Desired, DesiredService};
use super::graph;
use super::intent::{BuildPolicy, DownOptions, Intent, PullPolicy, RemoveImages, UpOptions};
use super::observed::{ContainerState, Observed, ObservedContainer};
use super::step::{
    Action, ContainerRef, ContainerSnapshot, Dep, Plan, Reason, ServiceFacts, Step, StepId,
};
use super::PlanError;
use crate::model::{names, ServiceGraph};

struct Builder<'a> {
    d: &'a Desired,
    o: &'a Observed,
    needs: ServiceGraph,
    plan: Plan,
    /// Steps after which a service's containers exist under their final names.
    created: HashMap<String, Vec<StepId>>,
    /// Steps that (re)start a service's containers.
    started: HashMap<String, Vec<StepId>>,
    gates: HashMap<(String, Condition, bool), StepId>,
    recreated: BTreeSet<String>,
    restarted: BTreeSet<String>,
    /// The `pre_start` step of a service, when the plan runs its hooks.
    pre_start: HashMap<String, StepId>,
    /// Waits nothing in the plan depends on that must stay (a one-off's conditions).
    keep_waits: BTreeSet<StepId>,
}

fn hard(step: StepId) -> Dep {
    Dep { step, soft: false }
}

fn cref(c: &ObservedContainer) -> ContainerRef {
    ContainerRef {
        service: c.service.clone(),
        number: c.number,
        name: c.name.clone(),
        id: Some(c.id.clone()),
    }
}

fn snapshot(c: &ObservedContainer) -> ContainerSnapshot {
    ContainerSnapshot {
        service: c.service.clone(),
        number: c.number,
        id: c.id.clone(),
        name: c.name.clone(),
        state: c.state.clone(),
        health: c.health,
        exit_code: c.exit_code,
    }
}

fn dedup(mut deps: Vec<Dep>) -> Vec<Dep> {
    deps.sort();
    deps.dedup_by(|a, b| {
        if a.step == b.step {
            // Keep the hard one if both exist.
            b.soft = a.soft && b.soft;
            true
        } else {
            false
        }
    });
    deps
}

pub(super) fn suggest(name: &str, options: impl Iterator<Item = String>) -> Option<String> {
    let options: Vec<String> = options.collect();
    crate::model::names::closest(name, options.iter().map(String::as_str)).map(str::to_string)
}

/// What the image phase of `up` produced.
struct UpImages {
    /// The build or pull step of each service that has one.
    steps: HashMap<String, StepId>,
    /// Every image step: what removals and resource creates wait for.
    deps: Vec<Dep>,
    /// Services whose image is rebuilt while present (their containers are recreated).
    rebuilt: BTreeSet<String>,
}

/// What the container phase of `up` reads, the same for every service.
struct UpContext<'o> {
    opts: &'o UpOptions,
    scope_set: BTreeSet<String>,
    /// The services named on the command line (all in scope when none).
    selected: BTreeSet<String>,
    images: UpImages,
    net_steps: HashMap<String, StepId>,
    vol_steps: HashMap<String, StepId>,
}

/// What `up` knows about one service while it goes through its replicas.
struct UpService {
    svc: DesiredService,
    /// Engine names of the networks the containers should be attached to.
    expected_networks: BTreeSet<String>,
    /// The id of the image the containers should run, when present.
    expected_image: Option<String>,
    /// Recreate regardless of changes (`--force-recreate`, `--always-recreate-deps`).
    force_reason: Option<Reason>,
    /// A `restart: true` dependency that is recreated or restarted in this plan.
    restart_trigger: Option<String>,
    /// What every create of the service waits for.
    create_deps: Vec<Dep>,
}

impl<'a> Builder<'a> {
    fn new(d: &'a Desired, o: &'a Observed) -> Result<Self, PlanError> {
        for (name, svc) in &d.services {
            for (dep, spec) in &svc.depends_on {
                if spec.required && !d.services.contains_key(dep) {
                    return Err(PlanError::MissingDependency {
                        service: name.clone(),
                        dependency: dep.clone(),
                    });
                }
            }
        }
        let needs = graph::needs(d);
        graph::check_cycles(&needs)?;
        let mut plan = Plan {
            project: d.project.clone(),
            ..Plan::default()
        };
        for (name, svc) in &d.services {
            for dep in svc.depends_on.keys() {
                if !d.services.contains_key(dep) {
                    plan.warnings.push(format!(
                        "service {name} depends on {dep}, which is not in the project (required: false): ignored"
                    ));
                }
            }
        }
        Ok(Builder {
            d,
            o,
            needs,
            plan,
            created: HashMap::new(),
            started: HashMap::new(),
            gates: HashMap::new(),
            recreated: BTreeSet::new(),
            restarted: BTreeSet::new(),
            pre_start: HashMap::new(),
            keep_waits: BTreeSet::new(),
        })
    }

    fn add(&mut self, action: Action, reason: Reason, deps: Vec<Dep>) -> StepId {
        let id = self.plan.steps.len();
        self.plan.steps.push(Step {
            id,
            action,
            reason,
            deps: dedup(deps),
        });
        id
    }

    fn check_services(&self, names: &[String]) -> Result<(), PlanError> {
        for n in names {
            if !self.d.services.contains_key(n) {
                return Err(PlanError::UnknownService {
                    name: n.clone(),
                    hint: suggest(n, self.d.services.keys().cloned()),
                });
            }
        }
        Ok(())
    }

    /// Selected services (all when empty) in dependency order, optionally with their dependencies.
    fn scope(&self, selected: &[String], with_deps: bool) -> Vec<String> {
        let set: BTreeSet<String> = if selected.is_empty() {
            self.d.services.keys().cloned().collect()
        } else if with_deps {
            self.needs.closure(selected)
        } else {
            selected.iter().cloned().collect()
        };
        self.needs
            .order()
            .into_iter()
            .filter(|s| set.contains(s))
            .collect()
    }

    fn record_facts(&mut self, scope: &[String]) {
        for name in scope {
            let Some(svc) = self.d.services.get(name) else {
                continue;
            };
            let is_one_shot = self.d.services.values().any(|other| {
                other
                    .depends_on
                    .get(name)
                    .is_some_and(|dep| dep.condition == Condition::ServiceCompletedSuccessfully)
            });
            self.plan.services.insert(
                name.clone(),
                ServiceFacts {
                    replicas: svc.replicas,
                    has_healthcheck: svc.has_healthcheck,
                    stop_grace_period: svc.stop_grace_period,
                    stop_signal: svc.stop_signal.clone(),
                    is_one_shot,
                },
            );
        }
    }

    /// The step that waits for `service` to meet `condition` (one per service, condition and
    /// required flag), after whatever this plan does to that service.
    fn gate(&mut self, service: &str, condition: Condition, required: bool) -> StepId {
        let key = (service.to_string(), condition, required);
        if let Some(id) = self.gates.get(&key) {
            return *id;
        }
        let deps: Vec<Dep> = self
            .started
            .get(service)
            .into_iter()
            .flatten()
            .chain(self.created.get(service).into_iter().flatten())
            .map(|s| hard(*s))
            .collect();
        let id = self.add(
            Action::Await {
                service: service.to_string(),
                condition,
                required,
            },
            Reason::DependencyCondition,
            deps,
        );
        self.gates.insert(key, id);
        id
    }

    /// What a container of `svc` waits for before starting: its dependencies' conditions (only
    /// dependencies in `scope`) and the services whose namespaces it joins.
    fn start_gates(&mut self, svc: &DesiredService, scope: &BTreeSet<String>) -> Vec<Dep> {
        let mut deps = Vec::new();
        for (dep, spec) in &svc.depends_on {
            if !scope.contains(dep) {
                continue;
            }
            let g = self.gate(dep, spec.condition, spec.required);
            deps.push(Dep {
                step: g,
                soft: !spec.required,
            });
        }
        for parent in svc.namespace_parents() {
            if scope.contains(&parent) && !svc.depends_on.contains_key(&parent) {
                let g = self.gate(&parent, Condition::ServiceStarted, true);
                deps.push(hard(g));
            }
        }
        deps
    }

    /// Containers no service of the project accounts for, as docker compose v2 counts them: those
    /// of services not in the project, and one-off (`run`) containers that have finished (a
    /// running one-off is somebody's live session).
    fn orphans(&self) -> Vec<&'a ObservedContainer> {
        self.o
            .containers
            .iter()
            .filter(|c| {
                if c.oneoff {
                    matches!(c.state, ContainerState::Exited | ContainerState::Dead)
                } else {
                    !self.d.services.contains_key(&c.service)
                }
            })
            .collect()
    }

    /// `down --remove-orphans` also takes the project's running one-off containers down.
    fn running_oneoffs(&self, scope: &[String]) -> Vec<&'a ObservedContainer> {
        self.o
            .containers
            .iter()
            .filter(|c| c.oneoff && c.state.is_up() && scope.contains(&c.service))
            .collect()
    }

    fn orphan_warning(&mut self) {
        let names: Vec<String> = self.orphans().iter().map(|c| c.name.clone()).collect();
        if !names.is_empty() {
            self.plan.warnings.push(format!(
                "found orphan containers ({}) for this project; if you removed or renamed their service in your compose file, run this command with --remove-orphans to clean them up",
                names.join(", ")
            ));
        }
    }

    /// Stop (if running) then remove a container; returns the remove step.
    fn stop_and_remove(
        &mut self,
        c: &ObservedContainer,
        reason: Reason,
        timeout: Option<u64>,
        volumes: bool,
        deps: Vec<Dep>,
    ) -> StepId {
        let mut rm_deps = deps.clone();
        if c.state.is_up() {
            let s = self.add(
                Action::StopContainer {
                    container: cref(c),
                    timeout,
                },
                reason.clone(),
                deps,
            );
            rm_deps = vec![hard(s)];
        }
        self.add(
            Action::RemoveContainer {
                container: cref(c),
                volumes,
            },
            reason,
            rm_deps,
        )
    }

    // ---------------------------------------------------------------- up / create

    fn up(&mut self, opts: &UpOptions) -> Result<(), PlanError> {
        self.check_services(&opts.services)?;
        let scale_names: Vec<String> = opts.scale.keys().cloned().collect();
        self.check_services(&scale_names)?;
        let scope = self.scope(&opts.services, !opts.no_deps);
        let scope_set: BTreeSet<String> = scope.iter().cloned().collect();
        let selected: BTreeSet<String> = if opts.services.is_empty() {
            scope_set.clone()
        } else {
            opts.services.iter().cloned().collect()
        };
        self.record_facts(&scope);

        // Images first, like docker compose: a missing image that cannot be pulled or built
        // fails the run before anything is created or removed.
        let images = self.up_images(&scope, opts);

        // Orphans first: they may hold names or ports the new containers need.
        if opts.remove_orphans {
            for c in self.orphans() {
                let reason = if c.oneoff {
                    Reason::OneOff
                } else {
                    Reason::Orphan
                };
                self.stop_and_remove(c, reason, opts.timeout, false, images.deps.clone());
            }
        } else {
            self.orphan_warning();
        }

        let (net_steps, vol_steps) = self.up_resources(&scope, &images.deps);
        let ctx = UpContext {
            opts,
            scope_set,
            selected,
            images,
            net_steps,
            vol_steps,
        };
        // Containers, dependencies first.
        for name in &scope {
            self.up_service(name, &ctx)?;
        }
        Ok(())
    }

    /// The build or pull step a service needs for `up`, with its reason, if any.
    fn image_step(
        &self,
        name: &str,
        svc: &DesiredService,
        present: bool,
        opts: &UpOptions,
    ) -> Option<(Action, Reason)> {
        let policy = svc.pull_policy.as_deref().unwrap_or("");
        if svc.has_build {
            let reason = if opts.build == BuildPolicy::Never {
                None
            } else if opts.build == BuildPolicy::Always {
                Some(Reason::BuildRequested)
            } else if policy == "build" {
                Some(Reason::PullPolicyBuild)
            } else if !present && opts.build == BuildPolicy::IfMissing {
                Some(Reason::ImageMissing)
            } else {
                None
            };
            return reason.map(|r| {
                let action = Action::BuildImage {
                    service: name.to_string(),
                    image: svc.image_name.clone(),
                };
                (action, r)
            });
        }
        let reason = if policy == "always" || opts.pull == PullPolicy::Always {
            Some(Reason::PullAlways)
        } else if !present && policy != "never" && opts.pull != PullPolicy::Never {
            Some(Reason::ImageMissing)
        } else {
            None
        };
        reason.map(|r| {
            let action = Action::PullImage {
                service: name.to_string(),
                image: svc.image_name.clone(),
            };
            (action, r)
        })
    }

    /// The image phase of `up`: one build or pull step per image the services in scope need.
    fn up_images(&mut self, scope: &[String], opts: &UpOptions) -> UpImages {
        let mut steps: HashMap<String, StepId> = HashMap::new();
        let mut by_image: HashMap<String, StepId> = HashMap::new();
        let mut rebuilt: BTreeSet<String> = BTreeSet::new();
        for name in scope {
            let Some(svc) = self.d.services.get(name) else {
                continue;
            };
            let present = self.o.image_id(&svc.image_name).is_some();
            if let Some((action, reason)) = self.image_step(name, svc, present, opts) {
                let is_build = matches!(action, Action::BuildImage { .. });
                let key = svc.image_name.clone();
                let id = match by_image.get(&key) {
                    Some(id) => *id,
                    None => {
                        let id = self.add(action, reason, vec![]);
                        by_image.insert(key, id);
                        id
                    }
                };
                steps.insert(name.clone(), id);
                if is_build && present {
                    rebuilt.insert(name.clone());
                }
            } else if !present {
                let why = if svc.has_build {
                    "building is disabled (--no-build)"
                } else {
                    "the pull policy forbids pulling it"
                };
                self.plan.warnings.push(format!(
                    "image {} for service {name} is not present locally and {why}",
                    svc.image_name
                ));
            }
        }
        let mut ids: Vec<StepId> = by_image.values().copied().collect();
        ids.sort();
        UpImages {
            steps,
            deps: ids.into_iter().map(hard).collect(),
            rebuilt,
        }
    }

    /// Networks and volumes used by the services in scope, and those no service uses (the loader
    /// keeps them only under `--all-resources`, and v5 then creates them too): created when
    /// missing (after the images), a warning when they exist with another configuration.
    fn up_resources(
        &mut self,
        scope: &[String],
        image_deps: &[Dep],
    ) -> (HashMap<String, StepId>, HashMap<String, StepId>) {
        let used_nets: BTreeSet<String> = scope
            .iter()
            .filter_map(|s| self.d.services.get(s))
            .flat_map(|s| s.networks.iter().cloned())
            .collect();
        let used_vols: BTreeSet<String> = scope
            .iter()
            .filter_map(|s| self.d.services.get(s))
            .flat_map(|s| s.named_volumes.iter().cloned())
            .collect();
        let nets_anywhere: BTreeSet<&String> = self
            .d
            .services
            .values()
            .flat_map(|s| s.networks.iter())
            .collect();
        let vols_anywhere: BTreeSet<&String> = self
            .d
            .services
            .values()
            .flat_map(|s| s.named_volumes.iter())
            .collect();
        let mut net_steps: HashMap<String, StepId> = HashMap::new();
        for (key, net) in &self.d.networks {
            let wanted = used_nets.contains(key) || !nets_anywhere.contains(key);
            if net.external || !wanted {
                continue;
            }
            match self.o.network(&net.name) {
                None => {
                    let id = self.add(
                        Action::CreateNetwork {
                            key: key.clone(),
                            name: net.name.clone(),
                        },
                        Reason::NotFound,
                        image_deps.to_vec(),
                    );
                    net_steps.insert(key.clone(), id);
                }
                Some(obs) if !obs.config_hash.is_empty() && obs.config_hash != net.config_hash => {
                    self.plan.warnings.push(format!(
                        "network {} exists but its configuration differs from the compose file; run `down` then `up` to apply the change",
                        net.name
                    ));
                }
                Some(_) => {}
            }
        }
        let mut vol_steps: HashMap<String, StepId> = HashMap::new();
        for (key, vol) in &self.d.volumes {
            let wanted = used_vols.contains(key) || !vols_anywhere.contains(key);
            if vol.external || !wanted {
                continue;
            }
            match self.o.volume(&vol.name) {
                None => {
                    let id = self.add(
                        Action::CreateVolume {
                            key: key.clone(),
                            name: vol.name.clone(),
                        },
                        Reason::NotFound,
                        image_deps.to_vec(),
                    );
                    vol_steps.insert(key.clone(), id);
                }
                Some(obs) if !obs.config_hash.is_empty() && obs.config_hash != vol.config_hash => {
                    self.plan.warnings.push(format!(
                        "volume {} already exists but was created with a different configuration; it is kept as it is (remove it to apply the change)",
                        vol.name
                    ));
                }
                Some(_) => {}
            }
        }
        (net_steps, vol_steps)
    }

    /// What the creates of `svc` wait for: its networks, volumes and image, and the containers
    /// of the services it needs (soft for a dependency that is not required).
    fn create_deps(&self, name: &str, svc: &DesiredService, ctx: &UpContext) -> Vec<Dep> {
        let mut deps: Vec<Dep> = Vec::new();
        for n in &svc.networks {
            if let Some(s) = ctx.net_steps.get(n) {
                deps.push(hard(*s));
            }
        }
        for v in &svc.named_volumes {
            if let Some(s) = ctx.vol_steps.get(v) {
                deps.push(hard(*s));
            }
        }
        if let Some(s) = ctx.images.steps.get(name) {
            deps.push(hard(*s));
        }
        for need in self.needs.needs(name) {
            let need = need.to_string();
            let soft = svc.depends_on.get(&need).is_some_and(|d| !d.required)
                && !svc.namespace_parents().contains(&need);
            for s in self.created.get(&need).cloned().unwrap_or_default() {
                deps.push(Dep { step: s, soft });
            }
        }
        deps
    }

    /// The containers of one service for `up`: scale down, then each replica created,
    /// recreated, or kept (and started or restarted).
    fn up_service(&mut self, name: &str, ctx: &UpContext) -> Result<(), PlanError> {
        let Some(svc) = self.d.services.get(name) else {
            return Ok(());
        };
        let svc = svc.clone();
        let opts = ctx.opts;
        let replicas = opts.scale.get(name).copied().unwrap_or(svc.replicas);
        if let Some(cn) = &svc.container_name {
            if replicas > 1 {
                return Err(PlanError::ContainerNameWithScale {
                    service: name.to_string(),
                    container_name: cn.clone(),
                    replicas,
                });
            }
        }
        if let Some(f) = self.plan.services.get_mut(name) {
            f.replicas = replicas;
        }
        let force_reason = if opts.no_recreate {
            None
        } else if ctx.selected.contains(name) {
            opts.force_recreate.then_some(Reason::ForceRecreate)
        } else {
            opts.always_recreate_deps
                .then_some(Reason::DependencyOfSelected)
        };
        let create_deps = self.create_deps(name, &svc, ctx);

        // Group the existing containers by replica number.
        let mut by_number: BTreeMap<u32, Vec<&ObservedContainer>> = BTreeMap::new();
        for c in self.o.service_containers(name) {
            by_number.entry(c.number).or_default().push(c);
        }

        // Scale down: highest numbers first.
        for (&n, cs) in by_number.iter().rev() {
            if n >= 1 && n <= replicas {
                continue;
            }
            for c in cs {
                self.stop_and_remove(
                    c,
                    Reason::ScaledDown { replicas },
                    opts.timeout.or(svc.stop_grace_period),
                    false,
                    ctx.images.deps.clone(),
                );
            }
        }

        let restart_trigger: Option<String> = svc.depends_on.iter().find_map(|(dep, spec)| {
            (spec.restart
                && ctx.scope_set.contains(dep)
                && (self.recreated.contains(dep) || self.restarted.contains(dep)))
            .then(|| dep.clone())
        });
        let service = UpService {
            expected_networks: svc
                .networks
                .iter()
                .filter_map(|k| self.d.networks.get(k).map(|n| n.name.clone()))
                .collect(),
            expected_image: self.o.image_id(&svc.image_name).map(str::to_string),
            svc,
            force_reason,
            restart_trigger,
            create_deps,
        };
        for number in 1..=replicas {
            let group = by_number.get(&number).cloned().unwrap_or_default();
            self.up_replica(&service, number, &group, ctx);
        }
        Ok(())
    }

    /// The `pre_start` hooks of `s`, when this plan creates or recreates its replica 1 (`why`
    /// it does; never on a scale-up or a no-op `up`): one step, after what the containers'
    /// creation waits for; every start of the service's containers waits for it
    /// ([`Builder::start_replica`]).
    fn pre_start(&mut self, s: &UpService, number: u32, why: &Reason, deps: &[Dep]) {
        if s.svc.pre_start_hooks == 0 || number != 1 {
            return;
        }
        let hooks = self.add(
            Action::PreStart {
                service: s.svc.name.clone(),
            },
            why.clone(),
            deps.to_vec(),
        );
        self.pre_start.insert(s.svc.name.clone(), hooks);
    }

    /// One replica of a service for `up`. `group` holds the existing containers with its number.
    fn up_replica(
        &mut self,
        s: &UpService,
        number: u32,
        group: &[&ObservedContainer],
        ctx: &UpContext,
    ) {
        let final_name = s.svc.container_name_for(&self.d.project, number);
        // The keeper: the container under its final name, else a replacement left under
        // its temporary name, else the first one.
        let keeper: Option<&ObservedContainer> = group
            .iter()
            .find(|c| c.name == final_name)
            .or_else(|| group.iter().find(|c| c.replaces.is_some()))
            .or_else(|| group.first())
            .copied();
        // Leftovers (e.g. the replacement of an interrupted recreate) go before this
        // replica's create: a new replacement may need the very same temporary name.
        let mut create_deps = s.create_deps.clone();
        for c in group {
            if keeper.is_some_and(|k| k.id == c.id) {
                continue;
            }
            let rm =
                self.stop_and_remove(c, Reason::Leftover, Some(0), false, ctx.images.deps.clone());
            create_deps.push(hard(rm));
        }
        match keeper {
            None => self.create_replica(s, number, &final_name, create_deps, ctx),
            Some(c) => match self.recreate_reason(s, c, ctx) {
                Some(why) => {
                    self.recreate_replica(s, c, number, &final_name, why, create_deps, ctx)
                }
                None => self.keep_replica(s, c, &final_name, ctx),
            },
        }
    }

    /// Starts replica `number` of `s` (after `after`) unless `--no-start`.
    fn start_replica(
        &mut self,
        s: &UpService,
        number: u32,
        final_name: &str,
        reason: Reason,
        after: StepId,
        ctx: &UpContext,
    ) {
        if ctx.opts.no_start {
            return;
        }
        let name = &s.svc.name;
        let mut deps = vec![hard(after)];
        deps.extend(self.pre_start.get(name).map(|h| hard(*h)));
        deps.extend(self.start_gates(&s.svc, &ctx.scope_set));
        let start = self.add(
            Action::StartContainer {
                container: ContainerRef {
                    service: name.clone(),
                    number,
                    name: final_name.to_string(),
                    id: None,
                },
            },
            reason,
            deps,
        );
        self.started.entry(name.clone()).or_default().push(start);
    }

    /// A replica that has no container: create it (and start it).
    fn create_replica(
        &mut self,
        s: &UpService,
        number: u32,
        final_name: &str,
        create_deps: Vec<Dep>,
        ctx: &UpContext,
    ) {
        let name = &s.svc.name;
        let create = self.add(
            Action::CreateContainer {
                service: name.clone(),
                number,
                name: final_name.to_string(),
                create_as: final_name.to_string(),
                replaces: None,
                inherit_volumes_from: None,
                config_hash: s.svc.config_hash.clone(),
                image: s.svc.image_name.clone(),
                networks: s.expected_networks.iter().cloned().collect(),
            },
            Reason::NotFound,
            create_deps.clone(),
        );
        self.created.entry(name.clone()).or_default().push(create);
        self.pre_start(s, number, &Reason::NotFound, &create_deps);
        self.start_replica(s, number, final_name, Reason::NotFound, create, ctx);
    }

    /// Why the kept container `c` of `s` must be recreated, if it must.
    fn recreate_reason(
        &self,
        s: &UpService,
        c: &ObservedContainer,
        ctx: &UpContext,
    ) -> Option<Reason> {
        let svc = &s.svc;
        if ctx.opts.no_recreate {
            None
        } else if let Some(r) = s.force_reason.clone() {
            Some(r)
        } else if c.config_hash != svc.config_hash {
            Some(Reason::ConfigChanged {
                from: c.config_hash.clone(),
                to: svc.config_hash.clone(),
            })
        } else if ctx.images.rebuilt.contains(&svc.name) {
            Some(Reason::ImageRefreshed {
                image: svc.image_name.clone(),
            })
        } else if let Some(img) = s
            .expected_image
            .as_ref()
            .filter(|img| !c.image_id.is_empty() && **img != c.image_id)
        {
            Some(Reason::ImageChanged {
                from: c.image_id.clone(),
                to: img.clone(),
            })
        } else if let Some(net) = network_change(c, &s.expected_networks, svc) {
            Some(Reason::NetworkChanged { network: net })
        } else {
            svc.namespace_parents()
                .iter()
                .find(|p| self.recreated.contains(*p))
                .map(|p| Reason::ParentRecreated { service: p.clone() })
        }
    }

    /// Replaces `c`: create the new container under a temporary name, stop and remove the old
    /// one, rename the new one, start it.
    #[allow(clippy::too_many_arguments)]
    fn recreate_replica(
        &mut self,
        s: &UpService,
        c: &ObservedContainer,
        number: u32,
        final_name: &str,
        why: Reason,
        create_deps: Vec<Dep>,
        ctx: &UpContext,
    ) {
        let name = &s.svc.name;
        let opts = ctx.opts;
        let tmp = names::replacement_name(c.short_id(), final_name);
        let create = self.add(
            Action::CreateContainer {
                service: name.clone(),
                number,
                name: final_name.to_string(),
                create_as: tmp.clone(),
                replaces: Some(cref(c)),
                inherit_volumes_from: (!opts.renew_anon_volumes).then(|| cref(c)),
                config_hash: s.svc.config_hash.clone(),
                image: s.svc.image_name.clone(),
                networks: s.expected_networks.iter().cloned().collect(),
            },
            why.clone(),
            create_deps.clone(),
        );
        self.pre_start(s, number, &why, &create_deps);
        let replacing = Reason::Replacing {
            name: final_name.to_string(),
            why: Box::new(why),
        };
        let removed = self.stop_and_remove(
            c,
            replacing.clone(),
            opts.timeout.or(s.svc.stop_grace_period),
            false,
            vec![hard(create)],
        );
        let rename = self.add(
            Action::RenameContainer {
                container: ContainerRef {
                    service: name.clone(),
                    number,
                    name: tmp,
                    id: None,
                },
                to: final_name.to_string(),
            },
            replacing.clone(),
            vec![hard(removed)],
        );
        self.created.entry(name.clone()).or_default().push(rename);
        self.recreated.insert(name.clone());
        self.start_replica(s, number, final_name, replacing, rename, ctx);
    }

    /// Keeps `c`: finish an interrupted rename, start it if stopped, restart it if a
    /// dependency it restarts with was recreated or restarted.
    fn keep_replica(
        &mut self,
        s: &UpService,
        c: &ObservedContainer,
        final_name: &str,
        ctx: &UpContext,
    ) {
        let name = &s.svc.name;
        let mut current = cref(c);
        let mut after: Vec<Dep> = Vec::new();
        if c.name != final_name {
            let rename = self.add(
                Action::RenameContainer {
                    container: cref(c),
                    to: final_name.to_string(),
                },
                Reason::InterruptedRecreate,
                ctx.images.deps.clone(),
            );
            self.created.entry(name.clone()).or_default().push(rename);
            current.name = final_name.to_string();
            after.push(hard(rename));
        }
        if ctx.opts.no_start {
            self.plan.snapshot.push(snapshot(c));
            return;
        }
        if !c.state.is_up() {
            let mut deps = after;
            deps.extend(self.start_gates(&s.svc, &ctx.scope_set));
            let start = self.add(
                Action::StartContainer { container: current },
                Reason::NotRunning,
                deps,
            );
            self.started.entry(name.clone()).or_default().push(start);
        } else if let Some(dep) = s.restart_trigger.clone() {
            // A restart is a start: it waits for every dependency's condition.
            after.extend(self.start_gates(&s.svc, &ctx.scope_set));
            let restart = self.add(
                Action::RestartContainer {
                    container: current,
                    timeout: ctx.opts.timeout.or(s.svc.stop_grace_period),
                },
                Reason::DependencyRestarted { service: dep },
                after,
            );
            self.started.entry(name.clone()).or_default().push(restart);
            self.restarted.insert(name.clone());
        } else {
            self.plan.snapshot.push(snapshot(c));
        }
    }

    // ---------------------------------------------------------------- run

    /// `run SERVICE`: `up` of the services it depends on, then a wait for each of its
    /// `depends_on` conditions (and the namespaces it joins), which the dispatcher evaluates.
    fn run_dependencies(&mut self, service: &str, up: &UpOptions) -> Result<(), PlanError> {
        self.check_services(&[service.to_string()])?;
        let Some(svc) = self.d.services.get(service).cloned() else {
            return Ok(());
        };
        let deps: Vec<String> = svc
            .depends_on
            .keys()
            .filter(|d| self.d.services.contains_key(*d))
            .cloned()
            .collect();
        if deps.is_empty() {
            return Ok(());
        }
        let opts = UpOptions {
            services: deps,
            ..up.clone()
        };
        self.up(&opts)?;
        let scope: BTreeSet<String> = self
            .scope(&opts.services, !opts.no_deps)
            .into_iter()
            .collect();
        for gate in self.start_gates(&svc, &scope) {
            self.keep_waits.insert(gate.step);
        }
        Ok(())
    }

    // ---------------------------------------------------------------- stop / down

    /// Stops the running containers of `scope` in reverse dependency order (a service stops
    /// after the services that need it). Returns the stop step (or none) per container id.
    fn stop_in_order(
        &mut self,
        scope: &[String],
        extra: &[&'a ObservedContainer],
        timeout: Option<u64>,
    ) -> HashMap<String, Option<StepId>> {
        let mut per_service: HashMap<String, Vec<StepId>> = HashMap::new();
        let mut out: HashMap<String, Option<StepId>> = HashMap::new();
        // Orphans and other extras first: nothing in the project depends on them.
        for c in extra {
            let step = c.state.is_up().then(|| {
                self.add(
                    Action::StopContainer {
                        container: cref(c),
                        timeout,
                    },
                    if c.oneoff {
                        Reason::OneOff
                    } else {
                        Reason::Orphan
                    },
                    vec![],
                )
            });
            out.insert(c.id.clone(), step);
        }
        let scope_set: BTreeSet<&String> = scope.iter().collect();
        for name in scope.iter().rev() {
            let grace = self.d.services.get(name).and_then(|s| s.stop_grace_period);
            let deps: Vec<Dep> = self
                .needs
                .dependents(name)
                .into_iter()
                .filter(|d| scope_set.contains(&d.to_string()))
                .flat_map(|d| per_service.get(d).cloned().unwrap_or_default())
                .map(hard)
                .collect();
            let containers: Vec<&ObservedContainer> = self.o.service_containers(name).collect();
            for c in containers {
                let step = c.state.is_up().then(|| {
                    self.add(
                        Action::StopContainer {
                            container: cref(c),
                            timeout: timeout.or(grace),
                        },
                        Reason::Requested,
                        deps.clone(),
                    )
                });
                if let Some(s) = step {
                    per_service.entry(name.clone()).or_default().push(s);
                }
                out.insert(c.id.clone(), step);
            }
        }
        out
    }

    fn down(&mut self, opts: &DownOptions) -> Result<(), PlanError> {
        let scope = self.scope(&[], false);
        self.record_facts(&scope);
        let orphans = if opts.remove_orphans {
            let mut o = self.orphans();
            o.extend(self.running_oneoffs(&scope));
            o
        } else {
            self.orphan_warning();
            Vec::new()
        };
        let stops = self.stop_in_order(&scope, &orphans, opts.timeout);
        let mut removed: Vec<Dep> = Vec::new();
        let mut all: Vec<&ObservedContainer> = orphans.clone();
        for name in &scope {
            all.extend(self.o.service_containers(name));
        }
        for c in all {
            let deps = stops
                .get(&c.id)
                .copied()
                .flatten()
                .map(hard)
                .into_iter()
                .collect();
            let reason = if c.oneoff {
                Reason::OneOff
            } else if self.d.services.contains_key(&c.service) {
                Reason::Requested
            } else {
                Reason::Orphan
            };
            let rm = self.add(
                Action::RemoveContainer {
                    container: cref(c),
                    volumes: opts.remove_volumes,
                },
                reason,
                deps,
            );
            removed.push(hard(rm));
        }
        for net in self.d.networks.values() {
            if !net.external && self.o.network(&net.name).is_some() {
                self.add(
                    Action::RemoveNetwork {
                        name: net.name.clone(),
                    },
                    Reason::Requested,
                    removed.clone(),
                );
            }
        }
        if opts.remove_volumes {
            for vol in self.d.volumes.values() {
                if !vol.external && self.o.volume(&vol.name).is_some() {
                    self.add(
                        Action::RemoveVolume {
                            name: vol.name.clone(),
                        },
                        Reason::Requested,
                        removed.clone(),
                    );
                }
            }
        }
        if let Some(rmi) = opts.rmi {
            let mut seen = BTreeSet::new();
            for svc in self.d.services.values() {
                let wanted = match rmi {
                    RemoveImages::All => true,
                    RemoveImages::Local => svc.image.is_none(),
                };
                if wanted
                    && self.o.image_id(&svc.image_name).is_some()
                    && seen.insert(svc.image_name.clone())
                {
                    self.add(
                        Action::RemoveImage {
                            image: svc.image_name.clone(),
                        },
                        Reason::Requested,
                        removed.clone(),
                    );
                }
            }
        }
        Ok(())
    }

    fn stop(&mut self, services: &[String], timeout: Option<u64>) -> Result<(), PlanError> {
        self.check_services(services)?;
        let scope = self.scope(services, false);
        self.record_facts(&scope);
        self.stop_in_order(&scope, &[], timeout);
        Ok(())
    }

    fn start(&mut self, services: &[String]) -> Result<(), PlanError> {
        self.check_services(services)?;
        let scope = self.scope(services, false);
        let scope_set: BTreeSet<String> = scope.iter().cloned().collect();
        self.record_facts(&scope);
        for name in &scope {
            let Some(svc) = self.d.services.get(name).cloned() else {
                continue;
            };
            let containers: Vec<&ObservedContainer> = self.o.service_containers(name).collect();
            if containers.is_empty() && !services.is_empty() {
                return Err(PlanError::NothingToStart {
                    service: name.clone(),
                });
            }
            for c in containers {
                if c.state.is_up() {
                    self.plan.snapshot.push(snapshot(c));
                    continue;
                }
                let deps = self.start_gates(&svc, &scope_set);
                let s = self.add(
                    Action::StartContainer { container: cref(c) },
                    Reason::NotRunning,
                    deps,
                );
                self.started.entry(name.clone()).or_default().push(s);
            }
        }
        Ok(())
    }

    fn restart(
        &mut self,
        services: &[String],
        timeout: Option<u64>,
        no_deps: bool,
    ) -> Result<(), PlanError> {
        self.check_services(services)?;
        // Dependents with `restart: true` follow their dependency.
        let mut wanted: BTreeSet<String> = if services.is_empty() {
            self.d.services.keys().cloned().collect()
        } else {
            services.iter().cloned().collect()
        };
        if !no_deps {
            loop {
                let more: Vec<String> = self
                    .d
                    .services
                    .iter()
                    .filter(|(n, s)| {
                        !wanted.contains(*n)
                            && s.depends_on
                                .iter()
                                .any(|(d, spec)| spec.restart && wanted.contains(d))
                    })
                    .map(|(n, _)| n.clone())
                    .collect();
                if more.is_empty() {
                    break;
                }
                wanted.extend(more);
            }
        }
        let list: Vec<String> = wanted.into_iter().collect();
        let scope = self.scope(&list, false);
        let scope_set: BTreeSet<String> = scope.iter().cloned().collect();
        self.record_facts(&scope);
        for name in &scope {
            let Some(svc) = self.d.services.get(name).cloned() else {
                continue;
            };
            let deps = self.start_gates(&svc, &scope_set);
            let containers: Vec<&ObservedContainer> = self.o.service_containers(name).collect();
            for c in containers {
                let s = self.add(
                    Action::RestartContainer {
                        container: cref(c),
                        timeout: timeout.or(svc.stop_grace_period),
                    },
                    Reason::Requested,
                    deps.clone(),
                );
                self.started.entry(name.clone()).or_default().push(s);
            }
        }
        Ok(())
    }

    fn kill(
        &mut self,
        services: &[String],
        signal: &Option<String>,
        remove_orphans: bool,
    ) -> Result<(), PlanError> {
        self.check_services(services)?;
        let scope = self.scope(services, false);
        self.record_facts(&scope);
        let mut targets: Vec<&ObservedContainer> = Vec::new();
        for name in &scope {
            targets.extend(self.o.service_containers(name));
        }
        if remove_orphans {
            targets.extend(self.orphans());
        }
        for c in targets {
            if c.state.is_up() {
                self.add(
                    Action::KillContainer {
                        container: cref(c),
                        signal: signal.clone(),
                    },
                    Reason::Requested,
                    vec![],
                );
            }
        }
        Ok(())
    }

    fn rm(&mut self, services: &[String], stop: bool, volumes: bool) -> Result<(), PlanError> {
        self.check_services(services)?;
        let scope = self.scope(services, false);
        self.record_facts(&scope);
        let stops = if stop {
            self.stop_in_order(&scope, &[], None)
        } else {
            HashMap::new()
        };
        for name in &scope {
            let containers: Vec<&ObservedContainer> = self.o.service_containers(name).collect();
            for c in containers {
                let stop_step = stops.get(&c.id).copied().flatten();
                if c.state.is_up() && stop_step.is_none() {
                    continue; // running and not asked to stop: left alone, like docker compose
                }
                self.add(
                    Action::RemoveContainer {
                        container: cref(c),
                        volumes,
                    },
                    Reason::Requested,
                    stop_step.map(hard).into_iter().collect(),
                );
            }
        }
        Ok(())
    }
}

impl Builder<'_> {
    /// `pause` (running containers) or `unpause` (paused ones).
    fn pause(&mut self, services: &[String], pause: bool) -> Result<(), PlanError> {
        self.check_services(services)?;
        let scope = self.scope(services, false);
        self.record_facts(&scope);
        for name in &scope {
            let containers: Vec<&ObservedContainer> = self.o.service_containers(name).collect();
            for c in containers {
                let action = match (pause, &c.state) {
                    (true, ContainerState::Running) => {
                        Action::PauseContainer { container: cref(c) }
                    }
                    (false, ContainerState::Paused) => {
                        Action::UnpauseContainer { container: cref(c) }
                    }
                    _ => continue,
                };
                self.add(action, Reason::Requested, vec![]);
            }
        }
        Ok(())
    }
}

/// The first network the container should be on but isn't, or is on but shouldn't be.
/// Unknown attachments (an empty list) are not a change.
fn network_change(
    c: &ObservedContainer,
    expected: &BTreeSet<String>,
    svc: &DesiredService,
) -> Option<String> {
    if svc.network_mode.is_some() || c.networks.is_empty() {
        return None;
    }
    let actual: BTreeSet<String> = c.networks.iter().cloned().collect();
    expected
        .difference(&actual)
        .next()
        .or_else(|| actual.difference(expected).next())
        .cloned()
}

pub fn build(d: &Desired, o: &Observed, intent: &Intent) -> Result<Plan, PlanError> {
    let mut b = Builder::new(d, o)?;
    match intent {
        Intent::Up(opts) => b.up(opts)?,
        Intent::Down(opts) => b.down(opts)?,
        Intent::Stop { services, timeout } => b.stop(services, *timeout)?,
        Intent::Start { services } => b.start(services)?,
        Intent::Restart {
            services,
            timeout,
            no_deps,
        } => b.restart(services, *timeout, *no_deps)?,
        Intent::Kill {
            services,
            signal,
            remove_orphans,
        } => b.kill(services, signal, *remove_orphans)?,
        Intent::Rm {
            services,
            stop,
            volumes,
        } => b.rm(services, *stop, *volumes)?,
        Intent::Pause { services } => b.pause(services, true)?,
        Intent::Unpause { services } => b.pause(services, false)?,
        Intent::Run { service, up } => b.run_dependencies(service, up)?,
    }
    let keep = std::mem::take(&mut b.keep_waits);
    let mut plan = b.plan;
    // Waits nobody needs are dropped (but those a one-off waits for); ids are renumbered so
    // that they stay positions.
    prune_unused_waits(&mut plan, &keep);
    Ok(plan)
}

fn prune_unused_waits(plan: &mut Plan, keep_waits: &BTreeSet<StepId>) {
    let used: BTreeSet<StepId> = plan
        .steps
        .iter()
        .flat_map(|s| s.deps.iter().map(|d| d.step))
        .chain(keep_waits.iter().copied())
        .collect();
    let keep: Vec<bool> = plan
        .steps
        .iter()
        .map(|s| !matches!(s.action, Action::Await { .. }) || used.contains(&s.id))
        .collect();
    if keep.iter().all(|k| *k) {
        return;
    }
    let mut new_id: Vec<Option<StepId>> = Vec::with_capacity(keep.len());
    let mut next = 0;
    for k in &keep {
        if *k {
            new_id.push(Some(next));
            next += 1;
        } else {
            new_id.push(None);
        }
    }
    let old = std::mem::take(&mut plan.steps);
    for (i, mut s) in old.into_iter().enumerate() {
        let Some(Some(id)) = new_id.get(i).copied() else {
            continue;
        };
        s.id = id;
        s.deps = s
            .deps
            .iter()
            .filter_map(|d| {
                new_id
                    .get(d.step)
                    .copied()
                    .flatten()
                    .map(|step| Dep { step, soft: d.soft })
            })
            .collect();
        plan.steps.push(s);
    }
}
