import { randomUUID } from 'node:crypto';
import type { Database } from '../store/database.ts';
import type { InferEntity } from '@mikro-orm/core';
import { FederatedIdentityEntity, UpstreamProviderEntity } from '../store/entities/index.ts';
import type { SealedBox } from '../lib/sealed-box.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError, conflict, notFound } from '../lib/errors.ts';
import type { UserRole } from '../store/entities/user.ts';
import type { ProviderChange, ProviderFields } from './provider-input.ts';

/** a provider as admins and the sign-in see it: never its secret */
export interface UpstreamProvider {
  id: string;
  tenantId: string;
  slug: string;
  label: string;
  logoUrl: string | null;
  issuer: string;
  clientId: string;
  scopes: string[];
  domains: string[];
  exclusive: boolean;
  provisionRole: UserRole | null;
  mfaAmr: string[];
  mfaAcr: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface ProviderService {
  list(tenantId: string): Promise<UpstreamProvider[]>;
  /** by slug or id, in the tenant; undefined for another tenant's */
  find(tenantId: string, slugOrId: string): Promise<UpstreamProvider | undefined>;
  create(tenantId: string, fields: ProviderFields): Promise<UpstreamProvider>;
  update(tenantId: string, slugOrId: string, change: ProviderChange): Promise<{ before: UpstreamProvider; after: UpstreamProvider }>;
  /** the removed provider (its linked identities go with it), or undefined */
  remove(tenantId: string, slugOrId: string): Promise<UpstreamProvider | undefined>;
  /** the client secret, unsealed for a token request */
  clientSecret(provider: UpstreamProvider): Promise<string>;
}

const sealPurpose = (providerId: string) => `upstream-client-secret:${providerId}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Row = InferEntity<typeof UpstreamProviderEntity>;
const view = (r: Row): UpstreamProvider => ({
  id: r.id,
  tenantId: r.tenant.id,
  slug: r.slug,
  label: r.label,
  logoUrl: r.logoUrl ?? null,
  issuer: r.issuer,
  clientId: r.clientId,
  scopes: r.scopes.split(' ').filter(Boolean),
  domains: [...r.domains],
  exclusive: r.exclusive,
  provisionRole: (r.provisionRole ?? null) as UserRole | null,
  mfaAmr: [...r.mfaAmr],
  mfaAcr: [...r.mfaAcr],
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

/**
 * A tenant's upstream providers. The issuer must be https (http only when the deployment
 * allows it, outside production); a domain belongs to at most one provider of a tenant.
 */
export function createProviderService(deps: { db: Database; box: SealedBox; clock: Clock; allowHttpIssuers: boolean }): ProviderService {
  const { db, box, clock } = deps;

  const checkIssuer = (issuer: string) => {
    if (!issuer.startsWith('https://') && !(deps.allowHttpIssuers && issuer.startsWith('http://'))) {
      throw new AppError(
        400,
        'provider.insecure_issuer',
        deps.allowHttpIssuers ? 'The issuer must be an http or https URL' : 'The issuer must be an https URL',
      );
    }
  };

  const rowOf = async (tenantId: string, slugOrId: string) => {
    const where = UUID.test(slugOrId) ? { tenant: tenantId, id: slugOrId } : { tenant: tenantId, slug: slugOrId.toLowerCase() };
    return db.em().findOne(UpstreamProviderEntity, where);
  };

  /** a domain another provider of the tenant already has: 409 */
  const checkDomains = async (tenantId: string, domains: readonly string[], exceptId?: string) => {
    if (!domains.length) return;
    const others = (await db.em().find(UpstreamProviderEntity, { tenant: tenantId })).filter((r) => r.id !== exceptId);
    const taken = domains.find((d) => others.some((o) => o.domains.includes(d)));
    if (taken) throw conflict('provider.domain_taken', `The domain ${taken} already belongs to another provider of this tenant`);
  };

  const service: ProviderService = {
    async list(tenantId) {
      const rows = await db.em().find(UpstreamProviderEntity, { tenant: tenantId }, { orderBy: { createdAt: 'asc', slug: 'asc' } });
      return rows.map(view);
    },

    async find(tenantId, slugOrId) {
      const row = await rowOf(tenantId, slugOrId);
      return row ? view(row) : undefined;
    },

    async create(tenantId, fields) {
      checkIssuer(fields.issuer);
      await checkDomains(tenantId, fields.domains);
      const id = randomUUID();
      const now = new Date(clock.now());
      const { clientSecret, scopes, ...rest } = fields;
      try {
        await db.em().insert(UpstreamProviderEntity, {
          ...rest,
          id,
          tenant: tenantId,
          scopes: scopes.join(' '),
          clientSecretSealed: box.seal(clientSecret, sealPurpose(id)),
          createdAt: now,
          updatedAt: now,
        });
      } catch (err) {
        if ((err as { name?: string }).name === 'UniqueConstraintViolationException')
          throw conflict('provider.exists', `A provider named ${fields.slug} already exists in this tenant`);
        throw err;
      }
      return (await service.find(tenantId, id))!;
    },

    async update(tenantId, slugOrId, change) {
      const row = await rowOf(tenantId, slugOrId);
      if (!row) throw notFound('provider.not_found', 'No such provider in this tenant');
      const before = view(row);
      if (change.issuer !== undefined) checkIssuer(change.issuer);
      if (change.domains) await checkDomains(tenantId, change.domains, row.id);
      const domains = change.domains ?? before.domains;
      if ((change.exclusive ?? before.exclusive) && domains.length === 0) {
        throw new AppError(400, 'provider.exclusive_without_domains', 'An exclusive provider needs at least one domain');
      }
      const { clientSecret, scopes, ...rest } = change;
      await db.em().nativeUpdate(
        UpstreamProviderEntity,
        { id: row.id },
        {
          ...rest,
          ...(scopes ? { scopes: scopes.join(' ') } : {}),
          ...(clientSecret !== undefined ? { clientSecretSealed: box.seal(clientSecret, sealPurpose(row.id)) } : {}),
          updatedAt: new Date(Math.max(clock.now(), before.updatedAt.getTime() + 1)),
        },
      );
      return { before, after: (await service.find(tenantId, row.id))! };
    },

    async remove(tenantId, slugOrId) {
      const row = await rowOf(tenantId, slugOrId);
      if (!row) return undefined;
      const removed = view(row);
      await db.em().transactional(async (em) => {
        // explicit as well as by the foreign key: SQLite may not enforce it
        await em.nativeDelete(FederatedIdentityEntity, { provider: row.id });
        await em.nativeDelete(UpstreamProviderEntity, { id: row.id });
      });
      return removed;
    },

    async clientSecret(provider) {
      const row = await db.em().findOne(UpstreamProviderEntity, { id: provider.id });
      if (!row) throw notFound('provider.not_found', 'The provider was removed');
      return box.open(row.clientSecretSealed, sealPurpose(row.id));
    },
  };
  return service;
}
