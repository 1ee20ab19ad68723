import type { LoginDeps, InteractionContext } from './context.ts';
import type { VerifyRefusal } from '../factors/code-challenges.ts';

export type CodeCheck = { ok: true } | { ok: false; reason: VerifyRefusal; attemptsLeft?: number };

/**
 * TOTP and recovery codes have no issued challenge to count on, so their guesses go through
 * the shared attempt counters, reserved atomically before the code is checked: one count per
 * sign-in (codeMaxAttempts, then the sign-in is void) and one per user across all sign-ins
 * (userCodeFailures in codeFailureWindowMinutes). The per-user count uses the counters' second
 * key, which for passwords counts an IP; the key names cannot meet.
 */
export async function verifyWithAttemptLimit(
  deps: LoginDeps, ic: InteractionContext, userId: string, check: () => Promise<boolean>,
): Promise<CodeCheck> {
  const policy = ic.tenant.policy.mfa;
  const signInKey = `2fa:${ic.view.uid}`;
  const userKey = `2fa-user:${ic.tenant.id}:${userId}`;
  const counted = await deps.counters.reserve(signInKey, userKey, policy.codeFailureWindowMinutes * 60_000);
  if (counted.userAttempts > policy.codeMaxAttempts) return { ok: false, reason: 'voided' };
  if (counted.ipAttempts > policy.userCodeFailures) return { ok: false, reason: 'user-locked' };
  if (await check()) {
    await deps.counters.succeeded(signInKey, userKey);
    return { ok: true };
  }
  const attemptsLeft = policy.codeMaxAttempts - counted.userAttempts;
  return attemptsLeft <= 0 ? { ok: false, reason: 'voided', attemptsLeft: 0 } : { ok: false, reason: 'wrong', attemptsLeft };
}

/** the page's message for a refused code; `fatal` when this sign-in cannot go on */
export function refusalMessage(deps: LoginDeps, locale: string, refusal: { reason: VerifyRefusal; attemptsLeft?: number }): { message: string; fatal: boolean } {
  const t = (key: string, vars?: Record<string, unknown>) => deps.renderer.translate(key, locale, vars);
  switch (refusal.reason) {
    case 'voided': return { message: t('mfa.voided'), fatal: true };
    case 'user-locked': return { message: t('mfa.locked'), fatal: false };
    case 'expired': return { message: t('mfa.expired'), fatal: false };
    case 'none': return { message: t('mfa.none'), fatal: false };
    default: return {
      message: refusal.attemptsLeft !== undefined ? t('mfa.wrong', { left: refusal.attemptsLeft }) : t('mfa.wrongNoCount'),
      fatal: false,
    };
  }
}
