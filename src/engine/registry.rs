//! A small, synchronous client of the registry HTTP API (the OCI distribution specification), with
//! no Docker engine in between: what `publish` needs to push a Compose application as an OCI
//! artifact and what loading `-f oci://REF` needs to pull it back.
//!
//! Owns: reading a reference as docker does ([`Reference::parse`], `docker.io` and `library/`
//! defaults, `latest`), one request per connection over HTTP/1.1 (plain TCP, or TLS through rustls
//! with the system's roots), the token and basic authentication challenges (`WWW-Authenticate`)
//! with the credentials of [`super::auth`], blob upload (`POST` then `PUT ?digest=`), manifest
//! upload and download, and blob download with its digest checked.
//!
//! Plain HTTP is used for the registries the caller names as insecure (`--insecure-registry`) and
//! for loopback hosts (`localhost`, `127.0.0.0/8`, `::1`), which the Docker engine trusts without
//! TLS too; every other registry is reached over HTTPS.
//!
//! Must not import `bollard`, `model`, `loader`, `plan`, `app` or `cli`.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use super::auth::RegistryAuth;

/// A failed registry operation, naming the reference it was for.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// The reference is not a valid `[HOST[:PORT]/]NAME[:TAG][@DIGEST]`.
    #[error("invalid reference {reference:?}: {reason}")]
    InvalidReference { reference: String, reason: String },
    /// The registry could not be reached (connection refused, DNS, TLS).
    #[error("{reference}: cannot reach the registry at {url}: {reason}")]
    Unreachable {
        reference: String,
        url: String,
        reason: String,
    },
    /// The registry answered with an error status.
    #[error("{reference}: {what}: the registry answered {status}{detail}")]
    Status {
        reference: String,
        what: String,
        status: u16,
        detail: String,
    },
    /// The content does not match its digest, or is not what was asked for.
    #[error("{reference}: {reason}")]
    Invalid { reference: String, reason: String },
}

impl RegistryError {
    /// The HTTP status of a [`RegistryError::Status`].
    pub fn status(&self) -> Option<u16> {
        match self {
            RegistryError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

pub type RegistryResult<T> = Result<T, RegistryError>;

/// A parsed image or artifact reference, as docker's `ParseDockerRef` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `docker.io`, `127.0.0.1:5000`, `ghcr.io`.
    pub domain: String,
    /// `library/busybox`, `team/app`.
    pub path: String,
    /// The tag (`latest` when neither a tag nor a digest is given).
    pub tag: Option<String>,
    /// `sha256:<hex>`.
    pub digest: Option<String>,
}

/// The docker distribution library's spelling of a repository: `index.docker.io` is
/// `docker.io`, and an official image's path on Docker Hub starts with `library/`.
pub fn canonical_repository(domain: String, path: String) -> (String, String) {
    let domain = if domain == "index.docker.io" {
        "docker.io".to_string()
    } else {
        domain
    };
    let path = if domain == "docker.io" && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    (domain, path)
}

impl Reference {
    /// Reads `[HOST[:PORT]/]NAME[:TAG][@DIGEST]`; a reference with neither tag nor digest gets
    /// `latest`, a Docker Hub name with one component gets `library/`.
    pub fn parse(text: &str) -> RegistryResult<Reference> {
        let invalid = |reason: &str| RegistryError::InvalidReference {
            reference: text.to_string(),
            reason: reason.to_string(),
        };
        if text.is_empty() {
            return Err(invalid("the reference is empty"));
        }
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => {
                let hex = d
                    .strip_prefix("sha256:")
                    .ok_or_else(|| invalid("only sha256 digests are supported"))?;
                if hex.len() != 64 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(invalid("the digest is not sha256:<64 hex digits>"));
                }
                (r, Some(d.to_string()))
            }
            None => (text, None),
        };
        let (domain, remainder) = match rest.split_once('/') {
            Some((first, r))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (first.to_string(), r.to_string())
            }
            _ => ("docker.io".to_string(), rest.to_string()),
        };
        let (path, tag) = match remainder.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') => (p.to_string(), Some(t.to_string())),
            _ => (remainder.clone(), None),
        };
        if path.is_empty() {
            return Err(invalid("the repository name is empty"));
        }
        if path.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(invalid(&format!(
                "repository name ({path}) must be lowercase"
            )));
        }
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.chars().all(|ch| {
                    ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '.' | '_' | '-')
                })
                && c.starts_with(|ch: char| ch.is_ascii_alphanumeric())
                && c.ends_with(|ch: char| ch.is_ascii_alphanumeric())
        };
        if !path.split('/').all(component_ok) {
            return Err(invalid("invalid reference format"));
        }
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
                && !t.starts_with(['.', '-']);
            if !ok {
                return Err(invalid(&format!("invalid tag {t:?}")));
            }
        }
        let (domain, path) = canonical_repository(domain, path);
        let tag = match (&tag, &digest) {
            (None, None) => Some("latest".to_string()),
            _ => tag,
        };
        Ok(Reference {
            domain,
            path,
            tag,
            digest,
        })
    }

    /// What a manifest is asked for or stored under: the digest if given, else the tag.
    pub fn object(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or("latest")
    }

    /// The same repository, at `digest`.
    pub fn with_digest(&self, digest: &str) -> Reference {
        Reference {
            digest: Some(digest.to_string()),
            ..self.clone()
        }
    }

    /// The host the registry API is served from (`registry-1.docker.io` for Docker Hub).
    pub fn api_host(&self) -> &str {
        if self.domain == "docker.io" {
            "registry-1.docker.io"
        } else {
            &self.domain
        }
    }
}

impl std::fmt::Display for Reference {
    /// The full form: `docker.io/library/busybox:latest`, `127.0.0.1:5000/a/b:1@sha256:...`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// `sha256:<hex>` of `data`.
pub fn sha256_digest(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// Whether `host` (with or without a port) is a loopback address or `localhost`.
pub fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':')
            .filter(|(h, p)| !h.contains(':') && p.chars().all(|c| c.is_ascii_digit()))
            .map(|(h, _)| h)
            .unwrap_or(host)
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A manifest as the registry returned it.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The `Content-Type` the registry gave.
    pub media_type: String,
    /// `sha256:` of the bytes.
    pub digest: String,
    pub bytes: Vec<u8>,
}

/// A client for one repository of one registry.
pub struct Registry {
    reference: Reference,
    scheme: &'static str,
    auth: Option<RegistryAuth>,
    /// The `Authorization` header learned from the last challenge.
    authorization: Option<String>,
    timeout: Duration,
}

const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.list.v2+json";

impl Registry {
    /// A client for `reference`'s repository; `insecure` lists the registry hosts reached over
    /// plain HTTP (loopback hosts always are); `auth` are the credentials, if any.
    pub fn new(reference: &Reference, insecure: &[String], auth: Option<RegistryAuth>) -> Registry {
        let plain =
            insecure.iter().any(|h| h == &reference.domain) || is_loopback(&reference.domain);
        Registry {
            reference: reference.clone(),
            scheme: if plain { "http" } else { "https" },
            auth,
            authorization: None,
            timeout: Duration::from_secs(30),
        }
    }

    fn url(&self, path: &str) -> String {
        format!(
            "{}://{}/v2/{}/{path}",
            self.scheme,
            self.reference.api_host(),
            self.reference.path
        )
    }

    fn status_error(&self, what: &str, resp: &Response) -> RegistryError {
        let body = String::from_utf8_lossy(&resp.body);
        let detail = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| {
                v.get("errors")?.as_array()?.first().map(|e| {
                    let code = e.get("code").and_then(|c| c.as_str()).unwrap_or("");
                    let msg = e.get("message").and_then(|c| c.as_str()).unwrap_or("");
                    format!(" ({code}: {msg})")
                })
            })
            .unwrap_or_default();
        RegistryError::Status {
            reference: self.reference.to_string(),
            what: what.to_string(),
            status: resp.status,
            detail,
        }
    }

    /// One request, answering an authentication challenge once.
    fn send(
        &mut self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> RegistryResult<Response> {
        let mut url = url.to_string();
        let mut method = method.to_string();
        let mut retried_auth = false;
        for _ in 0..6 {
            let mut hs: Vec<(String, String)> = headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let same_host = host_of(&url) == self.reference.api_host();
            if let (Some(a), true) = (&self.authorization, same_host) {
                hs.push(("Authorization".into(), a.clone()));
            }
            let resp = http(&method, &url, &hs, body, self.timeout).map_err(|reason| {
                RegistryError::Unreachable {
                    reference: self.reference.to_string(),
                    url: url.clone(),
                    reason,
                }
            })?;
            if resp.status == 401 && !retried_auth {
                retried_auth = true;
                if let Some(challenge) = resp.header("www-authenticate") {
                    self.authorization = Some(self.answer(challenge)?);
                    continue;
                }
            }
            if matches!(resp.status, 301 | 302 | 303 | 307 | 308) {
                if let Some(loc) = resp.header("location") {
                    url = resolve_location(&url, loc);
                    if resp.status == 303 {
                        method = "GET".into();
                    }
                    continue;
                }
            }
            return Ok(resp);
        }
        Err(RegistryError::Invalid {
            reference: self.reference.to_string(),
            reason: format!("too many redirects from {url}"),
        })
    }

    /// The `Authorization` header for a `WWW-Authenticate` challenge.
    fn answer(&self, challenge: &str) -> RegistryResult<String> {
        let basic = self.auth.as_ref().and_then(|a| {
            use base64::Engine as _;
            let user = a.username.clone().unwrap_or_default();
            let pass = a
                .password
                .clone()
                .or_else(|| a.identity_token.clone())
                .unwrap_or_default();
            (a.username.is_some() || a.identity_token.is_some()).then(|| {
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
                )
            })
        });
        let (scheme, params) = challenge.split_once(' ').unwrap_or((challenge, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            return basic.ok_or_else(|| RegistryError::Status {
                reference: self.reference.to_string(),
                what: "authentication".into(),
                status: 401,
                detail: " (no credentials for this registry in the docker config file: run `docker login`)".into(),
            });
        }
        let params = challenge_params(params);
        let realm = params.get("realm").cloned().unwrap_or_default();
        let mut query = Vec::new();
        if let Some(s) = params.get("service") {
            query.push(format!("service={}", encode(s)));
        }
        let scope = params
            .get("scope")
            .cloned()
            .unwrap_or_else(|| format!("repository:{}:pull,push", self.reference.path));
        query.push(format!("scope={}", encode(&scope)));
        let url = format!("{realm}?{}", query.join("&"));
        let mut headers = Vec::new();
        if let Some(b) = &basic {
            headers.push(("Authorization".to_string(), b.clone()));
        }
        let resp = http("GET", &url, &headers, &[], self.timeout).map_err(|reason| {
            RegistryError::Unreachable {
                reference: self.reference.to_string(),
                url: url.clone(),
                reason,
            }
        })?;
        if resp.status != 200 {
            return Err(self.status_error("getting a token", &resp));
        }
        let v: serde_json::Value = serde_json::from_slice(&resp.body).unwrap_or_default();
        let token = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .unwrap_or_default();
        Ok(format!("Bearer {token}"))
    }

    /// Whether the repository has the blob.
    pub fn has_blob(&mut self, digest: &str) -> RegistryResult<bool> {
        let url = self.url(&format!("blobs/{digest}"));
        let resp = self.send("HEAD", &url, &[], &[])?;
        match resp.status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(self.status_error(&format!("checking blob {digest}"), &resp)),
        }
    }

    /// Uploads `data` as a blob (nothing is sent when the registry has it already).
    pub fn push_blob(&mut self, data: &[u8]) -> RegistryResult<String> {
        let digest = sha256_digest(data);
        if self.has_blob(&digest)? {
            return Ok(digest);
        }
        let url = self.url("blobs/uploads/");
        let resp = self.send("POST", &url, &[("Content-Length", "0")], &[])?;
        if resp.status != 202 {
            return Err(self.status_error(&format!("starting the upload of {digest}"), &resp));
        }
        let location = resp.header("location").unwrap_or_default().to_string();
        let upload = resolve_location(&url, &location);
        let sep = if upload.contains('?') { '&' } else { '?' };
        let put = format!("{upload}{sep}digest={}", encode(&digest));
        let len = data.len().to_string();
        let resp = self.send(
            "PUT",
            &put,
            &[
                ("Content-Type", "application/octet-stream"),
                ("Content-Length", &len),
            ],
            data,
        )?;
        if resp.status != 201 {
            return Err(self.status_error(&format!("uploading blob {digest}"), &resp));
        }
        Ok(digest)
    }

    /// Makes the blob `digest` of `from` (another repository of the same registry) available in
    /// this one without sending it (a cross-repository mount); `false` when the registry would
    /// rather have it uploaded.
    pub fn mount_blob(&mut self, digest: &str, from: &str) -> RegistryResult<bool> {
        if self.has_blob(digest)? {
            return Ok(true);
        }
        let url = self.url(&format!(
            "blobs/uploads/?mount={}&from={}",
            encode(digest),
            encode(from)
        ));
        let resp = self.send("POST", &url, &[("Content-Length", "0")], &[])?;
        Ok(resp.status == 201)
    }

    /// The repository path (`library/busybox`).
    pub fn repository(&self) -> &str {
        &self.reference.path
    }

    /// Whether `other` is served by the same registry as this client.
    pub fn same_registry(&self, other: &Reference) -> bool {
        other.domain == self.reference.domain
    }

    /// Stores a manifest under `tag_or_digest`.
    pub fn put_manifest(
        &mut self,
        tag_or_digest: &str,
        media_type: &str,
        data: &[u8],
    ) -> RegistryResult<String> {
        let url = self.url(&format!("manifests/{tag_or_digest}"));
        let len = data.len().to_string();
        let resp = self.send(
            "PUT",
            &url,
            &[("Content-Type", media_type), ("Content-Length", &len)],
            data,
        )?;
        if resp.status != 201 {
            return Err(self.status_error("uploading the manifest", &resp));
        }
        Ok(sha256_digest(data))
    }

    /// The manifest `tag_or_digest` names.
    pub fn get_manifest(&mut self, tag_or_digest: &str) -> RegistryResult<Manifest> {
        let url = self.url(&format!("manifests/{tag_or_digest}"));
        let resp = self.send("GET", &url, &[("Accept", MANIFEST_ACCEPT)], &[])?;
        if resp.status != 200 {
            return Err(self.status_error("fetching the manifest", &resp));
        }
        let digest = sha256_digest(&resp.body);
        if tag_or_digest.starts_with("sha256:") && tag_or_digest != digest {
            return Err(RegistryError::Invalid {
                reference: self.reference.to_string(),
                reason: format!("the manifest's digest is {digest}, not {tag_or_digest}"),
            });
        }
        Ok(Manifest {
            media_type: resp.header("content-type").unwrap_or_default().to_string(),
            digest,
            bytes: resp.body,
        })
    }

    /// The blob `digest` (its digest checked).
    pub fn get_blob(&mut self, digest: &str) -> RegistryResult<Vec<u8>> {
        let url = self.url(&format!("blobs/{digest}"));
        let resp = self.send("GET", &url, &[], &[])?;
        if resp.status != 200 {
            return Err(self.status_error(&format!("fetching blob {digest}"), &resp));
        }
        let actual = sha256_digest(&resp.body);
        if actual != digest {
            return Err(RegistryError::Invalid {
                reference: self.reference.to_string(),
                reason: format!("blob {digest} arrived with digest {actual}"),
            });
        }
        Ok(resp.body)
    }
}

/// `key="value", key2=value2` of a challenge.
fn challenge_params(s: &str) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some((k, after)) = rest.split_once('=') else {
            break;
        };
        let key = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (&q[..end], &q[end + 1..]),
                None => (q, ""),
            }
        } else {
            match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            }
        };
        out.insert(key, value.to_string());
        rest = next.trim_start_matches([',', ' ']);
    }
    out
}

/// Percent-encoding for a query value.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    rest.split('/').next().unwrap_or(rest)
}

/// A `Location` header against the URL it answered.
fn resolve_location(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let host = rest.split('/').next().unwrap_or(rest);
    if location.starts_with('/') {
        format!("{scheme}://{host}{location}")
    } else {
        let dir = base.rsplit_once('/').map(|(d, _)| d).unwrap_or(base);
        format!("{dir}/{location}")
    }
}

/// An HTTP response.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            for cert in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(cert);
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map(|b| b.with_root_certificates(roots).with_no_client_auth());
            Arc::new(config.unwrap_or_else(|_| {
                rustls::ClientConfig::builder_with_provider(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .with_protocol_versions(&[&rustls::version::TLS13])
                .map(|b| {
                    b.with_root_certificates(rustls::RootCertStore::empty())
                        .with_no_client_auth()
                })
                .unwrap_or_else(|e| panic!("rustls has no TLS 1.3 with ring: {e}"))
            }))
        })
        .clone()
}

/// One HTTP/1.1 request on a new connection (`Connection: close`); the error is a sentence.
fn http(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> Result<Response, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("not a URL: {url}"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let tls = match scheme {
        "https" => true,
        "http" => false,
        other => return Err(format!("unsupported scheme {other}")),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => match p.parse::<u16>() {
            Ok(p) => (h.trim_start_matches('[').trim_end_matches(']'), p),
            Err(_) => (authority, if tls { 443 } else { 80 }),
        },
        _ => (authority, if tls { 443 } else { 80 }),
    };
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let mut last = format!("no address for {host}");
    let mut tcp = None;
    for a in addrs {
        match TcpStream::connect_timeout(&a, Duration::from_secs(10)) {
            Ok(s) => {
                tcp = Some(s);
                break;
            }
            Err(e) => last = e.to_string(),
        }
    }
    let tcp = tcp.ok_or(last)?;
    tcp.set_read_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    tcp.set_write_timeout(Some(timeout))
        .map_err(|e| e.to_string())?;
    let mut stream: Box<dyn Stream> = if tls {
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| format!("{host}: {e}"))?;
        let conn = rustls::ClientConnection::new(tls_config(), name).map_err(|e| e.to_string())?;
        Box::new(rustls::StreamOwned::new(conn, tcp))
    } else {
        Box::new(tcp)
    };
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: rcompose/{}\r\nConnection: close\r\n",
        env!("CARGO_PKG_VERSION")
    );
    let mut has_len = false;
    for (k, v) in headers {
        has_len |= k.eq_ignore_ascii_case("content-length");
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has_len && (!body.is_empty() || matches!(method, "PUT" | "POST")) {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body))
        .and_then(|_| stream.flush())
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    if let Err(e) = stream.read_to_end(&mut raw) {
        // A TLS peer that closes without close_notify still sent a whole response.
        if raw.is_empty() || e.kind() != std::io::ErrorKind::UnexpectedEof {
            return Err(e.to_string());
        }
    }
    parse_response(&raw, method == "HEAD")
}

fn parse_response(raw: &[u8], head_only: bool) -> Result<Response, String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| "the registry closed the connection without an HTTP answer".to_string())?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("not an HTTP answer: {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut resp = Response {
        status,
        headers,
        body: Vec::new(),
    };
    if head_only {
        return Ok(resp);
    }
    let rest = &raw[end + 4..];
    let chunked = resp
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"));
    resp.body = if chunked {
        dechunk(rest)?
    } else if let Some(len) = resp
        .header("content-length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        if rest.len() < len {
            return Err(format!(
                "the answer was cut short ({} of {len} bytes)",
                rest.len()
            ));
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(resp)
}

fn dechunk(mut data: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunked answer was cut short")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("bad chunk size {size_text:?}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size {
            return Err("a chunked answer was cut short".into());
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_read_like_docker() {
        let r = Reference::parse("127.0.0.1:5000/team/app:v1").unwrap();
        assert_eq!(
            (r.domain.as_str(), r.path.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", "team/app", Some("v1"))
        );
        let r = Reference::parse("busybox").unwrap();
        assert_eq!(r.to_string(), "docker.io/library/busybox:latest");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = Reference::parse("localhost/app").unwrap();
        assert_eq!(r.to_string(), "localhost/app:latest");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = Reference::parse(&format!("ghcr.io/o/a@{d}")).unwrap();
        assert_eq!((r.tag.as_deref(), r.object()), (None, d.as_str()));
        assert!(Reference::parse("127.0.0.1:5000/Team/app").is_err());
        assert!(Reference::parse("x/app:bad tag").is_err());
        assert!(Reference::parse("").is_err());
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        for h in [
            "127.0.0.1:5000",
            "localhost:5000",
            "localhost",
            "[::1]:5000",
            "127.3.2.1",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["ghcr.io", "10.0.0.1:5000", "docker.io"] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn responses_with_length_or_chunks_are_read() {
        let r =
            parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef", false).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"abc"[..]));
        let r = parse_response(
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            false,
        )
        .unwrap();
        assert_eq!(r.body, b"abcde");
        assert!(parse_response(b"garbage", false).is_err());
    }

    /// A fake registry on a loopback port that wants a bearer token from its own `/token`
    /// endpoint (which wants the docker config's credentials): the client answers the challenge.
    #[test]
    fn a_token_challenge_is_answered_with_the_credentials() {
        use std::io::{BufRead, BufReader};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let realm = format!("http://{host}/token");
        let server = std::thread::spawn(move || {
            let mut seen = Vec::new();
            for _ in 0..3 {
                let (stream, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = Vec::new();
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if line.trim().is_empty() {
                        break;
                    }
                    head.push(line.trim().to_string());
                }
                let auth = head
                    .iter()
                    .find(|h| h.to_ascii_lowercase().starts_with("authorization:"))
                    .cloned()
                    .unwrap_or_default();
                let reply = if head[0].starts_with("GET /token?") {
                    (200, r#"{"token":"t0k"}"#.to_string(), String::new())
                } else if auth.ends_with("Bearer t0k") {
                    (200, "{}".to_string(), String::new())
                } else {
                    let challenge = format!(
                        "WWW-Authenticate: Bearer realm=\"{realm}\",service=\"fake\",scope=\"repository:a/b:pull\"\r\n"
                    );
                    (401, "{}".to_string(), challenge)
                };
                seen.push((head[0].clone(), auth));
                let mut s = stream;
                let _ = write!(
                    s,
                    "HTTP/1.1 {} X\r\nContent-Length: {}\r\n{}\r\n{}",
                    reply.0,
                    reply.1.len(),
                    reply.2,
                    reply.1
                );
            }
            seen
        });
        let r = Reference::parse(&format!("{host}/a/b:1")).unwrap();
        let creds = RegistryAuth {
            username: Some("me".into()),
            password: Some("pw".into()),
            ..Default::default()
        };
        let m = Registry::new(&r, &[], Some(creds))
            .get_manifest("1")
            .unwrap();
        assert_eq!(m.bytes, b"{}");
        let seen = server.join().unwrap();
        assert!(
            seen[1].0.contains("scope=repository%3Aa%2Fb%3Apull"),
            "{seen:?}"
        );
        assert!(seen[1].0.contains("service=fake"), "{seen:?}");
        // `me:pw` in base64.
        assert!(seen[1].1.ends_with("Basic bWU6cHc="), "{seen:?}");
        assert!(seen[2].1.ends_with("Bearer t0k"), "{seen:?}");
    }

    #[test]
    fn challenges_and_locations_are_parsed() {
        let p = challenge_params(
            r#"realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
        );
        assert_eq!(p["realm"], "https://auth.example/token");
        assert_eq!(p["scope"], "repository:a/b:pull");
        assert_eq!(
            resolve_location(
                "http://h:1/v2/a/blobs/uploads/",
                "/v2/a/blobs/uploads/u?x=1"
            ),
            "http://h:1/v2/a/blobs/uploads/u?x=1"
        );
        assert_eq!(resolve_location("http://h/x", "https://o/y"), "https://o/y");
    }
}
