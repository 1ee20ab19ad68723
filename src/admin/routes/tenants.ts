import { z } from 'zod';
import { tenantPolicySchema } from '../../policy/tenant-policy.ts';
import { LOGO_URL_MAX, logoUrlSchema, type Tenant } from '../../accounts/tenants.ts';
import { tenantRoute, type AdminRoute } from '../route.ts';
import { changes } from '../changes.ts';
import { auditBy } from '../caller.ts';

export const tenantSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    displayName: z.string(),
    parentId: z.uuid().nullable().describe('the reseller this tenant belongs to, whose admins administer it too'),
    logoUrl: z.string().nullable().describe('an https image shown beside the display name on the sign-in pages'),
  })
  .meta({ id: 'Tenant' });

const tenantPatchSchema = z
  .object({
    displayName: z.string().trim().min(1).max(200).optional().describe('the name the sign-in pages show'),
    logoUrl: logoUrlSchema.nullable().optional().describe(`https URL of the logo (at most ${LOGO_URL_MAX} characters, no credentials); null removes it`),
  })
  .strict()
  .refine((b) => b.displayName !== undefined || b.logoUrl !== undefined, 'name displayName or logoUrl');
const policyResponse = z.object({ policy: tenantPolicySchema });

/**
 * A partial policy: each section's settings optional, unknown ones refused. Built from the policy
 * schema itself (without its cross-field rules, which the merged result is checked against).
 */
const policyPatchSchema = z
  .object(
    Object.fromEntries(
      Object.entries(tenantPolicySchema.shape).map(([section, schema]) => {
        const object = (schema as unknown as { unwrap(): z.ZodObject<z.ZodRawShape> }).unwrap();
        return [section, z.object(object.shape).partial().strict().optional()];
      }),
    ) as Record<string, z.ZodOptional<z.ZodObject<z.ZodRawShape>>>,
  )
  .strict();

export const tenantView = (t: Tenant): z.input<typeof tenantSchema> => ({
  id: t.id,
  name: t.name,
  displayName: t.displayName,
  parentId: t.parentId,
  logoUrl: t.logoUrl,
});

export const tenantRoutes: AdminRoute[] = [
  tenantRoute({
    method: 'get',
    path: '',
    operationId: 'getTenant',
    tag: 'tenants',
    scope: 'admin:read',
    summary: 'The tenant',
    status: 200,
    response: tenantSchema,
    handle: async ({ tenant }) => tenantView(tenant),
  }),
  tenantRoute({
    method: 'patch',
    path: '',
    operationId: 'updateTenant',
    tag: 'tenants',
    scope: 'admin:write',
    summary: "Change the tenant's display name or logo",
    description:
      "The hosted sign-in pages show the display name and, when set, the logo (an https image; the pages' Content-Security-Policy admits its origin). Settings not named keep their values.",
    body: tenantPatchSchema,
    status: 200,
    response: tenantSchema,
    errors: [413, 415],
    handle: async ({ deps, tenant, body, caller, ctx }) => {
      const input = body as z.infer<typeof tenantPatchSchema>;
      const updated = await deps.tenants.updateBranding(tenant.id, {
        ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
        ...(input.logoUrl !== undefined ? { logoUrl: input.logoUrl } : {}),
      });
      const diff = changes({ displayName: tenant.displayName, logoUrl: tenant.logoUrl }, { displayName: updated.displayName, logoUrl: updated.logoUrl });
      if (diff) await deps.audit.record({ action: 'tenant.updated', tenantId: tenant.id, ...auditBy(ctx, caller), details: diff });
      return tenantView(updated);
    },
  }),
  tenantRoute({
    method: 'get',
    path: '/policy',
    operationId: 'getTenantPolicy',
    tag: 'tenants',
    scope: 'admin:read',
    summary: "The tenant's effective security policy (defaults filled in)",
    status: 200,
    response: policyResponse,
    handle: async ({ tenant }) => ({ policy: tenant.policy }),
  }),
  tenantRoute({
    method: 'patch',
    path: '/policy',
    operationId: 'updateTenantPolicy',
    tag: 'tenants',
    scope: 'admin:write',
    summary: 'Merge settings into the policy',
    description:
      'Settings not named keep their values. The merged policy must be valid as a whole (for instance strict network mode needs an allowlist), else nothing is stored (400 tenant.invalid_policy).',
    body: policyPatchSchema,
    status: 200,
    response: policyResponse,
    errors: [413, 415],
    handle: async ({ deps, tenant, body, caller, ctx }) => {
      const updated = await deps.tenants.updatePolicy(tenant.id, body as Record<string, unknown>);
      const diff = changes(tenant.policy, updated.policy);
      if (diff) {
        await deps.audit.record({ action: 'tenant.policy_updated', tenantId: tenant.id, ...auditBy(ctx, caller), details: diff });
      }
      return { policy: updated.policy };
    },
  }),
];
