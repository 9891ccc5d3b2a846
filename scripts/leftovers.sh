#!/usr/bin/env bash
# What the test suite left on the engine: containers, volumes, networks and images of the e2e
# projects (`e2e-*`) and of `Stack`s (label org.rcompose.stack). A test run must leave nothing;
# scripts/test.sh fails when this prints anything. Exit 1 when something is left.
set -euo pipefail
left=0
show() { # KIND LINES
    if [ -n "$2" ]; then
        echo "left on the engine ($1):"
        echo "$2" | sed 's/^/  /'
        left=1
    fi
}
e2e() { grep -E '(^| )e2e-' || true; }
show containers "$( { docker ps -a --filter label=org.rcompose.stack --format '{{.Names}}'
    docker ps -a --filter label=com.docker.compose.project --format '{{.Names}} {{.Label "com.docker.compose.project"}}' | e2e; } | sort -u)"
show volumes "$( { docker volume ls -q --filter label=org.rcompose.stack
    docker volume ls -q --filter label=com.docker.compose.project | e2e; } | sort -u)"
show networks "$( { docker network ls --format '{{.Name}}' --filter label=org.rcompose.stack
    docker network ls --format '{{.Name}}' | e2e; } | sort -u)"
show images "$(docker images --format '{{.Repository}}:{{.Tag}}' | e2e | sort -u)"
exit "$left"
