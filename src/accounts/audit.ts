import { randomUUID } from 'node:crypto';
import type { Database } from '../store/database.ts';
import { AuditEventEntity } from '../store/entities/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';

export const AUDIT_ACTIONS = [
  'signin.succeeded', 'signin.failed', 'signin.refused_locked', 'signin.throttled_ip',
  'user.locked', 'user.unlocked', 'password.changed', 'password.reset_requested', 'password.reset_completed',
  'password.reset_forced', 'sessions.ended',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEvent {
  action: AuditAction;
  tenantId?: string;
  userId?: string;
  /** 'user:<id>', 'admin:<id>', 'cli', 'system' or 'anonymous' */
  actor: string;
  ip?: string;
  userAgent?: string;
  details?: Record<string, unknown>;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
  list(filter: { tenantId?: string; userId?: string; action?: AuditAction; limit?: number }): Promise<(AuditEvent & { id: string; createdAt: Date })[]>;
}

/** Writes to audit_events. A failed write is logged, never lost silently, and never breaks the caller. */
export function createAuditLog(deps: { db: Database; clock: Clock; logger: Logger }): AuditLog {
  return {
    async record(event) {
      try {
        // one INSERT, no unit of work: this runs on every sign-in
        await deps.db.em().insert(AuditEventEntity, {
          id: randomUUID(), action: event.action, actor: event.actor,
          tenantId: event.tenantId ?? null, userId: event.userId ?? null,
          ip: event.ip?.slice(0, 64) ?? null, userAgent: event.userAgent?.slice(0, 512) ?? null,
          details: event.details ?? null, createdAt: new Date(deps.clock.now()),
        });
      } catch (err) {
        deps.logger.error({ err, action: event.action, tenantId: event.tenantId }, 'audit write failed');
      }
    },
    async list(filter) {
      const rows = await deps.db.em().find(AuditEventEntity, {
        ...(filter.tenantId ? { tenantId: filter.tenantId } : {}),
        ...(filter.userId ? { userId: filter.userId } : {}),
        ...(filter.action ? { action: filter.action } : {}),
      }, { orderBy: { createdAt: 'desc' }, limit: Math.min(filter.limit ?? 100, 1000) });
      return rows.map((r) => ({
        id: r.id, action: r.action as AuditAction, actor: r.actor, createdAt: r.createdAt,
        ...(r.tenantId ? { tenantId: r.tenantId } : {}), ...(r.userId ? { userId: r.userId } : {}),
        ...(r.ip ? { ip: r.ip } : {}), ...(r.userAgent ? { userAgent: r.userAgent } : {}),
        ...(r.details ? { details: r.details } : {}),
      }));
    },
  };
}
