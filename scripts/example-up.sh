#!/usr/bin/env bash
# Brings up one of the example stacks in compose-examples/ on a fresh machine:
#   bash scripts/example-up.sh web && curl -s http://127.0.0.1:8080/
# 1. builds the local images the examples use (no registry needed: scripts/build-test-images.sh),
# 2. builds rcompose (release) unless RCOMPOSE_BIN names a binary to use,
# 3. runs `rcompose -f compose-examples/NAME/compose.yaml up -d --wait`.
# Tear it down with: target/release/rcompose -f compose-examples/NAME/compose.yaml down -v
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
name="${1:-}"
if [[ -z $name || ! -f "$here/compose-examples/$name/compose.yaml" ]]; then
  echo "usage: $0 NAME   (one of: $(cd "$here/compose-examples" && ls -d */ | tr -d / | tr '\n' ' '))" >&2
  exit 2
fi
shift

bash "$here/scripts/build-test-images.sh"

bin="${RCOMPOSE_BIN:-}"
if [[ -z $bin ]]; then
  command -v cargo >/dev/null || { echo "example-up: cargo not found (install Rust from https://rustup.rs)" >&2; exit 1; }
  echo "example-up: building rcompose (release)..." >&2
  (cd "$here" && cargo build --release --quiet --bin rcompose)
  bin="$here/target/release/rcompose"
fi

exec "$bin" -f "$here/compose-examples/$name/compose.yaml" up -d --wait "$@"
