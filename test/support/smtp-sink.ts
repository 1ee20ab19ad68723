import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type AddressObject } from 'mailparser';
import { createArrivals } from './arrivals.ts';

/** A mail as a real SMTP server received it, parsed by mailparser. */
export interface SunkMail {
  /** the envelope recipients (RCPT TO), lower-cased */
  to: string[];
  /** the From header as mailparser renders it, e.g. '"Latchkey" <no-reply@localhost>' */
  from: string;
  subject: string;
  text: string | undefined;
  html: string | undefined;
  /** the Date header, or the time of arrival without one */
  date: Date;
  receivedAt: number;
}

export interface SmtpSink {
  /** for SMTP_URL / createMailer({ smtpUrl }) */
  url: string;
  port: number;
  messages: SunkMail[];
  waitForMail(to: string, subject: string, after?: number): Promise<SunkMail>;
  /** waits until `count` mails with this subject have arrived for `to`, and returns them all (oldest first) */
  waitForMails(to: string, subject: string, count: number, after?: number): Promise<SunkMail[]>;
  close(): Promise<void>;
}

/**
 * A real SMTP server (smtp-server) on a free 127.0.0.1 port: plain SMTP, no TLS, no
 * authentication needed, every message parsed with mailparser's simpleParser.
 */
export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SunkMail[] = [];
  const arrivals = createArrivals();
  const server = new SMTPServer({
    secure: false,
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    size: 10 * 1024 * 1024,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (parsed) => {
          const receivedAt = Date.now();
          messages.push({
            to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
            from: headerAddresses(parsed.from),
            subject: parsed.subject ?? '',
            text: parsed.text,
            html: parsed.html === false ? undefined : parsed.html,
            date: parsed.date ?? new Date(receivedAt),
            receivedAt,
          });
          arrivals.arrived();
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    messages,
    waitForMail(to, subject, after = 0) {
      const address = to.toLowerCase();
      return arrivals.waitFor(
        () => messages.find((m) => m.to.includes(address) && m.subject === subject && m.receivedAt >= after),
        `a "${subject}" mail for ${to} (the SMTP sink holds ${messages.length})`,
      );
    },
    waitForMails(to, subject, count, after = 0) {
      const address = to.toLowerCase();
      const matching = () => messages.filter((m) => m.to.includes(address) && m.subject === subject && m.receivedAt >= after);
      return arrivals.waitFor(
        () => (matching().length >= count ? matching() : undefined),
        `${count} "${subject}" mails for ${to} (the SMTP sink holds ${matching().length})`,
      );
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function headerAddresses(value: AddressObject | AddressObject[] | undefined): string {
  if (!value) return '';
  return (Array.isArray(value) ? value : [value]).map((a) => a.text).join(', ');
}
