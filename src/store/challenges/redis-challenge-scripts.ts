/*
 * Lua for the Redis code challenges. Every check and every count of one call runs in one script,
 * so replicas cannot interleave: a refused send counts nothing, and parallel guesses cannot run
 * past a limit. Times are the caller's clock (ARGV), so stored times and windows follow the
 * injectable Clock; key TTLs only collect garbage.
 *
 * Keys: challenge hash {userId, channel, destination, mac, expiresAt, attempts};
 * failures hash {count, start}; send logs are sorted sets scored by send time.
 */

/**
 * KEYS: challenge, failures, user sends, number sends, tenant sends, ip sends, prefix sends.
 * ARGV: now, userId, channel, destination, mac, expiresAt, challenge ttl ms, maxAttempts,
 *       userFailures, failure window ms, resend interval ms, sends per hour,
 *       per number per hour (0 = not counted), per tenant per hour (0 = not counted),
 *       send id, hour ms, per ip per hour (0 = not counted), per prefix per hour (0 = not counted).
 * Returns {'ok', 0} or {reason, wait ms}.
 */
export const ISSUE_LUA = `
local now = tonumber(ARGV[1])
local hour = tonumber(ARGV[16])
local f = redis.call('HMGET', KEYS[2], 'count', 'start')
if f[2] then
  local ends = tonumber(f[2]) + tonumber(ARGV[10])
  if now < ends and tonumber(f[1]) >= tonumber(ARGV[9]) then return {'user-locked', ends - now} end
end
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
if attempts >= tonumber(ARGV[8]) then return {'voided', 0} end
local reason, wait = false, 0
local function consider(r, w)
  if w > wait then reason, wait = r, w end
end
local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
if last[2] then consider('resend-too-soon', tonumber(last[2]) + tonumber(ARGV[11]) - now) end
local function hourly(key, limit, r)
  if limit <= 0 then return end
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - hour)
  if redis.call('ZCARD', key) >= limit then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    consider(r, tonumber(oldest[2]) + hour - now)
  end
end
hourly(KEYS[3], tonumber(ARGV[12]), 'user-hourly-limit')
hourly(KEYS[4], tonumber(ARGV[13]), 'number-hourly-limit')
hourly(KEYS[5], tonumber(ARGV[14]), 'tenant-hourly-limit')
hourly(KEYS[6], tonumber(ARGV[17]), 'ip-hourly-limit')
hourly(KEYS[7], tonumber(ARGV[18]), 'prefix-hourly-limit')
if reason then return {reason, wait} end
local function record(key, keepMs)
  redis.call('ZADD', key, now, ARGV[15])
  redis.call('PEXPIRE', key, keepMs)
end
record(KEYS[3], math.max(hour, tonumber(ARGV[11])))
if tonumber(ARGV[13]) > 0 then record(KEYS[4], hour) end
if tonumber(ARGV[14]) > 0 then record(KEYS[5], hour) end
if tonumber(ARGV[17]) > 0 then record(KEYS[6], hour) end
if tonumber(ARGV[18]) > 0 then record(KEYS[7], hour) end
redis.call('HSET', KEYS[1], 'userId', ARGV[2], 'channel', ARGV[3], 'destination', ARGV[4],
  'mac', ARGV[5], 'expiresAt', ARGV[6], 'attempts', attempts)
redis.call('PEXPIRE', KEYS[1], ARGV[7])
return {'ok', 0}
`;

/**
 * Counts one attempt before the code is compared.
 * KEYS: challenge, failures. ARGV: now, maxAttempts, userFailures, failure window ms.
 * Returns {refusal} or {'counted', mac, attempts, channel, destination, failure window start}.
 */
export const RESERVE_ATTEMPT_LUA = `
local now = tonumber(ARGV[1])
local c = redis.call('HMGET', KEYS[1], 'mac', 'expiresAt', 'attempts', 'channel', 'destination')
if not c[1] then return {'none'} end
local window = tonumber(ARGV[4])
local f = redis.call('HMGET', KEYS[2], 'count', 'start')
local count, start = tonumber(f[1] or '0'), tonumber(f[2] or '0')
if not f[2] or now >= start + window then count, start = 0, now end
if count >= tonumber(ARGV[3]) then return {'user-locked'} end
local attempts = tonumber(c[3])
if attempts >= tonumber(ARGV[2]) then return {'voided'} end
if now >= tonumber(c[2]) then return {'expired'} end
attempts = attempts + 1
redis.call('HSET', KEYS[1], 'attempts', attempts)
redis.call('HSET', KEYS[2], 'count', count + 1, 'start', start)
redis.call('PEXPIRE', KEYS[2], window)
return {'counted', c[1], attempts, c[4], c[5], start}
`;

/**
 * The code matched: deletes the challenge if it still holds that code (single use), and gives
 * the user's failure count back the attempt reserved for it.
 * KEYS: challenge, failures. ARGV: mac, failure window start. Returns 'used', 'gone' or 'replaced'.
 */
export const CONSUME_LUA = `
local mac = redis.call('HGET', KEYS[1], 'mac')
if not mac then return 'gone' end
if mac ~= ARGV[1] then return 'replaced' end
redis.call('DEL', KEYS[1])
local f = redis.call('HMGET', KEYS[2], 'count', 'start')
if f[2] and tonumber(f[2]) == tonumber(ARGV[2]) and tonumber(f[1]) > 0 then
  redis.call('HINCRBY', KEYS[2], 'count', -1)
end
return 'used'
`;
