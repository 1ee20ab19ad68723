import { z } from 'zod';
import { AUDIT_ACTIONS, type StoredAuditEvent } from '../../accounts/audit.ts';
import { tenantRoute, type AdminRoute } from '../route.ts';
import { cursorParam, iso, limitParam, timestamp } from '../schemas.ts';

const eventSchema = z
  .object({
    id: z.uuid(),
    action: z.string().describe(`one of ${AUDIT_ACTIONS.join(', ')}`),
    actor: z.string().describe("'user:<id>', 'admin:<id>', 'token:<id>', 'cli', 'system' or 'anonymous'"),
    userId: z.uuid().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable().describe('before/after for admin changes'),
    createdAt: timestamp,
  })
  .meta({ id: 'AuditEvent' });

const auditQuery = z
  .object({
    action: z.enum(AUDIT_ACTIONS).optional(),
    userId: z.uuid().optional(),
    from: timestamp.optional().describe('events at or after this instant'),
    to: timestamp.optional().describe('events before this instant'),
    limit: limitParam,
    cursor: cursorParam,
  })
  .strict()
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), { message: 'from must not be after to', path: ['from'] });

const view = (e: StoredAuditEvent): z.input<typeof eventSchema> => ({
  id: e.id,
  action: e.action,
  actor: e.actor,
  userId: e.userId ?? null,
  ip: e.ip ?? null,
  userAgent: e.userAgent ?? null,
  details: e.details ?? null,
  createdAt: iso(e.createdAt),
});

export const auditRoutes: AdminRoute[] = [
  tenantRoute({
    method: 'get',
    path: '/audit-events',
    operationId: 'listAuditEvents',
    tag: 'audit',
    scope: 'admin:read',
    summary: "The tenant's security events, newest first",
    query: auditQuery,
    status: 200,
    response: z.object({ items: z.array(eventSchema), nextCursor: z.string().nullable() }),
    handle: async ({ deps, tenant, query }) => {
      const page = await deps.audit.list({
        tenantId: tenant.id,
        action: query.action,
        userId: query.userId,
        limit: query.limit,
        cursor: query.cursor,
        from: query.from ? new Date(query.from) : undefined,
        to: query.to ? new Date(query.to) : undefined,
      });
      return { items: page.events.map(view), nextCursor: page.nextCursor };
    },
  }),
];
