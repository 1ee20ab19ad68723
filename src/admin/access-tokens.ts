import { createLocalJWKSet, errors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import type { Clock } from '../lib/clock.ts';

/** what a valid access token for the admin API says */
export interface AccessTokenClaims {
  userId: string;
  clientId: string;
  scopes: string[];
  tokenId?: string;
}

export interface AccessTokenVerifier {
  /** the claims of a JWT access token Latchkey issued for the admin API's audience, else undefined */
  verify(token: string): Promise<AccessTokenClaims | undefined>;
}

/** public members of the signing keys; never the private ones */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use', 'key_ops'];
/** how long the key set is trusted before it is read again (rotation keeps old keys published for longer) */
const KEYS_TTL_MS = 60_000;
/** a token signed by an unknown kid reloads the keys at most this often */
const RELOAD_MIN_MS = 5_000;

/**
 * RFC 9068 JWT access tokens from our own provider: signed by one of the issuer's published keys,
 * `typ` at+jwt, our issuer, the admin API's resource indicator as audience, not expired. A
 * sender-constrained token (DPoP, `cnf`) is refused: this API does not check proofs.
 */
export function createAccessTokenVerifier(deps: {
  issuer: string;
  audience: string;
  keys: { loadJwks(): Promise<Array<Record<string, unknown>>> };
  clock: Clock;
}): AccessTokenVerifier {
  let cached: { at: number; set: ReturnType<typeof createLocalJWKSet> } | undefined;
  const keySet = async (force: boolean) => {
    const at = deps.clock.now();
    const fresh = cached && (force ? at - cached.at < RELOAD_MIN_MS : at - cached.at < KEYS_TTL_MS);
    if (!fresh) {
      const keys = (await deps.keys.loadJwks()).map((k) => Object.fromEntries(PUBLIC_MEMBERS.filter((m) => m in k).map((m) => [m, k[m]])) as JWK);
      cached = { at, set: createLocalJWKSet({ keys }) };
    }
    return cached!.set;
  };
  const options = () => ({
    issuer: deps.issuer,
    audience: deps.audience,
    typ: 'at+jwt',
    algorithms: ['ES256', 'RS256'],
    currentDate: new Date(deps.clock.now()),
  });
  const check = async (token: string): Promise<JWTPayload> => {
    try {
      return (await jwtVerify(token, await keySet(false), options())).payload;
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      return (await jwtVerify(token, await keySet(true), options())).payload;
    }
  };
  return {
    async verify(token) {
      if (token.length > 8192 || token.split('.').length !== 3) return undefined;
      let payload: JWTPayload;
      try {
        payload = await check(token);
      } catch {
        return undefined;
      }
      const { sub, client_id: clientId, scope, cnf, jti } = payload as JWTPayload & { client_id?: unknown; scope?: unknown; cnf?: unknown };
      if (typeof sub !== 'string' || typeof clientId !== 'string' || cnf !== undefined) return undefined;
      return {
        userId: sub,
        clientId,
        scopes: typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [],
        ...(typeof jti === 'string' ? { tokenId: jti } : {}),
      };
    },
  };
}
