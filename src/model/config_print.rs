//! How `docker compose config` (v5.6.1) prints the model, where that differs from the model's
//! serde: the order of a service's keys, in YAML and in JSON alike, and the defaults its YAML
//! leaves out.
//!
//! The order of a service's keys is not compose-go's struct order (that one is the config
//! hash's, see `go_json`): v5 prints some keys first (`profiles`, `deploy`, `restart`,
//! `container_name`, the lifecycle hooks, ...) and some last (`build`, `depends_on`, `expose`,
//! `healthcheck`, `ports`, `stdin_open`, `tty`), then the `x-*` extensions. Measured key by key
//! against the v5 binary (2026-12-05).
//!
//! Plain data, no I/O; imports nothing outside the model.

use serde_json::{Map, Value};

/// A service's keys in the order v5's `config` prints them. Keys not listed (`x-*` extensions)
/// follow, in the order they had.
pub const SERVICE_KEY_ORDER: &[&str] = &[
    "profiles",
    "deploy",
    "develop",
    "restart",
    "scale",
    "attach",
    "container_name",
    "provider",
    "external_links",
    "links",
    "pre_start",
    "post_start",
    "pre_stop",
    "annotations",
    "blkio_config",
    "cap_add",
    "cap_drop",
    "cgroup_parent",
    "cgroup",
    "cpu_count",
    "cpu_percent",
    "cpu_period",
    "cpu_quota",
    "cpu_rt_period",
    "cpu_rt_runtime",
    "cpus",
    "cpuset",
    "cpu_shares",
    "command",
    "configs",
    "credential_spec",
    "device_cgroup_rules",
    "devices",
    "dns",
    "dns_opt",
    "dns_search",
    "domainname",
    "entrypoint",
    "environment",
    "env_file",
    "extra_hosts",
    "group_add",
    "gpus",
    "hostname",
    "image",
    "init",
    "ipc",
    "isolation",
    "labels",
    "label_file",
    "logging",
    "mem_limit",
    "mem_reservation",
    "memswap_limit",
    "mem_swappiness",
    "mac_address",
    "models",
    "network_mode",
    "networks",
    "oom_kill_disable",
    "oom_score_adj",
    "pid",
    "pids_limit",
    "platform",
    "privileged",
    "pull_policy",
    "pull_refresh_after",
    "read_only",
    "runtime",
    "secrets",
    "security_opt",
    "shm_size",
    "stop_grace_period",
    "stop_signal",
    "storage_opt",
    "sysctls",
    "tmpfs",
    "ulimits",
    "use_api_socket",
    "user",
    "userns_mode",
    "uts",
    "volumes",
    "volumes_from",
    "working_dir",
    "build",
    "depends_on",
    "expose",
    "healthcheck",
    "ports",
    "stdin_open",
    "tty",
];

/// Puts the keys of every service of a printed `services` map in [`SERVICE_KEY_ORDER`].
pub fn order_services(services: &mut Value) {
    if let Value::Object(services) = services {
        services
            .values_mut()
            .filter_map(Value::as_object_mut)
            .for_each(order_service);
    }
}

/// Leaves out `bind.create_host_path: true` (the default) of the services' volumes, as v5's
/// interpolated YAML does (compose-go's `OptOut`); `--no-interpolate` prints the raw tree, which
/// keeps it.
pub fn omit_default_create_host_path(services: &mut Value) {
    let Value::Object(services) = services else {
        return;
    };
    let volumes = services
        .values_mut()
        .filter_map(|s| s.get_mut("volumes"))
        .filter_map(Value::as_array_mut)
        .flatten();
    for bind in volumes.filter_map(|v| v.get_mut("bind")) {
        if let Value::Object(b) = bind {
            if b.get("create_host_path") == Some(&Value::Bool(true)) {
                b.remove("create_host_path");
            }
        }
    }
}

/// Puts one printed service's keys in [`SERVICE_KEY_ORDER`]; unlisted keys keep their order,
/// after the listed ones.
pub fn order_service(m: &mut Map<String, Value>) {
    let rank = |k: &str| {
        SERVICE_KEY_ORDER
            .iter()
            .position(|o| *o == k)
            .unwrap_or(SERVICE_KEY_ORDER.len())
    };
    let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
    // Stable: unlisted keys stay in their order.
    entries.sort_by_key(|(k, _)| rank(k));
    m.extend(entries);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of the model's `Service` has its place, but those `config` never prints
    /// (the loader consumes them, or they are not keys): a new field must be placed here.
    #[test]
    fn every_service_field_is_ordered() {
        const NOT_PRINTED: &[&str] = &["name", "extensions", "extends"];
        let src = include_str!("service.rs");
        let start = src.find("pub struct Service {").expect("struct Service");
        let body = &src[start..];
        let body = &body[..body.find("\n}\n").expect("end of struct Service")];
        let fields: Vec<&str> = body
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pub "))
            .filter_map(|l| l.split_once(':').map(|(f, _)| f))
            .filter(|f| !f.contains(' '))
            .collect();
        assert!(fields.len() > 80, "only {} fields found", fields.len());
        for f in fields {
            assert!(
                SERVICE_KEY_ORDER.contains(&f) || NOT_PRINTED.contains(&f),
                "Service.{f} has no place in SERVICE_KEY_ORDER"
            );
        }
    }

    #[test]
    fn v5_prints_restart_first_and_build_after_networks() {
        let mut v = serde_json::json!({"a": {
            "build": {"context": "."}, "command": null, "x-a": 1, "image": "i",
            "networks": {"default": null}, "restart": "always"
        }});
        order_services(&mut v);
        let keys: Vec<&String> = v["a"].as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["restart", "command", "image", "networks", "build", "x-a"]
        );
    }
}
