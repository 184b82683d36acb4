#!/bin/sh
# sightline-agent, after removal. deb: remove | purge | upgrade …; rpm: 0
# (erase) or 1 (upgrade). Removal and upgrade keep the state directory
# (credentials.json, the spool); only dpkg --purge deletes it, after which
# the host must enroll again. /etc/sightline/agent.yaml is a conffile: dpkg
# deletes it on purge, rpm keeps an edited copy as agent.yaml.rpmsave.
set -e
if [ "${1:-}" = purge ]; then
  rm -rf "${DPKG_ROOT:-}/var/lib/sightline-agent"
fi
if [ -z "${DPKG_ROOT:-}" ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || :
fi
exit 0
