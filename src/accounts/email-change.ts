import type { Database } from '../store/database.ts';
import { UserEntity } from '../store/entities/index.ts';
import { AppError, conflict, notFound } from '../lib/errors.ts';
import type { Logger } from '../lib/logger.ts';
import type { AuditLog } from './audit.ts';
import type { TenantService, Tenant } from './tenants.ts';
import { toUser, type User } from './users.ts';
import { emailSchema } from './normalize.ts';
import { sendInBackground } from './notifications.ts';
import type { VerificationLinks } from './verification-links.ts';
import type { LifecycleMail } from './lifecycle-mail.ts';
import type { InvitationService, InvalidLink } from './invitations.ts';
import { auditFacts, loadUser, type ActorFacts } from './account-admin.ts';

export type EmailChangeState = { valid: true; user: User; tenant: Tenant; newEmail: string } | { valid: false; reason: InvalidLink };

export type EmailChangeOutcome =
  | { status: 'invalid'; reason: InvalidLink }
  /** another user of the tenant took the address meanwhile: nothing changed */
  | { status: 'taken' }
  | { status: 'changed'; user: User; tenant: Tenant; previousEmail: string };

export interface EmailChangeService {
  /**
   * An admin's change of a user's email address. For a user who has signed up, a link valid for
   * lifecycle.invitationHours goes to the NEW address, and the change is made only when it is
   * confirmed there (the old address is then told). For a user still invited, the address is
   * changed at once and a new invitation goes to it (accepting it verifies the address).
   * 400 user.invalid_email / user.email_unchanged, 409 user.exists.
   */
  requestEmailChange(input: { userId: string; newEmail: string } & ActorFacts): Promise<{ user: User; pending: boolean; expiresAt: Date }>;
  inspect(token: string): Promise<EmailChangeState>;
  /** the confirmation from the new mailbox: applies the change, marks the address verified */
  confirm(input: { token: string; ip?: string; userAgent?: string }): Promise<EmailChangeOutcome>;
  linkFor(token: string): string;
}

const isUniqueViolation = (err: unknown) => (err as { name?: string }).name === 'UniqueConstraintViolationException';

export function createEmailChangeService(deps: {
  db: Database;
  issuer: string;
  logger: Logger;
  tenants: TenantService;
  links: VerificationLinks;
  mail: LifecycleMail;
  invitations: InvitationService;
  audit: AuditLog;
}): EmailChangeService {
  const { db, links, audit } = deps;
  const linkFor = (token: string) => `${deps.issuer}/email-change/${token}`;
  const tenantOf = async (tenantId: string) => {
    const tenant = await deps.tenants.findById(tenantId);
    if (!tenant) throw notFound('tenant.not_found', 'No such tenant');
    return tenant;
  };
  const taken = async (tenantId: string, email: string) => !!(await db.em().findOne(UserEntity, { tenant: tenantId, email }, { fields: ['id'] }));

  const service: EmailChangeService = {
    linkFor,

    async requestEmailChange(input) {
      const facts = auditFacts(input);
      const parsed = emailSchema.safeParse(input.newEmail);
      if (!parsed.success) throw new AppError(400, 'user.invalid_email', 'Email must be a valid email address');
      const newEmail = parsed.data;
      const entity = await loadUser(db.em(), input.userId);
      const user = toUser(entity);
      if (user.email === newEmail) throw new AppError(400, 'user.email_unchanged', "That is already the user's email address");
      if (await taken(user.tenantId, newEmail)) throw conflict('user.exists', 'A user with this email already exists in the tenant');
      const tenant = await tenantOf(user.tenantId);
      const base = { ...facts, tenantId: tenant.id, userId: user.id };
      if (user.status === 'invited') {
        try {
          await db.em().nativeUpdate(UserEntity, { id: user.id, status: 'invited' }, { email: newEmail, emailVerified: false });
        } catch (err) {
          if (isUniqueViolation(err)) throw conflict('user.exists', 'A user with this email already exists in the tenant');
          throw err;
        }
        const moved = { ...user, email: newEmail };
        await audit.record({
          ...base,
          action: 'user.email_changed',
          details: { before: { email: user.email }, after: { email: newEmail }, via: 'invitation' },
        });
        const expiresAt = await deps.invitations.sendLink(moved, tenant);
        return { user: moved, pending: false, expiresAt };
      }
      const hours = tenant.policy.lifecycle.invitationHours;
      const { token, expiresAt } = await links.issue(user.id, 'email_change', hours * 60, { newEmail });
      await deps.mail.emailChange({ email: newEmail, firstName: user.firstName }, { tenant: tenant.displayName, link: linkFor(token), hours });
      await audit.record({
        ...base,
        action: 'user.email_change_requested',
        details: { before: { email: user.email }, after: { email: newEmail }, expiresAt: expiresAt.toISOString() },
      });
      return { user, pending: true, expiresAt };
    },

    async inspect(token) {
      const state = await links.inspect(token, 'email_change');
      if (!state.valid) return state;
      const entity = await db.em().findOne(UserEntity, { id: state.userId });
      if (!entity || !state.newEmail) return { valid: false, reason: 'unknown' };
      const user = toUser(entity);
      return { valid: true, user, tenant: await tenantOf(user.tenantId), newEmail: state.newEmail };
    },

    async confirm(input) {
      const state = await service.inspect(input.token);
      if (!state.valid) return { status: 'invalid', reason: state.reason };
      const { user, tenant, newEmail } = state;
      if (await taken(tenant.id, newEmail)) return { status: 'taken' };
      if (!(await links.consume(input.token, 'email_change'))) return { status: 'invalid', reason: 'used' };
      let updated: number;
      try {
        updated = await db.em().nativeUpdate(UserEntity, { id: user.id, email: user.email }, { email: newEmail, emailVerified: true });
      } catch (err) {
        if (isUniqueViolation(err)) return { status: 'taken' };
        throw err;
      }
      if (updated !== 1) return { status: 'invalid', reason: 'replaced' };
      await audit.record({
        tenantId: tenant.id,
        userId: user.id,
        actor: `user:${user.id}`,
        action: 'user.email_changed',
        ...(input.ip ? { ip: input.ip } : {}),
        ...(input.userAgent ? { userAgent: input.userAgent } : {}),
        details: { before: { email: user.email }, after: { email: newEmail }, via: 'verification' },
      });
      sendInBackground(deps.logger, 'email-changed email', () => deps.mail.emailChanged(user, { tenant: tenant.displayName, newEmail }));
      return { status: 'changed', user: { ...user, email: newEmail, emailVerified: true }, tenant, previousEmail: user.email };
    },
  };
  return service;
}
