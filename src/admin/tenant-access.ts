import type { Tenant, TenantService } from '../accounts/tenants.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { Caller } from './caller.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The tenant named in the path (by name or id), only when the caller may administer it: its own
 * tenant, or a child of it when the caller's tenant is a reseller. Never the other way: a child's
 * admin reaches neither its parent nor its siblings. Any other reference is refused the same way
 * whether or not such a tenant exists, so the answer tells nothing about other tenants.
 */
export async function resolveTenant(tenants: Pick<TenantService, 'findById' | 'findByName'>, caller: Caller, ref: string): Promise<Tenant> {
  const own = await tenants.findById(caller.tenantId);
  if (!own) throw notFound('tenant.not_found', 'The tenant of this token no longer exists');
  const wanted = ref.trim().toLowerCase();
  const byId = UUID.test(wanted);
  if (byId ? wanted === own.id : wanted === own.name) return own;
  if (own.hasChildren && wanted.length <= 64) {
    const other = byId ? await tenants.findById(wanted) : await tenants.findByName(wanted);
    if (other && other.parentId === own.id) return other;
  }
  throw new AppError(403, 'tenant.forbidden', 'This token cannot administer that tenant');
}
