import { expect } from 'chai';
import { addUser, auditEvents, expectError, issueToken, startAdminWorld, stopAdminWorld, type AdminWorld } from './support.ts';
import { SoftAuthenticator } from '../../support/soft-authenticator.ts';
import { waitForMail } from '../../support/outbox.ts';
import { enrollTotpDirectly, startFlow } from '../../support/two-factor.ts';
import { discover } from '../../support/relying-party.ts';
import { setPolicy } from '../../support/accounts.ts';
import { BACKENDS } from '../../support/backends.ts';
import { PasskeyEntity } from '../../../src/store/entities/index.ts';

const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const ADMIN_AGENT = 'latchkey-admin-test/1.0';
const SUBJECT = 'Your two-step verification was reset';
const h1 = (html: string) => /<h1>([\s\S]*?)<\/h1>/.exec(html)?.[1]?.trim() ?? '';

/** A user who lost their phone: an admin removes every second factor, recovery code and remembered device. */
for (const kind of BACKENDS) {
  describe(`admin API: resetting a user's two-step verification (${kind})`, () => {
    let w: AdminWorld;
    before(async () => {
      w = await startAdminWorld(kind);
      await setPolicy(w.f, { mfa: { mode: 'always', factors: ['totp', 'sms', 'passkey'] } });
    });
    after(() => stopAdminWorld(w));

    /** a user with TOTP, SMS and a passkey (confirmed), a pending email factor, 10 recovery codes (one used) and a remembered device */
    async function userWithEverything() {
      const c = w.f.server.container;
      const user = await addUser(w, w.a.tenant, { first: 'Una' });
      await enrollTotpDirectly(c, w.a.tenant, user.email, w.clock.now());
      await c.factors.confirm(user.id, (await c.factors.addPending(user.id, 'sms', { phone: '+14155550142' })).id);
      await c.factors.addPending(user.id, 'email');
      const key = `account:${user.id}`;
      const options = await c.passkeys.registrationOptions(key, { id: user.id, email: user.email, displayName: 'Una' }, 'Tenant');
      const answer = JSON.stringify(new SoftAuthenticator().create(options, new URL(w.f.server.url).origin));
      const created = await c.passkeys.register(key, user.id, answer, 'Phone');
      if (!created.ok) throw new Error(`passkey not registered: ${created.reason}`);
      const codes = await c.factors.recoveryCodes.generate(user.id, 10);
      expect(await c.factors.recoveryCodes.consume(user.id, codes[0]!)).to.equal(true);
      const tenant = (await c.tenants.findById(w.a.tenantId))!;
      await c.devices.remember({ userId: user.id, tenantId: tenant.id, userAgent: FIREFOX, ip: '198.51.100.8', policy: tenant.policy.devices });
      return user;
    }

    it('removes every factor, passkey, recovery code and remembered device; emails the user; audits factors.reset with the caller', async () => {
      const c = w.f.server.container;
      const user = await userWithEverything();
      const config = await discover(w.f.server.url, w.f.client);
      const before = await startFlow(config, w.f.client, { email: user.email, password: 'correct horse battery staple 42' });
      expect(h1(before.page.html), 'the second factor is asked before the reset').to.equal('Confirm it is you');
      expect((await w.api('GET', `/tenants/${w.a.tenant}/users/${user.id}/passkeys`)).json.passkeys).to.have.length(1);
      expect(await c.db.em().count(PasskeyEntity, { user: user.id })).to.equal(1);

      const since = w.clock.now();
      const res = await w.api('POST', `/tenants/${w.a.tenant}/users/${user.id}/reset-factors`, { headers: { 'user-agent': ADMIN_AGENT } });
      expect(res.status, JSON.stringify(res.json)).to.equal(200);
      expect(res.json).to.deep.equal({ factors: 3, recoveryCodes: 9, devices: 1 });

      expect(await c.factors.list(user.id)).to.deep.equal([]);
      expect(await c.factors.recoveryCodes.remaining(user.id)).to.equal(0);
      expect(await c.devices.list(user.id)).to.deep.equal([]);
      const passkeys = await w.api('GET', `/tenants/${w.a.tenant}/users/${user.id}/passkeys`);
      expect(passkeys.status).to.equal(200);
      expect(passkeys.json.passkeys).to.deep.equal([]);
      expect(await c.db.em().count(PasskeyEntity, { user: user.id }), 'the credential rows went with their factors').to.equal(0);

      const mail = await waitForMail(w.f.server.url, user.email, SUBJECT, since);
      expect(mail.text.trim()).to.equal(
        [
          'Hello Una,',
          'An administrator of your organisation removed every two-step verification method from your account, with its recovery codes and remembered devices.',
          "You can set up a new method in your account's security settings. If your organisation requires one, you will be asked to set it up at your next sign-in.",
          'If you did not ask for this, tell your account owner at once.',
        ].join('\n\n'),
      );

      const events = (await auditEvents(w, 'factors.reset')).filter((e) => e.userId === user.id);
      expect(events.map(({ id: _id, createdAt: _at, ...rest }) => rest)).to.deep.equal([
        {
          action: 'factors.reset',
          actor: `token:${w.a.tokenId}`,
          userId: user.id,
          ip: '127.0.0.1',
          userAgent: ADMIN_AGENT,
          details: { factors: 3, recoveryCodes: 9, devices: 1 },
        },
      ]);

      // with no factor left, the next sign-in sets one up again ('always' mode)
      const next = await startFlow(config, w.f.client, { email: user.email, password: 'correct horse battery staple 42' });
      expect(next.page.status).to.equal(200);
      expect(h1(next.page.html)).to.equal('Set up two-step verification');
      const tenant = (await c.tenants.findById(w.a.tenantId))!;
      expect(next.page.html).to.include(`${tenant.displayName} asks for a second step when you sign in.`);

      const again = await w.api('POST', `/tenants/${w.a.tenant}/users/${user.id}/reset-factors`);
      expect(again.json, 'nothing left the second time').to.deep.equal({ factors: 0, recoveryCodes: 0, devices: 0 });
    });

    it("lets only an owner reset an owner's factors; a read-only token is refused", async () => {
      const admin = await addUser(w, w.a.tenant, { role: 'admin' });
      const { token } = await issueToken(w, admin.id, ['admin:read', 'admin:write']);
      expectError(await w.api('POST', `/tenants/${w.a.tenant}/users/${w.a.userId}/reset-factors`, { token }), 403, 'user.owner_only');
      const member = await addUser(w, w.a.tenant);
      expect((await w.api('POST', `/tenants/${w.a.tenant}/users/${member.id}/reset-factors`, { token })).json).to.deep.equal({
        factors: 0,
        recoveryCodes: 0,
        devices: 0,
      });
      const reader = await issueToken(w, w.a.userId, ['admin:read']);
      expectError(await w.api('POST', `/tenants/${w.a.tenant}/users/${member.id}/reset-factors`, { token: reader.token }), 403, 'auth.insufficient_scope');
    });
  });
}
