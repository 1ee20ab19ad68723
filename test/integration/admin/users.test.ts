import { expect } from 'chai';
import * as oidc from 'openid-client';
import { discover, exchange, signIn } from '../../support/relying-party.ts';
import { addUser, auditEvents, expectError, issueToken, PASSWORD, startAdminWorld, stopAdminWorld, type AdminWorld } from './support.ts';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

describe('admin API: users (PostgreSQL + Redis)', () => {
  let w: AdminWorld;
  let users: string;
  before(async () => {
    w = await startAdminWorld();
    users = `/tenants/${w.a.tenant}/users`;
  });
  after(() => stopAdminWorld(w));

  describe('listing and search', () => {
    const made: Array<{ id: string; email: string }> = [];
    before(async () => {
      for (const [first, last, email] of [
        ['Zed', 'Zimmer', 'zed@example.com'],
        ['Amy', 'Zeller', 'amy@example.com'],
        ['Bob', 'Brown', 'bob_1@example.com'],
        ['Cleo', 'Cruz', 'bobx1@example.com'],
        ['Dan', 'Dunn', 'dan@example.com'],
      ] as const) {
        made.push(await addUser(w, w.a.tenant, { first, last, email }));
      }
    });

    it('pages by email with a cursor, each user once, at most `limit` per page', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await w.api('GET', `${users}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status, JSON.stringify(res.json)).to.equal(200);
        expect(res.json.items.length).to.be.at.most(2);
        seen.push(...res.json.items.map((u: { email: string }) => u.email));
        cursor = res.json.nextCursor;
        pages += 1;
      } while (cursor && pages < 20);
      const all = (await w.api('GET', `${users}?limit=100`)).json.items.map((u: { email: string }) => u.email) as string[];
      expect(seen).to.deep.equal(all);
      expect(all).to.deep.equal([...all].sort());
      expect(new Set(all).size).to.equal(all.length);
      for (const u of made) expect(all).to.include(u.email);
      expect(pages).to.equal(Math.ceil(all.length / 2));
    });

    it('searches by prefix of email, first or last name, case-insensitively; wildcards are literal', async () => {
      const emails = async (q: string) => (await w.api('GET', `${users}?q=${encodeURIComponent(q)}`)).json.items.map((u: { email: string }) => u.email).sort();
      expect(await emails('ZE')).to.deep.equal(['amy@example.com', 'zed@example.com']);
      expect(await emails('bob')).to.deep.equal(['bob_1@example.com', 'bobx1@example.com']);
      expect(await emails('bob_')).to.deep.equal(['bob_1@example.com']);
      expect(await emails('%')).to.deep.equal([]);
      expect(await emails('cruz')).to.deep.equal(['bobx1@example.com']);
      expect(await emails('immer')).to.deep.equal([]);
      const admins = await w.api('GET', `${users}?role=owner`);
      expect(admins.json.items.map((u: { id: string }) => u.id)).to.deep.equal([w.a.userId]);
    });

    it('refuses bad paging and filters with 400 naming the query parameter', async () => {
      for (const [query, path] of [
        ['limit=101', 'limit'],
        ['limit=0', 'limit'],
        ['limit=ten', 'limit'],
        ['limit=1&limit=2', 'limit'],
        ['role=god', 'role'],
        ['status=gone', 'status'],
        [`q=${'a'.repeat(101)}`, 'q'],
        ['sort=email', ''],
      ] as const) {
        const res = await w.api('GET', `${users}?${query}`);
        expectError(res, 400, 'request.invalid');
        expect(res.json.error.details.issues[0], query).to.include({ in: 'query', path });
      }
      expectError(await w.api('GET', `${users}?cursor=${encodeURIComponent('not a cursor!')}`), 400, 'users.invalid_cursor');
    });

    it('shows one user; unknown ids are 404 and malformed ones 400', async () => {
      const res = await w.api('GET', `${users}/${made[0]!.id}`);
      expect(res.json).to.include({
        id: made[0]!.id,
        email: 'zed@example.com',
        firstName: 'Zed',
        lastName: 'Zimmer',
        role: 'member',
        status: 'active',
        lastLoginAt: null,
      });
      expectError(await w.api('GET', `${users}/6f1f7c4e-0000-4000-8000-000000000000`), 404, 'user.not_found');
      const bad = await w.api('GET', `${users}/12345`);
      expectError(bad, 400, 'request.invalid');
      expect(bad.json.error.details.issues[0]).to.include({ in: 'path', path: 'userId' });
    });
  });

  describe('changes', () => {
    it('updates names and role, audited with before/after and the token as actor', async () => {
      const u = await addUser(w, w.a.tenant, { first: 'Old', last: 'Name' });
      const res = await w.api('PATCH', `${users}/${u.id}`, { body: { firstName: '  New ', role: 'admin' } });
      expect(res.status, JSON.stringify(res.json)).to.equal(200);
      expect(res.json).to.include({ firstName: 'New', lastName: 'Name', role: 'admin' });
      const [profile] = (await auditEvents(w, 'user.profile_updated')).filter((e) => e.userId === u.id);
      expect(profile).to.include({ actor: `token:${w.a.tokenId}` });
      expect(profile!.details).to.deep.equal({ before: { firstName: 'Old' }, after: { firstName: 'New' } });
      const [role] = (await auditEvents(w, 'user.role_changed')).filter((e) => e.userId === u.id);
      expect(role!.details).to.deep.equal({ before: { role: 'member' }, after: { role: 'admin' } });
    });

    it("refuses bad changes with 400 and the last owner's demotion with 409", async () => {
      const u = await addUser(w, w.a.tenant);
      for (const [body, path] of [
        [{ firstName: 'x'.repeat(101) }, 'firstName'],
        [{ firstName: 42 }, 'firstName'],
        [{ role: 'god' }, 'role'],
        [{ email: 'x@example.com' }, ''],
        [{}, ''],
        [{ firstName: 'a\u0007b' }, 'firstName'],
      ] as const) {
        const res = await w.api('PATCH', `${users}/${u.id}`, { body });
        expectError(res, 400, 'request.invalid');
        expect(
          res.json.error.details.issues.map((i: { path: string }) => i.path),
          JSON.stringify(body),
        ).to.include(path);
      }
      expectError(await w.api('PATCH', `${users}/${w.a.userId}`, { body: { role: 'member' } }), 409, 'user.last_owner');
      expect((await w.api('GET', `${users}/${w.a.userId}`)).json.role).to.equal('owner');
    });

    it('lets only an owner change an owner or make someone owner', async () => {
      const admin = await addUser(w, w.a.tenant, { role: 'admin' });
      const { token } = await issueToken(w, admin.id, ['admin:write'], 'adm');
      const member = await addUser(w, w.a.tenant);
      expectError(await w.api('PATCH', `${users}/${w.a.userId}`, { token, body: { firstName: 'Hacked' } }), 403, 'user.owner_only');
      expectError(await w.api('POST', `${users}/${w.a.userId}/deactivate`, { token }), 403, 'user.owner_only');
      expectError(await w.api('PATCH', `${users}/${member.id}`, { token, body: { role: 'owner' } }), 403, 'user.owner_only');
      expectError(await w.api('POST', users, { token, body: { email: 'boss@example.com', role: 'owner' } }), 403, 'user.owner_only');
      expect((await w.api('PATCH', `${users}/${member.id}`, { token, body: { lastName: 'Fine' } })).status).to.equal(200);
    });
  });

  describe('lifecycle', () => {
    it('invites: the user exists as invited with an unverified email; the same email twice is 409', async () => {
      const res = await w.api('POST', users, { body: { email: ' New.Hire@Example.com ', firstName: 'Nia', role: 'member' } });
      expect(res.status, JSON.stringify(res.json)).to.equal(201);
      expect(res.json.user).to.include({ email: 'new.hire@example.com', status: 'invited', emailVerified: false, firstName: 'Nia' });
      expect(Date.parse(res.json.invitationExpiresAt) - Date.now()).to.be.within(71 * 3600_000, 72 * 3600_000 + 5000);
      const [invited] = (await auditEvents(w, 'user.invited')).filter((e) => e.userId === res.json.user.id);
      expect(invited).to.include({ actor: `token:${w.a.tokenId}` });
      expectError(await w.api('POST', users, { body: { email: 'new.hire@example.com' } }), 409, 'user.exists');
      for (const body of [
        { email: 'not-an-email' },
        { email: `${'a'.repeat(320)}@example.com` },
        { firstName: 'No email' },
        { email: 'x@example.com', role: 'root' },
      ]) {
        expectError(await w.api('POST', users, { body }), 400, 'request.invalid');
      }
      const resent = await w.api('POST', `${users}/${res.json.user.id}/resend-invitation`);
      expect(resent.status, JSON.stringify(resent.json)).to.equal(200);
      expectError(await w.api('POST', `${users}/${w.a.userId}/resend-invitation`), 409, 'user.not_invited');
    });

    it('deactivates (sessions and tokens end) and reactivates with a forced password change', async () => {
      const u = await addUser(w, w.a.tenant);
      const config = await discover(w.f.server.url, w.f.client);
      const tokens = await exchange(config, await signIn(config, w.f.client, { email: u.email, password: PASSWORD }));
      expect(tokens.refresh_token).to.be.a('string');

      const res = await w.api('POST', `${users}/${u.id}/deactivate`, { body: { reason: 'left the company' } });
      expect(res.status, JSON.stringify(res.json)).to.equal(200);
      expect(res.json.user.status).to.equal('deactivated');
      expect(res.json.ended.sessions).to.be.at.least(1);
      expect(res.json.ended.grants).to.be.at.least(1);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!).catch((e: unknown) => e);
      expect((refreshed as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      const [event] = (await auditEvents(w, 'user.deactivated')).filter((e) => e.userId === u.id);
      expect(event).to.include({ actor: `token:${w.a.tokenId}` });
      expect(event!.details.reason).to.equal('left the company');

      expectError(await w.api('POST', `${users}/${u.id}/deactivate`), 409, 'user.already_deactivated');
      expectError(await w.api('POST', `${users}/${u.id}/deactivate`, { body: { reason: 'x'.repeat(201) } }), 400, 'request.invalid');
      expectError(await w.api('POST', `${users}/${u.id}/force-password-reset`), 409, 'user.not_active');

      const back = await w.api('POST', `${users}/${u.id}/reactivate`);
      expect(back.status, JSON.stringify(back.json)).to.equal(200);
      expect(back.json).to.deep.include({ mustChangePassword: true, invitationSent: false });
      expect(back.json.user).to.include({ status: 'active', mustChangePassword: true });
      expectError(await w.api('POST', `${users}/${u.id}/reactivate`), 409, 'user.not_deactivated');
    });

    it('reactivates with the password blocked until the emailed reset link, when asked', async () => {
      const u = await addUser(w, w.a.tenant);
      expect((await w.api('POST', `${users}/${u.id}/deactivate`)).status).to.equal(200);
      const back = await w.api('POST', `${users}/${u.id}/reactivate`, { body: { password: 'reset-required' } });
      expect(back.status, JSON.stringify(back.json)).to.equal(200);
      expect(back.json).to.deep.include({ mustChangePassword: false, resetRequired: true, invitationSent: false });
      expect(back.json.user).to.include({ status: 'active', resetRequired: true });
      const c = w.f.server.container;
      expect((await c.guard.attempt(await c.tenants.getByName(w.a.tenant), u.email, PASSWORD, { ip: '198.51.100.7' })).ok).to.equal(false);
      expectError(await w.api('POST', `${users}/${u.id}/reactivate`, { body: { password: 'later' } }), 400, 'request.invalid');
    });

    it('changes an email address only through the new address (202, pending)', async () => {
      const u = await addUser(w, w.a.tenant);
      const res = await w.api('POST', `${users}/${u.id}/email-change`, { body: { email: 'moved@example.com' } });
      expect(res.status, JSON.stringify(res.json)).to.equal(202);
      expect(res.json.pending).to.equal(true);
      expect(res.json.user.email).to.equal(u.email);
      expectError(await w.api('POST', `${users}/${u.id}/email-change`, { body: { email: w.a.email } }), 409, 'user.exists');
      expectError(await w.api('POST', `${users}/${u.id}/email-change`, { body: { email: 'nope' } }), 400, 'request.invalid');
    });
  });

  describe('security actions', () => {
    it('unlocks a locked user, audited with the token as actor, its IP and user agent', async () => {
      const u = await addUser(w, w.a.tenant);
      const c = w.f.server.container;
      const tenant = (await c.tenants.findById(w.a.tenantId))!;
      for (let i = 0; i < tenant.policy.lockout.maxFailures; i += 1) await c.guard.attempt(tenant, u.email, 'wrong password', { ip: '198.51.100.7' });
      const locked = await c.guard.attempt(tenant, u.email, PASSWORD, { ip: '198.51.100.7' });
      expect(locked).to.include({ ok: false, reason: 'locked' });
      const res = await w.api('POST', `${users}/${u.id}/unlock`, { headers: { 'user-agent': FIREFOX } });
      expect(res.json).to.deep.equal({ wasLocked: true });
      expect((await c.guard.attempt(tenant, u.email, PASSWORD, { ip: '198.51.100.7' })).ok).to.equal(true);
      const [event] = (await auditEvents(w, 'user.unlocked')).filter((e) => e.userId === u.id);
      expect(event).to.include({ actor: `token:${w.a.tokenId}`, ip: '127.0.0.1', userAgent: FIREFOX });
      expect(event!.details).to.deep.equal({ wasLocked: true });
      expect((await w.api('POST', `${users}/${u.id}/unlock`)).json).to.deep.equal({ wasLocked: false });
    });

    it('forces a password reset: the password no longer signs in until the emailed link is used; audited with the caller, IP and browser', async () => {
      const u = await addUser(w, w.a.tenant);
      const res = await w.api('POST', `${users}/${u.id}/force-password-reset`, { headers: { 'user-agent': 'ops-script/1.0' } });
      expect(res.status, JSON.stringify(res.json)).to.equal(200);
      expect(res.json).to.deep.equal({ resetRequired: true, resetLinkSent: true });
      expect((await w.api('GET', `${users}/${u.id}`)).json).to.include({ resetRequired: true, mustChangePassword: false });
      const c = w.f.server.container;
      const tenant = await c.tenants.getByName(w.a.tenant);
      expect((await c.guard.attempt(tenant, u.email, PASSWORD, { ip: '198.51.100.7' })).ok).to.equal(false);
      const [event] = (await auditEvents(w, 'password.reset_forced')).filter((e) => e.userId === u.id);
      expect(event).to.include({ actor: `token:${w.a.tokenId}`, userAgent: 'ops-script/1.0' });
      expect(event!.ip).to.match(/^(::ffff:)?127\.0\.0\.1$|^::1$/);
      expect(event!.details).to.deep.equal({ resetRequired: true });
    });

    it('signs a user out everywhere: the refresh token dies', async () => {
      const u = await addUser(w, w.a.tenant);
      const config = await discover(w.f.server.url, w.f.client);
      const tokens = await exchange(config, await signIn(config, w.f.client, { email: u.email, password: PASSWORD }));
      const res = await w.api('POST', `${users}/${u.id}/revoke-sessions`);
      expect(res.status).to.equal(200);
      expect(res.json.sessions).to.equal(1);
      expect(res.json.grants).to.equal(1);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!).catch((e: unknown) => e);
      expect((refreshed as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      const [event] = (await auditEvents(w, 'sessions.ended')).filter((e) => e.userId === u.id);
      expect(event).to.include({ actor: `token:${w.a.tokenId}` });
      expect(event!.details).to.include({ sessions: 1, grants: 1 });
    });

    it('forgets every remembered device', async () => {
      const u = await addUser(w, w.a.tenant);
      const c = w.f.server.container;
      const tenant = (await c.tenants.findById(w.a.tenantId))!;
      await c.devices.remember({ userId: u.id, tenantId: tenant.id, userAgent: FIREFOX, ip: '198.51.100.8', policy: tenant.policy.devices });
      await c.devices.remember({ userId: u.id, tenantId: tenant.id, userAgent: FIREFOX, ip: '198.51.100.9', policy: tenant.policy.devices });
      const res = await w.api('POST', `${users}/${u.id}/revoke-devices`);
      expect(res.json).to.deep.equal({ devices: 2 });
      expect(await c.devices.list(u.id)).to.deep.equal([]);
      const [event] = (await auditEvents(w, 'devices.revoked_all')).filter((e) => e.userId === u.id);
      expect(event).to.include({ actor: `token:${w.a.tokenId}` });
      expect(event!.details).to.deep.equal({ count: 2 });
    });

    it('takes no body on actions without one', async () => {
      const u = await addUser(w, w.a.tenant);
      const res = await w.api('POST', `${users}/${u.id}/unlock`, { body: { everything: true } });
      expectError(res, 400, 'request.invalid');
      expect((await w.api('POST', `${users}/${u.id}/unlock`, { body: {} })).status).to.equal(200);
    });
  });
});
