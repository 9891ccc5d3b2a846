//! Helpers for tests that use the real engine: building the local test images (there is no
//! registry) and connecting with a failure message that says what to do.
//! Must not import `bollard` (it goes through `engine::docker`), `model`, `loader`, `plan`, `exec`
//! or `cli`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use super::docker::DockerEngine;

/// The busybox test image every real-engine test uses.
pub const TEST_IMAGE: &str = "rcompose-test/busybox:latest";

/// Images `scripts/build-test-images.sh` provides.
pub const TEST_IMAGES: &[&str] = &[TEST_IMAGE, "busybox:latest", "busybox:stable"];

fn script_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/build-test-images.sh")
}

/// Builds the test images if they are missing (runs `scripts/build-test-images.sh` once per
/// process). Returns a message explaining the failure, for the test to fail with.
pub fn ensure_test_images() -> Result<(), String> {
    static RESULT: OnceLock<Result<(), String>> = OnceLock::new();
    RESULT
        .get_or_init(|| {
            let script = script_path();
            let out = Command::new("bash")
                .arg(&script)
                .output()
                .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "{} failed ({}): {}{}",
                    script.display(),
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ))
            }
        })
        .clone()
}

/// Connects to the real engine and makes sure the test images exist. A missing engine is an
/// error with a clear message (tests fail on it; they never skip).
pub async fn real_engine() -> Result<DockerEngine, String> {
    // Test support: the settings come from the test process's environment.
    let options = super::docker::ConnectOptions::from_env(|k| std::env::var(k).ok());
    let engine = DockerEngine::connect(&options)
        .await
        .map_err(|e| format!("these tests need a running Docker engine: {e}"))?;
    tokio::task::spawn_blocking(ensure_test_images)
        .await
        .map_err(|e| format!("image build task failed: {e}"))??;
    Ok(engine)
}
