#!/usr/bin/env bash
# Builds the local test images rcompose's tests and examples use. There is no registry on the test
# machines, so every image is made here from Debian's static busybox:
#   rcompose-test/busybox:latest, busybox:latest, busybox:stable
# (FROM scratch + /bin/busybox + applet symlinks). Idempotent and quiet: does nothing when all
# images exist. Installs busybox-static with apt-get when it is missing (needs root, as in CI).
# Set RCOMPOSE_REBUILD_IMAGES=1 to rebuild anyway.
set -euo pipefail

IMAGES=(rcompose-test/busybox:latest busybox:latest busybox:stable)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fixture="$here/fixtures/images/busybox"

command -v docker >/dev/null || { echo "build-test-images: docker CLI not found" >&2; exit 1; }
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || {
  echo "build-test-images: cannot reach the Docker engine (is it running? DOCKER_HOST=${DOCKER_HOST:-unset})" >&2
  exit 1
}

missing=()
for img in "${IMAGES[@]}"; do
  if [[ "${RCOMPOSE_REBUILD_IMAGES:-}" == 1 ]] || ! docker image inspect "$img" >/dev/null 2>&1; then
    missing+=("$img")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if ! dpkg -s busybox-static >/dev/null 2>&1; then
  echo "build-test-images: installing busybox-static" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq busybox-static >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq busybox-static >/dev/null; }
fi
# awk reads all of its input: with pipefail, a reader that stops early (head) would fail the
# pipeline with SIGPIPE (exit 141) whenever the writer still had output.
bb=$(dpkg -L busybox-static | awk '/\/busybox$/ && !found { print; found = 1 }')
[[ -x $bb ]] || { echo "build-test-images: no static busybox found" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/tmp" "$ctx/rootfs/etc" "$ctx/rootfs/root" "$ctx/rootfs/var/www" \
  "$ctx/rootfs/proc" "$ctx/rootfs/sys" "$ctx/rootfs/dev" "$ctx/rootfs/usr/bin" "$ctx/rootfs/usr/sbin" "$ctx/rootfs/sbin"
cp "$bb" "$ctx/rootfs/bin/busybox"
chmod 1777 "$ctx/rootfs/tmp"
# One symlink per applet, where busybox itself says it lives (--list-full gives bin/sh, usr/bin/wget...).
while read -r applet; do
  [[ -z $applet || $applet == bin/busybox ]] && continue
  mkdir -p "$ctx/rootfs/$(dirname "$applet")"
  ln -sf /bin/busybox "$ctx/rootfs/$applet"
done < <("$bb" --list-full)
cp "$fixture/passwd" "$ctx/rootfs/etc/passwd"
cp "$fixture/group" "$ctx/rootfs/etc/group"
cp "$fixture/Dockerfile" "$ctx/Dockerfile"

banner=$("$bb" 2>&1 || true)
version=$(printf '%s\n' "$banner" | awk 'NR == 1 { print $2 }')
tags=()
for img in "${missing[@]}"; do tags+=(-t "$img"); done
docker build -q --label "org.rcompose.test-image=busybox" --label "org.rcompose.busybox-version=$version" \
  "${tags[@]}" "$ctx" >"$ctx/build.log" 2>&1 || { cat "$ctx/build.log" >&2; exit 1; }
