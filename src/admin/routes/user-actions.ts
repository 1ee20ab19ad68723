import { z } from 'zod';
import { emailSchema } from '../../accounts/normalize.ts';
import { conflict, notFound } from '../../lib/errors.ts';
import { resetFactors } from '../../accounts/factor-reset.ts';
import { tenantRoute, type AdminRoute } from '../route.ts';
import { auditBy } from '../caller.ts';
import { timestamp } from '../schemas.ts';
import { requireOwnerFor, userParam, userSchema, userView } from './user-view.ts';

const ended = z.object({ sessions: z.number().int(), grants: z.number().int(), devices: z.number().int() });

/** POST /tenants/{tenant}/users/{userId}/<action>: each acts on one user of the tenant */
export const userActionRoutes: AdminRoute[] = [
  tenantRoute({
    method: 'post',
    path: '/users/{userId}/deactivate',
    operationId: 'deactivateUser',
    tag: 'users',
    scope: 'admin:write',
    summary: 'Deactivate a user',
    description: 'The data is kept; sign-in is refused and every session, refresh/access token grant and remembered device ends at once.',
    params: userParam,
    body: z
      .object({ reason: z.string().max(200).optional() })
      .strict()
      .optional(),
    status: 200,
    response: z.object({ user: userSchema, ended }),
    errors: [404, 409, 413, 415],
    handle: async ({ deps, tenant, params, body, caller, ctx }) => {
      const target = await deps.directory.get(tenant.id, params.userId);
      requireOwnerFor(caller, target);
      const done = await deps.lifecycle.deactivate({ userId: target.id, ...(body?.reason ? { reason: body.reason } : {}), ...auditBy(ctx, caller) });
      return { user: userView(await deps.directory.get(tenant.id, target.id)), ended: done.ended };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/users/{userId}/reactivate',
    operationId: 'reactivateUser',
    tag: 'users',
    scope: 'admin:write',
    summary: 'Reactivate a user',
    description:
      'By default the next sign-in must change the password; with `password: "reset-required"` the old password signs nothing in and a reset link is ' +
      'emailed (as force-password-reset). A user who never accepted the invitation gets a new one either way.',
    params: userParam,
    body: z
      .object({
        password: z.enum(['change-at-sign-in', 'reset-required']).optional().describe('what the old password may still do (default change-at-sign-in)'),
      })
      .strict()
      .optional(),
    status: 200,
    response: z.object({ user: userSchema, mustChangePassword: z.boolean(), resetRequired: z.boolean(), invitationSent: z.boolean() }),
    errors: [404, 409, 413, 415],
    handle: async ({ deps, tenant, params, body, caller, ctx }) => {
      const target = await deps.directory.get(tenant.id, params.userId);
      requireOwnerFor(caller, target);
      const by = auditBy(ctx, caller);
      const done = await deps.lifecycle.reactivate({ userId: target.id, ...by });
      const resetRequired = body?.password === 'reset-required' && done.user.status === 'active';
      if (resetRequired) {
        const { actor, ...facts } = by;
        await deps.recovery.force(tenant, done.user, actor, facts);
      }
      return {
        user: userView(await deps.directory.get(tenant.id, target.id)),
        mustChangePassword: done.mustChangePassword && !resetRequired,
        resetRequired,
        invitationSent: done.invitationSent,
      };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/users/{userId}/resend-invitation',
    operationId: 'resendInvitation',
    tag: 'users',
    scope: 'admin:write',
    summary: 'Send a new invitation link',
    description: 'Older links stop working. 409 user.not_invited once the user has accepted.',
    params: userParam,
    status: 200,
    response: z.object({ user: userSchema, invitationExpiresAt: timestamp }),
    errors: [404, 409],
    handle: async ({ deps, tenant, params, caller, ctx }) => {
      const target = await deps.directory.get(tenant.id, params.userId);
      const sent = await deps.invitations.resendInvitation({ userId: target.id, ...auditBy(ctx, caller) });
      return { user: userView(await deps.directory.get(tenant.id, target.id)), invitationExpiresAt: sent.expiresAt.toISOString() };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/users/{userId}/email-change',
    operationId: 'changeUserEmail',
    tag: 'users',
    scope: 'admin:write',
    summary: "Change a user's email address through verification",
    description:
      'A signed-up user keeps the old address until the link sent to the new one is followed (pending true); an invited user is re-invited at the new address at once.',
    params: userParam,
    body: z.object({ email: emailSchema }).strict(),
    status: 202,
    response: z.object({ user: userSchema, pending: z.boolean(), expiresAt: timestamp }),
    errors: [404, 409, 413, 415],
    handle: async ({ deps, tenant, params, body, caller, ctx }) => {
      const target = await deps.directory.get(tenant.id, params.userId);
      requireOwnerFor(caller, target);
      const change = await deps.emailChanges.requestEmailChange({ userId: target.id, newEmail: body.email, ...auditBy(ctx, caller) });
      return { user: userView(await deps.directory.get(tenant.id, target.id)), pending: change.pending, expiresAt: change.expiresAt.toISOString() };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/users/{userId}/unlock',
    operationId: 'unlockUser',
    tag: 'users',
    scope: 'admin:write',
    summary: 'End a lockout',
    params: userParam,
    status: 200,
    response: z.object({ wasLocked: z.boolean() }),
    errors: [404],
    handle: async ({ deps, tenant, params, caller, ctx }) => {
      const target = await deps.directory.get(tenant.id, params.userId);
      const { actor, ...facts } = auditBy(ctx, caller);
      return { wasLocked: await deps.guard.unlock(tenant, target.email, actor, facts) };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/users/{userId}/force-password-reset',
    operationId: 'forcePasswordReset',
    tag: 'users',
    scope: 'admin:write',
    summary: 'Require a new password (the password is compromised)',
    description:
      'From now on the password signs nothing in (nor does a passkey or an upstream provider): every session, refresh token, remembered device and API token ' +
      'of the user ends, and a reset link is emailed now; only that link (or a new one from "forgot password") restores access. ' +
      'Active users only (409 user.not_active). An expired password (the tenant’s maximum age) is different: it is changed at the next sign-in.',
    params: userParam,
    status: 200,
    response: z.object({ resetRequired: z.literal(true), resetLinkSent: z.literal(true) }),
    errors: [404, 409],
    handle: async ({ deps, tenant, params, caller, ctx }) => {
      const target = await deps.directory.get(tenant.id, params.userId);
      if (target.status !== 'active') throw conflict('user.not_active', `The user is ${target.status}`);
      const user = await deps.users.findById(target.id);
      const { actor, ...facts } = auditBy(ctx, caller);
      await deps.recovery.force(tenant, user!, actor, facts);
      return { resetRequired: true as const, resetLinkSent: true as const };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/users/{userId}/revoke-sessions',
    operationId: 'revokeUserSessions',
    tag: 'users',
    scope: 'admin:write',
    summary: 'Sign the user out everywhere',
    description: 'Ends every session and grant (refresh and access tokens) and forgets remembered devices.',
    params: userParam,
    status: 200,
    response: ended,
    errors: [404],
    handle: async ({ deps, tenant, params, caller, ctx }) => {
      const target = await deps.directory.get(tenant.id, params.userId);
      const counts = await deps.userSessions.endAll(target.id);
      await deps.audit.record({ action: 'sessions.ended', tenantId: tenant.id, userId: target.id, ...auditBy(ctx, caller), details: counts });
      return counts;
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/users/{userId}/revoke-devices',
    operationId: 'revokeUserDevices',
    tag: 'users',
    scope: 'admin:write',
    summary: 'Forget every remembered device',
    description: 'The next sign-in on each asks for the second factor again.',
    params: userParam,
    status: 200,
    response: z.object({ devices: z.number().int() }),
    errors: [404],
    handle: async ({ deps, tenant, params, caller, ctx }) => {
      const target = await deps.directory.get(tenant.id, params.userId);
      const devices = await deps.devices.revokeAll(target.id);
      await deps.audit.record({ action: 'devices.revoked_all', tenantId: tenant.id, userId: target.id, ...auditBy(ctx, caller), details: { count: devices } });
      return { devices };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/users/{userId}/reset-factors',
    operationId: 'resetUserFactors',
    tag: 'users',
    scope: 'admin:write',
    summary: 'Reset two-step verification (a lost phone or key)',
    description:
      'Removes every second factor (authenticator app, email, SMS, voice, passkeys) and recovery code, and forgets every remembered device; ' +
      'the user is emailed. The next sign-in sets up a factor again under the tenant’s policy. ' +
      'Counts the confirmed factors and the unused recovery codes removed. Audited as factors.reset.',
    params: userParam,
    status: 200,
    response: z.object({ factors: z.number().int(), recoveryCodes: z.number().int(), devices: z.number().int() }),
    errors: [404],
    handle: async ({ deps, tenant, params, caller, ctx }) => {
      const target = await deps.directory.get(tenant.id, params.userId);
      requireOwnerFor(caller, target);
      const user = await deps.users.findById(target.id);
      if (!user) throw notFound('user.not_found', 'No such user');
      return resetFactors(deps, user, auditBy(ctx, caller));
    },
  }),
];
