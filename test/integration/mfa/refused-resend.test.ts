import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { setPolicy } from '../../support/accounts.ts';
import { alertText } from '../../support/sign-in-pages.ts';
import { finishFlow, noticeText, post, startFlow } from '../../support/two-factor.ts';
import { waitForMail } from '../../support/outbox.ts';
import { BACKENDS } from '../../support/backends.ts';
import { consoleSignIn, unlockSecurity } from '../console/support.ts';

const SUBJECT = 'Your sign-in code';
const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] ?? '';
const leadOf = (html: string) => (/<p class="lead">([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '').replace(/\s+/g, ' ').trim();
const TOO_SOON = /^Wait \d+ seconds before asking for a new code\.$/;

/** A code that was asked for and refused (429): the page no longer says a code was sent. */
for (const kind of BACKENDS) {
  describe(`two-factor: the code page after a refused send (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;
    const clock = movableClock();
    const masked = 'a****@example.com';
    const NOT_SENT = `No new code was sent to ${masked}. If you have a code from this sign-in, enter it.`;

    before(async () => {
      ({ f, config } = await startFixture(kind, { clock }));
      await setPolicy(f, { mfa: { mode: 'always', factors: ['email'] } });
    });
    after(() => disposeFixture(f));

    it('enrolment: a resend refused with 429 leaves the lead without a sending claim; the code sent before still confirms', async () => {
      const flow = await startFlow(config, f.client, f.user);
      const since = clock.now();
      let page = await post(flow.browser, flow.page, '/enroll/start', { type: 'email' });
      expect(page.status).to.equal(200);
      expect(leadOf(page.html)).to.equal(`Enter the code we sent to ${masked} to confirm it.`);
      expect(noticeText(page.html)).to.equal(`A new code is on its way to ${masked}.`);
      const mail = await waitForMail(f.server.url, f.user.email, SUBJECT, since);

      page = await post(flow.browser, page, '/enroll/start');
      expect(page.status).to.equal(429);
      expect(leadOf(page.html)).to.equal(NOT_SENT);
      expect(alertText(page.html)).to.match(TOO_SOON);
      expect(noticeText(page.html)).to.equal('');

      page = await post(flow.browser, page, '/enroll/confirm', { code: codeIn(mail.text) });
      expect(page.status).to.equal(200);
      page = await post(flow.browser, page, '/continue');
      await finishFlow(config, f.client, flow, page);
    });

    it('second factor: refused on entry and on resend, the lead says no new code was sent; after a sent one it says so again', async () => {
      // the enrolment code went out moments ago: the code this sign-in asks for on entry is refused
      const flow = await startFlow(config, f.client, f.user);
      expect(flow.page.status).to.equal(429);
      expect(leadOf(flow.page.html)).to.equal(NOT_SENT);
      expect(alertText(flow.page.html)).to.match(TOO_SOON);

      clock.travel(31_000);
      const since = clock.now();
      let page = await post(flow.browser, flow.page, '/mfa/send', { factor: 'email' });
      expect(page.status).to.equal(200);
      expect(leadOf(page.html)).to.equal(`We sent a 6-digit code to ${masked}.`);
      const mail = await waitForMail(f.server.url, f.user.email, SUBJECT, since);

      page = await post(flow.browser, page, '/mfa/send', { factor: 'email' });
      expect(page.status).to.equal(429);
      expect(leadOf(page.html)).to.equal(NOT_SENT);
      expect(alertText(page.html)).to.match(TOO_SOON);

      page = await post(flow.browser, page, '/mfa', { code: codeIn(mail.text) });
      const { claims } = await finishFlow(config, f.client, flow, page);
      expect(claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
    });
  });
}

for (const kind of BACKENDS) {
  describe(`account console: the code page after a refused send (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    before(async () => {
      ({ f } = await startFixture(kind));
      await setPolicy(f, { mfa: { mode: 'optional', factors: ['email', 'totp'] } });
    });
    after(() => disposeFixture(f));

    it('adding an email factor: a resend refused with 429 no longer says a code was sent; the first code still confirms', async () => {
      const { browser } = await consoleSignIn(f.server.url, `/account?tenant=${f.tenant}`, f.user);
      const since = Date.now();
      let page = await unlockSecurity(browser, f.user.password);
      page = await post(browser, page, '/account/security/factors/add', { type: 'email' });
      expect(page.status).to.equal(200);
      expect(leadOf(page.html)).to.equal(`Enter the code we sent to ${f.user.email} to confirm it.`);
      const mail = await waitForMail(f.server.url, f.user.email, SUBJECT, since - 1000);

      page = await post(browser, page, '/account/security/factors/resend');
      expect(page.status).to.equal(429);
      expect(leadOf(page.html)).to.equal(`No new code was sent to ${f.user.email}. If you have the code sent earlier, enter it to confirm.`);
      expect(alertText(page.html)).to.match(TOO_SOON);

      page = await post(browser, page, '/account/security/factors/confirm', { code: codeIn(mail.text) });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.equal('Email code was added. We sent you an email about it.');
    });
  });
}
