import { expect } from 'chai';
import { createFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { Browser } from '../../support/browser.ts';
import { BACKENDS } from '../../support/backends.ts';
import { noticeText, post } from '../../support/two-factor.ts';
import { alertText } from '../../support/sign-in-pages.ts';
import { UserEntity } from '../../../src/store/entities/index.ts';
import { consoleSignIn, csrfOf, fieldError, open, selected } from './support.ts';

const START_URI = 'https://crm.example.test/start';

for (const kind of BACKENDS) {
  describe(`account console: sign-in through Latchkey itself, profile, regional settings, start page (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let tenantId = '';
    let userId = '';
    let crmId = '';
    let foreignId = '';
    let browser: Browser;

    before(async () => {
      f = await createFixture(kind);
      const c = f.server.container;
      const tenant = await c.tenants.getByName(f.tenant);
      tenantId = tenant.id;
      userId = (await c.users.findByEmail(tenant.id, f.user.email))!.id;
      crmId = (await c.clients.create({ tenantId, name: 'Acme CRM', redirectUris: ['http://127.0.0.1:9/crm'], initiateLoginUri: START_URI })).clientId;
      const other = await c.tenants.create({ name: `${f.tenant}-other` });
      foreignId = (
        await c.clients.create({
          tenantId: other.id,
          name: 'Other app',
          redirectUris: ['http://127.0.0.1:9/x'],
          initiateLoginUri: 'https://other.example.test/start',
        })
      ).clientId;
    });
    after(() => disposeFixture(f));
    const userRow = async () => {
      const row = await f.server.container.db.em().findOneOrFail(UserEntity, { id: userId });
      const { tenant: _t, ...fields } = row as unknown as Record<string, unknown>;
      return fields;
    };

    it('asks a signed-out browser for its organisation; an unknown one is refused beside the field', async () => {
      const b = new Browser(f.server.url);
      const page = await open(b, '/account');
      expect(page.status).to.equal(200);
      expect(page.html).to.include('id="organisation-form"').and.to.include('name="tenant"');
      const unknown = await open(b, '/account?tenant=no-such-organisation');
      expect(unknown.status).to.equal(404);
      expect(fieldError(unknown.html, 'tenant')).to.include('No organisation has this name');
      const security = await open(b, '/account/security');
      expect(security.status).to.equal(401);
      expect(security.html).to.include('id="organisation-form"');
    });

    it('starts a real authorization request of the built-in console client (PKCE, state) and comes back signed in', async () => {
      const b = new Browser(f.server.url);
      const start = await b.request(`/account?tenant=${f.tenant}`);
      expect(start.status).to.equal(303);
      const auth = new URL(start.headers.get('location')!);
      expect(auth.pathname).to.equal('/auth');
      expect(auth.searchParams.get('client_id')).to.equal(`latchkey-account.${tenantId}`);
      expect(auth.searchParams.get('redirect_uri')).to.equal(`${f.server.url}/account/callback`);
      expect(auth.searchParams.get('code_challenge_method')).to.equal('S256');
      expect(auth.searchParams.get('state')).to.match(/^[A-Za-z0-9_-]{43}$/);

      ({ browser } = await consoleSignIn(f.server.url, `/account?tenant=${f.tenant}`, f.user));
      const page = await open(browser, '/account');
      expect(page.status).to.equal(200);
      expect(page.html).to.include('Your account').and.to.include(f.user.email);
    });

    it('accepts only the state this browser started, once', async () => {
      const b = new Browser(f.server.url);
      const start = await b.request(`/account/sign-in?tenant=${f.tenant}`);
      const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
      const forged = await open(b, `/account/callback?code=abc&state=${'A'.repeat(43)}`);
      expect(forged.status).to.equal(400);
      expect(alertText(forged.html)).to.include('expired or was started in another browser');
      const replay = await open(b, `/account/callback?code=abc&state=${state}`);
      expect(replay.status, 'the first callback used up the pending sign-in').to.equal(400);
      const elsewhere = await open(new Browser(f.server.url), `/account/callback?code=abc&state=${state}`);
      expect(elsewhere.status, 'another browser has no pending sign-in').to.equal(400);
    });

    it('shows the name as editable, the email and role read-only with who may change them', async () => {
      let page = await open(browser, '/account');
      expect(page.html).to.include('id="firstName"').and.to.include('value="Alice"');
      expect(page.html).to.match(/id="account-email">alice@example.com</);
      expect(page.html).to.match(/id="account-role">Member</);
      expect(page.html.replace(/&#x27;/g, "'")).to.include("only your organisation's owners and admins can change your email address and your role");
      expect(page.html).not.to.match(/name="email"/);

      page = await post(browser, page, '/account/profile', { firstName: 'Alicia', lastName: 'Liddell', email: 'mallory@example.com', role: 'owner' });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.equal('Your name was saved.');
      const user = await f.server.container.users.findById(userId);
      expect(user).to.include({ firstName: 'Alicia', lastName: 'Liddell', email: f.user.email, role: 'member' });

      const long = await post(browser, page, '/account/profile', { firstName: 'x'.repeat(101) });
      expect(long.status).to.equal(400);
      expect(fieldError(long.html, 'firstName')).to.include('at most 100 characters');
      expect((await f.server.container.users.findById(userId))!.firstName).to.equal('Alicia');
      const { events } = await f.server.container.audit.list({ tenantId, action: 'user.profile_updated', limit: 50 });
      expect(events.some((e) => e.actor === `user:${userId}`)).to.equal(true);
    });

    it('saves regional settings, and refuses a bad time zone with a message beside it and nothing changed', async () => {
      let page = await open(browser, '/account');
      expect(page.html).to.include('<option value="Europe/Berlin"').and.to.include('<option value="pt-BR"');
      page = await post(browser, page, '/account/regional', {
        locale: 'auto',
        emailLocale: 'de',
        timeZone: 'Europe/Berlin',
        dateFormat: 'dmy',
        timeFormat: '24h',
        distanceUnit: 'km',
      });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.equal('Your regional details were saved.');
      expect(selected(page.html, 'timeZone')).to.equal('Europe/Berlin');
      expect(selected(page.html, 'emailLocale')).to.equal('de');
      const saved = await userRow();
      expect(saved).to.include({ emailLocale: 'de', timeZone: 'Europe/Berlin', dateFormat: 'dmy', timeFormat: '24h', distanceUnit: 'km', locale: null });

      const bad = await post(browser, page, '/account/regional', {
        locale: 'fr',
        emailLocale: 'de',
        timeZone: 'Mars/Olympus_Mons',
        dateFormat: 'dmy',
        timeFormat: '24h',
        distanceUnit: 'furlongs',
      });
      expect(bad.status).to.equal(400);
      expect(fieldError(bad.html, 'timeZone')).to.equal('Choose a time zone from the list.');
      expect(fieldError(bad.html, 'distanceUnit')).to.include('kilometres, miles');
      expect(fieldError(bad.html, 'locale'), 'the valid fields have no message').to.equal('');
      const unchanged = await userRow();
      expect(unchanged).to.include({ locale: null, timeZone: 'Europe/Berlin', distanceUnit: 'km' });
    });

    it('speaks the chosen interface language', async () => {
      let page = await open(browser, '/account');
      page = await post(browser, page, '/account/regional', {
        locale: 'de',
        emailLocale: 'auto',
        timeZone: 'auto',
        dateFormat: 'auto',
        timeFormat: 'auto',
        distanceUnit: 'auto',
      });
      expect(page.status).to.equal(200);
      expect(page.html).to.include('<html lang="de">');
      page = await post(browser, page, '/account/regional', {
        locale: 'auto',
        emailLocale: 'auto',
        timeZone: 'auto',
        dateFormat: 'auto',
        timeFormat: 'auto',
        distanceUnit: 'auto',
      });
      expect(page.html).to.include('<html lang="en">');
    });

    it("offers the tenant's applications with an initiate_login_uri as start page, and refuses another tenant's", async () => {
      let page = await open(browser, '/account');
      expect(page.html).to.include(`<option value="${crmId}"`).and.not.to.include(foreignId);
      const foreign = await post(browser, page, '/account/start-page', { startClientId: foreignId });
      expect(foreign.status).to.equal(400);
      expect(fieldError(foreign.html, 'startClientId')).to.include("organisation's applications");
      expect((await userRow()).startClientId).to.equal(null);

      page = await post(browser, page, '/account/start-page', { startClientId: crmId });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.equal('Your start page was saved.');
      expect(selected(page.html, 'startClientId')).to.equal(crmId);
    });

    it('sends a sign-in through the console entry to the start page, but one started from /account back to the console', async () => {
      const viaEntry = await consoleSignIn(f.server.url, `/account/sign-in?tenant=${f.tenant}`, f.user);
      const landed = new URL(viaEntry.page.url);
      expect(`${landed.origin}${landed.pathname}`).to.equal(START_URI);
      expect(landed.searchParams.get('iss')).to.equal(f.server.url);

      const viaOverview = await consoleSignIn(f.server.url, `/account?tenant=${f.tenant}`, f.user);
      expect(viaOverview.page.url).to.equal(`${f.server.url}/account`);
      expect(viaOverview.page.status).to.equal(200);

      // back to the console as start page: the entry then ends at /account
      const page = await post(browser, await open(browser, '/account'), '/account/start-page', { startClientId: '' });
      expect(selected(page.html, 'startClientId')).to.equal('');
      const again = await consoleSignIn(f.server.url, `/account/sign-in?tenant=${f.tenant}`, f.user);
      expect(again.page.url).to.equal(`${f.server.url}/account`);
    });

    it('takes an initiate_login_uri over https or on localhost only, and a local one does not stop the application signing in', async () => {
      const c = f.server.container;
      const base = { tenantId, name: 'Local app', redirectUris: ['http://127.0.0.1:9/local'] };
      for (const bad of ['http://crm.example.test/start', 'javascript:alert(1)', 'https://user:pw@crm.example.test/', 'https://crm.example.test/#x']) {
        try {
          await c.clients.create({ ...base, initiateLoginUri: bad });
          expect.fail(`${bad} was accepted`);
        } catch (err) {
          expect((err as { code?: string }).code, bad).to.equal('client.invalid');
        }
      }
      const local = await c.clients.create({ ...base, public: true, initiateLoginUri: 'http://localhost:8080/start' });
      const b = new Browser(f.server.url);
      const auth = new URLSearchParams({
        client_id: local.clientId,
        redirect_uri: 'http://127.0.0.1:9/local',
        response_type: 'code',
        scope: 'openid',
        code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        code_challenge_method: 'S256',
      });
      const page = await open(b, `/auth?${auth.toString()}`);
      expect(page.status, page.html.slice(0, 500)).to.equal(200);
      expect(page.html).to.include('autocomplete="current-password"');
      const listed = await open(browser, '/account');
      expect(listed.html).to.include(`<option value="${local.clientId}"`);
    });

    it('refuses every POST without the CSRF token (403) and changes nothing', async () => {
      const before = await userRow();
      for (const [path, form] of [
        ['/account/profile', { firstName: 'Mallory' }],
        ['/account/regional', { locale: 'fr', emailLocale: 'fr', timeZone: 'UTC', dateFormat: 'ymd', timeFormat: '12h', distanceUnit: 'mi' }],
        ['/account/start-page', { startClientId: crmId }],
        ['/account/security/password', { current: f.user.password, password: 'another long passphrase 77', confirm: 'another long passphrase 77' }],
        ['/account/security/sessions/end-others', {}],
        ['/account/security/sessions/end', { session: 'x' }],
        ['/account/security/tokens', { name: 'x', scopes: 'admin:read', expiresInDays: '30' }],
        ['/account/security/tokens/revoke', { token: 'x' }],
      ] as const) {
        const missing = await browser.request(path, { method: 'POST', form: { ...form } });
        expect(missing.status, path).to.equal(403);
        const forged = await browser.request(path, { method: 'POST', form: { ...form, csrf: 'A'.repeat(43) } });
        expect(forged.status, path).to.equal(403);
      }
      const after = await userRow();
      expect(after).to.deep.equal(before);
      expect(csrfOf((await open(browser, '/account')).html, '/account/profile')).to.match(/^[A-Za-z0-9_-]{43}$/);
    });

    it("signs out through the provider's logout for the console client, back to /account", async () => {
      const page = await open(browser, '/account');
      const href =
        /href="([^"]+)" id="sign-out"/
          .exec(page.html)?.[1]
          ?.replace(/&amp;/g, '&')
          .replace(/&#x3D;/g, '=') ?? '';
      expect(href).to.include('/session/end?client_id=latchkey-account.');
      const confirm = await open(browser, href);
      expect(confirm.status).to.equal(200);
      const form = /<form[^>]*id="op.logoutForm"[^>]*action="([^"]+)"[\s\S]*?name="xsrf" value="([^"]+)"/.exec(confirm.html);
      expect(form, confirm.html.slice(0, 1500)).to.not.equal(null);
      const done = await open(browser, form![1]!, { xsrf: form![2]!, logout: 'yes' });
      expect(done.url).to.equal(`${f.server.url}/account`);
      expect(done.html).to.include('id="organisation-form"');
      expect((await open(browser, '/account/security')).status).to.equal(401);
    });
  });
}
