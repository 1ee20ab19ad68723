import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AttemptOutcome } from './outbox.ts';
import { isPrivateLiteral, publicOnlyLookup } from '../../lib/outbound-guard.ts';

export interface WebhookRequest {
  url: string;
  body: string;
  headers: Record<string, string>;
}

/** one POST; any answer is an outcome (never throws) */
export type WebhookSender = (req: WebhookRequest) => Promise<AttemptOutcome>;

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs with node:http(s) rather than fetch so the address the socket connects to is the one
 * checked (see publicOnlyLookup). No redirects are followed: a 3xx is a failed attempt.
 */
export function createWebhookSender(options: { allowPrivate: boolean; timeoutMs: number; userAgent: string }): WebhookSender {
  return (req) =>
    new Promise<AttemptOutcome>((resolve) => {
      const url = new URL(req.url);
      // a literal address is connected to without any lookup, so it is checked here
      if (!options.allowPrivate && isPrivateLiteral(url)) return resolve({ error: 'refused: private or reserved address' });
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const outgoing = send(
        url,
        {
          method: 'POST',
          headers: {
            ...req.headers,
            'content-type': 'application/json',
            'content-length': String(Buffer.byteLength(req.body)),
            'user-agent': options.userAgent,
          },
          agent: false,
          ...(options.allowPrivate ? {} : { lookup: publicOnlyLookup }),
        },
        (res) => {
          let seen = 0;
          // read (and drop) a bounded amount of the answer so the connection ends cleanly
          res.on('data', (chunk: Buffer) => {
            seen += chunk.length;
            if (seen > MAX_RESPONSE_BYTES) res.destroy();
          });
          res.on('close', () => resolve({ status: res.statusCode ?? 0 }));
          res.on('error', () => resolve({ status: res.statusCode ?? 0 }));
        },
      );
      // a deadline for the whole exchange, not just an idle socket
      const timer = setTimeout(() => outgoing.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), options.timeoutMs);
      outgoing.on('close', () => clearTimeout(timer));
      outgoing.on('error', (err: NodeJS.ErrnoException) => {
        resolve({ error: err.code === 'EPRIVATEADDRESS' ? 'refused: private or reserved address' : `request failed: ${err.code ?? 'error'}` });
      });
      outgoing.end(req.body);
    });
}
