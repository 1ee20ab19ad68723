import { defineEntity, p } from '@mikro-orm/core';

export const TenantEntity = defineEntity({
  name: 'Tenant',
  tableName: 'tenants',
  properties: {
    id: p.uuid().primary(),
    name: p.string().length(64).unique(),
    displayName: p.string().length(200),
    /** the tenant's policy overrides (src/policy/tenant-policy.ts fills the defaults) */
    policy: p.json<Record<string, unknown>>().default('{}'),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
