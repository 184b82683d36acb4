#!/usr/bin/env bash
# make bench-load: the collector's load proof. 200 simulated agents (the
# agent's own spool and shipper, gzip NDJSON over HTTP) against the real
# collector binary and a private ClickHouse for 3 minutes, while API clients
# read the main endpoints; prints the sustained stored rate, API p50/p95/p99,
# the collector's peak RSS (each beside its goal) and checks exactly-once.
# Exits non-zero only when exactly-once fails (or the bench cannot run).
#
#   BENCH_SHORT=1      a 15-second smoke run with 20 agents
#   BENCH_DURATION     load window (Go duration, default 3m)
#   BENCH_AGENTS       simulated agents (default 200)
#   BENCH_READERS      concurrent API clients (default 4)
#   BENCH_LOAD_ARGS    more flags for deploy/bench/load (e.g. -ca-file, -collector-config)
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh
source deploy/scripts/bench-lib.sh
bench_with_clickhouse load
go build -o "$work/bench-load" ./deploy/bench/load
args=(-clickhouse "127.0.0.1:$CH_TCP" -clickhouse-pid "$work/clickhouse/clickhouse.pid" -collector-bin bin/sightline-collector -work "$work/run")
[ "${BENCH_SHORT:-0}" = 1 ] && args+=(-short)
[ -n "${BENCH_DURATION:-}" ] && args+=(-duration "$BENCH_DURATION")
[ -n "${BENCH_AGENTS:-}" ] && args+=(-agents "$BENCH_AGENTS")
[ -n "${BENCH_READERS:-}" ] && args+=(-readers "$BENCH_READERS")
# shellcheck disable=SC2206 # extra flags are split on purpose
[ -n "${BENCH_LOAD_ARGS:-}" ] && args+=($BENCH_LOAD_ARGS)
"$work/bench-load" "${args[@]}"
