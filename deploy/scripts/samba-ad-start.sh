#!/usr/bin/env bash
# Provision and start a private Samba Active Directory domain controller
# (realm CORP.EXAMPLE.COM) listening on 127.0.0.1:389/636 only.
# Usage: samba-ad-start.sh DIR
# The Administrator password is in DIR/admin.pw; DIR/ca.pem is the CA of the
# LDAPS certificate (a proper one: Samba's own self-signed certificate has a
# negative serial number, which Go's TLS refuses). Stop with samba-ad-stop.sh.
set -euo pipefail
dir=${1:?usage: samba-ad-start.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
"$here/install-deps.sh" samba
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
if [ ! -f "$dir/etc/smb.conf" ]; then
  pw="Sl!$(head -c 9 /dev/urandom | od -An -tx1 | tr -d ' \n')Aa1"
  printf '%s' "$pw" >"$dir/admin.pw"
  chmod 600 "$dir/admin.pw"
  samba-tool domain provision --use-rfc2307 --realm=CORP.EXAMPLE.COM --domain=CORP --server-role=dc \
    --dns-backend=NONE --adminpass="$pw" --targetdir="$dir" \
    --option="interfaces=lo" --option="bind interfaces only=yes" >"$dir/provision.log" 2>&1 || {
      tail -20 "$dir/provision.log" >&2; exit 1; }
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=localhost" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$dir/tls-key.pem" -out "$dir/ca.pem" >/dev/null 2>&1
  chmod 600 "$dir/tls-key.pem"
  # Only the directory: no SMB, no KDC ports to collide with (a later
  # line wins in smb.conf, so provision's own line is replaced).
  sed -i '/^\s*server services\s*=/d' "$dir/etc/smb.conf"
  sed -i "/^\[global\]/a\\
\ttls enabled = yes\\
\ttls keyfile = $dir/tls-key.pem\\
\ttls certfile = $dir/ca.pem\\
\ttls cafile = \\
\tpid directory = $dir/run\\
\tserver services = ldap" "$dir/etc/smb.conf"
  mkdir -p "$dir/run"
fi
if (exec 3<>/dev/tcp/127.0.0.1/636) 2>/dev/null; then
  echo "something already listens on 127.0.0.1:636; stop it (another samba?) first" >&2
  exit 1
fi
samba -s "$dir/etc/smb.conf" -i -M single >"$dir/samba.log" 2>&1 &
echo $! >"$dir/samba.pid"
for _ in $(seq 1 150); do
  kill -0 "$(cat "$dir/samba.pid")" 2>/dev/null || break
  if (exec 3<>/dev/tcp/127.0.0.1/636) 2>/dev/null; then exit 0; fi
  sleep 0.2
done
echo "samba did not listen on 127.0.0.1:636" >&2
tail -20 "$dir/samba.log" >&2
exit 1
