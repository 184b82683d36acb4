#!/usr/bin/env bash
# make demo: a private ClickHouse, the collector, a sample directory of fake
# personal data and an enrolled agent that scans it and ships the findings.
# Runs until Ctrl-C, then stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=deploy/scripts
source "$here/lib.sh"

command -v go >/dev/null || { echo "Go is not installed (expected /usr/local/go/bin/go)" >&2; exit 1; }
"$here/install-deps.sh" clickhouse curl openssl
make -s build

work=${SIGHTLINE_DEMO_DIR:-$(mktemp -d /tmp/sightline-demo.XXXXXX)}
mkdir -p "$work"
pids=()
cleanup() {
  echo; echo "stopping…"
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$here/clickhouse-stop.sh" "$work/clickhouse" || true
  echo "stopped; data left in $work"
}
trap cleanup EXIT
trap 'exit 0' INT TERM  # Ctrl-C is how the demo is meant to end

echo "== starting ClickHouse"
start_clickhouse "$work/clickhouse"
api_port=$(free_port)
api="https://127.0.0.1:$api_port"
# TLS on every hop, the demo too: a private CA made for this run (never
# for production: use your organisation's CA there). curl trusts it
# through CURL_CA_BUNDLE, the agent through ca_file and then its pin.
echo "== making a private CA for the demo in $work/pki"
[ -f "$work/pki/ca.pem" ] || make_test_ca "$work/pki"
export CURL_CA_BUNDLE=$work/pki/ca.pem

cat >"$work/collector.yaml" <<YAML
listen: 127.0.0.1:$api_port
tls:
  cert_file: $work/pki/server.pem
  key_file: $work/pki/server-key.pem
key_file: $work/keys.json
clickhouse:
  addr: 127.0.0.1:$CH_TCP
  database: sightline
# A demo's data is small: every read after a write waits for the read
# index to cover it (rebuilds take milliseconds here).
index:
  max_lag: 0s
YAML
echo "== migrating and starting the collector on $api"
bin/sightline-collector migrate --config "$work/collector.yaml"
bin/sightline-collector serve --config "$work/collector.yaml" >"$work/collector.log" 2>&1 &
pids+=($!)
wait_http "$api/readyz" 150

# Token names are unique among live tokens; a rerun over the same
# SIGHTLINE_DEMO_DIR keeps the earlier ones, so each run names its own.
run_id=$(date +%s)
enroll_secret=$(bin/sightline-collector token create --role agent-enroll --name "demo-$run_id" --config "$work/collector.yaml" 2>/dev/null)
admin_token=$(bin/sightline-collector token create --role admin --name "demo-admin-$run_id" --config "$work/collector.yaml" 2>/dev/null)

echo "== generating sample data in $work/sample"
go run ./deploy/demo/gensample -dir "$work/sample"

cat >"$work/agent.yaml" <<YAML
collector: $api
ca_file: $work/pki/ca.pem
data_dir: $work/agent
scans:
  fs:
    enabled: true
    paths: [$work/sample]
    interval: 5m
  host:
    enabled: true
    interval: 1h
YAML
echo "== enrolling the agent and starting it"
# The secret goes through the environment: a flag would show in ps.
SIGHTLINE_ENROLL_SECRET=$enroll_secret bin/sightline-agent enroll --config "$work/agent.yaml" --collector "$api"
bin/sightline-agent run --config "$work/agent.yaml" >"$work/agent.log" 2>&1 &
pids+=($!)

echo -n "== waiting for the first scan to arrive"
for _ in $(seq 1 150); do
  n=$(curl -fsS -H "Authorization: Bearer $admin_token" "$api/api/v1/inventory/summary" 2>/dev/null | grep -o '"assets":[0-9]*' | head -1 | cut -d: -f2 || true)
  [ -n "$n" ] && [ "$n" != 0 ] && break
  echo -n .; sleep 0.2
done
echo

echo "== inventory summary"
curl -fsS -H "Authorization: Bearer $admin_token" "$api/api/v1/inventory/summary" | python3 -m json.tool 2>/dev/null \
  || curl -fsS -H "Authorization: Bearer $admin_token" "$api/api/v1/inventory/summary"
echo
echo "== privileged accounts on this host (name: why)"
sleep 1
curl -fsS -H "Authorization: Bearer $admin_token" "$api/api/v1/principals?source=host&privileged=true" |
  python3 -c 'import json,sys; [print("  %s: %s" % (p["name"], "; ".join(p["privileged_via"]))) for p in json.load(sys.stdin)["items"]]' 2>/dev/null || true
echo
cat <<TXT

Sightline is running.
  API:          $api   (OpenAPI: $api/api/v1/openapi.json)
  console:      $api/   (trust the CA in your browser, or accept it, then paste the admin token)
  CA:           $work/pki/ca.pem   (curl --cacert it, or export CURL_CA_BUNDLE=$work/pki/ca.pem)
  admin token:  $admin_token
  logs:         $work/collector.log  $work/agent.log

Try:
  curl -s --cacert $work/pki/ca.pem -H "Authorization: Bearer $admin_token" '$api/api/v1/findings?type=credit_card&limit=5'
  curl -s --cacert $work/pki/ca.pem -H "Authorization: Bearer $admin_token" '$api/api/v1/agents'
  curl -s --cacert $work/pki/ca.pem -H "Authorization: Bearer $admin_token" '$api/api/v1/principals?source=host&privileged=true'
  curl -s --cacert $work/pki/ca.pem -H "Authorization: Bearer $admin_token" -X POST '$api/api/v1/incidents/impact' -d '{"hosts":["$(hostname)"]}'
  curl -s --cacert $work/pki/ca.pem -H "Authorization: Bearer $admin_token" -X POST '$api/api/v1/subjects/search' \
       -d '{"identifiers":[{"type":"email","value":"someone@example.com"}]}'

Press Ctrl-C to stop.
TXT
while :; do sleep 3600; done
