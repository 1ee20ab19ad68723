#!/usr/bin/env bash
# Makes sure the protocol tests can drive Authlib, an independent OAuth client written in Python
# (test/support/authlib/client.py): Debian's python3-authlib and python3-requests, run by Debian's
# /usr/bin/python3. Installs what is missing from Debian's packages (needs root or password-less
# sudo, as on CI machines). Never skips: exits non-zero when Authlib cannot be had or imported.
set -euo pipefail

log() { printf 'ensure-python-client: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

PYTHON=/usr/bin/python3
PACKAGES=(python3 python3-authlib python3-requests)

missing=()
for pkg in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  log "installing ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! version=$("$PYTHON" -c 'import authlib, requests; print(authlib.__version__)' 2>/dev/null); then
  log "$PYTHON cannot import authlib and requests"; exit 1
fi
log "Authlib $version is ready"
