import { errors, type Configuration, type KoaContextWithOIDC, type TokenEndpointGrantContext } from 'oidc-provider';
import { answerUnregisteredGrant } from './unregistered-grant.ts';
import type Provider from 'oidc-provider';
import type { Middleware } from 'koa';
import type { UserService } from '../accounts/users.ts';
import type { AuditLog } from '../accounts/audit.ts';
import type { PrivateJwk } from './signing-keys.ts';
import { checkWellFormed, createSubjectTokenReader, invalidGrant, type SubjectToken } from './subject-token.ts';
import { delegatedScope, scopeValues } from '../policy/delegated-scope.ts';
import { epochSeconds, type Clock } from '../lib/clock.ts';

/** OAuth 2.0 Token Exchange (RFC 8693): a service obtains a token for another API on a user's behalf */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

type ExchangeParams = {
  subject_token?: string;
  subject_token_type?: string;
  requested_token_type?: string;
  actor_token?: string;
  actor_token_type?: string;
  audience?: string;
};
type ExchangeContext = TokenEndpointGrantContext<ExchangeParams>;

const PARAMETERS = ['subject_token', 'subject_token_type', 'requested_token_type', 'actor_token', 'actor_token_type', 'resource', 'audience', 'scope'];
const USER_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** the actor claim (RFC 8693 §4.1) of each exchanged token until oidc-provider asks for it (actorClaims) */
const ACTORS = new WeakMap<object, { act: Record<string, unknown> }>();

/** configuration.extraTokenClaims: an exchanged access token names the service acting for the user */
export const actorClaims: NonNullable<Configuration['extraTokenClaims']> = (_ctx, token) => ACTORS.get(token);

export interface TokenExchangeDeps {
  users: Pick<UserService, 'findById'>;
  audit: Pick<AuditLog, 'record'>;
  clock: Clock;
}

/**
 * Registers the token-exchange grant on one provider instance (ProviderHost builds a new one at
 * each key rotation). `built` is what that instance was made from: its configuration (the
 * resource servers clients may use) and its signing keys (to verify JWT subject tokens).
 */
export function registerTokenExchange(provider: Provider, built: { configuration: Configuration; jwks: readonly PrivateJwk[] }, deps: TokenExchangeDeps): void {
  // the very function the other grants use: the client's registered resources (configuration.ts)
  const { getResourceServerInfo } = built.configuration.features?.resourceIndicators ?? {};
  if (!getResourceServerInfo) throw new Error('token exchange needs features.resourceIndicators.getResourceServerInfo');
  const resourceServerInfo = getResourceServerInfo;
  const subjects = createSubjectTokenReader({ provider, jwks: built.jwks, clock: deps.clock });

  async function exchange(ctx: ExchangeContext) {
    const { client, params } = ctx.oidc;
    if (client.clientAuthMethod === 'none') throw new errors.UnauthorizedClient('a public client cannot exchange tokens');
    const tenantId = String(client.tenant_id);
    if (typeof params.subject_token !== 'string' || params.subject_token === '') throw new errors.InvalidRequest("missing required parameter 'subject_token'");
    if (typeof params.subject_token_type !== 'string') throw new errors.InvalidRequest("missing required parameter 'subject_token_type'");
    if (params.subject_token_type !== ACCESS_TOKEN_TYPE) throw new errors.InvalidRequest(`subject_token_type must be ${ACCESS_TOKEN_TYPE}`);
    if (params.requested_token_type !== undefined && params.requested_token_type !== ACCESS_TOKEN_TYPE) {
      throw new errors.InvalidRequest(`requested_token_type must be ${ACCESS_TOKEN_TYPE}`);
    }
    if (params.actor_token !== undefined || params.actor_token_type !== undefined) {
      throw new errors.InvalidRequest('actor_token is not supported: the authenticated client is the actor');
    }
    checkWellFormed(params.subject_token);

    const target = targetOf(params.resource, params.audience);
    const resourceServer = new provider.ResourceServer(target, await resourceServerInfo(ctx, target, client));

    const subject = await subjects.read(params.subject_token);
    await checkSameTenant(subject, tenantId);

    const decided = delegatedScope(scopeValues(params.scope), subject.scopes, [...resourceServer.scopes].filter(Boolean));
    if (!decided.ok) {
      if (decided.reason === 'not_allowed') {
        throw new errors.InvalidScope('requested scope is wider than the subject_token or the client allows for this resource', decided.scope.join(' '));
      }
      throw new errors.CustomOIDCProviderError('invalid_scope', 'the subject_token carries no scope the client may use at this resource');
    }
    const scope = decided.scope.join(' ');

    // a JWT (every registered resource gets one): nothing is stored, so it belongs to no grant
    const token = new provider.AccessToken({ accountId: subject.accountId, client, gty: 'token_exchange', scope } as ConstructorParameters<
      Provider['AccessToken']
    >[0]);
    token.resourceServer = resourceServer;
    // an exchanged token never outlives the user's token it came from
    const remaining = subject.exp - epochSeconds(deps.clock);
    if (remaining < token.expiration) (token as unknown as { expiresIn: number }).expiresIn = remaining;
    ACTORS.set(token, { act: { sub: client.clientId, ...(subject.act ? { act: subject.act } : {}) } });
    ctx.oidc.entity('AccessToken', token);
    const value = await token.save();

    await deps.audit.record({
      action: 'token.exchanged',
      tenantId,
      userId: subject.accountId,
      actor: `client:${client.clientId}`,
      ip: ctx.ip,
      ...(ctx.get('user-agent') ? { userAgent: ctx.get('user-agent') } : {}),
      details: { clientId: client.clientId, subjectClientId: subject.clientId, resource: target, scope, tokenId: token.jti },
    });

    ctx.body = {
      access_token: value,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: token.tokenType,
      expires_in: token.expiration,
      scope,
    };
  }

  /**
   * The user, and the client the user's token was issued to, must both be of the requesting
   * client's tenant, and the user still active: anything else is invalid_grant.
   */
  async function checkSameTenant(subject: SubjectToken, tenantId: string) {
    const issuedTo = await provider.Client.find(subject.clientId);
    if (!issuedTo || issuedTo.tenant_id !== tenantId) throw invalidGrant('subject_token was issued in another tenant');
    const user = USER_ID.test(subject.accountId) ? await deps.users.findById(subject.accountId) : undefined;
    if (!user || user.tenantId !== tenantId) throw invalidGrant('subject_token was issued in another tenant');
    if (user.status !== 'active') throw invalidGrant('the user of the subject_token is not active');
  }

  provider.registerGrantType(TOKEN_EXCHANGE_GRANT, exchange, PARAMETERS, ['resource']);
  provider.use(unauthorizedClient);
}

/** one target API: `resource` (RFC 8707) or `audience`, which here names a resource indicator too */
function targetOf(resource: unknown, audience: unknown): string {
  const named = [...new Set([resource, audience].flat().filter((v) => v !== undefined))];
  if (named.length === 0) throw new errors.InvalidTarget('resource or audience is required: the API the token is for');
  if (named.length > 1) throw new errors.InvalidTarget('only one resource or audience may be requested');
  const [target] = named;
  if (typeof target !== 'string' || !URL.canParse(target) || target.includes('#')) {
    throw new errors.InvalidTarget('resource indicator must be an absolute URI without a fragment');
  }
  return target;
}

/** a token-exchange request from a client not registered for it: unauthorized_client */
const unauthorizedClient: Middleware = async (ctx, next) => {
  await next();
  const { oidc } = ctx as unknown as Partial<KoaContextWithOIDC>;
  if (oidc?.route !== 'token' || oidc.params?.grant_type !== TOKEN_EXCHANGE_GRANT) return;
  answerUnregisteredGrant(ctx, TOKEN_EXCHANGE_GRANT, 'the client is not registered for the token-exchange grant');
};
