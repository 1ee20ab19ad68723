import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { discover, exchange, signIn } from '../../support/relying-party.ts';
import { createClient } from '../../support/accounts.ts';
import { UserEntity } from '../../../src/store/entities/index.ts';

for (const kind of BACKENDS) {
  describe(`grants, sender-constrained tokens and logout (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    before(async () => ({ f, config } = await startFixture(kind)));
    after(() => disposeFixture(f));

    it('issues an opaque client_credentials token and a JWT for a registered resource', async () => {
      const machine = await discover(f.server.url, { ...f.machine, redirectUri: 'unused' });
      const opaque = await oidc.clientCredentialsGrant(machine);
      expect(opaque.access_token).to.be.a('string');
      expect((await oidc.tokenIntrospection(machine, opaque.access_token)).active).to.equal(true);

      const forApi = await oidc.clientCredentialsGrant(machine, { resource: 'https://api.example.test', scope: 'reports:read' });
      const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
      const { payload } = await jose.jwtVerify(forApi.access_token, jwks, { issuer: f.server.url, audience: 'https://api.example.test' });
      expect(payload.scope).to.equal('reports:read');
      expect(payload.client_id).to.equal(f.machine.clientId);

      const other = await oidc.clientCredentialsGrant(machine, { resource: 'https://elsewhere.example.test' }).catch((e: unknown) => e);
      expect((other as oidc.ResponseBodyError).error).to.equal('invalid_target');
    });

    it('refuses client_credentials to a client not registered for it', async () => {
      const res = await oidc.clientCredentialsGrant(config).catch((e: unknown) => e);
      // oidc-provider answers invalid_request here (RFC 6749 would say unauthorized_client)
      expect((res as oidc.ResponseBodyError).error).to.be.oneOf(['invalid_request', 'unauthorized_client']);
      expect((res as oidc.ResponseBodyError).error_description).to.equal('requested grant type is not allowed for this client');
    });

    it('accepts a pushed authorization request', async () => {
      const verifier = oidc.randomPKCECodeVerifier();
      const url = await oidc.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: f.client.redirectUri,
        scope: 'openid',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      expect(url.searchParams.get('request_uri')).to.match(/^urn:ietf:params:oauth:request_uri:/);
      const { Browser } = await import('../../support/browser.ts');
      const page = await new Browser(f.server.url).navigate(url.toString());
      expect(page.res.status).to.equal(200);
      expect(page.html).to.include('autocomplete="current-password"');
    });

    it('binds tokens to a DPoP key', async () => {
      const dpop = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('ES256'));
      const result = await signIn(config, f.client, f.user);
      const tokens = await oidc.authorizationCodeGrant(
        config,
        result.callbackUrl,
        {
          pkceCodeVerifier: result.codeVerifier,
          expectedState: result.state,
          expectedNonce: result.nonce,
        },
        undefined,
        { DPoP: dpop },
      );
      expect(tokens.token_type).to.equal('dpop');
      const info = await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck, { DPoP: dpop });
      expect(info.email).to.equal(f.user.email);
      // without the proof the bound token is refused
      const bare = await fetch(config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(bare.status).to.equal(401);
    });

    it('ends the session on RP-initiated logout and notifies the client back-channel', async () => {
      const received: string[] = [];
      const receiver = await listen((body) => received.push(body));
      const port = (receiver.address() as { port: number }).port;
      const redirectUri = 'http://127.0.0.1:9/bc-callback';
      const created = await createClient(f, {
        name: 'BC app',
        redirectUris: [redirectUri],
        postLogoutRedirectUris: ['http://127.0.0.1:9/bye'],
        backchannelLogoutUri: `http://127.0.0.1:${port}/logout`,
      });
      const client = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri };
      const bcConfig = await discover(f.server.url, client);
      try {
        const first = await signIn(bcConfig, client, f.user);
        const tokens = await exchange(bcConfig, first);
        const logoutUrl = oidc.buildEndSessionUrl(bcConfig, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'http://127.0.0.1:9/bye' });
        const confirm = await first.browser.navigate(logoutUrl.toString());
        expect(confirm.html).to.include('op.logoutForm');
        const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)?.[1];
        const action = /action="([^"]+)"/.exec(confirm.html.slice(confirm.html.indexOf('op.logoutForm') - 200))?.[1];
        const done = await first.browser.navigate(action!, { form: { xsrf: xsrf!, logout: 'yes' } });
        expect(done.url).to.equal('http://127.0.0.1:9/bye');
        expect(received).to.have.length(1);
        const logoutToken = new URLSearchParams(received[0]).get('logout_token')!;
        const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
        const { payload } = await jose.jwtVerify(logoutToken, jwks, { issuer: f.server.url, audience: client.clientId });
        expect(payload.events).to.have.property('http://schemas.openid.net/event/backchannel-logout');
        // the same browser now has to sign in again
        const again = await first.browser.navigate(
          oidc
            .buildAuthorizationUrl(bcConfig, {
              redirect_uri: redirectUri,
              scope: 'openid',
              code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
              code_challenge_method: 'S256',
            })
            .toString(),
        );
        expect(again.html).to.include('autocomplete="current-password"');
      } finally {
        receiver.close();
      }
    });

    it('keeps a signed-in browser signed in without the form (session)', async () => {
      const first = await signIn(config, f.client, f.user);
      const second = await signIn(config, f.client, { email: 'ignored', password: 'ignored' }, { browser: first.browser });
      expect(second.callbackUrl.searchParams.get('code')).to.be.a('string');
    });

    it('shows a consent page to a third-party client and honours a denial', async () => {
      const created = await createClient(f, { name: 'Partner', firstParty: false, redirectUris: ['http://127.0.0.1:9/partner'] });
      const partner = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: 'http://127.0.0.1:9/partner' };
      const partnerConfig = await discover(f.server.url, partner);
      const granted = await signIn(partnerConfig, partner, f.user);
      const tokens = await exchange(partnerConfig, granted);
      expect(tokens.access_token).to.be.a('string');

      const { Browser, findForm } = await import('../../support/browser.ts');
      const browser = new Browser(f.server.url);
      let page = await browser.navigate(
        oidc
          .buildAuthorizationUrl(partnerConfig, {
            redirect_uri: partner.redirectUri,
            scope: 'openid email',
            state: 's1',
            code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
            code_challenge_method: 'S256',
          })
          .toString(),
      );
      const login = findForm(page.html, '/login');
      page = await browser.navigate(login.action, { form: { ...login.fields, ...f.user } });
      expect(page.html).to.include('Allow access?');
      const consent = findForm(page.html, '/consent');
      page = await browser.navigate(consent.action, { form: { ...consent.fields, decision: 'deny' } });
      expect(new URL(page.url).searchParams.get('error')).to.equal('access_denied');
    });

    it('stops refresh and userinfo for a deactivated user', async () => {
      const tokens = await exchange(config, await signIn(config, f.client, f.user));
      const em = f.server.container.db.em();
      await em.nativeUpdate(UserEntity, { email: f.user.email }, { status: 'deactivated' });
      try {
        const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!).catch((e: unknown) => e);
        expect((refreshed as oidc.ResponseBodyError).error).to.equal('invalid_grant');
        const info = await fetch(config.serverMetadata().userinfo_endpoint!, { headers: { authorization: `Bearer ${tokens.access_token}` } });
        expect(info.status).to.equal(401);
      } finally {
        await em.nativeUpdate(UserEntity, { email: f.user.email }, { status: 'active' });
      }
    });
  });
}

function listen(onBody: (body: string) => void): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => {
        body += d.toString();
      });
      req.on('end', () => {
        onBody(body);
        res.statusCode = 200;
        res.end();
      });
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
