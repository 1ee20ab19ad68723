import { expect } from 'chai';
import { addUser, expectError, startAdminWorld, stopAdminWorld, type AdminWorld } from './support.ts';

const HOUR = 3600_000;

describe('admin API: audit events (PostgreSQL + Redis)', () => {
  let w: AdminWorld;
  let events: string;
  let subject: { id: string };
  let t1: number;
  let t2: number;
  before(async () => {
    w = await startAdminWorld();
    events = `/tenants/${w.a.tenant}/audit-events`;
    subject = await addUser(w, w.a.tenant);
    // three bursts of admin changes, an hour apart on the server's clock
    await w.api('POST', `/tenants/${w.a.tenant}/users/${subject.id}/unlock`);
    t1 = Date.now() + HOUR - 1000;
    w.clock.travel(HOUR);
    await w.api('POST', `/tenants/${w.a.tenant}/users/${subject.id}/revoke-devices`);
    await w.api('PATCH', `/tenants/${w.a.tenant}/policy`, { body: { lockout: { maxFailures: 6 } } });
    t2 = Date.now() + 2 * HOUR - 1000;
    w.clock.travel(2 * HOUR);
    await w.api('POST', `/tenants/${w.a.tenant}/users/${subject.id}/revoke-sessions`);
    await w.api('PATCH', `/tenants/${w.a.tenant}/policy`, { body: { lockout: { maxFailures: 7 } } });
    w.clock.travel(0);
    await w.api('PATCH', `/tenants/${w.b.tenant}/policy`, { token: w.b.token, body: { lockout: { maxFailures: 8 } } });
  });
  after(() => stopAdminWorld(w));

  const list = async (query: string) => {
    const res = await w.api('GET', `${events}?${query}`);
    expect(res.status, JSON.stringify(res.json)).to.equal(200);
    return res.json as { items: Array<Record<string, any>>; nextCursor: string | null };
  };

  it("lists the tenant's events newest first, with who, what, from where and when", async () => {
    const { items } = await list('limit=100');
    const times = items.map((e) => Date.parse(e.createdAt));
    expect(times).to.deep.equal([...times].sort((a, b) => b - a));
    const actions = items.map((e) => e.action);
    expect(actions).to.include.members(['user.unlocked', 'devices.revoked_all', 'sessions.ended', 'tenant.policy_updated', 'api_token.created']);
    const policyChange = items.find((e) => e.action === 'tenant.policy_updated')!;
    expect(policyChange).to.include({ actor: `token:${w.a.tokenId}` });
    expect(policyChange.details).to.deep.equal({ before: { lockout: { maxFailures: 6 } }, after: { lockout: { maxFailures: 7 } } });
    const sessions = items.find((e) => e.action === 'sessions.ended')!;
    expect(sessions).to.include({ userId: subject.id, ip: '127.0.0.1' });
    expect(sessions.userAgent).to.be.a('string');
    expect(
      items.some((e) => e.details?.after?.lockout?.maxFailures === 8),
      'no event of the other tenant',
    ).to.equal(false);
  });

  it('filters by action, user and time window', async () => {
    expect((await list('action=tenant.policy_updated')).items.map((e) => e.details.after.lockout.maxFailures)).to.deep.equal([7, 6]);
    const forUser = (await list(`userId=${subject.id}`)).items;
    expect(forUser.map((e) => e.action)).to.deep.equal(['sessions.ended', 'devices.revoked_all', 'user.unlocked']);
    const window = (await list(`from=${new Date(t1).toISOString()}&to=${new Date(t2).toISOString()}`)).items;
    expect(window.map((e) => e.action).sort()).to.deep.equal(['devices.revoked_all', 'tenant.policy_updated']);
    const since = (await list(`userId=${subject.id}&from=${encodeURIComponent(new Date(t2).toISOString().replace('Z', '+00:00'))}`)).items;
    expect(since.map((e) => e.action)).to.deep.equal(['sessions.ended']);
  });

  it('pages with a cursor: every event once, in order', async () => {
    const all = (await list('limit=100')).items.map((e) => e.id);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Array<Record<string, any>>; nextCursor: string | null } = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).to.be.at.most(2);
      paged.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).to.deep.equal(all);
  });

  it('refuses bad filters with 400', async () => {
    for (const [query, path] of [
      ['action=user.exploded', 'action'],
      ['userId=42', 'userId'],
      ['from=yesterday', 'from'],
      ['to=2026-13-01T00:00:00Z', 'to'],
      ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
      ['limit=500', 'limit'],
      [`cursor=${'c'.repeat(401)}`, 'cursor'],
      ['tenantId=x', ''],
    ] as const) {
      const res = await w.api('GET', `${events}?${query}`);
      expectError(res, 400, 'request.invalid');
      expect(res.json.error.details.issues[0], query).to.include({ in: 'query', path });
    }
    for (const cursor of ['garbage', Buffer.from('[1,"x"]').toString('base64url'), Buffer.from('{}').toString('base64url')]) {
      expectError(await w.api('GET', `${events}?cursor=${cursor}`), 400, 'audit.invalid_cursor');
    }
  });

  it("needs admin:read and the tenant's own token", async () => {
    expectError(await w.api('GET', events, { token: null }), 401, 'auth.required');
    expectError(await w.api('GET', events, { token: w.b.token }), 403, 'tenant.forbidden');
  });
});
