import { expect } from 'chai';
import { request } from 'node:http';
import * as oidc from 'openid-client';
import { BACKENDS, createBackend, type Backend } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { Browser, findForm } from '../../support/browser.ts';

import { createClient, createTenant } from '../../support/accounts.ts';

const FORGED = { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https', forwarded: 'host=evil.example;proto=https' };

for (const kind of BACKENDS) {
  describe(`security headers and proxies (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    before(async () => ({ f, config } = await startFixture(kind)));
    after(() => disposeFixture(f));

    /** authorization request -> interaction -> sign-in page, with every Set-Cookie line seen */
    const walkToSignIn = async (browser = new Browser(f.server.url)) => {
      const setCookies: string[] = [];
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: f.client.redirectUri,
        scope: 'openid',
        code_challenge_method: 'S256',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      });
      const auth = await browser.request(url.toString());
      setCookies.push(...auth.headers.getSetCookie());
      expect(auth.status).to.equal(303);
      const page = await browser.request(auth.headers.get('location')!);
      setCookies.push(...page.headers.getSetCookie());
      const html = await page.text();
      expect(page.status, html.slice(0, 300)).to.equal(200);
      return { browser, page, html, setCookies };
    };

    it('sends a strict CSP, nosniff and no HSTS on pages of an http issuer', async () => {
      const { page } = await walkToSignIn();
      const notFound = await fetch(`${f.server.url}/nowhere`, { headers: { accept: 'text/html' } });
      const providerError = await fetch(`${f.server.url}/auth?client_id=nobody`, { headers: { accept: 'text/html' } });
      for (const res of [page, notFound, providerError]) {
        const csp = parseCsp(res.headers.get('content-security-policy'));
        expect(csp['script-src'], res.url).to.be.an('array').that.does.not.include("'unsafe-inline'");
        expect(csp['default-src']).to.deep.equal(["'none'"]);
        expect(csp['frame-ancestors']).to.deep.equal(["'none'"]);
        expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
        expect(res.headers.get('strict-transport-security')).to.equal(null);
      }
    });

    it('ignores X-Forwarded-Host and friends from an untrusted peer in discovery', async () => {
      const res = await fetch(`${f.server.url}/.well-known/openid-configuration`, { headers: FORGED });
      const meta = (await res.json()) as Record<string, unknown>;
      expect(meta.issuer).to.equal(f.server.url);
      const urls = Object.entries(meta).filter(([k, v]) => typeof v === 'string' && (k.endsWith('_endpoint') || k.endsWith('_uri')));
      expect(urls.length).to.be.greaterThan(5);
      for (const [key, value] of urls) expect(value, key).to.satisfy((v: string) => v.startsWith(`${f.server.url}/`));
      expect(JSON.stringify(meta)).to.not.include('evil.example');
    });

    it('ignores a forged Host header in discovery', async () => {
      const meta = JSON.parse(await rawGet(f.server.url, '/.well-known/openid-configuration', { host: 'evil.example' })) as Record<string, string>;
      expect(meta.issuer).to.equal(f.server.url);
      expect(meta.token_endpoint).to.equal(`${f.server.url}/token`);
      expect(JSON.stringify(meta)).to.not.include('evil.example');
    });

    it('keeps redirects on the issuer when X-Forwarded-Host is forged', async () => {
      const browser = new Browser(f.server.url);
      browser.headers = FORGED;
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: f.client.redirectUri,
        scope: 'openid',
        code_challenge_method: 'S256',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      });
      const res = await browser.request(url.toString());
      expect(res.status).to.equal(303);
      expect(new URL(res.headers.get('location')!, f.server.url).origin).to.equal(f.server.url);
    });

    it('serves a sign-in form made for password managers, with a CSRF field and hardened cookies', async () => {
      const { browser, html, setCookies } = await walkToSignIn();
      expect(html).to.match(/<input[^>]*name="email"[^>]*autocomplete="username"/);
      expect(html).to.match(/<input[^>]*name="password"[^>]*type="password"[^>]*autocomplete="current-password"/);
      const form = findForm(html, '/login');
      expect(html).to.match(/<input type="hidden" name="csrf" value="[A-Za-z0-9_-]{43}">/);
      expect(form.fields.csrf).to.have.length(43);

      const csrf = cookieLine(setCookies, 'lk.csrf');
      expect(csrf)
        .to.match(/;\s*httponly/i)
        .and.match(/;\s*samesite=lax/i)
        .and.not.match(/;\s*secure/i);
      expect(cookieLine(setCookies, 'lk.csrf.sig'), 'csrf cookie is signed').to.be.a('string');
      for (const name of ['lk.interaction', 'lk.resume']) {
        expect(cookieLine(setCookies, name))
          .to.match(/;\s*httponly/i)
          .and.match(/;\s*samesite=lax/i);
        expect(cookieLine(setCookies, `${name}.sig`), `${name} is signed`).to.be.a('string');
      }

      // the session cookie is set when the authorization request resumes after sign-in
      const after: string[] = [];
      let res = await browser.request(form.action, { form: { ...form.fields, email: f.user.email, password: f.user.password } });
      for (let i = 0; i < 5 && res.status === 303 && !res.headers.get('location')!.startsWith(f.client.redirectUri); i += 1) {
        after.push(...res.headers.getSetCookie());
        res = await browser.request(res.headers.get('location')!);
      }
      after.push(...res.headers.getSetCookie());
      expect(res.headers.get('location')).to.match(/[?&]code=/);
      expect(cookieLine(after, 'lk.session'))
        .to.match(/;\s*httponly/i)
        .and.match(/;\s*samesite=lax/i);
      expect(cookieLine(after, 'lk.session.sig'), 'session cookie is signed').to.be.a('string');
    });

    it('answers /healthz and /readyz with JSON', async () => {
      const health = await fetch(`${f.server.url}/healthz`);
      expect(health.status).to.equal(200);
      expect(health.headers.get('content-type')).to.match(/^application\/json/);
      expect(await health.json()).to.deep.equal({ status: 'ok' });
      const ready = await fetch(`${f.server.url}/readyz`);
      expect(ready.status).to.equal(200);
      const body = (await ready.json()) as { status: string; checks: Record<string, string> };
      expect(body.status).to.equal('ready');
      expect(Object.keys(body.checks)).to.have.length(2);
      for (const [name, state] of Object.entries(body.checks)) expect(state, name).to.equal('ok');
    });
  });

  describe(`https issuer behind a trusted proxy (${kind})`, () => {
    const issuer = 'https://login.example.test';
    let backend: Backend;
    let server: TestServer;
    let origin: string;
    before(async () => {
      backend = await createBackend(kind);
      server = await startTestServer(backend, { env: { ISSUER: issuer, TRUST_PROXY: '127.0.0.1/32,::1' } });
      origin = `http://127.0.0.1:${server.env.PORT}`;
    });
    after(async () => {
      await server?.stop();
      await backend?.dispose();
    });

    it('was started with the https issuer (startTestServer takes env overrides)', () => {
      expect(server.env.ISSUER).to.equal(issuer);
      expect(server.container.issuer).to.equal(issuer);
    });

    it('sends HSTS on every response', async () => {
      for (const path of ['/healthz', '/nowhere', '/.well-known/openid-configuration']) {
        const res = await fetch(`${origin}${path}`, { headers: { 'x-forwarded-proto': 'https' } });
        expect(res.headers.get('strict-transport-security'), path).to.match(/^max-age=\d{7,}/);
      }
    });

    it('keeps the configured issuer even when a trusted proxy forwards another host', async () => {
      const res = await fetch(`${origin}/.well-known/openid-configuration`, { headers: FORGED });
      const meta = (await res.json()) as Record<string, unknown>;
      expect(meta.issuer).to.equal(issuer);
      expect(meta.token_endpoint).to.equal(`${issuer}/token`);
      expect(JSON.stringify(meta)).to.not.include('evil.example');
    });

    it('sets Secure, prefixed cookies (__Secure- interaction, __Host- CSRF) on the sign-in page over the proxy', async () => {
      await createTenant(server.container, { name: 'acme' });
      const web = await createClient(server.container, { tenant: 'acme', name: 'Web', redirectUris: ['https://app.example/cb'] });
      const browser = new Browser(origin);
      browser.headers = { 'x-forwarded-proto': 'https' };
      const query = new URLSearchParams({
        client_id: web.clientId,
        redirect_uri: 'https://app.example/cb',
        response_type: 'code',
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
      });
      const auth = await browser.request(`/auth?${query}`);
      expect(auth.status).to.equal(303);
      expect(cookieLine(auth.headers.getSetCookie(), '__Secure-lk.interaction')).to.match(/;\s*secure/i);
      const page = await browser.request(new URL(auth.headers.get('location')!, origin).pathname);
      expect(page.status).to.equal(200);
      findForm(await page.text(), '/login');
      const csrf = cookieLine(page.headers.getSetCookie(), '__Host-lk.csrf');
      expect(csrf)
        .to.match(/;\s*secure/i)
        .and.match(/;\s*httponly/i)
        .and.match(/;\s*path=\//i)
        .and.not.match(/domain=/i);
    });

    it('answers plain http (no X-Forwarded-Proto) with a clear 400 page, not a 500; probes stay open', async () => {
      const res = await fetch(`${origin}/auth?client_id=x`, { headers: { accept: 'text/html' } });
      expect(res.status).to.equal(400);
      expect(await res.text()).to.include('This address needs https');
      // an untrusted peer cannot claim https either
      expect((await fetch(`${origin}/healthz`)).status).to.equal(200);
    });

    it('renders the 404 page with a strict CSP over the proxy', async () => {
      const res = await fetch(`${origin}/nowhere`, { headers: { 'x-forwarded-proto': 'https', accept: 'text/html' } });
      expect(res.status).to.equal(404);
      expect(parseCsp(res.headers.get('content-security-policy'))['frame-ancestors']).to.deep.equal(["'none'"]);
    });
  });
}

function parseCsp(header: string | null): Record<string, string[]> {
  expect(header, 'Content-Security-Policy').to.be.a('string');
  return Object.fromEntries(
    header!
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((p) => p[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

function cookieLine(lines: string[], name: string): string | undefined {
  return lines.find((l) => l.startsWith(`${name}=`) && !/expires=Thu, 01 Jan 1970/i.test(l));
}

/** a GET with headers fetch() will not send (Host) */
function rawGet(origin: string, path: string, headers: Record<string, string>): Promise<string> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve, reject) => {
    request({ hostname, port, path, headers }, (res) => {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (d: string) => {
          body += d;
        })
        .on('end', () => resolve(body))
        .on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}
