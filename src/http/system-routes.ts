import Router from '@koa/router';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Registry } from 'prom-client';

export interface Probe {
  name: string;
  check(): Promise<boolean>;
}

/**
 * /healthz (the process answers), /readyz (every dependency answers), /metrics, /assets.
 * `probeFailed` hears of every failing readiness check (for the store error counters).
 */
export function createSystemRouter(deps: { probes: Probe[]; metrics: Registry; publicDir: string; probeFailed?: (name: string) => void }): Router {
  const router = new Router();
  const styles = readFileSync(join(deps.publicDir, 'styles.css'));
  const meter = readFileSync(join(deps.publicDir, 'password-meter.js'));
  const passkey = readFileSync(join(deps.publicDir, 'passkey.js'));
  // the WebAuthn browser library, as its package ships it (one file, window.SimpleWebAuthnBrowser)
  const webauthnPackage = join(dirname(fileURLToPath(import.meta.resolve('@simplewebauthn/browser'))), '..');
  const webauthn = readFileSync(join(webauthnPackage, 'dist', 'bundle', 'index.umd.min.js'));

  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    const results = await Promise.all(deps.probes.map(async (p) => [p.name, await withTimeout(p.check(), 2000)] as const));
    for (const [name, ok] of results) if (!ok) deps.probeFailed?.(name);
    const ready = results.every(([, ok]) => ok);
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results.map(([n, ok]) => [n, ok ? 'ok' : 'failing'])) };
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = deps.metrics.contentType;
    ctx.body = await deps.metrics.metrics();
  });

  router.get('/assets/styles.css', (ctx) => {
    ctx.type = 'text/css';
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = styles;
  });
  const script = (path: string, body: Buffer) =>
    router.get(path, (ctx) => {
      ctx.type = 'text/javascript';
      ctx.set('Cache-Control', 'public, max-age=3600');
      ctx.body = body;
    });
  script('/assets/password-meter.js', meter);
  script('/assets/passkey.js', passkey);
  script('/assets/webauthn.js', webauthn);
  return router;
}

async function withTimeout(check: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([check.catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
