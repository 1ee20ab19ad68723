import { defineEntity, p } from '@mikro-orm/core';

/**
 * A customer account. A reseller is a tenant with child tenants (one level: a child has no
 * children of its own), whose admins administer the children and whose applications admit the
 * children's users.
 */
export const TenantEntity = defineEntity({
  name: 'Tenant',
  tableName: 'tenants',
  properties: {
    id: p.uuid().primary(),
    name: p.string().length(64).unique(),
    displayName: p.string().length(200),
    /** https URL of the logo the hosted pages show (null: the name alone) */
    logoUrl: p.string().length(2048).nullable(),
    /** the tenant's policy overrides (src/policy/tenant-policy.ts fills the defaults) */
    policy: p.json<Record<string, unknown>>().default('{}'),
    /** the reseller this tenant belongs to; tenants are never re-parented, so no cycle can form */
    parentId: p.uuid().nullable().index(),
    /** read with every tenant so the sign-in knows at once whether a reseller's rule applies */
    hasChildren: p
      .formula<boolean>((cols) => `exists (select 1 from tenants c where c.parent_id = ${cols.id})`)
      .type('boolean')
      .persist(false),
    /** read with every tenant so a sign-in page of a tenant without upstream providers never looks for them */
    hasProviders: p
      .formula<boolean>((cols) => `exists (select 1 from upstream_providers u where u.tenant_id = ${cols.id})`)
      .type('boolean')
      .persist(false),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
