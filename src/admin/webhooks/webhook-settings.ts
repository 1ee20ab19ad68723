import { randomUUID } from 'node:crypto';
import type { Database } from '../../store/database.ts';
import { TenantWebhookEntity, WebhookDeliveryEntity } from '../../store/entities/index.ts';
import { DELIVERY_STATES, type DeliveryState } from '../../store/entities/webhook-delivery.ts';
import type { SealedBox } from '../../lib/sealed-box.ts';
import type { Clock } from '../../lib/clock.ts';
import { conflict } from '../../lib/errors.ts';
import { checkWebhookUrl } from './webhook-url.ts';
import { newWebhookSecret } from './signature.ts';

/** a tenant's webhook as its admins see it: never the secret */
export interface WebhookView {
  url: string;
  createdAt: Date;
  /** deliveries kept (completed ones for DELIVERY_RETENTION_DAYS), by state */
  deliveries: Record<DeliveryState, number>;
}

export interface WebhookSettings {
  get(tenantId: string): Promise<WebhookView | undefined>;
  /** creates or replaces the webhook with a new secret, returned this once; queued deliveries of a replaced one are dropped */
  put(tenantId: string, url: string): Promise<{ webhook: WebhookView; secret: string; previousUrl: string | null }>;
  /** the URL of the removed webhook, or undefined when there was none */
  remove(tenantId: string): Promise<string | undefined>;
  /** the secret that signs deliveries of this webhook row */
  secretOf(webhook: { id: string; secretSealed: string }): string;
}

const sealPurpose = (webhookId: string) => `webhook-secret:${webhookId}`;

export function createWebhookSettings(deps: { db: Database; box: SealedBox; clock: Clock; allowPrivate: boolean; requireHttps: boolean }): WebhookSettings {
  const { db, box, clock } = deps;

  async function counts(webhookId: string): Promise<Record<DeliveryState, number>> {
    const em = db.em();
    const entries = await Promise.all(
      DELIVERY_STATES.map(async (state) => [state, await em.count(WebhookDeliveryEntity, { webhook: webhookId, state })] as const),
    );
    return Object.fromEntries(entries) as Record<DeliveryState, number>;
  }

  return {
    async get(tenantId) {
      const row = await db.em().findOne(TenantWebhookEntity, { tenant: tenantId });
      return row ? { url: row.url, createdAt: row.createdAt, deliveries: await counts(row.id) } : undefined;
    },

    async put(tenantId, rawUrl) {
      const url = checkWebhookUrl(rawUrl, deps);
      const secret = newWebhookSecret();
      const id = randomUUID();
      const createdAt = new Date(clock.now());
      let previousUrl: string | null = null;
      try {
        await db.em().transactional(async (em) => {
          const old = await em.findOne(TenantWebhookEntity, { tenant: tenantId });
          if (old) {
            previousUrl = old.url;
            // explicit as well as by the foreign key: SQLite may not enforce it
            await em.nativeDelete(WebhookDeliveryEntity, { webhook: old.id });
            await em.nativeDelete(TenantWebhookEntity, { id: old.id });
          }
          await em.insert(TenantWebhookEntity, { id, tenant: tenantId, url, secretSealed: box.seal(secret, sealPurpose(id)), createdAt });
        });
      } catch (err) {
        if ((err as { name?: string }).name === 'UniqueConstraintViolationException')
          throw conflict('webhook.changed', 'The webhook was changed at the same moment; try again');
        throw err;
      }
      return { webhook: { url, createdAt, deliveries: { pending: 0, delivered: 0, failed: 0 } }, secret, previousUrl };
    },

    async remove(tenantId) {
      return db.em().transactional(async (em) => {
        const old = await em.findOne(TenantWebhookEntity, { tenant: tenantId });
        if (!old) return undefined;
        await em.nativeDelete(WebhookDeliveryEntity, { webhook: old.id });
        await em.nativeDelete(TenantWebhookEntity, { id: old.id });
        return old.url;
      });
    },

    secretOf: (webhook) => box.open(webhook.secretSealed, sealPurpose(webhook.id)),
  };
}
