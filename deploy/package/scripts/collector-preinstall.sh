#!/bin/sh
# sightline-collector, before unpacking. deb: install | upgrade OLD; rpm: 1
# or 2. Creates the system user and group sightline the unit runs as (no
# login shell, no home of its own: its state is /var/lib/sightline-collector,
# made by systemd's StateDirectory=). An existing user is kept as it is.
# DPKG_ROOT set: a scratch root, so its /etc/passwd, not the host's.
set -e
case "${1:-}" in
  install|upgrade|1|2) ;;
  *) exit 0 ;;
esac
root="${DPKG_ROOT:-}"
has() { # has passwd|group NAME
  if [ -n "$root" ]; then
    grep -q "^$2:" "$root/etc/$1" 2>/dev/null
  else
    getent "$1" "$2" >/dev/null 2>&1
  fi
}
if ! has passwd sightline; then
  if has group sightline; then grp="--gid sightline"; else grp="--user-group"; fi
  # shellcheck disable=SC2086 # $grp is two words or one on purpose
  useradd ${root:+--prefix "$root"} --system $grp --no-create-home \
    --home-dir /var/lib/sightline-collector --shell /usr/sbin/nologin \
    --comment "Sightline collector" sightline
fi
exit 0
