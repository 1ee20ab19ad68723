import { randomUUID } from 'node:crypto';
import { z } from 'zod';
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
  /** the reseller this tenant belongs to, if any */
  parentId: string | null;
  /** a reseller: the tenant has child tenants */
  hasChildren: boolean;
  /** the tenant has upstream OpenID Connect providers (federation) */
  hasProviders: boolean;
  /** an https image shown beside the tenant's name on the hosted pages */
  logoUrl: string | null;
}

export const LOGO_URL_MAX = 2048;

/**
 * A logo is an https URL (the pages are served over https and their CSP admits only this
 * image's origin), without credentials, at most 2048 characters.
 */
export const logoUrlSchema = z
  .string()
  .trim()
  .max(LOGO_URL_MAX, `must be at most ${LOGO_URL_MAX} characters`)
  .pipe(z.url({ protocol: /^https$/, hostname: z.regexes.domain, error: 'must be an https URL with a host name' }))
  .refine((u) => {
    const url = new URL(u);
    return !url.username && !url.password;
  }, 'must not carry a user name or password');

/** the logo URL checked, or an AppError naming what is wrong (null clears the logo) */
export function checkLogoUrl(value: string | null): string | null {
  if (value === null) return null;
  const parsed = logoUrlSchema.safeParse(value);
  if (!parsed.success) throw new AppError(400, 'tenant.invalid_logo_url', `Logo URL ${parsed.error.issues[0]?.message ?? 'is invalid'}`);
  return new URL(parsed.data).toString();
}

export interface TenantService {
  /** with parentId, a child of that reseller; the parent must not be a child itself (one level) */
  create(input: { name: string; displayName?: string; parentId?: string; logoUrl?: string | null }): Promise<Tenant>;
  findByName(name: string): Promise<Tenant | undefined>;
  getByName(name: string): Promise<Tenant>;
  findById(id: string): Promise<Tenant | undefined>;
  /** a reseller's child tenants by name, a page at a time (after: the last name of the previous page) */
  listChildren(parentId: string, page: { limit: number; after?: string }): Promise<Tenant[]>;
  /** merges the given overrides into the stored ones; refuses an invalid result */
  updatePolicy(id: string, overrides: Record<string, unknown>): Promise<Tenant>;
  /** the name and logo the hosted pages show; null clears the logo; refuses an invalid logo URL */
  updateBranding(id: string, changes: { displayName?: string; logoUrl?: string | null }): Promise<Tenant>;
}

function mergeSections(stored: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...stored };
  for (const [section, value] of Object.entries(overrides)) {
    const base = out[section];
    out[section] =
      value && typeof value === 'object' && !Array.isArray(value) && base && typeof base === 'object'
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

type TenantRow = {
  id: string;
  name: string;
  displayName: string;
  policy: unknown;
  parentId?: string | null;
  hasChildren?: unknown;
  hasProviders?: unknown;
  logoUrl?: string | null;
};
// a formula: PostgreSQL answers a boolean, SQLite 0 or 1 (undefined right after an insert)
const formulaTrue = (v: unknown) => v === true || v === 1 || v === '1';

const toTenant = (t: TenantRow): Tenant => ({
  id: t.id,
  name: t.name,
  displayName: t.displayName,
  policy: effectivePolicy(typeof t.policy === 'string' ? JSON.parse(t.policy) : t.policy),
  parentId: t.parentId ?? null,
  hasChildren: formulaTrue(t.hasChildren),
  hasProviders: formulaTrue(t.hasProviders),
  logoUrl: t.logoUrl ?? null,
});

const displayNameOf = (value: string | undefined, fallback: string) => (value ?? fallback).trim().slice(0, 200) || fallback;

/**
 * One level of resellers: the parent exists and is not a child itself. A new tenant has no
 * children and tenants are never re-parented, so no cycle can form.
 */
async function checkParent(em: ReturnType<Database['em']>, parentId: string): Promise<void> {
  const parent = /^[0-9a-f-]{36}$/i.test(parentId) ? await em.findOne(TenantEntity, { id: parentId }) : null;
  if (!parent) throw notFound('tenant.not_found', 'No such parent tenant');
  if (parent.parentId) throw conflict('tenant.nesting', `Tenant ${parent.name} is a child tenant and cannot have children of its own`);
}

export function createTenantService(db: Database): TenantService {
  const service: TenantService = {
    async create(input) {
      const parsed = tenantNameSchema.safeParse(input.name);
      if (!parsed.success) throw new AppError(400, 'tenant.invalid_name', `Tenant name ${parsed.error.issues[0]?.message}`);
      const em = db.em();
      if (await em.findOne(TenantEntity, { name: parsed.data })) throw conflict('tenant.exists', `Tenant ${parsed.data} already exists`);
      if (input.parentId !== undefined) await checkParent(em, input.parentId);
      const displayName = displayNameOf(input.displayName, parsed.data);
      const logoUrl = checkLogoUrl(input.logoUrl ?? null);
      const tenant = em.create(TenantEntity, { id: randomUUID(), name: parsed.data, displayName, policy: {}, parentId: input.parentId ?? null, logoUrl });
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
    async listChildren(parentId, page) {
      const rows = await db
        .em()
        .find(TenantEntity, { parentId, ...(page.after ? { name: { $gt: page.after } } : {}) }, { orderBy: { name: 'asc' }, limit: page.limit });
      return rows.map(toTenant);
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
    async updateBranding(id, changes) {
      const logoUrl = changes.logoUrl === undefined ? undefined : checkLogoUrl(changes.logoUrl);
      const em = db.em();
      const tenant = await em.findOne(TenantEntity, { id });
      if (!tenant) throw notFound('tenant.not_found', 'No such tenant');
      if (changes.displayName !== undefined) tenant.displayName = displayNameOf(changes.displayName, tenant.displayName);
      if (logoUrl !== undefined) tenant.logoUrl = logoUrl;
      await em.flush();
      return toTenant(tenant);
    },
  };
  return service;
}
