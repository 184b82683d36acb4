#!/usr/bin/env bash
# make bench-api: 10 million pii rows, 1 million entitlements and 100,000
# principals loaded through the store into a private ClickHouse, then p50/p95
# of the summary, asset list, top-risk, subject search and breach-impact
# endpoints over real HTTP. Goal: p95 <= 300 ms.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=deploy/scripts
source "$here/lib.sh"
"$here/install-deps.sh" clickhouse
work=$(mktemp -d /tmp/sightline-bench-api.XXXXXX)
trap '"$here/clickhouse-stop.sh" "$work/clickhouse"; rm -rf "$work"' EXIT
start_clickhouse "$work/clickhouse"
go run ./deploy/bench/api -clickhouse "127.0.0.1:$CH_TCP" -pii "${BENCH_PII:-10000000}" \
  -entitlements "${BENCH_ENTITLEMENTS:-1000000}" -principals "${BENCH_PRINCIPALS:-100000}"
