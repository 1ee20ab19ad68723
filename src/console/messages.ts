import type { SendOutcome } from '../factors/code-delivery.ts';
import type { Translate } from '../factors/code-attempts.ts';

/** why a code was not sent, in the words the sign-in uses for the same limits */
export function sendRefusalMessage(t: Translate, outcome: Extract<SendOutcome, { ok: false }>): string {
  switch (outcome.reason) {
    case 'resend-too-soon': return t('mfa.tooSoon', { seconds: outcome.retryAfterSeconds ?? 30 });
    case 'user-hourly-limit': case 'number-hourly-limit': case 'tenant-hourly-limit':
      return t('mfa.limit', { minutes: Math.max(1, Math.ceil((outcome.retryAfterSeconds ?? 60) / 60)) });
    case 'voided': return t('account.add.voided');
    case 'user-locked': return t('mfa.locked');
    case 'number-refused': return t('mfa.numberRefused');
    default: return t('mfa.deliveryFailed');
  }
}
