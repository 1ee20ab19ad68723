import type { Mailer } from '../factors/delivery/email.ts';
import type { Logger } from '../lib/logger.ts';

/** The part of the view renderer that composes emails (src/http/views.ts implements it). */
export interface EmailComposer {
  renderEmail(name: string, data: Record<string, unknown>, locale?: string): { subject: string; text: string; html: string };
}

interface Recipient {
  email: string;
  firstName: string;
}

export interface Notifications {
  passwordReset(to: Recipient, link: string, minutes: number): Promise<void>;
  accountLocked(to: Recipient, minutes: number, resetLink: string): Promise<void>;
  passwordChanged(to: Recipient): Promise<void>;
  signInCode(to: Recipient, code: string, minutes: number): Promise<void>;
  /** `factor` is the factor's user-facing name, already translated */
  factorAdded(to: Recipient, factor: string): Promise<void>;
  factorRemoved(to: Recipient, factor: string): Promise<void>;
  recoveryCodesRegenerated(to: Recipient): Promise<void>;
  recoveryCodeUsed(to: Recipient, remaining: number): Promise<void>;
  newDeviceSignIn(to: Recipient, sign: { when: string; ip: string; browser: string; os: string; tenant: string }): Promise<void>;
}

export function createNotifications(deps: { mailer: Mailer; composer: EmailComposer; logger: Logger }): Notifications {
  const send = async (to: Recipient, template: string, data: Record<string, unknown>) => {
    const message = deps.composer.renderEmail(template, { name: to.firstName || to.email, ...data });
    await deps.mailer.send({ to: to.email, ...message });
  };
  return {
    passwordReset: (to, link, minutes) => send(to, 'password-reset', { link, minutes }),
    accountLocked: (to, minutes, link) => send(to, 'account-locked', { minutes, link }),
    passwordChanged: (to) => send(to, 'password-changed', {}),
    signInCode: (to, code, minutes) => send(to, 'sign-in-code', { code, minutes }),
    factorAdded: (to, factor) => send(to, 'factor-added', { factor }),
    factorRemoved: (to, factor) => send(to, 'factor-removed', { factor }),
    recoveryCodesRegenerated: (to) => send(to, 'recovery-codes', {}),
    recoveryCodeUsed: (to, remaining) => send(to, 'recovery-code-used', { remaining }),
    newDeviceSignIn: (to, sign) => send(to, 'new-device', sign),
  };
}

/** Sends without making the caller wait (so timing tells nothing); failures are logged. */
export function sendInBackground(logger: Logger, what: string, job: () => Promise<void>): void {
  job().catch((err: unknown) => logger.error({ err, what }, 'notification failed'));
}
