import { expect } from 'chai';
import { ADMIN_ROUTES } from '../../../src/admin/routes/index.ts';
import { createClient } from '../../support/accounts.ts';
import { addUser, expectError, startAdminWorld, stopAdminWorld, type AdminWorld } from './support.ts';

/** a body each write would accept, so that only the tenant can be the reason for a refusal */
const BODIES: Record<string, unknown> = {
  updateTenantPolicy: { lockout: { maxFailures: 3 } },
  inviteUser: { email: 'intruder-invite@example.com' },
  updateUser: { firstName: 'Mallory' },
  deactivateUser: { reason: 'hostile' },
  changeUserEmail: { email: 'mallory@example.com' },
  createClient: { name: 'Evil', redirectUris: ['https://evil.example/cb'] },
  updateClient: { redirectUris: ['https://evil.example/cb'] },
  createChildTenant: { name: 'evil-child' },
  putWebhook: { url: 'https://evil.example/hook' },
  updateTenant: { displayName: 'Evil Corp' },
  createProvider: { slug: 'evil', label: 'Evil', issuer: 'https://idp.evil.example', clientId: 'x', clientSecret: 'y' },
  updateProvider: { label: 'Evil SSO', issuer: 'https://idp.evil.example' },
};

const tenantRoutes = ADMIN_ROUTES.filter((r) => r.tenantScoped);

describe('admin API: no tenant sees or changes another (PostgreSQL + Redis)', () => {
  let w: AdminWorld;
  let victim: { id: string; email: string };
  let victimClient: string;
  let bUser: { id: string };
  let bClient: string;
  before(async () => {
    w = await startAdminWorld();
    victim = await addUser(w, w.a.tenant, { first: 'Victor' });
    victimClient = (await createClient(w.f, { tenant: w.a.tenant, name: 'A app', redirectUris: ['https://a.example/cb'] })).clientId;
    bUser = await addUser(w, w.b.tenant);
    bClient = (await createClient(w.f, { tenant: w.b.tenant, name: 'B app', redirectUris: ['https://b.example/cb'] })).clientId;
    const provider = await w.api('POST', `/tenants/${w.a.tenant}/providers`, {
      body: { slug: 'corp', label: 'Corp', issuer: 'https://idp.corp.example', clientId: 'latchkey', clientSecret: 'upstream secret' },
    });
    expect(provider.status, JSON.stringify(provider.json)).to.equal(201);
  });
  after(() => stopAdminWorld(w));

  const pathFor = (template: string, tenant: string, userId: string, clientId: string) =>
    template
      .replace('{tenant}', encodeURIComponent(tenant))
      .replace('{userId}', userId)
      .replace('{clientId}', clientId)
      .replace('{provider}', 'corp')
      .replace('{passkeyId}', '00000000-0000-4000-8000-000000000000');

  it(`covers every tenant route (${tenantRoutes.length}) with a sample body for each write that takes one`, () => {
    for (const r of tenantRoutes) if (r.body && !r.body.safeParse(undefined).success) expect(BODIES, r.operationId).to.have.property(r.operationId);
  });

  for (const route of tenantRoutes) {
    it(`${route.method.toUpperCase()} ${route.path}: another tenant's token gets 403 by name and by id`, async () => {
      for (const tenantRef of [w.a.tenant, w.a.tenantId, w.a.tenant.toUpperCase()]) {
        const res = await w.api(route.method.toUpperCase(), pathFor(route.path, tenantRef, victim.id, victimClient), {
          token: w.b.token,
          ...(BODIES[route.operationId] ? { body: BODIES[route.operationId] } : {}),
        });
        expectError(res, 403, 'tenant.forbidden');
      }
    });
  }

  it('a tenant that does not exist is refused like another tenant', async () => {
    expectError(await w.api('GET', '/tenants/no-such-tenant/users'), 403, 'tenant.forbidden');
    expectError(await w.api('GET', '/tenants/00000000-0000-4000-8000-000000000000'), 403, 'tenant.forbidden');
  });

  for (const route of tenantRoutes.filter((r) => /\{(userId|clientId)\}/.test(r.path))) {
    it(`${route.method.toUpperCase()} ${route.path}: the other tenant's ids are unknown in one's own tenant (404)`, async () => {
      const res = await w.api(route.method.toUpperCase(), pathFor(route.path, w.a.tenant, bUser.id, bClient), {
        ...(BODIES[route.operationId] ? { body: BODIES[route.operationId] } : {}),
      });
      expectError(res, 404, route.path.includes('{userId}') ? 'user.not_found' : 'client.not_found');
    });
  }

  it('left everything of both tenants as it was', async () => {
    const victimNow = await w.api('GET', `/tenants/${w.a.tenant}/users/${victim.id}`);
    expect(victimNow.json).to.include({ status: 'active', firstName: 'Victor', email: victim.email, mustChangePassword: false });
    expect((await w.api('GET', `/tenants/${w.a.tenant}/clients/${victimClient}`)).json.redirectUris).to.deep.equal(['https://a.example/cb']);
    expect((await w.api('GET', `/tenants/${w.a.tenant}/policy`)).json.policy.lockout.maxFailures).to.equal(5);
    expect((await w.api('GET', `/tenants/${w.a.tenant}`)).json.displayName).to.not.equal('Evil Corp');
    const providers = (await w.api('GET', `/tenants/${w.a.tenant}/providers`)).json.items as Array<{ slug: string; label: string }>;
    expect(providers.map((p) => [p.slug, p.label])).to.deep.equal([['corp', 'Corp']]);
    expect((await w.api('GET', `/tenants/${w.a.tenant}/users?q=intruder`)).json.items).to.deep.equal([]);
    expect((await w.api('GET', `/tenants/${w.a.tenant}/clients`)).json.items.map((c: { name: string }) => c.name)).not.to.include('Evil');
    const bNow = await w.api('GET', `/tenants/${w.b.tenant}/users/${bUser.id}`, { token: w.b.token });
    expect(bNow.json).to.include({ status: 'active', firstName: 'Una' });
    expect((await w.api('GET', `/tenants/${w.b.tenant}/clients/${bClient}`, { token: w.b.token })).json.redirectUris).to.deep.equal(['https://b.example/cb']);
    const bEvents = (await w.api('GET', `/tenants/${w.b.tenant}/audit-events?limit=100`, { token: w.b.token })).json.items as Array<{ userId: string | null }>;
    expect(bEvents.map((e) => e.userId)).not.to.include(victim.id);
    const aEvents = (await w.api('GET', `/tenants/${w.a.tenant}/audit-events?limit=100`)).json.items as Array<{ actor: string }>;
    expect(aEvents.map((e) => e.actor)).not.to.include(`token:${w.b.tokenId}`);
  });
});
