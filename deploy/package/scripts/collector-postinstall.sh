#!/bin/sh
# sightline-collector, after unpacking. deb: configure [OLD-VERSION]; rpm: 1
# (install) or 2 (upgrade). A new install is not started: ClickHouse and TLS
# need settings first. An upgrade restarts the collector if it was running
# (it migrates the schema on start).
set -e
unit=sightline-collector.service
case "${1:-}" in
  configure) if [ -z "${2:-}" ]; then first=yes; else first=no; fi ;;
  1) first=yes ;;
  2) first=no ;;
  *) exit 0 ;;
esac
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
  if [ "$first" = no ]; then
    systemctl try-restart "$unit" >/dev/null 2>&1 || :
  fi
fi
if [ "$first" = yes ]; then
  cat <<'MSG'
sightline-collector is installed and not started; it runs as the user sightline. Next:
  1. Edit /etc/sightline/collector.yaml (clickhouse, tls). Files it names must be
     readable by sightline, e.g. chgrp sightline KEY.pem && chmod 0640 KEY.pem.
  2. systemctl enable --now sightline-collector
  3. An enroll secret for agents, straight into a root-only file (never on screen):
       (umask 077; sightline-collector token create --role agent-enroll --name rollout \
          --uses 1000 --config /etc/sightline/collector.yaml > /root/enroll.secret)
Back up /var/lib/sightline-collector/keys.json once it exists. See
/usr/share/doc/sightline-collector/README.
MSG
fi
exit 0
