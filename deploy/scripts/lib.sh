# Shared helpers for the demo, test and bench scripts. Source it.

export PATH=/usr/local/go/bin:$PATH

# free_port prints a TCP port nobody listens on (the kernel picks it).
free_port() {
  local port
  port=$(go run "./$(dirname "${BASH_SOURCE[0]}")/freeport") || { echo "free_port failed" >&2; return 1; }
  echo "$port"
}

# start_clickhouse DIR: starts a private ClickHouse, sets CH_TCP and CH_HTTP.
start_clickhouse() {
  local dir=$1 here
  here=$(dirname "${BASH_SOURCE[0]}")
  CH_TCP=$(free_port) || return 1
  CH_HTTP=$(free_port) || return 1
  "$here/clickhouse-start.sh" "$dir" "$CH_TCP" "$CH_HTTP"
  export CH_TCP CH_HTTP
}

# wait_http URL [TRIES]: polls until URL answers 2xx.
wait_http() {
  local url=$1 tries=${2:-100}
  for _ in $(seq 1 "$tries"); do
    curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "no answer from $url" >&2
  return 1
}
