import type { LoginDeps } from './context.ts';
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
