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

# make_test_ca DIR: a throwaway CA and leaves signed by it, for TLS on
# loopback in tests and demos (never for production). Writes under DIR:
# ca.pem (+ ca-key.pem), server.pem + server-key.pem (for 127.0.0.1, ::1
# and localhost), client.pem + client-key.pem (client auth, CN
# sightline-test-client). Keys are mode 0600. Needs openssl.
make_test_ca() {
  local dir=${1:?usage: make_test_ca DIR} days=30
  command -v openssl >/dev/null || { echo "make_test_ca: openssl is missing (apt-get install openssl)" >&2; return 1; }
  mkdir -p "$dir" || return 1
  (
    set -e
    umask 077
    cd "$dir"
    ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    # shellcheck disable=SC2086
    openssl req -x509 $ec -days "$days" -subj "/CN=sightline test CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    leaf() { # NAME CN EXTENSIONS
      # shellcheck disable=SC2086
      openssl req -new $ec -subj "/CN=$2" -keyout "$1-key.pem" -out "$1.csr" 2>/dev/null
      printf '%s\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days "$days" \
        -extfile "$1.ext" -out "$1.pem" 2>/dev/null
      rm -f "$1.csr" "$1.ext"
    }
    leaf server localhost "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth"
    leaf client sightline-test-client "keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
    rm -f ca.srl
    chmod 644 ca.pem server.pem client.pem
  )
}
