#!/usr/bin/env bash
# make bench-scan: sightline-agent scan fs on one core vs ripgrep -j1 with
# one shape pattern per detected type (deploy/bench/scan/patterns.txt), same
# files, same run. Prints throughputs, their ratio and the agent's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh
if ! command -v rg >/dev/null || [ ! -x /usr/bin/time ]; then
  [ "$(id -u)" = 0 ] || { echo "needs ripgrep and time: apt-get install -y ripgrep time" >&2; exit 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ripgrep time >/dev/null
fi
make -s build
mb=${BENCH_MB:-256}
work=$(mktemp -d /tmp/sightline-bench-scan.XXXXXX)
trap 'rm -rf "$work"' EXIT
go run ./deploy/bench/scan -dir "$work/data" -mb "$mb"
cat "$work"/data/* >/dev/null # both runs read from the page cache

secs() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); awk -v d=$((e - s)) 'BEGIN { print d / 1e9 }'; }

rg_s=$(secs rg -j1 --count-matches -f deploy/bench/scan/patterns.txt "$work/data")
GOMAXPROCS=1 /usr/bin/time -f '%M' -o "$work/rss" bin/sightline-agent scan fs --path "$work/data" >/dev/null 2>"$work/agent.err" || { cat "$work/agent.err"; exit 1; }
sl_s=$(secs env GOMAXPROCS=1 SIGHTLINE_TOKEN_KEY=00112233445566778899aabbccddeeff bin/sightline-agent scan fs --path "$work/data")
rss_kb=$(cat "$work/rss")

awk -v mb="$mb" -v rg="$rg_s" -v sl="$sl_s" -v rss="$rss_kb" 'BEGIN {
  printf "scan benchmark: %d MiB of log-like text, one core\n", mb
  printf "  ripgrep -j1 --count-matches (shapes only): %6.2fs  %7.1f MB/s\n", rg, mb*1.048576/rg
  printf "  sightline-agent scan fs (validated):       %6.2fs  %7.1f MB/s\n", sl, mb*1.048576/sl
  printf "  ratio sightline/ripgrep: %.2f (goal >= 1.0)\n", rg/sl
  printf "  agent peak RSS: %.1f MB (goal <= 100 MB)\n", rss/1024
}'
