import type { VerificationLinks } from './verification-links.ts';

/** the security notices that carry a "This wasn't me" link (each is views/emails/<notice>) */
export const NOT_ME_NOTICES = ['new-device', 'account-locked', 'password-changed', 'factor-added', 'factor-removed', 'email-changed'] as const;
export type NotMeNotice = (typeof NOT_ME_NOTICES)[number];

/** how long the link of a notice works */
export const NOT_ME_LINK_MINUTES = 7 * 24 * 60;

export const notMePath = (token: string) => `/account/not-me/${token}`;

/** Issues the "This wasn't me" link a security notice carries: single use, 7 days, one per notice. */
export interface NotMeLinks {
  /** a new link for the user, naming the notice it goes in; its absolute URL */
  linkFor(userId: string, notice: NotMeNotice): Promise<string>;
}

export function createNotMeLinks(deps: { issuer: string; links: VerificationLinks }): NotMeLinks {
  return {
    async linkFor(userId, notice) {
      const { token } = await deps.links.issue(userId, 'not_me', NOT_ME_LINK_MINUTES, { notice });
      return `${deps.issuer}${notMePath(token)}`;
    },
  };
}
