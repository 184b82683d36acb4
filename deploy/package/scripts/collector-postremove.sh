#!/bin/sh
# sightline-collector, after removal. deb: remove | purge | upgrade …; rpm: 0
# or 1. Even a purge keeps /var/lib/sightline-collector: keys.json holds the
# agents' token key and the re-keying key, which no table holds, and every
# collector of the database needs the same file. The user sightline is kept
# too (files it owns may remain). /etc/sightline/collector.yaml is a conffile.
set -e
if [ "${1:-}" = purge ] && [ -d "${DPKG_ROOT:-}/var/lib/sightline-collector" ]; then
  echo "sightline-collector: kept /var/lib/sightline-collector (keys.json: token keys no table holds); delete it once no collector of that database needs it"
fi
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
