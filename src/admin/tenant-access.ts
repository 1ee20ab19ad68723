import type { Tenant, TenantService } from '../accounts/tenants.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { Caller } from './caller.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The tenant named in the path (by name or id), only when the caller may administer it: its own
 * tenant. Any other reference is refused the same way whether or not such a tenant exists, so
 * the answer tells nothing about other tenants.
 */
export async function resolveTenant(tenants: Pick<TenantService, 'findById'>, caller: Caller, ref: string): Promise<Tenant> {
  const own = await tenants.findById(caller.tenantId);
  if (!own) throw notFound('tenant.not_found', 'The tenant of this token no longer exists');
  const wanted = ref.trim().toLowerCase();
  if (UUID.test(wanted) ? wanted === own.id : wanted === own.name) return own;
  throw new AppError(403, 'tenant.forbidden', 'This token cannot administer that tenant');
}
