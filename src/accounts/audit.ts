import { randomUUID } from 'node:crypto';
import type { Database } from '../store/database.ts';
import { AuditEventEntity } from '../store/entities/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';

export const AUDIT_ACTIONS = [
  'signin.succeeded', 'signin.failed', 'signin.refused_locked', 'signin.throttled_ip',
  'user.locked', 'user.unlocked', 'password.changed', 'password.reset_requested', 'password.reset_completed',
  'password.reset_forced', 'sessions.ended',
  'signin.denied_network', 'mfa.code_sent', 'mfa.succeeded', 'mfa.failed', 'mfa.voided',
  'factor.added', 'factor.removed', 'recovery_codes.generated', 'recovery_code.used',
  'device.remembered', 'device.revoked', 'devices.revoked_all', 'signin.new_device',
  'user.invited', 'user.invitation_resent', 'user.verified', 'user.deactivated', 'user.reactivated',
  'user.email_change_requested', 'user.email_changed', 'user.profile_updated', 'user.role_changed',
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
  };
}
