import type { CodeChallenges, CodeChannel, ChallengeLimits, IssueRefusal } from './code-challenges.ts';
import type { PhoneSender } from './delivery/phone.ts';
import type { Notifications, Recipient } from '../accounts/notifications.ts';
import type { MfaPolicy } from '../policy/tenant-policy.ts';
import { AppError } from '../lib/errors.ts';
import { screenPhoneNumber, type PhoneRefused } from './phone-number.ts';
import { clientNetwork } from '../lib/ip.ts';

/** the limits of one code channel under the tenant's policy */
export function challengeLimits(policy: MfaPolicy, channel: CodeChannel): ChallengeLimits {
  const phone = channel !== 'email';
  return {
    ttlSeconds: (phone ? policy.phoneCodeMinutes : policy.emailCodeMinutes) * 60,
    maxAttempts: policy.codeMaxAttempts,
    userFailures: policy.userCodeFailures,
    failureWindowSeconds: policy.codeFailureWindowMinutes * 60,
    resendIntervalSeconds: policy.resendIntervalSeconds,
    sendsPerHour: policy.sendsPerHour,
    ...(phone
      ? {
          perNumberPerHour: policy.phoneSendsPerNumberPerHour,
          perTenantPerHour: policy.phoneSendsPerTenantPerHour,
          perIpPerHour: policy.phoneSendsPerIpPerHour,
          perPrefixPerHour: policy.phoneSendsPerPrefixPerHour,
        }
      : {}),
  };
}

export type SendOutcome =
  | { ok: true; expiresAt: number }
  | {
      ok: false;
      reason: IssueRefusal | 'delivery-failed' | 'number-refused';
      retryAfterSeconds?: number;
      /** a number the screening refused (nothing was sent); absent when the carrier refused it */
      refused?: PhoneRefused;
    };

export interface CodeDelivery {
  /**
   * Issues a code for this sign-in (or enrollment; 'account': a factor added on the account
   * page, `uid` naming that enrollment) and sends it: by email, SMS, or a call that reads it.
   * A new code voids the previous one; the limits are the challenge store's. A number for SMS
   * or voice is screened first (type and country, under the tenant's policy): a refused one
   * gets nothing and counts nothing.
   */
  send(input: {
    purpose: 'signin' | 'enroll' | 'account';
    uid: string;
    user: { id: string } & Recipient;
    tenant: { id: string; displayName: string };
    /** the page's language: SMS and calls speak it; an email follows the user's email language first */
    channel: CodeChannel;
    destination: string;
    policy: MfaPolicy;
    locale?: string;
    /** the client address the request came from (per-IP limit of SMS and calls) */
    ip: string;
  }): Promise<SendOutcome>;
}

/** the message catalogue (src/http/views.ts: renderer.translate) */
export type Translate = (key: string, locale?: string, vars?: Record<string, unknown>) => string;

export function createCodeDelivery(deps: { challenges: CodeChallenges; phone: PhoneSender; notifications: Notifications; translate: Translate }): CodeDelivery {
  const { translate } = deps;
  return {
    async send(input) {
      const limits = challengeLimits(input.policy, input.channel);
      let counted: { ip?: string; prefix?: string } = {};
      if (input.channel !== 'email') {
        const screened = screenPhoneNumber(input.destination, input.channel, input.policy);
        if (!screened.ok) {
          if (screened.reason === 'malformed') throw new AppError(400, 'phone.invalid_number', 'The phone number must be in E.164 form, such as +14155550100');
          return { ok: false, reason: 'number-refused', refused: screened };
        }
        counted = { ip: clientNetwork(input.ip), prefix: screened.prefix };
      }
      const issued = await deps.challenges.issue({
        purpose: input.purpose,
        uid: input.uid,
        userId: input.user.id,
        tenantId: input.tenant.id,
        channel: input.channel,
        destination: input.destination,
        limits,
        ...counted,
      });
      if (!issued.ok) return issued;
      const minutes = Math.round(limits.ttlSeconds / 60);
      try {
        const { locale } = input;
        if (input.channel === 'email') {
          await deps.notifications.signInCode({ ...input.user, ...(locale ? { requestLocale: locale } : {}) }, issued.code, minutes);
        } else if (input.channel === 'sms') {
          await deps.phone.sendSms(input.destination, translate('sms.code', locale, { code: issued.code, tenant: input.tenant.displayName, minutes }));
        } else {
          // the placeholder stays for the phone sender, which spells the digits out
          const digits = { digits: '{digits}' };
          await deps.phone.placeCall(input.destination, issued.code, locale, {
            first: translate('voice.code.first', locale, digits),
            again: translate('voice.code.again', locale, digits),
          });
        }
      } catch (err) {
        // the code was issued but never reached the user: void it so it cannot be used later
        await deps.challenges.cancel(input.purpose, input.uid);
        if (err instanceof AppError && err.code === 'phone.number_refused') return { ok: false, reason: 'number-refused' };
        throw new AppError(503, 'mfa.delivery_failed', 'The code could not be sent', { cause: err, details: { channel: input.channel } });
      }
      return { ok: true, expiresAt: issued.expiresAt };
    },
  };
}
