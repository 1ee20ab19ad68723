import { defineEntity, p } from '@mikro-orm/core';
import { TenantWebhookEntity } from './tenant-webhook.ts';

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * The outbox of audit webhooks: one row per event and webhook, written with the event and
 * worked off by the delivery worker. A worker owns a row while leaseUntil is ahead and leaseId
 * is its own, so two replicas never send the same delivery at once.
 */
export const WebhookDeliveryEntity = defineEntity({
  name: 'WebhookDelivery',
  tableName: 'webhook_deliveries',
  indexes: [{ properties: ['state', 'nextAttemptAt'] }, { properties: ['webhook', 'state'] }],
  properties: {
    id: p.uuid().primary(),
    webhook: () => p.manyToOne(TenantWebhookEntity).deleteRule('cascade'),
    tenantId: p.uuid(),
    eventId: p.uuid(),
    url: p.string().length(2048),
    /** the exact JSON sent (and signed) on every attempt */
    body: p.text(),
    state: p.string().length(16).$type<DeliveryState>().default('pending'),
    attempts: p.integer().default(0),
    nextAttemptAt: p.datetime(),
    leaseUntil: p.datetime().nullable(),
    leaseId: p.uuid().nullable(),
    /** the HTTP status of the last attempt, null when no answer came */
    lastStatus: p.integer().nullable(),
    lastError: p.string().length(200).nullable(),
    createdAt: p.datetime(),
    /** delivered, or given up */
    completedAt: p.datetime().nullable(),
  },
});
