#!/usr/bin/env bash
# make bench-ingest: bare clickhouse-go insert vs the collector's ingest
# endpoint, same rows, same private ClickHouse, one run; plus agent idle RSS.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=deploy/scripts
source "$here/lib.sh"
"$here/install-deps.sh" clickhouse
make -s build
work=$(mktemp -d /tmp/sightline-bench.XXXXXX)
trap '"$here/clickhouse-stop.sh" "$work/clickhouse"; rm -rf "$work"' EXIT
start_clickhouse "$work/clickhouse"
go run ./deploy/bench/ingest -clickhouse "127.0.0.1:$CH_TCP" -n "${BENCH_N:-1000000}" -agents "${BENCH_AGENTS:-8}" -agent-bin bin/sightline-agent
