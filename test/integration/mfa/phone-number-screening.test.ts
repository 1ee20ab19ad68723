import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { discover, type RegisteredTestClient } from '../../support/relying-party.ts';
import { Browser } from '../../support/browser.ts';
import { alertText, type Page } from '../../support/sign-in-pages.ts';
import { finishFlow, noticeText, post, startFlow } from '../../support/two-factor.ts';
import type { TwilioStandIn } from '../../support/twilio-standin.ts';
import { startDeliveryStandIns, type DeliveryStandIns } from '../../support/delivery-stand-ins.ts';
import { BACKENDS } from '../../support/backends.ts';
import type { TenantPolicyOverrides } from '../../../src/policy/tenant-policy.ts';

const PREMIUM = 'This number cannot receive codes: premium-rate and shared-cost numbers are not accepted. Use a mobile number.';
const INTERNATIONAL = 'This number cannot receive codes: numbers of international and satellite networks are not accepted. Use a mobile number.';
const COUNTRY = 'Numbers from this country are not accepted here.';
const TOO_MANY = /^Too many codes were sent\. Try again in \d+ minutes\.$/;

/** valid numbers of each kind (libphonenumber-js's full metadata says so), with what the audit row records */
const REFUSED = [
  { phone: '+19005550123', masked: '+*********23', message: PREMIUM, reason: 'premium-rate', type: 'premium-rate', country: 'US' },
  { phone: '+449090000000', masked: '+**********00', message: PREMIUM, reason: 'premium-rate', type: 'premium-rate', country: 'GB' },
  { phone: '+8823421234', masked: '+********34', message: INTERNATIONAL, reason: 'international-network', type: 'mobile', country: null },
  { phone: '+979123456789', masked: '+**********89', message: INTERNATIONAL, reason: 'international-network', type: 'premium-rate', country: null },
] as const;
/** libphonenumber-js's example numbers (getExampleNumber) and their neighbours, all valid mobiles */
const US_MOBILE = '+12015550123';
const GB_MOBILE = '+447400123457';

interface TenantWorld {
  id: string;
  config: oidc.Configuration;
  client: RegisteredTestClient;
}

for (const kind of BACKENDS) {
  describe(`phone numbers for SMS and voice codes: types, countries, per-IP and per-prefix limits (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let twilio: TwilioStandIn;
    let stand: DeliveryStandIns | undefined;
    /** 2FA always, SMS and voice; a send limit of 3 per client IP and 2 per block of numbers */
    let enrolling: TenantWorld;
    /** optional 2FA: users sign in with the password and add SMS or voice on the account page */
    let accountPage: TenantWorld;
    /** 2FA always by SMS, British numbers only */
    let britishOnly: TenantWorld;

    async function tenantWith(policy: TenantPolicyOverrides): Promise<TenantWorld> {
      const { tenants, clients } = f.server.container;
      const { id } = await tenants.create({ name: `t-${randomBytes(3).toString('hex')}` });
      await tenants.updatePolicy(id, policy);
      const redirectUri = 'http://127.0.0.1:9/callback';
      const web = await clients.create({ tenantId: id, name: 'Web app', redirectUris: [redirectUri], grants: ['authorization_code', 'refresh_token'] });
      const client = { clientId: web.clientId, clientSecret: String(web.clientSecret), redirectUri };
      return { id, client, config: await discover(f.server.url, client) };
    }

    /** a new user of the tenant, signed in from `ip` (through the trusted proxy) up to the page that follows the password */
    async function signInNewUser(world: TenantWorld, ip: string) {
      const user = { email: `u-${randomBytes(4).toString('hex')}@example.com`, password: 'a long passphrase nobody guesses' };
      const { id: userId } = await f.server.container.users.create({ tenantId: world.id, email: user.email, password: user.password });
      const browser = new Browser(f.server.url);
      browser.headers['x-forwarded-for'] = ip;
      const flow = await startFlow(world.config, world.client, user, { browser });
      return { user, userId, flow };
    }

    /** the enrolment step's number field for this channel */
    async function numberField(world: TenantWorld, ip: string, channel: 'sms' | 'voice') {
      const signedIn = await signInNewUser(world, ip);
      const page = await post(signedIn.flow.browser, signedIn.flow.page, '/enroll/start', { type: channel });
      expect(page.html).to.include('autocomplete="tel"');
      return { ...signedIn, page };
    }

    const sentTo = (phone: string) => twilio.messages.filter((m) => m.to === phone).length + twilio.calls.filter((c) => c.to === phone).length;
    const refusals = async (world: TenantWorld, userId: string) =>
      (await f.server.container.audit.list({ tenantId: world.id, userId, action: 'factor.phone_refused', limit: 10 })).events;

    before(async () => {
      stand = await startDeliveryStandIns();
      twilio = stand.twilio;
      ({ f } = await startFixture(kind, { env: { ...stand.env, TRUST_PROXY: '127.0.0.1/32,::1' } }));
      enrolling = await tenantWith({ mfa: { mode: 'always', factors: ['sms', 'voice'], phoneSendsPerIpPerHour: 3, phoneSendsPerPrefixPerHour: 2 } });
      accountPage = await tenantWith({ mfa: { mode: 'optional', factors: ['sms', 'voice'] } });
      britishOnly = await tenantWith({ mfa: { mode: 'always', factors: ['sms'], phoneCountries: ['GB'] } });
    });
    after(async () => {
      await disposeFixture(f);
      await stand?.close();
    });

    it('refuses premium-rate and international-network numbers at the enrolment step: 400 at the field, nothing sent, nothing stored, one audit row', async () => {
      for (const refused of REFUSED) {
        for (const channel of ['sms', 'voice'] as const) {
          const { userId, flow, page } = await numberField(enrolling, '198.51.100.10', channel);
          const answer = await post(flow.browser, page, '/enroll/start', { phone: refused.phone });
          expect(answer.status, `${refused.phone} by ${channel}`).to.equal(400);
          expect(alertText(answer.html)).to.equal(refused.message);
          expect(answer.html, 'the number field again').to.include('autocomplete="tel"').and.include('aria-describedby="form-error"');
          expect(await f.server.container.factors.list(userId), 'no pending factor').to.deep.equal([]);
          const [row, ...more] = await refusals(enrolling, userId);
          expect(more).to.deep.equal([]);
          expect(row!.details).to.deep.equal({
            channel,
            reason: refused.reason,
            type: refused.type,
            country: refused.country,
            phone: refused.masked,
            purpose: 'enroll',
          });
          expect(row!.ip).to.equal('198.51.100.10');
        }
        expect(sentTo(refused.phone), `the Twilio stand-in got nothing for ${refused.phone}`).to.equal(0);
      }
    });

    it('refuses the same numbers on the account page, where a signed-in user adds SMS or voice', async () => {
      const { user, userId, flow } = await signInNewUser(accountPage, '198.51.100.20');
      await finishFlow(accountPage.config, accountPage.client, flow);
      let page: Page = await open(flow.browser, '/account/security');
      page = await post(flow.browser, page, '/account/security/unlock', { password: user.password });
      for (const refused of REFUSED) {
        for (const channel of ['sms', 'voice'] as const) {
          page = await post(flow.browser, page, '/factors/add', { type: channel });
          expect(page.html).to.include('autocomplete="tel"');
          page = await post(flow.browser, page, '/factors/add', { phone: refused.phone });
          expect(page.status, `${refused.phone} by ${channel}`).to.equal(400);
          expect(alertText(page.html)).to.equal(refused.message);
          expect(page.html, 'the number field again').to.include('autocomplete="tel"');
        }
        expect(sentTo(refused.phone), `the Twilio stand-in got nothing for ${refused.phone}`).to.equal(0);
      }
      expect(await f.server.container.factors.list(userId), 'no pending factor').to.deep.equal([]);
      const rows = await refusals(accountPage, userId);
      expect(rows).to.have.length(REFUSED.length * 2);
      expect(rows.map((r) => r.details).find((d) => d?.phone === '+*********23' && d.channel === 'voice')).to.deep.equal({
        channel: 'voice',
        reason: 'premium-rate',
        type: 'premium-rate',
        country: 'US',
        phone: '+*********23',
        via: 'account-security',
      });
    });

    it('holds a tenant to its countries: a US mobile is refused, a British mobile gets its code', async () => {
      const { userId, flow, page } = await numberField(britishOnly, '198.51.100.30', 'sms');
      const refused = await post(flow.browser, page, '/enroll/start', { phone: US_MOBILE });
      expect(refused.status).to.equal(400);
      expect(alertText(refused.html)).to.equal(COUNTRY);
      expect(sentTo(US_MOBILE)).to.equal(0);
      expect((await refusals(britishOnly, userId)).map((r) => r.details)).to.deep.equal([
        { channel: 'sms', reason: 'country-not-allowed', type: 'fixed-line-or-mobile', country: 'US', phone: '+*********23', purpose: 'enroll' },
      ]);

      const since = Date.now();
      const accepted = await post(flow.browser, refused, '/enroll/start', { phone: '+44 7400 123457' });
      expect(accepted.status).to.equal(200);
      expect(noticeText(accepted.html)).to.include('+**********57');
      const sms = await twilio.waitForSms(GB_MOBILE, since);
      let done = await post(flow.browser, accepted, '/enroll/confirm', { code: twilio.codeFromSms(sms) });
      done = await post(flow.browser, done, '/continue');
      const { claims } = await finishFlow(britishOnly.config, britishOnly.client, flow, done);
      expect(claims.amr).to.deep.equal(['pwd', 'sms', 'mfa']);
    });

    it('sends nothing at sign-in to a number enrolled before the tenant narrowed its countries', async () => {
      const world = await tenantWith({ mfa: { mode: 'always', factors: ['sms'] } });
      const phone = '+12015550161';
      const { user, userId, flow, page } = await numberField(world, '198.51.100.60', 'sms');
      const since = Date.now();
      const sent = await post(flow.browser, page, '/enroll/start', { phone });
      let done = await post(flow.browser, sent, '/enroll/confirm', { code: twilio.codeFromSms(await twilio.waitForSms(phone, since)) });
      done = await post(flow.browser, done, '/continue');
      await finishFlow(world.config, world.client, flow, done);

      await f.server.container.tenants.updatePolicy(world.id, { mfa: { phoneCountries: ['GB'] } });
      const browser = new Browser(f.server.url);
      browser.headers['x-forwarded-for'] = '198.51.100.60';
      const again = await startFlow(world.config, world.client, user, { browser });
      expect(again.page.status).to.equal(400);
      expect(alertText(again.page.html)).to.equal(COUNTRY);
      expect(sentTo(phone), 'only the enrolment code').to.equal(1);
      expect((await refusals(world, userId)).map((r) => r.details)).to.deep.equal([
        { channel: 'sms', reason: 'country-not-allowed', type: 'fixed-line-or-mobile', country: 'US', phone: '+*********61', purpose: 'signin' },
      ]);
    });

    it('refuses the 4th SMS or call asked for from one client IP within the hour, with the too-many-codes message', async () => {
      const ip = '203.0.113.40';
      // three users, three numbers in three different blocks, all from one address
      for (const [phone, channel] of [
        ['+12025550140', 'sms'],
        ['+447400223456', 'voice'],
        ['+33612345678', 'sms'],
      ] as const) {
        const since = Date.now();
        const { flow, page } = await numberField(enrolling, ip, channel);
        const sent = await post(flow.browser, page, '/enroll/start', { phone });
        expect(sent.status, phone).to.equal(200);
        expect(channel === 'sms' ? (await twilio.waitForSms(phone, since)).to : (await twilio.waitForCall(phone, since)).to).to.equal(phone);
      }
      const fourth = '+4915123456789';
      const { flow, page } = await numberField(enrolling, ip, 'sms');
      const refused = await post(flow.browser, page, '/enroll/start', { phone: fourth });
      expect(refused.status).to.equal(429);
      expect(alertText(refused.html)).to.match(TOO_MANY);
      expect(sentTo(fourth)).to.equal(0);

      // the same user and number from another address: the address was the limit
      flow.browser.headers['x-forwarded-for'] = '203.0.113.41';
      const since = Date.now();
      const elsewhere = await post(flow.browser, refused, '/enroll/start', { phone: fourth });
      expect(elsewhere.status).to.equal(200);
      expect((await twilio.waitForSms(fourth, since)).to).to.equal(fourth);
    });

    it('refuses the 3rd SMS or call to one block of numbers within the hour, whoever asks from wherever', async () => {
      // +1 213 373 42xx: one block (the number without its last four digits), three users, three addresses
      for (const [phone, ip] of [
        ['+12133734201', '192.0.2.51'],
        ['+12133734202', '192.0.2.52'],
      ] as const) {
        const since = Date.now();
        const { flow, page } = await numberField(enrolling, ip, 'sms');
        expect((await post(flow.browser, page, '/enroll/start', { phone })).status, phone).to.equal(200);
        expect((await twilio.waitForSms(phone, since)).to).to.equal(phone);
      }
      const { flow, page } = await numberField(enrolling, '192.0.2.53', 'sms');
      const refused = await post(flow.browser, page, '/enroll/start', { phone: '+12133734203' });
      expect(refused.status).to.equal(429);
      expect(alertText(refused.html)).to.match(TOO_MANY);
      expect(sentTo('+12133734203')).to.equal(0);

      // a number of the next block goes through
      const since = Date.now();
      const nextBlock = await post(flow.browser, refused, '/enroll/start', { phone: '+12133744203' });
      expect(nextBlock.status).to.equal(200);
      expect((await twilio.waitForSms('+12133744203', since)).to).to.equal('+12133744203');
    });
  });
}

async function open(browser: Browser, path: string): Promise<Page> {
  const { res, url, html } = await browser.navigate(path);
  return { status: res.status, url, html };
}
