import { randomUUID } from 'node:crypto';
import type { Database } from '../store/database.ts';
import { TenantEntity } from '../store/entities/index.ts';
import { AppError, conflict, notFound } from '../lib/errors.ts';
import { tenantNameSchema } from './normalize.ts';

export interface Tenant {
  id: string;
  name: string;
  displayName: string;
}

export interface TenantService {
  create(input: { name: string; displayName?: string }): Promise<Tenant>;
  findByName(name: string): Promise<Tenant | undefined>;
  getByName(name: string): Promise<Tenant>;
  findById(id: string): Promise<Tenant | undefined>;
}

const toTenant = (t: { id: string; name: string; displayName: string }): Tenant => ({ id: t.id, name: t.name, displayName: t.displayName });

export function createTenantService(db: Database): TenantService {
  const service: TenantService = {
    async create(input) {
      const parsed = tenantNameSchema.safeParse(input.name);
      if (!parsed.success) throw new AppError(400, 'tenant.invalid_name', `Tenant name ${parsed.error.issues[0]?.message}`);
      const em = db.em();
      if (await em.findOne(TenantEntity, { name: parsed.data })) throw conflict('tenant.exists', `Tenant ${parsed.data} already exists`);
      const displayName = (input.displayName ?? parsed.data).trim().slice(0, 200) || parsed.data;
      const tenant = em.create(TenantEntity, { id: randomUUID(), name: parsed.data, displayName });
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
  };
  return service;
}
