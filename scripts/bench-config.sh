#!/usr/bin/env bash
# Side-by-side timing of `rcompose config -q` and docker-compose v1's `docker-compose config -q` on the
# same generated projects (1000 services with extends/anchors/interpolation, and a small web stack).
#
#   bash scripts/bench-config.sh [SERVICES] [RUNS]      (defaults: 1000 services, 10 runs)
#
# Uses hyperfine when installed (Debian: apt-get install hyperfine), else a plain timing loop; peak
# memory comes from GNU time (`/usr/bin/time -v`); BENCH_NO_HYPERFINE=1 forces the loop. Prints mean wall
# and CPU times, the ratios, and peak RSS.
# Results and how to read them: BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

services="${1:-1000}"
runs="${2:-10}"
out="target/bench-config"
rm -rf "$out"
mkdir -p "$out"

# The tool to compare with: BENCH_OTHER (a path, e.g. docker compose v5 from
# scripts/install-compose-v5.sh), else docker-compose v1 from PATH.
other="${BENCH_OTHER:-docker-compose}"
command -v "$other" >/dev/null || { echo "$other is not installed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time (GNU time) is not installed" >&2; exit 1; }

echo "== build"
cargo build --release --locked --bin rcompose 2>&1 | tail -n 1
rcompose="$PWD/target/release/rcompose"
rustc -O --edition 2021 -o "$out/gen-bench-project" scripts/gen-bench-project.rs
"$out/gen-bench-project" "$out/projects" "$services" >/dev/null

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //') ($(nproc) cores)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rcompose: $("$rcompose" --version 2>/dev/null || echo '?')"
echo "compared with: $other $("$other" version --short 2>/dev/null || echo '?')"

# mean_seconds CMD... : mean wall time of RUNS runs (after one warm-up), in seconds.
mean_seconds() {
    "$@" >/dev/null 2>&1 || true
    local start end
    start=$(date +%s%N)
    for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1; done
    end=$(date +%s%N)
    awk -v s="$start" -v e="$end" -v n="$runs" 'BEGIN { printf "%.6f", (e - s) / n / 1e9 }'
}

# peak_and_cpu CMD... : maximum resident set size in KiB, and user+system CPU seconds, of one run.
peak_and_cpu() {
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '
        /Maximum resident set size/ { peak = $2 }
        /User time \(seconds\)/ { cpu += $2 }
        /System time \(seconds\)/ { cpu += $2 }
        END { print peak, cpu }'
}

status=0
for project in large small; do
    dir="$out/projects/$project"
    file="$dir/compose.yaml"
    lines=$(wc -l <"$file")
    echo
    echo "== $project project: $file ($lines lines)"
    # Both must accept the files, or the timings compare an error path.
    if ! (cd "$dir" && "$rcompose" -f compose.yaml config -q); then
        echo "rcompose rejected $file" >&2
        status=1
        continue
    fi
    if ! (cd "$dir" && "$other" -f compose.yaml config -q); then
        echo "$other rejected $file" >&2
        status=1
        continue
    fi
    r_cmd=("$rcompose" -f compose.yaml config -q)
    v_cmd=("$other" -f compose.yaml config -q)
    if [ -z "${BENCH_NO_HYPERFINE:-}" ] && command -v hyperfine >/dev/null; then
        (cd "$dir" && hyperfine -N --warmup 1 --runs "$runs" --export-json "$PWD/../$project.json" \
            -n rcompose "${r_cmd[*]}" -n docker-compose "${v_cmd[*]}")
        # Mean wall time and mean CPU (user + system) over the runs.
        read -r r_mean v_mean r_cpu v_cpu < <(python3 -c '
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
a, b = r["rcompose"], r["docker-compose"]
print(a["mean"], b["mean"], a["user"] + a["system"], b["user"] + b["system"])' "$out/projects/$project.json")
        read -r r_peak _ < <(cd "$dir" && peak_and_cpu "${r_cmd[@]}")
        read -r v_peak _ < <(cd "$dir" && peak_and_cpu "${v_cmd[@]}")
    else
        echo "(no hyperfine: timing $runs runs in a loop; CPU from one run, 10 ms resolution)"
        r_mean=$(cd "$dir" && mean_seconds "${r_cmd[@]}")
        v_mean=$(cd "$dir" && mean_seconds "${v_cmd[@]}")
        read -r r_peak r_cpu < <(cd "$dir" && peak_and_cpu "${r_cmd[@]}")
        read -r v_peak v_cpu < <(cd "$dir" && peak_and_cpu "${v_cmd[@]}")
    fi
    awk -v r="$r_mean" -v v="$v_mean" -v rc="$r_cpu" -v vc="$v_cpu" -v rp="$r_peak" -v vp="$v_peak" \
        -v p="$project" 'BEGIN {
        printf "\n%-8s %-16s %12s %12s %14s\n", p, "tool", "wall (mean)", "CPU (mean)", "peak RSS"
        printf "%-8s %-16s %9.1f ms %9.1f ms %10.1f MiB\n", "", "rcompose", r * 1000, rc * 1000, rp / 1024
        printf "%-8s %-16s %9.1f ms %9.1f ms %10.1f MiB\n", "", "docker-compose", v * 1000, vc * 1000, vp / 1024
        cpu = rc > 0 ? sprintf("%.1fx", vc / rc) : "n/a"
        printf "%-8s ratio: rcompose is %.1fx faster (wall), %s (CPU), uses %.1fx less memory\n", "", v / r, cpu, vp / rp
    }'
done
exit "$status"
