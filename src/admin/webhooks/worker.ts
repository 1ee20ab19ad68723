import type { Clock } from '../../lib/clock.ts';
import type { Logger } from '../../lib/logger.ts';
import type { ClaimedDelivery, WebhookOutbox } from './outbox.ts';
import type { WebhookSender } from './sender.ts';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.ts';

export interface WebhookWorker {
  /** polls the outbox every pollMs (and soon after an enqueue in this process) until stop() */
  start(): void;
  /** stops polling and waits for the round in flight */
  stop(): Promise<void>;
  /** one round: claim what is due, send it, record the outcomes; resolves to the number sent */
  runOnce(): Promise<number>;
  /** an event was queued in this process: run a round soon instead of at the next poll */
  kick(): void;
}

const BATCH = 20;
const PURGE_EVERY_MS = 3_600_000;

export function createWebhookWorker(deps: {
  outbox: WebhookOutbox;
  send: WebhookSender;
  secretOf(webhook: ClaimedDelivery['webhook']): string;
  clock: Clock;
  logger: Logger;
  pollMs: number;
}): WebhookWorker {
  const { outbox, clock, logger } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let round: Promise<unknown> = Promise.resolve();
  let lastPurge = 0;

  async function deliver(delivery: ClaimedDelivery): Promise<void> {
    let secret: string;
    try {
      secret = deps.secretOf(delivery.webhook);
    } catch (err) {
      // a secret sealed under another KEY_ENCRYPTION_KEY: nothing can sign it, so it is an attempt that failed
      logger.error({ err: (err as Error).message, deliveryId: delivery.id }, 'webhook secret cannot be opened');
      return outbox.finish(delivery, { error: 'secret cannot be opened' });
    }
    const headers = {
      [SIGNATURE_HEADER]: signatureHeader(secret, Math.floor(clock.now() / 1000), delivery.body),
      [EVENT_ID_HEADER]: delivery.eventId,
    };
    const outcome = await deps.send({ url: delivery.url, body: delivery.body, headers });
    if (!('status' in outcome) || outcome.status < 200 || outcome.status > 299) {
      logger.warn({ deliveryId: delivery.id, attempt: delivery.attempt, ...outcome }, 'webhook delivery failed');
    }
    await outbox.finish(delivery, outcome);
  }

  async function runOnce(): Promise<number> {
    if (clock.now() - lastPurge > PURGE_EVERY_MS) {
      lastPurge = clock.now();
      await outbox.purge();
    }
    let sent = 0;
    // until nothing due is left to claim: a partial batch may only mean another replica took the rest of it
    for (;;) {
      const batch = await outbox.claim(BATCH);
      if (!batch.length) return sent;
      await Promise.all(batch.map(deliver));
      sent += batch.length;
    }
  }

  // one round at a time per process; a kick during a round asks for another right after it
  let busy = false;
  let again = false;
  let kicked = false;

  function tick() {
    kicked = false;
    if (!running) return;
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    round = runOnce()
      .catch((err: unknown) => logger.error({ err }, 'webhook round failed'))
      .finally(() => {
        busy = false;
        const soon = again;
        again = false;
        schedule(soon ? 0 : deps.pollMs);
      });
  }

  function schedule(ms: number) {
    if (!running) return;
    clearTimeout(timer);
    timer = setTimeout(tick, ms);
    timer.unref();
  }

  return {
    runOnce,
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      await round;
    },
    kick() {
      if (!running) return;
      if (busy) again = true;
      // a short pause gathers the events of one request into one round
      else if (!kicked) {
        kicked = true;
        schedule(50);
      }
    },
  };
}
