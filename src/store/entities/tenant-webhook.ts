import { defineEntity, p } from '@mikro-orm/core';
import { TenantEntity } from './tenant.ts';

/**
 * Where a tenant's audit events are POSTed, and the secret that signs them (sealed with
 * KEY_ENCRYPTION_KEY, shown once). Replacing the webhook makes a new row, so deliveries queued
 * for the old URL and secret go with it.
 */
export const TenantWebhookEntity = defineEntity({
  name: 'TenantWebhook',
  tableName: 'tenant_webhooks',
  properties: {
    id: p.uuid().primary(),
    tenant: () => p.manyToOne(TenantEntity).deleteRule('cascade').unique(),
    url: p.string().length(2048),
    secretSealed: p.text(),
    createdAt: p.datetime(),
  },
});
