import { expect } from 'chai';
import * as oidc from 'openid-client';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { exchange, signIn } from '../../support/relying-party.ts';
import { Browser } from '../../support/browser.ts';
import { BACKENDS } from '../../support/backends.ts';
import { noticeText, post } from '../../support/two-factor.ts';
import { alertText } from '../../support/sign-in-pages.ts';
import { startDeliveryStandIns, type DeliveryStandIns } from '../../support/delivery-stand-ins.ts';
import { consoleSignIn, fieldError, open, sessionsOn, unlockSecurity } from './support.ts';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

for (const kind of BACKENDS) {
  describe(`account console security section: password change, sessions, API tokens (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;
    let stand: DeliveryStandIns | undefined;
    const admin = { email: 'bob@example.com', password: 'admin passphrase for bob 2024' };

    /** a browser of the fixture's user signed in through the console, with a User-Agent of its own */
    const signedIn = async (who: { email: string; password: string }, userAgent = FIREFOX): Promise<Browser> => {
      const browser = new Browser(f.server.url);
      browser.headers['user-agent'] = userAgent;
      const { page } = await consoleSignIn(f.server.url, `/account?tenant=${f.tenant}`, who, browser);
      expect(page.url).to.equal(`${f.server.url}/account`);
      return browser;
    };

    before(async () => {
      stand = await startDeliveryStandIns();
      ({ f, config } = await startFixture(kind, { env: stand.env }));
      const tenant = await f.server.container.tenants.getByName(f.tenant);
      await f.server.container.users.create({ tenantId: tenant.id, email: admin.email, password: admin.password, role: 'admin', firstName: 'Bob' });
    });
    after(async () => {
      await disposeFixture(f);
      await stand?.close();
    });

    it('lists the signed-in browsers with where, when and which browser; signs one out; then everywhere but here', async () => {
      const here = await signedIn(f.user, FIREFOX);
      const there = await signedIn(f.user, CHROME);
      expect((await open(there, '/account')).status).to.equal(200);
      // each browser also signs in to an application (single sign-on through its session)
      const appHere = await exchange(config, await signIn(config, f.client, f.user, { browser: here }));
      const appThere = await exchange(config, await signIn(config, f.client, f.user, { browser: there }));

      let page = await unlockSecurity(here, f.user.password);
      const sessions = sessionsOn(page.html);
      expect(sessions).to.have.length(2);
      const current = sessions.find((s) => s.current)!;
      const other = sessions.find((s) => !s.current)!;
      expect(current.text).to.include('127.0.0.1').and.to.include('Signed in');
      expect(other.text).to.include('Chrome on Windows').and.to.include('127.0.0.1');

      page = await post(here, page, '/sessions/end', { session: other.handle });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.include('That browser is signed out');
      expect(sessionsOn(page.html).map((s) => s.handle)).to.deep.equal([current.handle]);
      // the other browser's cookie no longer signs anyone in
      expect((await open(there, '/account/security')).status).to.equal(401);
      expect((await open(there, '/account')).html).to.include('id="organisation-form"');
      // the application signed in through it lost its refresh token; the one signed in here did not
      const refused = await oidc.refreshTokenGrant(config, appThere.refresh_token!).catch((e: unknown) => e);
      expect((refused as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      const kept = await oidc.refreshTokenGrant(config, appHere.refresh_token!);
      expect(kept.access_token).to.be.a('string');

      const again = await post(here, page, '/sessions/end', { session: other.handle });
      expect(again.status, 'an ended session cannot be ended twice').to.equal(404);

      const third = await signedIn(f.user, CHROME);
      const fourth = await signedIn(f.user, CHROME);
      page = await open(here, '/account/security');
      expect(sessionsOn(page.html)).to.have.length(3);
      page = await post(here, page, '/sessions/end-others');
      expect(noticeText(page.html)).to.include('Signed out everywhere else (2)');
      expect(sessionsOn(page.html)).to.have.length(1);
      expect((await open(third, '/account/security')).status).to.equal(401);
      expect((await open(fourth, '/account/security')).status).to.equal(401);
      expect((await open(here, '/account/security')).status, 'this browser stays signed in and unlocked').to.equal(200);
    });

    it('changes the password: the current one is checked, the rules apply, other sessions end and an email says so', async () => {
      const here = await signedIn(f.user);
      const there = await signedIn(f.user, CHROME);
      let page = await unlockSecurity(here, f.user.password);
      expect(page.html).to.include('autocomplete="new-password"').and.to.include('id="current-password"');

      const wrong = await post(here, page, '/account/security/password', {
        current: 'not my password at all',
        password: 'a fresh passphrase for alice 99',
        confirm: 'a fresh passphrase for alice 99',
      });
      expect(wrong.status).to.equal(401);
      expect(fieldError(wrong.html, 'current-password')).to.equal('The current password is not correct.');
      const mismatch = await post(here, page, '/account/security/password', {
        current: f.user.password,
        password: 'a fresh passphrase for alice 99',
        confirm: 'something else',
      });
      expect(mismatch.status).to.equal(400);
      expect(fieldError(mismatch.html, 'confirm-password')).to.not.equal('');
      const weak = await post(here, page, '/account/security/password', { current: f.user.password, password: 'short', confirm: 'short' });
      expect(weak.status).to.equal(400);
      expect(fieldError(weak.html, 'new-password')).to.include('at least 15 characters');
      const reused = await post(here, page, '/account/security/password', { current: f.user.password, password: f.user.password, confirm: f.user.password });
      expect(reused.status).to.equal(400);
      expect(fieldError(reused.html, 'new-password')).to.match(/last \d+ passwords|used before|reuse/i);

      const since = Date.now();
      const fresh = 'a fresh passphrase for alice 99';
      page = await post(here, page, '/account/security/password', { current: f.user.password, password: fresh, confirm: fresh });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.include('Your password was changed');
      const mail = await stand!.smtp.waitForMail(f.user.email, 'Your password was changed', since);
      expect(mail.text).to.include('signed out everywhere else');
      expect((await open(there, '/account/security')).status, 'the other browser is signed out').to.equal(401);
      expect((await open(here, '/account/security')).status, 'this one is not').to.equal(200);

      // the new password signs in, the old one no longer does
      await signedIn({ email: f.user.email, password: fresh });
      f.user.password = fresh;
    });

    it('keeps API tokens to owners and admins: a member sees no section and is refused', async () => {
      const member = await signedIn(f.user);
      const page = await unlockSecurity(member, f.user.password);
      expect(page.html).not.to.include('id="tokens-section"');
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
      const refused = await open(member, '/account/security/tokens', { csrf, name: 'mine', scopes: 'admin:read', expiresInDays: '30' });
      expect(refused.status).to.equal(403);
      expect(alertText(refused.html)).to.include('owners and admins');
    });

    it('creates an API token for an admin: shown once, works on /admin/v1, emailed; revoked, it stops', async () => {
      const browser = await signedIn(admin);
      let page = await unlockSecurity(browser, admin.password);
      expect(page.html).to.include('id="tokens-section"');

      const bad = await post(browser, page, '/account/security/tokens', { name: '', scopes: 'admin:everything', expiresInDays: '1000' });
      expect(bad.status).to.equal(400);
      expect(fieldError(bad.html, 'token-name')).to.include('1 to 100 characters');
      expect(fieldError(bad.html, 'token-scopes')).to.include('admin:read');
      expect(fieldError(bad.html, 'token-expiry')).to.not.equal('');

      const since = Date.now();
      page = await post(browser, page, '/account/security/tokens', { name: 'Nightly export', scopes: 'admin:read', expiresInDays: '30' });
      expect(page.status).to.equal(200);
      const token = /id="token-value"[^>]*value="([^"]+)"/.exec(page.html)?.[1] ?? '';
      expect(token).to.match(/^lk_/);
      const me = await fetch(`${f.server.url}/admin/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).to.equal(200);
      expect(((await me.json()) as { scopes: string[] }).scopes).to.deep.equal(['admin:read']);
      const mail = await stand!.smtp.waitForMail(admin.email, 'A new API token was created', since);
      expect(mail.text).to.include('Nightly export').and.not.to.include(token);

      page = await open(browser, '/account/security');
      expect(page.html, 'the value is never shown again').not.to.include(token);
      const tokenId = /data-token="([^"]+)"/.exec(page.html)![1]!;
      page = await post(browser, page, '/tokens/revoke', { token: tokenId });
      expect(noticeText(page.html)).to.include('Nightly export').and.to.include('revoked');
      const after = await fetch(`${f.server.url}/admin/v1/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(after.status).to.equal(401);
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
      const missing = await open(browser, '/account/security/tokens/revoke', { csrf, token: 'not-a-token' });
      expect(missing.status).to.equal(404);
    });

    it('records a device rename in the audit trail', async () => {
      const c = f.server.container;
      const tenant = await c.tenants.getByName(f.tenant);
      const bob = (await c.users.findByEmail(tenant.id, admin.email))!;
      const { device } = await c.devices.remember({
        userId: bob.id,
        tenantId: tenant.id,
        userAgent: FIREFOX,
        ip: '198.51.100.7',
        policy: tenant.policy.devices,
      });
      const browser = await signedIn(admin);
      let page = await unlockSecurity(browser, admin.password);
      page = await post(browser, page, '/account/security/devices/rename', { device: device.id, name: 'Work laptop' });
      expect(noticeText(page.html)).to.include('Work laptop');
      const { events } = await c.audit.list({ tenantId: tenant.id, action: 'device.renamed', limit: 10 });
      expect(events).to.have.length(1);
      expect(events[0]).to.include({ actor: `user:${bob.id}`, userId: bob.id });
      expect(events[0]!.details).to.include({ deviceId: device.id, name: 'Work laptop' });
    });

    it('offers phone number verification clearly', async () => {
      const browser = await signedIn(f.user);
      const page = await unlockSecurity(browser, f.user.password);
      expect(page.html).to.include('id="phone-section"').and.to.include('Verify a mobile number');
      const phone = await post(browser, page, '/account/security/factors/add', { type: 'sms' });
      expect(phone.status).to.equal(200);
      expect(phone.html).to.include('autocomplete="tel"');
    });
  });
}
