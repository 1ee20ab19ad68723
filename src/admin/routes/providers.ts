import { z } from 'zod';
import { notFound } from '../../lib/errors.ts';
import { providerChangeSchema, providerFieldsSchema } from '../../federation/provider-input.ts';
import type { UpstreamProvider } from '../../federation/providers.ts';
import { USER_ROLES } from '../../store/entities/user.ts';
import { tenantRoute, type AdminRoute } from '../route.ts';
import { auditBy } from '../caller.ts';
import { changes } from '../changes.ts';
import { iso, timestamp } from '../schemas.ts';

const providerSchema = z
  .object({
    id: z.string(),
    slug: z.string(),
    label: z.string(),
    logoUrl: z.string().nullable(),
    issuer: z.string(),
    clientId: z.string(),
    scopes: z.array(z.string()),
    domains: z.array(z.string()),
    exclusive: z.boolean(),
    provisionRole: z.enum(USER_ROLES).nullable(),
    mfaAmr: z.array(z.string()),
    mfaAcr: z.array(z.string()),
    callbackUrl: z.string().describe('the redirect URI to register at the provider'),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'UpstreamProvider' });
const providerParam = z.object({ provider: z.string().min(1).max(64).describe("the provider's slug or id") });

/** what admins see of a provider: never its client secret */
function view(p: UpstreamProvider, callbackUrl: string): z.input<typeof providerSchema> {
  const { tenantId: _tenant, createdAt, updatedAt, ...rest } = p;
  return { ...rest, callbackUrl, createdAt: iso(createdAt), updatedAt: iso(updatedAt) };
}
/** the audit trail's version: no secret, no timestamps */
const audited = (p: UpstreamProvider) => {
  const { tenantId: _t, createdAt: _c, updatedAt: _u, ...rest } = p;
  return rest;
};

/** a tenant's upstream OpenID Connect providers (docs/federation.md) */
export const providerRoutes: AdminRoute[] = [
  tenantRoute({
    method: 'get',
    path: '/providers',
    operationId: 'listProviders',
    tag: 'federation',
    scope: 'admin:read',
    summary: "The tenant's upstream providers (never their client secrets)",
    status: 200,
    response: z.object({ items: z.array(providerSchema) }),
    handle: async ({ deps, tenant }) => ({ items: (await deps.federation.providers.list(tenant.id)).map((p) => view(p, deps.federation.callbackUrl)) }),
  }),
  tenantRoute({
    method: 'post',
    path: '/providers',
    operationId: 'createProvider',
    tag: 'federation',
    scope: 'admin:write',
    summary: 'Add an upstream provider',
    description: 'The client secret is stored sealed and never returned. Register callbackUrl as the redirect URI at the provider.',
    body: providerFieldsSchema,
    status: 201,
    response: providerSchema,
    errors: [409, 413, 415],
    handle: async ({ deps, tenant, body, caller, ctx }) => {
      const created = await deps.federation.providers.create(tenant.id, body);
      await deps.audit.record({
        action: 'federation.provider_created',
        tenantId: tenant.id,
        ...auditBy(ctx, caller),
        details: { provider: created.slug, after: audited(created) },
      });
      return view(created, deps.federation.callbackUrl);
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/providers/{provider}',
    operationId: 'getProvider',
    tag: 'federation',
    scope: 'admin:read',
    summary: 'One upstream provider',
    params: providerParam,
    status: 200,
    response: providerSchema,
    errors: [404],
    handle: async ({ deps, tenant, params }) => {
      const provider = await deps.federation.providers.find(tenant.id, params.provider);
      if (!provider) throw notFound('provider.not_found', 'No such provider in this tenant');
      return view(provider, deps.federation.callbackUrl);
    },
  }),
  tenantRoute({
    method: 'patch',
    path: '/providers/{provider}',
    operationId: 'updateProvider',
    tag: 'federation',
    scope: 'admin:write',
    summary: 'Change an upstream provider',
    description: 'Fields given replace the stored ones; clientSecret replaces the sealed secret (write-only).',
    params: providerParam,
    body: providerChangeSchema,
    status: 200,
    response: providerSchema,
    errors: [404, 409, 413, 415],
    handle: async ({ deps, tenant, params, body, caller, ctx }) => {
      const { before, after } = await deps.federation.providers.update(tenant.id, params.provider, body);
      const diff = changes(audited(before), audited(after));
      await deps.audit.record({
        action: 'federation.provider_updated',
        tenantId: tenant.id,
        ...auditBy(ctx, caller),
        details: { provider: after.slug, ...(diff ?? {}), ...(body.clientSecret !== undefined ? { secretReplaced: true } : {}) },
      });
      return view(after, deps.federation.callbackUrl);
    },
  }),
  tenantRoute({
    method: 'delete',
    path: '/providers/{provider}',
    operationId: 'deleteProvider',
    tag: 'federation',
    scope: 'admin:write',
    summary: 'Remove an upstream provider',
    description: 'Identities linked through it are removed; users it provisioned stay (without a password they need an admin reset).',
    params: providerParam,
    status: 204,
    errors: [404],
    handle: async ({ deps, tenant, params, caller, ctx }) => {
      const removed = await deps.federation.providers.remove(tenant.id, params.provider);
      if (!removed) throw notFound('provider.not_found', 'No such provider in this tenant');
      await deps.audit.record({
        action: 'federation.provider_deleted',
        tenantId: tenant.id,
        ...auditBy(ctx, caller),
        details: { provider: removed.slug, before: audited(removed) },
      });
    },
  }),
];
