#!/usr/bin/env bash
# make test: install what is missing, start private services on loopback,
# run every test tier against them, stop them.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=deploy/scripts
source "$here/lib.sh"

command -v go >/dev/null || { echo "Go is not installed (expected /usr/local/go/bin/go)" >&2; exit 1; }
"$here/install-deps.sh" clickhouse curl
go mod download

work=$(mktemp -d /tmp/sightline-test.XXXXXX)
cleanup() {
  "$here/clickhouse-stop.sh" "$work/clickhouse" || true
  rm -rf "$work"
}
trap cleanup EXIT

start_clickhouse "$work/clickhouse"
echo "ClickHouse $(clickhouse-client --port "$CH_TCP" -q 'SELECT version()') on 127.0.0.1:$CH_TCP"

make build
export SIGHTLINE_TEST_CLICKHOUSE=127.0.0.1:$CH_TCP
export SIGHTLINE_BIN_DIR=$PWD/bin
export SIGHTLINE_REQUIRE_SERVICES=1

go vet ./...
go test -race -count=1 -timeout 25m ./...

# The agent ships to every platform the Makefile's cross target names: keep
# the platform-specific files compiling.
for p in windows/amd64 darwin/arm64 linux/arm64; do
  echo "cross-compiling for $p"
  CGO_ENABLED=0 GOOS=${p%/*} GOARCH=${p#*/} go build -o /dev/null ./agent ./collector
done
