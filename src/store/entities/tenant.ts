import { defineEntity, p } from '@mikro-orm/core';

export const TenantEntity = defineEntity({
  name: 'Tenant',
  tableName: 'tenants',
  properties: {
    id: p.uuid().primary(),
    name: p.string().length(64).unique(),
    displayName: p.string().length(200),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
