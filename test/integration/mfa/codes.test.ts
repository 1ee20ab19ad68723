import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { createUser, setPolicy } from '../../support/accounts.ts';
import { alertText } from '../../support/sign-in-pages.ts';
import { finishFlow, follow, noticeText, post, recoveryCodesOn, startFlow } from '../../support/two-factor.ts';
import type { SmtpSink } from '../../support/smtp-sink.ts';
import type { TwilioStandIn } from '../../support/twilio-standin.ts';
import { startDeliveryStandIns, type DeliveryStandIns } from '../../support/delivery-stand-ins.ts';
import { BACKENDS } from '../../support/backends.ts';

const SUBJECT = 'Your sign-in code';
const codeIn = (text: string | undefined) => /\b(\d{6})\b/.exec(text ?? '')?.[1] ?? '';

for (const kind of BACKENDS) {
  describe(`two-factor: email, SMS and voice codes (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;
    let smtp: SmtpSink;
    let twilio: TwilioStandIn;
    let stand: DeliveryStandIns | undefined;
    const clock = movableClock();
    const phone = '+14155550142';

    before(async () => {
      stand = await startDeliveryStandIns();
      ({ smtp, twilio } = stand);
      ({ f, config } = await startFixture(kind, { clock, env: stand.env }));
      await setPolicy(f, { mfa: { mode: 'always', factors: ['email', 'sms', 'voice'] } });
    });
    after(async () => {
      await disposeFixture(f);
      await stand?.close();
    });

    it('enrolls the email factor with a code sent over SMTP, then asks for an emailed code at each sign-in', async () => {
      const flow = await startFlow(config, f.client, f.user);
      const since = Date.now();
      let page = await post(flow.browser, flow.page, '/enroll/start', { type: 'email' });
      expect(noticeText(page.html)).to.match(/a\*+@example\.com/);
      const enrollMail = await smtp.waitForMail(f.user.email, SUBJECT, since);
      expect(enrollMail.html, 'an HTML part').to.include(codeIn(enrollMail.text));
      page = await post(flow.browser, page, '/enroll/confirm', { code: codeIn(enrollMail.text) });
      expect(recoveryCodesOn(page.html)).to.have.length(10);
      await smtp.waitForMail(f.user.email, 'A two-step verification method was added', since);
      page = await post(flow.browser, page, '/continue');
      const enrolled = await finishFlow(config, f.client, flow, page);
      expect(enrolled.claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);

      clock.travel(31_000); // one code per 30 s per user: the enrollment just sent one
      const next = Date.now();
      const again = await startFlow(config, f.client, f.user);
      expect(again.page.html).to.include('We sent a 6-digit code');
      const mail = await smtp.waitForMail(f.user.email, SUBJECT, next);
      const done = await post(again.browser, again.page, '/mfa', { code: codeIn(mail.text) });
      const { claims } = await finishFlow(config, f.client, again, done);
      expect(claims.acr).to.equal('urn:latchkey:acr:mfa');
    });

    it('limits resends to one per 30 s; a new code voids the old one but keeps the failure count', async () => {
      clock.travel(62_000);
      const t0 = Date.now();
      const flow = await startFlow(config, f.client, f.user);
      const first = codeIn((await smtp.waitForMail(f.user.email, SUBJECT, t0)).text);
      const wrong = first === '000000' ? '111111' : '000000';
      let page = await post(flow.browser, flow.page, '/mfa', { code: wrong });
      expect(alertText(page.html)).to.include('4 attempts left');
      page = await post(flow.browser, page, '/mfa/send', { factor: 'email' });
      expect(page.status).to.equal(429);
      expect(alertText(page.html)).to.match(/Wait \d+ seconds/);
      clock.travel(93_000);
      const t1 = Date.now();
      page = await post(flow.browser, page, '/mfa/send', { factor: 'email' });
      expect(page.status).to.equal(200);
      const second = codeIn((await smtp.waitForMail(f.user.email, SUBJECT, t1)).text);
      if (second !== first) {
        page = await post(flow.browser, page, '/mfa', { code: first });
        expect(page.status, 'the old code is void').to.equal(401);
        expect(alertText(page.html), 'the failure count went on').to.include('3 attempts left');
      }
      page = await post(flow.browser, page, '/mfa', { code: second });
      await finishFlow(config, f.client, flow, page);
    });

    it('enrolls SMS for a new user, verified by a code sent through the real twilio SDK', async () => {
      const bob = { email: `bob-${randomBytes(3).toString('hex')}@example.com`, password: 'another long passphrase for bob' };
      await createUser(f, bob);
      const flow = await startFlow(config, f.client, bob);
      let page = await post(flow.browser, flow.page, '/enroll/start', { type: 'sms' });
      expect(page.html).to.include('autocomplete="tel"');
      page = await post(flow.browser, page, '/enroll/start', { phone: 'not a number' });
      expect(page.status).to.equal(400);
      const since = Date.now();
      page = await post(flow.browser, page, '/enroll/start', { phone: '+1 415 555 0142' });
      expect(noticeText(page.html), page.html).to.include('42');
      const sms = await twilio.waitForSms(phone, since);
      expect(sms.from).to.equal('+15005550006');
      page = await post(flow.browser, page, '/enroll/confirm', { code: twilio.codeFromSms(sms) });
      page = await post(flow.browser, page, '/continue');
      await finishFlow(config, f.client, flow, page);

      clock.travel(124_000);
      const t1 = Date.now();
      const again = await startFlow(config, f.client, bob);
      const next = await twilio.waitForSms(phone, t1);
      const done = await post(again.browser, again.page, '/mfa', { code: twilio.codeFromSms(next) });
      const { claims } = await finishFlow(config, f.client, again, done);
      expect(claims.amr).to.deep.equal(['pwd', 'sms', 'mfa']);
    });

    it('enrolls a voice callback: the call reads the code twice, and the ID token says tel', async () => {
      const carol = { email: `carol-${randomBytes(3).toString('hex')}@example.com`, password: 'carol has a long passphrase too' };
      const carolPhone = '+447400123456'; // a valid UK mobile (libphonenumber-js's example); 07700 900xxx is a drama range no carrier serves
      await createUser(f, carol);
      const flow = await startFlow(config, f.client, carol);
      let page = await post(flow.browser, flow.page, '/enroll/start', { type: 'voice' });
      const since = Date.now();
      page = await post(flow.browser, page, '/enroll/start', { phone: carolPhone });
      const call = await twilio.waitForCall(carolPhone, since);
      page = await post(flow.browser, page, '/enroll/confirm', { code: twilio.codeFromCall(call) });
      page = await post(flow.browser, page, '/continue');
      await finishFlow(config, f.client, flow, page);

      clock.travel(160_000);
      const t1 = Date.now();
      const again = await startFlow(config, f.client, carol);
      const next = await twilio.waitForCall(carolPhone, t1);
      const done = await post(again.browser, again.page, '/mfa', { code: twilio.codeFromCall(next) });
      const { claims } = await finishFlow(config, f.client, again, done);
      expect(claims.amr).to.deep.equal(['pwd', 'tel', 'mfa']);
    });

    it('offers the other factors and recovery codes on the challenge page', async () => {
      clock.travel(200_000);
      const flow = await startFlow(config, f.client, f.user);
      const recovery = await follow(flow.browser, flow.page, 'factor=recovery');
      expect(recovery.html).to.include('recovery codes you saved');
    });
  });
}
