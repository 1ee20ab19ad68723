import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { createUser, setPolicy } from '../../support/accounts.ts';
import { enrollTotpDirectly, finishFlow, post, startFlow } from '../../support/two-factor.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { BACKENDS } from '../../support/backends.ts';

const MFA = 'urn:latchkey:acr:mfa';
const PWD = 'urn:latchkey:acr:pwd';
const PHR = 'urn:latchkey:acr:phr';

for (const kind of BACKENDS) {
  describe(`two-factor: step-up by acr_values and essential acr, freshness by max_age (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;
    const clock = movableClock();
    let secret = '';
    let ahead = 0;
    // each code from a later 30 s step: a code accepted once is refused in its window
    const nextCode = async () => {
      ahead += 30_000;
      clock.travel(ahead);
      return totpCodeAt(secret, clock.now());
    };

    before(async () => {
      ({ f, config } = await startFixture(kind, { clock }));
      // inside the allowlist the password suffices: sessions start without a second factor
      await setPolicy(f, { mfa: { mode: 'outside-allowlist' }, network: { allowlist: ['127.0.0.0/8', '::1/128'] } });
      ({ secret } = await enrollTotpDirectly(f.server.container, f.tenant, f.user.email, clock.now()));
    });
    after(() => disposeFixture(f));

    it('lists the acr values in discovery', () => {
      expect(config.serverMetadata().acr_values_supported).to.deep.equal([PWD, MFA, PHR]);
    });

    it('signs in with the password alone inside the allowlist, and the ID token says so honestly', async () => {
      const flow = await startFlow(config, f.client, f.user);
      const { claims } = await finishFlow(config, f.client, flow);
      expect(claims.acr).to.equal(PWD);
      expect(claims.amr).to.deep.equal(['pwd']);
    });

    it('asks only for the second factor when an application asks acr_values=mfa on a password session', async () => {
      const first = await startFlow(config, f.client, f.user);
      await finishFlow(config, f.client, first);
      const before = Math.floor(Date.now() / 1000);
      const stepUp = await startFlow(config, f.client, undefined, { browser: first.browser, extra: { acr_values: MFA } });
      expect(stepUp.page.html).not.to.include('current-password');
      expect(stepUp.page.html).to.include('authenticator app');
      const done = await post(stepUp.browser, stepUp.page, '/mfa', { code: await nextCode() });
      const { claims } = await finishFlow(config, f.client, stepUp, done);
      expect(claims.acr).to.equal(MFA);
      expect(claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
      expect(claims.auth_time).to.be.at.least(before - 1);

      // the session now holds mfa: asking again needs no prompt at all
      const again = await startFlow(config, f.client, undefined, { browser: first.browser, extra: { acr_values: MFA } });
      expect((await finishFlow(config, f.client, again)).claims.acr).to.equal(MFA);
    });

    it('steps up for an essential acr claim', async () => {
      const first = await startFlow(config, f.client, f.user);
      await finishFlow(config, f.client, first);
      const claimsParam = JSON.stringify({ id_token: { acr: { essential: true, values: [MFA] } } });
      const stepUp = await startFlow(config, f.client, undefined, { browser: first.browser, extra: { claims: claimsParam } });
      expect(stepUp.page.html).to.include('authenticator app');
      const done = await post(stepUp.browser, stepUp.page, '/mfa', { code: await nextCode() });
      expect((await finishFlow(config, f.client, stepUp, done)).claims.acr).to.equal(MFA);
    });

    it('asks for the password again for max_age, and inside the allowlist the fresh password is enough (freshness, not a level)', async () => {
      const first = await startFlow(config, f.client, f.user);
      await finishFlow(config, f.client, first);
      // oidc-provider compares auth_time with its own (real) clock: max_age=1 needs the session to be 2 s old
      await new Promise((r) => setTimeout(r, 2100));
      const before = Math.floor(Date.now() / 1000);
      const reauth = await startFlow(config, f.client, f.user, { browser: first.browser, extra: { max_age: '1' } });
      expect(reauth.page.html, reauth.page.url).not.to.include('authenticator app');
      const { claims } = await finishFlow(config, f.client, reauth);
      expect(claims.amr).to.deep.equal(['pwd']);
      expect(claims.acr).to.equal(PWD);
      expect(claims.auth_time).to.be.at.least(before);
    });

    it('asks for the password and the second factor for max_age with the mfa acr', async () => {
      const reauth = await startFlow(config, f.client, f.user, { extra: { max_age: '0', acr_values: MFA } });
      expect(reauth.page.html, reauth.page.url).to.include('authenticator app');
      const done = await post(reauth.browser, reauth.page, '/mfa', { code: await nextCode() });
      const { claims } = await finishFlow(config, f.client, reauth, done);
      expect(claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
    });

    it('leads a user without any factor to enrollment when an application asks for mfa', async () => {
      await createUser(f, { email: 'dave@example.com', password: 'dave has a long enough passphrase' });
      const flow = await startFlow(
        config,
        f.client,
        { email: 'dave@example.com', password: 'dave has a long enough passphrase' },
        { extra: { acr_values: MFA } },
      );
      expect(flow.page.html).to.include('Set up two-step verification');
    });
  });
}
