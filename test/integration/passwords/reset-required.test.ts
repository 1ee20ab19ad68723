import { expect } from 'chai';
import * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { openSignIn, submit, alertText } from '../../support/sign-in-pages.ts';
import { Browser } from '../../support/browser.ts';
import { forcePasswordReset } from '../../support/accounts.ts';
import { linkIn, waitForMail } from '../../support/outbox.ts';
import { exchange, signIn } from '../../support/relying-party.ts';
import { SoftAuthenticator } from '../../support/soft-authenticator.ts';
import { passkeyForm } from '../../support/passkey-pages.ts';

const FAILED = 'The email address or password is not correct.';

/**
 * A password reported compromised (an admin's reset, the CLI's): the password signs nothing in,
 * nor a passkey, sessions, refresh tokens, devices and API tokens end at once, and only the
 * emailed link restores access.
 */
for (const kind of BACKENDS) {
  describe(`a password reset that blocks the account until the emailed link is used (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;
    let tenantId = '';
    before(async () => {
      ({ f, config } = await startFixture(kind, { issuerHost: 'localhost' }));
      tenantId = (await f.server.container.tenants.getByName(f.tenant)).id;
      await f.server.container.tenants.updatePolicy(tenantId, { mfa: { factors: ['passkey', 'totp', 'email', 'sms', 'voice'] } });
    });
    after(() => disposeFixture(f));

    let counter = 0;
    const newUser = async (role = 'member') => {
      counter += 1;
      const user = { email: `blocked${counter}@example.com`, password: `the old passphrase number ${counter} 2024` };
      const created = await f.server.container.users.create({ tenantId, email: user.email, password: user.password, role });
      return { ...user, id: created.id };
    };

    const passwordStep = async (credentials: { email: string; password: string }) => {
      const { browser, page } = await openSignIn(config, f.client);
      return { browser, page: await submit(browser, page, '/login', credentials) };
    };

    it('refuses the old password with the generic message, ends sessions, refresh and API tokens; the emailed link restores access', async () => {
      const user = await newUser('admin');
      const tokens = await exchange(config, await signIn(config, f.client, user));
      const { token } = await f.server.container.apiTokens.create(user.id, { name: 'script', scopes: ['admin:read'] }, 'cli');
      const before = Date.now();
      await forcePasswordReset(f, user.email);

      const refused = await passwordStep(user);
      expect(refused.page.status).to.equal(401);
      expect(alertText(refused.page.html)).to.equal(FAILED);
      // audited as what it is, and not counted as a guess: six tries of the right old password lock nothing
      for (let i = 0; i < 5; i += 1) expect((await passwordStep(user)).page.status).to.equal(401);
      const { events } = await f.server.container.audit.list({ tenantId, userId: user.id, from: new Date(before), limit: 20 });
      expect(events.filter((e) => e.action === 'signin.refused_reset_required').map((e) => e.details)).to.deep.equal(
        Array.from({ length: 6 }, () => ({ step: 'password' })),
      );
      expect(events.map((e) => e.action))
        .to.not.include('signin.failed')
        .and.not.include('user.locked');
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!).catch((e: unknown) => e);
      expect((refreshed as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      const api = await fetch(`${f.server.url}/admin/v1/tenants/${f.tenant}/users`, { headers: { authorization: `Bearer ${token}` } });
      expect(api.status).to.equal(401);
      expect((await f.server.container.apiTokens.list(user.id)).map((t) => t.status)).to.deep.equal(['revoked']);
      expect((await f.server.container.users.findById(user.id))?.resetRequired).to.equal(true);

      const mail = await waitForMail(f.server.url, user.email, 'Reset your password', before - 1000);
      const reset = new Browser(f.server.url);
      const link = await reset.navigate(linkIn(mail.text, '/password/reset/'));
      const chosen = 'a brand new passphrase after the scare';
      const done = await submit(reset, { status: link.res.status, url: link.url, html: link.html }, '/password/reset/', { password: chosen, confirm: chosen });
      expect(done.status).to.equal(200);
      expect((await f.server.container.users.findById(user.id))?.resetRequired).to.equal(false);

      expect((await passwordStep(user)).page.status, 'the old password still fails').to.equal(401);
      const ok = await signIn(config, f.client, { email: user.email, password: chosen });
      expect(ok.callbackUrl.searchParams.get('code')).to.be.a('string');
    });

    it('refuses a passkey sign-in too while the reset is pending', async () => {
      const user = await newUser();
      const authenticator = new SoftAuthenticator();
      const passkeys = f.server.container.passkeys;
      const options = await passkeys.registrationOptions(`test:${user.id}`, { id: user.id, email: user.email, displayName: 'B' }, 'Tenant');
      const registered = await passkeys.register(`test:${user.id}`, user.id, JSON.stringify(authenticator.create(options, f.server.url)), 'Laptop');
      expect(registered.ok).to.equal(true);
      await forcePasswordReset(f, user.email);

      const { browser, page } = await openSignIn(config, f.client);
      const answer = authenticator.get(passkeyForm(page.html, '/passkey').options, f.server.url);
      const refused = await submit(browser, page, '/passkey', { credential: JSON.stringify(answer) });
      expect(refused.status).to.equal(401);
      expect(alertText(refused.html)).to.equal('That passkey could not be used. Try again, or choose another way to sign in.');
    });

    it('ends a sign-in already past its password when the reset is forced meanwhile (audited at the step)', async () => {
      const user = await newUser();
      await f.server.container.tenants.updatePolicy(tenantId, { mfa: { mode: 'always' } });
      try {
        const started = await passwordStep(user);
        expect(started.page.status).to.equal(200);
        expect(started.page.html).to.include('Set up two-step verification');
        await forcePasswordReset(f, user.email);
        const next = await submit(started.browser, started.page, '/enroll/start', { type: 'totp' });
        expect(next.status).to.equal(401);
        expect(alertText(next.html)).to.equal(FAILED);
        const { events } = await f.server.container.audit.list({ tenantId, userId: user.id, action: 'signin.refused_reset_required', limit: 5 });
        expect(events.map((e) => e.details)).to.deep.equal([{ step: 'enroll' }]);
      } finally {
        await f.server.container.tenants.updatePolicy(tenantId, { mfa: { mode: 'optional' } });
      }
    });
  });
}
