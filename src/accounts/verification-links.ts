import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../store/database.ts';
import { VerificationLinkEntity } from '../store/entities/index.ts';
import type { VerificationPurpose } from '../store/entities/verification-link.ts';
import type { Clock } from '../lib/clock.ts';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;

export type LinkState =
  | { valid: true; userId: string; newEmail: string | null; expiresAt: Date }
  | { valid: false; reason: 'unknown' | 'used' | 'expired' | 'replaced' };

/**
 * Single-use links that prove a mailbox (invitation, new email address): 256 random bits,
 * only the SHA-256 stored, one purpose each, expiring; issuing a link voids the user's older
 * links of the same purpose.
 */
export interface VerificationLinks {
  issue(userId: string, purpose: VerificationPurpose, validHours: number, newEmail?: string): Promise<{ token: string; expiresAt: Date }>;
  inspect(token: string, purpose: VerificationPurpose): Promise<LinkState>;
  /** marks the link used, atomically: true for exactly one caller, and only while it is valid */
  consume(token: string, purpose: VerificationPurpose): Promise<boolean>;
  /** voids every open link of the user (of one purpose, or all); returns how many */
  voidAll(userId: string, purpose?: VerificationPurpose): Promise<number>;
}

export function createVerificationLinks(deps: { db: Database; clock: Clock }): VerificationLinks {
  const { db, clock } = deps;
  const links: VerificationLinks = {
    async issue(userId, purpose, validHours, newEmail) {
      const token = randomBytes(32).toString('base64url');
      const now = clock.now();
      const expiresAt = new Date(now + validHours * 3_600_000);
      await db.em().transactional(async (em) => {
        await em.nativeUpdate(VerificationLinkEntity, { user: userId, purpose, usedAt: null, voidedAt: null }, { voidedAt: new Date(now) });
        em.create(VerificationLinkEntity, {
          id: hashToken(token), user: userId, purpose, newEmail: newEmail ?? null,
          createdAt: new Date(now), expiresAt, usedAt: null, voidedAt: null,
        });
      });
      return { token, expiresAt };
    },

    async inspect(token, purpose) {
      if (!TOKEN_FORMAT.test(token)) return { valid: false, reason: 'unknown' };
      const row = await db.em().findOne(VerificationLinkEntity, { id: hashToken(token), purpose });
      if (!row) return { valid: false, reason: 'unknown' };
      if (row.usedAt) return { valid: false, reason: 'used' };
      if (row.voidedAt) return { valid: false, reason: 'replaced' };
      if (row.expiresAt.getTime() <= clock.now()) return { valid: false, reason: 'expired' };
      return { valid: true, userId: row.user.id, newEmail: row.newEmail ?? null, expiresAt: row.expiresAt };
    },

    async consume(token, purpose) {
      if (!TOKEN_FORMAT.test(token)) return false;
      const now = new Date(clock.now());
      const updated = await db.em().nativeUpdate(
        VerificationLinkEntity,
        { id: hashToken(token), purpose, usedAt: null, voidedAt: null, expiresAt: { $gt: now } },
        { usedAt: now },
      );
      return updated === 1;
    },

    async voidAll(userId, purpose) {
      return db.em().nativeUpdate(
        VerificationLinkEntity,
        { user: userId, ...(purpose ? { purpose } : {}), usedAt: null, voidedAt: null },
        { voidedAt: new Date(clock.now()) },
      );
    },
  };
  return links;
}
