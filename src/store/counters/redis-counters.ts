import type { Redis } from 'ioredis';
import type { AttemptCounters } from './types.ts';
import type { Clock } from '../../lib/clock.ts';

// KEYS: user count, ip count, user lock. ARGV: window ms.
const RESERVE_LUA = `
local lock = redis.call('GET', KEYS[3])
if lock then return {0, 0, lock} end
local u = redis.call('INCR', KEYS[1])
if u == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local i = redis.call('INCR', KEYS[2])
if i == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
return {u, i, false}
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
  return {
    async reserve(userKey, ipKey, windowMs) {
      const k = keys(userKey);
      const [u, i, lock] = (await redis.eval(RESERVE_LUA, 3, k.count, ip(ipKey), k.lock, String(windowMs))) as [number, number, string | null];
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
      await redis.multi().set(k.lock, String(untilMs), 'PX', ttl).del(k.count).exec();
    },
    async unlock(userKey) {
      const k = keys(userKey);
      await redis.del(k.lock, k.count);
    },
    async lockedUntil(userKey) {
      const value = await redis.get(keys(userKey).lock);
      return value ? Number(value) : undefined;
    },
  };
}
