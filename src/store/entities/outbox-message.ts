import { defineEntity, p } from '@mikro-orm/core';

/** Messages kept for /dev/outbox when no SMTP_URL is set (never in production). */
export const OutboxMessageEntity = defineEntity({
  name: 'OutboxMessage',
  tableName: 'outbox_messages',
  properties: {
    id: p.uuid().primary(),
    channel: p.string().length(16),
    recipient: p.string().length(320),
    subject: p.string().length(300),
    text: p.text(),
    html: p.text().nullable(),
    createdAt: p.datetime(),
  },
});
