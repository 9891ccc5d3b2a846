#!/usr/bin/env bash
# Side-by-side runtime benchmark, in ONE run on one engine: rcompose vs docker-compose v1 vs the
# engine floor (the same API calls issued directly with curl, every service in parallel).
#
#   bash scripts/bench-updown.sh            # 10- and 50-service stacks, ps on 200 containers
#   BENCH_RUNS=5 bash scripts/bench-updown.sh
#
# Measures (median of BENCH_RUNS runs, milliseconds, wall clock):
#   up -d      of a depth-3 DAG of N services (N/3 roots; each next level depends on the previous)
#   no-op up   the same `up -d` again (nothing to do)
#   down       stop + remove everything (containers run `sleep` under init, so stop is immediate)
#   ps         on a 200-service project
# and prints ratios: rcompose / v1 and rcompose / floor. Needs: docker, docker-compose (v1), curl
# , a release build of rcompose (built here unless RCOMPOSE_BIN is set).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${BENCH_RUNS:-3}"
parallel="${BENCH_PARALLEL:-64}"
sizes=(${BENCH_SIZES:-10 50})
ps_size="${BENCH_PS_SIZE:-200}"
sock="${DOCKER_HOST:-unix:///var/run/docker.sock}"
sock="${sock#unix://}"
api="http://localhost/v1.41"

# The tool to compare with: BENCH_OTHER (a path, e.g. docker compose v5 from
# scripts/install-compose-v5.sh), else docker-compose v1 from PATH (the columns say "v1" either way).
other="${BENCH_OTHER:-docker-compose}"
command -v "$other" >/dev/null || { echo "bench: $other not found" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench: curl not found" >&2; exit 1; }
bash "$here/scripts/build-test-images.sh"
bin="${RCOMPOSE_BIN:-}"
if [[ -z $bin ]]; then
  (cd "$here" && cargo build --release --quiet --bin rcompose)
  bin="$here/target/release/rcompose"
fi

work=$(mktemp -d)
projects=()
cleanup() {
  for p in "${projects[@]}"; do
    ids=$(docker ps -aq --filter "label=com.docker.compose.project=$p")
    [[ -n $ids ]] && docker rm -f $ids >/dev/null 2>&1 || true
    # The engine may still hold endpoints for a moment: retry (a leaked one stays until the
    # daemon restarts; see time_cmd).
    for _ in 1 2 3 4 5; do
      docker network inspect "${p}_default" >/dev/null 2>&1 || break
      docker network rm "${p}_default" >/dev/null 2>&1 && break
      sleep 1
    done
  done
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

# gen N FILE: a depth-3 DAG of N busybox services; level(i) = i*3/N.
gen() {
  local n=$1 file=$2 i prev
  {
    echo "services:"
    for ((i = 0; i < n; i++)); do
      echo "  s$i:"
      echo "    image: busybox:stable"
      echo "    init: true"
      echo "    command: [\"sleep\", \"86400\"]"
      prev=$(parent "$n" "$i")
      [[ -z $prev ]] || echo "    depends_on: [s$prev]"
    done
  } >"$file"
}

# time_cmd CMD...: prints elapsed ms. A failed command is recorded (and reported under the
# table) but does not stop the run: Docker 20.10 sometimes leaks the endpoints of containers
# removed in parallel and then refuses to remove the network ("has active endpoints"), whichever
# tool asks (moby/moby#42119).
time_cmd() {
  local t0 t1
  t0=$(now_ms)
  if ! "$@" >"$work/last.out" 2>&1; then
    echo "$*: $(grep -m1 -i error "$work/last.out" || tail -n1 "$work/last.out")" >>"$work/failures"
  fi
  t1=$(now_ms)
  echo $((t1 - t0))
}

# parent N I: the service s<I> depends on (empty for roots), as `gen` writes it.
parent() {
  local n=$1 i=$2 lvl prev
  lvl=$((i * 3 / n))
  ((lvl > 0)) || return 0
  prev=$(( (i - n / 3) < 0 ? 0 : (i - n / 3) ))
  while (( prev * 3 / n > lvl - 1 )); do prev=$((prev - 1)); done
  while (( prev * 3 / n < lvl - 1 )); do prev=$((prev + 1)); done
  echo "$prev"
}

# The engine floor for N services of project P: the same engine calls rcompose makes for this
# project, issued directly (curl on the API socket) with no compose logic: create the network,
# then per service, all in parallel: create its container, wait until its dependency has
# started, start it.
floor_up() {
  local n=$1 p=$2 i par marks="$work/marks-$2"
  mkdir -p "$marks"
  curl -sf --unix-socket "$sock" -X POST -H 'Content-Type: application/json' \
    -d "{\"Name\":\"${p}_default\",\"Labels\":{\"com.docker.compose.project\":\"$p\"}}" \
    "$api/networks/create" >/dev/null
  for ((i = 0; i < n; i++)); do
    par=$(parent "$n" "$i")
    (
      curl -sf --unix-socket "$sock" -X POST -H 'Content-Type: application/json' -o /dev/null -d \
        "{\"Image\":\"busybox:stable\",\"Cmd\":[\"sleep\",\"86400\"],\"Labels\":{\"com.docker.compose.project\":\"$p\",\"com.docker.compose.service\":\"s$i\"},\"HostConfig\":{\"Init\":true,\"NetworkMode\":\"${p}_default\"},\"NetworkingConfig\":{\"EndpointsConfig\":{\"${p}_default\":{\"Aliases\":[\"s$i\"]}}}}" \
        "$api/containers/create?name=$p-s$i-1"
      if [[ -n $par ]]; then
        while [[ ! -e $marks/$par ]]; do sleep 0.005; done
      fi
      curl -sf --unix-socket "$sock" -X POST -o /dev/null "$api/containers/$p-s$i-1/start"
      touch "$marks/$i"
    ) &
  done
  wait
}

# The engine floor for down: per container, in parallel: stop then remove; then the network.
floor_down() {
  local n=$1 p=$2 i
  for ((i = 0; i < n; i++)); do
    (
      curl -sf --unix-socket "$sock" -X POST -o /dev/null "$api/containers/$p-s$i-1/stop?t=10"
      curl -sf --unix-socket "$sock" -X DELETE -o /dev/null "$api/containers/$p-s$i-1?v=1"
    ) &
  done
  wait
  curl -sf --unix-socket "$sock" -X DELETE "$api/networks/${p}_default" >/dev/null
}

declare -A R
record() { R["$1"]=$2; }

for n in "${sizes[@]}"; do
  file="$work/dag$n.yaml"
  gen "$n" "$file"
  for tool in rcompose v1 floor; do
    ups=() noops=() downs=()
    for ((r = 0; r < runs; r++)); do
      p="bench-$tool-$n-$r-$$"
      projects+=("$p")
      case $tool in
        rcompose)
          ups+=("$(time_cmd env COMPOSE_PROGRESS=quiet "$bin" -p "$p" -f "$file" up -d)")
          noops+=("$(time_cmd env COMPOSE_PROGRESS=quiet "$bin" -p "$p" -f "$file" up -d)")
          downs+=("$(time_cmd env COMPOSE_PROGRESS=quiet "$bin" -p "$p" -f "$file" down)")
          ;;
        v1)
          ups+=("$(time_cmd "$other" -p "$p" -f "$file" up -d)")
          noops+=("$(time_cmd "$other" -p "$p" -f "$file" up -d)")
          downs+=("$(time_cmd "$other" -p "$p" -f "$file" down)")
          ;;
        floor)
          ups+=("$(time_cmd floor_up "$n" "$p")")
          downs+=("$(time_cmd floor_down "$n" "$p")")
          ;;
      esac
    done
    record "$tool.up.$n" "$(printf '%s\n' "${ups[@]}" | median)"
    record "$tool.down.$n" "$(printf '%s\n' "${downs[@]}" | median)"
    if ((${#noops[@]} > 0)); then record "$tool.noop.$n" "$(printf '%s\n' "${noops[@]}" | median)"; fi
  done
done

# ps on a flat project of ps_size services (brought up once by rcompose).
file="$work/flat.yaml"
gen "$ps_size" "$file"
sed -i '/depends_on/d' "$file"
p="bench-ps-$$"
projects+=("$p")
env COMPOSE_PROGRESS=quiet "$bin" -p "$p" -f "$file" up -d >/dev/null
for tool in rcompose v1 floor; do
  ts=()
  for ((r = 0; r < runs + 2; r++)); do
    case $tool in
      rcompose) ts+=("$(time_cmd "$bin" -p "$p" -f "$file" ps)") ;;
      v1) ts+=("$(time_cmd "$other" -p "$p" -f "$file" ps)") ;;
      floor) ts+=("$(time_cmd curl -sf --unix-socket "$sock" -g "$api/containers/json?all=1&filters={\"label\":[\"com.docker.compose.project=$p\"]}")") ;;
    esac
  done
  record "$tool.ps" "$(printf '%s\n' "${ts[@]}" | median)"
done
rc_lines=$("$bin" -p "$p" -f "$file" ps -q | wc -l)
[[ $rc_lines == "$ps_size" ]] || { echo "bench: rcompose ps listed $rc_lines of $ps_size containers" >&2; exit 1; }
env COMPOSE_PROGRESS=quiet "$bin" -p "$p" -f "$file" down >/dev/null 2>&1 || true  # cleanup also retries

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }

echo
echo "rcompose $("$bin" version | awk '{print $3}') vs $other $("$other" version --short) on Docker $(docker version --format '{{.Server.Version}}'), $(nproc) cores; median of $runs runs; ms"
echo
echo "| operation | rcompose | docker-compose v1 | engine floor | rcompose / v1 | rcompose / floor |"
echo "|---|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  echo "| up -d, $n services | ${R[rcompose.up.$n]} | ${R[v1.up.$n]} | ${R[floor.up.$n]} | $(ratio "${R[rcompose.up.$n]}" "${R[v1.up.$n]}") | $(ratio "${R[rcompose.up.$n]}" "${R[floor.up.$n]}") |"
  echo "| no-op up -d, $n services | ${R[rcompose.noop.$n]} | ${R[v1.noop.$n]} | - | $(ratio "${R[rcompose.noop.$n]}" "${R[v1.noop.$n]}") | - |"
  echo "| down, $n services | ${R[rcompose.down.$n]} | ${R[v1.down.$n]} | ${R[floor.down.$n]} | $(ratio "${R[rcompose.down.$n]}" "${R[v1.down.$n]}") | $(ratio "${R[rcompose.down.$n]}" "${R[floor.down.$n]}") |"
done
echo "| ps, $ps_size containers | ${R[rcompose.ps]} | ${R[v1.ps]} | ${R[floor.ps]} | $(ratio "${R[rcompose.ps]}" "${R[v1.ps]}") | $(ratio "${R[rcompose.ps]}" "${R[floor.ps]}") |"
if [[ -s $work/failures ]]; then
  echo
  echo "Failed commands (timed anyway):"
  sed 's/^/- /' "$work/failures"
fi
