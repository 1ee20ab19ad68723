import type { Mailer } from './mailer.ts';
import { sendEmail, type EmailComposer, type Recipient } from './notifications.ts';

/** Emails about changes made in the account console that the shared notifications do not cover. */
export interface AccountNotices {
  /** a personal admin API token was created: its name, scopes and expiry, never its value */
  apiTokenCreated(to: Recipient, token: { name: string; scopes: readonly string[]; expiresAt: Date }): Promise<void>;
}

export function createAccountNotices(deps: { mailer: Mailer; composer: EmailComposer }): AccountNotices {
  return {
    apiTokenCreated: (to, token) => sendEmail(deps, to, 'api-token-created', { token: token.name, scopes: token.scopes.join(', '), expires: token.expiresAt }),
  };
}
