#!/usr/bin/env bash
# Stop the cluster cluster-start.sh DIR started: its ClickHouse servers,
# then ZooKeeper. Usage: cluster-stop.sh DIR
set -euo pipefail
dir=${1:?usage: cluster-stop.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
for node in s1r1 s1r2 s2r1 s2r2; do
  [ -d "$dir/$node" ] && "$here/clickhouse-stop.sh" "$dir/$node" &
done
wait
pidf=$dir/zk/zookeeper.pid
if [ -f "$pidf" ]; then
  pid=$(cat "$pidf")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" || true
  fi
  rm -f "$pidf"
fi
