#!/usr/bin/env bash
# make test: install what is missing, start private services on loopback,
# run every test tier against them, stop them.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=deploy/scripts
source "$here/lib.sh"

command -v go >/dev/null || { echo "Go is not installed (expected /usr/local/go/bin/go)" >&2; exit 1; }
"$here/install-deps.sh" clickhouse zookeeper curl openssl slapd samba postgres mariadb chromium npm packaging
go mod download

work=$(mktemp -d /tmp/sightline-test.XXXXXX)
cleanup() {
  "$here/clickhouse-stop.sh" "$work/clickhouse" || true
  "$here/slapd-stop.sh" "$work/slapd" || true
  "$here/samba-ad-stop.sh" "$work/samba" || true
  "$here/postgres-stop.sh" "$work/postgres" || true
  "$here/mariadb-stop.sh" "$work/mariadb" || true
  "$here/cluster-stop.sh" "$work/cluster" || true
  [ -z "${azurite_pid:-}" ] || kill "$azurite_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# ClickHouse also serves its native protocol over TLS (certificate from a
# throwaway CA) and has a password user, for the TLS tests.
make_test_ca "$work/pki"
openssl rand -hex 16 >"$work/clickhouse.pw"
ch_tls=$(free_port)
CH_TLS_PORT=$ch_tls CH_TLS_CERT=$work/pki/server.pem CH_TLS_KEY=$work/pki/server-key.pem \
  CH_PASSWORD_FILE=$work/clickhouse.pw start_clickhouse "$work/clickhouse"
echo "ClickHouse $(clickhouse-client --port "$CH_TCP" -q 'SELECT version()') on 127.0.0.1:$CH_TCP (TLS: $ch_tls)"
ldap_port=$(free_port)
"$here/slapd-start.sh" "$work/slapd" "$ldap_port"
echo "OpenLDAP on 127.0.0.1:$ldap_port"
"$here/samba-ad-start.sh" "$work/samba"
echo "Samba AD domain controller (CORP.EXAMPLE.COM) on 127.0.0.1:636"
pg_port=$(free_port)
PG_TLS_CERT=$work/pki/server.pem PG_TLS_KEY=$work/pki/server-key.pem "$here/postgres-start.sh" "$work/postgres" "$pg_port"
echo "PostgreSQL on 127.0.0.1:$pg_port"
maria_port=$(free_port)
MARIADB_TLS_CERT=$work/pki/server.pem MARIADB_TLS_KEY=$work/pki/server-key.pem "$here/mariadb-start.sh" "$work/mariadb" "$maria_port"
echo "MariaDB on 127.0.0.1:$maria_port"

# A ClickHouse cluster (2 shards x 2 replicas, one ZooKeeper) for the
# cluster mode's tests (store/cluster_test.go, e2e/cluster_test.go).
"$here/cluster-start.sh" "$work/cluster" >/dev/null
export SIGHTLINE_TEST_CLICKHOUSE_CLUSTER=$(cut -d= -f2- "$work/cluster/cluster.env")
echo "ClickHouse cluster ${SIGHTLINE_TEST_CLICKHOUSE_CLUSTER}"

make build
export SIGHTLINE_TEST_CLICKHOUSE=127.0.0.1:$CH_TCP
export SIGHTLINE_TEST_CLICKHOUSE_TLS=127.0.0.1:$ch_tls
export SIGHTLINE_TEST_CLICKHOUSE_CA=$work/pki/ca.pem
export SIGHTLINE_TEST_CLICKHOUSE_PASSWORD_FILE=$work/clickhouse.pw
export SIGHTLINE_TEST_CLICKHOUSE_USER=sightline
export SIGHTLINE_BIN_DIR=$PWD/bin
export SIGHTLINE_TEST_LDAP=ldap://127.0.0.1:$ldap_port
export SIGHTLINE_TEST_LDAP_PASSWORD_FILE=$work/slapd/admin.pw
export SIGHTLINE_TEST_AD=ldaps://127.0.0.1:636
export SIGHTLINE_TEST_AD_PASSWORD_FILE=$work/samba/admin.pw
export SIGHTLINE_TEST_AD_CA=$work/samba/ca.pem
export SIGHTLINE_TEST_SMB=127.0.0.1:445
export SIGHTLINE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pg_port/postgres?sslmode=disable"
export SIGHTLINE_TEST_POSTGRES_PASSWORD_FILE=$work/postgres/admin.pw
export SIGHTLINE_TEST_MARIADB="mysql://root@127.0.0.1:$maria_port/?tls=false"
export SIGHTLINE_TEST_MARIADB_PASSWORD_FILE=$work/mariadb/admin.pw
export SIGHTLINE_TEST_DB_CA=$work/pki/ca.pem
export SIGHTLINE_REQUIRE_SERVICES=1
# axe-core, injected by the web console's browser tests (accessibility).
npm install --prefix "$work/npm" --no-audit --no-fund --silent axe-core@4.14.1 >/dev/null
export SIGHTLINE_TEST_AXE=$work/npm/node_modules/axe-core/axe.min.js
# Azurite (the Azure Storage emulator, real blob protocol) for the Azure
# Blob scanner's tests (agent/azblobscan). --skipApiVersionCheck: the SDK
# sends a newer service version than this Azurite release knows, and the
# calls the scanner makes are the same in both.
npm install --prefix "$work/npm" --no-audit --no-fund --silent azurite@3.35.0 >/dev/null
azurite_port=$(free_port)
mkdir -p "$work/azurite"
"$work/npm/node_modules/.bin/azurite-blob" --silent --disableTelemetry --skipApiVersionCheck --location "$work/azurite" \
  --blobHost 127.0.0.1 --blobPort "$azurite_port" >"$work/azurite.log" 2>&1 &
azurite_pid=$!
for _ in $(seq 60); do (exec 3<>"/dev/tcp/127.0.0.1/$azurite_port") 2>/dev/null && break; sleep 0.5; done
export SIGHTLINE_TEST_AZURITE=http://127.0.0.1:$azurite_port/devstoreaccount1
echo "Azurite blob service on 127.0.0.1:$azurite_port"

go vet ./...
go test -race -count=1 -timeout 25m ./...
"$here/fuzz-smoke.sh"

# The cluster suite kills and restarts the cluster's servers, so it runs
# alone (with _DIR it may; REQUIRE: it must not skip).
SIGHTLINE_TEST_CLICKHOUSE_CLUSTER_DIR=$work/cluster SIGHTLINE_REQUIRE_CLUSTER=1 \
  go test -count=1 -timeout 15m -run '^TestCluster' ./internal/e2e

# Samba's own generated LDAPS certificate (its serial derives from the time
# and is negative about half the time): the agent binary must take it too.
"$here/samba-ad-stop.sh" "$work/samba"
"$here/samba-ad-start.sh" "$work/samba" own-cert
export SIGHTLINE_TEST_AD_OWN_CA=$work/samba/own-ca.pem
go test -count=1 -run '^TestAgentScansSambaWithItsOwnCertificate$' ./internal/e2e

# The agent ships to every platform the Makefile's cross target names: keep
# the platform-specific files compiling.
for p in windows/amd64 darwin/arm64 linux/arm64; do
  echo "cross-compiling for $p"
  CGO_ENABLED=0 GOOS=${p%/*} GOARCH=${p#*/} go build -o /dev/null ./agent ./collector
done
