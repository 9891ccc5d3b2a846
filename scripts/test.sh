#!/usr/bin/env bash
# The test command (README): every test tier, against the real Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-test-images.sh
status=0
# What an earlier, interrupted run left on a long-lived engine is named at the end but not counted.
before="$(mktemp)"
trap 'rm -f "$before"' EXIT
bash scripts/leftovers.sh --save "$before"
# The criterion benches, once each in test mode (they must keep working).
cargo test --locked --benches || status=$?
# Unit, integration and end-to-end tests; every binary runs even when one fails.
cargo test --locked --no-fail-fast --lib --bins --tests -- --test-threads="${RCOMPOSE_TEST_THREADS:-4}" || status=$?
# A test run leaves nothing on the engine: no container, volume, network or image of an e2e
# project or of a `Stack`.
bash scripts/leftovers.sh --since "$before" || status=$?
exit "$status"
