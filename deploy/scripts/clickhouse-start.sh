#!/usr/bin/env bash
# Start a private ClickHouse server on loopback with its data under DIR.
# Usage: clickhouse-start.sh DIR [TCP_PORT] [HTTP_PORT]
# Installs Debian's clickhouse-server when it is missing. Prints nothing but
# errors; the pid is in DIR/clickhouse.pid. Stop it with clickhouse-stop.sh DIR.
#
# Optional, from the environment (unset: plain native port only, user
# default without a password, as before):
#   CH_TLS_PORT       also serve the native protocol over TLS on this port
#                     (<tcp_port_secure>); needs CH_TLS_CERT and CH_TLS_KEY
#   CH_TLS_CERT, CH_TLS_KEY
#                     PEM server certificate and key for that port (e.g.
#                     server.pem / server-key.pem from make_test_ca in lib.sh)
#   CH_PASSWORD_FILE  add a user that logs in with the password in this file
#                     (surrounding whitespace trimmed, as the collector reads
#                     clickhouse.password_file); stored as password_sha256_hex
#   CH_PASSWORD_USER  that user's name (default sightline)
#   CH_EXTRA_XML      more server settings, spliced into config.xml as they
#                     are (cluster-start.sh: remote_servers, zookeeper,
#                     macros, distributed_ddl)
#   CH_PROFILE_XML    more settings of the default profile (users.xml)
#   CH_INTERSERVER_PORT  interserver_http_port (default: none, a single node needs none)
# The plain port and the password-less default user stay, so callers that
# pass nothing new keep working.
set -euo pipefail

dir=${1:?usage: clickhouse-start.sh DIR [TCP_PORT] [HTTP_PORT]}
tcp_port=${2:-19000}
http_port=${3:-18123}
# Only a replica (cluster-start.sh) needs the interserver port: a single
# node opens none, so it cannot collide with another process's port.
inter_xml=
[ -z "${CH_INTERSERVER_PORT:-}" ] || inter_xml="<interserver_http_port>$CH_INTERSERVER_PORT</interserver_http_port>"
tls_port=${CH_TLS_PORT:-}
pw_file=${CH_PASSWORD_FILE:-}
pw_user=${CH_PASSWORD_USER:-sightline}

tls_xml=""
if [ -n "$tls_port" ]; then
  : "${CH_TLS_CERT:?CH_TLS_PORT needs CH_TLS_CERT (PEM server certificate)}"
  : "${CH_TLS_KEY:?CH_TLS_PORT needs CH_TLS_KEY (PEM private key)}"
  cert=$(cd "$(dirname "$CH_TLS_CERT")" && pwd)/$(basename "$CH_TLS_CERT")
  key=$(cd "$(dirname "$CH_TLS_KEY")" && pwd)/$(basename "$CH_TLS_KEY")
  [ -r "$cert" ] && [ -r "$key" ] || { echo "CH_TLS_CERT/CH_TLS_KEY: cannot read $cert or $key" >&2; exit 1; }
  # verificationMode none: clients are not asked for certificates (the
  # password authenticates them); loadDefaultCAFile false: no system CAs.
  tls_xml="<tcp_port_secure>$tls_port</tcp_port_secure>
  <openSSL><server>
    <certificateFile>$cert</certificateFile>
    <privateKeyFile>$key</privateKeyFile>
    <verificationMode>none</verificationMode>
    <loadDefaultCAFile>false</loadDefaultCAFile>
    <cacheSessions>true</cacheSessions>
    <disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>
    <preferServerCiphers>true</preferServerCiphers>
  </server></openSSL>"
fi

pw_xml=""
if [ -n "$pw_file" ]; then
  [ -r "$pw_file" ] || { echo "CH_PASSWORD_FILE: cannot read $pw_file" >&2; exit 1; }
  case "$pw_user" in *[!A-Za-z0-9_]*|"") echo "CH_PASSWORD_USER: letters, digits, _ only" >&2; exit 1 ;; esac
  [ "$pw_user" != default ] || { echo "CH_PASSWORD_USER: default is the password-less user; pick another name" >&2; exit 1; }
  # Trim as the collector does, hash as ClickHouse wants (18.16 knows
  # password_sha256_hex).
  pw=$(cat "$pw_file")
  pw=${pw#"${pw%%[![:space:]]*}"}
  pw=${pw%"${pw##*[![:space:]]}"}
  pw_hex=$(printf '%s' "$pw" | sha256sum | cut -d' ' -f1)
  unset pw
  pw_xml="<$pw_user>
      <password_sha256_hex>$pw_hex</password_sha256_hex>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </$pw_user>"
fi

here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh" clickhouse

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log"

if [ -f "$dir/clickhouse.pid" ] && kill -0 "$(cat "$dir/clickhouse.pid")" 2>/dev/null; then
  echo "clickhouse already running in $dir (pid $(cat "$dir/clickhouse.pid"))" >&2
  exit 0
fi

cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>$dir/log/clickhouse-server.log</log>
    <errorlog>$dir/log/clickhouse-server.err.log</errorlog>
    <size>100M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>$tcp_port</tcp_port>
  <http_port>$http_port</http_port>
  $inter_xml
  $tls_xml
  ${CH_EXTRA_XML:-}
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
</yandex>
XML

cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
      <allow_experimental_low_cardinality_type>1</allow_experimental_low_cardinality_type>
      ${CH_PROFILE_XML:-}
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
    $pw_xml
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML

# The server runs as the calling user: a private instance needs no system
# service or clickhouse account.
nohup clickhouse-server --config-file="$dir/config.xml" >"$dir/log/stdout.log" 2>&1 &
echo $! >"$dir/clickhouse.pid"

for _ in $(seq 1 150); do
  if clickhouse-client --host 127.0.0.1 --port "$tcp_port" -q 'SELECT 1' >/dev/null 2>&1; then
    exit 0
  fi
  if ! kill -0 "$(cat "$dir/clickhouse.pid")" 2>/dev/null; then
    echo "clickhouse-server exited during start; see $dir/log/" >&2
    tail -n 20 "$dir/log/clickhouse-server.err.log" "$dir/log/stdout.log" >&2 || true
    exit 1
  fi
  sleep 0.2
done
echo "clickhouse-server did not answer on 127.0.0.1:$tcp_port within 30s; see $dir/log/" >&2
exit 1
