# shellcheck shell=bash
# apt_install PACKAGE...: `apt-get update` and `apt-get install` of PACKAGE... without starting the
# services they bring (the tests start their own Dovecot), leaving the machine as it was found.
#
# Debian asks /usr/sbin/policy-rc.d whether a package may start its service; "exit 101" says no.
# That file is made only if there is none, and removed again once the install is over, whether it
# succeeded, failed or was interrupted (an EXIT trap in the function's own subshell, so the
# caller's traps are neither replaced nor run early). A policy-rc.d that was there before is left
# exactly as it was.
#
# A package manager already at work (unattended-upgrades on a fresh machine, another apt) holds
# dpkg's lock: apt waits for it up to INTAKE_APT_LOCK_WAIT seconds (default 600) instead of
# failing at once.
#
# For the tests: INTAKE_POLICY_RC_D is the policy file (default /usr/sbin/policy-rc.d),
# INTAKE_APT_GET the apt command (default apt-get).

apt_install() (
  set -euo pipefail
  policy="${INTAKE_POLICY_RC_D:-/usr/sbin/policy-rc.d}"
  apt="${INTAKE_APT_GET:-apt-get}"
  # noclobber: the file is created only if absent, so one made meanwhile by someone else is not ours.
  if (set -C; printf '#!/bin/sh\nexit 101\n' >"$policy") 2>/dev/null; then
    trap 'rm -f -- "$policy"' EXIT # bash runs it on SIGINT, SIGTERM and SIGHUP too
    chmod 755 "$policy"
  elif [ ! -e "$policy" ] && [ ! -L "$policy" ]; then
    echo "apt_install: cannot write $policy" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  wait_for_lock="DPkg::Lock::Timeout=${INTAKE_APT_LOCK_WAIT:-600}"
  "$apt" update -qq -o "$wait_for_lock"
  "$apt" install -y -qq --no-install-recommends -o "$wait_for_lock" "$@" >/dev/null
)
