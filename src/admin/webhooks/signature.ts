import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Latchkey-Signature';
export const EVENT_ID_HEADER = 'Latchkey-Event-Id';

/** a new webhook secret: 256 random bits, prefixed so it is recognisable in a secret store */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

/** HMAC-SHA256 keyed with the whole secret string over `<t>.<body>`, hex */
export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** the Latchkey-Signature header: `t=<unix seconds>,v1=<hex>` */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${signatureOf(secret, timestamp, body)}`;
}

/**
 * What a receiver does with the header (also documented in docs/admin-api.md): recompute the
 * HMAC over the raw body, compare in constant time, and refuse stale timestamps so a captured
 * request cannot be replayed later.
 */
export function verifySignature(secret: string, header: string, body: string, options: { nowSeconds: number; toleranceSeconds?: number }): boolean {
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const at = item.indexOf('=');
    if (at > 0) parts.set(item.slice(0, at).trim(), [...(parts.get(item.slice(0, at).trim()) ?? []), item.slice(at + 1).trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t) || Math.abs(options.nowSeconds - t) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signatureOf(secret, t, body), 'hex');
  return (parts.get('v1') ?? []).some((candidate) => {
    const given = Buffer.from(candidate, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
