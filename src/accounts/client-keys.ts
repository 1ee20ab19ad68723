import { createPublicKey } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../lib/errors.ts';
import { hostOf, isPrivateLiteral } from '../lib/outbound-guard.ts';

/** how a client proves itself at the token, PAR, introspection and revocation endpoints */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** the methods for which Latchkey makes a client secret */
export const SECRET_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'];

/** members that only a private or symmetric key has */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
const CURVES: Record<string, string[]> = { EC: ['P-256', 'P-384', 'P-521'], OKP: ['Ed25519'] };
const MAX_KEYS = 10;

/** one public key of a client (RFC 7517): RSA of 2048 bits or more, EC P-256/384/521, or Ed25519 */
const publicJwk = z
  .looseObject({
    kty: z.enum(['RSA', 'EC', 'OKP'], { message: 'must be RSA, EC or OKP' }),
    kid: z.string().min(1).max(200).optional(),
    use: z.enum(['sig', 'enc']).optional(),
    alg: z.string().min(1).max(50).optional(),
    crv: z.string().max(20).optional(),
    x5c: z.array(z.string().min(1)).max(10).optional(),
  })
  .superRefine((jwk, ctx) => {
    const secret = PRIVATE_MEMBERS.find((m) => m in jwk);
    if (secret) {
      ctx.addIssue({ code: 'custom', message: `must be a public key: "${secret}" belongs to the private key, which never leaves the application` });
      return;
    }
    const curves = CURVES[jwk.kty];
    if (curves && !curves.includes(String(jwk.crv))) {
      ctx.addIssue({ code: 'custom', path: ['crv'], message: `must be one of ${curves.join(', ')}` });
      return;
    }
    try {
      const key = createPublicKey({ key: jwk as never, format: 'jwk' });
      const bits = key.asymmetricKeyDetails?.modulusLength;
      if (jwk.kty === 'RSA' && (bits ?? 0) < 2048) ctx.addIssue({ code: 'custom', message: 'RSA keys have at least 2048 bits' });
    } catch {
      ctx.addIssue({ code: 'custom', message: `is not a valid ${jwk.kty} public key` });
    }
  });

/** a client's public keys (JWK Set): they verify its private_key_jwt assertions and signed request objects */
export const jwksSchema = z
  .object({ keys: z.array(publicJwk).min(1, 'must hold at least one key').max(MAX_KEYS, `holds at most ${MAX_KEYS} keys`) })
  .superRefine((set, ctx) => {
    const kids = set.keys.map((k) => k.kid).filter((kid) => kid !== undefined);
    if (new Set(kids).size !== kids.length) ctx.addIssue({ code: 'custom', path: ['keys'], message: 'each kid may appear only once' });
  });
export type Jwks = z.output<typeof jwksSchema>;

/** where a client publishes its public keys itself; fetched by the server at the first use and again when stale */
export const jwksUriSchema = z
  .string()
  .trim()
  .max(2000)
  .refine(
    (v) => {
      const url = URL.parse(v);
      return !!url && ['https:', 'http:'].includes(url.protocol) && !url.username && !url.password && !v.includes('#');
    },
    { message: 'must be an absolute http or https URL without fragment or credentials' },
  );

/** the outgoing-request rules a jwks_uri is registered under (OUTBOUND_ALLOW_PRIVATE_ADDRESSES, production) */
export interface OutboundRules {
  allowPrivate: boolean;
  requireHttps: boolean;
}

/**
 * A jwks_uri the server may fetch: https in production, and no literal loopback or private address
 * unless OUTBOUND_ALLOW_PRIVATE_ADDRESSES is set (a name is checked again against what it resolves
 * to at every fetch).
 */
export function checkJwksUri(uri: string, rules: OutboundRules): void {
  const url = new URL(uri);
  if (rules.requireHttps && url.protocol !== 'https:') throw new AppError(400, 'client.invalid', 'jwksUri must be an https URL');
  const host = hostOf(url);
  if (!rules.allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || isPrivateLiteral(url))) {
    throw new AppError(400, 'client.private_address', 'jwksUri points to a loopback or private address');
  }
}
