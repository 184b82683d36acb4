#!/usr/bin/env bash
# Stop the domain controller started by samba-ad-start.sh DIR, and every
# process it started: samba-dcerpcd and its rpcd_* workers are not always
# its children, and one left behind holds the next run's ports.
set -euo pipefail
dir=${1:?usage: samba-ad-stop.sh DIR}
[ -f "$dir/samba.pid" ] || exit 0
pid=$(cat "$dir/samba.pid")
pkill -P "$pid" 2>/dev/null || true
kill "$pid" 2>/dev/null || true
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -9 "$pid" 2>/dev/null || true
# What still names this instance's configuration or directory.
pkill -f -- "$dir/" 2>/dev/null || true
sleep 0.5
pkill -9 -f -- "$dir/" 2>/dev/null || true
exit 0
