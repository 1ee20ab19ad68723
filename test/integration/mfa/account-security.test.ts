import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { setPolicy } from '../../support/accounts.ts';
import { Browser, findForm } from '../../support/browser.ts';
import { alertText, type Page } from '../../support/sign-in-pages.ts';
import { finishFlow, follow, noticeText, post, recoveryCodesOn, startFlow, textOf, wrongTotpCode } from '../../support/two-factor.ts';
import type { SmtpSink } from '../../support/smtp-sink.ts';
import type { TwilioStandIn } from '../../support/twilio-standin.ts';
import { startDeliveryStandIns, type DeliveryStandIns } from '../../support/delivery-stand-ins.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { UserEntity } from '../../../src/store/entities/index.ts';
import { BACKENDS } from '../../support/backends.ts';

const STEP = 30_000;
const ADDED = 'A two-step verification method was added';
const REMOVED = 'A two-step verification method was removed';
const REGENERATED = 'New recovery codes were made';

async function open(browser: Browser, path: string, form?: Record<string, string>): Promise<Page> {
  const { res, url, html } = await browser.navigate(path, form ? { form } : {});
  return { status: res.status, url, html };
}

/** the id in the hidden field of the factor's remove form */
function factorId(html: string, type: string): string {
  const id = new RegExp(`data-factor="${type}">[\\s\\S]*?name="factor" value="([^"]+)"`).exec(html)?.[1];
  if (!id) throw new Error(`no ${type} factor on the page:\n${html.slice(0, 3000)}`);
  return id;
}

/** the HTML of the factor's entry in the list */
function factorEntry(html: string, type: string): string {
  return new RegExp(`data-factor="${type}">([\\s\\S]*?)</li>`).exec(html)?.[1] ?? '';
}

for (const kind of BACKENDS) {
  describe(`account security page: password again, add and remove factors, recovery codes (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;
    let smtp: SmtpSink;
    let twilio: TwilioStandIn;
    let stand: DeliveryStandIns | undefined;
    const clock = movableClock();
    const phone = '+14155550142';
    let browser: Browser;
    let secret = '';
    let firstCodes: string[] = [];
    let newCodes: string[] = [];
    let smsId = '';

    const unlock = async () => {
      const page = await open(browser, '/account/security');
      expect(page.html).to.include('autocomplete="current-password"');
      return post(browser, page, '/account/security/unlock', { password: f.user.password });
    };

    before(async () => {
      stand = await startDeliveryStandIns();
      ({ smtp, twilio } = stand);
      ({ f, config } = await startFixture(kind, { clock, env: stand.env }));
    });
    after(async () => {
      await disposeFixture(f);
      await stand?.close();
    });

    it('answers a browser without a session with a 401 page that says how to sign in', async () => {
      const page = await open(new Browser(f.server.url), '/account/security');
      expect(page.status).to.equal(401);
      expect(page.html).to.include('You are not signed in').and.to.include('Sign in through one of');
      expect(page.html).not.to.include('autocomplete="current-password"');
    });

    it('asks a signed-in user for the password: a wrong one gets the generic message, the right one opens the section', async () => {
      const flow = await startFlow(config, f.client, f.user);
      const { claims } = await finishFlow(config, f.client, flow);
      expect(claims.amr, 'optional mode without factors: password only').to.deep.equal(['pwd']);
      browser = flow.browser;

      let page = await open(browser, '/account/security');
      expect(page.status).to.equal(200);
      expect(page.html).to.include('autocomplete="current-password"').and.to.include(f.user.email);
      expect(page.html).not.to.include('/factors/add');
      page = await post(browser, page, '/account/security/unlock', { password: 'not the password at all' });
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.equal('The password is not correct.');
      page = await post(browser, page, '/account/security/unlock', { password: f.user.password });
      expect(page.status).to.equal(200);
      expect(page.html).to.include('Security settings');
      expect(textOf(page.html, 'factors')).to.include('You have none');
      expect(textOf(page.html, 'recovery-remaining')).to.equal('Unused recovery codes: 0.');
    });

    it('refuses a POST without a valid CSRF token with 403 and changes nothing', async () => {
      const missing = await browser.request('/account/security/factors/add', { method: 'POST', form: { type: 'totp' } });
      expect(missing.status).to.equal(403);
      const forged = await browser.request('/account/security/factors/add', { form: { csrf: 'A'.repeat(43), type: 'totp' } });
      expect(forged.status).to.equal(403);
      expect(await forged.text()).to.include('security token');
      const page = await open(browser, '/account/security');
      expect(page.html, 'no setup was started').not.to.include('totp-secret');
      expect(textOf(page.html, 'factors')).to.include('You have none');
    });

    it('answers bad input with a 4xx page and a clear message, never a 5xx', async () => {
      const page = await open(browser, '/account/security');
      const fax = await post(browser, page, '/factors/add', { type: 'fax' });
      expect(fax.status).to.equal(400);
      expect(alertText(fax.html)).to.equal('This method cannot be added to your account.');
      const csrf = findForm(page.html, '/factors/add').fields.csrf!;
      const nothing = await open(browser, '/account/security/factors/confirm', { csrf, code: '123456' });
      expect(nothing.status).to.equal(400);
      expect(alertText(nothing.html)).to.equal('Choose a method to add first.');
      const odd = await open(browser, '/account/security/factors/remove', { csrf, factor: "'; drop table mfa_factors; --" });
      expect(odd.status).to.equal(400);
      const huge = await post(browser, page, '/factors/add', { type: 'sms', phone: '1'.repeat(200_000) });
      expect(huge.status).to.equal(413);
      const cancel = await open(browser, '/account/security/factors/cancel', { csrf });
      expect(cancel.status, 'nothing to cancel is fine').to.equal(200);
    });

    it('adds an authenticator app: QR code and secret, a counted wrong code, then the first code; recovery codes shown once and an email', async () => {
      const since = Date.now();
      let page = await open(browser, '/account/security');
      page = await post(browser, page, '/factors/add', { type: 'totp' });
      expect(page.html).to.match(/<svg[^>]*>/);
      expect(page.html).not.to.match(/<script/i);
      secret = textOf(page.html, 'totp-secret');
      expect(secret).to.match(/^[A-Z2-7]{32}$/);
      page = await post(browser, page, '/factors/confirm', { code: await wrongTotpCode(secret, clock.now()) });
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.include('4 attempts left');
      expect(page.html, 'the same secret is shown again').to.include(secret);
      expect((await open(browser, '/account/security')).html, 'a reload shows the setup in progress').to.include(secret);

      page = await post(browser, page, '/factors/confirm', { code: await totpCodeAt(secret, clock.now()) });
      expect(page.status).to.equal(200);
      firstCodes = recoveryCodesOn(page.html);
      expect(firstCodes).to.have.length(10);
      expect(noticeText(page.html)).to.include('Authenticator app was added');
      const mail = await smtp.waitForMail(f.user.email, ADDED, since);
      expect(mail.text).to.include('Authenticator app was added to your account');

      page = await open(browser, '/account/security');
      expect(factorEntry(page.html, 'totp')).to.include('Authenticator app').and.to.include('asked first');
      expect(textOf(page.html, 'recovery-remaining')).to.equal('Unused recovery codes: 10.');
    });

    it('adds SMS only after a code sent to the number through the real twilio SDK, with the resend limit', async () => {
      let page = await open(browser, '/account/security');
      page = await post(browser, page, '/factors/add', { type: 'sms' });
      expect(page.html).to.include('autocomplete="tel"');
      page = await post(browser, page, '/factors/add', { phone: 'call me maybe' });
      expect(page.status).to.equal(400);
      expect(alertText(page.html)).to.include('country code');

      const since = Date.now();
      page = await post(browser, page, '/factors/add', { phone: '+1 415 555 0142' });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.include('+*********42');
      const sms = await twilio.waitForSms(phone, since);
      expect(sms.from).to.equal('+15005550006');
      const code = twilio.codeFromSms(sms);

      const resend = await post(browser, page, '/factors/resend');
      expect(resend.status).to.equal(429);
      expect(alertText(resend.html)).to.match(/Wait \d+ seconds/);
      const before = await open(browser, '/account/security');
      expect(before.html, 'pending until its code is entered').to.include('Enter the code we sent by text message');

      page = await post(browser, page, '/factors/confirm', { code: code === '000000' ? '111111' : '000000' });
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.include('4 attempts left');
      page = await post(browser, page, '/factors/confirm', { code });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.include('Text message was added');
      expect(recoveryCodesOn(page.html), 'recovery codes are left, so none are made').to.have.length(0);
      expect(factorEntry(page.html, 'sms')).to.include('+*********42').and.not.to.include(phone);
      smsId = factorId(page.html, 'sms');
      const mail = await smtp.waitForMail(f.user.email, ADDED, since);
      expect(mail.text).to.include('Text message was added');
    });

    it('makes a factor the one asked first', async () => {
      let page = await open(browser, '/account/security');
      page = await post(browser, page, '/factors/preferred', { factor: smsId });
      expect(noticeText(page.html)).to.include('Text message will be asked first');
      expect(factorEntry(page.html, 'sms')).to.include('asked first');
      expect(factorEntry(page.html, 'totp')).not.to.include('asked first');
      const bad = await post(browser, page, '/factors/preferred', { factor: 'not-a-factor' });
      expect(bad.status).to.equal(400);
    });

    it('regenerates recovery codes: ten new ones shown once, the old ones void, and an email', async () => {
      const since = Date.now();
      const page = await post(browser, await open(browser, '/account/security'), '/recovery-codes');
      newCodes = recoveryCodesOn(page.html);
      expect(newCodes).to.have.length(10);
      expect(newCodes.filter((c) => firstCodes.includes(c))).to.have.length(0);
      await smtp.waitForMail(f.user.email, REGENERATED, since);
      const after = await open(browser, '/account/security');
      expect(recoveryCodesOn(after.html), 'never shown again').to.have.length(0);
    });

    it('removes a factor and tells the user by email', async () => {
      const since = Date.now();
      let page = await open(browser, '/account/security');
      page = await post(browser, page, '/factors/remove', { factor: smsId });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.include('Text message was removed');
      expect(page.html).not.to.include('data-factor="sms"');
      expect(page.html).to.include('data-factor="totp"');
      const mail = await smtp.waitForMail(f.user.email, REMOVED, since);
      expect(mail.text).to.include('Text message was removed');
      const again = await post(browser, page, '/factors/remove', { factor: smsId });
      expect(again.status).to.equal(400);
    });

    it('makes the next sign-in ask for the TOTP code; the old recovery codes are refused, the new ones work', async () => {
      clock.travel(2 * STEP);
      const flow = await startFlow(config, f.client, f.user);
      expect(flow.page.html).to.include('authenticator app');
      let page = await follow(flow.browser, flow.page, 'factor=recovery');
      page = await post(flow.browser, page, '/mfa', { code: firstCodes[0]! });
      expect(page.status).to.equal(401);
      page = await post(flow.browser, page, '/mfa', { code: newCodes[0]! });
      expect((await finishFlow(config, f.client, flow, page)).claims.amr).to.include('mfa');

      const totp = await startFlow(config, f.client, f.user);
      const done = await post(totp.browser, totp.page, '/mfa', { code: await totpCodeAt(secret, clock.now()) });
      expect((await finishFlow(config, f.client, totp, done)).claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
    });

    it('asks for the password again once the 10 minutes have passed, and does nothing before', async () => {
      const open9 = await open(browser, '/account/security');
      expect(open9.html).to.include('data-factor="totp"');
      const totpId = factorId(open9.html, 'totp');
      clock.travel(2 * STEP + 11 * 60_000);
      const locked = await open(browser, '/account/security');
      expect(locked.status).to.equal(200);
      expect(locked.html).to.include('autocomplete="current-password"').and.not.to.include('data-factor');
      const refused = await post(browser, open9, '/factors/remove', { factor: totpId });
      expect(refused.status).to.equal(401);
      expect(noticeText(refused.html)).to.include('enter your password again');
      const page = await unlock();
      expect(page.html, 'nothing was removed').to.include('data-factor="totp"');
    });

    it('keeps the last factor while the tenant requires two-step verification; in optional mode removing it turns 2FA off', async () => {
      await setPolicy(f, { mfa: { mode: 'always' } });
      let page = await open(browser, '/account/security');
      const totpId = factorId(page.html, 'totp');
      page = await post(browser, page, '/factors/remove', { factor: totpId });
      expect(page.status).to.equal(409);
      expect(alertText(page.html)).to.include('requires two-step verification');
      expect(page.html).to.include('data-factor="totp"');

      await setPolicy(f, { mfa: { mode: 'optional' } });
      const since = Date.now();
      page = await post(browser, page, '/factors/remove', { factor: totpId });
      expect(page.status).to.equal(200);
      expect(noticeText(page.html)).to.include('Two-step verification is now off');
      expect(textOf(page.html, 'recovery-remaining')).to.equal('Unused recovery codes: 0.');
      await smtp.waitForMail(f.user.email, REMOVED, since);
      const flow = await startFlow(config, f.client, f.user);
      expect((await finishFlow(config, f.client, flow)).claims.amr).to.deep.equal(['pwd']);
    });

    it('treats a deactivated user as not signed in', async () => {
      await f.server.container.db.em().nativeUpdate(UserEntity, { email: f.user.email }, { status: 'deactivated' });
      const page = await open(browser, '/account/security');
      expect(page.status).to.equal(401);
      expect(page.html).to.include('You are not signed in');
    });
  });
}
