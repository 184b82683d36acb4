#!/usr/bin/env bash
# Stop the private ClickHouse started by clickhouse-start.sh DIR.
set -euo pipefail
dir=${1:?usage: clickhouse-stop.sh DIR}
pidfile="$dir/clickhouse.pid"
[ -f "$pidfile" ] || exit 0
pid=$(cat "$pidfile")
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
fi
rm -f "$pidfile"
