import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import type { Database } from '../store/database.ts';
import { OutboxMessageEntity } from '../store/entities/index.ts';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** The system's outgoing email: account notices, lifecycle links and emailed codes (through Notifications). */
export interface Mailer {
  send(message: EmailMessage): Promise<void>;
  readonly transport: 'smtp' | 'outbox';
}

/**
 * SMTP through nodemailer when SMTP_URL is set; otherwise (never in production) messages go
 * to the dev outbox table, readable at /dev/outbox by every process of this deployment.
 */
export function createMailer(deps: { smtpUrl?: string; from: string; db: Database; clock: Clock; logger: Logger }): Mailer {
  if (deps.smtpUrl) {
    const transport = nodemailer.createTransport(deps.smtpUrl);
    return {
      transport: 'smtp',
      async send(message) {
        await transport.sendMail({ from: deps.from, ...message });
        deps.logger.info({ channel: 'email', transport: 'smtp' }, 'email sent');
      },
    };
  }
  return {
    transport: 'outbox',
    async send(message) {
      const em = deps.db.em();
      em.create(OutboxMessageEntity, {
        id: randomUUID(),
        channel: 'email',
        recipient: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html ?? null,
        createdAt: new Date(deps.clock.now()),
      });
      await em.flush();
      deps.logger.info({ channel: 'email', transport: 'outbox' }, 'email kept in the dev outbox');
    },
  };
}
