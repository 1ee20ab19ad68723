import { errors, type Configuration } from 'oidc-provider';
import type { Settings } from '../config/schema.ts';
import type { Renderer } from '../http/views.ts';
import type { UserService } from '../accounts/users.ts';
import type { TenantService } from '../accounts/tenants.ts';
import type { PrivateJwk } from './signing-keys.ts';
import type { ClientWithTenant } from './adapter.ts';
import { createFindAccount } from './account.ts';
import { clientKeyFeatures } from './client-auth.ts';
import { CLAIMS, SCOPES } from './claims.ts';
import { loadExistingGrant } from './grants.ts';
import { actorClaims } from './token-exchange.ts';
import { providerPages } from './pages.ts';
import { deviceFlowFeature } from './device-flow.ts';
import { latchkeyInteractionPolicy } from './interaction-policy.ts';
import { ACR_VALUES_SUPPORTED } from '../policy/authentication-context.ts';
import { SUPPORTED_LOCALES } from '../lib/locale-match.ts';
import { hostCookie, isHttpsIssuer, pathCookieName } from '../lib/cookie-names.ts';
import { epochSeconds, type Clock } from '../lib/clock.ts';
import { issuerOf } from '../config/load.ts';
import { sessionKeepSeconds, type SessionLifetime } from '../policy/session-lifetime.ts';

export interface ProviderDeps {
  settings: Settings;
  renderer: Renderer;
  users: UserService;
  tenants: TenantService;
  adapter: (name: string) => import('oidc-provider').Adapter;
  cookieKeys: string[];
  jwks: PrivateJwk[];
  clock: Clock;
}

/** the two limits of a sign-in session (docs/configuration.md) */
export function sessionLifetimeOf(settings: Settings): SessionLifetime {
  return { idleSeconds: settings.SESSION_TTL, maxSeconds: settings.SESSION_MAX_LIFETIME };
}

/** Every default oidc-provider warns about is replaced here; a test fails on any WARNING. */
export function buildConfiguration(deps: ProviderDeps): Configuration {
  const { settings } = deps;
  const pages = providerPages(deps.renderer);
  const issuer = issuerOf(settings);
  const sessionCookie = hostCookie(issuer, 'lk.session');
  const lifetime = sessionLifetimeOf(settings);
  return {
    adapter: deps.adapter,
    findAccount: createFindAccount(deps.users, deps.tenants),
    jwks: { keys: deps.jwks as never },
    cookies: {
      keys: deps.cookieKeys,
      // The session cookie is for the whole host: __Host- on https (src/lib/cookie-names.ts).
      // oidc-provider scopes the interaction cookie to /interaction/<uid> and the resume cookie to
      // /auth/<uid> (it forces that path), so each sign-in in progress keeps its own in parallel
      // tabs; a path-scoped cookie cannot be __Host-, so these two are __Secure- (and signed).
      names: {
        session: sessionCookie.name,
        interaction: pathCookieName(issuer, 'lk.interaction'),
        resume: pathCookieName(issuer, 'lk.resume'),
      },
      long: { ...sessionCookie.options, signed: true },
      // no path here: oidc-provider gives each of these its sign-in's own
      short: { httpOnly: true, sameSite: 'lax', signed: true, secure: isHttpsIssuer(issuer) },
    },
    // the claims of each scope, and the claims parameter's rules: src/policy/claims.ts
    claims: CLAIMS,
    scopes: SCOPES,
    responseTypes: ['code'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    // Refresh tokens go to every client registered for the refresh_token grant.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    extraClientMetadata: {
      properties: ['tenant_id', 'first_party', 'allowed_resources'],
      validator() {
        /* written only by Latchkey's own client service */
      },
    },
    clientBasedCORS: (_ctx, origin, client) => client.redirectUris?.some((uri) => safeOrigin(uri) === origin) ?? false,
    // provider_hint: a sign-in that goes straight to one upstream provider (docs/federation.md)
    extraParams: ['provider_hint'],
    interactions: { policy: latchkeyInteractionPolicy(deps), url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    acrValues: [...ACR_VALUES_SUPPORTED],
    discovery: { ui_locales_supported: [...SUPPORTED_LOCALES] },
    loadExistingGrant,
    renderError: pages.renderError,
    extraTokenClaims: actorClaims,
    ttl: {
      AccessToken: settings.ACCESS_TOKEN_TTL,
      AuthorizationCode: 60,
      ClientCredentials: settings.ACCESS_TOKEN_TTL,
      IdToken: settings.ID_TOKEN_TTL,
      RefreshToken: settings.REFRESH_TOKEN_TTL,
      Interaction: settings.INTERACTION_TTL,
      // Saved at every use, the session is kept for the idle time, never past its absolute
      // lifetime; the adapter refuses to read it afterwards (src/oidc/adapter.ts).
      Session: (_ctx: unknown, session: { iat?: number }) => {
        const now = epochSeconds(deps.clock);
        // the first save dates the session on Latchkey's clock; oidc-provider keeps iat on later saves
        if (typeof session.iat !== 'number') session.iat = now;
        return sessionKeepSeconds(session.iat, now, lifetime);
      },
      Grant: settings.REFRESH_TOKEN_TTL,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 60,
    } as never,
    fetch: (url, options) => {
      if (settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES) delete (options as { dispatcher?: unknown }).dispatcher;
      return globalThis.fetch(url, options);
    },
    features: {
      ...clientKeyFeatures,
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: deviceFlowFeature(deps),
      // lets applications ask for an essential acr claim (a step-up) as well as acr_values
      claimsParameter: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => sameClientOrConfidential(client, token) },
      revocation: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, logoutSource: pages.logoutSource, postLogoutSuccessSource: pages.postLogoutSuccessSource },
      backchannelLogout: { enabled: true },
      pushedAuthorizationRequests: { enabled: true, requirePushedAuthorizationRequests: false },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (_ctx, _client, oneOf) => oneOf ?? (undefined as never),
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, resource, client) => {
          const allowed = (client as unknown as ClientWithTenant).allowed_resources as { resource: string; scope: string }[] | undefined;
          const match = allowed?.find((r) => r.resource === resource);
          if (!match) throw new errors.InvalidTarget('resource is not registered for this client');
          return {
            scope: match.scope,
            audience: match.resource,
            accessTokenTTL: settings.ACCESS_TOKEN_TTL,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
  };
}

function sameClientOrConfidential(client: { clientAuthMethod?: string; clientId: string }, token: { clientId?: string }) {
  return client.clientAuthMethod !== 'none' ? token.clientId === client.clientId : false;
}

function safeOrigin(uri: string): string | undefined {
  try {
    return new URL(uri).origin;
  } catch {
    return undefined;
  }
}
