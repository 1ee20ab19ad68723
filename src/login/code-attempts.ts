import type { LoginDeps, InteractionContext } from './context.ts';
import type { VerifyRefusal } from '../factors/code-challenges.ts';
import * as shared from '../factors/code-attempts.ts';

export type { CodeCheck } from '../factors/code-attempts.ts';

/** counted TOTP and recovery-code guesses of one sign-in (the counting lives in src/factors/code-attempts.ts) */
export function verifyWithAttemptLimit(
  deps: LoginDeps, ic: InteractionContext, userId: string, check: () => Promise<boolean>,
): Promise<shared.CodeCheck> {
  return shared.verifyWithAttemptLimit(deps.counters, {
    policy: ic.tenant.policy.mfa, tenantId: ic.tenant.id, userId, attemptKey: `2fa:${ic.view.uid}`,
  }, check);
}

export function refusalMessage(deps: LoginDeps, locale: string, refusal: { reason: VerifyRefusal; attemptsLeft?: number }): { message: string; fatal: boolean } {
  return shared.refusalMessage((key, vars) => deps.renderer.translate(key, locale, vars), refusal);
}
