import type { Middleware } from 'koa';
import type { Metrics } from '../lib/metrics.ts';
import { isStoreOutage, outageStore } from '../lib/outage.ts';

/** the part of an oidc-provider instance this needs: it is an EventEmitter */
export interface ProviderEvents {
  on(event: string, listener: (ctx: EventContext, detail?: unknown) => void): unknown;
}

export interface EventContext {
  body?: unknown;
  oidc?: { params?: { grant_type?: unknown } };
}

/**
 * Counts what oidc-provider hands out (tokens by type and grant) and the requests a store
 * outage broke inside it, from the provider's own events. The provider instance is replaced
 * when signing keys rotate, so each instance gets its listeners the first time a request
 * reaches it; a WeakSet remembers which ones have them.
 */
export function providerMetrics(current: () => ProviderEvents, metrics: Pick<Metrics, 'tokenIssued' | 'storeError'>): Middleware {
  const observed = new WeakSet<ProviderEvents>();
  return function providerMetrics(_ctx, next) {
    const provider = current();
    if (!observed.has(provider)) {
      observed.add(provider);
      listen(provider, metrics);
    }
    return next();
  };
}

function listen(provider: ProviderEvents, metrics: Pick<Metrics, 'tokenIssued' | 'storeError'>) {
  // the token endpoint answered: its body holds what the grant issued
  provider.on('grant.success', (ctx) => {
    const grant = typeof ctx.oidc?.params?.grant_type === 'string' ? ctx.oidc.params.grant_type : 'other';
    const body = (ctx.body ?? {}) as Record<string, unknown>;
    for (const type of ['access_token', 'refresh_token', 'id_token'] as const) {
      if (typeof body[type] === 'string') metrics.tokenIssued(type, grant);
    }
  });
  // the authorization endpoint answered: a code (or, for implicit flows, tokens) goes back to the client
  provider.on('authorization.success', (_ctx, detail) => {
    const out = (detail ?? {}) as Record<string, unknown>;
    if (typeof out.code === 'string') metrics.tokenIssued('authorization_code', 'authorization_code');
    for (const type of ['access_token', 'id_token'] as const) {
      if (typeof out[type] === 'string') metrics.tokenIssued(type, 'implicit');
    }
  });
  provider.on('server_error', (_ctx, err) => {
    if (isStoreOutage(err)) metrics.storeError(outageStore(err), 'request');
  });
}
