import { z } from 'zod';
import { notFound } from '../../lib/errors.ts';
import { tenantRoute, type AdminRoute } from '../route.ts';
import { auditBy } from '../caller.ts';
import { iso, timestamp } from '../schemas.ts';
import { requireOwnerFor, userParam } from './user-view.ts';

const passkeySchema = z.object({
  id: z.uuid(),
  name: z.string(),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
  synced: z.boolean().describe('the key may be synced between the user’s devices (amr swk); false: bound to one authenticator (amr hwk)'),
  backedUp: z.boolean(),
  transports: z.array(z.string()),
  aaguid: z.string().describe('the authenticator model (all zeros when it does not say)'),
});

/** GET and DELETE /tenants/{tenant}/users/{userId}/passkeys: a user's passkeys, never their keys */
export const userPasskeyRoutes: AdminRoute[] = [
  tenantRoute({
    method: 'get',
    path: '/users/{userId}/passkeys',
    operationId: 'listUserPasskeys',
    tag: 'users',
    scope: 'admin:read',
    summary: "List a user's passkeys",
    params: userParam,
    status: 200,
    response: z.object({ passkeys: z.array(passkeySchema) }),
    errors: [404],
    handle: async ({ deps, tenant, params }) => {
      const target = await deps.directory.get(tenant.id, params.userId);
      const passkeys = await deps.passkeys.list(target.id);
      return { passkeys: passkeys.map((p) => ({ ...p, createdAt: iso(p.createdAt), lastUsedAt: p.lastUsedAt ? iso(p.lastUsedAt) : null })) };
    },
  }),
  tenantRoute({
    method: 'delete',
    path: '/users/{userId}/passkeys/{passkeyId}',
    operationId: 'deleteUserPasskey',
    tag: 'users',
    scope: 'admin:write',
    summary: "Remove one of a user's passkeys",
    description: 'It no longer signs in; the user is told by email.',
    params: userParam.extend({ passkeyId: z.uuid() }),
    status: 204,
    errors: [404],
    handle: async ({ deps, tenant, params, caller, ctx }) => {
      const target = await deps.directory.get(tenant.id, params.userId);
      requireOwnerFor(caller, target);
      const passkey = (await deps.passkeys.list(target.id)).find((p) => p.id === params.passkeyId);
      if (!passkey) throw notFound('passkey.not_found', 'No such passkey for this user');
      await deps.factors.remove(target.id, passkey.id);
      await deps.audit.record({
        action: 'factor.removed',
        tenantId: tenant.id,
        userId: target.id,
        ...auditBy(ctx, caller),
        details: { type: 'passkey', factorId: passkey.id, name: passkey.name },
      });
      const user = await deps.users.findById(target.id);
      if (user) await deps.notifications.factorRemoved(user, 'passkey');
    },
  }),
];
