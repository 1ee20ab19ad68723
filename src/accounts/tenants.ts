import { randomUUID } from 'node:crypto';
import type { Database } from '../store/database.ts';
import { TenantEntity } from '../store/entities/index.ts';
import { AppError, conflict, notFound } from '../lib/errors.ts';
import { tenantNameSchema } from './normalize.ts';
import { effectivePolicy, type TenantPolicy } from '../policy/tenant-policy.ts';

export interface Tenant {
  id: string;
  name: string;
  displayName: string;
  policy: TenantPolicy;
}

export interface TenantService {
  create(input: { name: string; displayName?: string }): Promise<Tenant>;
  findByName(name: string): Promise<Tenant | undefined>;
  getByName(name: string): Promise<Tenant>;
  findById(id: string): Promise<Tenant | undefined>;
  /** merges the given overrides into the stored ones; refuses an invalid result */
  updatePolicy(id: string, overrides: Record<string, unknown>): Promise<Tenant>;
}

function mergeSections(stored: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...stored };
  for (const [section, value] of Object.entries(overrides)) {
    const base = out[section];
    out[section] = value && typeof value === 'object' && !Array.isArray(value) && base && typeof base === 'object'
      ? { ...(base as Record<string, unknown>), ...(value as Record<string, unknown>) }
      : value;
  }
  return out;
}

function tenantPolicySafeParse(policy: unknown): { ok: true } | { ok: false; message: string } {
  try {
    effectivePolicy(policy);
    return { ok: true };
  } catch (err) {
    const issue = (err as { issues?: { path: (string | number)[]; message: string }[] }).issues?.[0];
    return { ok: false, message: issue ? `policy.${issue.path.join('.')}: ${issue.message}` : 'invalid policy' };
  }
}

const toTenant = (t: { id: string; name: string; displayName: string; policy: unknown }): Tenant => ({
  id: t.id, name: t.name, displayName: t.displayName,
  policy: effectivePolicy(typeof t.policy === 'string' ? JSON.parse(t.policy) : t.policy),
});

export function createTenantService(db: Database): TenantService {
  const service: TenantService = {
    async create(input) {
      const parsed = tenantNameSchema.safeParse(input.name);
      if (!parsed.success) throw new AppError(400, 'tenant.invalid_name', `Tenant name ${parsed.error.issues[0]?.message}`);
      const em = db.em();
      if (await em.findOne(TenantEntity, { name: parsed.data })) throw conflict('tenant.exists', `Tenant ${parsed.data} already exists`);
      const displayName = (input.displayName ?? parsed.data).trim().slice(0, 200) || parsed.data;
      const tenant = em.create(TenantEntity, { id: randomUUID(), name: parsed.data, displayName, policy: {} });
      await em.flush();
      return toTenant(tenant);
    },
    async findByName(name) {
      const tenant = await db.em().findOne(TenantEntity, { name: name.trim().toLowerCase() });
      return tenant ? toTenant(tenant) : undefined;
    },
    async getByName(name) {
      const tenant = await service.findByName(name);
      if (!tenant) throw notFound('tenant.not_found', `No tenant named ${name}`);
      return tenant;
    },
    async findById(id) {
      const tenant = await db.em().findOne(TenantEntity, { id });
      return tenant ? toTenant(tenant) : undefined;
    },
    async updatePolicy(id, overrides) {
      const em = db.em();
      const tenant = await em.findOne(TenantEntity, { id });
      if (!tenant) throw notFound('tenant.not_found', 'No such tenant');
      const merged = mergeSections(tenant.policy, overrides);
      const checked = tenantPolicySafeParse(merged);
      if (!checked.ok) throw new AppError(400, 'tenant.invalid_policy', checked.message);
      tenant.policy = merged;
      await em.flush();
      return toTenant(tenant);
    },
  };
  return service;
}
