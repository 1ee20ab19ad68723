#!/usr/bin/env bash
# The whole test suite: services, Chromium, Authlib, type check, import rules, unit tests, integration tests (browser tests included).
# Runs under npm, so `node` is the project's pinned Node 24.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-services.sh
bash scripts/ensure-browser.sh
bash scripts/ensure-python-client.sh
echo "node $(node --version)"
tsc --noEmit -p .
# import rules of src/ (.dependency-cruiser.cjs): one-way folders, no cycles
depcruise src --config .dependency-cruiser.cjs
# format and lint (biome.jsonc): `npm run format` fixes the formatting
biome check .
# Test files run in three worker processes: each suite has its own database, Redis prefix and
# ports, and most of a suite's time is spent waiting on its server, so three workers keep two
# cores busy. MOCHA_JOBS=1 runs them one at a time.
mocha --parallel --jobs "${MOCHA_JOBS:-3}" 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts'
