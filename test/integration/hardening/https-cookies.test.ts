import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { createFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { Browser, findForm } from '../../support/browser.ts';

/**
 * An https issuer behind a TLS-terminating proxy (TRUST_PROXY): every cookie Latchkey and
 * oidc-provider set is Secure and prefixed, so a sibling host cannot plant one.
 */
const ISSUER = 'https://login.example.test';

for (const kind of BACKENDS) {
  describe(`cookies of an https issuer behind a trusted proxy (${kind})`, function () {
    this.timeout(30_000);
    let f: Fixture;
    let origin: string;

    before(async () => {
      f = await createFixture(kind, { env: { ISSUER, TRUST_PROXY: '127.0.0.1/32,::1' } });
      origin = `http://127.0.0.1:${f.server.env.PORT}`;
    });
    after(() => disposeFixture(f));

    /** a browser that reaches the issuer through the proxy's address, which forwards https */
    const browserBehindProxy = () => {
      const browser = new Browser(origin);
      browser.headers = { 'x-forwarded-proto': 'https' };
      return browser;
    };

    /** follows redirects that stay on the issuer; stops at a page or at a redirect to another origin */
    const walk = async (browser: Browser, url: string, form?: Record<string, string>) => {
      let at = new URL(url, ISSUER);
      let res = await browser.request(`${at.pathname}${at.search}`, form ? { form } : {});
      for (let hops = 0; res.status >= 300 && res.status < 400 && hops < 10; hops += 1) {
        at = new URL(res.headers.get('location')!, at);
        if (at.origin !== ISSUER) return { status: res.status, url: at, html: '' };
        res = await browser.request(`${at.pathname}${at.search}`);
      }
      return { status: res.status, url: at, html: await res.text() };
    };

    /** the application's authorization request, to the sign-in page or (single sign-on) straight back */
    const authorize = async (browser: Browser, extra: Record<string, string> = {}) => {
      const query = new URLSearchParams({
        client_id: f.client.clientId,
        redirect_uri: f.client.redirectUri,
        response_type: 'code',
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        ...extra,
      });
      return walk(browser, `/auth?${query}`);
    };

    const signIn = async (browser: Browser, who: { email: string; password: string }) => {
      const page = await authorize(browser);
      expect(page.status, page.html.slice(0, 300)).to.equal(200);
      const form = findForm(page.html, '/login');
      const back = await walk(browser, form.action, { ...form.fields, email: who.email, password: who.password });
      expect(back.url.searchParams.get('code'), back.html.slice(0, 300)).to.match(/^[A-Za-z0-9_-]{20,}$/);
    };

    it("sets every cookie of a console sign-in and an application's single sign-on Secure and prefixed: __Host- on Path=/ without Domain, __Secure- on a path", async () => {
      const browser = browserBehindProxy();
      const login = await walk(browser, `/account/sign-in?tenant=${f.tenant}&return=overview`);
      const form = findForm(login.html, '/login');
      const overview = await walk(browser, form.action, { ...form.fields, email: f.user.email, password: f.user.password });
      expect([overview.status, overview.url.pathname], overview.html.slice(0, 300)).to.deep.equal([200, '/account']);
      const sso = await authorize(browser);
      expect(sso.url.searchParams.get('code')).to.match(/^[A-Za-z0-9_-]{20,}$/);

      const names = new Set<string>();
      for (const line of browser.setCookieLines) {
        const name = line.slice(0, line.indexOf('='));
        const attributes = line
          .split(';')
          .slice(1)
          .map((a) => a.trim().toLowerCase());
        names.add(name);
        expect(attributes, line).to.include('secure');
        expect(
          attributes.some((a) => a.startsWith('domain=')),
          line,
        ).to.equal(false);
        if (name.startsWith('__Host-')) {
          expect(
            attributes.filter((a) => a.startsWith('path=')),
            line,
          ).to.deep.equal(['path=/']);
        } else {
          expect(name, line).to.match(/^__Secure-lk\.(interaction|resume)(\.sig)?$/);
          expect(
            attributes.find((a) => a.startsWith('path=')),
            line,
          ).to.match(/^path=\/(interaction|auth)\/[A-Za-z0-9_-]+$/);
        }
      }
      expect([...names].sort()).to.deep.equal([
        '__Host-lk.account-signin',
        '__Host-lk.account-signin.sig',
        '__Host-lk.csrf',
        '__Host-lk.csrf.sig',
        '__Host-lk.known',
        '__Host-lk.known.sig',
        '__Host-lk.session',
        '__Host-lk.session.sig',
        '__Secure-lk.interaction',
        '__Secure-lk.interaction.sig',
        '__Secure-lk.resume',
        '__Secure-lk.resume.sig',
      ]);
    });

    it('ignores a planted, validly signed session cookie under the plain name lk.session', async () => {
      const owner = browserBehindProxy();
      await signIn(owner, f.user);
      const sessionId = owner.cookies.get('__Host-lk.session');
      expect(sessionId).to.match(/^[A-Za-z0-9_-]{20,}$/);
      const [key] = f.server.env.COOKIE_KEYS!.split(',');
      // what a sibling host could set: the name without the prefix, signed the way the server signs
      const planted = browserBehindProxy();
      planted.cookies.set('lk.session', sessionId!);
      planted.cookies.set('lk.session.sig', createHmac('sha1', key!).update(`lk.session=${sessionId}`).digest('base64url'));

      const silent = await authorize(planted, { prompt: 'none' });
      expect(`${silent.url.origin}${silent.url.pathname}`).to.equal(f.client.redirectUri);
      expect(silent.url.searchParams.get('error')).to.equal('login_required');
      const page = await authorize(planted);
      expect(page.status).to.equal(200);
      expect(page.url.pathname).to.match(/^\/interaction\/[A-Za-z0-9_-]+$/);
      expect(page.html).to.include('autocomplete="current-password"');

      // the same session under its real name does sign in (single sign-on), so only the name differs
      const genuine = browserBehindProxy();
      genuine.cookies.set('__Host-lk.session', sessionId!);
      genuine.cookies.set('__Host-lk.session.sig', owner.cookies.get('__Host-lk.session.sig')!);
      const sso = await authorize(genuine, { prompt: 'none' });
      expect(sso.url.searchParams.get('error')).to.equal(null);
      expect(sso.url.searchParams.get('code')).to.match(/^[A-Za-z0-9_-]{20,}$/);
    });
  });
}
