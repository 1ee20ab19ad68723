import { AppError } from './errors.ts';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTCONN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
]);
const MESSAGES = [
  /connection is closed/i,
  /max retries per request/i,
  /stream isn't writeable/i,
  /connection terminated/i,
  /timeout acquiring a connection/i,
  /connect ECONNREFUSED/i,
  /Client has encountered a connection error/i,
  /Connection ended unexpectedly/i,
];

/**
 * Whether an error means Redis or PostgreSQL is not answering (as opposed to a bug or bad
 * input): those requests get a clear 503 "temporarily unavailable", and Latchkey keeps running
 * and recovers by itself when the service is back.
 */
export function isStoreOutage(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 4;
    e = e.cause as typeof e, depth += 1
  ) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
    if (e.name === 'MaxRetriesPerRequestError' || e.name === 'ConnectionException') return true;
    if (typeof e.message === 'string' && MESSAGES.some((m) => m.test(e!.message as string))) return true;
  }
  return false;
}

/** the 503 a request gets while a store is down (statusCode too, for oidc-provider's error handler) */
export function storeUnavailable(cause: unknown): AppError & { statusCode: number } {
  const err = new AppError(503, 'error.unavailable', 'A service Latchkey depends on is not answering', { cause, details: { retryAfter: 5 } });
  return Object.assign(err, { statusCode: 503 });
}

const REDIS_MESSAGES = [/connection is closed/i, /max retries per request/i, /stream isn't writeable/i];

/** which store an outage error (isStoreOutage) came from: ioredis names its own errors; the rest is the database */
export function outageStore(err: unknown): 'redis' | 'database' {
  for (let e = err as { name?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth += 1) {
    if (e.name === 'MaxRetriesPerRequestError') return 'redis';
    if (typeof e.message === 'string' && REDIS_MESSAGES.some((m) => m.test(e!.message as string))) return 'redis';
  }
  return 'database';
}
