import { epochSeconds } from '../../lib/clock.ts';
import type { Clock } from '../../lib/clock.ts';
import type { OidcKvStore, OidcModelStore, OidcPayload } from './types.ts';
import { GRANTABLE_MODELS, indexedAccountId, indexedGrantId } from './grantable.ts';

export interface MemoryOidcStoreOptions {
  /** How often expired entries are swept out (ms); default one minute. */
  sweepIntervalMs?: number;
}

interface Slot<T> {
  value: T;
  /** epoch ms; undefined: never expires */
  expiresAt: number | undefined;
}

/**
 * In-process store (embedded, single-process default). Payloads are kept as JSON strings
 * so callers never share objects with the store. Expiry is checked on every read and
 * expired slots are swept periodically by an unref'd timer that close() clears.
 */
export function createMemoryOidcStore(clock: Clock, options: MemoryOidcStoreOptions = {}): OidcKvStore {
  // all maps are keyed by `${model}\u0000${id|uid|userCode}`
  const entries = new Map<string, Slot<string>>();
  const uids = new Map<string, Slot<string>>();
  const userCodes = new Map<string, Slot<string>>();
  const grants = new Map<string, Set<string>>();
  const accounts = new Map<string, Set<string>>();
  const models = new Map<string, OidcModelStore>();

  const live = <T>(map: Map<string, Slot<T>>, key: string): T | undefined => {
    const slot = map.get(key);
    if (slot === undefined) return undefined;
    if (slot.expiresAt !== undefined && slot.expiresAt <= clock.now()) {
      map.delete(key);
      return undefined;
    }
    return slot.value;
  };

  function sweep(): void {
    const now = clock.now();
    for (const map of [entries, uids, userCodes]) {
      for (const [key, slot] of map) {
        if (slot.expiresAt !== undefined && slot.expiresAt <= now) map.delete(key);
      }
    }
    for (const index of [grants, accounts]) {
      for (const [indexId, members] of index) {
        for (const member of members) if (!entries.has(member)) members.delete(member);
        if (members.size === 0) index.delete(indexId);
      }
    }
  }

  const timer = setInterval(sweep, options.sweepIntervalMs ?? 60_000);
  timer.unref();

  async function revokeByGrantId(grantId: string): Promise<void> {
    for (const member of grants.get(grantId) ?? []) entries.delete(member);
    grants.delete(grantId);
  }

  function createModel(name: string): OidcModelStore {
    const key = (id: string): string => `${name}\u0000${id}`;
    const grantable = GRANTABLE_MODELS.has(name);

    async function find(id: string): Promise<OidcPayload | undefined> {
      const raw = live(entries, key(id));
      return raw === undefined ? undefined : (JSON.parse(raw) as OidcPayload);
    }

    async function findVia(index: Map<string, Slot<string>>, field: 'uid' | 'userCode', value: string): Promise<OidcPayload | undefined> {
      const id = live(index, key(value));
      if (id === undefined) return undefined;
      const payload = await find(id);
      return payload?.[field] === value ? payload : undefined;
    }

    return {
      async upsert(id, payload, expiresIn) {
        const expiresAt = expiresIn === undefined ? undefined : clock.now() + Math.max(1, Math.ceil(expiresIn * 1000));
        const k = key(id);
        entries.set(k, { value: JSON.stringify(payload), expiresAt });
        if (typeof payload.uid === 'string') uids.set(key(payload.uid), { value: id, expiresAt });
        if (typeof payload.userCode === 'string') {
          userCodes.set(key(payload.userCode), { value: id, expiresAt });
        }
        const grantId = grantable ? indexedGrantId(name, id, payload) : undefined;
        if (grantId !== undefined) {
          const members = grants.get(grantId) ?? new Set<string>();
          members.add(k);
          grants.set(grantId, members);
        }
        const accountId = indexedAccountId(name, payload);
        if (accountId !== undefined) {
          const members = accounts.get(accountId) ?? new Set<string>();
          members.add(k);
          accounts.set(accountId, members);
        }
      },
      find,
      findByUid: (uid) => findVia(uids, 'uid', uid),
      findByUserCode: (code) => findVia(userCodes, 'userCode', code),
      async consume(id) {
        const k = key(id);
        const raw = live(entries, k);
        const slot = entries.get(k);
        if (raw === undefined || slot === undefined) return 'missing';
        const payload = JSON.parse(raw) as OidcPayload;
        if (payload.consumed !== undefined && payload.consumed !== null) return 'already';
        payload.consumed = epochSeconds(clock);
        slot.value = JSON.stringify(payload);
        return 'consumed';
      },
      async insertNew(id, payload, expiresIn) {
        if (live(entries, key(id)) !== undefined) return false;
        entries.set(key(id), { value: JSON.stringify(payload), expiresAt: clock.now() + Math.max(1, Math.ceil(expiresIn * 1000)) });
        return true;
      },
      async destroy(id) {
        entries.delete(key(id));
      },
      revokeByGrantId,
    };
  }

  return {
    model(name) {
      let store = models.get(name);
      if (store === undefined) {
        store = createModel(name);
        models.set(name, store);
      }
      return store;
    },
    async accountEntries(accountId) {
      return [...(accounts.get(accountId) ?? [])].map((k) => {
        const at = k.indexOf('\u0000');
        return { model: k.slice(0, at), id: k.slice(at + 1) };
      });
    },
    async ping() {
      return true;
    },
    async close() {
      clearInterval(timer);
    },
  };
}
