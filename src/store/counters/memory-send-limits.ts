import type { Clock } from '../../lib/clock.ts';
import { checkLimits, type SendLimits } from './send-limits.ts';

interface SendLog {
  times: number[];
  dropAt: number;
}

const SWEEP_EVERY_MS = 60_000;

/**
 * In-process send limits for the embedded default: the same rule as the Redis script
 * (redis-send-limits.ts). Check and count run without an `await` in between, so in one process
 * they are as atomic as a script.
 */
export function createMemorySendLimits(clock: Clock): SendLimits {
  const logs = new Map<string, SendLog>();
  let sweptAt = clock.now();
  const sweep = (now: number) => {
    if (now - sweptAt < SWEEP_EVERY_MS) return;
    sweptAt = now;
    for (const [key, log] of logs) if (log.dropAt <= now) logs.delete(key);
  };
  /** the sends of the key within the window ending now */
  const recent = (key: string, now: number, windowMs: number): number[] => (logs.get(key)?.times ?? []).filter((t) => t > now - windowMs);

  return {
    async take(group, limits, windowMs) {
      checkLimits(group, limits, windowMs);
      const now = clock.now();
      sweep(now);
      for (const { key, limit } of limits) {
        if (recent(`${group}:${key}`, now, windowMs).length >= limit) return { ok: false, refusedBy: key };
      }
      for (const { key } of limits) {
        const full = `${group}:${key}`;
        logs.set(full, { times: [...recent(full, now, windowMs), now], dropAt: now + windowMs });
      }
      return { ok: true };
    },
  };
}
