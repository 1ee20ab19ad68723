import { expect } from 'chai';
import * as oidc from 'openid-client';
import * as jose from 'jose';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { exchange, signIn } from '../../support/relying-party.ts';

for (const kind of BACKENDS) {
  describe(`authorization code flow (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    before(async () => ({ f, config } = await startFixture(kind)));
    after(() => disposeFixture(f));

    it('publishes discovery with PKCE S256 only, code only, and every endpoint', () => {
      const meta = config.serverMetadata();
      expect(meta.issuer).to.equal(f.server.url);
      expect(meta.code_challenge_methods_supported).to.deep.equal(['S256']);
      expect(meta.response_types_supported).to.deep.equal(['code']);
      expect(meta.grant_types_supported).to.include.members(['authorization_code', 'refresh_token', 'client_credentials']);
      expect(meta.grant_types_supported).to.not.include.members(['implicit', 'password']);
      for (const key of [
        'token_endpoint',
        'userinfo_endpoint',
        'jwks_uri',
        'end_session_endpoint',
        'introspection_endpoint',
        'revocation_endpoint',
        'pushed_authorization_request_endpoint',
      ]) {
        expect(meta[key], key).to.be.a('string');
      }
      expect(meta.dpop_signing_alg_values_supported).to.be.an('array').that.is.not.empty;
      expect(meta.backchannel_logout_supported).to.equal(true);
    });

    it('signs a user in through the hosted form and issues tokens verified against JWKS', async () => {
      const result = await signIn(config, f.client, f.user);
      const tokens = await exchange(config, result);
      expect(tokens.access_token).to.be.a('string');
      expect(tokens.refresh_token).to.be.a('string');
      const jwks = jose.createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
      const { payload, protectedHeader } = await jose.jwtVerify(tokens.id_token!, jwks, { issuer: f.server.url, audience: f.client.clientId });
      expect(protectedHeader.alg).to.equal('RS256');
      // scope claims go to userinfo, not the ID token, when an access token is issued (conformIdTokenClaims)
      expect(payload.sub).to.be.a('string');
      expect(payload.nonce).to.equal(result.nonce);
      expect(payload.amr).to.deep.equal(['pwd']);
      const info = await oidc.fetchUserInfo(config, tokens.access_token, payload.sub!);
      expect(info.email).to.equal(f.user.email);
      expect(info.given_name).to.equal('Alice');
    });

    it('refuses a wrong password with the same message as an unknown email', async () => {
      const wrong = await signInPage(f, config, { email: f.user.email, password: 'not the password at all' });
      const unknown = await signInPage(f, config, { email: 'nobody@example.com', password: 'not the password at all' });
      expect(wrong.status).to.equal(401);
      expect(unknown.status).to.equal(401);
      expect(errorText(wrong.html)).to.equal('The email address or password is not correct.');
      expect(errorText(unknown.html)).to.equal(errorText(wrong.html));
    });

    it('rotates refresh tokens and rejects a used one', async () => {
      const tokens = await exchange(config, await signIn(config, f.client, f.user));
      const first = tokens.refresh_token!;
      const rotated = await oidc.refreshTokenGrant(config, first);
      expect(rotated.refresh_token).to.be.a('string').and.not.equal(first);
      const reuse = await oidc.refreshTokenGrant(config, first).catch((e: unknown) => e as oidc.ResponseBodyError);
      expect((reuse as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      // reuse revokes the whole grant: the rotated token is dead too
      const after = await oidc.refreshTokenGrant(config, rotated.refresh_token!).catch((e: unknown) => e as oidc.ResponseBodyError);
      expect((after as oidc.ResponseBodyError).error).to.equal('invalid_grant');
    });

    it('gives invalid_grant for a code used twice and revokes what the first use issued', async () => {
      const result = await signIn(config, f.client, f.user);
      const tokens = await exchange(config, result);
      const second = await exchange(config, result).catch((e: unknown) => e as oidc.ResponseBodyError);
      expect((second as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      const introspected = await oidc.tokenIntrospection(config, tokens.access_token);
      expect(introspected.active).to.equal(false);
    });

    it('lets exactly one of ten concurrent redemptions of one code succeed', async () => {
      const result = await signIn(config, f.client, f.user);
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => exchange(config, result)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).to.have.length(1);
      for (const o of outcomes.filter((x): x is PromiseRejectedResult => x.status === 'rejected')) {
        expect((o.reason as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      }
    });

    it('lets exactly one of ten concurrent refreshes of one refresh token succeed', async () => {
      const tokens = await exchange(config, await signIn(config, f.client, f.user));
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => oidc.refreshTokenGrant(config, tokens.refresh_token!)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).to.have.length(1);
    });

    it('introspects and revokes an access token', async () => {
      const tokens = await exchange(config, await signIn(config, f.client, f.user));
      expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).to.equal(true);
      await oidc.tokenRevocation(config, tokens.access_token);
      expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).to.equal(false);
      await oidc.tokenRevocation(config, tokens.refresh_token!);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!).catch((e: unknown) => e as oidc.ResponseBodyError);
      expect((refreshed as oidc.ResponseBodyError).error).to.equal('invalid_grant');
    });
  });
}

async function signInPage(f: Fixture, config: oidc.Configuration, creds: { email: string; password: string }) {
  const { Browser, findForm } = await import('../../support/browser.ts');
  const browser = new Browser(f.server.url);
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: f.client.redirectUri,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const page = await browser.navigate(url.toString());
  const form = findForm(page.html, '/login');
  const res = await browser.request(form.action, { form: { ...form.fields, ...creds } });
  return { status: res.status, html: await res.text() };
}

function errorText(html: string): string {
  return /<div class="alert"[^>]*>([^<]*)<\/div>/.exec(html)?.[1] ?? '';
}
