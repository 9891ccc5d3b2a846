#!/usr/bin/env bash
# Builds the local test images rcompose's tests and examples use. There is no registry on the test
# machines, so every image is made here from Debian's packages:
#   rcompose-test/busybox:latest, busybox:latest, busybox:stable
#     FROM scratch + the static busybox of busybox-static + applet symlinks;
#   rcompose-test/postgres:15, rcompose-test/redis:7
#     a Debian bookworm root file system made by debootstrap (postgresql-15, redis-server, tini),
#     imported as rcompose-test/debian-db-base:bookworm, plus each server's entrypoint
#     (fixtures/images/postgres, fixtures/images/redis).
# Idempotent and quiet: builds only the images that are missing (by name), one run at a time.
# Installs busybox-static and debootstrap with apt-get when they are missing (needs root, as in CI).
# Set RCOMPOSE_REBUILD_IMAGES=1 to rebuild anyway; RCOMPOSE_DEBIAN_MIRROR overrides the mirror.
set -euo pipefail

IMAGES=(rcompose-test/busybox:latest busybox:latest busybox:stable)
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fixture="$here/fixtures/images/busybox"

command -v docker >/dev/null || { echo "build-test-images: docker CLI not found" >&2; exit 1; }
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || {
  echo "build-test-images: cannot reach the Docker engine (is it running? DOCKER_HOST=${DOCKER_HOST:-unset})" >&2
  exit 1
}

# One build at a time (test binaries run this in parallel): the others wait, then find the images.
exec 9>"${TMPDIR:-/tmp}/rcompose-build-test-images.lock"
flock 9

needs() { [[ "${RCOMPOSE_REBUILD_IMAGES:-}" == 1 ]] || ! docker image inspect "$1" >/dev/null 2>&1; }

apt_install() {
  dpkg -s "$1" >/dev/null 2>&1 && return 0
  echo "build-test-images: installing $1" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq "$1" >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$1" >/dev/null; }
}

# PostgreSQL and Redis: one Debian root file system for both (debootstrap takes most of the time,
# so it is made once), then a small image per server.
build_db_images() {
  local base=rcompose-test/debian-db-base:bookworm
  if ! needs rcompose-test/postgres:15 && ! needs rcompose-test/redis:7; then
    return 0
  fi
  # On a rebuild the images being replaced are removed afterwards (unless a container uses them).
  local old=() img id i
  for img in "$base" rcompose-test/postgres:15 rcompose-test/redis:7; do
    id=$(docker image inspect --format '{{.Id}}' "$img" 2>/dev/null) && old+=("$id")
  done
  if needs "$base"; then
    apt_install debootstrap
    db_root=$(mktemp -d /var/tmp/rcompose-dbroot.XXXXXX)
    trap 'rm -rf "$db_root" "$db_root.log"' EXIT
    echo "build-test-images: debootstrap of PostgreSQL 15 and Redis 7 (about a minute)" >&2
    debootstrap --variant=minbase --include=postgresql-15,redis-server,tini bookworm "$db_root" \
      "${RCOMPOSE_DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$db_root.log" 2>&1 ||
      { tail -20 "$db_root.log" >&2; exit 1; }
    # What a server image does not need: the package caches, docs, locale sources, the cluster
    # the package made, and PostgreSQL's LLVM JIT (libLLVM and libz3 are 130 MB of the image;
    # without llvmjit.so the server turns JIT off by itself, as a build without LLVM does).
    rm -rf "$db_root"/var/cache/apt/archives/*.deb "$db_root"/var/lib/apt/lists/* \
      "$db_root"/var/cache/debconf/*-old "$db_root"/usr/share/doc "$db_root"/usr/share/man \
      "$db_root"/usr/share/info "$db_root"/usr/share/locale "$db_root"/usr/share/i18n \
      "$db_root"/var/lib/postgresql/15 "$db_root"/etc/postgresql/15/main \
      "$db_root"/usr/lib/postgresql/15/lib/llvmjit* "$db_root"/usr/lib/postgresql/15/lib/bitcode \
      "$db_root"/usr/lib/x86_64-linux-gnu/libLLVM-* "$db_root"/usr/lib/x86_64-linux-gnu/libz3.so*
    tar -C "$db_root" -c . | docker import --change 'CMD ["bash"]' - "$base" >/dev/null
    rm -rf "$db_root" "$db_root.log"
    trap - EXIT
  fi
  # Both at once: the legacy builder spends its time committing a layer per instruction, not on
  # the CPU, so two builds take little longer than one.
  local name tag logs pids=() names=() failed=0
  logs=$(mktemp -d)
  for name in postgres redis; do
    tag=rcompose-test/postgres:15
    [[ $name == redis ]] && tag=rcompose-test/redis:7
    needs "$tag" || continue
    DOCKER_BUILDKIT=0 docker build -q --label "org.rcompose.test-image=$name" -t "$tag" \
      "$fixtures/$name" >"$logs/$name" 2>&1 &
    pids+=("$!") names+=("$name")
  done
  for i in "${!pids[@]}"; do
    wait "${pids[i]}" || { cat "$logs/${names[i]}" >&2; failed=1; }
  done
  rm -rf "$logs"
  if ((failed)); then exit 1; fi
  # Children first: a base with images on it cannot go.
  for ((i = ${#old[@]} - 1; i >= 0; i--)); do
    if [[ $(docker image inspect --format '{{len .RepoTags}}' "${old[i]}" 2>/dev/null) == 0 ]]; then
      docker image rm "${old[i]}" >/dev/null 2>&1 || true
    fi
  done
}

fixtures="$here/fixtures/images"
build_db_images

missing=()
for img in "${IMAGES[@]}"; do
  if needs "$img"; then
    missing+=("$img")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

apt_install busybox-static
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
