#!/usr/bin/env bash
# make bench-ldap: sightline-agent scan ldap over a private slapd holding
# 100,000 users and 10,000 nested groups; prints the time, entries per
# second and peak RSS, with ldapsearch reading the same entries (paged, 500
# a page) as the baseline in the same run. Goal: <= 60 s and <= 200 MB.
set -euo pipefail
cd "$(dirname "$0")/../.."
source deploy/scripts/lib.sh
source deploy/scripts/bench-lib.sh
deploy/scripts/install-deps.sh slapd
need_gnu_time
make -s build
work=$(mktemp -d /tmp/sightline-bench-ldap.XXXXXX)
trap 'deploy/scripts/slapd-stop.sh "$work/slapd" || true; rm -rf "$work"' EXIT
users=${BENCH_USERS:-100000}
groups=${BENCH_GROUPS:-10000}
go run ./deploy/bench/ldap -out "$work/dir.ldif" -users "$users" -groups "$groups"
port=$(free_port)
deploy/scripts/slapd-start.sh "$work/slapd" "$port" "$work/dir.ldif"
url=ldap://127.0.0.1:$port
secs() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); awk -v d=$((e - s)) 'BEGIN { print d / 1e9 }'; }
base_s=$(secs ldapsearch -x -LLL -H "$url" -D cn=admin,dc=example,dc=com -y "$work/slapd/admin.pw" -E pr=500/noprompt \
  -b dc=example,dc=com "(|(objectClass=inetOrgPerson)(objectClass=groupOfNames))" cn uid member)
/usr/bin/time -f '%M' -o "$work/rss" bin/sightline-agent scan ldap --url "$url" --base-dn dc=example,dc=com \
  --bind-dn cn=admin,dc=example,dc=com --password-file "$work/slapd/admin.pw" \
  --privileged-group cn=g00001,ou=groups,dc=example,dc=com >"$work/out" 2>"$work/err" || { cat "$work/err"; exit 1; }
scan_s=$(secs bin/sightline-agent scan ldap --url "$url" --base-dn dc=example,dc=com \
  --bind-dn cn=admin,dc=example,dc=com --password-file "$work/slapd/admin.pw" \
  --privileged-group cn=g00001,ou=groups,dc=example,dc=com)
awk -v b="$base_s" -v s="$scan_s" -v rss="$(cat "$work/rss")" -v n=$((users + groups)) -v recs="$(wc -l <"$work/out")" 'BEGIN {
  printf "directory scan benchmark: %d entries (users and nested groups) in slapd\n", n
  printf "  baseline: ldapsearch, paged, same entries:   %6.2fs\n", b
  printf "  sightline-agent scan ldap (%d records): %6.2fs  %8.0f entries/s  (%.1fx the baseline)\n", recs, s, n/s, s/b
  printf "  agent peak RSS: %.1f MB (goal <= 200 MB; time goal <= 60 s)\n", rss/1024
}'
