import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * `lk_<id>_<secret>`: the id (a UUID) finds the row without comparing any secret in a query;
 * the secret is 256 random bits in base64url (43 characters), stored only as its SHA-256.
 */
const FORMAT = /^lk_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;

export const TOKEN_PREFIX = 'lk_';

export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function formatToken(id: string, secret: string): string {
  return `${TOKEN_PREFIX}${id}_${secret}`;
}

export function parseToken(value: string): { id: string; secret: string } | undefined {
  const match = FORMAT.exec(value);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/** hex SHA-256: a fast hash is right for 256 random bits, there is nothing to guess */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** constant time over equal-length digests */
export function secretMatches(secret: string, storedHash: string | null | undefined): boolean {
  if (storedHash?.length !== 64) return false;
  return timingSafeEqual(Buffer.from(hashSecret(secret), 'hex'), Buffer.from(storedHash, 'hex'));
}
