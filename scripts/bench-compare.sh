#!/usr/bin/env bash
# Two rcompose binaries side by side, in ONE run on one engine (a change that should not slow
# anything down, e.g. a restructuring): `config -q` on the 1000-service and the small generated
# projects, no-op `up -d` of a 10-service stack, and `ps` on a 200-container project.
#
#   bash scripts/bench-compare.sh OLD_BIN NEW_BIN [RUNS]     (default 20 runs)
#
# Needs hyperfine (Debian: apt-get install hyperfine) and the test images
# (scripts/build-test-images.sh). Prints hyperfine's table per row and the NEW/OLD ratio of means.
set -euo pipefail
cd "$(dirname "$0")/.."

old="$(realpath "${1:?usage: bench-compare.sh OLD_BIN NEW_BIN [RUNS]}")"
new="$(realpath "${2:?usage: bench-compare.sh OLD_BIN NEW_BIN [RUNS]}")"
runs="${3:-20}"
command -v hyperfine >/dev/null || { echo "hyperfine is not installed" >&2; exit 1; }
bash scripts/build-test-images.sh >/dev/null

work=$(mktemp -d)
projects=()
cleanup() {
  for p in "${projects[@]}"; do
    "$new" -p "$p" down -t 0 >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

rustc -O --edition 2021 -o "$work/gen-bench-project" scripts/gen-bench-project.rs
"$work/gen-bench-project" "$work/projects" 1000 >/dev/null
large="$work/projects/large/compose.yaml"; small="$work/projects/small/compose.yaml"

# stack N FILE: N busybox services that sleep, under init (so stops are immediate).
stack() {
  local n=$1 file=$2 i
  {
    echo "services:"
    for ((i = 0; i < n; i++)); do
      printf '  s%d:\n    image: busybox:stable\n    init: true\n    command: ["sleep", "86400"]\n' "$i"
    done
  } >"$file"
}

row() {
  local name=$1; shift
  echo "== $name"
  hyperfine --warmup 3 --runs "$runs" --style basic --export-json "$work/$name.json" \
    -n old "$old $*" -n new "$new $*" | grep -E '^\s+(Time|Range)|^Benchmark'
  python3 - "$work/$name.json" "$name" <<'EOF'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
o, n = r["old"]["mean"] * 1000, r["new"]["mean"] * 1000
print(f"RESULT {sys.argv[2]}: old {o:.1f} ms, new {n:.1f} ms, new/old = {n / o:.2f}")
EOF
}

row config-1000 "-f $large config -q"
row config-small "-f $small config -q"

stack 10 "$work/s10.yaml"
p10="bench-cmp10-$$"; projects+=("$p10")
"$new" -p "$p10" -f "$work/s10.yaml" up -d >/dev/null 2>&1
row noop-up-10 "-p $p10 -f $work/s10.yaml up -d"

stack 200 "$work/s200.yaml"
p200="bench-cmp200-$$"; projects+=("$p200")
"$new" -p "$p200" -f "$work/s200.yaml" up -d >/dev/null 2>&1
row ps-200 "-p $p200 -f $work/s200.yaml ps"
