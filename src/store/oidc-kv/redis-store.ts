import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { epochSeconds, systemClock } from '../../lib/clock.ts';
import type { Clock } from '../../lib/clock.ts';
import type { OidcKvStore, OidcModelStore, OidcPayload } from './types.ts';
import { GRANTABLE_MODELS, indexedAccountId, indexedGrantId } from './grantable.ts';

export interface RedisOidcStoreOptions {
  /** Prepended to every key, e.g. 'latchkey:'. */
  prefix: string;
  /** Source of the `consumed` timestamp; defaults to the system clock. */
  clock?: Clock;
}

/**
 * Atomic consume: KEYS[1] = entry key, ARGV[1] = epoch seconds.
 * The payload is not re-encoded with cjson (which would turn [] into {} and reorder keys):
 * `"consumed":N` is appended before the closing brace; JSON.parse keeps the last duplicate,
 * so this also overrides an explicit `"consumed":null`.
 */
const CONSUME_LUA = `
local v = redis.call('GET', KEYS[1])
if not v then return 'missing' end
local p = cjson.decode(v)
if p.consumed ~= nil and p.consumed ~= cjson.null then return 'already' end
local now = tostring(math.floor(tonumber(ARGV[1])))
local out
if string.match(v, '^%s*{%s*}%s*$') then
  out = '{"consumed":' .. now .. '}'
else
  out = string.gsub(v, '}%s*$', ',"consumed":' .. now .. '}')
end
redis.call('SET', KEYS[1], out, 'KEEPTTL')
return 'consumed'
`;
const CONSUME_SHA = createHash('sha1').update(CONSUME_LUA).digest('hex');

/** expiresIn (seconds) to a positive PX value; undefined means no expiry. */
function ttlMs(expiresIn: number | undefined): number | undefined {
  return expiresIn === undefined ? undefined : Math.max(1, Math.ceil(expiresIn * 1000));
}

const RESERVED_MODEL_NAMES = new Set(['grant', 'uid', 'userCode', 'account']);
const MAX_REVOKE_ROUNDS = 100;

/**
 * Redis-backed store, shared by every replica. Key layout (P = options.prefix):
 *   P oidc:<Model>:<id>                 JSON payload, PX = expiresIn
 *   P oidc:grant:<grantId>              set of entry keys carrying that grant (TTL >= members')
 *   P oidc:uid:<Model>:<uid>            -> id, same TTL as the entry
 *   P oidc:userCode:<Model>:<userCode>  -> id, same TTL as the entry
 *
 * The caller owns `redis`: close() does NOT quit it.
 */
export function createRedisOidcStore(redis: Redis, options: RedisOidcStoreOptions): OidcKvStore {
  const clock = options.clock ?? systemClock;
  const base = `${options.prefix}oidc:`;
  const grantKey = (grantId: string): string => `${base}grant:${grantId}`;
  const models = new Map<string, OidcModelStore>();

  async function consumeScript(key: string, now: number): Promise<unknown> {
    try {
      return await redis.evalsha(CONSUME_SHA, 1, key, now);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(CONSUME_LUA, 1, key, now);
    }
  }

  async function revokeByGrantId(grantId: string): Promise<void> {
    const setKey = grantKey(grantId);
    // SREM of every member empties (and so removes) the set; looping catches members
    // added between SMEMBERS and EXEC without ever dropping one from the index unseen.
    for (let round = 0; round < MAX_REVOKE_ROUNDS; round += 1) {
      const members = await redis.smembers(setKey);
      if (members.length === 0) return;
      await redis
        .multi()
        .del(...members)
        .srem(setKey, ...members)
        .exec();
    }
    throw new Error(`revokeByGrantId(${grantId}): grant set keeps growing`);
  }

  function createModel(name: string): OidcModelStore {
    if (RESERVED_MODEL_NAMES.has(name) || name.includes(':')) {
      throw new Error(`invalid oidc model name: ${name}`);
    }
    const key = (id: string): string => `${base}${name}:${id}`;
    const uidKey = (uid: string): string => `${base}uid:${name}:${uid}`;
    const userCodeKey = (code: string): string => `${base}userCode:${name}:${code}`;
    const grantable = GRANTABLE_MODELS.has(name);

    async function find(id: string): Promise<OidcPayload | undefined> {
      const raw = await redis.get(key(id));
      return raw === null ? undefined : (JSON.parse(raw) as OidcPayload);
    }

    async function findVia(indexKey: string, field: 'uid' | 'userCode', value: string): Promise<OidcPayload | undefined> {
      const id = await redis.get(indexKey);
      if (id === null) return undefined;
      const payload = await find(id);
      // the entry may have been replaced with another uid/userCode since the index was written
      return payload?.[field] === value ? payload : undefined;
    }

    return {
      async upsert(id, payload, expiresIn) {
        const ms = ttlMs(expiresIn);
        const k = key(id);
        const grantIdOf = grantable ? indexedGrantId(name, id, payload) : undefined;
        if (
          typeof payload.uid !== 'string' &&
          typeof payload.userCode !== 'string' &&
          grantIdOf === undefined &&
          indexedAccountId(name, payload) === undefined
        ) {
          // nothing to index (e.g. client_credentials tokens): one SET, no transaction
          if (ms === undefined) await redis.set(k, JSON.stringify(payload));
          else await redis.set(k, JSON.stringify(payload), 'PX', ms);
          return;
        }
        const tx = redis.multi();
        const setWithTtl = (target: string, value: string): void => {
          if (ms === undefined) tx.set(target, value);
          else tx.set(target, value, 'PX', ms);
        };
        setWithTtl(k, JSON.stringify(payload));
        if (typeof payload.uid === 'string') setWithTtl(uidKey(payload.uid), id);
        if (typeof payload.userCode === 'string') setWithTtl(userCodeKey(payload.userCode), id);
        const addToIndex = (indexKey: string, member: string): void => {
          tx.sadd(indexKey, member);
          if (ms === undefined) {
            tx.persist(indexKey);
          } else {
            // NX: a set without TTL (fresh) gets one; GT: otherwise only ever extend it.
            // Limitation: NX cannot tell a fresh set from one PERSISTed for a never-expiring
            // entry; oidc-provider always passes expiresIn for indexed models.
            tx.pexpire(indexKey, ms, 'NX');
            tx.pexpire(indexKey, ms, 'GT');
          }
        };
        const grantId = grantable ? indexedGrantId(name, id, payload) : undefined;
        if (grantId !== undefined) addToIndex(grantKey(grantId), k);
        const accountId = indexedAccountId(name, payload);
        if (accountId !== undefined) addToIndex(`${base}account:${accountId}`, `${name}:${id}`);
        const results = await tx.exec();
        const failed = results?.find(([err]) => err !== null);
        if (results === null || failed !== undefined) {
          throw failed?.[0] ?? new Error('oidc upsert transaction aborted');
        }
      },
      find,
      findByUid: (uid) => findVia(uidKey(uid), 'uid', uid),
      findByUserCode: (code) => findVia(userCodeKey(code), 'userCode', code),
      async consume(id) {
        const result = await consumeScript(key(id), epochSeconds(clock));
        if (result === 'consumed' || result === 'already' || result === 'missing') return result;
        throw new Error(`unexpected consume script result: ${String(result)}`);
      },
      async insertNew(id, payload, expiresIn) {
        return (await redis.set(key(id), JSON.stringify(payload), 'PX', Math.max(1, Math.ceil(expiresIn * 1000)), 'NX')) === 'OK';
      },
      async destroy(id) {
        await redis.del(key(id));
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
      const members = await redis.smembers(`${base}account:${accountId}`);
      return members.map((m) => {
        const at = m.indexOf(':');
        return { model: m.slice(0, at), id: m.slice(at + 1) };
      });
    },
    async ping() {
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      // The connection was passed in: its owner quits it.
    },
  };
}
