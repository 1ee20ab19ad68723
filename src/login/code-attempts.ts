import type { Context } from 'koa';
import { auditSignIn, type InteractionContext, type LoginDeps } from './context.ts';
import { AppError } from '../lib/errors.ts';
import type { VerifyRefusal } from '../factors/code-challenges.ts';
import * as shared from '../factors/code-attempts.ts';
import { sendRefusalMessage } from '../factors/send-refusal.ts';
import type { SendOutcome } from '../factors/code-delivery.ts';

export function refusalMessage(
  deps: LoginDeps,
  locale: string,
  refusal: { reason: VerifyRefusal; attemptsLeft?: number },
): { message: string; fatal: boolean } {
  return shared.refusalMessage((key, vars) => deps.renderer.translate(key, locale, vars), refusal);
}

/** the page's message for a code that was not sent */
export function sendRefusal(deps: LoginDeps, locale: string, outcome: Extract<SendOutcome, { ok: false }>): string {
  return sendRefusalMessage((key, vars) => deps.renderer.translate(key, locale, vars), outcome);
}

/**
 * A proof the second-factor or enrolment step refused: audited, and the page's message (401).
 * The wrong code that uses up the attempts ends the sign-in instead (429).
 */
export async function refusedProof(
  deps: LoginDeps,
  ctx: Context,
  ic: InteractionContext,
  userId: string,
  refusal: { reason: VerifyRefusal; attemptsLeft?: number },
  details: Record<string, unknown>,
): Promise<string> {
  const refused = refusalMessage(deps, ctx.state.locale, refusal);
  const { fatal } = refused;
  // a passkey is no code: its refusal says so (the limits it counts toward are the same)
  const message = details.factor === 'passkey' && refusal.reason === 'wrong' ? deps.renderer.translate('passkey.refused', ctx.state.locale) : refused.message;
  await auditSignIn(deps, ctx, ic, userId, fatal ? 'mfa.voided' : 'mfa.failed', details);
  if (fatal) {
    await deps.loginState.clear(ic.view.uid);
    throw new AppError(429, 'error.mfaVoided', 'Too many wrong codes');
  }
  ctx.status = 401;
  return message;
}
