import type { Redis } from 'ioredis';
import { userKeyOf, type AttemptCounters } from './types.ts';
import type { Clock } from '../../lib/clock.ts';

// a browser's key joins its user's set (KEYS[n], member ARGV[m]) for as long as its count or lock (ARGV[t] ms) lives
const JOIN_USER = (n: number, m: number, t: number) => `
if KEYS[${n}] then
  redis.call('SADD', KEYS[${n}], ARGV[${m}])
  if redis.call('PTTL', KEYS[${n}]) < tonumber(ARGV[${t}]) then redis.call('PEXPIRE', KEYS[${n}], ARGV[${t}]) end
end`;

// KEYS: user count, ip count, user lock, [the user's browsers]. ARGV: window ms, [this browser's key].
const RESERVE_LUA = `
local lock = redis.call('GET', KEYS[3])
if lock then return {0, 0, lock} end
local u = redis.call('INCR', KEYS[1])
if u == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local i = redis.call('INCR', KEYS[2])
if i == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
${JOIN_USER(4, 2, 1)}
return {u, i, false}
`;

// KEYS: user lock, user count, [the user's browsers]. ARGV: until ms, ttl ms, [this browser's key].
const LOCK_LUA = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
${JOIN_USER(3, 3, 2)}
return 1
`;

// KEYS: user count, ip count.
const SUCCEEDED_LUA = `
redis.call('DEL', KEYS[1])
local i = tonumber(redis.call('GET', KEYS[2]) or '0')
if i > 0 then redis.call('DECR', KEYS[2]) end
return 1
`;

// KEYS: user count, ip count. A count that is gone (the lock or a success started over) stays gone.
const RELEASE_LUA = `
for _, key in ipairs(KEYS) do
  local n = tonumber(redis.call('GET', key) or '0')
  if n > 0 then redis.call('DECR', key) end
end
return 1
`;

export function createRedisAttemptCounters(redis: Redis, prefix: string, clock: Clock): AttemptCounters {
  const keys = (userKey: string) => ({
    count: `${prefix}lockout:count:${userKey}`,
    lock: `${prefix}lockout:lock:${userKey}`,
  });
  const ip = (ipKey: string) => `${prefix}lockout:ip:${ipKey}`;
  // the browsers (browserKey) of a user key that have a count or a lock, for its unlock to end them too
  const browsers = (userKey: string) => `${prefix}lockout:browsers:${userKey}`;
  // a browser's key also names its user's set (a key) and itself (an argument) to the scripts
  const joining = (key: string) => {
    const user = userKeyOf(key);
    return user === undefined ? { keys: [], args: [] } : { keys: [browsers(user)], args: [key] };
  };
  return {
    async reserve(userKey, ipKey, windowMs) {
      const k = keys(userKey);
      const join = joining(userKey);
      const scriptKeys = [k.count, ip(ipKey), k.lock, ...join.keys];
      const [u, i, lock] = (await redis.eval(RESERVE_LUA, scriptKeys.length, ...scriptKeys, String(windowMs), ...join.args)) as [number, number, string | null];
      return { userAttempts: u, ipAttempts: i, ...(lock ? { lockedUntil: Number(lock) } : {}) };
    },
    async succeeded(userKey, ipKey) {
      await redis.eval(SUCCEEDED_LUA, 2, keys(userKey).count, ip(ipKey));
    },
    async release(userKey, ipKey) {
      await redis.eval(RELEASE_LUA, 2, keys(userKey).count, ip(ipKey));
    },
    async lock(userKey, untilMs) {
      const k = keys(userKey);
      const ttl = Math.max(1, untilMs - clock.now());
      const join = joining(userKey);
      const scriptKeys = [k.lock, k.count, ...join.keys];
      await redis.eval(LOCK_LUA, scriptKeys.length, ...scriptKeys, String(untilMs), String(ttl), ...join.args);
    },
    async unlock(userKey) {
      const k = keys(userKey);
      // a user key's browsers go with it (those that join meanwhile stay, with their own count)
      const own = userKeyOf(userKey) === undefined ? await redis.smembers(browsers(userKey)) : [];
      const step = redis.multi().del(k.lock, k.count, ...own.flatMap((key) => [keys(key).lock, keys(key).count]));
      if (own.length) step.srem(browsers(userKey), ...own);
      await step.exec();
    },
    async lockedUntil(userKey) {
      const value = await redis.get(keys(userKey).lock);
      return value ? Number(value) : undefined;
    },
  };
}
