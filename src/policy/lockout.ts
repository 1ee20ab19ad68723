import type { LockoutPolicy } from './tenant-policy.ts';

/**
 * Lockout decisions. The counter store reserves an attempt atomically *before* the password
 * is verified (so parallel guesses cannot overshoot), and reports what it counted; these
 * functions decide what that means. Times are epoch milliseconds.
 */
export interface AttemptCount {
  /** attempts counted in the current window, this one included */
  userAttempts: number;
  /** failed attempts from this IP across all accounts in the window, this one included */
  ipAttempts: number;
  /** when set and in the future, the account is locked until then */
  lockedUntil?: number;
}

export type AttemptDecision = { verify: true } | { verify: false; reason: 'user_locked' | 'ip_throttled'; retryAfterMs: number };

export function decideAttempt(policy: LockoutPolicy, count: AttemptCount, now: number): AttemptDecision {
  if (count.lockedUntil !== undefined && count.lockedUntil > now) {
    return { verify: false, reason: 'user_locked', retryAfterMs: count.lockedUntil - now };
  }
  if (count.userAttempts > policy.maxFailures) {
    return { verify: false, reason: 'user_locked', retryAfterMs: policy.lockMinutes * 60_000 };
  }
  if (count.ipAttempts > policy.ipMaxFailures) {
    return { verify: false, reason: 'ip_throttled', retryAfterMs: policy.windowMinutes * 60_000 };
  }
  return { verify: true };
}

/** After a wrong password: lock when this failure reached the limit. */
export function decideAfterFailure(policy: LockoutPolicy, userFailures: number, now: number): { lockUntil?: number } {
  return userFailures >= policy.maxFailures ? { lockUntil: now + policy.lockMinutes * 60_000 } : {};
}

export type CompletionDecision = { allow: true } | { allow: false; reason: 'inactive' | 'locked' | 'reset-required' };

/**
 * A sign-in past its password (a code, an enrolment, a password change, a federated return) may
 * complete only while the account is still active, not locked and not awaiting a password reset:
 * the lockout applies to the authentication as a whole, not to the password step alone, and an
 * account whose password is compromised opens only through its emailed reset link (whatever
 * else proved the user: a passkey, an upstream provider). A missing account is inactive.
 */
export function decideCompletion(
  account: { status: string; resetRequired?: boolean } | undefined,
  lockedUntil: number | undefined,
  now: number,
): CompletionDecision {
  if (account?.status !== 'active') return { allow: false, reason: 'inactive' };
  if (account.resetRequired === true) return { allow: false, reason: 'reset-required' };
  if (lockedUntil !== undefined && lockedUntil > now) return { allow: false, reason: 'locked' };
  return { allow: true };
}
