#!/usr/bin/env bash
# Start a private OpenLDAP server on loopback with its database under DIR.
# Usage: slapd-start.sh DIR PORT [LDIF]
# With LDIF (which must hold dc=example,dc=com itself), the database is
# loaded offline with slapadd first: much faster than ldapadd for big sets.
# Suffix dc=example,dc=com, manager cn=admin,dc=example,dc=com with the
# password in DIR/admin.pw. Installs Debian's slapd when missing. Stop it
# with slapd-stop.sh DIR.
set -euo pipefail
dir=${1:?usage: slapd-start.sh DIR PORT}
port=${2:?usage: slapd-start.sh DIR PORT}
preload=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh" slapd

mkdir -p "$dir/db" "$dir/cn-config"
dir=$(cd "$dir" && pwd)
pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s' "$pw" >"$dir/admin.pw"
chmod 600 "$dir/admin.pw"
mods=/usr/lib/ldap
cat >"$dir/slapd.conf" <<CONF
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath $mods
moduleload back_mdb
pidfile $dir/slapd.pid
database mdb
suffix "dc=example,dc=com"
rootdn "cn=admin,dc=example,dc=com"
rootpw $pw
directory $dir/db
maxsize 1073741824
index objectClass eq
CONF
if [ -n "$preload" ]; then
  /usr/sbin/slapadd -q -f "$dir/slapd.conf" -l "$preload" 2>"$dir/slapadd.err" || { cat "$dir/slapadd.err" >&2; exit 1; }
fi
# slapd converts the file into the (empty) cn=config directory it is given.
/usr/sbin/slapd -h "ldap://127.0.0.1:$port/" -f "$dir/slapd.conf" -F "$dir/cn-config" 2>"$dir/slapd.err" || {
  cat "$dir/slapd.err" >&2; exit 1; }
for _ in $(seq 1 100); do
  if ldapsearch -x -H "ldap://127.0.0.1:$port" -b "" -s base >/dev/null 2>&1; then
    [ -n "$preload" ] && exit 0
    ldapadd -x -H "ldap://127.0.0.1:$port" -D "cn=admin,dc=example,dc=com" -y "$dir/admin.pw" >/dev/null <<LDIF
dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
o: Example
dc: example
LDIF
    exit 0
  fi
  sleep 0.1
done
echo "slapd did not answer on port $port" >&2
cat "$dir/slapd.err" >&2
exit 1
