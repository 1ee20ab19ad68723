import type { Database } from '../../store/database.ts';
import type { SealedBox } from '../../lib/sealed-box.ts';
import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import { createWebhookSettings, type WebhookSettings } from './webhook-settings.ts';
import { createWebhookOutbox, type WebhookOutbox } from './outbox.ts';
import { createWebhookSender } from './sender.ts';
import { createWebhookWorker, type WebhookWorker } from './worker.ts';

/** audit webhooks: each tenant's settings, the outbox the audit log writes to, and the worker that sends */
export interface Webhooks {
  settings: WebhookSettings;
  outbox: WebhookOutbox;
  worker: WebhookWorker;
}

export interface WebhookOptions {
  /** OUTBOUND_ALLOW_PRIVATE_ADDRESSES */
  allowPrivateAddresses: boolean;
  /** NODE_ENV=production: webhook URLs must be https */
  requireHttps: boolean;
  /** how often the worker looks for due deliveries [5000] */
  pollMs?: number;
  /** the deadline of one POST [10000] */
  timeoutMs?: number;
}

export function createWebhooks(deps: { db: Database; box: SealedBox; clock: Clock; logger: Logger }, options: WebhookOptions): Webhooks {
  const settings = createWebhookSettings({ ...deps, allowPrivate: options.allowPrivateAddresses, requireHttps: options.requireHttps });
  let worker: WebhookWorker | undefined;
  const outbox = createWebhookOutbox({ db: deps.db, clock: deps.clock, onEnqueued: () => worker?.kick() });
  worker = createWebhookWorker({
    outbox,
    clock: deps.clock,
    logger: deps.logger,
    pollMs: options.pollMs ?? 5000,
    secretOf: settings.secretOf,
    send: createWebhookSender({ allowPrivate: options.allowPrivateAddresses, timeoutMs: options.timeoutMs ?? 10_000, userAgent: 'Latchkey-Webhook/1' }),
  });
  return { settings, outbox, worker };
}
