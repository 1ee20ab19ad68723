import type { Database } from '../store/database.ts';
import { UserEntity } from '../store/entities/index.ts';
import type { LinkState, VerificationLinks } from './verification-links.ts';

export type ResetTokenState = { valid: true; userId: string; tenantId: string } | Extract<LinkState, { valid: false }>;

/**
 * Password reset links are verification links of purpose 'password_reset': a new one voids the
 * user's older ones, using one voids the others, and every password change voids them all
 * (PasswordService.save).
 */
export interface PasswordResetTokens {
  /** a new single-use token for the user; only its hash is stored */
  issue(userId: string, validMinutes: number): Promise<string>;
  inspect(token: string): Promise<ResetTokenState>;
  /** marks the token used, atomically: true for exactly one caller, and only while it is valid */
  consume(token: string): Promise<boolean>;
}

export function createPasswordResetTokens(deps: { db: Database; links: VerificationLinks }): PasswordResetTokens {
  const { db, links } = deps;
  return {
    async issue(userId, validMinutes) {
      return (await links.issue(userId, 'password_reset', validMinutes)).token;
    },
    async inspect(token) {
      const state = await links.inspect(token, 'password_reset');
      if (!state.valid) return state;
      const user = await db.em().findOne(UserEntity, { id: state.userId });
      if (!user) return { valid: false, reason: 'unknown' };
      return { valid: true, userId: user.id, tenantId: user.tenant.id };
    },
    consume: (token) => links.consume(token, 'password_reset'),
  };
}
