import type { Database } from '../store/database.ts';
import { UserEntity } from '../store/entities/index.ts';
import type { Logger } from '../lib/logger.ts';
import type { AuditLog } from './audit.ts';
import type { Mailer } from './mailer.ts';
import { NOT_ME_NOTICES, type NotMeNotice } from './not-me-links.ts';
import { sendEmail, sendInBackground, type EmailComposer } from './notifications.ts';
import type { PasswordRecovery } from './password-recovery.ts';
import type { Tenant, TenantService } from './tenants.ts';
import { toUser, type User, type UserService } from './users.ts';
import type { LinkState, VerificationLinks } from './verification-links.ts';

type InvalidLink = Extract<LinkState, { valid: false }>['reason'];
export type NotMeState = { valid: true; user: User; tenant: Tenant; notice: NotMeNotice } | { valid: false; reason: InvalidLink };
export type NotMeOutcome = { status: 'secured'; user: User; tenant: Tenant } | { status: 'invalid'; reason: InvalidLink };

/**
 * What the link does once its page is confirmed: the account goes into the reset-required state
 * (PasswordRecovery.force: the password signs nothing in, every session, refresh token,
 * remembered device and API token ends, a reset link is emailed), the tenant's other active
 * owners are told by email, and `account.reported_not_me` names the notice.
 */
export interface NotMeReports {
  inspect(token: string): Promise<NotMeState>;
  /** single use: of two confirmations at the same moment only one acts */
  confirm(input: { token: string; ip?: string; userAgent?: string }): Promise<NotMeOutcome>;
}

const isNotice = (value: string | null): value is NotMeNotice => (NOT_ME_NOTICES as readonly (string | null)[]).includes(value);

export function createNotMeReports(deps: {
  db: Database;
  links: VerificationLinks;
  users: UserService;
  tenants: TenantService;
  recovery: PasswordRecovery;
  audit: AuditLog;
  mailer: Mailer;
  composer: EmailComposer;
  logger: Logger;
}): NotMeReports {
  const reports: NotMeReports = {
    async inspect(token) {
      const state = await deps.links.inspect(token, 'not_me');
      if (!state.valid) return state;
      const user = await deps.users.findById(state.userId);
      const tenant = user ? await deps.tenants.findById(user.tenantId) : undefined;
      // a deactivated or invited account has nothing left to secure
      if (!user || !tenant || user.status !== 'active' || !isNotice(state.notice)) return { valid: false, reason: 'unknown' };
      return { valid: true, user, tenant, notice: state.notice };
    },

    async confirm(input) {
      const state = await reports.inspect(input.token);
      if (!state.valid) return { status: 'invalid', reason: state.reason };
      if (!(await deps.links.consume(input.token, 'not_me'))) {
        const now = await deps.links.inspect(input.token, 'not_me');
        return { status: 'invalid', reason: now.valid ? 'used' : now.reason };
      }
      const { user, tenant, notice } = state;
      const actor = `user:${user.id}`;
      const facts = { ...(input.ip ? { ip: input.ip } : {}), ...(input.userAgent ? { userAgent: input.userAgent } : {}) };
      // the report is recorded and the owners told first: they stand even if the reset email fails
      await deps.audit.record({ tenantId: tenant.id, userId: user.id, actor, action: 'account.reported_not_me', ...facts, details: { notice } });
      const owners = await deps.db
        .em()
        .find(UserEntity, { tenant: tenant.id, role: 'owner', status: 'active', id: { $ne: user.id } }, { orderBy: { email: 'asc' } });
      const reporter = [user.firstName, user.lastName].filter(Boolean).join(' ') || user.email;
      for (const owner of owners) {
        sendInBackground(deps.logger, 'not-me-reported email', () =>
          sendEmail(deps, toUser(owner), 'not-me-reported', {
            user: user.email,
            reporter,
            tenant: tenant.displayName,
            noticeKey: `email.${notice}.subject`,
          }),
        );
      }
      await deps.recovery.force(tenant, user, actor, facts);
      return { status: 'secured', user, tenant };
    },
  };
  return reports;
}
