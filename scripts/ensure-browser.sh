#!/usr/bin/env bash
# Makes sure the browser tests can drive Chromium: Debian's /usr/bin/chromium (playwright-core
# launches it; it downloads no browser of its own) and fonts that cover Latin and CJK so
# every language's pages render and their screenshots are readable. Installs what is missing
# from Debian's packages (needs root or password-less sudo, as on CI machines).
# Never skips: exits non-zero when Chromium cannot be had or does not start.
set -euo pipefail

log() { printf 'ensure-browser: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

CHROMIUM=/usr/bin/chromium
FONT_PACKAGES=(fonts-liberation fonts-noto-cjk)

missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
for pkg in "${FONT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! version=$("$CHROMIUM" --headless --no-sandbox --disable-gpu --version 2>/dev/null); then
  log "$CHROMIUM is installed but does not start"; exit 1
fi
log "$version is ready"
