//! The service config hash, exactly as docker compose v5 computes it (`ServiceHash` in
//! docker/compose `pkg/compose/hash.go`): SHA-256 of Go's `json.Marshal` of compose-go's
//! `ServiceConfig` after it clears `build`, `pull_policy`, `scale`, `deploy.replicas`,
//! `depends_on` and `profiles` (those don't change the container). `up` writes it on every
//! container as `com.docker.compose.config-hash` and `config --hash` prints it, so a stack started
//! by either tool is a no-op `up` for the other.
//!
//! Only those fields are cleared: an emptied `deploy` stays (`{"resources":{},"placement":{}}`),
//! `develop`, hooks, networks and everything else count, as in v5. The JSON text itself is the
//! model's (`model::go_json`), which owns field order and Go's encoding rules.
//!
//! Pure; imports only `model`.

use sha2::{Digest, Sha256};

use crate::model::{go_json, Network, Service, Volume};

/// The service fields v5 clears before hashing (`deploy.replicas` too, inside `deploy`).
pub const HASH_EXCLUDED_KEYS: &[&str] =
    &["build", "pull_policy", "scale", "depends_on", "profiles"];

/// The text v5 hashes for `service`: `json.Marshal` of it with the excluded fields cleared.
pub fn service_hash_input(service: &Service) -> String {
    let mut s = service.clone();
    s.build = None;
    s.pull_policy = None;
    s.scale = None;
    if let Some(d) = s.deploy.as_mut() {
        d.replicas = None;
    }
    s.depends_on.clear();
    s.profiles.clear();
    go_json::marshal(&s)
}

/// The config hash of `service`: hex SHA-256 of [`service_hash_input`].
pub fn service_config_hash(service: &Service) -> String {
    hex::encode(Sha256::digest(service_hash_input(service).as_bytes()))
}

/// The config hash of a project network, as v5's `NetworkHash`: hex SHA-256 of its
/// `json.Marshal` (recorded as the network's `com.docker.compose.config-hash` label).
pub fn network_config_hash(network: &Network) -> String {
    hex::encode(Sha256::digest(go_json::marshal(network).as_bytes()))
}

/// The config hash of a project volume, as v5's `VolumeHash`: its `json.Marshal` with an unset
/// driver given as `local`.
pub fn volume_config_hash(volume: &Volume) -> String {
    let mut v = volume.clone();
    if v.driver.as_deref().unwrap_or("").is_empty() {
        v.driver = Some("local".to_string());
    }
    hex::encode(Sha256::digest(go_json::marshal(&v).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Project;

    /// The labels docker compose v5.6.1 put on the network and volume of a project `ixp` with a
    /// default network and a volume `data` (2026-12-05).
    #[test]
    fn network_and_volume_hashes_are_v5s() {
        let network = Network {
            name: Some("ixp_default".into()),
            ..Default::default()
        };
        assert_eq!(
            network_config_hash(&network),
            "fea720e4777c2df3fe66f4f4c6960c1e1e57d71c65c547a506871e72afc036eb"
        );
        let volume = Volume {
            name: Some("ixp_data".into()),
            ..Default::default()
        };
        assert_eq!(
            volume_config_hash(&volume),
            "0455950c469a2b5d150063371ada6065d792e701d2d3895ad4450a826d9301ae"
        );
    }

    /// The services as docker compose v5.6.1 `config` prints them (its canonical form, which the
    /// model reads as is); the expected hashes are v5's own `config --hash '*'` for the compose
    /// file that produced them (2026-12-05). Command strings are split by v5 (`"echo a && echo b
    /// > /tmp/out"` is `[echo, a]`).
    const V5_CANONICAL: &str = r#"name: unit
services:
  command:
    command: [echo, a]
    entrypoint: [/bin/sh, -c]
    image: busybox:stable
    networks: {default: null}
    user: 1000:1000
    working_dir: /tmp
  deploy:
    deploy:
      replicas: 2
      resources:
        limits: {cpus: 0.5, memory: "536870912", pids: 100}
        reservations: {cpus: 0.25, memory: "134217728"}
      restart_policy: {condition: on-failure, delay: 5s, max_attempts: 3}
    cap_add: [NET_ADMIN]
    cpu_shares: 512
    dns: [8.8.8.8]
    extra_hosts: [somehost=162.242.195.82]
    image: busybox:stable
    init: true
    logging: {driver: json-file, options: {max-size: 10m}}
    mem_swappiness: "60"
    networks: {default: null}
    read_only: true
    shm_size: "268435456"
    stop_grace_period: 1m0s
    sysctls: {net.core.somaxconn: "1024"}
    tmpfs: [/run]
    ulimits:
      nofile: {soft: 1024, hard: 2048}
      nproc: 65535
    stdin_open: true
    tty: true
  environment:
    environment:
      EMPTY: ""
      HTML: <a href='x'>&amp;</a>
      NUMBER: "42"
      PLAIN: value
      UNICODE: héllo ✓
    image: busybox:stable
    networks: {default: null}
  healthcheck:
    image: busybox:stable
    networks: {default: null}
    healthcheck:
      test: [CMD-SHELL, wget -q -O - http://localhost/ || exit 1]
      timeout: 10s
      interval: 1m30s
      retries: 3
      start_period: 5s
      start_interval: 500ms
  labels:
    restart: unless-stopped
    container_name: labelled
    image: busybox:stable
    labels: {com.example.a: "1", com.example.b: "2", com.example.html: <x>}
    networks: {default: null}
  ports:
    image: nginx:1.27
    networks: {default: null}
    ports:
      - {mode: ingress, target: 80, published: "8080", protocol: tcp}
      - {mode: ingress, host_ip: 127.0.0.1, target: 53, published: "5353", protocol: udp}
      - {mode: host, target: 443, published: "8443", protocol: tcp, app_protocol: https}
  volumes:
    image: busybox:stable
    networks: {default: null}
    volumes:
      - {type: volume, source: data, target: /data, volume: {}}
      - {type: bind, source: /srv/www, target: /var/www, read_only: true, bind: {}}
      - {type: tmpfs, target: /cache, tmpfs: {size: "67108864", mode: 1777}}
      - {type: volume, source: data, target: /sub, volume: {nocopy: true, subpath: sub}}
  web:
    image: busybox:stable
    networks: {default: null}
networks:
  default: {name: unit_default}
volumes:
  data: {name: unit_data}
"#;

    fn hash_of(service: &str) -> String {
        let v: serde_yaml::Value = serde_yaml::from_str(V5_CANONICAL).unwrap_or_default();
        let p = Project::from_value(v).unwrap_or_else(|e| panic!("{e}"));
        let s = p
            .services
            .get(service)
            .unwrap_or_else(|| panic!("no service {service}"));
        service_config_hash(s)
    }

    #[test]
    fn plain_service_hashes_go_json_of_its_config() {
        let v: serde_yaml::Value = serde_yaml::from_str(V5_CANONICAL).unwrap_or_default();
        let p = Project::from_value(v).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            service_hash_input(&p.services["web"]),
            r#"{"command":null,"entrypoint":null,"image":"busybox:stable","networks":{"default":null}}"#
        );
        assert_eq!(
            hash_of("web"),
            "2b54119ee2ac8614016bbed0d3d8a4868ce87ceb48a631836b4acf954505ba4b"
        );
    }

    #[test]
    fn ports_hash_as_v5() {
        assert_eq!(
            hash_of("ports"),
            "28329227384036b249bea7edbf97a5c27fc4becc307898228b6105a843534170"
        );
    }

    #[test]
    fn volumes_hash_as_v5() {
        assert_eq!(
            hash_of("volumes"),
            "b8acae60910c24c730125c51a1a0aa2664b58fd3e0c0dc870ed5f8701233a25a"
        );
    }

    #[test]
    fn environment_with_html_and_unicode_hashes_as_v5() {
        assert_eq!(
            hash_of("environment"),
            "f8c66dfff1fdc758ba6afb13fcbb2c0b9b41b365cef396b453187ea63b509fa4"
        );
    }

    #[test]
    fn healthcheck_durations_hash_as_v5() {
        assert_eq!(
            hash_of("healthcheck"),
            "5dc3b448d80c2fda5d94cc50c04ed904f18a7524ec00a8993cd8aa3686bb823f"
        );
    }

    #[test]
    fn command_and_entrypoint_hash_as_v5() {
        assert_eq!(
            hash_of("command"),
            "aba189ba2d24f78a38c10498f5ac62bfae9c5da9966a38b773427e1737cb5aa1"
        );
    }

    #[test]
    fn labels_hash_as_v5() {
        assert_eq!(
            hash_of("labels"),
            "0edfbac24ea5f9dda5ea7e7ee8da43d4326d5485ee971b33414824819481cfe9"
        );
    }

    #[test]
    fn deploy_limits_and_runtime_settings_hash_as_v5_without_replicas() {
        assert_eq!(
            hash_of("deploy"),
            "fc5f914ef24c941774d9971740a74595745d449ce627ed27d5ffe90d294bd57c"
        );
        let v: serde_yaml::Value = serde_yaml::from_str(V5_CANONICAL).unwrap_or_default();
        let p = Project::from_value(v).unwrap_or_else(|e| panic!("{e}"));
        let mut s = p.services["deploy"].clone();
        s.scale = Some(5);
        s.pull_policy = Some("always".into());
        s.profiles = vec!["x".into()];
        if let Some(d) = s.deploy.as_mut() {
            d.replicas = Some(7);
        }
        assert_eq!(
            service_config_hash(&s),
            "fc5f914ef24c941774d9971740a74595745d449ce627ed27d5ffe90d294bd57c"
        );
    }
}
