#!/usr/bin/env node
// npm puts node_modules/.bin first on PATH, so `npx latchkey` runs on the pinned Node 24.
import '../src/cli.ts';
