#!/usr/bin/env bash
# Installs what zkotel's build, tests and demo need, only when it is missing:
# Debian's zookeeper, prometheus, prometheus-alertmanager and dnsmasq-base (a DNS server for discovery tests)
# packages, chromium (the status page is tested in a real browser), a JRE, and node_modules.
# Idempotent and fast on a machine that already has everything. Run from anywhere: bash scripts/setup.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
fi

installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

missing_packages() {
  missing=()
  for pkg in zookeeper prometheus prometheus-alertmanager dnsmasq-base chromium; do
    installed "$pkg" || missing+=("$pkg")
  done
  if ! command -v java >/dev/null 2>&1; then
    missing+=(default-jre-headless)
  fi
}

missing_packages
if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing ${missing[*]} and apt-get is not available" >&2
    exit 1
  fi
  # Two test runs set up at once (or apt is busy elsewhere): one installs, the other waits and then looks again
  # (dpkg's status reads as not installed while a package is being unpacked).
  exec 9>"${TMPDIR:-/tmp}/zkotel-setup.lock"
  flock 9
  missing_packages
fi
if [ "${#missing[@]}" -gt 0 ]; then
  for pkg in "${missing[@]}"; do
    echo "setup: installing Debian package $pkg"
  done
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
exec 9>&-

if [ ! -d node_modules ] || [ ! -e node_modules/.package-lock.json ] \
  || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
