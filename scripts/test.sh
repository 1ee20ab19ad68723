#!/usr/bin/env bash
# The whole test suite: services, Chromium, type check, unit tests, integration tests (browser tests included).
# Runs under npm, so `node` is the project's pinned Node 24.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-services.sh
bash scripts/ensure-browser.sh
echo "node $(node --version)"
tsc --noEmit -p .
mocha 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts'
