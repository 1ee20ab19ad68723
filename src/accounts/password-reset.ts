import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../store/database.ts';
import { PasswordResetTokenEntity, UserEntity } from '../store/entities/index.ts';
import type { Clock } from '../lib/clock.ts';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export type ResetTokenState = { valid: true; userId: string; tenantId: string } | { valid: false; reason: 'unknown' | 'used' | 'expired' };

export interface PasswordResetTokens {
  /** a new single-use token for the user; only its hash is stored */
  issue(userId: string, validMinutes: number): Promise<string>;
  inspect(token: string): Promise<ResetTokenState>;
  /** marks the token used, atomically: true for exactly one caller, and only while it is valid */
  consume(token: string): Promise<boolean>;
}

export function createPasswordResetTokens(deps: { db: Database; clock: Clock }): PasswordResetTokens {
  const { db, clock } = deps;
  return {
    async issue(userId, validMinutes) {
      const token = randomBytes(32).toString('base64url');
      const now = clock.now();
      const em = db.em();
      em.create(PasswordResetTokenEntity, {
        id: hashToken(token), user: userId, createdAt: new Date(now), expiresAt: new Date(now + validMinutes * 60_000), usedAt: null,
      });
      await em.flush();
      return token;
    },
    async inspect(token) {
      if (!TOKEN_FORMAT.test(token)) return { valid: false, reason: 'unknown' };
      const row = await db.em().findOne(PasswordResetTokenEntity, { id: hashToken(token) });
      if (!row) return { valid: false, reason: 'unknown' };
      if (row.usedAt) return { valid: false, reason: 'used' };
      if (row.expiresAt.getTime() <= clock.now()) return { valid: false, reason: 'expired' };
      const user = await db.em().findOne(UserEntity, { id: row.user.id });
      if (!user) return { valid: false, reason: 'unknown' };
      return { valid: true, userId: user.id, tenantId: user.tenant.id };
    },
    async consume(token) {
      if (!TOKEN_FORMAT.test(token)) return false;
      const now = new Date(clock.now());
      const updated = await db.em().nativeUpdate(
        PasswordResetTokenEntity,
        { id: hashToken(token), usedAt: null, expiresAt: { $gt: now } },
        { usedAt: now },
      );
      return updated === 1;
    },
  };
}
