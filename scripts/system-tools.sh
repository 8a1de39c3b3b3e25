#!/usr/bin/env bash
# Installs the system tools the tests run for real, from Debian's packages, once: logrotate (the
# shipper tests rotate logs with it). As root (CI) it installs them; otherwise it says what to install.
set -euo pipefail
missing=()
command -v logrotate >/dev/null 2>&1 || [[ -x /usr/sbin/logrotate ]] || missing+=(logrotate)
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "logvault: the tests need ${missing[*]}: install it (Debian/Ubuntu: apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "logvault: installing ${missing[*]} (first run only)..." >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
