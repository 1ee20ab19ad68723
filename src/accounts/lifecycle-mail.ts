import type { Mailer } from './mailer.ts';
import { sendEmail, type EmailComposer, type Recipient, type UserRecipient } from './notifications.ts';
import type { NotMeLinks } from './not-me-links.ts';

/** The emails of the account lifecycle (views/emails/invitation, email-change, email-changed). */
export interface LifecycleMail {
  invitation(to: Recipient, data: { tenant: string; link: string; hours: number }): Promise<void>;
  /** sent to the NEW address: the link that proves it */
  emailChange(to: Recipient, data: { tenant: string; link: string; hours: number }): Promise<void>;
  /** sent to the OLD address once the change is made, with a "This wasn't me" link */
  emailChanged(to: UserRecipient, data: { tenant: string; newEmail: string }): Promise<void>;
}

export function createLifecycleMail(deps: { mailer: Mailer; composer: EmailComposer; notMe: NotMeLinks }): LifecycleMail {
  const send = (to: Recipient, template: string, data: Record<string, unknown>) => sendEmail(deps, to, template, data);
  return {
    invitation: (to, data) => send(to, 'invitation', data),
    emailChange: (to, data) => send(to, 'email-change', data),
    emailChanged: async (to, data) => send(to, 'email-changed', { ...data, notMeLink: await deps.notMe.linkFor(to.id, 'email-changed') }),
  };
}
