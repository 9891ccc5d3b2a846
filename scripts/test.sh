#!/usr/bin/env bash
# The test command (README): every test tier, against the real Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-test-images.sh
cargo test --locked --no-fail-fast --all-targets -- --test-threads="${RCOMPOSE_TEST_THREADS:-4}"
