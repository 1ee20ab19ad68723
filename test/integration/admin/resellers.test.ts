import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { ADMIN_ROUTES } from '../../../src/admin/routes/index.ts';
import { cli, runCli } from '../../support/cli.ts';
import { createClient, createTenant } from '../../support/accounts.ts';
import { addUser, auditEvents, expectError, startAdminWorld, stopAdminWorld, tenantAdmin, type AdminWorld, type Call, type TenantAdmin } from './support.ts';

/** a body each write accepts, so that only the tenant can be the reason for a refusal */
const BODIES: Record<string, unknown> = {
  updateTenant: { displayName: 'Renamed by the reseller' },
  createProvider: { slug: 'corp', label: 'Corp', issuer: 'https://idp.corp.example', clientId: 'latchkey', clientSecret: 'upstream secret' },
  updateProvider: { label: 'Corp SSO' },
  updateTenantPolicy: { lockout: { maxFailures: 4 } },
  createChildTenant: { name: 'grandchild' },
  putWebhook: { url: 'https://hooks.example.test/latchkey' },
  inviteUser: { email: 'reseller-invite@example.com' },
  updateUser: { firstName: 'Renamed' },
  deactivateUser: { reason: 'reseller said so' },
  changeUserEmail: { email: 'moved@example.com' },
  createClient: { name: 'Made by the reseller', redirectUris: ['https://child.example/cb'] },
  updateClient: { redirectUris: ['https://child.example/cb2'] },
};

const tenantRoutes = ADMIN_ROUTES.filter((r) => r.tenantScoped);
const newName = (prefix: string) => `${prefix}-${randomBytes(3).toString('hex')}`;

/**
 * A tenant (a child with parent), with an owner holding a read/write token. The reseller's two
 * children are made with `latchkey tenant create --parent`, which the CLI tests below read; the
 * other tenants in process.
 */
async function tenantWithOwner(w: AdminWorld, prefix: string, parent?: string, through: 'cli' | 'services' = 'services'): Promise<TenantAdmin> {
  const name = newName(prefix);
  if (through === 'cli') await cli(w.env, ['tenant', 'create', '--name', name, ...(parent ? ['--parent', parent] : [])]);
  else await createTenant(w.f, { name, ...(parent ? { parent } : {}) });
  return tenantAdmin(w.f.server.container, name);
}

describe('admin API: resellers administer their child tenants (PostgreSQL + Redis)', () => {
  let w: AdminWorld;
  let reseller: TenantAdmin;
  let child: TenantAdmin;
  let sibling: TenantAdmin;
  let otherReseller: TenantAdmin;
  let otherChild: TenantAdmin;
  before(async () => {
    w = await startAdminWorld();
    reseller = await tenantWithOwner(w, 'reseller');
    child = await tenantWithOwner(w, 'child', reseller.tenant, 'cli');
    sibling = await tenantWithOwner(w, 'sibling', reseller.tenant, 'cli');
    otherReseller = await tenantWithOwner(w, 'other-reseller');
    otherChild = await tenantWithOwner(w, 'other-child', otherReseller.tenant);
  });
  after(() => stopAdminWorld(w));

  const call = (who: TenantAdmin, method: string, path: string, body?: unknown): Promise<Call> =>
    w.api(method, path, { token: who.token, ...(body !== undefined ? { body } : {}) });

  describe('the CLI', () => {
    it("creates a child with --parent, shown with its parent and audited in the reseller's log", async () => {
      const shown = await w.api('GET', `/tenants/${child.tenant}`, { token: child.token });
      expect(shown.json).to.deep.equal({ id: child.tenantId, name: child.tenant, displayName: child.tenant, logoUrl: null, parentId: reseller.tenantId });
      const created = (await auditEvents(w, 'tenant.created', reseller)).filter((e) => e.actor === 'cli');
      expect(created.map((e) => e.details.childId).sort()).to.deep.equal([child.tenantId, sibling.tenantId].sort());
      expect(await auditEvents(w, 'tenant.created', child)).to.deep.equal([]);
    });

    it('refuses a parent that is itself a child (one level) and a parent that does not exist, creating nothing', async () => {
      const nested = await runCli(w.env, ['tenant', 'create', '--name', 'nested-one', '--parent', child.tenant]);
      expect(nested.code).to.equal(1);
      expect(nested.json).to.include({ ok: false, error: 'tenant.nesting' });
      const orphan = await runCli(w.env, ['tenant', 'create', '--name', 'orphan-one', '--parent', 'no-such-reseller']);
      expect(orphan.code).to.equal(1);
      expect(orphan.json).to.include({ ok: false, error: 'tenant.not_found' });
      for (const name of ['nested-one', 'orphan-one']) {
        expect((await runCli(w.env, ['tenant', 'show', '--name', name])).json).to.include({ ok: false, error: 'tenant.not_found' });
      }
    });
  });

  describe('children', () => {
    it("lists the reseller's children by name, a page at a time", async () => {
      const all = await call(reseller, 'GET', `/tenants/${reseller.tenant}/children`);
      expect(all.status, JSON.stringify(all.json)).to.equal(200);
      expect(all.json.items.map((t: { name: string }) => t.name)).to.deep.equal([child.tenant, sibling.tenant].sort());
      expect(all.json.items[0].parentId).to.equal(reseller.tenantId);
      expect(all.json.nextCursor).to.equal(null);
      const first = await call(reseller, 'GET', `/tenants/${reseller.tenant}/children?limit=1`);
      expect(first.json.items).to.have.length(1);
      const second = await call(reseller, 'GET', `/tenants/${reseller.tenant}/children?limit=1&cursor=${first.json.nextCursor}`);
      expect([first.json.items[0].name, second.json.items[0].name]).to.deep.equal([child.tenant, sibling.tenant].sort());
      expect(second.json.nextCursor).to.equal(null);
      expectError(await call(reseller, 'GET', `/tenants/${reseller.tenant}/children?cursor=not-a-cursor!`), 400, 'tenants.invalid_cursor');
      expectError(await call(reseller, 'GET', `/tenants/${reseller.tenant}/children?limit=0`), 400, 'request.invalid');
    });

    it('a child has no children of its own', async () => {
      const mine = await call(child, 'GET', `/tenants/${child.tenant}/children`);
      expect(mine.json).to.deep.equal({ items: [], nextCursor: null });
    });

    it("creates a child that the reseller then administers, audited in the reseller's log", async () => {
      const name = newName('made-by-api');
      const res = await call(reseller, 'POST', `/tenants/${reseller.tenant}/children`, { name: name.toUpperCase(), displayName: 'Made By API' });
      expect(res.status, JSON.stringify(res.json)).to.equal(201);
      expect(res.json.tenant).to.include({ name, displayName: 'Made By API', parentId: reseller.tenantId });
      const invited = await call(reseller, 'POST', `/tenants/${name}/users`, { email: 'first.owner@example.com', role: 'owner' });
      expect(invited.status, JSON.stringify(invited.json)).to.equal(201);
      const [event] = await auditEvents(w, 'tenant.created', reseller);
      expect(event).to.include({ actor: `token:${reseller.tokenId}` });
      expect(event!.details).to.deep.equal({ childId: res.json.tenant.id, name, displayName: 'Made By API' });
    });

    it('refuses a grandchild, a taken name and a bad name, creating nothing', async () => {
      expectError(await call(reseller, 'POST', `/tenants/${child.tenant}/children`, { name: 'grand-1' }), 409, 'tenant.nesting');
      expectError(await call(child, 'POST', `/tenants/${child.tenant}/children`, { name: 'grand-2' }), 409, 'tenant.nesting');
      expectError(await call(reseller, 'POST', `/tenants/${reseller.tenant}/children`, { name: sibling.tenant }), 409, 'tenant.exists');
      for (const body of [{ name: 'no spaces' }, { name: '' }, { name: 'x'.repeat(65) }, { name: 7 }, { name: 'ok-name', extra: true }, {}]) {
        expectError(await call(reseller, 'POST', `/tenants/${reseller.tenant}/children`, body), 400, 'request.invalid');
      }
      const names = (await call(reseller, 'GET', `/tenants/${reseller.tenant}/children`)).json.items.map((t: { name: string }) => t.name);
      expect(names).not.to.include.members(['grand-1', 'grand-2', 'ok-name']);
    });
  });

  describe('isolation, on every tenant route', () => {
    let childUser: { id: string; email: string };
    let childClient: string;
    before(async () => {
      childUser = await addUser(w, child.tenant, { first: 'Chloe' });
      childClient = (await createClient(w.f, { tenant: child.tenant, name: 'Child app', redirectUris: ['https://child.example/cb'] })).clientId;
    });

    const pathFor = (template: string, tenant: string) =>
      template
        .replace('{tenant}', encodeURIComponent(tenant))
        .replace('{userId}', childUser.id)
        .replace('{clientId}', childClient)
        .replace('{provider}', 'corp');

    it(`has a sample body for every write that takes one (${tenantRoutes.length} routes)`, () => {
      for (const r of tenantRoutes) if (r.body && !r.body.safeParse(undefined).success) expect(BODIES, r.operationId).to.have.property(r.operationId);
    });

    for (const route of tenantRoutes) {
      const method = route.method.toUpperCase();
      const body = () => (BODIES[route.operationId] ? { body: BODIES[route.operationId] } : {});

      it(`${method} ${route.path}: the reseller gets through to its child, by name and by id`, async () => {
        for (const ref of [child.tenant, child.tenantId]) {
          const res = await w.api(method, pathFor(route.path, ref), { token: reseller.token, ...body() });
          expect(res.status, JSON.stringify(res.json)).to.be.below(500);
          expect(res.json.error?.code, JSON.stringify(res.json)).not.to.be.oneOf(['tenant.forbidden', 'auth.invalid_token']);
          if (route.method === 'get' && route.operationId !== 'getWebhook') expect(res.status, JSON.stringify(res.json)).to.equal(200);
        }
      });

      it(`${method} ${route.path}: the child gets 403 for its parent and its sibling; other resellers and their children get 403 for the child`, async () => {
        const refusals: Array<[TenantAdmin, TenantAdmin]> = [
          [child, reseller],
          [child, sibling],
          [sibling, child],
          [otherReseller, child],
          [otherChild, child],
          [otherReseller, reseller],
          [w.a, child],
          [reseller, otherChild],
        ];
        for (const [who, target] of refusals) {
          for (const ref of [target.tenant, target.tenantId]) {
            const res = await w.api(method, pathFor(route.path, ref), { token: who.token, ...body() });
            expectError(res, 403, 'tenant.forbidden');
          }
        }
      });
    }

    it('the reseller acted on the child as asked and nothing of the others changed', async () => {
      const user = await call(reseller, 'GET', `/tenants/${child.tenant}/users/${childUser.id}`);
      expect(user.json.firstName).to.equal('Renamed');
      expect((await call(reseller, 'GET', `/tenants/${child.tenant}/policy`)).json.policy.lockout.maxFailures).to.equal(4);
      expect((await call(child, 'GET', `/tenants/${child.tenant}/audit-events?action=tenant.policy_updated`)).json.items[0].actor).to.equal(
        `token:${reseller.tokenId}`,
      );
      for (const other of [reseller, sibling, otherReseller, otherChild]) {
        expect((await call(other, 'GET', `/tenants/${other.tenant}/policy`)).json.policy.lockout.maxFailures, other.tenant).to.equal(5);
        expect((await call(other, 'GET', `/tenants/${other.tenant}/users?q=reseller-invite`)).json.items, other.tenant).to.deep.equal([]);
        expectError(await call(other, 'GET', `/tenants/${other.tenant}/webhook`), 404, 'webhook.not_found');
      }
    });

    it("the child's own ids are unknown through the reseller's own path (404), like any other tenant's", async () => {
      expectError(await call(reseller, 'GET', `/tenants/${reseller.tenant}/users/${childUser.id}`), 404, 'user.not_found');
      expectError(await call(reseller, 'GET', `/tenants/${reseller.tenant}/clients/${childClient}`), 404, 'client.not_found');
    });
  });
});
