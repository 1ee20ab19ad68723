import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../../lib/clock.ts';
import { checkLimits, type SendLimits } from './send-limits.ts';

/**
 * KEYS: one sorted set of send times per limit. ARGV: now, window ms, send id, then each key's limit.
 * Checks every key before counting any, so a refused send counts nothing. Times are the caller's
 * clock; key TTLs only collect garbage. Returns 0, or the (1-based) index of the refusing key.
 */
const TAKE_LUA = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[3 + i]) then return i end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
end
return 0
`;

/**
 * Send limits in Redis, shared by every replica. Key layout (P = prefix):
 *   P sends:{<group>}:<key>   sorted set of send times
 * The group is a hash tag, so one call's keys share a hash slot (Cluster included).
 * The caller owns `redis`.
 */
export function createRedisSendLimits(redis: Redis, options: { prefix: string; clock: Clock }): SendLimits {
  const { prefix, clock } = options;
  return {
    async take(group, limits, windowMs) {
      checkLimits(group, limits, windowMs);
      if (limits.length === 0) return { ok: true };
      const now = clock.now();
      const keys = limits.map((l) => `${prefix}sends:{${group}}:${l.key}`);
      const args = [now, windowMs, `${now}:${randomUUID()}`, ...limits.map((l) => l.limit)].map(String);
      const index = (await redis.eval(TAKE_LUA, keys.length, ...keys, ...args)) as number;
      return index === 0 ? { ok: true } : { ok: false, refusedBy: limits[index - 1]!.key };
    },
  };
}
