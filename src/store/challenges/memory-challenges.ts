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
import type { CodeChallenges, CodeChannel, IssueRefusal } from '../../factors/code-challenges.ts';

export interface MemoryCodeChallengesOptions {
  clock: Clock;
  /** HMAC key for codes, at least 32 bytes */
  secret: Buffer;
}

interface Challenge {
  userId: string;
  channel: CodeChannel;
  destination: string;
  mac: string;
  expiresAt: number;
  attempts: number;
  dropAt: number;
}
interface Failures {
  count: number;
  start: number;
  dropAt: number;
}
interface SendLog {
  times: number[];
  dropAt: number;
}

const SWEEP_EVERY_MS = 60_000;

/**
 * In-process code challenges for the embedded default: the same rules as the Redis scripts
 * (redis-challenge-scripts.ts), step for step. Each check-and-count runs without an `await`
 * in between, so in one process it is as atomic as a script.
 */
export function createMemoryCodeChallenges(options: MemoryCodeChallengesOptions): CodeChallenges {
  const { clock } = options;
  const secret = checkSecret(options.secret);
  const challenges = new Map<string, Challenge>();
  const failures = new Map<string, Failures>();
  const sends = new Map<string, SendLog>();
  let sweptAt = clock.now();

  const live = <T extends { dropAt: number }>(map: Map<string, T>, key: string, now: number): T | undefined => {
    const entry = map.get(key);
    if (entry && entry.dropAt <= now) {
      map.delete(key);
      return undefined;
    }
    return entry;
  };
  const sweep = (now: number) => {
    if (now - sweptAt < SWEEP_EVERY_MS) return;
    sweptAt = now;
    for (const map of [challenges, failures, sends] as Map<string, { dropAt: number }>[]) {
      for (const [key, entry] of map) if (entry.dropAt <= now) map.delete(key);
    }
  };
  const challengeKey = (purpose: string, uid: string) => `${purpose}:${uid}`;
  /** the user's failure window as of now: a passed window starts over */
  const failureWindow = (userId: string, windowMs: number, now: number): Failures => {
    const f = live(failures, userId, now);
    return f && now < f.start + windowMs ? f : { count: 0, start: now, dropAt: now + windowMs };
  };
  const hourlyWait = (key: string, limit: number, now: number): number => {
    const log = live(sends, key, now);
    if (!log) return 0;
    log.times = log.times.filter((t) => t > now - HOUR_MS);
    return log.times.length >= limit ? log.times[0]! + HOUR_MS - now : 0;
  };
  const record = (key: string, now: number, keepMs: number) => {
    const log = live(sends, key, now) ?? { times: [], dropAt: 0 };
    log.times.push(now);
    log.dropAt = now + keepMs;
    sends.set(key, log);
  };

  return {
    async issue(input) {
      checkIssue(input);
      const { limits } = input;
      const now = clock.now();
      sweep(now);
      const f = live(failures, input.userId, now);
      if (f && now < f.start + limits.failureWindowSeconds * 1000 && f.count >= limits.userFailures) {
        return { ok: false, reason: 'user-locked', retryAfterSeconds: retryAfterSeconds(f.start + limits.failureWindowSeconds * 1000 - now) };
      }
      const key = challengeKey(input.purpose, input.uid);
      const attempts = live(challenges, key, now)?.attempts ?? 0;
      if (attempts >= limits.maxAttempts) return { ok: false, reason: 'voided', retryAfterSeconds: 0 };

      const phone = isPhoneChannel(input.channel);
      const userKey = `user:${input.userId}`;
      const numberKey = `number:${destinationKey(secret, input.destination)}`;
      const tenantKey = `tenant:${input.tenantId}`;
      // counted only when the caller names them (the code delivery always does for sms and voice)
      const perIp = phone && input.ip !== undefined ? (limits.perIpPerHour ?? 0) : 0;
      const perPrefix = phone && input.prefix !== undefined ? (limits.perPrefixPerHour ?? 0) : 0;
      const ipKey = `ip:${destinationKey(secret, `ip:${input.ip}`)}`;
      const prefixKey = `prefix:${destinationKey(secret, `prefix:${input.prefix}`)}`;
      const lastSend = live(sends, userKey, now)?.times.at(-1);
      const waits: [IssueRefusal, number][] = [
        ['resend-too-soon', lastSend === undefined ? 0 : lastSend + limits.resendIntervalSeconds * 1000 - now],
        ['user-hourly-limit', hourlyWait(userKey, limits.sendsPerHour, now)],
        ['number-hourly-limit', phone && limits.perNumberPerHour ? hourlyWait(numberKey, limits.perNumberPerHour, now) : 0],
        ['tenant-hourly-limit', phone && limits.perTenantPerHour ? hourlyWait(tenantKey, limits.perTenantPerHour, now) : 0],
        ['ip-hourly-limit', perIp ? hourlyWait(ipKey, perIp, now) : 0],
        ['prefix-hourly-limit', perPrefix ? hourlyWait(prefixKey, perPrefix, now) : 0],
      ];
      const [reason, waitMs] = waits.reduce((longest, w) => (w[1] > longest[1] ? w : longest));
      if (waitMs > 0) return { ok: false, reason, retryAfterSeconds: retryAfterSeconds(waitMs) };

      record(userKey, now, Math.max(HOUR_MS, limits.resendIntervalSeconds * 1000));
      if (phone && limits.perNumberPerHour) record(numberKey, now, HOUR_MS);
      if (phone && limits.perTenantPerHour) record(tenantKey, now, HOUR_MS);
      if (perIp) record(ipKey, now, HOUR_MS);
      if (perPrefix) record(prefixKey, now, HOUR_MS);
      const code = generateCode();
      const expiresAt = now + limits.ttlSeconds * 1000;
      challenges.set(key, {
        userId: input.userId,
        channel: input.channel,
        destination: input.destination,
        mac: codeMac(secret, { ...input, code }).toString('hex'),
        expiresAt,
        attempts,
        dropAt: expiresAt + TOMBSTONE_MS,
      });
      return { ok: true, code, expiresAt };
    },

    async verify(input) {
      checkVerify(input);
      const { limits } = input;
      const now = clock.now();
      const key = challengeKey(input.purpose, input.uid);
      const challenge = live(challenges, key, now);
      if (!challenge) return { ok: false, reason: 'none' };
      const windowMs = limits.failureWindowSeconds * 1000;
      const f = failureWindow(input.userId, windowMs, now);
      if (f.count >= limits.userFailures) return { ok: false, reason: 'user-locked' };
      if (challenge.attempts >= limits.maxAttempts) return { ok: false, reason: 'voided' };
      if (now >= challenge.expiresAt) return { ok: false, reason: 'expired' };
      // counted before comparing, as the Redis script does
      challenge.attempts += 1;
      f.count += 1;
      f.dropAt = now + windowMs;
      failures.set(input.userId, f);

      if (plausibleCode(input.code) && codeMatches(secret, input, challenge.mac)) {
        challenges.delete(key);
        f.count -= 1;
        return { ok: true, channel: challenge.channel, destination: challenge.destination };
      }
      const attemptsLeft = Math.max(0, limits.maxAttempts - challenge.attempts);
      return { ok: false, reason: attemptsLeft > 0 ? 'wrong' : 'voided', attemptsLeft };
    },

    async current(purpose, uid) {
      checkSignIn(purpose, uid);
      const c = live(challenges, challengeKey(purpose, uid), clock.now());
      return c && { channel: c.channel, destination: c.destination, expiresAt: c.expiresAt, attempts: c.attempts };
    },

    async cancel(purpose, uid) {
      checkSignIn(purpose, uid);
      challenges.delete(challengeKey(purpose, uid));
    },
  };
}
