//! Where the Docker engine is: [`ConnectOptions`] (the typed form of `DOCKER_HOST`,
//! `DOCKER_TLS_VERIFY`, `DOCKER_CERT_PATH`, `DOCKER_CONTEXT` and the docker config directory) and
//! its resolution to an [`EngineAddress`] (`DOCKER_HOST`, else the docker context, else
//! `/var/run/docker.sock`). Reads the docker config and context files, never the environment.
//! Must not import bollard, `model`, `loader`, `plan`, `app` or `cli`.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::engine::{EngineError, EngineResult};

/// Where the engine is, as resolved from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineAddress {
    /// A unix socket path.
    Unix(PathBuf),
    /// `tcp://host:port`, plain or with TLS files.
    Tcp { addr: String, tls: Option<TlsFiles> },
}

impl std::fmt::Display for EngineAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineAddress::Unix(p) => write!(f, "unix://{}", p.display()),
            EngineAddress::Tcp { addr, .. } => write!(f, "tcp://{addr}"),
        }
    }
}

/// Client TLS material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TlsFiles {
    pub(crate) fn in_dir(dir: &Path) -> TlsFiles {
        TlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }
}

const DEFAULT_SOCKET: &str = "/var/run/docker.sock";

/// Where to find the engine, as typed settings. The CLI builds it from the process environment
/// with [`ConnectOptions::from_env`]; nothing in the engine layer reads environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    /// `DOCKER_HOST`: `unix://...`, `tcp://...`, `http(s)://...` or a socket path.
    pub host: Option<String>,
    /// `DOCKER_TLS_VERIFY` set (and not `0`): talk TLS with the client files.
    pub tls_verify: bool,
    /// `DOCKER_CERT_PATH`: the directory of `ca.pem`, `cert.pem`, `key.pem` (else `config_dir`).
    pub cert_path: Option<PathBuf>,
    /// `DOCKER_CONTEXT`: the docker context to use (else `currentContext` of the config file).
    pub context: Option<String>,
    /// The docker config directory (`DOCKER_CONFIG`, else `$HOME/.docker`): contexts, TLS files
    /// and registry credentials.
    pub config_dir: Option<PathBuf>,
}

impl ConnectOptions {
    /// The settings docker reads from its environment variables, read through `env` (the CLI
    /// passes `|name| std::env::var(name).ok()`). Empty values count as unset.
    pub fn from_env(env: impl Fn(&str) -> Option<String>) -> ConnectOptions {
        let non_empty = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        ConnectOptions {
            host: non_empty("DOCKER_HOST"),
            tls_verify: non_empty("DOCKER_TLS_VERIFY").is_some_and(|v| v != "0"),
            cert_path: non_empty("DOCKER_CERT_PATH").map(PathBuf::from),
            context: non_empty("DOCKER_CONTEXT"),
            config_dir: non_empty("DOCKER_CONFIG")
                .map(PathBuf::from)
                .or_else(|| non_empty("HOME").map(|h| PathBuf::from(h).join(".docker"))),
        }
    }
}

/// Resolves the engine address from the connection settings and the docker config directory.
/// Pure apart from reading the context files; unit-tested with a temp dir.
pub fn resolve_address(options: &ConnectOptions) -> EngineResult<EngineAddress> {
    let config_dir = options.config_dir.clone();
    if let Some(host) = &options.host {
        let tls_dir = options.cert_path.clone().or_else(|| config_dir.clone());
        let tls = match (options.tls_verify, tls_dir) {
            (true, Some(dir)) => Some(TlsFiles::in_dir(&dir)),
            (true, None) => {
                return Err(EngineError::Client(
                    "DOCKER_TLS_VERIFY is set but neither DOCKER_CERT_PATH nor HOME is".into(),
                ))
            }
            (false, _) => None,
        };
        return parse_host(host, tls);
    }

    let Some(config_dir) = config_dir else {
        return Ok(EngineAddress::Unix(PathBuf::from(DEFAULT_SOCKET)));
    };
    let context = match &options.context {
        Some(c) => Some(c.clone()),
        None => read_current_context(&config_dir.join("config.json"))?,
    };
    match context {
        None => Ok(EngineAddress::Unix(PathBuf::from(DEFAULT_SOCKET))),
        Some(c) if c == "default" => Ok(EngineAddress::Unix(PathBuf::from(DEFAULT_SOCKET))),
        Some(c) => context_address(&config_dir, &c),
    }
}

fn parse_host(host: &str, tls: Option<TlsFiles>) -> EngineResult<EngineAddress> {
    if let Some(path) = host.strip_prefix("unix://") {
        return Ok(EngineAddress::Unix(PathBuf::from(path)));
    }
    if let Some(addr) = host
        .strip_prefix("tcp://")
        .or_else(|| host.strip_prefix("http://"))
    {
        return Ok(EngineAddress::Tcp {
            addr: addr.trim_end_matches('/').to_string(),
            tls,
        });
    }
    if let Some(addr) = host.strip_prefix("https://") {
        return Ok(EngineAddress::Tcp {
            addr: addr.trim_end_matches('/').to_string(),
            tls,
        });
    }
    if host.starts_with('/') {
        return Ok(EngineAddress::Unix(PathBuf::from(host)));
    }
    Err(EngineError::Client(format!(
        "unsupported engine address {host:?}: rcompose speaks unix:// and tcp:// (set DOCKER_HOST)"
    )))
}

fn read_current_context(config: &Path) -> EngineResult<Option<String>> {
    let text = match std::fs::read_to_string(config) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(EngineError::Client(format!(
                "cannot read {}: {e}",
                config.display()
            )))
        }
    };
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| EngineError::Client(format!("{} is not valid JSON: {e}", config.display())))?;
    Ok(value
        .get("currentContext")
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string))
}

fn context_address(config_dir: &Path, context: &str) -> EngineResult<EngineAddress> {
    let digest = hex::encode(Sha256::digest(context.as_bytes()));
    let meta = config_dir
        .join("contexts")
        .join("meta")
        .join(&digest)
        .join("meta.json");
    let text = std::fs::read_to_string(&meta).map_err(|e| {
        EngineError::Client(format!(
            "docker context {context:?} is selected but {} cannot be read: {e}; \
             run `docker context use default` or set DOCKER_HOST",
            meta.display()
        ))
    })?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| EngineError::Client(format!("{} is not valid JSON: {e}", meta.display())))?;
    let endpoint = value.get("Endpoints").and_then(|e| e.get("docker"));
    let host = endpoint
        .and_then(|e| e.get("Host"))
        .and_then(|h| h.as_str())
        .ok_or_else(|| {
            EngineError::Client(format!(
                "docker context {context:?} has no docker endpoint host ({})",
                meta.display()
            ))
        })?;
    let skip_verify = endpoint
        .and_then(|e| e.get("SkipTLSVerify"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    let tls_dir = config_dir
        .join("contexts")
        .join("tls")
        .join(&digest)
        .join("docker");
    let tls =
        (!skip_verify && tls_dir.join("ca.pem").is_file()).then(|| TlsFiles::in_dir(&tls_dir));
    parse_host(host, tls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> ConnectOptions {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ConnectOptions::from_env(move |k| map.get(k).cloned())
    }

    #[test]
    fn docker_host_wins() {
        let a = resolve_address(&env_of(&[("DOCKER_HOST", "tcp://10.0.0.1:2375")])).ok();
        assert_eq!(
            a,
            Some(EngineAddress::Tcp {
                addr: "10.0.0.1:2375".into(),
                tls: None
            })
        );
        let a = resolve_address(&env_of(&[("DOCKER_HOST", "unix:///run/d.sock")])).ok();
        assert_eq!(a, Some(EngineAddress::Unix("/run/d.sock".into())));
    }

    #[test]
    fn tls_verify_uses_cert_path() {
        let a = resolve_address(&env_of(&[
            ("DOCKER_HOST", "tcp://h:2376"),
            ("DOCKER_TLS_VERIFY", "1"),
            ("DOCKER_CERT_PATH", "/certs"),
        ]))
        .ok();
        assert_eq!(
            a,
            Some(EngineAddress::Tcp {
                addr: "h:2376".into(),
                tls: Some(TlsFiles::in_dir(Path::new("/certs")))
            })
        );
    }

    #[test]
    fn unsupported_scheme_is_a_clear_error() {
        let e = resolve_address(&env_of(&[("DOCKER_HOST", "ssh://me@box")]));
        assert!(matches!(e, Err(EngineError::Client(m)) if m.contains("DOCKER_HOST")));
    }

    #[test]
    fn no_config_means_default_socket() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let home = dir.path().to_string_lossy().to_string();
        let a = resolve_address(&env_of(&[("HOME", &home)]))?;
        assert_eq!(a, EngineAddress::Unix(DEFAULT_SOCKET.into()));
        Ok(())
    }

    #[test]
    fn current_context_is_followed() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let cfg = dir.path().join(".docker");
        std::fs::create_dir_all(&cfg)?;
        std::fs::write(cfg.join("config.json"), r#"{"currentContext":"remote"}"#)?;
        let digest = hex::encode(Sha256::digest(b"remote"));
        let meta = cfg.join("contexts/meta").join(&digest);
        std::fs::create_dir_all(&meta)?;
        std::fs::write(
            meta.join("meta.json"),
            r#"{"Name":"remote","Endpoints":{"docker":{"Host":"unix:///ctx.sock","SkipTLSVerify":false}}}"#,
        )?;
        let home = dir.path().to_string_lossy().to_string();
        let a = resolve_address(&env_of(&[("HOME", &home)]))?;
        assert_eq!(a, EngineAddress::Unix("/ctx.sock".into()));
        // DOCKER_CONTEXT=default overrides the file.
        let a = resolve_address(&env_of(&[("HOME", &home), ("DOCKER_CONTEXT", "default")]))?;
        assert_eq!(a, EngineAddress::Unix(DEFAULT_SOCKET.into()));
        // A missing context is an error that says what to do.
        let e = resolve_address(&env_of(&[("HOME", &home), ("DOCKER_CONTEXT", "gone")]));
        assert!(matches!(e, Err(EngineError::Client(m)) if m.contains("docker context use")));
        Ok(())
    }
}
