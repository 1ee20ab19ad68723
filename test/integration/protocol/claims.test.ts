import { expect } from 'chai';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { OAuth2Client, generateCodeVerifier } from '@badgateway/oauth2-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { discover, type RegisteredTestClient } from '../../support/relying-party.ts';
import { createClient, createUser } from '../../support/accounts.ts';
import { Browser, findForm } from '../../support/browser.ts';
import type { User } from '../../../src/accounts/users.ts';

/**
 * The `claims` request parameter (OpenID Connect Core §5.5), the roles scope, and consent for
 * claims (docs/claims.md), with openid-client and with @badgateway/oauth2-client (an OAuth 2.0
 * client of another author: its ID token is checked here with jose against the published keys).
 */
for (const kind of BACKENDS) {
  describe(`claims parameter and the roles scope (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    let bob: User;
    const password = 'amber kettle sixteen mountains';
    const bobLogin = { email: 'bob@example.com', password };

    before(async () => {
      ({ f, config } = await startFixture(kind));
      bob = await createUser(f, { email: bobLogin.email, password, role: 'admin', firstName: 'Bob', lastName: 'Stone' });
    });
    after(() => disposeFixture(f));

    /** an authorization request in `browser`, signing in on the way when the browser is not signed in */
    async function authorize(client: RegisteredTestClient, cfg: oidc.Configuration, params: Record<string, string>, browser = new Browser(f.server.url)) {
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(cfg, {
        redirect_uri: client.redirectUri,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        nonce,
        ...params,
      });
      let page = await browser.navigate(url.toString());
      if (page.html.includes('autocomplete="current-password"')) {
        const login = findForm(page.html, '/login');
        page = await browser.navigate(login.action, { form: { ...login.fields, ...bobLogin } });
      }
      return { page, browser, codeVerifier, nonce };
    }

    /** the authorization response's tokens, ID token checked by openid-client */
    async function tokensOf(cfg: oidc.Configuration, flow: Awaited<ReturnType<typeof authorize>>) {
      expect(flow.page.url, flow.page.html.slice(0, 500)).to.match(/^http:\/\/127\.0\.0\.1:9\//);
      return oidc.authorizationCodeGrant(cfg, new URL(flow.page.url), {
        pkceCodeVerifier: flow.codeVerifier,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    }

    const userClaimsOf = (claims: Record<string, unknown>) => {
      const { sub, email, email_verified, name, given_name, family_name, locale, zoneinfo, tenant_id, tenant_name, role } = claims;
      return Object.fromEntries(
        Object.entries({ sub, email, email_verified, name, given_name, family_name, locale, zoneinfo, tenant_id, tenant_name, role }).filter(
          ([, v]) => v !== undefined,
        ),
      );
    };
    const userinfo = async (cfg: oidc.Configuration, accessToken: string) => oidc.fetchUserInfo(cfg, accessToken, bob.id);

    it('publishes the roles scope and its claims in discovery, with the claims parameter', () => {
      const meta = config.serverMetadata();
      expect(meta.claims_parameter_supported).to.equal(true);
      expect(meta.scopes_supported).to.deep.equal(['openid', 'offline_access', 'email', 'profile', 'roles']);
      expect(meta.claims_supported).to.include.members(['tenant_id', 'tenant_name', 'role', 'email', 'given_name']);
    });

    it('honours claims the scope does not cover: essential email for the ID token and userinfo with scope=openid', async () => {
      const claims = JSON.stringify({ id_token: { email: { essential: true } }, userinfo: { email: { essential: true } } });
      const tokens = await tokensOf(config, await authorize(f.client, config, { claims }));
      expect(userClaimsOf(tokens.claims()!)).to.deep.equal({ sub: bob.id, email: 'bob@example.com' });
      expect(await userinfo(config, tokens.access_token)).to.deep.equal({ sub: bob.id, email: 'bob@example.com' });
    });

    it('keeps the ID token and userinfo apart: a claim asked for one is not in the other', async () => {
      const claims = JSON.stringify({ id_token: { given_name: null }, userinfo: { email: null, family_name: { essential: true } } });
      const tokens = await tokensOf(config, await authorize(f.client, config, { claims }));
      expect(userClaimsOf(tokens.claims()!)).to.deep.equal({ sub: bob.id, given_name: 'Bob' });
      expect(await userinfo(config, tokens.access_token)).to.deep.equal({ sub: bob.id, email: 'bob@example.com', family_name: 'Stone' });
    });

    it('releases a claim asked with value or values only when the user has that value, also over a scope', async () => {
      const claims = JSON.stringify({
        id_token: { role: { essential: true, value: 'admin' }, given_name: { value: 'Robert' } },
        userinfo: { email: { essential: true, value: 'someone@example.com' }, role: { values: ['owner', 'member'] }, tenant_id: { values: [bob.tenantId] } },
      });
      const tokens = await tokensOf(config, await authorize(f.client, config, { claims, scope: 'openid email' }));
      expect(userClaimsOf(tokens.claims()!)).to.deep.equal({ sub: bob.id, role: 'admin' });
      // the email scope releases email_verified; email itself was asked with another value
      expect(await userinfo(config, tokens.access_token)).to.deep.equal({ sub: bob.id, email_verified: true, tenant_id: bob.tenantId });
    });

    it('puts the tenant and role of the roles scope in the ID token and userinfo, after a refresh too', async () => {
      const { name: tenantName } = await f.server.container.tenants.getByName(f.tenant);
      const expected = { sub: bob.id, tenant_id: bob.tenantId, tenant_name: tenantName, role: 'admin' };
      const tokens = await tokensOf(config, await authorize(f.client, config, { scope: 'openid roles' }));
      expect(userClaimsOf(tokens.claims()!)).to.deep.equal(expected);
      expect(await userinfo(config, tokens.access_token)).to.deep.equal(expected);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
      expect(userClaimsOf(refreshed.claims()!)).to.deep.equal(expected);
      // without the scope, none of them
      const plain = await tokensOf(config, await authorize(f.client, config, {}));
      expect(userClaimsOf(plain.claims()!)).to.deep.equal({ sub: bob.id });
      expect(await userinfo(config, plain.access_token)).to.deep.equal({ sub: bob.id });
    });

    it('never shows a first-party application a consent page: a signed-in browser gets new claims and scopes with prompt=none', async () => {
      const first = await authorize(f.client, config, {});
      await tokensOf(config, first);
      const claims = JSON.stringify({ id_token: { email: { essential: true } }, userinfo: { role: null } });
      const silent = await authorize(f.client, config, { prompt: 'none', claims }, first.browser);
      expect(new URL(silent.page.url).searchParams.get('error')).to.equal(null);
      const tokens = await tokensOf(config, silent);
      expect(userClaimsOf(tokens.claims()!)).to.deep.equal({ sub: bob.id, email: 'bob@example.com' });
      expect(await userinfo(config, tokens.access_token)).to.deep.equal({ sub: bob.id, role: 'admin' });
      const wider = await tokensOf(config, await authorize(f.client, config, { prompt: 'none', scope: 'openid profile roles' }, first.browser));
      expect(await userinfo(config, wider.access_token)).to.deep.equal({
        sub: bob.id,
        name: 'Bob Stone',
        given_name: 'Bob',
        family_name: 'Stone',
        tenant_id: bob.tenantId,
        tenant_name: f.tenant,
        role: 'admin',
      });
      // asking for the page (offline_access needs prompt=consent) shows none either
      const asked = await authorize(f.client, config, { prompt: 'consent', scope: 'openid offline_access email' }, first.browser);
      expect(asked.page.html).to.equal('');
      const offline = await tokensOf(config, asked);
      expect(offline.scope).to.equal('openid offline_access email');
      expect(offline.refresh_token).to.be.a('string');
    });

    describe('a third-party application', () => {
      let partner: RegisteredTestClient;
      let partnerConfig: oidc.Configuration;
      before(async () => {
        const created = await createClient(f, { name: 'Partner', firstParty: false, redirectUris: ['http://127.0.0.1:9/partner'] });
        partner = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: 'http://127.0.0.1:9/partner' };
        partnerConfig = await discover(f.server.url, partner);
      });

      const listed = (html: string) => [...(/<ul class="scopes">([\s\S]*?)<\/ul>/.exec(html)?.[1] ?? '').matchAll(/<li>([^<]*)<\/li>/g)].map((m) => m[1]);
      const allow = async (flow: Awaited<ReturnType<typeof authorize>>) => {
        const consent = findForm(flow.page.html, '/consent');
        const page = await flow.browser.navigate(consent.action, { form: { ...consent.fields, decision: 'allow' } });
        return { ...flow, page };
      };

      it('lists the claims asked on the consent page, then releases them; prompt=none asks consent for a claim not yet allowed', async () => {
        const claims = JSON.stringify({ userinfo: { email: null, role: { essential: true } } });
        const flow = await authorize(partner, partnerConfig, { claims });
        expect(flow.page.res.status).to.equal(200);
        expect(flow.page.html).to.include('Allow access?');
        expect(listed(flow.page.html)).to.deep.equal(['Who you are and how you signed in', 'Your email address', 'Your role in your organisation']);
        const tokens = await tokensOf(partnerConfig, await allow(flow));
        expect(await userinfo(partnerConfig, tokens.access_token)).to.deep.equal({ sub: bob.id, email: 'bob@example.com', role: 'admin' });

        // the same claims again: allowed already, no page
        const again = await tokensOf(partnerConfig, await authorize(partner, partnerConfig, { prompt: 'none', claims }, flow.browser));
        expect(await userinfo(partnerConfig, again.access_token)).to.deep.equal({ sub: bob.id, email: 'bob@example.com', role: 'admin' });

        // one more claim: the user has to be asked
        const more = JSON.stringify({ id_token: { tenant_name: null } });
        const refused = await authorize(partner, partnerConfig, { prompt: 'none', claims: more }, flow.browser);
        const answer = new URL(refused.page.url).searchParams;
        expect(answer.get('error')).to.equal('consent_required');
        expect(answer.get('error_description')).to.equal('requested claims not granted');
        const asked = await authorize(partner, partnerConfig, { claims: more }, flow.browser);
        expect(listed(asked.page.html)).to.deep.equal(['The name of your organisation']);

        // asked again with nothing new (prompt=consent): the page names the whole request
        const repeated = await authorize(partner, partnerConfig, { prompt: 'consent', claims }, flow.browser);
        expect(listed(repeated.page.html)).to.deep.equal(['Who you are and how you signed in', 'Your email address', 'Your role in your organisation']);
      });

      it('names the claims of each scope asked, in the language of the page', async () => {
        const flow = await authorize(partner, partnerConfig, { scope: 'openid email roles offline_access', prompt: 'consent', ui_locales: 'de' });
        expect(flow.page.html).to.include('Zugriff erlauben?');
        expect(listed(flow.page.html)).to.deep.equal([
          'Wer Sie sind und wie Sie sich angemeldet haben',
          'Ihre E-Mail-Adresse',
          'Ob Ihre E-Mail-Adresse bestätigt ist',
          'Die Kennung Ihrer Organisation',
          'Der Name Ihrer Organisation',
          'Ihre Rolle in Ihrer Organisation',
          'Zugriff auf Ihr Konto, während Sie die Anwendung nicht verwenden',
        ]);
        const tokens = await tokensOf(partnerConfig, await allow(flow));
        expect(userClaimsOf(tokens.claims()!)).to.deep.equal({ sub: bob.id, tenant_id: bob.tenantId, tenant_name: f.tenant, role: 'admin' });
        expect(tokens.refresh_token).to.be.a('string');
        // a claim a consented scope releases asks for nothing more
        const claims = JSON.stringify({ id_token: { email: { essential: true } } });
        const silent = await tokensOf(partnerConfig, await authorize(partner, partnerConfig, { scope: 'openid email', prompt: 'none', claims }, flow.browser));
        expect(userClaimsOf(silent.claims()!)).to.deep.equal({ sub: bob.id, email: 'bob@example.com' });
      });
    });

    it('gives the same claims to @badgateway/oauth2-client', async () => {
      const client = new OAuth2Client({
        server: f.server.url,
        clientId: f.client.clientId,
        clientSecret: f.client.clientSecret!,
        discoveryEndpoint: '/.well-known/openid-configuration',
        authenticationMethod: 'client_secret_basic',
      });
      const codeVerifier = await generateCodeVerifier();
      const claims = JSON.stringify({ id_token: { email: { essential: true } }, userinfo: { given_name: null } });
      const url = await client.authorizationCode.getAuthorizeUri({
        redirectUri: f.client.redirectUri,
        state: 'bgw-state',
        codeVerifier,
        scope: ['openid', 'roles'],
        extraParams: { claims, nonce: 'bgw-nonce' },
      });
      const browser = new Browser(f.server.url);
      let page = await browser.navigate(url);
      const login = findForm(page.html, '/login');
      page = await browser.navigate(login.action, { form: { ...login.fields, ...bobLogin } });
      const token = await client.authorizationCode.getTokenFromCodeRedirect(page.url, { redirectUri: f.client.redirectUri, state: 'bgw-state', codeVerifier });
      const jwks = jose.createRemoteJWKSet(new URL('/jwks', f.server.url));
      const { payload } = await jose.jwtVerify(token.idToken!, jwks, { issuer: f.server.url, audience: f.client.clientId });
      expect(payload.nonce).to.equal('bgw-nonce');
      expect(userClaimsOf(payload)).to.deep.equal({ sub: bob.id, email: 'bob@example.com', tenant_id: bob.tenantId, tenant_name: f.tenant, role: 'admin' });
      const res = await fetch(new URL('/me', f.server.url), { headers: { authorization: `Bearer ${token.accessToken}` } });
      expect(res.status).to.equal(200);
      expect(await res.json()).to.deep.equal({ sub: bob.id, given_name: 'Bob', tenant_id: bob.tenantId, tenant_name: f.tenant, role: 'admin' });
    });

    describe('refuses a malformed claims parameter (invalid_request)', () => {
      const cases: [string, string, string][] = [
        ['not JSON', '{"userinfo":', 'could not parse the claims parameter JSON'],
        ['not an object', '["email"]', 'claims parameter should be a JSON object'],
        ['neither id_token nor userinfo', '{"access_token":{"email":null}}', 'claims parameter should have userinfo or id_token properties'],
        ['a userinfo that is no object', '{"userinfo":"email"}', 'claims.userinfo should be an object'],
        ['an id_token that is no object', '{"id_token":["email"]}', 'claims.id_token should be an object'],
      ];
      for (const [what, claims, description] of cases) {
        it(`${what}: 400 at the pushed authorization endpoint, an error redirect at the authorization endpoint`, async () => {
          const verifier = oidc.randomPKCECodeVerifier();
          const params = {
            client_id: f.client.clientId,
            redirect_uri: f.client.redirectUri,
            response_type: 'code',
            scope: 'openid',
            code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
            code_challenge_method: 'S256',
            claims,
          };
          const par = await fetch(config.serverMetadata().pushed_authorization_request_endpoint!, {
            method: 'POST',
            headers: {
              authorization: `Basic ${Buffer.from(`${f.client.clientId}:${f.client.clientSecret}`).toString('base64')}`,
              'content-type': 'application/x-www-form-urlencoded',
            },
            body: new URLSearchParams(params),
          });
          expect(par.status).to.equal(400);
          expect(await par.json()).to.deep.equal({ error: 'invalid_request', error_description: description });

          const page = await new Browser(f.server.url).navigate(`/auth?${new URLSearchParams(params)}`);
          const answer = new URL(page.url);
          expect(answer.origin + answer.pathname).to.equal(f.client.redirectUri);
          expect(answer.searchParams.get('error')).to.equal('invalid_request');
          expect(answer.searchParams.get('error_description')).to.equal(description);
        });
      }
    });
  });
}
