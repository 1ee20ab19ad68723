import { AppError } from './errors.ts';

/**
 * Bounds expensive work (argon2): at most `concurrency` jobs run, at most `maxQueue` wait,
 * and anything beyond is refused at once with 503 + Retry-After rather than piling up
 * until memory or CPU run out.
 */
export interface WorkLimiter {
  run<T>(job: () => Promise<T>): Promise<T>;
  readonly active: number;
  readonly queued: number;
}

export function createWorkLimiter(options: { concurrency: number; maxQueue: number; retryAfterSeconds?: number; onRefused?: () => void }): WorkLimiter {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    active -= 1;
    const next = waiting.shift();
    if (next) {
      active += 1;
      next();
    }
  };
  return {
    get active() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
    async run(job) {
      if (active >= options.concurrency) {
        if (waiting.length >= options.maxQueue) {
          options.onRefused?.();
          throw new AppError(503, 'error.busy', 'Too many sign-ins at once; try again in a moment', {
            details: { retryAfter: options.retryAfterSeconds ?? 2 },
          });
        }
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        active += 1;
      }
      try {
        return await job();
      } finally {
        release();
      }
    },
  };
}
