#!/usr/bin/env bash
# Test stacks beside docker compose v5, in ONE run on one engine (issue 12):
#
#   bash scripts/bench-testdb.sh [FILE] [PARALLEL] [RUNS]
#        (defaults: compose-examples/testdb/compose.yaml, 8 stacks, 3 runs)
#
# Measures (median of RUNS, milliseconds, wall clock):
#   ready, one stack       v5 `up -d --wait`, rcompose `up -d --wait`, and the library's `Stack::up`
#                          (which runs each healthcheck itself as soon as the container starts)
#   ready, PARALLEL stacks the same, PARALLEL projects at once, until all are ready
#   snapshot / restore     `Stack::snapshot` / `Stack::restore` of the stack's named volumes
#                          (restore 2 s after the snapshot, and once more at once)
# Every stack is removed (down -v) after each measurement. Needs docker, a release build of
# rcompose and of the stack_bench example (built here), and docker compose v5
# (RCOMPOSE_COMPOSE_V5, else installed by scripts/install-compose-v5.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
file="${1:-compose-examples/testdb/compose.yaml}"
parallel="${2:-8}"
runs="${3:-3}"

bash scripts/build-test-images.sh
v5="${RCOMPOSE_COMPOSE_V5:-$(bash scripts/install-compose-v5.sh)}"
cargo build --release --locked --quiet --bin rcompose --example stack_bench
rc="$here/target/release/rcompose"
bench="$here/target/release/examples/stack_bench"

now_ms() { date +%s%3N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# up_many TOOL N: brings N projects up at once and waits for all; prints the wall time.
up_many() {
  local tool=$1 n=$2 t0 pids=() i
  t0=$(now_ms)
  for i in $(seq 1 "$n"); do
    "$tool" -p "bench-tdb-$i" -f "$file" up -d --wait >/dev/null 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || { echo "bench: $tool up failed" >&2; exit 1; }; done
  echo $(( $(now_ms) - t0 ))
  for i in $(seq 1 "$n"); do "$tool" -p "bench-tdb-$i" -f "$file" down -v -t 1 >/dev/null 2>&1 & done
  wait
}

declare -A R
for tool in v5 rcompose; do
  bin=$v5; [[ $tool == rcompose ]] && bin=$rc
  one=(); many=()
  for _ in $(seq 1 "$runs"); do
    one+=("$(up_many "$bin" 1)")
    many+=("$(up_many "$bin" "$parallel")")
  done
  R[$tool.one]=$(printf '%s\n' "${one[@]}" | median)
  R[$tool.many]=$(printf '%s\n' "${many[@]}" | median)
done
while read -r key value; do R[stack.$key]=$value; done < <("$bench" "$file" "$parallel" "$runs")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "$file, $runs runs, $(nproc) cores, Docker $(docker version --format '{{.Server.Version}}'), $("$v5" version --short 2>/dev/null || echo v5)"
echo "| measurement | docker compose v5 up --wait | rcompose up --wait | rcompose Stack::up | Stack / v5 |"
echo "|---|---:|---:|---:|---:|"
echo "| ready, one stack | ${R[v5.one]} | ${R[rcompose.one]} | ${R[stack.ready_one]} | $(ratio "${R[stack.ready_one]}" "${R[v5.one]}") |"
echo "| ready, $parallel stacks at once | ${R[v5.many]} | ${R[rcompose.many]} | ${R[stack.ready_parallel_$parallel]} | $(ratio "${R[stack.ready_parallel_$parallel]}" "${R[v5.many]}") |"
echo "| snapshot (Stack) | - | - | ${R[stack.snapshot]} | - |"
echo "| restore, 2 s after the snapshot (Stack) | - | - | ${R[stack.restore]} | - |"
echo "| restore again at once (Stack) | - | - | ${R[stack.restore_at_once]} | - |"
