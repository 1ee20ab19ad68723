import type { VerifyRefusal } from './code-challenges.ts';
import type { AttemptCounters } from '../store/counters/types.ts';
import type { MfaPolicy } from '../policy/tenant-policy.ts';

export type CodeCheck = { ok: true } | { ok: false; reason: VerifyRefusal; attemptsLeft?: number };

export interface AttemptScope {
  policy: MfaPolicy;
  tenantId: string;
  userId: string;
  /** what one run of codeMaxAttempts belongs to: a sign-in, or one enrollment on the account page */
  attemptKey: string;
}

/**
 * TOTP and recovery codes have no issued challenge to count on, so their guesses go through
 * the shared attempt counters, reserved atomically before the code is checked: one count per
 * scope (codeMaxAttempts, then the scope is void) and one per user across every scope
 * (userCodeFailures in codeFailureWindowMinutes), shared by sign-in and the account page. The
 * per-user count uses the counters' second key, which for passwords counts an IP; the key
 * names cannot meet.
 */
export async function verifyWithAttemptLimit(counters: AttemptCounters, scope: AttemptScope, check: () => Promise<boolean>): Promise<CodeCheck> {
  const { policy } = scope;
  const userKey = `2fa-user:${scope.tenantId}:${scope.userId}`;
  const counted = await counters.reserve(scope.attemptKey, userKey, policy.codeFailureWindowMinutes * 60_000);
  if (counted.userAttempts > policy.codeMaxAttempts) return { ok: false, reason: 'voided' };
  if (counted.ipAttempts > policy.userCodeFailures) return { ok: false, reason: 'user-locked' };
  let right: boolean;
  try {
    right = await check();
  } catch (err) {
    // no verdict on the code (a store failed): the guess is not counted
    await counters.release(scope.attemptKey, userKey).catch(() => undefined);
    throw err;
  }
  if (right) {
    await counters.succeeded(scope.attemptKey, userKey);
    return { ok: true };
  }
  const attemptsLeft = policy.codeMaxAttempts - counted.userAttempts;
  return attemptsLeft <= 0 ? { ok: false, reason: 'voided', attemptsLeft: 0 } : { ok: false, reason: 'wrong', attemptsLeft };
}

export type Translate = (key: string, vars?: Record<string, unknown>) => string;

/** the page's message for a refused code; `fatal` when the sign-in (or enrollment) cannot go on */
export function refusalMessage(t: Translate, refusal: { reason: VerifyRefusal; attemptsLeft?: number }): { message: string; fatal: boolean } {
  switch (refusal.reason) {
    case 'voided':
      return { message: t('mfa.voided'), fatal: true };
    case 'user-locked':
      return { message: t('mfa.locked'), fatal: false };
    case 'expired':
      return { message: t('mfa.expired'), fatal: false };
    case 'none':
      return { message: t('mfa.none'), fatal: false };
    default:
      return {
        message: refusal.attemptsLeft !== undefined ? t('mfa.wrong', { left: refusal.attemptsLeft }) : t('mfa.wrongNoCount'),
        fatal: false,
      };
  }
}
