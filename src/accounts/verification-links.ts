import { createHash, randomBytes } from 'node:crypto';
import { LockMode, type EntityManager } from '@mikro-orm/core';
import type { Database } from '../store/database.ts';
import { UserEntity, VerificationLinkEntity } from '../store/entities/index.ts';
import type { VerificationPurpose } from '../store/entities/verification-link.ts';
import type { Clock } from '../lib/clock.ts';

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;
/** purposes whose older open links stay open when a new one is issued */
const KEPT_ON_ISSUE: ReadonlySet<VerificationPurpose> = new Set(['not_me']);

export type LinkState =
  | { valid: true; userId: string; newEmail: string | null; notice: string | null; expiresAt: Date }
  | { valid: false; reason: 'unknown' | 'used' | 'expired' | 'replaced' };

/**
 * Single-use links that prove a mailbox (invitation, new email address, password reset, "This
 * wasn't me"): 256 random bits, only the SHA-256 stored, one purpose each, expiring. At most one
 * link of a purpose works for a user: issuing one voids the older ones, and using one voids the
 * others. Both hold the user's row lock (PostgreSQL; SQLite runs one transaction at a time), so
 * links issued or used at the same moment still leave at most one that succeeds. Not_me links are
 * the exception on issue: every security notice carries its own working link, so a new one leaves
 * the older ones open (using one still voids the others).
 */
export interface VerificationLinks {
  issue(
    userId: string,
    purpose: VerificationPurpose,
    validMinutes: number,
    about?: { newEmail?: string; notice?: string },
  ): Promise<{ token: string; expiresAt: Date }>;
  inspect(token: string, purpose: VerificationPurpose): Promise<LinkState>;
  /** marks the link used, atomically: true for exactly one caller, and only while it is valid; the user's other links of the purpose stop working */
  consume(token: string, purpose: VerificationPurpose): Promise<boolean>;
  /** voids every open link of the user (of one purpose, or all); returns how many */
  voidAll(userId: string, purpose?: VerificationPurpose): Promise<number>;
}

/**
 * Voids the user's open links (of one purpose, or all) inside the caller's transaction: a
 * password change voids the reset links in the transaction that stores the new password.
 */
export function voidOpenLinks(em: EntityManager, userId: string, purpose: VerificationPurpose | undefined, now: Date): Promise<number> {
  return em.nativeUpdate(VerificationLinkEntity, { user: userId, ...(purpose ? { purpose } : {}), usedAt: null, voidedAt: null }, { voidedAt: now });
}

export function createVerificationLinks(deps: { db: Database; clock: Clock }): VerificationLinks {
  const { db, clock } = deps;
  /** serialises issuing and using the user's links (a password change's update of the user row waits for it too) */
  const lockUser = (em: EntityManager, userId: string) =>
    em.findOne(UserEntity, { id: userId }, { fields: ['id'], ...(db.kind === 'postgres' ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {}) });

  const links: VerificationLinks = {
    async issue(userId, purpose, validMinutes, about = {}) {
      const token = randomBytes(32).toString('base64url');
      const now = clock.now();
      const expiresAt = new Date(now + validMinutes * 60_000);
      await db.em().transactional(async (em) => {
        await lockUser(em, userId);
        if (!KEPT_ON_ISSUE.has(purpose)) await voidOpenLinks(em, userId, purpose, new Date(now));
        em.create(VerificationLinkEntity, {
          id: hashToken(token),
          user: userId,
          purpose,
          newEmail: about.newEmail ?? null,
          notice: about.notice ?? null,
          createdAt: new Date(now),
          expiresAt,
          usedAt: null,
          voidedAt: null,
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
      return { valid: true, userId: row.user.id, newEmail: row.newEmail ?? null, notice: row.notice ?? null, expiresAt: row.expiresAt };
    },

    async consume(token, purpose) {
      if (!TOKEN_FORMAT.test(token)) return false;
      const id = hashToken(token);
      const now = new Date(clock.now());
      return db.em().transactional(async (em) => {
        const row = await em.findOne(VerificationLinkEntity, { id, purpose }, { fields: ['user'] });
        if (!row) return false;
        await lockUser(em, row.user.id);
        const used = await em.nativeUpdate(VerificationLinkEntity, { id, purpose, usedAt: null, voidedAt: null, expiresAt: { $gt: now } }, { usedAt: now });
        if (used !== 1) return false;
        await voidOpenLinks(em, row.user.id, purpose, now);
        return true;
      });
    },

    async voidAll(userId, purpose) {
      return voidOpenLinks(db.em(), userId, purpose, new Date(clock.now()));
    },
  };
  return links;
}
