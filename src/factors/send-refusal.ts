import type { SendOutcome } from './code-delivery.ts';
import type { Translate } from './code-attempts.ts';
import type { PhoneChannel, PhoneNumberRefusal } from '../policy/phone-numbers.ts';

/** why a code was not sent; `voidedKey` says what to do when too many wrong codes ended the challenge */
export function sendRefusalMessage(t: Translate, outcome: Extract<SendOutcome, { ok: false }>, voidedKey = 'mfa.voided'): string {
  switch (outcome.reason) {
    case 'resend-too-soon':
      return t('mfa.tooSoon', { seconds: outcome.retryAfterSeconds ?? 30 });
    case 'user-hourly-limit':
    case 'number-hourly-limit':
    case 'tenant-hourly-limit':
    case 'ip-hourly-limit':
    case 'prefix-hourly-limit':
      return t('mfa.limit', { minutes: Math.max(1, Math.ceil((outcome.retryAfterSeconds ?? 60) / 60)) });
    case 'voided':
      return t(voidedKey);
    case 'user-locked':
      return t('mfa.locked');
    case 'number-refused':
      return outcome.refused ? phoneRefusalMessage(t, outcome.refused) : t('mfa.numberRefused');
    default:
      return t('mfa.deliveryFailed');
  }
}

/** why a number cannot be sent codes, said at the number's field */
export function phoneRefusalMessage(t: Translate, refused: { reason: PhoneNumberRefusal; channel: PhoneChannel }): string {
  switch (refused.reason) {
    case 'invalid':
      return t('phone.refused.invalid');
    case 'international-network':
      return t('phone.refused.international');
    case 'premium-rate':
      return t('phone.refused.premium');
    case 'country-not-allowed':
      return t('phone.refused.country');
    case 'type-not-accepted':
      return t(`phone.refused.type.${refused.channel}`);
  }
}
