import { z } from 'zod';
import { CLIENT_GRANTS, clientFieldsSchema, clientUpdateSchema, type RegisteredClient } from '../../accounts/clients.ts';
import { APPLICATION_TYPES } from '../../accounts/client-redirect-uris.ts';
import { CLIENT_AUTH_METHODS, type ClientAuthMethod } from '../../accounts/client-keys.ts';
import { tenantRoute, type AdminRoute } from '../route.ts';
import { auditBy } from '../caller.ts';
import { changes } from '../changes.ts';
import { notFound } from '../../lib/errors.ts';

const clientSchema = z
  .object({
    clientId: z.string(),
    name: z.string(),
    public: z.boolean(),
    firstParty: z.boolean(),
    grants: z.array(z.enum(CLIENT_GRANTS)),
    redirectUris: z.array(z.string()),
    postLogoutRedirectUris: z.array(z.string()),
    resources: z.array(z.object({ resource: z.string(), scope: z.string() })),
    initiateLoginUri: z.string().nullable().describe('where the account console sends a user whose start page is this application'),
    applicationType: z.enum(APPLICATION_TYPES).describe('native: an app on a phone or desktop (RFC 8252): public, loopback redirects match on any port'),
    tokenEndpointAuthMethod: z.enum(CLIENT_AUTH_METHODS),
    jwks: z
      .object({ keys: z.array(z.record(z.string(), z.unknown())) })
      .nullable()
      .describe('the public keys registered for private_key_jwt and signed request objects'),
    jwksUri: z.string().nullable().describe('where the application publishes its public keys itself'),
    requirePushedAuthorizationRequests: z.boolean().describe('authorization requests of this client must come through PAR'),
  })
  .meta({ id: 'Client' });
const clientParam = z.object({ clientId: z.string().min(1).max(64) });
const secretSchema = z.object({ clientId: z.string(), clientSecret: z.string().describe('shown this once; only a sealed copy is kept') });

const view = (c: RegisteredClient): z.input<typeof clientSchema> => ({
  clientId: c.clientId,
  name: c.name,
  firstParty: c.firstParty,
  public: c.metadata.token_endpoint_auth_method === 'none',
  grants: c.metadata.grant_types as (typeof CLIENT_GRANTS)[number][],
  redirectUris: c.metadata.redirect_uris,
  postLogoutRedirectUris: c.metadata.post_logout_redirect_uris ?? [],
  resources: (c.metadata.allowed_resources as { resource: string; scope: string }[] | undefined) ?? [],
  initiateLoginUri: typeof c.metadata.initiate_login_uri === 'string' ? c.metadata.initiate_login_uri : null,
  applicationType: c.metadata.application_type === 'native' ? 'native' : 'web',
  tokenEndpointAuthMethod: c.metadata.token_endpoint_auth_method as ClientAuthMethod,
  jwks: (c.metadata.jwks as { keys: Record<string, unknown>[] } | undefined) ?? null,
  jwksUri: typeof c.metadata.jwks_uri === 'string' ? c.metadata.jwks_uri : null,
  requirePushedAuthorizationRequests: c.metadata.require_pushed_authorization_requests === true,
});

/** the tenant's client or 404, whatever another tenant holds */
async function owned(deps: { clients: { find(id: string): Promise<RegisteredClient | undefined> } }, tenantId: string, clientId: string) {
  const client = await deps.clients.find(clientId);
  if (!client || client.tenantId !== tenantId) return undefined;
  return client;
}

export const clientRoutes: AdminRoute[] = [
  tenantRoute({
    method: 'get',
    path: '/clients',
    operationId: 'listClients',
    tag: 'clients',
    scope: 'admin:read',
    summary: "The tenant's applications (never their secrets)",
    status: 200,
    response: z.object({ items: z.array(clientSchema) }),
    handle: async ({ deps, tenant }) => ({ items: (await deps.clients.listForTenant(tenant.id)).map(view) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/clients',
    operationId: 'createClient',
    tag: 'clients',
    scope: 'admin:write',
    summary: 'Register an application',
    description:
      'A client that authenticates with a secret (client_secret_basic, client_secret_post, client_secret_jwt) gets one, shown in this response only; a private_key_jwt client registers its public keys (jwks or jwksUri) instead; a native application is public.',
    body: clientFieldsSchema,
    status: 201,
    response: z.object({ client: clientSchema, clientSecret: z.string().optional() }),
    errors: [413, 415],
    handle: async ({ deps, tenant, body, caller, ctx }) => {
      const created = await deps.clients.create({ ...body, tenantId: tenant.id });
      const client = (await deps.clients.find(created.clientId))!;
      await deps.audit.record({
        action: 'client.created',
        tenantId: tenant.id,
        ...auditBy(ctx, caller),
        details: { clientId: created.clientId, after: view(client) },
      });
      return { client: view(client), ...(created.clientSecret ? { clientSecret: created.clientSecret } : {}) };
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/clients/{clientId}',
    operationId: 'getClient',
    tag: 'clients',
    scope: 'admin:read',
    summary: 'One application',
    params: clientParam,
    status: 200,
    response: clientSchema,
    errors: [404],
    handle: async ({ deps, tenant, params }) => {
      const client = await owned(deps, tenant.id, params.clientId);
      if (!client) throw notFound('client.not_found', 'No such client in this tenant');
      return view(client);
    },
  }),
  tenantRoute({
    method: 'post',
    path: '/clients/{clientId}/rotate-secret',
    operationId: 'rotateClientSecret',
    tag: 'clients',
    scope: 'admin:write',
    summary: 'Replace the client secret',
    description: 'The new secret is shown in this response only; the old one stops working within seconds (clients are cached for 5 s per process).',
    params: clientParam,
    status: 200,
    response: secretSchema,
    errors: [404, 409],
    handle: async ({ deps, tenant, params, caller, ctx }) => {
      const rotated = await deps.clients.rotateSecret(tenant.id, params.clientId);
      await deps.audit.record({ action: 'client.secret_rotated', tenantId: tenant.id, ...auditBy(ctx, caller), details: { clientId: params.clientId } });
      return rotated;
    },
  }),
  tenantRoute({
    method: 'patch',
    path: '/clients/{clientId}',
    operationId: 'updateClient',
    tag: 'clients',
    scope: 'admin:write',
    summary: "Change an application's redirect URIs, keys or PAR requirement",
    description:
      'Each field given replaces the stored one; a client with the authorization_code grant keeps at least one redirect URI. ' +
      'jwks replaces the whole key set (a rotation first lists the old and the new key, then only the new one); giving jwks removes a jwksUri and the other way round; null removes it. ' +
      'Changes reach the OIDC endpoints within 5 s (clients are cached that long per process).',
    params: clientParam,
    body: clientUpdateSchema,
    status: 200,
    response: clientSchema,
    errors: [404, 413, 415],
    handle: async ({ deps, tenant, params, body, caller, ctx }) => {
      const { before, after } = await deps.clients.update(tenant.id, params.clientId, body);
      const diff = changes(before, after);
      if (diff)
        await deps.audit.record({ action: 'client.updated', tenantId: tenant.id, ...auditBy(ctx, caller), details: { clientId: params.clientId, ...diff } });
      return view((await deps.clients.find(params.clientId))!);
    },
  }),
  tenantRoute({
    method: 'delete',
    path: '/clients/{clientId}',
    operationId: 'deleteClient',
    tag: 'clients',
    scope: 'admin:write',
    summary: 'Delete an application',
    description: 'Tokens it holds stop working once no process has it cached (5 s).',
    params: clientParam,
    status: 204,
    errors: [404],
    handle: async ({ deps, tenant, params, caller, ctx }) => {
      const client = await owned(deps, tenant.id, params.clientId);
      await deps.clients.remove(tenant.id, params.clientId);
      await deps.audit.record({
        action: 'client.deleted',
        tenantId: tenant.id,
        ...auditBy(ctx, caller),
        details: { clientId: params.clientId, before: client ? view(client) : null },
      });
    },
  }),
];
