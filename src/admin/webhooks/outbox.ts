import { randomUUID } from 'node:crypto';
import type { Database } from '../../store/database.ts';
import { TenantWebhookEntity, WebhookDeliveryEntity } from '../../store/entities/index.ts';
import type { AuditOutbox, TenantAuditEvent } from '../../accounts/audit.ts';
import type { Clock } from '../../lib/clock.ts';

/** 5 attempts over about an hour: at once, then after 1, 5, 15 and 40 minutes */
export const RETRY_DELAYS_SECONDS = [60, 300, 900, 2400] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;
/** longer than a request may take, so a live worker never loses its lease mid-send */
export const LEASE_SECONDS = 60;
export const DELIVERY_RETENTION_DAYS = 7;

/** a delivery this worker holds the lease of */
export interface ClaimedDelivery {
  id: string;
  eventId: string;
  url: string;
  body: string;
  /** including this one */
  attempt: number;
  leaseId: string;
  webhook: { id: string; secretSealed: string };
}

export type AttemptOutcome = { status: number } | { error: string };

export interface WebhookOutbox extends AuditOutbox {
  /** leases up to `limit` due deliveries; a row another worker holds or just took is skipped */
  claim(limit: number): Promise<ClaimedDelivery[]>;
  /** records an attempt: delivered on 2xx, else retried later or, after the last attempt, given up */
  finish(delivery: ClaimedDelivery, outcome: AttemptOutcome): Promise<void>;
  /** drops completed deliveries older than the retention period */
  purge(): Promise<number>;
}

/** the JSON a webhook receives: the audit event as the admin API lists it, with its tenant */
export function eventBody(event: TenantAuditEvent): string {
  return JSON.stringify({
    id: event.id,
    action: event.action,
    tenantId: event.tenantId,
    actor: event.actor,
    userId: event.userId ?? null,
    ip: event.ip ?? null,
    userAgent: event.userAgent ?? null,
    details: event.details ?? null,
    createdAt: event.createdAt.toISOString(),
  });
}

export function createWebhookOutbox(deps: { db: Database; clock: Clock; onEnqueued?: () => void }): WebhookOutbox {
  const { db, clock } = deps;
  const now = () => new Date(clock.now());
  return {
    async enqueue(event) {
      const em = db.em();
      // one indexed read per tenant event; no webhook, no row
      const webhook = await em.findOne(TenantWebhookEntity, { tenant: event.tenantId }, { fields: ['id', 'url'] });
      if (!webhook) return;
      await em.insert(WebhookDeliveryEntity, {
        id: randomUUID(),
        webhook: webhook.id,
        tenantId: event.tenantId,
        eventId: event.id,
        url: webhook.url,
        body: eventBody(event),
        state: 'pending',
        attempts: 0,
        nextAttemptAt: now(),
        createdAt: now(),
      });
      deps.onEnqueued?.();
    },

    async claim(limit) {
      const em = db.em();
      const at = now();
      const free = { $or: [{ leaseUntil: null }, { leaseUntil: { $lte: at } }] };
      const due = await em.find(
        WebhookDeliveryEntity,
        { state: 'pending', nextAttemptAt: { $lte: at }, ...free },
        { orderBy: { nextAttemptAt: 'asc' }, limit, populate: ['webhook'] },
      );
      const claimed: ClaimedDelivery[] = [];
      for (const row of due) {
        const leaseId = randomUUID();
        // compare-and-set: of two workers that read the same row, one update matches
        const won = await em.nativeUpdate(
          WebhookDeliveryEntity,
          { id: row.id, state: 'pending', attempts: row.attempts, nextAttemptAt: { $lte: at }, ...free },
          { leaseId, leaseUntil: new Date(at.getTime() + LEASE_SECONDS * 1000), attempts: row.attempts + 1 },
        );
        if (won !== 1) continue;
        claimed.push({
          id: row.id,
          eventId: row.eventId,
          url: row.url,
          body: row.body,
          attempt: row.attempts + 1,
          leaseId,
          webhook: { id: row.webhook.id, secretSealed: row.webhook.secretSealed },
        });
      }
      return claimed;
    },

    async finish(delivery, outcome) {
      const at = now();
      const status = 'status' in outcome ? outcome.status : null;
      const error = 'error' in outcome ? outcome.error.slice(0, 200) : status !== null && (status < 200 || status > 299) ? `HTTP ${status}` : null;
      const delivered = status !== null && status >= 200 && status <= 299;
      const last = delivery.attempt >= MAX_ATTEMPTS;
      const delay = RETRY_DELAYS_SECONDS[Math.min(delivery.attempt, RETRY_DELAYS_SECONDS.length) - 1]!;
      // only while the lease is still ours: a worker that overran it leaves the row to its new holder
      await db.em().nativeUpdate(
        WebhookDeliveryEntity,
        { id: delivery.id, leaseId: delivery.leaseId },
        {
          leaseId: null,
          leaseUntil: null,
          lastStatus: status,
          lastError: error,
          ...(delivered
            ? { state: 'delivered', completedAt: at }
            : last
              ? { state: 'failed', completedAt: at }
              : { nextAttemptAt: new Date(at.getTime() + delay * 1000) }),
        },
      );
    },

    async purge() {
      const before = new Date(clock.now() - DELIVERY_RETENTION_DAYS * 86_400_000);
      return db.em().nativeDelete(WebhookDeliveryEntity, { state: { $in: ['delivered', 'failed'] }, completedAt: { $lt: before } });
    },
  };
}
