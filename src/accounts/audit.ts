import { randomUUID } from 'node:crypto';
import type { Database } from '../store/database.ts';
import { AuditEventEntity } from '../store/entities/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import { AppError } from '../lib/errors.ts';

export const AUDIT_ACTIONS = [
  'signin.succeeded',
  'signin.failed',
  'signin.refused_locked',
  'signin.throttled_ip',
  'signin.refused_inactive',
  'user.locked',
  'user.unlocked',
  'password.changed',
  'password.reset_requested',
  'password.reset_completed',
  'password.reset_forced',
  'password.reset_limited',
  /** the user confirmed a security notice's "This wasn't me" link (details.notice): the account now awaits its password reset */
  'account.reported_not_me',
  'sessions.ended',
  'signin.denied_network',
  'signin.refused_no_factor',
  'mfa.code_sent',
  'mfa.succeeded',
  'mfa.failed',
  'mfa.voided',
  'factor.added',
  'factor.removed',
  /** an administrator removed every factor, recovery code and remembered device of a user */
  'factors.reset',
  /** a passkey's signature counter went back: a copy of the key may exist; the proof was refused */
  'passkey.clone_warning',
  /** an account awaiting its password reset was proven by a password, a passkey or an upstream provider: refused */
  'signin.refused_reset_required',
  /** the password was declared compromised: it signs nothing in until the emailed link sets a new one */
  'password.reset_required',
  'factor.phone_refused',
  'recovery_codes.generated',
  'recovery_code.used',
  'device.remembered',
  'device.revoked',
  'devices.revoked_all',
  'signin.new_device',
  'user.invited',
  'user.invitation_resent',
  'user.verified',
  'user.deactivated',
  'user.reactivated',
  'user.email_change_requested',
  'user.email_changed',
  'user.profile_updated',
  'user.role_changed',
  'user.settings_updated',
  'user.start_page_changed',
  'device.renamed',
  'session.ended',
  'security.unlocked',
  'security.unlock_refused',
  'tenant.policy_updated',
  'client.created',
  'client.secret_rotated',
  'client.updated',
  'client.deleted',
  'api_token.created',
  'api_token.rotated',
  'api_token.revoked',
  'federation.started',
  'federation.succeeded',
  'federation.failed',
  'federation.refused',
  'federation.linked',
  'federation.provisioned',
  'federation.unlinked',
  'federation.provider_created',
  'federation.provider_updated',
  'federation.provider_deleted',
  'tenant.created',
  'tenant.updated',
  'webhook.configured',
  'webhook.removed',
  /** a service obtained a token for another API on a user's behalf (RFC 8693; details: clientId, subjectClientId, resource, scope, tokenId) */
  'token.exchanged',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEvent {
  action: AuditAction;
  tenantId?: string;
  userId?: string;
  /** 'user:<id>', 'admin:<id>', 'token:<id>' (admin API token), 'client:<id>' (an application acting for a user), 'cli', 'system' or 'anonymous' */
  actor: string;
  ip?: string;
  userAgent?: string;
  details?: Record<string, unknown>;
}

/** a stored event as the admin API lists it */
export interface StoredAuditEvent extends AuditEvent {
  id: string;
  createdAt: Date;
}

export interface AuditQuery {
  tenantId: string;
  action?: string | undefined;
  userId?: string | undefined;
  /** inclusive */
  from?: Date | undefined;
  /** exclusive */
  to?: Date | undefined;
  limit: number;
  /** from the previous page's nextCursor */
  cursor?: string | undefined;
}

/** a stored event of a tenant, as record() hands it on */
export type TenantAuditEvent = StoredAuditEvent & { tenantId: string };

/** Where each tenant event goes once stored: the webhook outbox (declared here, implemented in src/admin/webhooks). */
export interface AuditOutbox {
  enqueue(event: TenantAuditEvent): Promise<void>;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
  /** one tenant's events, newest first, a page at a time; a malformed cursor throws 400 */
  list(query: AuditQuery): Promise<{ events: StoredAuditEvent[]; nextCursor: string | null }>;
}

/**
 * Writes to audit_events, then hands a tenant's event to the outbox (which queues it for the
 * tenant's webhook, if any). A failed write is logged, never lost silently, and never breaks the caller.
 * `observe` hears of every event first, stored or not (it feeds the security metrics).
 */
export function createAuditLog(deps: { db: Database; clock: Clock; logger: Logger; outbox?: AuditOutbox; observe?: (event: AuditEvent) => void }): AuditLog {
  return {
    async record(event) {
      deps.observe?.(event);
      const stored: StoredAuditEvent = {
        ...event,
        id: randomUUID(),
        createdAt: new Date(deps.clock.now()),
        ...(event.ip ? { ip: event.ip.slice(0, 64) } : {}),
        ...(event.userAgent ? { userAgent: event.userAgent.slice(0, 512) } : {}),
      };
      try {
        // one INSERT, no unit of work: this runs on every sign-in
        await deps.db.em().insert(AuditEventEntity, {
          id: stored.id,
          action: stored.action,
          actor: stored.actor,
          tenantId: stored.tenantId ?? null,
          userId: stored.userId ?? null,
          ip: stored.ip ?? null,
          userAgent: stored.userAgent ?? null,
          details: stored.details ?? null,
          createdAt: stored.createdAt,
        });
      } catch (err) {
        deps.logger.error({ err, action: event.action, tenantId: event.tenantId }, 'audit write failed');
        return;
      }
      if (!deps.outbox || !stored.tenantId) return;
      try {
        await deps.outbox.enqueue(stored as TenantAuditEvent);
      } catch (err) {
        deps.logger.error({ err, action: event.action, tenantId: event.tenantId }, 'audit webhook enqueue failed');
      }
    },

    async list(query) {
      const after = query.cursor === undefined ? undefined : readCursor(query.cursor);
      const rows = await deps.db.em().find(
        AuditEventEntity,
        {
          tenantId: query.tenantId,
          ...(query.action ? { action: query.action } : {}),
          ...(query.userId ? { userId: query.userId } : {}),
          ...(query.from || query.to ? { createdAt: { ...(query.from ? { $gte: query.from } : {}), ...(query.to ? { $lt: query.to } : {}) } } : {}),
          // keyset paging: rows strictly older than the last one shown (id breaks ties)
          ...(after ? { $or: [{ createdAt: { $lt: after.at } }, { createdAt: after.at, id: { $lt: after.id } }] } : {}),
        },
        { orderBy: { createdAt: 'desc', id: 'desc' }, limit: query.limit + 1 },
      );
      const page = rows.slice(0, query.limit);
      const last = page.at(-1);
      return {
        events: page.map((r) => ({
          id: r.id,
          action: r.action as AuditAction,
          actor: r.actor,
          createdAt: r.createdAt,
          ...(r.tenantId ? { tenantId: r.tenantId } : {}),
          ...(r.userId ? { userId: r.userId } : {}),
          ...(r.ip ? { ip: r.ip } : {}),
          ...(r.userAgent ? { userAgent: r.userAgent } : {}),
          ...(r.details ? { details: r.details } : {}),
        })),
        nextCursor: rows.length > query.limit && last ? writeCursor(last.createdAt, last.id) : null,
      };
    },
  };
}

const writeCursor = (at: Date, id: string) => Buffer.from(JSON.stringify([at.getTime(), id])).toString('base64url');

function readCursor(cursor: string): { at: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (typeof at === 'number' && Number.isFinite(at) && typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)) return { at: new Date(at), id };
  } catch {
    /* refused below */
  }
  throw new AppError(400, 'audit.invalid_cursor', 'The cursor is not one this API returned');
}
