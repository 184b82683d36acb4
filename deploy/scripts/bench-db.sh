#!/usr/bin/env bash
# make bench-db: a private PostgreSQL and MariaDB each holding a table of
# BENCH_ROWS (default 10,000,000) rows generated in the database; times
# sightline-agent scan db --sample-rows 1000 on each against a full read of
# the same table as the baseline in the same run, and prints the rows
# sampled against the budget. Goal: at most 1000 rows and 10 s a scan.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh
deploy/scripts/install-deps.sh postgres mariadb
make -s build
work=$(mktemp -d /tmp/sightline-bench-db.XXXXXX)
trap 'deploy/scripts/postgres-stop.sh "$work/pg" || true; deploy/scripts/mariadb-stop.sh "$work/maria" || true; rm -rf "$work"' EXIT
pg_port=$(free_port)
deploy/scripts/postgres-start.sh "$work/pg" "$pg_port"
maria_port=$(free_port)
deploy/scripts/mariadb-start.sh "$work/maria" "$maria_port"
go run ./deploy/bench/db -rows "${BENCH_ROWS:-10000000}" -sample-rows "${BENCH_SAMPLE_ROWS:-1000}" \
  -pg "postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable" -pg-password-file "$work/pg/admin.pw" \
  -mysql "mysql://root@127.0.0.1:$maria_port/?tls=false" -mysql-password-file "$work/maria/admin.pw"
