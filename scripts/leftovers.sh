#!/usr/bin/env bash
# What the test suite left on the engine: containers, volumes, networks and images of the e2e
# projects (`e2e-*`) and of `Stack`s (label org.rcompose.stack). A test run must leave nothing.
#
#   leftovers.sh                 lists them; exit 1 when something is there
#   leftovers.sh --save FILE     records what is there now (before a test run), exit 0
#   leftovers.sh --since FILE    lists what is there and was not in FILE; exit 1 when something is
#                                new. What FILE already held (an earlier, interrupted run's
#                                objects on a long-lived engine) is named but does not fail.
set -euo pipefail
mode="${1:-}"
file="${2:-}"
e2e() { grep -E '(^| )e2e-' || true; }
current() { # one "KIND NAME" line per object
    { docker ps -a --filter label=org.rcompose.stack --format '{{.Names}}'
      docker ps -a --filter label=com.docker.compose.project \
          --format '{{.Names}} {{.Label "com.docker.compose.project"}}' | e2e; } \
        | sort -u | sed 's/^/containers /'
    { docker volume ls -q --filter label=org.rcompose.stack
      docker volume ls -q --filter label=com.docker.compose.project | e2e; } \
        | sort -u | sed 's/^/volumes /'
    { docker network ls --format '{{.Name}}' --filter label=org.rcompose.stack
      docker network ls --format '{{.Name}}' | e2e; } | sort -u | sed 's/^/networks /'
    docker images --format '{{.Repository}}:{{.Tag}}' | e2e | sort -u | sed 's/^/images /'
}
show() { # HEADING LINES
    local kind
    for kind in containers volumes networks images; do
        local names
        names="$(echo "$2" | awk -v k="$kind" '$1 == k { sub(/^[^ ]+ /, ""); print }')"
        if [ -n "$names" ]; then
            echo "$1 ($kind):"
            echo "$names" | sed 's/^/  /'
        fi
    done
}
case "$mode" in
    --save)
        current >"$file"
        exit 0
        ;;
    --since)
        now="$(current)"
        old="$(grep -Fxf "$file" <<<"$now" || true)"
        new="$(grep -Fvxf "$file" <<<"$now" || true)"
        [ -s "$file" ] || new="$now" old=""
        [ -z "$old" ] || show "on the engine before this run, not counted" "$old"
        [ -z "$new" ] || { show "left on the engine" "$new"; exit 1; }
        exit 0
        ;;
    "")
        now="$(current)"
        [ -z "$now" ] || { show "left on the engine" "$now"; exit 1; }
        exit 0
        ;;
    *)
        echo "usage: leftovers.sh [--save FILE | --since FILE]" >&2
        exit 2
        ;;
esac
