#!/usr/bin/env bash
# Stop the slapd started by slapd-start.sh DIR.
set -euo pipefail
dir=${1:?usage: slapd-stop.sh DIR}
[ -f "$dir/slapd.pid" ] || exit 0
pid=$(cat "$dir/slapd.pid")
kill "$pid" 2>/dev/null || exit 0
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
kill -9 "$pid" 2>/dev/null || true
