import { randomUUID } from 'node:crypto';
import type { Database } from '../store/database.ts';
import { PasswordCredentialEntity, PasswordHistoryEntity, UserEntity } from '../store/entities/index.ts';
import type { Clock } from '../lib/clock.ts';
import { decidePassword, passwordExpired, type PasswordDecision } from '../policy/password-rules.ts';
import type { TenantPolicy } from '../policy/tenant-policy.ts';
import type { PasswordHasher } from './password-hasher.ts';
import type { PasswordStrength } from './password-strength.ts';
import type { User } from './users.ts';
import { voidOpenLinks } from './verification-links.ts';

export interface PasswordSubject {
  /** id '' for someone not yet created (no history to check) */
  user: Pick<User, 'id' | 'email' | 'firstName' | 'lastName'>;
  tenantName: string;
  policy: TenantPolicy;
}

export interface PasswordService {
  /** every rule the candidate breaks, history included, with zxcvbn's advice */
  evaluate(candidate: string, subject: PasswordSubject): Promise<PasswordDecision & { feedback: string[] }>;
  /** evaluates, and when acceptable saves it */
  change(candidate: string, subject: PasswordSubject): Promise<PasswordDecision & { feedback: string[] }>;
  /** stores an already evaluated password (the old one into history), clears a forced change and voids every open reset link */
  save(candidate: string, userId: string): Promise<void>;
  /** why this sign-in must change the password, if it must (from what the password check loaded) */
  changeRequired(user: { mustChangePassword: boolean; passwordChangedAt: Date }, policy: TenantPolicy): 'forced' | 'expired' | undefined;
  forceChange(userId: string): Promise<void>;
  /** the password is compromised: it signs nothing in until a new one is saved (the emailed reset link) */
  requireReset(userId: string): Promise<void>;
}

export function createPasswordService(deps: { db: Database; hasher: PasswordHasher; strength: PasswordStrength; clock: Clock }): PasswordService {
  const { db, hasher, strength, clock } = deps;

  /** the current hash and the newest history entries: `count` passwords in all */
  async function recentHashes(userId: string, count: number): Promise<string[]> {
    if (count <= 0) return [];
    const em = db.em();
    const current = await em.findOne(PasswordCredentialEntity, { user: userId });
    const history = await em.find(PasswordHistoryEntity, { user: userId }, { orderBy: { createdAt: 'desc' }, limit: Math.max(0, count - 1) });
    return [...(current ? [current.hash] : []), ...history.map((h) => h.hash)];
  }

  const service: PasswordService = {
    async evaluate(candidate, { user, tenantName, policy }) {
      const facts = strength.measure(candidate, { email: user.email, firstName: user.firstName, lastName: user.lastName, tenantName });
      let reused = false;
      if (user.id && policy.password.historyCount > 0 && facts.length <= policy.password.maxLength) {
        for (const hash of await recentHashes(user.id, policy.password.historyCount)) {
          if (await hasher.verify(hash, candidate)) {
            reused = true;
            break;
          }
        }
      }
      return { ...decidePassword(policy.password, policy.mfa.mode, { ...facts, reused }), feedback: facts.feedback };
    },

    async change(candidate, subject) {
      const decision = await service.evaluate(candidate, subject);
      if (decision.ok) await service.save(candidate, subject.user.id);
      return decision;
    },

    async save(candidate, userId) {
      const hash = await hasher.hash(candidate);
      const now = new Date(clock.now());
      await db.em().transactional(async (em) => {
        const credential = await em.findOne(PasswordCredentialEntity, { user: userId });
        if (credential) {
          em.create(PasswordHistoryEntity, { id: randomUUID(), user: userId, hash: credential.hash, createdAt: credential.changedAt });
          credential.hash = hash;
          credential.changedAt = now;
        } else {
          em.create(PasswordCredentialEntity, { id: randomUUID(), user: userId, hash, changedAt: now });
        }
        await em.nativeUpdate(UserEntity, { id: userId }, { mustChangePassword: false, resetRequiredAt: null });
        // every way of changing the password ends here: no reset link sent before it works after it
        // (after the user row's update, which waits for a link being issued or used at this moment)
        await voidOpenLinks(em, userId, 'password_reset', now);
        await em.flush();
        // keep only what the longest allowed history (24) needs
        const stale = await em.find(PasswordHistoryEntity, { user: userId }, { orderBy: { createdAt: 'desc' }, limit: 1000, offset: 24 });
        for (const row of stale) em.remove(row);
      });
    },

    changeRequired(user, policy) {
      if (user.mustChangePassword) return 'forced';
      if (passwordExpired(policy.password, user.passwordChangedAt.getTime(), clock.now())) return 'expired';
      return undefined;
    },

    async forceChange(userId) {
      await db.em().nativeUpdate(UserEntity, { id: userId }, { mustChangePassword: true });
    },

    async requireReset(userId) {
      await db.em().nativeUpdate(UserEntity, { id: userId }, { resetRequiredAt: new Date(clock.now()) });
    },
  };
  return service;
}
