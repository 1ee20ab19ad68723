import type { Database } from '../store/database.ts';
import { PasswordCredentialEntity, TenantEntity, UserEntity } from '../store/entities/index.ts';
import type { UserStatus } from '../store/entities/user.ts';
import { AppError, conflict } from '../lib/errors.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { effectivePolicy } from '../policy/tenant-policy.ts';
import type { AuditLog } from './audit.ts';
import type { TenantService } from './tenants.ts';
import { toUser, type User } from './users.ts';
import type { UserSessions } from './user-sessions.ts';
import type { InvitationService } from './invitations.ts';
import { assertAnotherOwner, auditFacts, loadUser, type ActorFacts } from './account-admin.ts';
import type { DeadlineWarnings } from './deadline-warnings.ts';

export interface Ended {
  sessions: number;
  grants: number;
  devices: number;
}

export interface InactivityReport {
  ranAt: Date;
  /**
   * every tenant, in name order; inactivityDays 0 means the tenant has the job switched off;
   * expiryWarnings and inactivityWarnings count the warnings this run sent
   */
  tenants: { tenantId: string; tenantName: string; inactivityDays: number; deactivated: number; expiryWarnings: number; inactivityWarnings: number }[];
  deactivated: number;
  /** users warned that their password expires soon (password.expiryWarningDays) */
  expiryWarnings: number;
  /** users warned that they will be deactivated soon (lifecycle.inactivityWarningDays) */
  inactivityWarnings: number;
}

export interface LifecycleService {
  /**
   * Status 'deactivated' (data kept), then at once: every session ended, every grant (so every
   * refresh and access token) revoked, every remembered device forgotten. 409 user.already_deactivated; 409 user.last_owner for the tenant's
   * last active owner (except for actor 'system'). `reason` (at most 200 characters) is audited.
   */
  deactivate(input: { userId: string; reason?: string } & ActorFacts): Promise<{ user: User; ended: Ended }>;
  /**
   * Back to 'active' with a forced password change at the next sign-in. A user who never
   * accepted the invitation goes back to 'invited' and gets a new invitation link instead.
   * 409 user.not_deactivated.
   */
  reactivate(input: { userId: string } & ActorFacts): Promise<{ user: User; mustChangePassword: boolean; invitationSent: boolean }>;
  /**
   * Deactivates (actor 'system', reason 'inactivity') the active users of each tenant whose last
   * sign-in, or creation when they never signed in, is older than the tenant's
   * lifecycle.inactivityDays (0: off), then sends the warnings now due (DeadlineWarnings: a
   * password about to expire, a deactivation coming), each at most once. `now` defaults to the clock.
   */
  runInactivityJob(input?: { now?: number }): Promise<InactivityReport>;
}

const DAY_MS = 86_400_000;
const BATCH = 200;

export function createLifecycleService(deps: {
  db: Database;
  clock: Clock;
  logger: Logger;
  tenants: TenantService;
  userSessions: UserSessions;
  invitations: InvitationService;
  audit: AuditLog;
  warnings: DeadlineWarnings;
}): LifecycleService {
  const { db, audit } = deps;

  // invitation links stop working by themselves (they need status 'invited'); an email change
  // link still may, as an owner may deactivate a profile and then verify a new address for it
  const endEverything = (userId: string): Promise<Ended> => deps.userSessions.endAll(userId);

  const service: LifecycleService = {
    async deactivate(input) {
      const facts = auditFacts(input);
      const reason = input.reason ?? 'unspecified';
      if (typeof reason !== 'string' || reason.length > 200) throw new AppError(400, 'request.invalid_reason', 'reason must be text of at most 200 characters');
      const entity = await loadUser(db.em(), input.userId);
      if (entity.status === 'deactivated') throw conflict('user.already_deactivated', 'The user is already deactivated');
      const from = entity.status;
      const updated = await db.em().transactional(async (em) => {
        if (entity.role === 'owner' && from === 'active' && facts.actor !== 'system') await assertAnotherOwner(db, em, entity.tenant.id, entity.id);
        return em.nativeUpdate(UserEntity, { id: entity.id, status: from }, { status: 'deactivated' });
      });
      if (updated !== 1) throw conflict('user.changed', 'The user was changed at the same time; try again');
      const ended = await endEverything(entity.id);
      await audit.record({
        ...facts,
        tenantId: entity.tenant.id,
        userId: entity.id,
        action: 'user.deactivated',
        details: { reason, previousStatus: from, ...ended },
      });
      return { user: { ...toUser(entity), status: 'deactivated' }, ended };
    },

    async reactivate(input) {
      const facts = auditFacts(input);
      const em = db.em();
      const entity = await loadUser(em, input.userId);
      if (entity.status !== 'deactivated') throw conflict('user.not_deactivated', 'Only a deactivated user can be reactivated');
      const hasPassword = entity.emailVerified && (await em.count(PasswordCredentialEntity, { user: entity.id })) > 0;
      const to: UserStatus = hasPassword ? 'active' : 'invited';
      const updated = await em.nativeUpdate(
        UserEntity,
        { id: entity.id, status: 'deactivated' },
        { status: to, ...(hasPassword ? { mustChangePassword: true } : {}) },
      );
      if (updated !== 1) throw conflict('user.changed', 'The user was changed at the same time; try again');
      const user: User = { ...toUser(entity), status: to };
      let invitationExpiresAt: Date | undefined;
      if (!hasPassword) {
        const tenant = await deps.tenants.findById(user.tenantId);
        if (tenant) invitationExpiresAt = await deps.invitations.sendLink(user, tenant);
      }
      await audit.record({
        ...facts,
        tenantId: user.tenantId,
        userId: user.id,
        action: 'user.reactivated',
        details: { status: to, mustChangePassword: hasPassword, ...(invitationExpiresAt ? { invitationExpiresAt: invitationExpiresAt.toISOString() } : {}) },
      });
      return { user, mustChangePassword: hasPassword, invitationSent: !!invitationExpiresAt };
    },

    async runInactivityJob(input = {}) {
      const now = input.now ?? deps.clock.now();
      const tenants = await db.em().find(TenantEntity, {}, { orderBy: { name: 'asc' } });
      const report: InactivityReport = { ranAt: new Date(now), tenants: [], deactivated: 0, expiryWarnings: 0, inactivityWarnings: 0 };
      await deps.warnings.prune(now);
      for (const tenant of tenants) {
        const policy = effectivePolicy(tenant.policy);
        const days = policy.lifecycle.inactivityDays;
        let count = 0;
        if (days > 0) count = await deactivateStale(tenant.id, new Date(now - days * DAY_MS), days);
        const warned = { id: tenant.id, name: tenant.name, displayName: tenant.displayName, policy };
        const inactivityWarnings = await deps.warnings.inactivity(warned, now);
        const expiryWarnings = await deps.warnings.passwordExpiry(warned, now);
        report.tenants.push({ tenantId: tenant.id, tenantName: tenant.name, inactivityDays: days, deactivated: count, expiryWarnings, inactivityWarnings });
        report.deactivated += count;
        report.expiryWarnings += expiryWarnings;
        report.inactivityWarnings += inactivityWarnings;
      }
      deps.logger.info(
        {
          deactivated: report.deactivated,
          expiryWarnings: report.expiryWarnings,
          inactivityWarnings: report.inactivityWarnings,
          tenants: report.tenants.length,
        },
        'inactivity job done',
      );
      return report;
    },
  };

  /** in batches by id; a user who signs in meanwhile is no longer stale and is skipped by the conditional update */
  async function deactivateStale(tenantId: string, cutoff: Date, days: number): Promise<number> {
    const stale = { $or: [{ lastLoginAt: { $lt: cutoff } }, { lastLoginAt: null, createdAt: { $lt: cutoff } }] };
    let count = 0;
    let after = '';
    for (;;) {
      const batch = await db
        .em()
        .find(UserEntity, { tenant: tenantId, status: 'active', ...(after ? { id: { $gt: after } } : {}), ...stale }, { orderBy: { id: 'asc' }, limit: BATCH });
      for (const user of batch) {
        if ((await db.em().nativeUpdate(UserEntity, { id: user.id, status: 'active', ...stale }, { status: 'deactivated' })) !== 1) continue;
        const ended = await endEverything(user.id);
        count += 1;
        await audit.record({
          tenantId,
          userId: user.id,
          actor: 'system',
          action: 'user.deactivated',
          details: { reason: 'inactivity', inactivityDays: days, lastLoginAt: user.lastLoginAt?.toISOString() ?? null, previousStatus: 'active', ...ended },
        });
      }
      if (batch.length < BATCH) return count;
      after = batch[batch.length - 1]!.id;
    }
  }
  return service;
}
