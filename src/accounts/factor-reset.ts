import type { FactorService } from './factors.ts';
import type { DeviceService } from './devices.ts';
import type { AuditLog } from './audit.ts';
import type { Notifications } from './notifications.ts';
import type { User } from './users.ts';
import type { Logger } from '../lib/logger.ts';

export interface FactorResetDeps {
  factors: Pick<FactorService, 'removeAll'>;
  devices: Pick<DeviceService, 'revokeAll'>;
  audit: Pick<AuditLog, 'record'>;
  notifications: Pick<Notifications, 'factorsReset'>;
  logger: Logger;
}

/** who reset the factors: 'cli', or the admin API's caller with its IP and user agent */
export interface ResetBy {
  actor: string;
  ip?: string;
  userAgent?: string;
}

/** what went: confirmed factors, unused recovery codes, remembered devices */
export interface FactorResetCounts {
  factors: number;
  recoveryCodes: number;
  devices: number;
}

/**
 * An administrator's reset of a user who lost their second factor: every factor (TOTP, email,
 * SMS, voice, passkeys), the recovery codes and the remembered devices go, audited as
 * `factors.reset`, and the user is emailed. With no factor left, the next sign-in enrols one
 * again under the tenant's policy. A failed email is logged: the reset itself is done.
 */
export async function resetFactors(deps: FactorResetDeps, user: User, by: ResetBy): Promise<FactorResetCounts> {
  const removed = await deps.factors.removeAll(user.id);
  const devices = await deps.devices.revokeAll(user.id);
  const counts = { ...removed, devices };
  await deps.audit.record({
    action: 'factors.reset',
    tenantId: user.tenantId,
    userId: user.id,
    actor: by.actor,
    ...(by.ip ? { ip: by.ip } : {}),
    ...(by.userAgent ? { userAgent: by.userAgent } : {}),
    details: counts,
  });
  await deps.notifications.factorsReset(user).catch((err: unknown) => deps.logger.error({ err, what: 'factors-reset email' }, 'notification failed'));
  return counts;
}
