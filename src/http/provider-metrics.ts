import type { Metrics } from '../lib/metrics.ts';
import { isStoreOutage, outageStore } from '../lib/outage.ts';

/** how this learns of oidc-provider's events (ProviderHost.on: every instance, also after a key rotation) */
export interface ProviderEvents {
  on(event: string, listener: (ctx: EventContext, detail?: unknown) => void): unknown;
}

export interface EventContext {
  body?: unknown;
  oidc?: { params?: { grant_type?: unknown } };
}

/**
 * Counts what oidc-provider hands out (tokens by type and grant) and the requests a store
 * outage broke inside it, from the provider's own events.
 */
export function countProviderEvents(events: ProviderEvents, metrics: Pick<Metrics, 'tokenIssued' | 'storeError'>): void {
  // the token endpoint answered: its body holds what the grant issued
  events.on('grant.success', (ctx) => {
    const grant = typeof ctx.oidc?.params?.grant_type === 'string' ? ctx.oidc.params.grant_type : 'other';
    const body = (ctx.body ?? {}) as Record<string, unknown>;
    for (const type of ['access_token', 'refresh_token', 'id_token'] as const) {
      if (typeof body[type] === 'string') metrics.tokenIssued(type, grant);
    }
  });
  // the authorization endpoint answered: a code (or, for implicit flows, tokens) goes back to the client
  events.on('authorization.success', (_ctx, detail) => {
    const out = (detail ?? {}) as Record<string, unknown>;
    if (typeof out.code === 'string') metrics.tokenIssued('authorization_code', 'authorization_code');
    for (const type of ['access_token', 'id_token'] as const) {
      if (typeof out[type] === 'string') metrics.tokenIssued(type, 'implicit');
    }
  });
  events.on('server_error', (_ctx, err) => {
    if (isStoreOutage(err)) metrics.storeError(outageStore(err), 'request');
  });
}
