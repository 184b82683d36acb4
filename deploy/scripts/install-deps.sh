#!/usr/bin/env bash
# Install the Debian packages a component needs, only when missing.
# Usage: install-deps.sh clickhouse|zookeeper|curl|openssl|slapd|samba|postgres|mariadb|chromium|npm|packaging ...
set -euo pipefail

need=()
for what in "$@"; do
  case "$what" in
    clickhouse)
      command -v clickhouse-server >/dev/null 2>&1 || need+=(clickhouse-server)
      command -v clickhouse-client >/dev/null 2>&1 || need+=(clickhouse-client)
      ;;
    zookeeper)
      # ClickHouse's coordination for ON CLUSTER DDL and Replicated
      # tables (deploy/scripts/cluster-start.sh).
      [ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper)
      command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
      ;;
    chromium)
      # Headless browser for the web console's tests (driven by chromedp).
      command -v chromium >/dev/null 2>&1 || need+=(chromium)
      ;;
    npm)
      # Fetches axe-core for the console's accessibility checks.
      command -v npm >/dev/null 2>&1 || need+=(npm)
      ;;
    curl)
      command -v curl >/dev/null 2>&1 || need+=(curl)
      ;;
    openssl)
      command -v openssl >/dev/null 2>&1 || need+=(openssl)
      ;;
    samba)
      command -v samba >/dev/null 2>&1 || need+=(samba)
      command -v samba-tool >/dev/null 2>&1 || need+=(samba-ad-dc)
      command -v openssl >/dev/null 2>&1 || need+=(openssl)
      ;;
    slapd)
      [ -x /usr/sbin/slapd ] || need+=(slapd)
      command -v ldapadd >/dev/null 2>&1 || need+=(ldap-utils)
      ;;
    postgres) # PostgreSQL 15 for the database scanner's tests (a private cluster)
      ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
      ;;
    mariadb) # MariaDB 10.11 for the database scanner's tests (a private server)
      [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
      command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
      ;;
    packaging) # deploy/package's tests read and install the .deb and .rpm packages
      command -v dpkg-deb >/dev/null 2>&1 || need+=(dpkg)
      command -v rpm >/dev/null 2>&1 || need+=(rpm)
      command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
      ;;
    *) echo "install-deps.sh: unknown component $what" >&2; exit 2 ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]}; run as root or: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing ${need[*]} with apt-get…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${need[@]}" >/dev/null
