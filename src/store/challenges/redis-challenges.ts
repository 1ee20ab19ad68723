import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../../lib/clock.ts';
import {
  checkIssue,
  checkSecret,
  checkSignIn,
  checkVerify,
  codeMac,
  codeMatches,
  destinationKey,
  generateCode,
  HOUR_MS,
  isPhoneChannel,
  plausibleCode,
  retryAfterSeconds,
  TOMBSTONE_MS,
} from '../../factors/code-challenges.ts';
import type { CodeChallenges, CodeChannel, IssueRefusal, VerifyRefusal } from '../../factors/code-challenges.ts';
import { CONSUME_LUA, ISSUE_LUA, RESERVE_ATTEMPT_LUA } from './redis-challenge-scripts.ts';

export interface RedisCodeChallengesOptions {
  /** prepended to every key (REDIS_PREFIX, e.g. 'latchkey:') */
  prefix: string;
  clock: Clock;
  /** HMAC key for codes and destination keys, at least 32 bytes, the same on every replica */
  secret: Buffer;
}

type Reserved = [VerifyRefusal] | ['counted', string, number, CodeChannel, string, number];

/**
 * Code challenges in Redis, shared by every replica. Key layout (P = prefix):
 *   P challenge:code:<purpose>:<uid>   hash: userId, channel, destination, mac, expiresAt, attempts
 *   P challenge:failures:<userId>      hash: count, start (the user's wrong codes in the window)
 *   P challenge:sends:user:<userId>    sorted set of send times (resend interval, hourly cap)
 *   P challenge:sends:number:<hmac>    sorted set of sms/voice send times to one number
 *   P challenge:sends:tenant:<tenant>  sorted set of sms/voice send times of one tenant
 *   P challenge:sends:ip:<hmac>        sorted set of sms/voice send times asked from one address
 *   P challenge:sends:prefix:<hmac>    sorted set of sms/voice send times to one block of numbers
 * Purposes cannot contain ':' (checked), so one purpose's uids never meet another's.
 * Scripts touch keys of several users: a single Redis (or one hash slot), not a cluster.
 * The caller owns `redis`.
 */
export function createRedisCodeChallenges(redis: Redis, options: RedisCodeChallengesOptions): CodeChallenges {
  const { prefix, clock } = options;
  const secret = checkSecret(options.secret);
  const challengeKey = (purpose: string, uid: string) => `${prefix}challenge:code:${purpose}:${uid}`;
  const failuresKey = (userId: string) => `${prefix}challenge:failures:${userId}`;
  const sendsKey = (kind: 'user' | 'number' | 'tenant' | 'ip' | 'prefix', id: string) => `${prefix}challenge:sends:${kind}:${id}`;

  return {
    async issue(input) {
      checkIssue(input);
      const { limits } = input;
      const now = clock.now();
      const code = generateCode();
      const expiresAt = now + limits.ttlSeconds * 1000;
      const phone = isPhoneChannel(input.channel);
      const mac = codeMac(secret, { ...input, code }).toString('hex');
      const keys = [
        challengeKey(input.purpose, input.uid),
        failuresKey(input.userId),
        sendsKey('user', input.userId),
        sendsKey('number', destinationKey(secret, input.destination)),
        sendsKey('tenant', input.tenantId),
        sendsKey('ip', destinationKey(secret, `ip:${input.ip}`)),
        sendsKey('prefix', destinationKey(secret, `prefix:${input.prefix}`)),
      ];
      // counted only when the caller names them (the code delivery always does for sms and voice)
      const perIp = phone && input.ip !== undefined ? (limits.perIpPerHour ?? 0) : 0;
      const perPrefix = phone && input.prefix !== undefined ? (limits.perPrefixPerHour ?? 0) : 0;
      const args = [
        now,
        input.userId,
        input.channel,
        input.destination,
        mac,
        expiresAt,
        limits.ttlSeconds * 1000 + TOMBSTONE_MS,
        limits.maxAttempts,
        limits.userFailures,
        limits.failureWindowSeconds * 1000,
        limits.resendIntervalSeconds * 1000,
        limits.sendsPerHour,
        phone ? (limits.perNumberPerHour ?? 0) : 0,
        phone ? (limits.perTenantPerHour ?? 0) : 0,
        `${now}:${randomUUID()}`,
        HOUR_MS,
        perIp,
        perPrefix,
      ].map(String);
      const [outcome, waitMs] = (await redis.eval(ISSUE_LUA, keys.length, ...keys, ...args)) as [string, number];
      if (outcome === 'ok') return { ok: true, code, expiresAt };
      const reason = outcome as IssueRefusal;
      return { ok: false, reason, retryAfterSeconds: reason === 'voided' ? 0 : retryAfterSeconds(waitMs) };
    },

    async verify(input) {
      checkVerify(input);
      const { limits } = input;
      const keys = [challengeKey(input.purpose, input.uid), failuresKey(input.userId)];
      const reserved = (await redis.eval(
        RESERVE_ATTEMPT_LUA,
        2,
        ...keys,
        String(clock.now()),
        String(limits.maxAttempts),
        String(limits.userFailures),
        String(limits.failureWindowSeconds * 1000),
      )) as Reserved;
      if (reserved[0] !== 'counted') return { ok: false, reason: reserved[0] };
      const [, mac, attempts, channel, destination, windowStart] = reserved;
      if (plausibleCode(input.code) && codeMatches(secret, input, mac)) {
        const consumed = (await redis.eval(CONSUME_LUA, 2, ...keys, mac, String(windowStart))) as string;
        if (consumed === 'used') return { ok: true, channel, destination };
        // 'gone': a parallel verification used it first; 'replaced': a resend voided this code
        if (consumed === 'gone') return { ok: false, reason: 'none' };
      }
      const attemptsLeft = Math.max(0, limits.maxAttempts - attempts);
      return { ok: false, reason: attemptsLeft > 0 ? 'wrong' : 'voided', attemptsLeft };
    },

    async current(purpose, uid) {
      checkSignIn(purpose, uid);
      const [channel, destination, expiresAt, attempts] = await redis.hmget(challengeKey(purpose, uid), 'channel', 'destination', 'expiresAt', 'attempts');
      if (channel == null || destination == null) return undefined;
      return { channel: channel as CodeChannel, destination, expiresAt: Number(expiresAt), attempts: Number(attempts) };
    },

    async cancel(purpose, uid) {
      checkSignIn(purpose, uid);
      await redis.del(challengeKey(purpose, uid));
    },
  };
}
