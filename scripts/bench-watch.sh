#!/usr/bin/env bash
# Watch latency, rcompose beside docker compose v5 in ONE run: save a file -> the new content is
# served from inside the container (busybox httpd behind a published port). The two tools watch
# two copies of the same project; each save alternates between them.
#
#   bash scripts/bench-watch.sh [RCOMPOSE_BIN] [SAVES]      (defaults: target/release/rcompose, 30)
#   BENCH_RSS_MINUTES=10 bash scripts/bench-watch.sh        (then RSS over 10 minutes of saves)
#
# Prints p50 / p95 / max per tool (ms). With BENCH_RSS_MINUTES=N it then keeps saving (one save
# per tool per second, each waited for) for N minutes and prints each watcher's resident memory
# (VmRSS) once a minute: a watch session's memory must stay flat. Needs the test images (scripts/build-test-images.sh) and
# docker compose v5 (scripts/install-compose-v5.sh, or RCOMPOSE_COMPOSE_V5).
set -euo pipefail
cd "$(dirname "$0")/.."
rc="$(realpath "${1:-target/release/rcompose}")"
saves="${2:-30}"
v5="${RCOMPOSE_COMPOSE_V5:-$(bash scripts/install-compose-v5.sh)}"
bash scripts/build-test-images.sh >/dev/null

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  sleep 1
  "$rc" -p benchwatch-rc -f "$work/rc/compose.yaml" down -t 0 >/dev/null 2>&1 || true
  "$v5" -p benchwatch-v5 -f "$work/v5/compose.yaml" down -t 0 >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for tool in rc v5; do
  port=$(free_port)
  mkdir -p "$work/$tool/site"
  echo start > "$work/$tool/site/f.txt"
  cat > "$work/$tool/compose.yaml" <<YAML
services:
  web:
    image: busybox:stable
    init: true
    command: ["sh", "-c", "mkdir -p /www && exec httpd -f -p 8000 -h /www"]
    ports: ["127.0.0.1:$port:8000"]
    develop:
      watch:
        - action: sync
          path: ./site
          target: /www
YAML
  echo "$port" > "$work/$tool/port"
done
(cd "$work/rc" && "$rc" -p benchwatch-rc up -d >/dev/null 2>&1)
(cd "$work/v5" && "$v5" -p benchwatch-v5 up -d >/dev/null 2>&1)
(cd "$work/rc" && exec "$rc" -p benchwatch-rc watch >"$work/rc.log" 2>&1) & pids+=($!)
(cd "$work/v5" && exec "$v5" -p benchwatch-v5 watch >"$work/v5.log" 2>&1) & pids+=($!)

python3 - "$work" "$saves" "${BENCH_RSS_MINUTES:-0}" "${pids[0]}" "${pids[1]}" <<'PY'
import sys, time, urllib.request, statistics, os
work, saves, minutes = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
pid = {"rc": sys.argv[4], "v5": sys.argv[5]}
tools = ["rc", "v5"]
port = {t: open(f"{work}/{t}/port").read().strip() for t in tools}
def served(t):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port[t]}/f.txt", timeout=1) as r:
            return r.read().decode()
    except Exception:
        return None
def save_and_wait(t, text, limit=10.0):
    with open(f"{work}/{t}/site/f.txt", "w") as f:
        f.write(text)
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit:
        if served(t) == text:
            return (time.monotonic() - t0) * 1000
        time.sleep(0.002)
    return None
# Both watchers are up once a save lands.
for t in tools:
    if save_and_wait(t, f"warmup-{t}", limit=60) is None:
        sys.exit(f"{t}: watch never synced; see {work}/{t}.log")
lat = {t: [] for t in tools}
for i in range(saves):
    for t in (tools if i % 2 == 0 else reversed(tools)):
        ms = save_and_wait(t, f"save {i} {time.time_ns()}")
        if ms is None:
            sys.exit(f"{t}: save {i} never arrived")
        lat[t].append(ms)
        time.sleep(0.3)
name = {"rc": "rcompose", "v5": "docker compose v5.6.1"}
for t in tools:
    v = sorted(lat[t])
    p95 = v[min(len(v) - 1, int(round(0.95 * (len(v) - 1))))]
    print(f"{name[t]:>22}: p50 {statistics.median(v):6.0f} ms  p95 {p95:6.0f} ms  max {v[-1]:6.0f} ms  ({len(v)} saves)")
r = statistics.median(lat["rc"]) / statistics.median(lat["v5"])
print(f"{'p50 rcompose/v5':>22}: {r:.2f}")
if minutes <= 0:
    sys.exit(0)
def rss_mib(t):
    for line in open(f"/proc/{pid[t]}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")
print(f"RSS (MiB) while saving once a second per tool, {minutes:g} minutes")
print(f"{'minute':>6} {'rcompose':>9} {'v5':>9} {'saves':>6}")
start, n, next_mark = time.monotonic(), 0, 0.0
while True:
    elapsed = (time.monotonic() - start) / 60
    if elapsed >= next_mark:
        print(f"{next_mark:6.0f} {rss_mib('rc'):9.1f} {rss_mib('v5'):9.1f} {n:6d}", flush=True)
        next_mark += 1
        if next_mark > minutes + 1e-9:
            break
    t0 = time.monotonic()
    for t in tools:
        if save_and_wait(t, f"rss {n} {time.time_ns()}") is None:
            sys.exit(f"{t}: save {n} never arrived")
    n += 1
    time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
PY
