import { z } from 'zod';
import { apiTokenInputSchema, type ApiToken } from '../api-tokens.ts';
import { route, type AdminRoute } from '../route.ts';
import { iso, isoOrNull, timestamp } from '../schemas.ts';
import { ADMIN_SCOPES } from '../scopes.ts';

const apiTokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scopes: z.array(z.enum(ADMIN_SCOPES)),
    status: z.enum(['active', 'expired', 'revoked']),
    createdAt: timestamp,
    expiresAt: timestamp,
    lastUsedAt: timestamp.nullable().describe('recorded at most once a minute'),
    revokedAt: timestamp.nullable(),
    previousValidUntil: timestamp.nullable().describe('after a rotation: until when the previous token still works'),
  })
  .meta({ id: 'ApiToken' });
const issuedSchema = z.object({
  token: z.string().describe('lk_<id>_<secret>: shown in this response only; only its SHA-256 is stored'),
  apiToken: apiTokenSchema,
});
const tokenParam = z.object({ tokenId: z.uuid() });

const view = (t: ApiToken): z.input<typeof apiTokenSchema> => ({
  id: t.id,
  name: t.name,
  scopes: t.scopes as (typeof ADMIN_SCOPES)[number][],
  status: t.status,
  createdAt: iso(t.createdAt),
  expiresAt: iso(t.expiresAt),
  lastUsedAt: isoOrNull(t.lastUsedAt),
  revokedAt: isoOrNull(t.revokedAt),
  previousValidUntil: isoOrNull(t.previousValidUntil),
});

/** the caller's own tokens: nobody lists, rotates or revokes another user's */
export const tokenRoutes: AdminRoute[] = [
  route({
    method: 'get',
    path: '/tokens',
    operationId: 'listApiTokens',
    tag: 'tokens',
    scope: 'admin:read',
    summary: 'Your API tokens (never their secrets)',
    status: 200,
    response: z.object({ items: z.array(apiTokenSchema) }),
    handle: async ({ deps, caller }) => ({ items: (await deps.apiTokens.list(caller.userId)).map(view) }),
  }),
  route({
    method: 'post',
    path: '/tokens',
    operationId: 'createApiToken',
    tag: 'tokens',
    scope: 'admin:write',
    summary: 'Create an API token',
    description: 'Only owners and admins; the token is shown in this response only. Expiry 1 to 365 days (default 90).',
    body: apiTokenInputSchema,
    status: 201,
    response: issuedSchema,
    errors: [409, 413, 415],
    handle: async ({ deps, caller, body }) => {
      const issued = await deps.apiTokens.create(caller.userId, body, caller.actor);
      return { token: issued.token, apiToken: view(issued.apiToken) };
    },
  }),
  route({
    method: 'post',
    path: '/tokens/{tokenId}/rotate',
    operationId: 'rotateApiToken',
    tag: 'tokens',
    scope: 'admin:write',
    summary: 'Replace the secret of a token',
    description: 'The new token is shown in this response only; the previous one keeps working for 10 minutes so callers can switch.',
    params: tokenParam,
    status: 200,
    response: issuedSchema,
    errors: [404, 409],
    handle: async ({ deps, caller, params }) => {
      const issued = await deps.apiTokens.rotate(caller.userId, params.tokenId, caller.actor);
      return { token: issued.token, apiToken: view(issued.apiToken) };
    },
  }),
  route({
    method: 'delete',
    path: '/tokens/{tokenId}',
    operationId: 'revokeApiToken',
    tag: 'tokens',
    scope: 'admin:write',
    summary: 'Revoke a token',
    description: 'It stops working at once, its previous secret too.',
    params: tokenParam,
    status: 200,
    response: z.object({ apiToken: apiTokenSchema }),
    errors: [404],
    handle: async ({ deps, caller, params }) => ({ apiToken: view(await deps.apiTokens.revoke(caller.userId, params.tokenId, caller.actor)) }),
  }),
  route({
    method: 'get',
    path: '/me',
    operationId: 'whoAmI',
    tag: 'tokens',
    scope: 'admin:read',
    summary: 'Who the bearer token speaks for',
    status: 200,
    response: z.object({
      userId: z.uuid(),
      tenantId: z.uuid(),
      scopes: z.array(z.string()),
      via: z.enum(['api_token', 'oauth']),
      tokenId: z.string().nullable(),
    }),
    handle: async ({ caller }) => ({
      userId: caller.userId,
      tenantId: caller.tenantId,
      scopes: caller.scopes,
      via: caller.via,
      tokenId: caller.tokenId ?? null,
    }),
  }),
];
