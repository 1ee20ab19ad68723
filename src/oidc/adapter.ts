import { errors, type Adapter, type AdapterPayload } from 'oidc-provider';
import type { OidcKvStore } from '../store/oidc-kv/types.ts';
import type { ClientService, RegisteredClient } from '../accounts/clients.ts';
import { epochSeconds, type Clock } from '../lib/clock.ts';
import { isStoreOutage, storeUnavailable } from '../lib/outage.ts';
import { sessionEnded, type SessionLifetime } from '../policy/session-lifetime.ts';

/** Client metadata is read from the database at most every few seconds per process. */
const CLIENT_CACHE_MS = 5000;

/**
 * oidc-provider's adapter factory. Every model lives in the short-lived store (Redis or
 * in-process), except Client, which comes from the database. `consume` is atomic in the
 * store: when two requests race to redeem one code or refresh token, the loser revokes the
 * whole grant and gets invalid_grant, as the library does when it sees reuse itself.
 */
export function createAdapterFactory(deps: { kv: OidcKvStore; clients: ClientService; clock: Clock; sessionLifetime: SessionLifetime }) {
  const clientAdapter = outageAware(createClientAdapter(deps.clients, deps.clock));
  return (name: string): Adapter => {
    if (name === 'Client') return clientAdapter;
    if (name === 'Session') return outageAware(sessionAdapter(modelAdapter(deps, name), deps.clock, deps.sessionLifetime));
    if (name === 'ReplayDetection') return outageAware(replayAdapter(deps));
    return outageAware(modelAdapter(deps, name));
  };
}

/**
 * Sign-in sessions end by their stored times, on every replica: a session whose idle time ran
 * out or whose absolute lifetime is over (src/policy/session-lifetime.ts) is not found, so it
 * gives no single sign-on, no console page, and the tokens bound to it (expiresWithSession) stop
 * working. Its deadline is stored on Latchkey's clock (the one the lifetime is read with),
 * and the store forgets it then too.
 */
function sessionAdapter(store: Adapter, clock: Clock, lifetime: SessionLifetime): Adapter {
  const live = (payload: Awaited<ReturnType<Adapter['find']>>) =>
    payload && !sessionEnded({ createdAt: payload.iat, expiresAt: payload.exp }, epochSeconds(clock), lifetime) ? payload : undefined;
  return {
    ...store,
    // oidc-provider saves every session with the TTL of its configuration (ttl.Session)
    upsert: (id, payload, expiresIn) => store.upsert(id, expiresIn === undefined ? payload : { ...payload, exp: epochSeconds(clock) + expiresIn }, expiresIn),
    find: async (id) => live(await store.find(id)),
    findByUid: async (uid) => live(await store.findByUid(uid)),
  };
}

/** a store that is not answering makes the request a 503 (oidc-provider reads statusCode), not a 500 */
function outageAware(adapter: Adapter): Adapter {
  const wrapped: Record<string, unknown> = {};
  for (const [method, fn] of Object.entries(adapter) as [string, (...args: unknown[]) => Promise<unknown>][]) {
    wrapped[method] = async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (err) {
        throw isStoreOutage(err) ? storeUnavailable(err) : err;
      }
    };
  }
  return wrapped as unknown as Adapter;
}

function modelAdapter(deps: { kv: OidcKvStore }, name: string): Adapter {
  const store = deps.kv.model(name);
  return {
    upsert: (id, payload, expiresIn) => store.upsert(id, payload as never, expiresIn),
    find: (id) => store.find(id) as Promise<AdapterPayload | undefined>,
    findByUid: (uid) => store.findByUid(uid) as Promise<AdapterPayload | undefined>,
    findByUserCode: (userCode) => store.findByUserCode(userCode) as Promise<AdapterPayload | undefined>,
    destroy: (id) => store.destroy(id),
    revokeByGrantId: (grantId) => store.revokeByGrantId(grantId),
    async consume(id) {
      const result = await store.consume(id);
      if (result === 'consumed') return;
      const payload = await store.find(id);
      if (typeof payload?.grantId === 'string') await store.revokeByGrantId(payload.grantId);
      throw new errors.InvalidGrant(`${name === 'RefreshToken' ? 'refresh token' : 'grant'} already used`);
    },
  };
}

/** how long a jti is held between being claimed and oidc-provider saving it with its own expiry */
const REPLAY_CLAIM_SECONDS = 600;

/**
 * oidc-provider keeps the jti of each client assertion and DPoP proof (ReplayDetection.unique):
 * it looks the jti up, then saves it. Two requests carrying the same assertion at once would both
 * find nothing, so the look-up here is itself an atomic insert (SET NX in Redis): only the first
 * request finds no entry, every other one finds the claim and is refused as a replay, on one
 * replica or many. The save that follows stores the entry again with its real expiry.
 */
function replayAdapter(deps: { kv: OidcKvStore }): Adapter {
  const store = deps.kv.model('ReplayDetection');
  return {
    ...modelAdapter(deps, 'ReplayDetection'),
    async find(id) {
      if (await store.insertNew(id, { claimed: true }, REPLAY_CLAIM_SECONDS)) return undefined;
      return ((await store.find(id)) ?? { claimed: true }) as AdapterPayload;
    },
  };
}

export type ClientWithTenant = RegisteredClient['metadata'] & { tenant_id: string; first_party: boolean };

function createClientAdapter(clients: ClientService, clock: Clock): Adapter {
  const cache = new Map<string, { at: number; value: ClientWithTenant | undefined }>();
  const readOnly = async () => {
    throw new Error('clients are managed through Latchkey, not oidc-provider');
  };
  return {
    async find(id) {
      const hit = cache.get(id);
      if (hit && clock.now() - hit.at < CLIENT_CACHE_MS) return hit.value as AdapterPayload | undefined;
      const client = await clients.find(id);
      const value = client ? { ...client.metadata, tenant_id: client.tenantId, first_party: client.firstParty } : undefined;
      if (cache.size > 10_000) cache.clear();
      cache.set(id, { at: clock.now(), value });
      return value as AdapterPayload | undefined;
    },
    upsert: readOnly,
    findByUid: async () => undefined,
    findByUserCode: async () => undefined,
    consume: readOnly,
    destroy: readOnly,
    revokeByGrantId: async () => undefined,
  };
}
