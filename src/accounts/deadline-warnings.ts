import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Database } from '../store/database.ts';
import { PasswordCredentialEntity, SentNoticeEntity, UserEntity } from '../store/entities/index.ts';
import type { SentNoticeKind } from '../store/entities/sent-notice.ts';
import type { Logger } from '../lib/logger.ts';
import type { TenantPolicy } from '../policy/tenant-policy.ts';
import type { Mailer } from './mailer.ts';
import { sendEmail, type EmailComposer } from './notifications.ts';
import { toUser } from './users.ts';

const DAY_MS = 86_400_000;
const BATCH = 200;
/** a sent warning is kept this long past its deadline (no warning of a passed deadline is due) */
const KEEP_AFTER_DEADLINE_MS = 7 * DAY_MS;

/** the tenant as the daily job reads it */
export interface WarnedTenant {
  id: string;
  name: string;
  displayName: string;
  policy: TenantPolicy;
}

/**
 * The daily job's warnings of coming deadlines: a password's expiry (password.maxAgeDays,
 * password.expiryWarningDays) and a deactivation for inactivity (lifecycle.inactivityDays,
 * lifecycle.inactivityWarningDays). Each warning is claimed in sent_notices before its email
 * goes out, so it is sent at most once per user, kind, deadline and number of days, whichever
 * runs of the job, on whichever replicas, find it due.
 */
export interface DeadlineWarnings {
  /** warns the tenant's users whose password expires within one of the warning days; how many were sent */
  passwordExpiry(tenant: WarnedTenant, now: number): Promise<number>;
  /** warns the tenant's users who will be deactivated for inactivity within the warning days; how many were sent */
  inactivity(tenant: WarnedTenant, now: number): Promise<number>;
  /** forgets warnings whose deadline passed a week ago */
  prune(now: number): Promise<number>;
}

/** the smallest of the warning days the deadline is within (the nearest warning due), if any */
export function dueWarning(deadline: number, now: number, days: readonly number[]): number | undefined {
  if (deadline <= now) return undefined;
  const due = days.filter((d) => deadline - now <= d * DAY_MS);
  return due.length ? Math.min(...due) : undefined;
}

export function createDeadlineWarnings(deps: { db: Database; logger: Logger; issuer: string; mailer: Mailer; composer: EmailComposer }): DeadlineWarnings {
  const { db } = deps;
  const consoleLink = (tenant: WarnedTenant, target: 'security' | 'overview') =>
    `${deps.issuer}/account/sign-in?tenant=${encodeURIComponent(tenant.name)}&return=${target}`;

  /** true for exactly one caller: the row is the warning's claim */
  const claim = async (row: { id: string; userId: string; kind: SentNoticeKind; deadline: Date; daysBefore: number; sentAt: Date }) => {
    try {
      await db
        .em()
        .insert(SentNoticeEntity, { id: row.id, user: row.userId, kind: row.kind, deadline: row.deadline, daysBefore: row.daysBefore, sentAt: row.sentAt });
      return true;
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) return false;
      throw err;
    }
  };

  /** claims the warning, then sends it; a failed email gives the claim back for the next run */
  const warn = async (
    user: Parameters<typeof toUser>[0],
    kind: SentNoticeKind,
    deadline: Date,
    daysBefore: number,
    now: number,
    email: { template: string; data: Record<string, unknown> },
  ): Promise<boolean> => {
    const id = randomUUID();
    if (!(await claim({ id, userId: user.id, kind, deadline, daysBefore, sentAt: new Date(now) }))) return false;
    try {
      await sendEmail(deps, toUser(user), email.template, email.data);
      return true;
    } catch (err) {
      deps.logger.error({ err, what: `${kind} warning`, userId: user.id }, 'notification failed');
      await db.em().nativeDelete(SentNoticeEntity, { id });
      return false;
    }
  };

  return {
    async passwordExpiry(tenant, now) {
      const { maxAgeDays, expiryWarningDays } = tenant.policy.password;
      if (maxAgeDays <= 0 || expiryWarningDays.length === 0) return 0;
      const maxAge = maxAgeDays * DAY_MS;
      // changed so long ago that the password expires within the longest warning, but not yet
      const changed = { $gt: new Date(now - maxAge), $lte: new Date(now - maxAge + Math.max(...expiryWarningDays) * DAY_MS) };
      let sent = 0;
      let after = '';
      for (;;) {
        const batch = await db.em().find(
          PasswordCredentialEntity,
          {
            changedAt: changed,
            user: { tenant: tenant.id, status: 'active', emailVerified: true, mustChangePassword: false, resetRequiredAt: null },
            ...(after ? { id: { $gt: after } } : {}),
          },
          { populate: ['user'], orderBy: { id: 'asc' }, limit: BATCH },
        );
        for (const credential of batch) {
          const deadline = credential.changedAt.getTime() + maxAge;
          const days = dueWarning(deadline, now, expiryWarningDays);
          if (days === undefined) continue;
          const sentNow = await warn(credential.user, 'password_expiry', new Date(deadline), days, now, {
            template: 'password-expiry-warning',
            data: { tenant: tenant.displayName, expires: new Date(deadline), link: consoleLink(tenant, 'security') },
          });
          if (sentNow) sent += 1;
        }
        if (batch.length < BATCH) return sent;
        after = batch[batch.length - 1]!.id;
      }
    },

    async inactivity(tenant, now) {
      const { inactivityDays, inactivityWarningDays } = tenant.policy.lifecycle;
      if (inactivityDays <= 0 || inactivityWarningDays <= 0) return 0;
      const period = inactivityDays * DAY_MS;
      // still active (the job deactivates at the cutoff), and deactivated within the warning days
      const since = { $gte: new Date(now - period), $lte: new Date(now - period + inactivityWarningDays * DAY_MS) };
      const within = { $or: [{ lastLoginAt: since }, { lastLoginAt: null, createdAt: since }] };
      let sent = 0;
      let after = '';
      for (;;) {
        const batch = await db
          .em()
          .find(
            UserEntity,
            { tenant: tenant.id, status: 'active', ...(after ? { id: { $gt: after } } : {}), ...within },
            { orderBy: { id: 'asc' }, limit: BATCH },
          );
        for (const user of batch) {
          const deadline = (user.lastLoginAt ?? user.createdAt).getTime() + period;
          if (dueWarning(deadline, now, [inactivityWarningDays]) === undefined) continue;
          const sentNow = await warn(user, 'inactivity', new Date(deadline), inactivityWarningDays, now, {
            template: 'inactivity-warning',
            data: { tenant: tenant.displayName, deactivates: new Date(deadline), link: consoleLink(tenant, 'overview') },
          });
          if (sentNow) sent += 1;
        }
        if (batch.length < BATCH) return sent;
        after = batch[batch.length - 1]!.id;
      }
    },

    prune: (now) => db.em().nativeDelete(SentNoticeEntity, { deadline: { $lt: new Date(now - KEEP_AFTER_DEADLINE_MS) } }),
  };
}
