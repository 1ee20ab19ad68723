import type { Mailer } from './mailer.ts';
import type { Logger } from '../lib/logger.ts';
import type { Regional } from '../lib/date-format.ts';
import { resolveEmailLocale } from '../lib/locale-match.ts';
import type { FactorType } from '../policy/tenant-policy.ts';
import type { NotMeLinks, NotMeNotice } from './not-me-links.ts';

/** The part of the view renderer that composes emails (src/http/views.ts implements it). */
export interface EmailComposer {
  renderEmail(name: string, data: Record<string, unknown>, locale?: string, regional?: Regional): { subject: string; text: string; html: string };
}

/** who an email goes to; a User carries the regional settings, and a caller with a request may add its language */
export interface Recipient extends Regional {
  email: string;
  firstName: string;
  locale?: string | null;
  emailLocale?: string | null;
  /** the language of the request that caused the email: used when the recipient has none set */
  requestLocale?: string;
}

/** a user as the recipient of a security notice, which carries a "This wasn't me" link for them */
export interface UserRecipient extends Recipient {
  id: string;
}

/**
 * Sends one of views/emails to the recipient in their email language (else their language,
 * else the request's, else English), with dates in their zone and formats.
 */
export async function sendEmail(deps: { mailer: Mailer; composer: EmailComposer }, to: Recipient, template: string, data: Record<string, unknown>) {
  const regional = { timeZone: to.timeZone ?? null, dateFormat: to.dateFormat ?? 'auto', timeFormat: to.timeFormat ?? 'auto' };
  const message = deps.composer.renderEmail(template, { name: to.firstName || to.email, ...data }, resolveEmailLocale(to), regional);
  await deps.mailer.send({ to: to.email, ...message });
}

export interface Notifications {
  passwordReset(to: Recipient, link: string, minutes: number): Promise<void>;
  accountLocked(to: UserRecipient, minutes: number, resetLink: string): Promise<void>;
  passwordChanged(to: UserRecipient): Promise<void>;
  signInCode(to: Recipient, code: string, minutes: number): Promise<void>;
  /** the email names the factor in the recipient's email language */
  factorAdded(to: UserRecipient, factor: FactorType): Promise<void>;
  factorRemoved(to: UserRecipient, factor: FactorType): Promise<void>;
  /** an administrator removed every factor, the recovery codes and the remembered devices */
  factorsReset(to: Recipient): Promise<void>;
  recoveryCodesRegenerated(to: Recipient): Promise<void>;
  recoveryCodeUsed(to: Recipient, remaining: number): Promise<void>;
  /** `when` is formatted in the recipient's zone and formats */
  newDeviceSignIn(to: UserRecipient, sign: { when: Date; ip: string; browser: string; os: string; tenant: string }): Promise<void>;
}

/**
 * The security notices (new device, lock, password changed, factor added or removed) each carry
 * a "This wasn't me" link of their own (NotMeLinks).
 */
export function createNotifications(deps: { mailer: Mailer; composer: EmailComposer; logger: Logger; notMe: NotMeLinks }): Notifications {
  const send = (to: Recipient, template: string, data: Record<string, unknown>) => sendEmail(deps, to, template, data);
  const notice = async (to: UserRecipient, template: NotMeNotice, data: Record<string, unknown>) =>
    send(to, template, { ...data, notMeLink: await deps.notMe.linkFor(to.id, template) });
  return {
    passwordReset: (to, link, minutes) => send(to, 'password-reset', { link, minutes }),
    accountLocked: (to, minutes, link) => notice(to, 'account-locked', { minutes, link }),
    passwordChanged: (to) => notice(to, 'password-changed', {}),
    signInCode: (to, code, minutes) => send(to, 'sign-in-code', { code, minutes }),
    factorAdded: (to, factor) => notice(to, 'factor-added', { factorKey: `factor.${factor}` }),
    factorRemoved: (to, factor) => notice(to, 'factor-removed', { factorKey: `factor.${factor}` }),
    factorsReset: (to) => send(to, 'factors-reset', {}),
    recoveryCodesRegenerated: (to) => send(to, 'recovery-codes', {}),
    recoveryCodeUsed: (to, remaining) => send(to, 'recovery-code-used', { remaining }),
    newDeviceSignIn: (to, sign) => notice(to, 'new-device', sign),
  };
}

/** Sends without making the caller wait (so timing tells nothing); failures are logged. */
export function sendInBackground(logger: Logger, what: string, job: () => Promise<void>): void {
  job().catch((err: unknown) => logger.error({ err, what }, 'notification failed'));
}
