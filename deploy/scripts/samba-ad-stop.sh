#!/usr/bin/env bash
# Stop the domain controller started by samba-ad-start.sh DIR.
set -euo pipefail
dir=${1:?usage: samba-ad-stop.sh DIR}
[ -f "$dir/samba.pid" ] || exit 0
pid=$(cat "$dir/samba.pid")
pkill -P "$pid" 2>/dev/null || true
kill "$pid" 2>/dev/null || exit 0
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
kill -9 "$pid" 2>/dev/null || true
