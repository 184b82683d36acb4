#!/usr/bin/env bash
# Provision and start a private Samba Active Directory domain controller
# (realm CORP.EXAMPLE.COM) listening on 127.0.0.1:389/636 (LDAP) and
# 127.0.0.1:445 (SMB: the share "files", DIR/files on disk, with NT ACLs
# kept in xattrs, as a Windows file server of the domain keeps them; and
# the share "restricted", DIR/restricted, whose share permission admits
# only the AD group restricted-share-users).
# Usage: samba-ad-start.sh DIR [own-cert]
# The Administrator password is in DIR/admin.pw; DIR/ca.pem is the CA of the
# LDAPS certificate, a proper one made here (127.0.0.1 in its
# subjectAltName, a positive serial).
# With own-cert, Samba serves the certificate it generates itself at its
# first start instead (private/tls/, copied to DIR/own-ca.pem once it
# listens): the one a default deployment meets. Its serial is derived from
# the time and negative about half the time, which Go refuses to parse
# unless GODEBUG x509negativeserial=1, and it names the host only in its
# CN. The same DIR can be stopped and started again in either mode.
# Stop with samba-ad-stop.sh.
set -euo pipefail
dir=${1:?usage: samba-ad-start.sh DIR [own-cert]}
mode=${2:-}
case "$mode" in ""|own-cert) ;; *) echo "samba-ad-start.sh: unknown mode $mode (want own-cert or nothing)" >&2; exit 2;; esac
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
  # The directory and the file server: no KDC or DNS ports to collide
  # with (a later line wins in smb.conf, so provision's own line is
  # replaced). SMB on 445 only (no NetBIOS 139).
  sed -i '/^\s*server services\s*=/d' "$dir/etc/smb.conf"
  sed -i "/^\[global\]/a\\
\ttls enabled = yes\\
\tpid directory = $dir/run\\
\tserver services = ldap, s3fs, winbindd\\
\tsmb ports = 445" "$dir/etc/smb.conf"
  mkdir -p "$dir/run"
  # A file share for the SMB scanner's tests: the tests write its files
  # and their NT ACLs over SMB as Administrator (root on the DC), and scan
  # it with an account the ACLs let read.
  mkdir -p "$dir/files"
  printf '\n[files]\n\tpath = %s/files\n\tread only = no\n\tvfs objects = dfs_samba4 acl_xattr\n\tacl_xattr:ignore system acls = yes\n' "$dir" >>"$dir/etc/smb.conf"
fi
# A second share, "restricted", whose share permission (not its files'
# NT ACLs) lets one AD group in: restricted-share-users, full control
# (Administrator is a member, so tests can write there). Share
# permissions live in Samba's share_info.tdb, set here with sharesec.
# Added to a DIR provisioned before this share existed too.
if ! grep -q '^\[restricted\]' "$dir/etc/smb.conf"; then
  mkdir -p "$dir/restricted"
  printf '\n[restricted]\n\tpath = %s/restricted\n\tread only = no\n\tvfs objects = dfs_samba4 acl_xattr\n\tacl_xattr:ignore system acls = yes\n' "$dir" >>"$dir/etc/smb.conf"
  samba-tool group add restricted-share-users -s "$dir/etc/smb.conf" >/dev/null
  samba-tool group addmembers restricted-share-users Administrator -s "$dir/etc/smb.conf" >/dev/null
  sid=$(samba-tool group show restricted-share-users --attributes=objectSid -s "$dir/etc/smb.conf" | sed -n 's/^objectSid: //p')
  [ -n "$sid" ] || { echo "samba-ad-start.sh: no SID for restricted-share-users" >&2; exit 1; }
  sharesec restricted -s "$dir/etc/smb.conf" -S "D:(A;;0x001f01ff;;;$sid)" >/dev/null
fi
# Which certificate: ours (the tls file lines) or Samba's defaults
# (tls/key.pem, tls/cert.pem, tls/ca.pem under the private dir, generated
# when missing).
sed -i '/^\s*tls \(keyfile\|certfile\|cafile\)\s*=/d' "$dir/etc/smb.conf"
rm -f "$dir/own-ca.pem"
if [ -z "$mode" ]; then
  sed -i "/^\[global\]/a\\
\ttls keyfile = $dir/tls-key.pem\\
\ttls certfile = $dir/ca.pem\\
\ttls cafile = " "$dir/etc/smb.conf"
fi
for port in 636 445; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "something already listens on 127.0.0.1:$port; stop it (another samba?) first" >&2
    exit 1
  fi
done
samba -s "$dir/etc/smb.conf" -i -M single >"$dir/samba.log" 2>&1 &
echo $! >"$dir/samba.pid"
# Generating its own key first takes Samba a while on a busy machine.
for _ in $(seq 1 600); do
  kill -0 "$(cat "$dir/samba.pid")" 2>/dev/null || break
  if (exec 3<>/dev/tcp/127.0.0.1/636) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/445) 2>/dev/null; then
    if [ -n "$mode" ]; then
      priv=$(sed -n 's/^\s*private dir\s*=\s*//p' "$dir/etc/smb.conf")
      cp "${priv:-$dir/private}/tls/ca.pem" "$dir/own-ca.pem"
    fi
    exit 0
  fi
  sleep 0.2
done
echo "samba did not listen on 127.0.0.1:636 and 445" >&2
tail -20 "$dir/samba.log" >&2
exit 1
