//! The published endpoints of a running project: where on the host each service's container
//! ports answer. Used by `Stack::endpoint`, `rcompose endpoints` and `rcompose test`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use serde::Serialize;

use crate::app::oneoff::is_oneoff;
use crate::app::ops::EngineRef;
use crate::engine::{EngineError, LabelFilter};
use crate::model::labels::{CONTAINER_NUMBER, SERVICE};
use crate::model::Project;

/// One published port of a service's first replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    pub service: String,
    /// The container port.
    pub port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
    /// Where it is published on the host (a wildcard address is given as loopback).
    pub address: SocketAddr,
}

/// Every published endpoint of a project, by service, in the order the services' `ports` list
/// them (the service's first port first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub by_service: BTreeMap<String, Vec<Endpoint>>,
}

impl Endpoints {
    /// The host address of `service`'s container `port` (tcp).
    pub fn get(&self, service: &str, port: u16) -> Option<SocketAddr> {
        self.by_service
            .get(service)?
            .iter()
            .find(|e| e.port == port && e.protocol == "tcp")
            .map(|e| e.address)
    }

    /// All endpoints, service by service.
    pub fn iter(&self) -> impl Iterator<Item = &Endpoint> {
        self.by_service.values().flatten()
    }

    /// The map as environment variables: `<SERVICE>_<PORT>=host:port` (`_UDP` appended for udp
    /// ports), and `<SERVICE>_HOST` / `<SERVICE>_PORT` for a service's first port. Names are
    /// upper-cased, with every character other than a letter or digit made `_`.
    pub fn env(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (service, list) in &self.by_service {
            let prefix = env_name(service);
            if let Some(first) = list.first() {
                out.push((format!("{prefix}_HOST"), first.address.ip().to_string()));
                out.push((format!("{prefix}_PORT"), first.address.port().to_string()));
            }
            for e in list {
                let suffix = if e.protocol == "udp" { "_UDP" } else { "" };
                out.push((
                    format!("{prefix}_{}{suffix}", e.port),
                    e.address.to_string(),
                ));
            }
        }
        out
    }
}

/// `my-db.1` → `MY_DB_1`.
pub fn env_name(service: &str) -> String {
    service
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Reads the published ports of `project_name`'s containers (the lowest-numbered replica of each
/// service). With the `project` model, each service's ports are in its `ports` order.
pub async fn endpoints(
    engine: &EngineRef,
    project_name: &str,
    project: Option<&Project>,
) -> Result<Endpoints, EngineError> {
    let list = engine
        .list_containers(&LabelFilter::project(project_name))
        .await?;
    let mut first: BTreeMap<String, (u32, crate::engine::ContainerSummary)> = BTreeMap::new();
    for c in list.into_iter().filter(|c| !is_oneoff(c)) {
        let (Some(service), number) = (
            c.labels.get(SERVICE).cloned(),
            c.labels
                .get(CONTAINER_NUMBER)
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(u32::MAX),
        ) else {
            continue;
        };
        match first.get(&service) {
            Some((n, _)) if *n <= number => {}
            _ => {
                first.insert(service, (number, c));
            }
        }
    }
    let mut out = Endpoints::default();
    for (service, (_, c)) in first {
        let mut list: Vec<Endpoint> = Vec::new();
        for p in c.ports.iter().filter(|p| p.host_port != 0) {
            let protocol = p.container.protocol.as_str().to_string();
            if list
                .iter()
                .any(|e| e.port == p.container.port && e.protocol == protocol)
            {
                continue; // the same port on IPv4 and IPv6: one endpoint
            }
            list.push(Endpoint {
                service: service.clone(),
                port: p.container.port,
                protocol,
                address: SocketAddr::new(host_ip(&p.host_ip), p.host_port),
            });
        }
        let order = declared_order(project, &service);
        list.sort_by_key(|e| {
            (
                order
                    .iter()
                    .position(|p| *p == e.port)
                    .unwrap_or(usize::MAX),
                e.port,
                e.protocol.clone(),
            )
        });
        if !list.is_empty() {
            out.by_service.insert(service, list);
        }
    }
    Ok(out)
}

fn declared_order(project: Option<&Project>, service: &str) -> Vec<u16> {
    project
        .and_then(|p| p.services.get(service))
        .map(|s| {
            s.ports
                .iter()
                .filter_map(|p| u16::try_from(p.target).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// The address to reach a port the engine published on `ip` (a wildcard is loopback).
pub(super) fn host_ip(ip: &str) -> IpAddr {
    match ip {
        "" | "0.0.0.0" => IpAddr::V4(Ipv4Addr::LOCALHOST),
        "::" => IpAddr::V6(Ipv6Addr::LOCALHOST),
        other => other.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_names_are_upper_case_with_underscores() {
        let mut e = Endpoints::default();
        let ep = |port, protocol: &str, host| Endpoint {
            service: "my-db".into(),
            port,
            protocol: protocol.into(),
            address: SocketAddr::from(([127, 0, 0, 1], host)),
        };
        e.by_service.insert(
            "my-db".into(),
            vec![ep(5432, "tcp", 40001), ep(53, "udp", 40002)],
        );
        assert_eq!(
            e.env(),
            vec![
                ("MY_DB_HOST".to_string(), "127.0.0.1".to_string()),
                ("MY_DB_PORT".to_string(), "40001".to_string()),
                ("MY_DB_5432".to_string(), "127.0.0.1:40001".to_string()),
                ("MY_DB_53_UDP".to_string(), "127.0.0.1:40002".to_string()),
            ]
        );
        assert_eq!(
            e.get("my-db", 5432),
            Some(SocketAddr::from(([127, 0, 0, 1], 40001)))
        );
        assert_eq!(e.get("my-db", 53), None, "udp is not the tcp port");
    }
}
