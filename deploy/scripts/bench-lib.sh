# Shared by the bench-*.sh scripts; source it after lib.sh, from the
# repository root.

# need_gnu_time installs GNU time (its -f '%M' gives the peak RSS) when
# /usr/bin/time is missing.
need_gnu_time() {
  if [ ! -x /usr/bin/time ]; then
    [ "$(id -u)" = 0 ] || { echo "needs GNU time: apt-get install -y time" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
  fi
}

# bench_with_clickhouse NAME builds the binaries, makes the work directory
# $work (/tmp/sightline-bench-NAME.*), starts a private ClickHouse in
# $work/clickhouse (CH_TCP is its native port) and stops and removes both
# when the script exits.
bench_with_clickhouse() {
  deploy/scripts/install-deps.sh clickhouse
  make -s build
  work=$(mktemp -d "/tmp/sightline-bench-$1.XXXXXX")
  trap 'deploy/scripts/clickhouse-stop.sh "$work/clickhouse"; rm -rf "$work"' EXIT
  start_clickhouse "$work/clickhouse"
}
