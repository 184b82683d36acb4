#!/usr/bin/env bash
# make bench-ingest: bare clickhouse-go insert vs the collector's ingest
# endpoint (HTTPS, gzip NDJSON, identity checks, re-keyed tokens), the same
# rows into the same tables of one private ClickHouse, BENCH_ROUNDS rounds
# (default 3) in one run, both rates, every round's ratio and the median;
# plus agent idle RSS. BENCH_N records per phase (default 1,000,000),
# BENCH_AGENTS simulated agents (default 8), BENCH_INGEST_ARGS more flags
# for deploy/bench/ingest (e.g. -cpuprofile FILE).
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh
source deploy/scripts/bench-lib.sh
bench_with_clickhouse ingest
go build -o "$work/bench-ingest" ./deploy/bench/ingest
# shellcheck disable=SC2086 # BENCH_INGEST_ARGS is a list of flags
"$work/bench-ingest" -clickhouse "127.0.0.1:$CH_TCP" -clickhouse-pid "$work/clickhouse/clickhouse.pid" \
  -n "${BENCH_N:-1000000}" -agents "${BENCH_AGENTS:-8}" -rounds "${BENCH_ROUNDS:-3}" \
  -agent-bin bin/sightline-agent ${BENCH_INGEST_ARGS:-}
