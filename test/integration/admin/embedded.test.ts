import { expect } from 'chai';
import { addUser, expectError, startAdminWorld, stopAdminWorld, type AdminWorld } from './support.ts';

/** The same API on the embedded default (SQLite, in-process store): the queries that differ by database. */
describe('admin API on the embedded default (SQLite)', () => {
  let w: AdminWorld;
  before(async () => {
    w = await startAdminWorld('embedded');
  });
  after(() => stopAdminWorld(w));

  it('authenticates tokens, searches users by prefix with literal wildcards, and pages', async () => {
    for (const [first, email] of [
      ['Ana', 'ana_1@example.com'],
      ['Anton', 'anax@example.com'],
      ['Bea', 'bea@example.com'],
    ] as const)
      await addUser(w, w.a.tenant, { first, email });
    const users = `/tenants/${w.a.tenant}/users`;
    const emails = async (q: string) => (await w.api('GET', `${users}?q=${encodeURIComponent(q)}`)).json.items.map((u: { email: string }) => u.email).sort();
    expect(await emails('AN')).to.deep.equal(['ana_1@example.com', 'anax@example.com']);
    expect(await emails('ana_')).to.deep.equal(['ana_1@example.com']);
    expect(await emails('%')).to.deep.equal([]);
    const first = await w.api('GET', `${users}?limit=2`);
    const second = await w.api('GET', `${users}?limit=2&cursor=${first.json.nextCursor}`);
    expect(second.status).to.equal(200);
    expect(second.json.items[0].email > first.json.items[1].email).to.equal(true);
    expectError(await w.api('GET', users, { token: w.b.token }), 403, 'tenant.forbidden');
  });

  it('pages audit events and rotates tokens with the grace period', async () => {
    await w.api('PATCH', `/tenants/${w.a.tenant}/policy`, { body: { lockout: { maxFailures: 6 } } });
    await w.api('PATCH', `/tenants/${w.a.tenant}/policy`, { body: { lockout: { maxFailures: 7 } } });
    const page1 = await w.api('GET', `/tenants/${w.a.tenant}/audit-events?action=tenant.policy_updated&limit=1`);
    expect(page1.json.items[0].details.after.lockout.maxFailures).to.equal(7);
    const page2 = await w.api('GET', `/tenants/${w.a.tenant}/audit-events?action=tenant.policy_updated&limit=1&cursor=${page1.json.nextCursor}`);
    expect(page2.json.items[0].details.after.lockout.maxFailures).to.equal(6);
    expect(page2.json.nextCursor).to.equal(null);

    const created = await w.api('POST', '/tokens', { body: { name: 'x', scopes: ['admin:read'] } });
    const rotated = await w.api('POST', `/tokens/${created.json.apiToken.id}/rotate`);
    expect((await w.api('GET', '/me', { token: created.json.token })).status).to.equal(200);
    w.clock.travel(11 * 60_000);
    try {
      expectError(await w.api('GET', '/me', { token: created.json.token }), 401, 'auth.invalid_token');
      expect((await w.api('GET', '/me', { token: rotated.json.token })).status).to.equal(200);
    } finally {
      w.clock.travel(0);
    }
  });
});
