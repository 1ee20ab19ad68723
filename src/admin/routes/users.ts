import { z } from 'zod';
import { USER_ROLES, USER_STATUSES } from '../../store/entities/user.ts';
import { personNameSchema } from '../../accounts/account-admin.ts';
import { emailSchema } from '../../accounts/normalize.ts';
import { tenantRoute, type AdminRoute } from '../route.ts';
import { auditBy } from '../caller.ts';
import { cursorParam, limitParam, timestamp } from '../schemas.ts';
import { requireOwnerFor, userParam, userSchema, userView } from './user-view.ts';

const listQuery = z
  .object({
    q: z.string().trim().min(1).max(100).optional().describe('prefix of the email, first name or last name (case-insensitive)'),
    role: z.enum(USER_ROLES).optional(),
    status: z.enum(USER_STATUSES).optional(),
    limit: limitParam,
    cursor: cursorParam,
  })
  .strict();

const inviteBody = z
  .object({
    email: emailSchema,
    firstName: personNameSchema.optional(),
    lastName: personNameSchema.optional(),
    role: z.enum(USER_ROLES).default('member'),
  })
  .strict();

const patchBody = z
  .object({
    firstName: personNameSchema.optional(),
    lastName: personNameSchema.optional(),
    role: z.enum(USER_ROLES).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give firstName, lastName or role');

export const userRoutes: AdminRoute[] = [
  tenantRoute({
    method: 'get',
    path: '/users',
    operationId: 'listUsers',
    tag: 'users',
    scope: 'admin:read',
    summary: 'Users by email, a page at a time, optionally searched and filtered',
    query: listQuery,
    status: 200,
    response: z.object({ items: z.array(userSchema), nextCursor: z.string().nullable() }),
    handle: async ({ deps, tenant, query }) => {
      const page = await deps.directory.list(tenant.id, { search: query.q, role: query.role, status: query.status, limit: query.limit, cursor: query.cursor });
      return { items: page.users.map(userView), nextCursor: page.nextCursor };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/users/{userId}',
    operationId: 'getUser',
    tag: 'users',
    scope: 'admin:read',
    summary: 'One user',
    params: userParam,
    status: 200,
    response: userSchema,
    errors: [404],
    handle: async ({ deps, tenant, params }) => userView(await deps.directory.get(tenant.id, params.userId)),
  }),
  tenantRoute({
    method: 'post',
    path: '/users',
    operationId: 'inviteUser',
    tag: 'users',
    scope: 'admin:write',
    summary: 'Invite a user by email',
    description:
      "Creates the user in status invited and emails a verification link (valid for the policy's lifecycle.invitationHours) where the user sets a password. No sign-in before that.",
    body: inviteBody,
    status: 201,
    response: z.object({ user: userSchema, invitationExpiresAt: timestamp }),
    errors: [409, 413, 415],
    handle: async ({ deps, tenant, body, caller, ctx }) => {
      requireOwnerFor(caller, { role: 'member' }, body.role);
      const invited = await deps.invitations.invite({ tenantId: tenant.id, ...body, ...auditBy(ctx, caller) });
      return { user: userView(await deps.directory.get(tenant.id, invited.user.id)), invitationExpiresAt: invited.expiresAt.toISOString() };
    },
  }),
  tenantRoute({
    method: 'patch',
    path: '/users/{userId}',
    operationId: 'updateUser',
    tag: 'users',
    scope: 'admin:write',
    summary: 'Change names or role',
    description: 'The tenant keeps at least one active owner (409 user.last_owner). Email addresses change through POST .../email-change.',
    params: userParam,
    body: patchBody,
    status: 200,
    response: userSchema,
    errors: [404, 409, 413, 415],
    handle: async ({ deps, tenant, params, body, caller, ctx }) => {
      const target = await deps.directory.get(tenant.id, params.userId);
      requireOwnerFor(caller, target, body.role);
      const facts = { userId: target.id, ...auditBy(ctx, caller) };
      // the role first: it is the change that can be refused (last owner), and then nothing changed
      if (body.role !== undefined) await deps.profiles.setRole({ ...facts, role: body.role });
      if (body.firstName !== undefined || body.lastName !== undefined) {
        await deps.profiles.updateProfile({
          ...facts,
          ...(body.firstName !== undefined ? { firstName: body.firstName } : {}),
          ...(body.lastName !== undefined ? { lastName: body.lastName } : {}),
        });
      }
      return userView(await deps.directory.get(tenant.id, target.id));
    },
  }),
];
