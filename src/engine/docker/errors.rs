//! The ONE place where the engine's answers (HTTP status + message, or a transport failure)
//! become typed [`EngineError`]s: callers match variants, never message text.
//! Must not import `model`, `loader`, `plan`, `app` or `cli`.

use bollard::errors::Error as BollardError;

use crate::engine::{EngineError, ObjectKind};

pub(super) fn unavailable(address: &str, e: &BollardError) -> EngineError {
    EngineError::Unavailable {
        address: address.to_string(),
        hint: format!("{e}; is the engine running? set DOCKER_HOST to point elsewhere"),
    }
}

/// Maps a bollard failure on an object of `kind` named `name` to an [`EngineError`].
pub(super) fn map_error(
    address: &str,
    e: BollardError,
    kind: ObjectKind,
    name: &str,
) -> EngineError {
    match e {
        BollardError::DockerResponseServerError {
            status_code,
            message,
        } => classify(status_code, message, kind, name),
        BollardError::SocketNotFoundError(_)
        | BollardError::HyperLegacyError { .. }
        | BollardError::IOError { .. }
        | BollardError::RequestTimeoutError => unavailable(address, &e),
        other => EngineError::Client(other.to_string()),
    }
}

/// An engine answer (status and message) as a typed error.
pub(super) fn classify(status: u16, message: String, kind: ObjectKind, name: &str) -> EngineError {
    if status == 404 {
        return EngineError::NotFound {
            kind,
            name: name.to_string(),
            message,
        };
    }
    if message.contains("port is already allocated") || message.contains("address already in use") {
        let address = taken_port(&message).unwrap_or_default();
        return EngineError::PortInUse { address, message };
    }
    if let Some(not_executable) = command_failure(&message) {
        return EngineError::CommandNotFound {
            message,
            not_executable,
        };
    }
    match status {
        409 if message.contains("is already in progress") => {
            EngineError::RemovalInProgress { message }
        }
        409 => EngineError::Conflict { message },
        // The engine answers "network has active endpoints" with 403 and "container is not
        // paused/running" with 500: both are state conflicts.
        403 | 500 if is_state_conflict(&message) => EngineError::Conflict { message },
        _ => EngineError::Api { status, message },
    }
}

/// Whether the runtime could not start the command: `Some(false)` when the binary is missing
/// (docker's 127), `Some(true)` when it cannot be executed (126), `None` for anything else.
fn command_failure(message: &str) -> Option<bool> {
    let m = message.to_ascii_lowercase();
    let at_exec = m.contains("exec:") || m.contains("starting container process");
    if m.contains("executable file not found")
        || (at_exec && m.contains("no such file or directory"))
    {
        Some(false)
    } else if at_exec && m.contains("permission denied") {
        Some(true)
    } else {
        None
    }
}

fn is_state_conflict(message: &str) -> bool {
    [
        "has active endpoints",
        "is not paused",
        "is not running",
        "is already paused",
    ]
    .iter()
    .any(|m| message.contains(m))
}

pub(super) fn is_status(e: &BollardError, code: u16) -> bool {
    matches!(e, BollardError::DockerResponseServerError { status_code, .. } if *status_code == code)
}

/// The host address in a "port is already allocated" / "address already in use" message.
pub(crate) fn taken_port(message: &str) -> Option<String> {
    if let Some(rest) = message.split("Bind for ").nth(1) {
        return rest.split(" failed").next().map(str::to_string);
    }
    if message.contains("address already in use") {
        // `... (HTTP 500): ... listen tcp4 0.0.0.0:8080: bind: address already in use`
        return message
            .split_whitespace()
            .map(|w| w.trim_end_matches([':', ',', ')']))
            .find(|w| is_host_port(w))
            .map(str::to_string);
    }
    None
}

/// `0.0.0.0:8080`, `[::]:8080`, `127.0.0.1:53`: an IP address, a colon and a port number.
fn is_host_port(w: &str) -> bool {
    let Some((host, port)) = w.rsplit_once(':') else {
        return false;
    };
    !host.is_empty()
        && host.chars().any(|c| c.is_ascii_digit() || c == ':')
        && host
            .chars()
            .all(|c| c.is_ascii_hexdigit() || matches!(c, '.' | ':' | '[' | ']'))
        && !port.is_empty()
        && port.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taken_ports_are_named() {
        assert_eq!(
            taken_port("driver failed programming external connectivity on endpoint x: Bind for 0.0.0.0:8080 failed: port is already allocated").as_deref(),
            Some("0.0.0.0:8080")
        );
        assert_eq!(
            taken_port("listen tcp4 0.0.0.0:9090: bind: address already in use").as_deref(),
            Some("0.0.0.0:9090")
        );
        assert_eq!(
            taken_port("engine error (HTTP 500): driver failed programming external connectivity on endpoint p-web-1 (97177c3a3d3f): Error starting userland proxy: listen tcp4 0.0.0.0:45229: bind: address already in use").as_deref(),
            Some("0.0.0.0:45229")
        );
        assert_eq!(
            taken_port("Error starting userland proxy: listen tcp6 [::]:8080: bind: address already in use").as_deref(),
            Some("[::]:8080")
        );
    }

    #[test]
    fn answers_become_variants() {
        let c = |status, m: &str| classify(status, m.to_string(), ObjectKind::Container, "c");
        assert!(matches!(
            c(404, "No such container: c"),
            EngineError::NotFound { .. }
        ));
        assert!(matches!(
            c(500, "driver failed programming external connectivity on endpoint x: Bind for 0.0.0.0:8080 failed: port is already allocated"),
            EngineError::PortInUse { address, .. } if address == "0.0.0.0:8080"
        ));
        assert!(matches!(
            c(400, "failed to create task for container: exec: \"nope\": executable file not found in $PATH: unknown"),
            EngineError::CommandNotFound { not_executable: false, .. }
        ));
        assert!(matches!(
            c(400, "OCI runtime create failed: unable to start container process: exec: \"/nope\": stat /nope: no such file or directory: unknown"),
            EngineError::CommandNotFound { not_executable: false, .. }
        ));
        assert!(matches!(
            c(400, "unable to start container process: exec: \"/etc/passwd\": permission denied: unknown"),
            EngineError::CommandNotFound { not_executable: true, .. }
        ));
        assert!(matches!(
            c(409, "removal of container c is already in progress"),
            EngineError::RemovalInProgress { .. }
        ));
        assert!(matches!(
            c(409, "name in use"),
            EngineError::Conflict { .. }
        ));
        assert!(matches!(
            c(403, "network n has active endpoints"),
            EngineError::Conflict { .. }
        ));
        assert!(matches!(
            c(500, "boom"),
            EngineError::Api { status: 500, .. }
        ));
    }
}
