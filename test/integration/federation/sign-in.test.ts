import { expect } from 'chai';
import * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { createFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { freePort } from '../../support/server.ts';
import { enrollTotpDirectly, post, recoveryCodesOn } from '../../support/two-factor.ts';
import { SoftAuthenticator } from '../../support/soft-authenticator.ts';
import { passkeyForm } from '../../support/passkey-pages.ts';
import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { Browser } from '../../support/browser.ts';
import type { UpstreamProvider } from '../../../src/federation/providers.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { consoleSignIn, unlockSecurity } from '../console/support.ts';
import type { UpstreamProxy } from './upstream-proxy.ts';
import {
  addProvider,
  begin,
  connectDownstream,
  events,
  navigate,
  press,
  returnTo,
  signInUpstream,
  startUpstream,
  tokensOf,
  type Downstream,
  type Upstream,
} from './federation-flow.ts';

/**
 * The upstream is a second Latchkey (its own PostgreSQL database and Redis prefix) behind a proxy
 * that is its issuer address; the downstream is the Latchkey under test, on each backend.
 */
describe('federation: signing in through an upstream OpenID Connect provider', function () {
  this.timeout(120_000);
  let upstream: Upstream;
  let proxy: UpstreamProxy;
  let up: Fixture;
  const bob = { email: 'bob@corp.example', password: 'upstream bob passphrase 2024' };
  const carol = { email: 'carol@corp.example', password: 'upstream carol passphrase 2024' };
  const dave = { email: 'dave@corp.example', password: 'upstream dave passphrase 2024' };
  let carolTotp: string;
  /** carol's browser at the upstream: one sign-in with password and TOTP, then its session answers */
  let carolAtUpstream: Browser;
  const carolSignsIn = async (authorizeUrl: string) => {
    carolAtUpstream ??= new Browser(proxy.url);
    const { page } = await signInUpstream(authorizeUrl, carol, carolAtUpstream);
    // the next time step's code: the current one may have confirmed the enrolment (codes are never replayed)
    return page.html.includes('/mfa') ? post(carolAtUpstream, page, '/mfa', { code: await totpCodeAt(carolTotp, Date.now() + 30_000) }) : page;
  };

  before(async () => {
    upstream = await startUpstream();
    ({ proxy, up } = upstream);
    const c = up.server.container;
    const tenant = await c.tenants.getByName(up.tenant);
    await c.users.create({ tenantId: tenant.id, email: bob.email, password: bob.password, firstName: 'Bob', lastName: 'Builder' });
    await c.users.create({ tenantId: tenant.id, email: carol.email, password: carol.password });
    await c.users.create({ tenantId: tenant.id, email: dave.email, password: dave.password });
    // carol's upstream sign-in has a second factor: its ID token says amr pwd, otp, mfa
    carolTotp = (await enrollTotpDirectly(c, up.tenant, carol.email, Date.now())).secret;
  });

  after(() => upstream?.close());

  for (const kind of BACKENDS) {
    describe(`downstream on ${kind}`, () => {
      let d: Downstream;
      /** provisions members; bob's identity is linked through it */
      let corp: UpstreamProvider;

      before(async () => {
        d = await connectDownstream(upstream, await createFixture(kind, { env: { FEDERATION_ALLOW_HTTP: 'true', FEDERATION_TIMEOUT_MS: '1500' } }));
        corp = await addProvider(d, { label: 'Corp IdP', provisionRole: 'member' });
      });
      after(() => disposeFixture(d?.f));
      afterEach(() => {
        proxy.mode = 'pass';
      });

      it("button flow: provisions a user just in time with the provider's role and signs in with amr fed", async () => {
        const provider = corp;
        const j = await begin(d);
        expect(j.page.html).to.include('Sign in with Corp IdP');
        const away = await press(j, provider);
        expect(away.url.startsWith(`${proxy.url}/auth?`), away.url).to.equal(true);
        const authorize = new URL(away.url);
        expect(authorize.searchParams.get('code_challenge_method')).to.equal('S256');
        expect(authorize.searchParams.get('redirect_uri')).to.equal(`${d.f.server.url}/federation/callback`);
        for (const p of ['state', 'nonce', 'code_challenge']) expect(authorize.searchParams.get(p), p).to.be.a('string').with.length.above(20);
        const { page: back } = await signInUpstream(away.url, bob);
        await returnTo(j, back.url);
        const tokens = await tokensOf(d, j);
        const claims = tokens.claims()!;
        expect(claims.amr).to.deep.equal(['fed']);
        expect(claims.acr).to.equal('urn:latchkey:acr:pwd');
        const user = await d.f.server.container.users.findByEmail(d.tenantId, bob.email);
        expect(user).to.include({ role: 'member', status: 'active', firstName: 'Bob', lastName: 'Builder', emailVerified: true });
        expect(claims.sub).to.equal(user!.id);
        expect((await events(d, 'federation.provisioned'))[0]).to.include({ userId: user!.id });
        expect((await events(d, 'federation.succeeded'))[0]).to.include({ userId: user!.id });

        // the next sign-in finds the linked identity: no second user, same subject
        const again = await begin(d);
        const { page: back2 } = await signInUpstream((await press(again, provider)).url, bob);
        await returnTo(again, back2.url);
        expect((await tokensOf(d, again)).claims()!.sub).to.equal(user!.id);
        expect(await d.f.server.container.federation.identities.listForUser(user!.id)).to.have.length(1);

        // the callback once more (a replay): its state was used up
        const replay = await returnTo(again, back2.url);
        expect(replay.status).to.equal(400);
        expect(replay.html).to.include('federation.state-mismatch');
      });

      it("home realm discovery: an email of the provider's domain goes to it; an exclusive domain refuses the password", async () => {
        const provider = await addProvider(d, { domains: ['corp.example'], exclusive: true, provisionRole: 'member' });
        const j = await begin(d);
        // a password typed for an exclusive domain is never checked: the browser goes to the provider
        const away = await submit(j, '/login', { email: dave.email, password: 'anything at all here' });
        expect(away.url.startsWith(`${proxy.url}/auth?`), away.url).to.equal(true);
        expect(new URL(away.url).searchParams.get('login_hint')).to.equal(dave.email);
        const { page: back } = await signInUpstream(away.url, dave);
        await returnTo(j, back.url);
        expect((await tokensOf(d, j)).claims()!.amr).to.deep.equal(['fed']);
        expect((await events(d, 'signin.failed')).length).to.equal(0);
        await d.f.server.container.federation.providers.remove(d.tenantId, provider.id);
      });

      it('links an existing user by verified email only after the local password, with lockout counting wrong ones', async () => {
        // the downstream's alice exists with a password; the upstream's alice has the same verified email
        const provider = await addProvider(d, { domains: ['example.com'] });
        const j = await begin(d);
        const away = await submit(j, '/login', { email: d.f.user.email, password: '' });
        const { page: back } = await signInUpstream(away.url, up.user);
        const linkPage = await returnTo(j, back.url);
        expect(linkPage.html).to.include('/federation/link');
        expect(linkPage.html).to.include(d.f.user.email);
        const wrong = await submit(j, '/federation/link', { password: 'not the password at all' });
        expect(wrong.status).to.equal(401);
        expect((await events(d, 'signin.failed'))[0]).to.exist;
        await submit(j, '/federation/link', { password: d.f.user.password });
        const claims = (await tokensOf(d, j)).claims()!;
        expect(claims.amr).to.deep.equal(['pwd', 'fed']);
        const alice = await d.f.server.container.users.findByEmail(d.tenantId, d.f.user.email);
        expect(claims.sub).to.equal(alice!.id);
        expect((await events(d, 'federation.linked'))[0]).to.include({ userId: alice!.id });
        // the link stays (the next test removes it in the console); the domain goes back to passwords
        await d.f.server.container.federation.providers.update(d.tenantId, provider.id, { domains: [] });
      });

      it("lists the linked identity on the account's security page, where the user can remove it", async () => {
        const { browser } = await consoleSignIn(d.f.server.url, `/account?tenant=${d.f.tenant}`, d.f.user);
        const page = await unlockSecurity(browser, d.f.user.password);
        const alice = await d.f.server.container.users.findByEmail(d.tenantId, d.f.user.email);
        const [identity] = await d.f.server.container.federation.identities.listForUser(alice!.id);
        expect(page.html).to.include(`data-identity="${identity!.id}"`).and.include(identity!.providerLabel);
        const after = await post(browser, page, '/identities/remove', { identity: identity!.id });
        expect(after.status).to.equal(200);
        expect(after.html).to.include(`${identity!.providerLabel} no longer signs in to this account.`);
        expect(await d.f.server.container.federation.identities.listForUser(alice!.id)).to.deep.equal([]);
        expect((await events(d, 'federation.unlinked'))[0]).to.include({ userId: alice!.id });
      });

      it('refuses to link by an email the upstream has not verified, and to provision on it', async () => {
        const provider = await addProvider(d, { provisionRole: 'member' });
        const upTenant = await up.server.container.tenants.getByName(up.tenant);
        const upAlice = await up.server.container.users.findByEmail(upTenant.id, up.user.email);
        const j = await begin(d);
        const away = await press(j, provider);
        // signed in at the upstream, then its email is marked unverified before the code is exchanged
        const { page: back } = await signInUpstream(away.url, up.user);
        await setEmailVerified(up, upAlice!.id, false);
        try {
          const page = await returnTo(j, back.url);
          expect(page.status).to.equal(403);
          expect(page.html).to.include('federation.unverified-email');
          expect((await events(d, 'federation.refused'))[0]!.details).to.include({ reason: 'unverified-email' });
        } finally {
          await setEmailVerified(up, upAlice!.id, true);
        }
        expect(
          await d.f.server.container.federation.identities.listForUser((await d.f.server.container.users.findByEmail(d.tenantId, d.f.user.email))!.id),
        ).to.have.length(0);
      });

      it("counts the upstream's mfa as the second factor only when the provider says so", async () => {
        await d.f.server.container.tenants.updatePolicy(d.tenantId, { mfa: { mode: 'always' } });
        try {
          const strong = await addProvider(d, { provisionRole: 'member', mfaAmr: ['mfa', 'otp', 'hwk'] });
          const j = await begin(d);
          await returnTo(j, (await carolSignsIn((await press(j, strong)).url)).url);
          const claims = (await tokensOf(d, j)).claims()!;
          expect(claims.acr).to.equal('urn:latchkey:acr:mfa');
          expect(claims.amr).to.deep.equal(['fed', 'mfa']);

          // the provider no longer counts it: the tenant's own second factor is asked (carol has none yet: enrolment)
          await d.f.server.container.federation.providers.update(d.tenantId, strong.id, { mfaAmr: [] });
          const j2 = await begin(d);
          const next = await returnTo(j2, (await carolSignsIn((await press(j2, strong)).url)).url);
          expect(next.status).to.equal(200);
          expect(next.html).to.include('/enroll/start');
        } finally {
          await d.f.server.container.tenants.updatePolicy(d.tenantId, { mfa: { mode: 'optional' } });
        }
      });

      it("lets a federated user set up a passkey as the tenant's second factor and prove it: acr phr, amr fed hwk user mfa", async () => {
        const erin = { email: 'erin@corp.example', password: 'upstream erin passphrase 2024' };
        const upTenant = await up.server.container.tenants.getByName(up.tenant);
        if (!(await up.server.container.users.findByEmail(upTenant.id, erin.email))) {
          await up.server.container.users.create({ tenantId: upTenant.id, email: erin.email, password: erin.password });
        }
        await d.f.server.container.tenants.updatePolicy(d.tenantId, { mfa: { mode: 'always', factors: ['passkey', 'totp'] } });
        const origin = new URL(d.f.server.url).origin;
        const authenticator = new SoftAuthenticator();
        try {
          // the first sign-in provisions erin, who has no factor: she sets a passkey up
          const j = await begin(d);
          const { page: back } = await signInUpstream((await press(j, corp)).url, erin);
          let page = await returnTo(j, back.url);
          expect(page.status).to.equal(200);
          page = await post(j.browser, page, '/enroll/start', { type: 'passkey' });
          const created = authenticator.create(passkeyForm<PublicKeyCredentialCreationOptionsJSON>(page.html, '/enroll/passkey').options, origin);
          page = await post(j.browser, page, '/enroll/passkey', { credential: JSON.stringify(created), name: 'Erin’s phone' });
          expect(recoveryCodesOn(page.html)).to.have.length(10);
          j.page = await post(j.browser, page, '/continue');
          const first = (await tokensOf(d, j)).claims()!;
          expect([first.acr, first.amr]).to.deep.equal(['urn:latchkey:acr:phr', ['fed', 'hwk', 'user', 'mfa']]);

          // the next sign-in asks the passkey after the upstream
          const again = await begin(d);
          const { page: back2 } = await signInUpstream((await press(again, corp)).url, erin);
          const asked = await returnTo(again, back2.url);
          const proof = authenticator.get(passkeyForm(asked.html, '/mfa/passkey').options, origin);
          again.page = await post(again.browser, asked, '/mfa/passkey', { credential: JSON.stringify(proof) });
          const second = (await tokensOf(d, again)).claims()!;
          expect([second.acr, second.amr]).to.deep.equal(['urn:latchkey:acr:phr', ['fed', 'hwk', 'user', 'mfa']]);
        } finally {
          await d.f.server.container.tenants.updatePolicy(d.tenantId, { mfa: { mode: 'optional', factors: ['totp', 'email', 'sms', 'voice'] } });
        }
      });

      it('applies deactivation and lockout to federated users', async () => {
        const provider = corp;
        const bobUser = await d.f.server.container.users.findByEmail(d.tenantId, bob.email);
        // wrong passwords lock bob's account: federation is locked too
        for (let i = 0; i < 5; i += 1)
          await d.f.server.container.guard.attempt(await d.f.server.container.tenants.getByName(d.f.tenant), bob.email, `wrong ${i}`, { ip: '198.51.100.7' });
        try {
          const j = await begin(d);
          const { page: back } = await signInUpstream((await press(j, provider)).url, bob);
          const page = await returnTo(j, back.url);
          expect(page.status).to.equal(403);
          expect(page.html).to.include('federation.locked');
        } finally {
          await d.f.server.container.guard.unlock(await d.f.server.container.tenants.getByName(d.f.tenant), bob.email, 'test');
        }
        await d.f.server.container.lifecycle.deactivate({ userId: bobUser!.id, actor: 'cli' });
        const j = await begin(d);
        const { page: back } = await signInUpstream((await press(j, provider)).url, bob);
        const page = await returnTo(j, back.url);
        expect(page.status).to.equal(403);
        expect(page.html).to.include('federation.deactivated');
      });

      describe('upstream failures end in a clear page and an audit event', () => {
        const expectFailure = async (page: { status: number; html: string }, reason: string) => {
          expect(page.status, page.html.slice(0, 400)).to.equal(400);
          expect(page.html).to.include(`federation.${reason}`);
          expect(page.html).to.include('Back to sign-in');
          expect((await events(d, 'federation.failed'))[0]!.details).to.include({ reason });
        };

        it('a provider_hint sign-in that failed goes back to the form, not to the provider again', async () => {
          const provider = await addProvider(d, { issuer: `http://127.0.0.1:${await freePort()}` });
          const url = oidc.buildAuthorizationUrl(d.config, {
            redirect_uri: d.f.client.redirectUri,
            scope: 'openid email',
            provider_hint: provider.slug,
            code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
            code_challenge_method: 'S256',
          });
          const browser = new Browser(new URL(d.f.server.url).origin);
          const failed = await navigate(browser, url.toString());
          await expectFailure(failed, 'unreachable');
          const retry = /href="([^"]+)"[^>]*>Back to sign-in/.exec(failed.html)?.[1]?.replace(/&amp;/g, '&');
          expect(retry, failed.html.slice(0, 600)).to.be.a('string');
          const form = await navigate(browser, new URL(retry!, d.f.server.url).toString());
          expect(form.status, form.html.slice(0, 400)).to.equal(200);
          expect(form.html).to.include('autocomplete="current-password"');
        });

        it('unreachable (a closed port)', async () => {
          const provider = await addProvider(d, { issuer: `http://127.0.0.1:${await freePort()}` });
          await expectFailure(await press(await begin(d), provider), 'unreachable');
        });

        it('slow: an upstream that accepts and never answers is given up after FEDERATION_TIMEOUT_MS', async () => {
          const provider = await addProvider(d);
          proxy.mode = 'hang';
          await expectFailure(await press(await begin(d), provider), 'timeout');
        });

        it('wrong issuer in the discovery document', async () => {
          const provider = await addProvider(d);
          proxy.mode = 'wrong-issuer';
          await expectFailure(await press(await begin(d), provider), 'wrong-issuer');
        });

        it('bad signature: the ID token does not verify against the keys served', async () => {
          const provider = await addProvider(d, { provisionRole: 'member' });
          const j = await begin(d);
          const { page: back } = await signInUpstream((await press(j, provider)).url, bob);
          proxy.mode = 'swap-jwks';
          await expectFailure(await returnTo(j, back.url), 'bad-signature');
        });

        it('state mismatch: a callback with a state never issued', async () => {
          const j = await begin(d);
          const page = await returnTo(j, `${d.f.server.url}/federation/callback?code=abc&state=${'x'.repeat(43)}`);
          expect(page.status).to.equal(400);
          expect(page.html).to.include('federation.state-mismatch');
        });

        it('error response: the user cancels at the upstream (access_denied)', async () => {
          const provider = await addProvider(d);
          const j = await begin(d);
          const { upstream, page } = await signInUpstream((await press(j, provider)).url, { email: '', password: '' });
          const cancelled = await post(upstream, page, '/abort');
          expect(new URL(cancelled.url).searchParams.get('error')).to.equal('access_denied');
          const back = await returnTo(j, cancelled.url);
          await expectFailure(back, 'error-response');
          expect(back.html).to.include('access_denied');
        });
      });
    });
  }
});

async function submit(j: { browser: Browser; page: { status: number; url: string; html: string } }, action: string, fields: Record<string, string>) {
  j.page = await post(j.browser, j.page, action, fields);
  return j.page;
}

async function setEmailVerified(up: Fixture, userId: string, verified: boolean) {
  const { UserEntity } = await import('../../../src/store/entities/index.ts');
  await up.server.container.db.em().nativeUpdate(UserEntity, { id: userId }, { emailVerified: verified });
}
