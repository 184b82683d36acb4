#!/usr/bin/env bash
# Start a private MariaDB on 127.0.0.1:PORT with its data under DIR.
# Usage: mariadb-start.sh DIR PORT
# root@127.0.0.1 has the password in DIR/admin.pw (the socket in DIR also
# lets the OS user who started it in as root). With MARIADB_TLS_CERT and
# MARIADB_TLS_KEY set (PEM files), the server also speaks TLS with them.
# Installs Debian's mariadb-server when missing. Stop it with
# mariadb-stop.sh DIR.
set -euo pipefail
dir=${1:?usage: mariadb-start.sh DIR PORT}
port=${2:?usage: mariadb-start.sh DIR PORT}
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh" mariadb

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
user=$(id -un)
pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s' "$pw" >"$dir/admin.pw"
chmod 600 "$dir/admin.pw"
cat >"$dir/my.cnf" <<CNF
[mariadbd]
datadir=$dir/data
socket=$dir/mysqld.sock
pid-file=$dir/mysqld.pid
port=$port
bind-address=127.0.0.1
user=$user
log-error=$dir/mariadb.err
skip-name-resolve
innodb_buffer_pool_size=64M
innodb_log_file_size=48M
innodb_flush_log_at_trx_commit=0
CNF
if [ -n "${MARIADB_TLS_CERT:-}" ] && [ -n "${MARIADB_TLS_KEY:-}" ]; then
  printf 'ssl_cert=%s\nssl_key=%s\n' "$MARIADB_TLS_CERT" "$MARIADB_TLS_KEY" >>"$dir/my.cnf"
fi
mariadb-install-db --defaults-file="$dir/my.cnf" --auth-root-authentication-method=socket \
  --skip-test-db >"$dir/install.log" 2>&1 || { cat "$dir/install.log" >&2; exit 1; }
/usr/sbin/mariadbd --defaults-file="$dir/my.cnf" >/dev/null 2>&1 &
for _ in $(seq 1 200); do
  if mariadb --no-defaults -S "$dir/mysqld.sock" -u root -e 'SELECT 1' >/dev/null 2>&1; then
    mariadb --no-defaults -S "$dir/mysqld.sock" -u root <<SQL
CREATE USER 'root'@'127.0.0.1' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
SQL
    exit 0
  fi
  sleep 0.1
done
echo "mariadbd did not answer on port $port" >&2
cat "$dir/mariadb.err" >&2 || true
exit 1
