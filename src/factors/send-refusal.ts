import type { SendOutcome } from './code-delivery.ts';
import type { Translate } from './code-attempts.ts';

/** why a code was not sent; `voidedKey` says what to do when too many wrong codes ended the challenge */
export function sendRefusalMessage(t: Translate, outcome: Extract<SendOutcome, { ok: false }>, voidedKey = 'mfa.voided'): string {
  switch (outcome.reason) {
    case 'resend-too-soon': return t('mfa.tooSoon', { seconds: outcome.retryAfterSeconds ?? 30 });
    case 'user-hourly-limit': case 'number-hourly-limit': case 'tenant-hourly-limit':
      return t('mfa.limit', { minutes: Math.max(1, Math.ceil((outcome.retryAfterSeconds ?? 60) / 60)) });
    case 'voided': return t(voidedKey);
    case 'user-locked': return t('mfa.locked');
    case 'number-refused': return t('mfa.numberRefused');
    default: return t('mfa.deliveryFailed');
  }
}
