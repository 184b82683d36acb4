#!/usr/bin/env bash
# make bench-console: the web console's render time per page in headless
# Chromium, over the data set deploy/bench/api generates (BENCH_ROWS pii
# rows, default 10,000,000: the make bench-api size), with the
# page's API calls alone from Go as the baseline. Goal: every page shows
# its data in <= 1 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=deploy/scripts
source "$here/lib.sh"
"$here/install-deps.sh" clickhouse
"$here/install-deps.sh" chromium
work=$(mktemp -d /tmp/sightline-bench-console.XXXXXX)
trap '"$here/clickhouse-stop.sh" "$work/clickhouse"; rm -rf "$work"' EXIT
start_clickhouse "$work/clickhouse"
rows=${BENCH_ROWS:-10000000}
db=sl_bench_console_$(date +%s)
# Load (and print the API's own latencies at this size) with the bench-api
# generator; entitlements and principals scale with it as in bench-api.
go run ./deploy/bench/api -clickhouse "127.0.0.1:$CH_TCP" -db "$db" -pii "$rows" \
  -entitlements "${BENCH_ENTITLEMENTS:-$((rows / 10))}" -principals "${BENCH_PRINCIPALS:-$((rows / 100))}" -runs 5
# The console benchmark reuses the read index bench-api just built.
go run ./deploy/bench/console -clickhouse "127.0.0.1:$CH_TCP" -db "$db" -runs "${BENCH_RUNS:-5}"
rm -f "${TMPDIR:-/tmp}/$db.keys.json"
