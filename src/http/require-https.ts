import type { Middleware } from 'koa';
import { AppError } from '../lib/errors.ts';

const OPEN_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * With an https issuer, every page and endpoint must be reached over https (directly or
 * through a proxy in TRUST_PROXY that sends X-Forwarded-Proto). Otherwise the provider could
 * not set its Secure cookies; answer with a page that says what is wrong instead.
 * Probes and metrics stay reachable over plain http inside the cluster.
 */
export function requireHttps(issuer: string): Middleware {
  const enabled = issuer.startsWith('https://');
  return async function requireHttps(ctx, next) {
    if (enabled && !ctx.secure && !OPEN_PATHS.has(ctx.path)) {
      throw new AppError(400, 'error.insecure', 'This address needs https');
    }
    await next();
  };
}
