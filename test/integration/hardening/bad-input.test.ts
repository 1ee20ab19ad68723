import { expect } from 'chai';
import * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { createFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { Browser, findForm, type ParsedForm } from '../../support/browser.ts';
import { discover, exchange, signIn } from '../../support/relying-party.ts';

/**
 * Hostile or broken input never produces a 5xx or leaks internals: browser routes get an
 * HTML page with a message, APIs get JSON. Protocol errors that can be returned to a
 * verified redirect_uri are returned there (RFC 6749 4.1.2.1), never shown as a crash.
 */
for (const kind of BACKENDS) {
  describe(`bad input (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    let verifier: string;
    before(async () => {
      f = await createFixture(kind);
      config = await discover(f.server.url, f.client);
      verifier = oidc.randomPKCECodeVerifier();
    });
    after(() => disposeFixture(f));

    const authorize = async (params: Record<string, string | undefined>) => {
      const query: Record<string, string> = {};
      const all = {
        client_id: f.client.clientId,
        redirect_uri: f.client.redirectUri,
        response_type: 'code',
        scope: 'openid',
        state: 'st-1',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...params,
      };
      for (const [k, v] of Object.entries(all)) if (v !== undefined) query[k] = v;
      const res = await fetch(`${f.server.url}/auth?${new URLSearchParams(query)}`, { redirect: 'manual', headers: { accept: 'text/html' } });
      return { res, body: await res.text() };
    };

    /** a fresh interaction: the browser holds its cookies and the sign-in form */
    const openSignIn = async (): Promise<{ browser: Browser; form: ParsedForm; interactionUrl: string }> => {
      const browser = new Browser(f.server.url);
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: f.client.redirectUri,
        scope: 'openid',
        code_challenge_method: 'S256',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      });
      const page = await browser.navigate(url.toString());
      expect(page.res.status, page.html.slice(0, 300)).to.equal(200);
      return { browser, form: findForm(page.html, '/login'), interactionUrl: page.url };
    };

    describe('authorization endpoint', () => {
      it('shows a page, not a redirect, for an unknown client_id', async () => {
        const { res, body } = await authorize({ client_id: 'no-such-client' });
        expectClientErrorPage(res, body, 400);
        expect(body).to.include('invalid_client');
      });

      it('shows a page, not a redirect, for an unregistered redirect_uri', async () => {
        const { res, body } = await authorize({ redirect_uri: 'https://attacker.example/cb' });
        expectClientErrorPage(res, body, 400);
        expect(body).to.include('redirect_uri');
        expect(res.headers.get('location')).to.equal(null);
      });

      for (const [label, params, error] of [
        ['without code_challenge', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
        ['with code_challenge_method=plain', { code_challenge: verifier, code_challenge_method: 'plain' }, 'invalid_request'],
        ['with response_type=token', { response_type: 'token' }, 'unsupported_response_type'],
      ] as const) {
        it(`returns ${error} to the registered redirect_uri ${label}`, async () => {
          const { res, body } = await authorize(params);
          expect(res.status, body.slice(0, 300)).to.be.within(300, 399);
          expectNoInternals(body);
          const location = new URL(res.headers.get('location') ?? '');
          expect(`${location.origin}${location.pathname}`).to.equal(f.client.redirectUri);
          const returned = new URLSearchParams(location.search || location.hash.slice(1));
          expect(returned.get('error')).to.equal(error);
          expect(returned.get('state')).to.equal('st-1');
          expect(returned.has('code')).to.equal(false);
        });
      }
    });

    describe('token endpoint', () => {
      const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
      const token = async (body: string, authorization: string) => {
        const res = await fetch(`${f.server.url}/token`, {
          method: 'POST',
          body,
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        });
        return { res, body: await res.text() };
      };

      it('refuses grant_type=password with unsupported_grant_type', async () => {
        const { res, body } = await token('grant_type=password&username=alice%40example.com&password=x', basic(f.client.clientId, f.client.clientSecret!));
        expectClientErrorJson(res, body, 400);
        expect(JSON.parse(body).error).to.equal('unsupported_grant_type');
      });

      for (const header of ['Basic %%%not-base64%%%', `Basic ${Buffer.from('no-colon-here').toString('base64')}`, 'Basic ', 'Bearer abc']) {
        it(`refuses garbage client authentication: ${JSON.stringify(header)}`, async () => {
          const { res, body } = await token('grant_type=client_credentials', header);
          expectClientErrorJson(res, body);
          expect(JSON.parse(body).error).to.be.oneOf(['invalid_request', 'invalid_client']);
        });
      }

      it('refuses a 100 KiB body', async () => {
        const { res, body } = await token(`grant_type=client_credentials&pad=${'a'.repeat(100 * 1024)}`, basic(f.machine.clientId, f.machine.clientSecret));
        expectClientErrorJson(res, body);
      });
    });

    describe('sign-in form', () => {
      const post = (s: { browser: Browser; form: ParsedForm }, body: string, contentType = 'application/x-www-form-urlencoded') =>
        fetch(new URL(s.form.action, f.server.url), {
          method: 'POST',
          body,
          redirect: 'manual',
          headers: { 'content-type': contentType, accept: 'text/html', cookie: [...s.browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        }).then(async (res) => ({ res, body: await res.text() }));
      const credentials = () => `email=${encodeURIComponent(f.user.email)}&password=${encodeURIComponent(f.user.password)}`;

      let s: Awaited<ReturnType<typeof openSignIn>>;
      before(async () => {
        s = await openSignIn();
      });

      it('refuses a wrong CSRF token with 403 and says why', async () => {
        const { res, body } = await post(s, `csrf=${'A'.repeat(43)}&${credentials()}`);
        expectClientErrorPage(res, body, 403);
        expect(body).to.include('The form could not be accepted');
      });

      it('refuses a form without a CSRF token with 403', async () => {
        const { res, body } = await post(s, credentials());
        expectClientErrorPage(res, body, 403);
        expect(body).to.include('The form could not be accepted');
      });

      it('answers a body with broken percent-encoding with a 4xx page', async () => {
        const { res, body } = await post(s, `csrf=${s.form.fields.csrf}&email=%E0%A4%A&password=%E0%A4%A`);
        expectClientErrorPage(res, body);
      });

      it('refuses a body over BODY_LIMIT_KB with 413', async () => {
        const { res, body } = await post(s, `csrf=${s.form.fields.csrf}&email=a%40b.c&password=${'p'.repeat(65 * 1024)}`);
        expectClientErrorPage(res, body, 413);
      });

      it('refuses a JSON body in place of the form with a 4xx', async () => {
        const json = JSON.stringify({ csrf: s.form.fields.csrf, email: f.user.email, password: f.user.password });
        const { res, body } = await post(s, json, 'application/json');
        expectClientErrorPage(res, body);
      });

      it('still signs in on the same interaction after all of that', async () => {
        const page = await s.browser.navigate(s.form.action, { form: { ...s.form.fields, email: f.user.email, password: f.user.password } });
        expect(page.url).to.match(new RegExp(`^${f.client.redirectUri.replace(/[.?]/g, '\\$&')}\\?code=`));
      });
    });

    describe('expired or foreign sign-in pages', () => {
      it('answers an unknown interaction id with 400 and the expired-page message', async () => {
        const res = await fetch(`${f.server.url}/interaction/${'x'.repeat(21)}`, { headers: { accept: 'text/html' } });
        const body = await res.text();
        expectClientErrorPage(res, body, 400);
        expect(body).to.include('This sign-in page has expired');
      });

      it('answers a real interaction URL opened without its cookie with 400 and the expired-page message', async () => {
        const { interactionUrl } = await openSignIn();
        const other = new Browser(f.server.url);
        const res = await other.request(interactionUrl);
        const body = await res.text();
        expectClientErrorPage(res, body, 400);
        expect(body).to.include('This sign-in page has expired');
        expect(body).to.not.include('<form');
      });
    });

    describe('unknown paths', () => {
      it('renders a 404 page for browsers', async () => {
        const res = await fetch(`${f.server.url}/no/such/page`, { headers: { accept: 'text/html' } });
        const body = await res.text();
        expectClientErrorPage(res, body, 404);
        expect(body).to.include('Page not found');
      });

      it('answers JSON {error, message} to API clients', async () => {
        const res = await fetch(`${f.server.url}/no/such/page`, { headers: { accept: 'application/json' } });
        const body = await res.text();
        expectClientErrorJson(res, body, 404);
        const json = JSON.parse(body) as Record<string, unknown>;
        expect(json.error).to.be.a('string').and.not.empty;
        expect(json.message).to.be.a('string').and.not.empty;
      });
    });

    it('after all of the above, a normal sign-in, token exchange and userinfo still work', async () => {
      const tokens = await exchange(config, await signIn(config, f.client, f.user));
      const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
      expect(info.email).to.equal(f.user.email);
      const machine = await discover(f.server.url, { ...f.machine, redirectUri: 'http://127.0.0.1:9/unused' });
      const cc = await oidc.clientCredentialsGrant(machine, { resource: 'https://api.example.test', scope: 'reports:read' });
      expect(cc.access_token).to.be.a('string');
    });
  });
}

function expectNoInternals(body: string) {
  expect(body, 'stack frame').to.not.match(/^\s*at\s+\S.*(\(|:\d+:\d+)/m);
  expect(body, 'error trace').to.not.match(/\b\w*Error: /);
  expect(body, 'file path').to.not.match(/\/src\/|node_modules|file:\/\//);
}

function expectClientErrorPage(res: Response, body: string, status?: number) {
  if (status) expect(res.status, body.slice(0, 500)).to.equal(status);
  else expect(res.status, body.slice(0, 500)).to.be.within(400, 499);
  expect(res.headers.get('content-type')).to.match(/^text\/html/);
  expect(body).to.match(/<h1>[^<]+<\/h1>/);
  expectNoInternals(body);
}

function expectClientErrorJson(res: Response, body: string, status?: number) {
  if (status) expect(res.status, body.slice(0, 500)).to.equal(status);
  else expect(res.status, body.slice(0, 500)).to.be.within(400, 499);
  expect(res.headers.get('content-type')).to.match(/^application\/json/);
  expect((JSON.parse(body) as { error?: unknown }).error).to.be.a('string');
  expectNoInternals(body);
}
