#!/usr/bin/env bash
# Debian packages the platform needs beyond the services' Python dependencies, installed when
# missing: a CJK font that statement PDFs embed, so they print the same on any machine.
# `deploy/system-packages.sh tests` adds what only the tests need: Debian's Chromium and its
# driver, which the browser tests (tests/browser) drive with Playwright — Playwright's own browser
# download cannot work on these machines.
source "$(dirname "$0")/lib.sh"

PACKAGES=(fonts-wqy-microhei)
case "${1:-}" in
  "") ;;
  tests) PACKAGES+=(chromium chromium-driver) ;;
  *) echo "usage: $0 [tests]" >&2; exit 2 ;;
esac
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
fi
