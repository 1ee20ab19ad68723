import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { createFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { discover } from '../../support/relying-party.ts';
import { Browser, findForm } from '../../support/browser.ts';
import { createUser, setPolicy } from '../../support/accounts.ts';
import { enrollTotpDirectly, post } from '../../support/two-factor.ts';
import type { Page } from '../../support/sign-in-pages.ts';
import { DEVICE_CODE_GRANT, pollOnce, registerDeviceClient, requestDeviceCode } from '../../support/device-flow.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';

const catalogue = (locale: string) =>
  JSON.parse(readFileSync(new URL(`../../../views/locales/${locale}.json`, import.meta.url), 'utf8')) as Record<string, string>;
const en = catalogue('en');
const OFFICE = '203.0.113.0/24';
const USER_CODE = /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/;

/** the text of the first element matching the tag (and optional attribute text), tags stripped, entities read */
function textIn(html: string, tag: string, attribute = ''): string {
  const match = new RegExp(`<${tag}\\b[^>]*${attribute}[^>]*>([\\s\\S]*?)</${tag}>`).exec(html);
  return decode((match?.[1] ?? '').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

function decode(text: string): string {
  return text
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&#x3D;/g, '=')
    .replace(/&#x60;/g, '`')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const fill = (text: string, vars: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');

for (const kind of BACKENDS) {
  describe(`device authorization grant (${kind})`, function () {
    this.timeout(90_000);
    let f: Fixture;
    let cli: { clientId: string; config: oidc.Configuration };
    let userId: string;
    let tenantName: string;
    // each test signs in from its own client address (the server trusts this process as a proxy),
    // so the per-network count of wrong codes is the test's own
    let nextAddress = 10;
    const browser = (headers: Record<string, string> = {}) => {
      const b = new Browser(f.server.url);
      b.headers = { 'x-forwarded-for': `198.51.100.${nextAddress++}`, ...headers };
      return b;
    };
    const open = async (b: Browser, url: string): Promise<Page> => {
      const { res, url: at, html } = await b.navigate(url);
      return { status: res.status, url: at, html };
    };
    /** the code page, then the code typed in: the page that answers */
    const enterCode = async (b: Browser, userCode: string) => post(b, await open(b, '/device'), '/device', { user_code: userCode });
    /** from the confirmation page: Continue, then the password on the sign-in page */
    const confirmAndSignIn = async (b: Browser, confirmation: Page, user = f.user) => {
      const signInPage = await post(b, confirmation, '/device');
      expect(signInPage.status, signInPage.html.slice(0, 600)).to.equal(200);
      return post(b, signInPage, '/login', { email: user.email, password: user.password });
    };

    before(async () => {
      f = await createFixture(kind, { env: { TRUST_PROXY: '127.0.0.1/32,::1' } });
      cli = await registerDeviceClient(f, 'Acme CLI');
      const tenant = await f.server.container.tenants.getByName(f.tenant);
      tenantName = tenant.displayName;
      userId = (await f.server.container.users.findByEmail(tenant.id, f.user.email))!.id;
    });
    after(() => disposeFixture(f));

    it('is published in discovery: the device authorization endpoint and the grant', () => {
      const meta = cli.config.serverMetadata();
      expect(meta.device_authorization_endpoint).to.equal(`${f.server.url}/device/auth`);
      expect(meta.grant_types_supported).to.include(DEVICE_CODE_GRANT);
    });

    it('signs a CLI in with a password: openid-client polls while the user confirms the code in a browser', async () => {
      const started = Date.now();
      const authorization = await oidc.initiateDeviceAuthorization(cli.config, { scope: 'openid email' });
      expect(authorization.user_code).to.match(USER_CODE);
      expect(authorization.verification_uri).to.equal(`${f.server.url}/device`);
      expect(authorization.verification_uri_complete).to.equal(`${f.server.url}/device?user_code=${authorization.user_code}`);
      expect(authorization.expires_in).to.equal(600);
      // the device polls every 5 seconds (the default interval) from now on
      const polled = oidc.pollDeviceAuthorizationGrant(cli.config, authorization);

      const b = browser();
      const entry = await open(b, '/device');
      expect(entry.status).to.equal(200);
      expect(textIn(entry.html, 'h1')).to.equal(en['deviceFlow.title']);
      expect(entry.html).to.not.include('<script');
      // typed in lower case without the dash: the same code
      const confirmation = await post(b, entry, '/device', { user_code: authorization.user_code.replace('-', '').toLowerCase() });
      expect(confirmation.status).to.equal(200);
      expect(textIn(confirmation.html, 'h1')).to.equal(en['deviceFlow.confirm.title']);
      expect(textIn(confirmation.html, 'p', 'class="lead"')).to.equal(fill(en['deviceFlow.confirm.lead']!, { client: 'Acme CLI', tenant: tenantName }));
      expect(textIn(confirmation.html, 'code', 'id="user-code"')).to.equal(authorization.user_code);
      expect(textIn(confirmation.html, 'span', 'class="brand-name"')).to.equal(tenantName);
      const done = await confirmAndSignIn(b, confirmation);
      expect(done.status).to.equal(200);
      expect(done.url).to.match(new RegExp(`^${f.server.url}/device/[^/?]+$`));
      expect(textIn(done.html, 'h1')).to.equal(en['deviceFlow.done.title']);
      expect(textIn(done.html, 'p', 'class="lead"')).to.equal(fill(en['deviceFlow.done.lead']!, { client: 'Acme CLI' }));

      const tokens = await polled;
      expect(Date.now() - started, 'the first poll waited the interval').to.be.at.least(5000);
      const claims = tokens.claims()!;
      expect(claims.sub).to.equal(userId);
      expect(claims.aud).to.equal(cli.clientId);
      expect(claims.amr).to.deep.equal(['pwd']);
      const info = await oidc.fetchUserInfo(cli.config, tokens.access_token, userId);
      expect(info.email).to.equal(f.user.email);
      expect(tokens.refresh_token, 'the client is not registered for refresh tokens').to.equal(undefined);
      // the code is spent: the device cannot redeem it again
      const again = await pollOnce(f.server.url, authorization.device_code, cli);
      expect([again.status, again.body.error]).to.deep.equal([400, 'invalid_grant']);
    });

    it('asks the second factor the tenant requires before the device is signed in', async () => {
      const bob = { email: 'bob@example.com', password: 'long enough passphrase for bob 7' };
      await createUser(f, { ...bob, firstName: 'Bob' });
      // enrolled with the previous time step's code, so the sign-in's code (this step's) is a fresh one
      const { secret, userId: bobId } = await enrollTotpDirectly(f.server.container, f.tenant, bob.email, Date.now() - 30_000);
      await setPolicy(f, { mfa: { mode: 'always', factors: ['totp'] } });
      try {
        const authorization = await requestDeviceCode(f.server.url, cli.clientId);
        const b = browser();
        const afterPassword = await confirmAndSignIn(b, await enterCode(b, authorization.user_code), bob);
        expect(afterPassword.status).to.equal(200);
        expect(textIn(afterPassword.html, 'h1')).to.equal(en['mfa.title']);
        expect(await pollOnce(f.server.url, authorization.device_code, cli)).to.deep.equal({
          status: 400,
          body: {
            error: 'authorization_pending',
            error_description: "authorization request is still pending as the end-user hasn't yet completed the user interaction steps",
          },
        });
        const done = await post(b, afterPassword, '/mfa', { code: await totpCodeAt(secret, Date.now()) });
        expect(textIn(done.html, 'h1')).to.equal(en['deviceFlow.done.title']);
        const tokens = await pollOnce(f.server.url, authorization.device_code, cli);
        expect(tokens.status).to.equal(200);
        const idToken = JSON.parse(Buffer.from(String(tokens.body.id_token).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
        expect(idToken.sub).to.equal(bobId);
        expect(idToken.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
      } finally {
        await setPolicy(f, { mfa: { mode: 'optional' } });
      }
    });

    it("applies the tenant's network policy to the browser that signs in, not to the device", async () => {
      await setPolicy(f, { mfa: { mode: 'outside-allowlist', factors: ['totp'] }, network: { allowlist: [OFFICE] } });
      try {
        const outside = await requestDeviceCode(f.server.url, cli.clientId);
        const fromHome = browser();
        const asked = await confirmAndSignIn(fromHome, await enterCode(fromHome, outside.user_code));
        expect(asked.html).to.include('Set up two-step verification');

        const inside = await requestDeviceCode(f.server.url, cli.clientId);
        const fromOffice = browser({ 'x-forwarded-for': '203.0.113.7' });
        const done = await confirmAndSignIn(fromOffice, await enterCode(fromOffice, inside.user_code));
        expect(textIn(done.html, 'h1')).to.equal(en['deviceFlow.done.title']);

        await setPolicy(f, { network: { allowlist: [OFFICE], strict: true } });
        const strict = await requestDeviceCode(f.server.url, cli.clientId);
        const refusedBrowser = browser();
        const refused = await confirmAndSignIn(refusedBrowser, await enterCode(refusedBrowser, strict.user_code));
        expect(refused.status).to.equal(403);
        expect(refused.html).to.include(en['error.network.heading']);
        expect((await pollOnce(f.server.url, strict.device_code, cli)).body.error).to.equal('authorization_pending');
      } finally {
        await setPolicy(f, { mfa: { mode: 'optional' }, network: { allowlist: [], strict: false } });
      }
    });

    it('an expired user code: a clear page in the browser, and expired_token for the device', async () => {
      const authorization = await requestDeviceCode(f.server.url, cli.clientId);
      // ten minutes pass for the stored code (oidc-provider reads its expiry from it, on the system clock)
      const store = f.server.container.kv.model('DeviceCode');
      const stored = (await store.findByUserCode(authorization.user_code.replace('-', '')))!;
      await store.upsert(String(stored.jti), { ...stored, exp: Math.floor(Date.now() / 1000) - 1 }, 60);

      const page = await enterCode(browser(), authorization.user_code);
      expect(page.status).to.equal(400);
      expect(textIn(page.html, 'div', 'role="alert"')).to.equal(en['deviceFlow.expired']);
      expect(page.html).to.include('aria-invalid="true"');
      expect(await pollOnce(f.server.url, authorization.device_code, cli)).to.deep.equal({
        status: 400,
        body: { error: 'expired_token', error_description: 'device code is expired' },
      });
    });

    it('counts wrong user codes per network: 10, then a 429 page even for a right code; a right code counts nothing', async () => {
      const authorization = await requestDeviceCode(f.server.url, cli.clientId);
      const b = browser();
      for (let i = 0; i < 9; i += 1) {
        const wrong = await enterCode(b, 'BBBB-BBBB');
        expect(wrong.status, `wrong code ${i + 1}`).to.equal(400);
        expect(textIn(wrong.html, 'div', 'role="alert"')).to.equal(en['deviceFlow.unknown']);
      }
      // the right code now: shown, and not counted
      expect((await enterCode(b, authorization.user_code)).status).to.equal(200);
      expect((await enterCode(b, 'BBBB-BBBC')).status, 'the tenth wrong code').to.equal(400);

      const entry = await open(b, '/device');
      const res = await b.request(findForm(entry.html, '/device').action, {
        form: { ...findForm(entry.html, '/device').fields, user_code: authorization.user_code },
      });
      expect(res.status).to.equal(429);
      expect(res.headers.get('retry-after')).to.equal('900');
      const html = await res.text();
      expect(textIn(html, 'h1')).to.equal(en['deviceFlow.limit.heading']);
      expect(textIn(html, 'p', 'class="lead"')).to.equal(en['deviceFlow.limit.message']);
      expect(html).to.include(fill(en['deviceFlow.limit.next']!, { minutes: '15' }));

      // another network is not held back
      expect((await enterCode(browser(), authorization.user_code)).status).to.equal(200);
    });

    it('counts an IPv6 client by its /64: another address of the same /64 is held back, another /64 is not', async () => {
      const authorization = await requestDeviceCode(f.server.url, cli.clientId);
      const guesser = browser({ 'x-forwarded-for': '2001:db8:1:7::a' });
      for (let i = 0; i < 10; i += 1) expect((await enterCode(guesser, 'FFFF-FFFF')).status).to.equal(400);
      const neighbour = browser({ 'x-forwarded-for': '2001:db8:1:7:ffff::b' });
      const entry = await open(neighbour, '/device');
      const form = findForm(entry.html, '/device');
      expect((await neighbour.request(form.action, { form: { ...form.fields, user_code: authorization.user_code } })).status).to.equal(429);
      const elsewhere = browser({ 'x-forwarded-for': '2001:db8:1:8::a' });
      expect((await enterCode(elsewhere, authorization.user_code)).status).to.equal(200);
    });

    it('counts parallel wrong codes atomically: 15 at once from one network, exactly 10 are looked up', async () => {
      const address = `198.51.100.${nextAddress++}`;
      const browsers = Array.from({ length: 15 }, () => browser({ 'x-forwarded-for': address }));
      const forms = await Promise.all(browsers.map(async (b) => findForm((await open(b, '/device')).html, '/device')));
      const statuses = await Promise.all(
        browsers.map(async (b, i) => (await b.request(forms[i]!.action, { form: { ...forms[i]!.fields, user_code: 'CCCC-CCCC' } })).status),
      );
      expect(statuses.filter((s) => s === 400)).to.have.length(10);
      expect(statuses.filter((s) => s === 429)).to.have.length(5);
    });

    it('tells a device that polls too fast to slow_down (plain HTTP), and openid-client backs off and still gets its tokens', async () => {
      const plain = await requestDeviceCode(f.server.url, cli.clientId);
      expect((await pollOnce(f.server.url, plain.device_code, cli)).body.error).to.equal('authorization_pending');
      expect(await pollOnce(f.server.url, plain.device_code, cli)).to.deep.equal({
        status: 400,
        body: { error: 'slow_down', error_description: 'polling too fast: wait 5 seconds longer between polls from now on' },
      });
      expect((await pollOnce(f.server.url, plain.device_code, cli)).body.error, 'still too soon').to.equal('slow_down');

      // openid-client asked to poll every second: told to slow down, it waits 5 seconds more
      const config = await discover(f.server.url, { clientId: cli.clientId, redirectUri: '' });
      const answers: { at: number; status: number; error?: string }[] = [];
      let slowedDown: () => void = () => {};
      const sawSlowDown = new Promise<void>((resolve) => {
        slowedDown = resolve;
      });
      config[oidc.customFetch] = async (url, options) => {
        const res = await fetch(url, options as RequestInit);
        if (new URL(url).pathname === '/token') {
          const body = (await res.clone().json()) as { error?: string };
          answers.push({ at: Date.now(), status: res.status, ...(body.error ? { error: body.error } : {}) });
          if (body.error === 'slow_down') slowedDown();
        }
        return res;
      };
      const authorization = await oidc.initiateDeviceAuthorization(config, { scope: 'openid email' });
      const polled = oidc.pollDeviceAuthorizationGrant(config, { ...authorization, interval: 1 });
      await sawSlowDown;
      const b = browser();
      await confirmAndSignIn(b, await enterCode(b, authorization.user_code));
      const tokens = await polled;
      expect(tokens.claims()!.sub).to.equal(userId);
      expect(answers.map((a) => a.error ?? a.status)).to.deep.equal(['authorization_pending', 'slow_down', 200]);
      expect(answers[2]!.at - answers[1]!.at, 'waited 6 seconds after slow_down').to.be.at.least(6000);
    });

    it('refuses a client not registered for the grant with unauthorized_client, at both endpoints', async () => {
      const web = await discover(f.server.url, f.client);
      const refused = await oidc.initiateDeviceAuthorization(web, { scope: 'openid' }).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(refused).to.be.instanceOf(oidc.ResponseBodyError);
      expect((refused as oidc.ResponseBodyError).error).to.equal('unauthorized_client');
      expect((refused as oidc.ResponseBodyError).status).to.equal(400);

      const authorization = await requestDeviceCode(f.server.url, cli.clientId);
      expect(await pollOnce(f.server.url, authorization.device_code, { clientId: f.client.clientId, clientSecret: f.client.clientSecret! })).to.deep.equal({
        status: 400,
        body: { error: 'unauthorized_client', error_description: 'the client is not registered for the device authorization grant' },
      });
      expect(await pollOnce(f.server.url, authorization.device_code, f.machine)).to.deep.equal({
        status: 400,
        body: { error: 'unauthorized_client', error_description: 'the client is not registered for the device authorization grant' },
      });
    });

    it("speaks the browser's language on every page: German from Accept-Language, Japanese from ui_locales", async () => {
      const de = catalogue('de');
      const authorization = await requestDeviceCode(f.server.url, cli.clientId);
      const b = browser({ 'accept-language': 'de-DE,de;q=0.9' });
      const entry = await open(b, '/device');
      expect(entry.html).to.include('<html lang="de">');
      expect(textIn(entry.html, 'h1')).to.equal(de['deviceFlow.title']);
      expect(textIn(entry.html, 'label')).to.equal(de['deviceFlow.code']);
      const wrong = await post(b, entry, '/device', { user_code: 'DDDD-DDDD' });
      expect(textIn(wrong.html, 'div', 'role="alert"')).to.equal(de['deviceFlow.unknown']);
      const confirmation = await post(b, wrong, '/device', { user_code: authorization.user_code });
      expect(textIn(confirmation.html, 'h1')).to.equal(de['deviceFlow.confirm.title']);
      expect(textIn(confirmation.html, 'p', 'class="lead"')).to.equal(fill(de['deviceFlow.confirm.lead']!, { client: 'Acme CLI', tenant: tenantName }));
      expect(textIn(confirmation.html, 'button', 'class="secondary"')).to.equal(de['deviceFlow.confirm.cancel']);
      const signInPage = await post(b, confirmation, '/device');
      expect(textIn(signInPage.html, 'h1')).to.equal(de['signIn.title']);
      const done = await post(b, signInPage, '/login', f.user);
      expect(textIn(done.html, 'h1')).to.equal(de['deviceFlow.done.title']);

      const ja = catalogue('ja');
      const japanese = await open(browser(), '/device?ui_locales=ja');
      expect(japanese.html).to.include('<html lang="ja">');
      expect(textIn(japanese.html, 'h1')).to.equal(ja['deviceFlow.title']);
    });

    it('a verification_uri_complete link fills the code in (no script), and Cancel tells the device access_denied', async () => {
      const authorization = await requestDeviceCode(f.server.url, cli.clientId);
      const b = browser();
      const linked = await open(b, authorization.verification_uri_complete);
      expect(linked.status).to.equal(200);
      expect(linked.html).to.not.include('<script');
      expect(textIn(linked.html, 'p', 'class="lead"')).to.equal(en['deviceFlow.linked']);
      expect(findForm(linked.html, '/device').fields.user_code).to.equal(authorization.user_code);
      const confirmation = await post(b, linked, '/device');
      expect(textIn(confirmation.html, 'h1')).to.equal(en['deviceFlow.confirm.title']);
      const cancelled = await post(b, confirmation, '/device', { abort: 'yes' });
      expect(cancelled.status).to.equal(200);
      expect(textIn(cancelled.html, 'div', 'role="status"')).to.equal(en['deviceFlow.aborted']);
      expect(await pollOnce(f.server.url, authorization.device_code, cli)).to.deep.equal({
        status: 400,
        body: { error: 'access_denied', error_description: 'End-User aborted interaction' },
      });
      // the code is used up: entered again, it is refused
      const again = await enterCode(browser(), authorization.user_code);
      expect(textIn(again.html, 'div', 'role="alert"')).to.equal(en['deviceFlow.used']);
    });

    it('a browser already signed in goes from the confirmation straight to the success page (single sign-on)', async () => {
      const b = browser();
      const first = await requestDeviceCode(f.server.url, cli.clientId);
      expect(textIn((await confirmAndSignIn(b, await enterCode(b, first.user_code))).html, 'h1')).to.equal(en['deviceFlow.done.title']);
      const second = await requestDeviceCode(f.server.url, cli.clientId);
      const done = await post(b, await enterCode(b, second.user_code), '/device');
      expect(textIn(done.html, 'h1')).to.equal(en['deviceFlow.done.title']);
      const tokens = await pollOnce(f.server.url, second.device_code, cli);
      expect(tokens.status).to.equal(200);
      expect(JSON.parse(Buffer.from(String(tokens.body.id_token).split('.')[1]!, 'base64url').toString()).sub).to.equal(userId);
    });

    it('a form without its token, or with an empty code, is a 400 page asking again (nothing counted, nothing looked up)', async () => {
      const b = browser();
      const entry = await open(b, '/device');
      const empty = await post(b, entry, '/device', { user_code: '' });
      expect(empty.status).to.equal(400);
      expect(textIn(empty.html, 'div', 'role="alert"')).to.equal(en['deviceFlow.missing']);
      const forged = await b.navigate('/device', { form: { xsrf: 'not-the-token', user_code: 'BBBB-BBBB' } });
      expect(forged.res.status).to.equal(400);
      expect(textIn(forged.html, 'div', 'role="alert"')).to.equal(en['deviceFlow.formExpired']);
    });
  });
}
