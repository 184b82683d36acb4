#!/bin/sh
# sightline-agent, after unpacking. deb: configure [OLD-VERSION]; rpm: 1
# (install) or 2 (upgrade). A new install is not started: the agent must be
# enrolled first. An upgrade restarts the agent if it was running.
# DPKG_ROOT set (dpkg --root with --force-script-chrootless): a scratch root,
# so the host's systemd is left alone.
set -e
unit=sightline-agent.service
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
sightline-agent is installed, not enrolled and not started. Next:
  1. Edit /etc/sightline/agent.yaml (collector, ca_file, scans).
  2. Enroll with the secret from `sightline-collector token create --role agent-enroll`,
     kept off the command line and out of shell history: either a root-only file
       (umask 077; cat > /root/enroll.secret)     # paste the secret, then Ctrl-D
       sightline-agent enroll --config /etc/sightline/agent.yaml --enroll-secret-file /root/enroll.secret
       rm /root/enroll.secret
     or the environment, read without echo:
       read -rs SIGHTLINE_ENROLL_SECRET && export SIGHTLINE_ENROLL_SECRET
       sightline-agent enroll --config /etc/sightline/agent.yaml
  3. systemctl enable --now sightline-agent
See /usr/share/doc/sightline-agent/README.
MSG
fi
exit 0
