import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { setPolicy } from '../../support/accounts.ts';
import { alertText } from '../../support/sign-in-pages.ts';
import { finishFlow, follow, post, recoveryCodesOn, startFlow, textOf } from '../../support/two-factor.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { BACKENDS } from '../../support/backends.ts';

const STEP = 30_000;

for (const kind of BACKENDS) {
  describe(`two-factor: TOTP, enrollment and recovery codes (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;
    const clock = movableClock();
    let secret = '';
    let recovery: string[] = [];

    before(async () => {
      ({ f, config } = await startFixture(kind, { clock }));
      await setPolicy(f, { mfa: { mode: 'always', factors: ['totp', 'email'] } });
    });
    after(() => disposeFixture(f));

    it('leads a user without a factor through TOTP enrollment before the application gets its code', async () => {
      const flow = await startFlow(config, f.client, f.user);
      expect(flow.page.html).to.include('Set up two-step verification');
      expect(flow.page.html).to.include('Authenticator app').and.to.include('Email code');
      expect(flow.page.html).not.to.include('Text message');
      let page = await post(flow.browser, flow.page, '/enroll/start', { type: 'totp' });
      expect(page.html).to.match(/<svg[^>]*>/);
      expect(page.html).not.to.match(/<script/i);
      secret = textOf(page.html, 'totp-secret');
      expect(secret).to.match(/^[A-Z2-7]{32}$/);
      page = await post(flow.browser, page, '/enroll/confirm', { code: '000000' === (await totpCodeAt(secret, clock.now())) ? '111111' : '000000' });
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.match(/not correct/);
      expect(page.html, 'the QR code is shown again after a wrong code').to.include(secret);
      page = await post(flow.browser, page, '/enroll/confirm', { code: await totpCodeAt(secret, clock.now()) });
      recovery = recoveryCodesOn(page.html);
      expect(recovery).to.have.length(10);
      page = await post(flow.browser, page, '/continue');
      const { claims } = await finishFlow(config, f.client, flow, page);
      expect(claims.acr).to.equal('urn:latchkey:acr:mfa');
      expect(claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
      expect(claims.auth_time).to.be.a('number');
    });

    it('asks for the TOTP code on the next sign-in and refuses a code already used in its window', async () => {
      clock.travel(2 * STEP);
      const code = await totpCodeAt(secret, clock.now());
      const first = await startFlow(config, f.client, f.user);
      expect(first.page.html).to.include('authenticator app');
      const done = await post(first.browser, first.page, '/mfa', { code });
      const { claims } = await finishFlow(config, f.client, first, done);
      expect(claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);

      const second = await startFlow(config, f.client, f.user);
      const replay = await post(second.browser, second.page, '/mfa', { code });
      expect(replay.status).to.equal(401);
      expect(alertText(replay.html)).to.match(/not correct/);
      clock.travel(3 * STEP);
      const fresh = await post(second.browser, replay, '/mfa', { code: await totpCodeAt(secret, clock.now()) });
      await finishFlow(config, f.client, second, fresh);
    });

    it('voids the sign-in after five wrong codes: the right code is refused after that', async () => {
      const flow = await startFlow(config, f.client, f.user);
      let page = flow.page;
      for (let i = 1; i <= 4; i += 1) {
        page = await post(flow.browser, page, '/mfa', { code: '999999' === (await totpCodeAt(secret, clock.now())) ? '888888' : '999999' });
        expect(page.status).to.equal(401);
        expect(alertText(page.html)).to.include(`${5 - i} attempts left`);
      }
      const fifth = await post(flow.browser, page, '/mfa', { code: '999999' === (await totpCodeAt(secret, clock.now())) ? '888888' : '999999' });
      expect(fifth.status).to.equal(429);
      expect(fifth.html).to.include('Too many wrong codes');
      const sixth = await post(flow.browser, page, '/mfa', { code: await totpCodeAt(secret, clock.now()) });
      expect(sixth.status).to.equal(400);
      expect(sixth.url).not.to.include('callback');
    });

    it('accepts a recovery code once', async () => {
      const flow = await startFlow(config, f.client, f.user);
      let page = await follow(flow.browser, flow.page, 'factor=recovery');
      expect(page.html).to.include('recovery codes you saved');
      page = await post(flow.browser, page, '/mfa', { code: recovery[0]!.toUpperCase() });
      const { claims } = await finishFlow(config, f.client, flow, page);
      expect(claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);

      const again = await startFlow(config, f.client, f.user);
      const recoveryPage = await follow(again.browser, again.page, 'factor=recovery');
      const reused = await post(again.browser, recoveryPage, '/mfa', { code: recovery[0]! });
      expect(reused.status).to.equal(401);
      const other = await post(again.browser, reused, '/mfa', { code: recovery[1]! });
      await finishFlow(config, f.client, again, other);
    });
  });
}
