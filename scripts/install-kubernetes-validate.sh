#!/usr/bin/env bash
# Installs the Kubernetes manifest oracle: PyPI's pinned `kubernetes-validate` (Apache-2.0), which
# bundles the Kubernetes JSON schemas (1.30 .. its own version) and validates offline, into a venv
# under the cache directory; prints the path of its `kubernetes-validate` binary.
# Idempotent: a venv already there (with the pinned version) is reused.
#
#   bash scripts/install-kubernetes-validate.sh  -> ~/.cache/rcompose/k8s-validate-<v>/bin/kubernetes-validate
#
# tests/convert_kubernetes.rs finds it through RCOMPOSE_KUBERNETES_VALIDATE; `.ci/run` exports it.
set -euo pipefail

version=1.37.0
dir="${RCOMPOSE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rcompose}/k8s-validate-$version"
bin="$dir/bin/kubernetes-validate"

installed() {
    [ -x "$bin" ] && "$dir/bin/python" -c "
import importlib.metadata as m, sys
sys.exit(0 if m.version('kubernetes-validate') == '$version' else 1)" 2>/dev/null
}

if installed; then
    echo "$bin"
    exit 0
fi

rm -rf "$dir"
python3 -m venv "$dir" >&2
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check "kubernetes-validate==$version" >&2
if ! installed; then
    echo "installing kubernetes-validate==$version into $dir failed" >&2
    exit 1
fi
echo "$bin"
