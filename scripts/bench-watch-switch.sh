#!/usr/bin/env bash
# A branch switch under watch, rcompose beside docker compose v5 (one tool after the other, each
# on its own copy of the project): 3,000 files are synced first; then 10,000 files are created in
# 100 new directories, 1,000 deleted (with their 10 directories) and 500 changed. Measures the
# time from the first write until the container holds exactly the files on disk (names and
# contents), and the watcher's peak RSS (VmHWM).
#
#   bash scripts/bench-watch-switch.sh [RCOMPOSE_BIN]      (default: target/release/rcompose)
#
# Needs the test images (scripts/build-test-images.sh) and docker compose v5
# (scripts/install-compose-v5.sh, or RCOMPOSE_COMPOSE_V5).
set -euo pipefail
cd "$(dirname "$0")/.."
rc="$(realpath "${1:-target/release/rcompose}")"
v5="${RCOMPOSE_COMPOSE_V5:-$(bash scripts/install-compose-v5.sh)}"
bash scripts/build-test-images.sh >/dev/null

work=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -INT "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  "$rc" -p benchswitch-rc -f "$work/rc/compose.yaml" down -t 0 >/dev/null 2>&1 || true
  "$v5" -p benchswitch-v5 -f "$work/v5/compose.yaml" down -t 0 >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

for tool in rc v5; do
  bin="$rc"; [ "$tool" = v5 ] && bin="$v5"
  dir="$work/$tool"
  mkdir -p "$dir/src"
  cat > "$dir/compose.yaml" <<'YAML'
services:
  app:
    image: busybox:stable
    init: true
    command: ["sh", "-c", "mkdir -p /src && exec sleep 86400"]
    develop:
      watch:
        - action: sync
          path: ./src
          target: /src
YAML
  (cd "$dir" && "$bin" -p "benchswitch-$tool" up -d >/dev/null 2>&1)
  (cd "$dir" && exec "$bin" -p "benchswitch-$tool" watch --no-up >"$work/$tool.log" 2>&1) &
  pid=$!
  python3 - "$dir/src" "benchswitch-$tool-app-1" "$pid" "$tool" "$work/$tool.log" <<'PY'
import os, shutil, subprocess, sys, time
src, ctr, pid, tool, log = sys.argv[1:6]
def write(prefix, dirs, per):
    for d in range(dirs):
        p = os.path.join(src, f"{prefix}{d}")
        os.makedirs(p, exist_ok=True)
        for f in range(per):
            with open(os.path.join(p, f"f{f}.txt"), "w") as fh:
                fh.write(f"{prefix}{d}/{f}")
def host():
    out = []
    for root, _, files in os.walk(src):
        for f in files:
            p = os.path.join(root, f)
            out.append("./" + os.path.relpath(p, src) + ":" + open(p).read())
    return sorted(out)
def container():
    r = subprocess.run(["docker", "exec", ctr, "sh", "-c", "cd /src && find . -type f | xargs -r grep -H ''"],
                       capture_output=True, text=True)
    return sorted(r.stdout.splitlines())
def until_same(limit):
    want = host()
    end = time.time() + limit
    while time.time() < end:
        if container() == want:
            return True
        time.sleep(0.05)
    return False
def hwm():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM"):
            return line.split()[1]
    return "?"
# The watcher has set up its watches when it says so (rcompose: "watching", v5: "Watch enabled").
end = time.time() + 60
while time.time() < end and not any(w in open(log).read() for w in ("watching", "Watch enabled")):
    time.sleep(0.05)
write("old", 30, 100)
if not until_same(300):
    sys.exit(f"{tool}: the first 3,000 files never landed")
t0 = time.time()
write("new", 100, 100)
for d in range(10):
    shutil.rmtree(os.path.join(src, f"old{d}"))
for d in range(10, 15):
    for f in range(100):
        with open(os.path.join(src, f"old{d}/f{f}.txt"), "w") as fh:
            fh.write("changed")
written = time.time() - t0
ok = until_same(300)
took = time.time() - t0
print(f"{tool}: {'identical' if ok else 'NOT identical after 300 s'}: writes {written:.2f} s, "
      f"identical {took:.2f} s after the first write ({took - written:.2f} s after the last); "
      f"watcher peak RSS {hwm()} kB")
PY
  kill -INT "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
  (cd "$dir" && "$bin" -p "benchswitch-$tool" down -t 0 >/dev/null 2>&1) || true
done
