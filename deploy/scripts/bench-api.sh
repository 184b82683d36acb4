#!/usr/bin/env bash
# make bench-api: 10 million pii rows, 1 million entitlements and 100,000
# principals loaded through the store into a private ClickHouse, then p50/p95
# of the summary, asset list, top-risk, subject search and breach-impact
# endpoints over real HTTP. Goal: p95 <= 300 ms. Then one host is scanned
# again and the read index brought up to date incrementally, then rebuilt
# whole: both times are printed (goal for the incremental one: <= 5 s).
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh
source deploy/scripts/bench-lib.sh
bench_with_clickhouse api
go run ./deploy/bench/api -clickhouse "127.0.0.1:$CH_TCP" -pii "${BENCH_PII:-10000000}" \
  -entitlements "${BENCH_ENTITLEMENTS:-1000000}" -principals "${BENCH_PRINCIPALS:-100000}"
