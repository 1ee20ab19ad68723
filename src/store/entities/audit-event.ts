import { defineEntity, p } from '@mikro-orm/core';

/**
 * Security-relevant events: who did what, to whom, from where. Tenant and user are kept as
 * plain ids so the trail outlives the rows it talks about.
 */
export const AuditEventEntity = defineEntity({
  name: 'AuditEvent',
  tableName: 'audit_events',
  indexes: [{ properties: ['tenantId', 'createdAt'] }, { properties: ['userId', 'createdAt'] }],
  properties: {
    id: p.uuid().primary(),
    tenantId: p.uuid().nullable(),
    userId: p.uuid().nullable(),
    /** 'user:<id>', 'admin:<id>', 'cli', 'system' or 'anonymous' */
    actor: p.string().length(100),
    action: p.string().length(64),
    ip: p.string().length(64).nullable(),
    userAgent: p.string().length(512).nullable(),
    details: p.json<Record<string, unknown>>().nullable(),
    createdAt: p.datetime(),
  },
});
