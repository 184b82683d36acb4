#!/usr/bin/env bash
# Stop the PostgreSQL started by postgres-start.sh DIR.
set -euo pipefail
dir=${1:?usage: postgres-stop.sh DIR}
[ -f "$dir/data/postmaster.pid" ] || exit 0
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as=()
[ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
