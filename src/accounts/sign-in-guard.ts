import { createHash } from 'node:crypto';
import type { AttemptCounters } from '../store/counters/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { decideAfterFailure, decideAttempt, decideCompletion } from '../policy/lockout.ts';
import type { Tenant } from './tenants.ts';
import type { PasswordCheck, User, UserService, VerifiedUser } from './users.ts';
import type { AuditLog } from './audit.ts';
import type { PasswordRecovery } from './password-recovery.ts';
import { normalizeEmail } from './normalize.ts';

export interface AttemptContext {
  ip: string;
  userAgent?: string;
}

export type SignInOutcome = { ok: true; user: VerifiedUser } | { ok: false; reason: 'failed' | 'locked' | 'throttled'; retryAfterMs?: number };

export type CompletionOutcome = { ok: true; user: User } | { ok: false; reason: 'inactive' | 'locked' };

export interface SignInGuard {
  /**
   * One password attempt under the tenant's lockout policy: counted atomically before the
   * password is verified, refused without verification while locked or throttled, locked on
   * the failure that reaches the limit (with an email to the user). Callers show one message.
   * Only a verified wrong password uses up the count: an attempt that reaches no verdict on the
   * password (refused before it, work refused with 503, a store failure) gives it back.
   */
  attempt(tenant: Tenant, email: string, password: string, context: AttemptContext): Promise<SignInOutcome>;
  /**
   * The same, for a first factor that is not a password (a passkey): `prove` runs only when the
   * account may be tried now, and its failure counts toward the lock like a wrong password.
   */
  attemptWith(tenant: Tenant, email: string, prove: () => Promise<PasswordCheck>, context: AttemptContext & { method?: string }): Promise<SignInOutcome>;
  /**
   * Right before a step of a sign-in in progress completes it: the account, read afresh, is still
   * active and not locked (under the lockout key of its tenant and email, whatever proved it: a
   * password or an upstream provider). Refusals are audited with the step.
   */
  admit(userId: string, context: AttemptContext & { step: string }): Promise<CompletionOutcome>;
  unlock(tenant: Tenant, email: string, actor: string): Promise<boolean>;
}

/** Counters are keyed by tenant and normalised email, so unknown emails are counted alike. */
export function lockoutKey(tenantId: string, email: string): string {
  return `${tenantId}:${createHash('sha256').update(normalizeEmail(email)).digest('base64url')}`;
}

export function createSignInGuard(deps: {
  counters: AttemptCounters;
  users: UserService;
  audit: AuditLog;
  recovery: PasswordRecovery;
  clock: Clock;
  logger: Logger;
}): SignInGuard {
  const { counters, users, audit, clock } = deps;
  const guard: SignInGuard = {
    attempt: (tenant, email, password, context) => guard.attemptWith(tenant, email, () => users.verifyPassword(tenant.id, email, password), context),

    async attemptWith(tenant, email, prove, context) {
      const method = context.method;
      const policy = tenant.policy.lockout;
      const key = lockoutKey(tenant.id, email);
      const now = clock.now();
      const snapshot = await counters.reserve(key, context.ip, policy.windowMinutes * 60_000);
      const decision = decideAttempt(policy, snapshot, now);
      // a locked account's attempt was not counted; any other that ends without a verdict is given back
      const giveBack = async () => {
        if (snapshot.lockedUntil !== undefined) return;
        await counters.release(key, context.ip).catch((err: unknown) => deps.logger.warn({ err }, 'could not give back a sign-in attempt'));
      };
      const base = { tenantId: tenant.id, actor: 'anonymous', ip: context.ip, ...(context.userAgent ? { userAgent: context.userAgent } : {}) };
      if (!decision.verify) {
        await giveBack();
        await audit.record({ ...base, action: decision.reason === 'user_locked' ? 'signin.refused_locked' : 'signin.throttled_ip' });
        return { ok: false, reason: decision.reason === 'user_locked' ? 'locked' : 'throttled', retryAfterMs: decision.retryAfterMs };
      }
      let check: PasswordCheck;
      try {
        check = await prove();
      } catch (err) {
        await giveBack();
        throw err;
      }
      if (check.ok) {
        const { user } = check;
        await counters.succeeded(key, context.ip);
        if (snapshot.lockedUntil !== undefined) await counters.unlock(key);
        await audit.record({ ...base, action: 'signin.succeeded', userId: user.id, actor: `user:${user.id}`, ...(method ? { details: { method } } : {}) });
        return { ok: true, user };
      }
      const known = check.user;
      await audit.record({
        ...base,
        action: 'signin.failed',
        ...(known ? { userId: known.id } : {}),
        details: { attempt: snapshot.userAttempts, ...(method ? { method } : {}) },
      });
      const lock = decideAfterFailure(policy, snapshot.userAttempts, now);
      if (lock.lockUntil !== undefined) {
        await counters.lock(key, lock.lockUntil);
        await audit.record({
          ...base,
          action: 'user.locked',
          ...(known ? { userId: known.id } : {}),
          actor: 'system',
          details: { until: new Date(lock.lockUntil).toISOString() },
        });
        if (known && known.status === 'active') await deps.recovery.notifyLocked(tenant, known, policy.lockMinutes);
      }
      return { ok: false, reason: 'failed' };
    },

    async admit(userId, context) {
      const user = await users.findById(userId);
      const lockedUntil = user ? await counters.lockedUntil(lockoutKey(user.tenantId, user.email)) : undefined;
      const decision = decideCompletion(user, lockedUntil, clock.now());
      if (decision.allow) return { ok: true, user: user! };
      await audit.record({
        action: decision.reason === 'locked' ? 'signin.refused_locked' : 'signin.refused_inactive',
        ...(user ? { tenantId: user.tenantId, userId: user.id } : {}),
        actor: `user:${userId}`,
        ip: context.ip,
        ...(context.userAgent ? { userAgent: context.userAgent } : {}),
        details: { step: context.step },
      });
      return { ok: false, reason: decision.reason };
    },

    async unlock(tenant, email, actor) {
      const key = lockoutKey(tenant.id, email);
      const wasLocked = (await counters.lockedUntil(key)) !== undefined;
      await counters.unlock(key);
      const user = await users.findByEmail(tenant.id, email);
      await audit.record({ tenantId: tenant.id, action: 'user.unlocked', actor, ...(user ? { userId: user.id } : {}), details: { wasLocked } });
      return wasLocked;
    },
  };
  return guard;
}
