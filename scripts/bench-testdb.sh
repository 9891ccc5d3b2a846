#!/usr/bin/env bash
# Test stacks beside docker compose v5, in ONE run on one engine (issue 12):
#
#   bash scripts/bench-testdb.sh [FILE] [PARALLEL] [RUNS]
#        (defaults: compose-examples/testdb/compose.yaml, 8 stacks, 3 runs)
#
# Measures (median of RUNS, milliseconds, wall clock; the tools take turns within each run):
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

# The tools take turns within each run (v5, rcompose, Stack; the order rotates from run to run), so
# that a drift of the engine over the minutes of a run (caches, leaked endpoints) weighs on each
# tool alike.
declare -A S
order=(v5 rcompose stack)
for run in $(seq 1 "$runs"); do
  for tool in "${order[@]}"; do
    case $tool in
      v5 | rcompose)
        bin=$v5; [[ $tool == rcompose ]] && bin=$rc
        S[$tool.one]+="$(up_many "$bin" 1) "
        S[$tool.many]+="$(up_many "$bin" "$parallel") "
        ;;
      stack)
        while read -r key value; do S[stack.$key]+="$value "; done < <("$bench" "$file" "$parallel" 1)
        ;;
    esac
  done
  order=("${order[@]:1}" "${order[0]}")
done
declare -A R
for key in "${!S[@]}"; do R[$key]=$(printf '%s\n' ${S[$key]} | median); done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "$file, $runs runs, $(nproc) cores, Docker $(docker version --format '{{.Server.Version}}'), $("$v5" version --short 2>/dev/null || echo v5)"
echo "| measurement | docker compose v5 up --wait | rcompose up --wait | rcompose Stack::up | Stack / v5 |"
echo "|---|---:|---:|---:|---:|"
echo "| ready, one stack | ${R[v5.one]} | ${R[rcompose.one]} | ${R[stack.ready_one]} | $(ratio "${R[stack.ready_one]}" "${R[v5.one]}") |"
echo "| ready, $parallel stacks at once | ${R[v5.many]} | ${R[rcompose.many]} | ${R[stack.ready_parallel_$parallel]} | $(ratio "${R[stack.ready_parallel_$parallel]}" "${R[v5.many]}") |"
echo "| snapshot (Stack) | - | - | ${R[stack.snapshot]} | - |"
echo "| restore, 2 s after the snapshot (Stack) | - | - | ${R[stack.restore]} | - |"
echo "| restore again at once (Stack) | - | - | ${R[stack.restore_at_once]} | - |"
