import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { errors } from 'oidc-provider';
import type Provider from 'oidc-provider';
import type { PrivateJwk } from './signing-keys.ts';
import { epochSeconds, type Clock } from '../lib/clock.ts';

/** what an access token this provider issued says about the user it speaks for */
export interface SubjectToken {
  format: 'jwt' | 'opaque';
  /** the user */
  accountId: string;
  /** the client the token was issued to */
  clientId: string;
  scopes: Set<string>;
  /** epoch seconds */
  exp: number;
  /** the actor claim of a token that was itself obtained by token exchange */
  act?: Record<string, unknown>;
}

export interface SubjectTokenReader {
  /**
   * The access token, when this provider issued it to a user's grant and it still holds:
   * invalid_request for a value that is no access token at all, invalid_grant for one that is
   * unknown, expired, revoked, sender-constrained or speaks for no user.
   */
  read(value: string): Promise<SubjectToken>;
}

/** public members of the signing keys; never the private ones */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use'];
const MAX_LENGTH = 8192;
// oidc-provider's opaque values are nanoids
const OPAQUE = /^[A-Za-z0-9_-]{16,128}$/;

const malformed = () => new errors.InvalidRequest('subject_token is not an access token issued by this server');
/**
 * invalid_grant that says why (oidc-provider's InvalidGrant keeps its reason to the logs): the
 * service holds the token it sent, so the reason tells it nothing it could not learn otherwise
 */
export const invalidGrant = (description: string) => new errors.CustomOIDCProviderError('invalid_grant', description);
const refused = (why: string) => invalidGrant(`subject_token ${why}`);

/**
 * Reads both formats oidc-provider issues: an opaque token through its AccessToken model (a
 * revoked one is gone from the store; its grant must still exist), a JWT access token (RFC 9068)
 * by its signature with the keys of this provider instance. A JWT access token cannot be revoked
 * one by one: it holds until it expires (ACCESS_TOKEN_TTL); a deactivated user is refused by the caller.
 */
export function createSubjectTokenReader(deps: { provider: Provider; jwks: readonly PrivateJwk[]; clock: Clock }): SubjectTokenReader {
  const keys = createLocalJWKSet({
    keys: deps.jwks.map((k) => Object.fromEntries(PUBLIC_MEMBERS.filter((m) => m in k).map((m) => [m, k[m]])) as JWK),
  });
  const now = () => epochSeconds(deps.clock);

  async function readJwt(value: string): Promise<SubjectToken> {
    let payload: JWTPayload & { client_id?: unknown; scope?: unknown; cnf?: unknown; act?: unknown };
    try {
      ({ payload } = await jwtVerify(value, keys, {
        issuer: deps.provider.issuer,
        typ: 'at+jwt',
        algorithms: ['ES256', 'RS256'],
        currentDate: new Date(deps.clock.now()),
      }));
    } catch (err) {
      throw refused(err instanceof joseErrors.JWTExpired ? 'has expired' : 'is not a valid access token of this server');
    }
    const { sub, client_id: clientId, scope, exp, cnf, act } = payload;
    if (typeof clientId !== 'string' || typeof exp !== 'number') throw refused('is not a valid access token of this server');
    if (cnf !== undefined) throw refused('is sender-constrained and cannot be exchanged');
    if (typeof sub !== 'string' || sub === clientId) throw refused('speaks for no user');
    return {
      format: 'jwt',
      accountId: sub,
      clientId,
      scopes: new Set(typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []),
      exp,
      ...(isObject(act) ? { act } : {}),
    };
  }

  async function readOpaque(value: string): Promise<SubjectToken> {
    const token = await deps.provider.AccessToken.find(value);
    // expired on Latchkey's clock too: the in-process store forgets it by that clock, Redis by its own
    if (!token || typeof token.exp !== 'number' || token.exp <= now()) throw refused('is unknown, expired or revoked');
    if (token.isSenderConstrained()) throw refused('is sender-constrained and cannot be exchanged');
    if (!token.accountId || !token.clientId) throw refused('speaks for no user');
    // as the userinfo endpoint does: the token holds only while the grant it came from does
    const grant = token.grantId ? await deps.provider.Grant.find(token.grantId, { ignoreExpiration: true }) : undefined;
    if (!grant || grant.isExpired || grant.clientId !== token.clientId || grant.accountId !== token.accountId) throw refused('was revoked');
    const act = token.extra?.act;
    return {
      format: 'opaque',
      accountId: token.accountId,
      clientId: token.clientId,
      scopes: token.scopes,
      exp: token.exp,
      ...(isObject(act) ? { act } : {}),
    };
  }

  return {
    async read(value) {
      checkWellFormed(value);
      return value.includes('.') ? readJwt(value) : readOpaque(value);
    },
  };
}

/** invalid_request unless the value has the form of an opaque or a JWT access token of oidc-provider */
export function checkWellFormed(value: string): void {
  if (value.length > MAX_LENGTH) throw malformed();
  if (!value.includes('.')) {
    if (!OPAQUE.test(value)) throw malformed();
    return;
  }
  try {
    if (value.split('.').length !== 3) throw malformed();
    decodeProtectedHeader(value);
    decodeJwt(value);
  } catch {
    throw malformed();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
