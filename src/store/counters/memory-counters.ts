import type { Clock } from '../../lib/clock.ts';
import { browserKey, userKeyOf, type AttemptCounters } from './types.ts';

interface Window {
  count: number;
  expiresAt: number;
}

/** Unlocks recorded by another process (the CLI) for the embedded default. */
export interface LockReleases {
  record(userKey: string, atMs: number): Promise<void>;
  releasedSince(userKey: string, sinceMs: number): Promise<boolean>;
}

/**
 * In-process counters for the embedded default (one process: every step is naturally
 * atomic). Unlocks from the CLI arrive through `releases`, checked only for locked keys.
 */
export function createMemoryAttemptCounters(clock: Clock, releases?: LockReleases): AttemptCounters {
  const counts = new Map<string, Window>();
  const locks = new Map<string, number>();
  const lockedAt = new Map<string, number>();
  const live = (key: string) => {
    const w = counts.get(key);
    if (w && w.expiresAt <= clock.now()) {
      counts.delete(key);
      return undefined;
    }
    return w;
  };
  const incr = (key: string, windowMs: number) => {
    const w = live(key) ?? { count: 0, expiresAt: clock.now() + windowMs };
    w.count += 1;
    counts.set(key, w);
    return w.count;
  };
  const lockedUntil = (userKey: string) => {
    const until = locks.get(userKey);
    if (until !== undefined && until <= clock.now()) {
      locks.delete(userKey);
      return undefined;
    }
    return until;
  };
  // a lock ended from another process (the CLI) ends here at the next look at it; a browser's, with its user's
  const currentLock = async (userKey: string) => {
    const until = lockedUntil(userKey);
    if (until === undefined || !releases || !(await releases.releasedSince(userKeyOf(userKey) ?? userKey, lockedAt.get(userKey) ?? 0))) return until;
    locks.delete(userKey);
    counts.delete(`u:${userKey}`);
    return undefined;
  };
  const giveBack = (key: string) => {
    const w = live(key);
    if (w && w.count > 0) w.count -= 1;
  };
  return {
    async reserve(userKey, ipKey, windowMs) {
      // no await unless locked: the check and the count stay one uninterrupted step
      const until = lockedUntil(userKey) === undefined ? undefined : await currentLock(userKey);
      if (until !== undefined) return { userAttempts: 0, ipAttempts: 0, lockedUntil: until };
      if (counts.size > 100_000) for (const k of [...counts.keys()]) live(k);
      return { userAttempts: incr(`u:${userKey}`, windowMs), ipAttempts: incr(`i:${ipKey}`, windowMs) };
    },
    async succeeded(userKey, ipKey) {
      counts.delete(`u:${userKey}`);
      giveBack(`i:${ipKey}`);
    },
    async release(userKey, ipKey) {
      giveBack(`u:${userKey}`);
      giveBack(`i:${ipKey}`);
    },
    async lock(userKey, untilMs) {
      locks.set(userKey, untilMs);
      lockedAt.set(userKey, clock.now());
      counts.delete(`u:${userKey}`);
    },
    async unlock(userKey) {
      locks.delete(userKey);
      counts.delete(`u:${userKey}`);
      // and its browsers' own budgets
      const browsers = browserKey(userKey, '');
      for (const key of [...locks.keys()]) if (key.startsWith(browsers)) locks.delete(key);
      for (const key of [...counts.keys()]) if (key.startsWith(`u:${browsers}`)) counts.delete(key);
      await releases?.record(userKey, clock.now());
    },
    async lockedUntil(userKey) {
      return currentLock(userKey);
    },
  };
}
