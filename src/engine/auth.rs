//! Registry credentials for pulls and pushes, read the simple way from the docker CLI's config
//! file (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`): the `auths` entry of the
//! image's registry (`auth` = base64 `user:password`, or `username`/`password`, or an
//! `identitytoken`).
//!
//! Not supported (documented): credential helpers (`credsStore`, `credHelpers`): an image whose
//! registry is only known to a helper is pulled or pushed anonymously, which is what a loopback
//! registry without authentication needs anyway. An unreadable or malformed config file also
//! means anonymous access, never an error: the registry then says what it refuses.
//!
//! Pure apart from reading that one file (the config directory is given, no environment is
//! read). Must not import `bollard` (`docker` maps
//! [`RegistryAuth`] onto bollard's credentials), `model`, `loader`, `plan`, `exec` or `cli`.

use std::path::Path;

/// The key docker uses for Docker Hub in `auths`.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// Credentials for one registry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryAuth {
    pub username: Option<String>,
    pub password: Option<String>,
    pub identity_token: Option<String>,
    /// The `auths` key the credentials were found under (`https://index.docker.io/v1/`,
    /// `registry.example.com:5000`).
    pub server_address: String,
}

/// The registry host of an image reference, as docker reads it: the first path component when
/// it looks like a host (has a `.` or a `:`, or is `localhost`, or has upper-case letters),
/// else `docker.io`.
pub fn registry_of(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.chars().any(|c| c.is_ascii_uppercase()) =>
        {
            if first == "index.docker.io" {
                "docker.io".to_string()
            } else {
                first.to_string()
            }
        }
        _ => "docker.io".to_string(),
    }
}

/// `https://host/v1/` -> `host`: how docker compares `auths` keys with a registry host.
fn hostname_of_key(key: &str) -> &str {
    let k = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    k.split('/').next().unwrap_or(k)
}

fn is_docker_hub(host: &str) -> bool {
    matches!(
        host,
        "docker.io" | "index.docker.io" | "registry-1.docker.io"
    )
}

/// The credentials for `registry` (a host from [`registry_of`]) in a parsed config file.
pub fn find(config: &serde_json::Value, registry: &str) -> Option<RegistryAuth> {
    let auths = config.get("auths")?.as_object()?;
    let hub = is_docker_hub(registry);
    let (key, entry) = auths
        .get_key_value(if hub { DOCKER_HUB_KEY } else { registry })
        .or_else(|| {
            auths.iter().find(|(k, _)| {
                let h = hostname_of_key(k);
                if hub {
                    is_docker_hub(h)
                } else {
                    h == registry
                }
            })
        })?;
    let text = |k: &str| {
        entry
            .get(k)
            .and_then(|v| v.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut auth = RegistryAuth {
        username: text("username"),
        password: text("password"),
        identity_token: text("identitytoken"),
        server_address: key.clone(),
    };
    if let Some(encoded) = text("auth") {
        let decoded = decode_base64(&encoded)?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, password) = decoded.split_once(':')?;
        auth.username = Some(user.to_string());
        auth.password = Some(password.to_string());
    }
    let usable = auth.identity_token.is_some() || auth.username.is_some();
    usable.then_some(auth)
}

/// The credentials for `image`'s registry from `config.json` in the docker config directory
/// (`DOCKER_CONFIG`, else `$HOME/.docker`, given by the caller), if any.
pub fn for_image(image: &str, config_dir: Option<&Path>) -> Option<RegistryAuth> {
    let path = config_dir?.join("config.json");
    let text = std::fs::read_to_string(path).ok()?;
    let config: serde_json::Value = serde_json::from_str(&text).ok()?;
    find(&config, &registry_of(image))
}

/// Standard or URL-safe base64, padding optional. `None` on anything else.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::{alphabet, Engine as _};
    const CONFIG: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, CONFIG);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, CONFIG);
    let s = s.trim();
    STANDARD.decode(s).or_else(|_| URL_SAFE.decode(s)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_host_is_read_like_docker() {
        assert_eq!(registry_of("busybox"), "docker.io");
        assert_eq!(registry_of("library/busybox:1"), "docker.io");
        assert_eq!(registry_of("rcompose-test/busybox"), "docker.io");
        assert_eq!(registry_of("127.0.0.1:5000/p/app:1"), "127.0.0.1:5000");
        assert_eq!(registry_of("localhost/app"), "localhost");
        assert_eq!(registry_of("ghcr.io/o/app"), "ghcr.io");
        assert_eq!(registry_of("index.docker.io/library/x"), "docker.io");
    }

    #[test]
    fn base64_decodes_with_or_without_padding() {
        assert_eq!(decode_base64("dXNlcjpwYXNz"), Some(b"user:pass".to_vec()));
        assert_eq!(decode_base64("dXNlcjpwYXM="), Some(b"user:pas".to_vec()));
        assert_eq!(decode_base64("dXNlcjpwYQ"), Some(b"user:pa".to_vec()));
        assert_eq!(decode_base64("not base64!"), None);
    }

    #[test]
    fn credentials_are_found_by_registry_host() {
        let config: serde_json::Value = serde_json::json!({
            "auths": {
                "https://index.docker.io/v1/": {"auth": "aHViOnNlY3JldA=="},
                "http://127.0.0.1:5000/v2/": {"username": "me", "password": "pw"},
                "ghcr.io": {"identitytoken": "tok"},
                "empty.example": {}
            },
            "credsStore": "desktop"
        });
        let hub = find(&config, "docker.io");
        assert_eq!(
            hub.as_ref().and_then(|a| a.username.as_deref()),
            Some("hub")
        );
        assert_eq!(
            hub.as_ref().and_then(|a| a.password.as_deref()),
            Some("secret")
        );
        assert_eq!(
            hub.map(|a| a.server_address).as_deref(),
            Some(DOCKER_HUB_KEY)
        );
        let local = find(&config, "127.0.0.1:5000");
        assert_eq!(local.and_then(|a| a.password), Some("pw".to_string()));
        let gh = find(&config, "ghcr.io");
        assert_eq!(gh.and_then(|a| a.identity_token), Some("tok".to_string()));
        // Nothing usable, or not there: anonymous.
        assert_eq!(find(&config, "empty.example"), None);
        assert_eq!(find(&config, "quay.io"), None);
    }

    #[test]
    fn missing_or_broken_config_means_anonymous() -> Result<(), std::io::Error> {
        let dir = tempfile::tempdir()?;
        let env = Some(dir.path());
        assert_eq!(for_image("127.0.0.1:5000/x", env), None);
        std::fs::write(dir.path().join("config.json"), "{not json")?;
        assert_eq!(for_image("127.0.0.1:5000/x", env), None);
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"auths":{"127.0.0.1:5000":{"auth":"dTpw"}}}"#,
        )?;
        let a = for_image("127.0.0.1:5000/x:1", env);
        assert_eq!(a.and_then(|a| a.username), Some("u".to_string()));
        Ok(())
    }
}
