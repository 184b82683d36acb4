#!/bin/sh
# sightline-agent, before removal. deb: remove | upgrade NEW; rpm: 0 (erase)
# or 1 (upgrade). Only a removal stops and disables the agent; an upgrade
# leaves it to the new package's postinstall (try-restart).
set -e
unit=sightline-agent.service
case "${1:-}" in
  remove|0) ;;
  *) exit 0 ;;
esac
command -v systemctl >/dev/null 2>&1 || exit 0
if [ -n "${DPKG_ROOT:-}" ]; then
  systemctl --root="$DPKG_ROOT" disable "$unit" >/dev/null 2>&1 || :
else
  if [ -d /run/systemd/system ]; then systemctl stop "$unit" >/dev/null 2>&1 || :; fi
  systemctl disable "$unit" >/dev/null 2>&1 || :
fi
exit 0
