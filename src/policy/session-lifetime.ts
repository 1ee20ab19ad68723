/**
 * How long a sign-in session (the browser's single sign-on) lives. Two limits, in seconds:
 * - idle (SESSION_TTL): a session unused for this long ends; every use by an application
 *   (an authorization or logout request that reads it) starts the idle time again;
 * - absolute (SESSION_MAX_LIFETIME): a session ends this long after it was created, whatever
 *   its use; the user then signs in again (NIST SP 800-63B-4 §2.2.3: at AAL2, at least once
 *   every 24 hours).
 * Pure: times are epoch seconds, read from the stored session by the caller.
 */
export interface SessionLifetime {
  idleSeconds: number;
  maxSeconds: number;
}

/** what a stored session says of itself */
export interface SessionTimes {
  /** when it was created (oidc-provider's iat, kept through every later save) */
  createdAt: unknown;
  /** when its idle time runs out (oidc-provider's exp, moved on at every save) */
  expiresAt: unknown;
}

/**
 * For how many seconds a session saved at `now` is kept: the idle time, cut short where the
 * absolute lifetime ends. At least 1 (a store keeps nothing for 0 seconds): a session past its
 * lifetime is never read (sessionEnded), so it is saved past it by at most one request.
 */
export function sessionKeepSeconds(createdAt: number, now: number, lifetime: SessionLifetime): number {
  return Math.max(1, Math.min(lifetime.idleSeconds, createdAt + lifetime.maxSeconds - now));
}

/**
 * A stored session no longer signs anyone in when its idle time has run out or its absolute
 * lifetime is over (also under a lifetime shortened since it was saved). Without both times it
 * is not a session oidc-provider saved: it counts as ended.
 */
export function sessionEnded(times: SessionTimes, now: number, lifetime: SessionLifetime): boolean {
  const { createdAt, expiresAt } = times;
  if (typeof createdAt !== 'number' || typeof expiresAt !== 'number' || !Number.isFinite(createdAt) || !Number.isFinite(expiresAt)) return true;
  return now >= expiresAt || now >= createdAt + lifetime.maxSeconds;
}
