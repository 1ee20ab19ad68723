import { defineEntity, p } from '@mikro-orm/core';
import { UserEntity } from './user.ts';

export const VERIFICATION_PURPOSES = ['invitation', 'email_change', 'password_reset', 'not_me'] as const;
export type VerificationPurpose = (typeof VERIFICATION_PURPOSES)[number];

/**
 * Single-use links that prove a mailbox: the invitation (sets the first password), the
 * verification of a new email address, the password reset and the "This wasn't me" link of a
 * security notice. Only the SHA-256 of the token is stored.
 */
export const VerificationLinkEntity = defineEntity({
  name: 'VerificationLink',
  tableName: 'verification_links',
  indexes: [{ properties: ['user', 'purpose'] }],
  properties: {
    id: p.string().length(64).primary(),
    user: () => p.manyToOne(UserEntity).deleteRule('cascade'),
    purpose: p.string().length(16).$type<VerificationPurpose>(),
    /** the address an email_change link verifies (stored normalised) */
    newEmail: p.string().length(320).nullable(),
    /** the security notice a not_me link came in (such as 'new-device') */
    notice: p.string().length(32).nullable(),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
    usedAt: p.datetime().nullable(),
    /** a newer link of the same purpose replaced this one, another was used, or the account changed under it (a password change voids reset links) */
    voidedAt: p.datetime().nullable(),
  },
});
