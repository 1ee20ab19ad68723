import { z } from 'zod';
import { tenantNameSchema } from '../../accounts/normalize.ts';
import { AppError } from '../../lib/errors.ts';
import { tenantRoute, type AdminRoute } from '../route.ts';
import { auditBy } from '../caller.ts';
import { cursorParam, limitParam } from '../schemas.ts';
import { tenantSchema, tenantView } from './tenants.ts';

const listQuery = z.object({ limit: limitParam, cursor: cursorParam }).strict();

const childBody = z
  .object({
    name: tenantNameSchema.describe('letters, digits and dashes, unique across Latchkey'),
    displayName: z.string().trim().min(1).max(200).optional(),
  })
  .strict();

/** names are unique, so the last one shown is a complete position */
const writeCursor = (name: string) => Buffer.from(name).toString('base64url');
function readCursor(cursor: string): string {
  const name = Buffer.from(cursor, 'base64url').toString();
  if (!tenantNameSchema.safeParse(name).success || writeCursor(name) !== cursor) {
    throw new AppError(400, 'tenants.invalid_cursor', 'The cursor is not one this API returned');
  }
  return name;
}

/** a reseller's child tenants; each child is then administered through its own /tenants/{tenant} routes */
export const childRoutes: AdminRoute[] = [
  tenantRoute({
    method: 'get',
    path: '/children',
    operationId: 'listChildTenants',
    tag: 'tenants',
    scope: 'admin:read',
    summary: "The reseller's child tenants by name, a page at a time",
    query: listQuery,
    status: 200,
    response: z.object({ items: z.array(tenantSchema), nextCursor: z.string().nullable() }),
    handle: async ({ deps, tenant, query }) => {
      const rows = await deps.tenants.listChildren(tenant.id, { limit: query.limit + 1, ...(query.cursor ? { after: readCursor(query.cursor) } : {}) });
      const page = rows.slice(0, query.limit);
      return { items: page.map(tenantView), nextCursor: rows.length > query.limit ? writeCursor(page.at(-1)!.name) : null };
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/children',
    operationId: 'createChildTenant',
    tag: 'tenants',
    scope: 'admin:write',
    summary: 'Create a child tenant (the tenant becomes a reseller)',
    description:
      'One level only: a child tenant cannot have children (409 tenant.nesting). The new tenant has no users yet: invite its first owner with POST /tenants/{child}/users.',
    body: childBody,
    status: 201,
    response: z.object({ tenant: tenantSchema }),
    errors: [409, 413, 415],
    handle: async ({ deps, tenant, body, caller, ctx }) => {
      const child = await deps.tenants.create({ name: body.name, ...(body.displayName ? { displayName: body.displayName } : {}), parentId: tenant.id });
      await deps.audit.record({
        action: 'tenant.created',
        tenantId: tenant.id,
        ...auditBy(ctx, caller),
        details: { childId: child.id, name: child.name, displayName: child.displayName },
      });
      return { tenant: tenantView(child) };
    },
  }),
];
