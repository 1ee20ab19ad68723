import { createHash } from 'node:crypto';
import type { AttemptCounters } from '../store/counters/types.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { decideAfterFailure, decideAttempt, decideCompletion } from '../policy/lockout.ts';
import { decideBudget, type KnownBrowser, type LockoutBudget } from '../policy/lockout-budget.ts';
import { browserKey } from '../store/counters/types.ts';
import type { Tenant } from './tenants.ts';
import type { PasswordCheck, User, UserService, VerifiedUser } from './users.ts';
import type { AuditLog } from './audit.ts';
import type { PasswordRecovery } from './password-recovery.ts';
import { normalizeEmail } from './normalize.ts';

export interface AttemptContext {
  ip: string;
  userAgent?: string;
  /** what the browser's known-browser cookie says (src/policy/lockout-budget.ts), when its signature holds */
  browser?: KnownBrowser;
}

export type SignInOutcome = { ok: true; user: VerifiedUser } | { ok: false; reason: 'failed' | 'locked' | 'throttled'; retryAfterMs?: number };

export type CompletionOutcome = { ok: true; user: User } | { ok: false; reason: 'inactive' | 'locked' | 'reset-required' };

export interface SignInGuard {
  /**
   * One password attempt under the tenant's lockout policy: counted atomically before the
   * password is verified, refused without verification while locked or throttled, locked on
   * the failure that reaches the limit (with an email to the user). Callers show one message.
   * Only a verified wrong password uses up the count: an attempt that reaches no verdict on the
   * password (refused before it, work refused with 503, a store failure) gives it back.
   * A browser known as the user the email names (context.browser, src/policy/lockout-budget.ts)
   * is counted, refused and locked under its own budget instead of the account's: a lock caused
   * elsewhere does not stop it, and its failures lock only itself (no lock email). Audit rows of
   * failures, locks and refusals say which budget (details.budget: 'account' or 'device').
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
  /**
   * The lock a sign-in of this user from this browser waits on: the browser's own when it is known
   * as the user (context.browser), else the account's. Epoch ms, undefined when there is none.
   */
  lockedUntil(user: Pick<User, 'id' | 'tenantId' | 'email'>, context: Pick<AttemptContext, 'browser'>): Promise<number | undefined>;
  /** ends a lockout at once; `facts` (the admin API caller's IP and user agent) go into the audit row */
  unlock(tenant: Tenant, email: string, actor: string, facts?: { ip?: string; userAgent?: string }): Promise<boolean>;
}

/** Counters are keyed by tenant and normalised email, so unknown emails are counted alike. */
export function lockoutKey(tenantId: string, email: string): string {
  return `${tenantId}:${createHash('sha256').update(normalizeEmail(email)).digest('base64url')}`;
}

/** the counter key of a budget: the account's (lockoutKey), or one known browser's under it */
function budgetKey(accountKey: string, budget: LockoutBudget, browser: KnownBrowser | undefined): string {
  return budget === 'device' && browser ? browserKey(accountKey, browser.deviceId) : accountKey;
}

const REFUSAL_ACTIONS = {
  locked: 'signin.refused_locked',
  inactive: 'signin.refused_inactive',
  'reset-required': 'signin.refused_reset_required',
} as const;

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
      const now = clock.now();
      // only a browser that says it is known costs a look at whom the email names before the count
      const named = context.browser ? await users.findByEmail(tenant.id, email) : undefined;
      const budget = decideBudget(context.browser, named?.id, now);
      const key = budgetKey(lockoutKey(tenant.id, email), budget, context.browser);
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
        if (decision.reason === 'ip_throttled') {
          await audit.record({ ...base, action: 'signin.throttled_ip' });
          return { ok: false, reason: 'throttled', retryAfterMs: decision.retryAfterMs };
        }
        // the user the email names, looked up for every locked refusal (an unknown email's too): the answer is the same
        const user = context.browser ? named : await users.findByEmail(tenant.id, email);
        await audit.record({ ...base, action: 'signin.refused_locked', ...(user ? { userId: user.id } : {}), details: { budget } });
        return { ok: false, reason: 'locked', retryAfterMs: decision.retryAfterMs };
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
      if (check.resetRequired && known) {
        // the right password of an account awaiting its reset: refused like any failure, but no guess to count
        await giveBack();
        await audit.record({
          ...base,
          action: 'signin.refused_reset_required',
          userId: known.id,
          details: { step: 'password', ...(method ? { method } : {}) },
        });
        return { ok: false, reason: 'failed' };
      }
      await audit.record({
        ...base,
        action: 'signin.failed',
        ...(known ? { userId: known.id } : {}),
        details: { attempt: snapshot.userAttempts, budget, ...(method ? { method } : {}) },
      });
      const lock = decideAfterFailure(policy, snapshot.userAttempts, now);
      if (lock.lockUntil !== undefined) {
        await counters.lock(key, lock.lockUntil);
        await audit.record({
          ...base,
          action: 'user.locked',
          ...(known ? { userId: known.id } : {}),
          actor: 'system',
          details: { until: new Date(lock.lockUntil).toISOString(), budget },
        });
        // a browser that used up its own budget locked only itself: the account was not locked, no email
        if (budget === 'account' && known && known.status === 'active') await deps.recovery.notifyLocked(tenant, known, policy.lockMinutes);
      }
      return { ok: false, reason: 'failed' };
    },

    async lockedUntil(user, context) {
      const budget = decideBudget(context.browser, user.id, clock.now());
      return counters.lockedUntil(budgetKey(lockoutKey(user.tenantId, user.email), budget, context.browser));
    },

    async admit(userId, context) {
      const user = await users.findById(userId);
      // the lock of the budget this browser signs in under: its own, when it is known as this user
      const lockedUntil = user ? await guard.lockedUntil(user, context) : undefined;
      const decision = decideCompletion(user, lockedUntil, clock.now());
      if (decision.allow) return { ok: true, user: user! };
      await audit.record({
        action: REFUSAL_ACTIONS[decision.reason],
        ...(user ? { tenantId: user.tenantId, userId: user.id } : {}),
        actor: `user:${userId}`,
        ip: context.ip,
        ...(context.userAgent ? { userAgent: context.userAgent } : {}),
        details: { step: context.step },
      });
      return { ok: false, reason: decision.reason };
    },

    async unlock(tenant, email, actor, facts = {}) {
      const key = lockoutKey(tenant.id, email);
      const wasLocked = (await counters.lockedUntil(key)) !== undefined;
      await counters.unlock(key);
      const user = await users.findByEmail(tenant.id, email);
      await audit.record({
        tenantId: tenant.id,
        action: 'user.unlocked',
        actor,
        ...(user ? { userId: user.id } : {}),
        ...(facts.ip ? { ip: facts.ip } : {}),
        ...(facts.userAgent ? { userAgent: facts.userAgent } : {}),
        details: { wasLocked },
      });
      return wasLocked;
    },
  };
  return guard;
}
