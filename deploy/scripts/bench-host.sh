#!/usr/bin/env bash
# make bench-host: sightline-agent scan host over a fixture root with 10,000
# accounts, 500 groups, 1,000 sudoers rules and 1,000 authorized_keys files;
# prints the time, the peak RSS, and a baseline: reading and splitting the
# same files with awk (the floor of any parser) in the same run.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh
source deploy/scripts/bench-lib.sh
need_gnu_time
make -s build
work=$(mktemp -d /tmp/sightline-bench-host.XXXXXX)
trap 'rm -rf "$work"' EXIT
go run ./deploy/bench/host -dir "$work/root" -users "${BENCH_USERS:-10000}" -rules "${BENCH_RULES:-1000}"

secs() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); awk -v d=$((e - s)) 'BEGIN { print d / 1e9 }'; }
base_s=$(secs awk -F: '{ n += NF } END { print n }' "$work"/root/etc/passwd "$work"/root/etc/shadow "$work"/root/etc/group "$work"/root/etc/sudoers.d/* "$work"/root/home/*/.ssh/authorized_keys)
/usr/bin/time -f '%M' -o "$work/rss" bin/sightline-agent scan host --root "$work/root" --host bench >"$work/out" 2>"$work/err" || { cat "$work/err"; exit 1; }
scan_s=$(secs bin/sightline-agent scan host --root "$work/root" --host bench)
records=$(wc -l <"$work/out")
awk -v b="$base_s" -v s="$scan_s" -v rss="$(cat "$work/rss")" -v n="$records" 'BEGIN {
  printf "host scan benchmark: 10,000 accounts, 1,000 sudoers rules, 1,000 authorized_keys files\n"
  printf "  baseline: awk reading and splitting the same files: %6.3fs\n", b
  printf "  sightline-agent scan host (%d records):         %6.3fs  (%.1fx the baseline)\n", n, s, s/b
  printf "  agent peak RSS: %.1f MB\n", rss/1024
}'
