import { randomUUID } from 'node:crypto';
import type { Database } from '../store/database.ts';
import { UserEntity } from '../store/entities/index.ts';
import { AppError, conflict, notFound } from '../lib/errors.ts';
import type { Clock } from '../lib/clock.ts';
import type { PasswordFailure } from '../policy/password-rules.ts';
import type { AuditLog } from './audit.ts';
import type { TenantService, Tenant } from './tenants.ts';
import { parseNewUser, toUser, type User } from './users.ts';
import type { PasswordService } from './passwords.ts';
import type { VerificationLinks, LinkState } from './verification-links.ts';
import type { LifecycleMail } from './lifecycle-mail.ts';
import { auditFacts, loadUser, parseName, type ActorFacts } from './account-admin.ts';

export type InvalidLink = Extract<LinkState, { valid: false }>['reason'];

export type InvitationState = { valid: true; user: User; tenant: Tenant } | { valid: false; reason: InvalidLink };

export type AcceptOutcome =
  | { status: 'invalid'; reason: InvalidLink }
  /** the password breaks the tenant's rules: nothing changed, the link still works */
  | { status: 'refused'; failures: PasswordFailure[]; feedback: string[] }
  | { status: 'accepted'; user: User; tenant: Tenant };

export interface InvitationService {
  /**
   * Creates the user in status 'invited' (no password, email not verified) and emails a link to
   * /invitation/<token>, valid for the tenant's lifecycle.invitationHours. 409 user.exists when
   * the tenant has a user with this email; 400 for a bad email, role or name.
   */
  invite(
    input: { tenantId: string; email: string; firstName?: string; lastName?: string; role?: string } & ActorFacts,
  ): Promise<{ user: User; expiresAt: Date }>;
  /** a new link for an invited user; the older ones stop working. 409 user.not_invited otherwise */
  resendInvitation(input: { userId: string } & ActorFacts): Promise<{ user: User; expiresAt: Date }>;
  /** what the invitation page shows for a token */
  inspect(token: string): Promise<InvitationState>;
  /**
   * The invitation page's form: sets the password under the tenant's rules, marks the email
   * verified and the user active. The link is consumed only when the password is accepted.
   */
  accept(input: { token: string; password: string; ip?: string; userAgent?: string }): Promise<AcceptOutcome>;
  /** emails a fresh invitation link to the user's current address (also used by reactivation and email change) */
  sendLink(user: User, tenant: Tenant): Promise<Date>;
  linkFor(token: string): string;
}

export function createInvitationService(deps: {
  db: Database;
  clock: Clock;
  issuer: string;
  tenants: TenantService;
  passwords: PasswordService;
  links: VerificationLinks;
  mail: LifecycleMail;
  audit: AuditLog;
}): InvitationService {
  const { db, clock, links, audit } = deps;
  const linkFor = (token: string) => `${deps.issuer}/invitation/${token}`;
  const tenantOf = async (tenantId: string) => {
    const tenant = await deps.tenants.findById(tenantId);
    if (!tenant) throw notFound('tenant.not_found', 'No such tenant');
    return tenant;
  };

  const service: InvitationService = {
    linkFor,

    async sendLink(user, tenant) {
      const hours = tenant.policy.lifecycle.invitationHours;
      const { token, expiresAt } = await links.issue(user.id, 'invitation', hours * 60);
      // awaited: the admin learns at once when the mail could not be handed over
      await deps.mail.invitation(user, { tenant: tenant.displayName, link: linkFor(token), hours });
      return expiresAt;
    },

    async invite(input) {
      const facts = auditFacts(input);
      const { email, role } = parseNewUser(input);
      const firstName = parseName(input.firstName ?? '', 'firstName');
      const lastName = parseName(input.lastName ?? '', 'lastName');
      const tenant = await tenantOf(input.tenantId);
      const em = db.em();
      if (await em.findOne(UserEntity, { tenant: tenant.id, email })) {
        throw conflict('user.exists', 'A user with this email already exists in the tenant');
      }
      const entity = em.create(UserEntity, {
        id: randomUUID(),
        tenant: tenant.id,
        email,
        emailVerified: false,
        firstName,
        lastName,
        role,
        status: 'invited',
        mustChangePassword: false,
        createdAt: new Date(clock.now()),
      });
      try {
        await em.flush();
      } catch (err) {
        // the same email invited twice at once: the unique index decides
        if ((err as { name?: string }).name === 'UniqueConstraintViolationException')
          throw conflict('user.exists', 'A user with this email already exists in the tenant');
        throw err;
      }
      const user = toUser(entity);
      await audit.record({ ...facts, tenantId: tenant.id, userId: user.id, action: 'user.invited', details: { email, role } });
      const expiresAt = await service.sendLink(user, tenant);
      return { user, expiresAt };
    },

    async resendInvitation(input) {
      const facts = auditFacts(input);
      const entity = await loadUser(db.em(), input.userId);
      if (entity.status !== 'invited') throw conflict('user.not_invited', 'Only a user who has not accepted the invitation yet can get it again');
      const user = toUser(entity);
      const tenant = await tenantOf(user.tenantId);
      const expiresAt = await service.sendLink(user, tenant);
      await audit.record({ ...facts, tenantId: tenant.id, userId: user.id, action: 'user.invitation_resent', details: { expiresAt: expiresAt.toISOString() } });
      return { user, expiresAt };
    },

    async inspect(token) {
      const state = await links.inspect(token, 'invitation');
      if (!state.valid) return state;
      const entity = await db.em().findOne(UserEntity, { id: state.userId });
      // deactivated (or otherwise changed) since the link was sent
      if (entity?.status !== 'invited') return { valid: false, reason: 'unknown' };
      const user = toUser(entity);
      return { valid: true, user, tenant: await tenantOf(user.tenantId) };
    },

    async accept(input) {
      if (typeof input.password !== 'string') throw new AppError(400, 'request.invalid', 'password must be text');
      const state = await service.inspect(input.token);
      if (!state.valid) return { status: 'invalid', reason: state.reason };
      const { user, tenant } = state;
      const decision = await deps.passwords.evaluate(input.password, { user, tenantName: tenant.displayName, policy: tenant.policy });
      if (!decision.ok) return { status: 'refused', failures: decision.failures, feedback: decision.feedback };
      // single use: only the request that consumes the link sets the password
      if (!(await links.consume(input.token, 'invitation'))) return { status: 'invalid', reason: 'used' };
      await deps.passwords.save(input.password, user.id);
      const activated = await db.em().nativeUpdate(UserEntity, { id: user.id, status: 'invited' }, { status: 'active', emailVerified: true });
      if (activated !== 1) return { status: 'invalid', reason: 'unknown' };
      await audit.record({
        tenantId: tenant.id,
        userId: user.id,
        actor: `user:${user.id}`,
        action: 'user.verified',
        ...(input.ip ? { ip: input.ip } : {}),
        ...(input.userAgent ? { userAgent: input.userAgent } : {}),
        details: { via: 'invitation', email: user.email },
      });
      return { status: 'accepted', user: { ...user, status: 'active', emailVerified: true }, tenant };
    },
  };
  return service;
}
