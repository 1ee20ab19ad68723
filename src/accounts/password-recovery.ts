import type { Logger } from '../lib/logger.ts';
import type { Tenant } from './tenants.ts';
import type { User, UserService } from './users.ts';
import type { AuditLog } from './audit.ts';
import type { Notifications } from './notifications.ts';
import { sendInBackground } from './notifications.ts';
import type { PasswordResetTokens } from './password-reset.ts';
import type { ResetRequestLimits } from './reset-request-limits.ts';

export interface PasswordRecovery {
  /**
   * forgot-password: sends a link when the email is an active user's and the tenant's hourly
   * limits (per address, per IP) allow it; says nothing either way (locale: the page's, for a
   * user with none set)
   */
  request(tenant: Tenant, email: string, context: { ip?: string; userAgent?: string; locale?: string }): Promise<void>;
  /**
   * admin/CLI: the password is compromised. It signs nothing in from now on (nor does a passkey or
   * an upstream provider), every session, refresh token, remembered device and API token of the
   * user ends, and a reset link is sent now: only that link (a new one from forgot-password, or
   * an admin's next reset) restores access.
   */
  force(tenant: Tenant, user: User, actor: string, facts?: { ip?: string; userAgent?: string }): Promise<void>;
  notifyLocked(tenant: Tenant, user: User, lockMinutes: number): Promise<void>;
  linkFor(token: string): string;
}

export function createPasswordRecovery(deps: {
  issuer: string;
  users: UserService;
  tokens: PasswordResetTokens;
  notifications: Notifications;
  audit: AuditLog;
  logger: Logger;
  limits: ResetRequestLimits;
  /** puts the account in the reset-required state and ends everything it holds */
  requireReset(userId: string, actor: string): Promise<void>;
}): PasswordRecovery {
  const linkFor = (token: string) => `${deps.issuer}/password/reset/${token}`;
  /** issued and sent in the background for anonymous requests (timing tells nothing); awaited for admins */
  const sendLink = async (tenant: Tenant, user: User, wait: boolean, requestLocale?: string) => {
    const minutes = tenant.policy.password.resetLinkMinutes;
    const issueAndSend = async () => {
      const token = await deps.tokens.issue(user.id, minutes);
      await deps.notifications.passwordReset({ ...user, ...(requestLocale ? { requestLocale } : {}) }, linkFor(token), minutes);
    };
    if (wait) await issueAndSend();
    else sendInBackground(deps.logger, 'password-reset email', issueAndSend);
  };
  return {
    linkFor,
    async request(tenant, email, context) {
      // counted before the lookup, known address or not, and both outcomes do the same work
      const verdict = await deps.limits.admit(tenant, email, context.ip);
      const user = await deps.users.findByEmail(tenant.id, email);
      const facts = {
        tenantId: tenant.id,
        actor: 'anonymous',
        ...(user ? { userId: user.id } : {}),
        ...(context.ip ? { ip: context.ip } : {}),
        ...(context.userAgent ? { userAgent: context.userAgent } : {}),
      };
      if (!verdict.ok) {
        await deps.audit.record({ ...facts, action: 'password.reset_limited', details: { limit: verdict.limit } });
        return;
      }
      await deps.audit.record({ ...facts, action: 'password.reset_requested' });
      if (user?.status === 'active') await sendLink(tenant, user, false, context.locale);
    },
    async force(tenant, user, actor, facts = {}) {
      await deps.requireReset(user.id, actor);
      await deps.audit.record({
        tenantId: tenant.id,
        userId: user.id,
        action: 'password.reset_forced',
        actor,
        ...(facts.ip ? { ip: facts.ip } : {}),
        ...(facts.userAgent ? { userAgent: facts.userAgent } : {}),
        details: { resetRequired: true },
      });
      await sendLink(tenant, user, true);
    },
    async notifyLocked(tenant, user, lockMinutes) {
      const minutes = tenant.policy.password.resetLinkMinutes;
      const token = await deps.tokens.issue(user.id, minutes);
      sendInBackground(deps.logger, 'account-locked email', () => deps.notifications.accountLocked(user, lockMinutes, linkFor(token)));
    },
  };
}
