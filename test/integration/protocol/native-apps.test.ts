import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import * as oidc from 'openid-client';
import { OAuth2Client, OAuth2HttpError, generateCodeVerifier } from '@badgateway/oauth2-client';
import { BACKENDS } from '../../support/backends.ts';
import { discover, exchange, signIn } from '../../support/relying-party.ts';
import { errorPage, followAuthorization } from '../../support/front-channel.ts';
import { expectError, startAdminWorld, stopAdminWorld, type AdminWorld } from '../admin/support.ts';

/**
 * Native applications (RFC 8252): registered through the admin API with applicationType native,
 * public, redirected to the loopback interface on whatever port the app listens on (§7.3) or to
 * the app's own reverse domain name scheme (§7.1). Driven with openid-client and with
 * @badgateway/oauth2-client (another author's OAuth 2.0 client, here as a desktop app would use
 * it: a listener on a free loopback port receives the code).
 */
for (const kind of BACKENDS) {
  describe(`native applications (${kind})`, () => {
    let w: AdminWorld;
    let clients: string;
    let native: string;
    const registered = ['http://127.0.0.1/callback', 'http://[::1]/callback', 'com.example.notes:/oauth2redirect'];

    before(async () => {
      w = await startAdminWorld(kind);
      clients = `/tenants/${w.a.tenant}/clients`;
      const res = await w.api('POST', clients, {
        body: { name: 'Notes for desktop', applicationType: 'native', redirectUris: registered, postLogoutRedirectUris: ['http://127.0.0.1/bye'] },
      });
      expect(res.status, JSON.stringify(res.json)).to.equal(201);
      native = res.json.client.clientId;
    });
    after(() => stopAdminWorld(w));

    const nativeConfig = (redirectUri: string) => discover(w.f.server.url, { clientId: native, redirectUri });

    it('registers a native application as public: no secret, token_endpoint_auth_method none', async () => {
      const { json } = await w.api('GET', `${clients}/${native}`);
      expect(json).to.deep.include({
        applicationType: 'native',
        public: true,
        tokenEndpointAuthMethod: 'none',
        redirectUris: registered,
        jwks: null,
        jwksUri: null,
        requirePushedAuthorizationRequests: false,
      });
      const again = await w.api('POST', clients, { body: { name: 'Notes for phones', applicationType: 'native', redirectUris: ['com.example.notes:/cb'] } });
      expect(again.status).to.equal(201);
      expect(again.json).not.to.have.property('clientSecret');
    });

    for (const redirectUri of ['http://127.0.0.1:49152/callback', 'http://127.0.0.1:61999/callback', 'http://[::1]:50123/callback']) {
      it(`openid-client: a loopback redirect on any port (${redirectUri}) gets a code and tokens`, async () => {
        const config = await nativeConfig(redirectUri);
        const client = { clientId: native, redirectUri };
        const result = await signIn(config, client, w.f.user);
        expect(result.callbackUrl.origin + result.callbackUrl.pathname).to.equal(redirectUri);
        const tokens = await exchange(config, result);
        expect(tokens.access_token).to.be.a('string');
        expect(tokens.claims()!.aud).to.equal(native);
      });
    }

    it('openid-client: the private-use scheme redirect carries the code to the app', async () => {
      const redirectUri = 'com.example.notes:/oauth2redirect';
      const config = await nativeConfig(redirectUri);
      const result = await signIn(config, { clientId: native, redirectUri }, w.f.user);
      expect(result.callbackUrl.protocol).to.equal('com.example.notes:');
      expect(result.callbackUrl.searchParams.get('code')).to.be.a('string');
      const tokens = await exchange(config, result);
      expect(tokens.id_token).to.be.a('string');
    });

    it('@badgateway/oauth2-client: an app listening on a free loopback port receives the code and redeems it', async () => {
      // the app's own listener, on the port the system hands out
      let received: (url: URL) => void = () => undefined;
      const arrived = new Promise<URL>((resolve) => {
        received = resolve;
      });
      const listener: Server = createServer((req, res) => {
        received(new URL(req.url ?? '/', 'http://127.0.0.1'));
        res.end('You can close this window.');
      });
      await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = listener.address() as AddressInfo;
        const redirectUri = `http://127.0.0.1:${port}/callback`;
        const app = new OAuth2Client({ server: w.f.server.url, clientId: native, discoveryEndpoint: '/.well-known/openid-configuration' });
        const codeVerifier = await generateCodeVerifier();
        const url = await app.authorizationCode.getAuthorizeUri({ redirectUri, codeVerifier, state: 'desk-1', scope: ['openid', 'email'] });
        const flow = await followAuthorization(w.f.server.url, url, w.f.user);
        expect(flow.url.startsWith(`${redirectUri}?`), flow.html.slice(0, 300)).to.equal(true);
        expect((await fetch(flow.url)).status).to.equal(200);
        const callback = await arrived;
        const token = await app.authorizationCode.getTokenFromCodeRedirect(new URL(callback.pathname + callback.search, redirectUri), {
          redirectUri,
          codeVerifier,
          state: 'desk-1',
        });
        const me = await fetch(`${w.f.server.url}/me`, { headers: { authorization: `Bearer ${token.accessToken}` } });
        expect(me.status).to.equal(200);
        expect(((await me.json()) as { email: string }).email).to.equal(w.f.user.email);
      } finally {
        listener.close();
      }
    });

    it('@badgateway/oauth2-client: a code is not redeemed without its PKCE verifier', async () => {
      const redirectUri = 'http://[::1]:40001/callback';
      const app = new OAuth2Client({ server: w.f.server.url, clientId: native, discoveryEndpoint: '/.well-known/openid-configuration' });
      const codeVerifier = await generateCodeVerifier();
      const url = await app.authorizationCode.getAuthorizeUri({ redirectUri, codeVerifier, scope: ['openid'] });
      const flow = await followAuthorization(w.f.server.url, url, w.f.user);
      const { code } = await app.authorizationCode.validateResponse(flow.url, {});
      const wrong = await app.authorizationCode.getToken({ code, redirectUri, codeVerifier: await generateCodeVerifier() }).catch((e: unknown) => e);
      expect(wrong).to.be.instanceOf(OAuth2HttpError);
      expect((wrong as OAuth2HttpError).oauth2Code).to.equal('invalid_grant');
      expect((wrong as OAuth2HttpError).httpCode).to.equal(400);
    });

    it('the port is the only leeway: another path, host or scheme on the loopback interface is refused', async () => {
      for (const redirectUri of [
        'http://127.0.0.1:5000/other',
        'http://localhost:5000/callback',
        'https://127.0.0.1:5000/callback',
        'com.example.notes:/elsewhere',
      ]) {
        const config = await nativeConfig(redirectUri);
        const url = oidc.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: 'openid',
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        });
        const page = await followAuthorization(w.f.server.url, url.toString(), w.f.user);
        expect(page.status, redirectUri).to.equal(400);
        expect(errorPage(page.html), redirectUri).to.deep.equal({
          code: 'invalid_redirect_uri',
          message: "redirect_uri did not match any of the client's registered redirect_uris",
        });
      }
    });

    it('a web application gets no port leeway on the loopback interface', async () => {
      const web = await w.api('POST', clients, { body: { name: 'Local web', redirectUris: ['http://127.0.0.1/callback'] } });
      expect(web.status).to.equal(201);
      expect(web.json.client.applicationType).to.equal('web');
      for (const [clientId, secret, redirectUri] of [
        [web.json.client.clientId, web.json.clientSecret, 'http://127.0.0.1:49152/callback'],
        [w.f.client.clientId, w.f.client.clientSecret, 'http://127.0.0.1:9999/callback'],
      ] as const) {
        const config = await discover(w.f.server.url, { clientId, clientSecret: secret, redirectUri });
        const url = oidc.buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: 'openid',
          code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
          code_challenge_method: 'S256',
        });
        const page = await followAuthorization(w.f.server.url, url.toString(), w.f.user);
        expect(page.status).to.equal(400);
        expect(errorPage(page.html).code).to.equal('invalid_redirect_uri');
      }
      // the registered URI itself works
      const exact = { clientId: w.f.client.clientId, clientSecret: w.f.client.clientSecret, redirectUri: w.f.client.redirectUri };
      const config = await discover(w.f.server.url, exact);
      expect((await exchange(config, await signIn(config, exact, w.f.user))).access_token).to.be.a('string');
    });

    it('needs PKCE like every client', async () => {
      const redirectUri = 'http://127.0.0.1:3333/callback';
      const config = await nativeConfig(redirectUri);
      const url = oidc.buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'openid', state: 's' });
      const page = await followAuthorization(w.f.server.url, url.toString(), w.f.user);
      const back = new URL(page.url);
      expect(back.origin + back.pathname).to.equal(redirectUri);
      expect(back.searchParams.get('error')).to.equal('invalid_request');
      expect(back.searchParams.get('error_description')).to.equal('Authorization Server policy requires PKCE to be used for this request');
    });

    it('ends the session back to a loopback post-logout URI on any port', async () => {
      const redirectUri = 'http://127.0.0.1:49200/callback';
      const config = await nativeConfig(redirectUri);
      const result = await signIn(config, { clientId: native, redirectUri }, w.f.user);
      const tokens = await exchange(config, result);
      const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:49201/bye', state: 'out' });
      const confirm = await result.browser.navigate(logout.toString());
      expect(confirm.html).to.include('op.logoutForm');
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)?.[1];
      const action = /action="([^"]+)"/.exec(confirm.html.slice(confirm.html.indexOf('op.logoutForm') - 200))?.[1];
      const done = await result.browser.navigate(action!, { form: { xsrf: xsrf!, logout: 'yes' } });
      expect(done.url).to.equal('http://127.0.0.1:49201/bye?state=out');
    });

    it('refuses a private-use scheme for a web application, and what RFC 8252 forbids a native one, with a clear 400', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [
          { name: 'Web', redirectUris: ['com.example.app:/cb'] },
          'redirectUris.0 must be an http or https URL for a web application (a private-use scheme such as com.example.app:/callback is for a native application)',
        ],
        [
          { name: 'Web', redirectUris: ['https://web.example.test/cb'], postLogoutRedirectUris: ['com.example.app:/bye'] },
          'postLogoutRedirectUris.0 must be an http or https URL for a web application (a private-use scheme such as com.example.app:/callback is for a native application)',
        ],
        [
          { name: 'App', applicationType: 'native', redirectUris: ['http://app.example.test/cb'] },
          'redirectUris.0 of a native application uses http only on the loopback interface (http://127.0.0.1/... or http://[::1]/...)',
        ],
        [
          { name: 'App', applicationType: 'native', redirectUris: ['https://127.0.0.1/cb'] },
          'redirectUris.0 of a native application uses http, not https, on the loopback interface',
        ],
        [
          { name: 'App', applicationType: 'native', redirectUris: ['myapp:/cb'] },
          'redirectUris.0 of a native application uses a private-use scheme named after a domain in reverse order, such as com.example.app:/callback',
        ],
        [
          { name: 'App', applicationType: 'native', public: false, redirectUris: ['http://127.0.0.1/cb'] },
          'public a native application is public (token_endpoint_auth_method none): whatever it holds, its users can read',
        ],
        [
          { name: 'App', applicationType: 'native', tokenEndpointAuthMethod: 'client_secret_basic', redirectUris: ['http://127.0.0.1/cb'] },
          'tokenEndpointAuthMethod a native application is public (token_endpoint_auth_method none): whatever it holds, its users can read',
        ],
        [{ name: 'App', applicationType: 'native', grants: ['client_credentials'] }, 'grants a public client cannot use client_credentials'],
      ];
      for (const [body, message] of cases) {
        const res = await w.api('POST', clients, { body });
        expectError(res, 400, 'client.invalid');
        expect(res.json.error.message, JSON.stringify(body)).to.equal(message);
      }
      expectError(
        await w.api('POST', clients, { body: { name: 'App', applicationType: 'desktop', redirectUris: ['http://127.0.0.1/cb'] } }),
        400,
        'request.invalid',
      );
    });

    it('keeps the rules when redirect URIs change', async () => {
      const web = await w.api('POST', clients, { body: { name: 'Web', redirectUris: ['https://web.example.test/cb'] } });
      const refusedWeb = await w.api('PATCH', `${clients}/${web.json.client.clientId}`, { body: { redirectUris: ['com.example.app:/cb'] } });
      expectError(refusedWeb, 400, 'client.invalid');
      expect(refusedWeb.json.error.message).to.match(/^redirectUris\.0 must be an http or https URL for a web application/);
      const refusedNative = await w.api('PATCH', `${clients}/${native}`, { body: { redirectUris: ['http://127.0.0.1/cb', 'http://app.example.test/cb'] } });
      expectError(refusedNative, 400, 'client.invalid');
      expect(refusedNative.json.error.message).to.equal(
        'redirectUris.1 of a native application uses http only on the loopback interface (http://127.0.0.1/... or http://[::1]/...)',
      );
      const accepted = await w.api('PATCH', `${clients}/${native}`, { body: { redirectUris: [...registered, 'com.example.notes.beta:/oauth2redirect'] } });
      expect(accepted.status, JSON.stringify(accepted.json)).to.equal(200);
      expect(accepted.json.redirectUris).to.have.length(4);
    });
  });
}
