import * as oidc from 'openid-client';
import type { UpstreamProvider } from './providers.ts';
import type { UpstreamFetch } from './upstream-fetch.ts';
import type { Clock } from '../lib/clock.ts';

/** what a sign-in keeps between the redirect to the upstream and the callback */
export interface UpstreamChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface UpstreamClaims {
  iss: string;
  sub: string;
  email?: string | undefined;
  email_verified?: unknown;
  given_name?: string | undefined;
  family_name?: string | undefined;
  amr?: unknown;
  acr?: unknown;
}

export interface UpstreamClient {
  /**
   * The upstream's authorization URL for a new attempt, and the checks to keep server-side.
   * `fresh`: the upstream must authenticate the person now (prompt=login, max_age=0).
   */
  begin(provider: UpstreamProvider, options?: { fresh?: boolean }): Promise<{ url: URL; checks: UpstreamChecks }>;
  /**
   * The callback: the authorization response checked (state, iss), the code exchanged with
   * PKCE, and the ID token verified by openid-client (signature against the upstream's JWKS,
   * iss, aud, nonce, exp). Throws on any failure; failureOf() names it. `maxAge` (seconds):
   * the ID token must carry an auth_time at most that old (openid-client's check).
   */
  complete(provider: UpstreamProvider, callback: URL, checks: UpstreamChecks, options?: { maxAge?: number }): Promise<UpstreamClaims>;
}

/** how long a provider's discovery document (and with it its JWKS cache) is kept, and for how many providers */
const DISCOVERY_TTL_MS = 10 * 60_000;
const DISCOVERY_MAX = 500;

/**
 * Latchkey as relying party of upstream providers, through openid-client: authorization code
 * with PKCE (S256), state and nonce, ID token signature checked (non-repudiation checks on,
 * since the token endpoint response alone is only TLS-trusted). Discovery is cached per
 * provider version for DISCOVERY_TTL_MS, at most DISCOVERY_MAX entries.
 */
export function createUpstreamClient(deps: {
  callbackUrl: string;
  fetch: UpstreamFetch;
  timeoutMs: number;
  allowHttp: boolean;
  clock: Clock;
  clientSecret(provider: UpstreamProvider): Promise<string>;
}): UpstreamClient {
  const cache = new Map<string, { at: number; config: Promise<oidc.Configuration> }>();

  const configure = (provider: UpstreamProvider): Promise<oidc.Configuration> => {
    const key = `${provider.id}:${provider.updatedAt.getTime()}`;
    const hit = cache.get(key);
    if (hit && deps.clock.now() - hit.at < DISCOVERY_TTL_MS) return hit.config;
    if (cache.size >= DISCOVERY_MAX) cache.clear();
    const config = (async () => {
      const secret = await deps.clientSecret(provider);
      const execute = [oidc.enableNonRepudiationChecks, ...(deps.allowHttp ? [oidc.allowInsecureRequests] : [])];
      return oidc.discovery(new URL(provider.issuer), provider.clientId, { redirect_uri: deps.callbackUrl }, oidc.ClientSecretBasic(secret), {
        execute,
        timeout: deps.timeoutMs / 1000,
        [oidc.customFetch]: deps.fetch as never,
      });
    })();
    // a failed discovery is not kept: the next attempt asks again
    config.catch(() => cache.delete(key));
    cache.set(key, { at: deps.clock.now(), config });
    return config;
  };

  return {
    async begin(provider, options = {}) {
      const config = await configure(provider);
      const checks = { state: oidc.randomState(), nonce: oidc.randomNonce(), codeVerifier: oidc.randomPKCECodeVerifier() };
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: deps.callbackUrl,
        scope: provider.scopes.join(' '),
        response_type: 'code',
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
        code_challenge_method: 'S256',
        ...(options.fresh ? { prompt: 'login', max_age: '0' } : {}),
      });
      return { url, checks };
    },

    async complete(provider, callback, checks, options = {}) {
      const config = await configure(provider);
      const tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
        ...(options.maxAge !== undefined ? { maxAge: options.maxAge } : {}),
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('the upstream returned no ID token');
      if (claims.email !== undefined || !provider.scopes.includes('email')) return claims as unknown as UpstreamClaims;
      // many providers (oidc-provider among them) put scope claims in userinfo only; it must name the same subject
      const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
      const { email, email_verified, given_name, family_name } = info;
      return { ...claims, email, email_verified, given_name, family_name } as unknown as UpstreamClaims;
    },
  };
}

export type UpstreamFailure = 'unreachable' | 'timeout' | 'wrong-issuer' | 'bad-signature' | 'error-response' | 'invalid-response';

/** which failure an error of begin() or complete() is, for the page and the audit event */
export function failureOf(err: unknown): { failure: UpstreamFailure; detail?: string } {
  if (err instanceof oidc.AuthorizationResponseError || err instanceof oidc.ResponseBodyError) {
    return { failure: 'error-response', detail: err.error.slice(0, 64) };
  }
  const chain: Array<{ code?: unknown; message?: unknown; name?: unknown; cause?: unknown }> = [];
  for (let e: unknown = err; e && typeof e === 'object' && chain.length < 8; e = (e as { cause?: unknown }).cause) chain.push(e as never);
  const codes = chain.map((e) => String(e.code ?? ''));
  const messages = chain.map((e) => String(e.message ?? ''));
  if (codes.includes('ETIMEDOUT') || codes.includes('OAUTH_TIMEOUT') || chain.some((e) => e.name === 'TimeoutError')) return { failure: 'timeout' };
  if (
    codes.some((c) =>
      [
        'ECONNREFUSED',
        'ECONNRESET',
        'ENOTFOUND',
        'EAI_AGAIN',
        'EHOSTUNREACH',
        'ENETUNREACH',
        'EPRIVATEADDRESS',
        'EPROTO',
        'CERT_HAS_EXPIRED',
        'DEPTH_ZERO_SELF_SIGNED_CERT',
      ].includes(c),
    )
  ) {
    return { failure: 'unreachable', detail: codes.find(Boolean) };
  }
  if (messages.includes('JWT signature verification failed') || codes.includes('OAUTH_KEY_SELECTION_FAILED')) return { failure: 'bad-signature' };
  const issuerMismatch = chain.some((e) => {
    const cause = e.cause as { attribute?: unknown; claim?: unknown } | undefined;
    return cause?.attribute === 'issuer' || cause?.claim === 'iss';
  });
  if (issuerMismatch) return { failure: 'wrong-issuer' };
  return { failure: 'invalid-response', detail: codes.find((c) => c.startsWith('OAUTH_')) ?? messages[0]?.slice(0, 120) };
}
