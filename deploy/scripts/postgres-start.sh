#!/usr/bin/env bash
# Start a private PostgreSQL 15 on 127.0.0.1:PORT with its cluster under DIR.
# Usage: postgres-start.sh DIR PORT
# Superuser "postgres" with the password in DIR/admin.pw (scram-sha-256 over
# TCP only; no Unix socket outside DIR). With PG_TLS_CERT and PG_TLS_KEY set
# (PEM files), the server also speaks TLS with them. Root may not run
# PostgreSQL: as root, the cluster belongs to the "postgres" system user
# (Debian's package creates it). Installs Debian's postgresql when missing.
# Stop it with postgres-stop.sh DIR.
set -euo pipefail
dir=${1:?usage: postgres-start.sh DIR PORT}
port=${2:?usage: postgres-start.sh DIR PORT}
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh" postgres
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
as=()
if [ "$(id -u)" = 0 ]; then
  as=(runuser -u postgres --)
  # The postgres user must reach DIR: let it traverse (not list) the
  # directories above, which mktemp makes 0700.
  d=$dir
  while [ "$d" != / ]; do
    d=$(dirname "$d")
    "${as[@]}" test -x "$d" || chmod o+x "$d"
  done
  chown postgres "$dir"
fi
chmod 700 "$dir"
pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s' "$pw" >"$dir/admin.pw"
chmod 600 "$dir/admin.pw"
# initdb reads the password from a file the postgres user can read.
printf '%s\n' "$pw" >"$dir/initdb.pw"
[ "$(id -u)" = 0 ] && chown postgres "$dir/initdb.pw"
"${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/initdb.pw" --auth=scram-sha-256 \
  -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
rm -f "$dir/initdb.pw"
{
  echo "listen_addresses = '127.0.0.1'"
  echo "port = $port"
  echo "unix_socket_directories = '$dir'"
  echo "fsync = off"
  echo "shared_buffers = 64MB"
} >>"$dir/data/postgresql.conf"
if [ -n "${PG_TLS_CERT:-}" ] && [ -n "${PG_TLS_KEY:-}" ]; then
  install -m 600 "$PG_TLS_CERT" "$dir/data/server.crt"
  install -m 600 "$PG_TLS_KEY" "$dir/data/server.key"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/data/server.crt" "$dir/data/server.key"
  echo "ssl = on" >>"$dir/data/postgresql.conf"
fi
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null || {
  cat "$dir/postgres.log" >&2; exit 1; }
