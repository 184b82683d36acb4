#!/usr/bin/env bash
# Start a ClickHouse cluster on loopback for tests: one ZooKeeper and
# 2 shards x 2 replicas of ClickHouse (Debian's 18.16 and zookeeper 3.8),
# with data under DIR.
# Usage: cluster-start.sh DIR [CLUSTER_NAME]
#
# Ports are picked once (deploy/scripts/freeport) and kept in DIR/ports, so
# running this again restarts only the servers that are not running (a test
# that killed a replica brings it back this way). Prints one line for the
# environment of the tests:
#   SIGHTLINE_TEST_CLICKHOUSE_CLUSTER=NAME=ADDR_s1r1,ADDR_s1r2,ADDR_s2r1,ADDR_s2r2
# (also written to DIR/cluster.env). Each server's pid is in
# DIR/sSrR/clickhouse.pid, ZooKeeper's in DIR/zk/zookeeper.pid. Stop all with
# cluster-stop.sh DIR.
#
# Each server gets the macros {shard} (01, 02) and {replica} (s1r1 …):
# replica names are unique across the whole cluster, which the collector's
# cluster mode needs for tables copied to every node (collector/store/cluster.go).
set -euo pipefail

dir=${1:?usage: cluster-start.sh DIR [CLUSTER_NAME]}
name=${2:-sightline_test}
case "$name" in [A-Za-z_]*) ;; *) echo "cluster name: start with a letter or _" >&2; exit 2 ;; esac
case "$name" in *[!A-Za-z0-9_]*) echo "cluster name: letters, digits, _ only" >&2; exit 2 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh" clickhouse zookeeper

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
nodes=(s1r1 s1r2 s2r1 s2r2)

if [ ! -f "$dir/ports" ]; then
  # zk client port, then tcp, interserver and http port of each node.
  ( cd "$here/../.." && go build -o "$dir/freeport" ./deploy/scripts/freeport )
  ports=()
  while [ ${#ports[@]} -lt 13 ]; do
    p=$("$dir/freeport")
    case " ${ports[*]} " in *" $p "*) continue ;; esac
    ports+=("$p")
  done
  echo "${ports[*]}" >"$dir/ports"
fi
read -r -a ports <"$dir/ports"
zk_port=${ports[0]}

# ZooKeeper, standalone.
mkdir -p "$dir/zk/data"
if ! { [ -f "$dir/zk/zookeeper.pid" ] && kill -0 "$(cat "$dir/zk/zookeeper.pid")" 2>/dev/null; }; then
  cat >"$dir/zk/zoo.cfg" <<CFG
tickTime=500
initLimit=10
syncLimit=5
dataDir=$dir/zk/data
clientPort=$zk_port
clientPortAddress=127.0.0.1
admin.enableServer=false
maxClientCnxns=0
4lw.commands.whitelist=srvr
CFG
  cp=/etc/zookeeper/conf
  for j in /usr/share/java/*.jar; do cp=$cp:$j; done
  nohup java -Xmx192m -Dzookeeper.log.dir="$dir/zk" -cp "$cp" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zk/zoo.cfg" >"$dir/zk/zookeeper.log" 2>&1 &
  echo $! >"$dir/zk/zookeeper.pid"
  ok=""
  for _ in $(seq 1 300); do
    if { exec 3<>"/dev/tcp/127.0.0.1/$zk_port"; } 2>/dev/null; then
      # srvr names the server's mode once it serves requests (ruok says
      # imok before that, while it still loads its data).
      printf srvr >&3
      r=$(timeout 2 cat <&3 || true)
      exec 3<&- 3>&-
      case "$r" in *Mode:*) ok=1; break ;; esac
    fi
    kill -0 "$(cat "$dir/zk/zookeeper.pid")" 2>/dev/null || break
    sleep 0.2
  done
  if [ -z "$ok" ]; then
    echo "zookeeper did not start on 127.0.0.1:$zk_port; see $dir/zk/zookeeper.log" >&2
    tail -20 "$dir/zk/zookeeper.log" >&2 || true
    exit 1
  fi
fi

replica() { echo "<replica><host>127.0.0.1</host><port>$1</port></replica>"; }
remote="<remote_servers><$name>
  <shard><internal_replication>true</internal_replication>$(replica "${ports[1]}")$(replica "${ports[4]}")</shard>
  <shard><internal_replication>true</internal_replication>$(replica "${ports[7]}")$(replica "${ports[10]}")</shard>
</$name></remote_servers>"

addrs=()
starts=()
for i in 0 1 2 3; do
  node=${nodes[$i]}
  tcp=${ports[$((1 + 3 * i))]}
  inter=${ports[$((2 + 3 * i))]}
  http=${ports[$((3 + 3 * i))]}
  shard=0${node:1:1}
  mkdir -p "$dir/$node" # for start.err, before clickhouse-start.sh makes the rest
  addrs+=("127.0.0.1:$tcp")
  extra="$remote
  <zookeeper><node><host>127.0.0.1</host><port>$zk_port</port></node><session_timeout_ms>4000</session_timeout_ms></zookeeper>
  <macros><shard>$shard</shard><replica>$node</replica></macros>
  <distributed_ddl><path>/clickhouse/task_queue/ddl</path></distributed_ddl>
  <interserver_http_host>127.0.0.1</interserver_http_host>"
  # What the collector's cluster mode needs of its user's profile (see
  # clusterSettings in collector/store/cluster.go).
  # A ZooKeeper that has just (re)started may drop the first handshakes,
  # and ClickHouse 18.16 exits on that: try again.
  CH_PROFILE_XML="<distributed_product_mode>global</distributed_product_mode><load_balancing>in_order</load_balancing>" \
  CH_EXTRA_XML=$extra CH_INTERSERVER_PORT=$inter bash -c 'for i in 1 2 3 4 5; do "$0" "$@" 2>"$1/start.err" && exit 0; sleep 2; done; cat "$1/start.err" >&2; exit 1' \
    "$here/clickhouse-start.sh" "$dir/$node" "$tcp" "$http" &
  starts+=($!)
done
wait_all=0
for job in "${starts[@]}"; do wait "$job" || wait_all=1; done
[ "$wait_all" = 0 ] || { echo "a ClickHouse server of the cluster did not start; see $dir/s*/log/" >&2; exit 1; }

line="SIGHTLINE_TEST_CLICKHOUSE_CLUSTER=$name=$(IFS=,; echo "${addrs[*]}")"
echo "$line" >"$dir/cluster.env"
echo "$line"
