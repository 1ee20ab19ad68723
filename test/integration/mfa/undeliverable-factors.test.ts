import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { setPolicy } from '../../support/accounts.ts';
import { BACKENDS } from '../../support/backends.ts';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.ts';
import { enrollTotpDirectly, finishFlow, post, startFlow } from '../../support/two-factor.ts';
import { csrfOf, consoleSignIn, open, unlockSecurity } from '../console/support.ts';
import { alertText } from '../../support/sign-in-pages.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';

const STEP = 30_000;

/** the visible text of the element with this id */
const textById = (html: string, id: string) =>
  (new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</`).exec(html)?.[1] ?? '')
    .replace(/&#x27;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();

/** the error page: heading, lead, what to do next */
const errorPage = (html: string) => ({
  heading: /<h1>([^<]*)<\/h1>/.exec(html)?.[1],
  message: /<p class="lead">([^<]*)<\/p>/.exec(html)?.[1],
  next: /<\/p>\s*<p>([^<]*)<\/p>/.exec(html)?.[1],
});

/** the factor types a page offers as choices (sign-in enrolment, the account page's "Add a method") */
const choicesOn = (html: string) => [...html.matchAll(/<button type="submit" class="choice">([^<]*)<\/button>/g)].map((m) => m[1]);

for (const kind of BACKENDS) {
  describe(`second factors a deployment without a phone transport cannot deliver (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;
    let smtp: SmtpSink;
    let tenantId = '';
    const clock = movableClock();
    const smsOnly = { email: 'sam@example.com', password: 'sam has only a text message factor 7' };
    const totpHolder = { email: 'tia@example.com', password: 'tia holds an authenticator app 9' };
    let smsOnlyId = '';
    let totpSecret = '';

    const refusals = async () => (await f.server.container.audit.list({ tenantId, action: 'signin.refused_no_factor', limit: 10 })).events;

    before(async () => {
      smtp = await startSmtpSink();
      // production without the Twilio settings: no phone transport (outside production SMS would go to the dev outbox)
      ({ f, config } = await startFixture(kind, { clock, env: { NODE_ENV: 'production', SMTP_URL: smtp.url } }));
      expect(f.server.container.phone.transport).to.equal('none');
      const tenant = await f.server.container.tenants.getByName(f.tenant);
      tenantId = tenant.id;
      const { users, factors } = f.server.container;
      smsOnlyId = (await users.create({ tenantId, email: smsOnly.email, password: smsOnly.password })).id;
      const sms = await factors.addPending(smsOnlyId, 'sms', { phone: '+447400123456' });
      await factors.confirm(smsOnlyId, sms.id);
      await users.create({ tenantId, email: totpHolder.email, password: totpHolder.password });
      totpSecret = (await enrollTotpDirectly(f.server.container, f.tenant, totpHolder.email, clock.now())).secret;
      clock.travel(2 * STEP);
    });
    after(async () => {
      await disposeFixture(f);
      await smtp?.close();
    });

    describe('a tenant that allows only SMS', () => {
      before(() => setPolicy(f, { mfa: { mode: 'always', factors: ['sms'] } }));

      it('refuses a sign-in that needs a second factor with a clear 403 page, audited, and the sign-in ended', async () => {
        const flow = await startFlow(config, f.client, undefined);
        expect(flow.page.html).to.include('autocomplete="current-password"');
        const signInPage = flow.page;
        const page = await post(flow.browser, signInPage, '/login', { email: f.user.email, password: f.user.password });

        expect(page.status).to.equal(403);
        expect(errorPage(page.html)).to.deep.equal({
          heading: 'Two-step verification is not available',
          message: 'Your organisation requires a second sign-in step that this service cannot provide right now.',
          next: 'Contact your administrator.',
        });
        expect(page.html).to.include('<code>error.noDeliverableFactor</code>');
        expect(page.html).not.to.include('Set up two-step verification').and.not.to.include('Text message');

        const user = await f.server.container.users.findByEmail(tenantId, f.user.email);
        const events = (await refusals()).filter((e) => e.userId === user!.id);
        expect(events.map((e) => ({ actor: e.actor, ip: e.ip, details: e.details }))).to.deep.equal([
          { actor: `user:${user!.id}`, ip: '127.0.0.1', details: { allowed: ['sms'], reasons: ['mode-always', 'not-enrolled'] } },
        ]);

        // the sign-in's state is gone: the interaction shows the password form again, not an enrolment
        const again = await open(flow.browser, signInPage.url);
        expect(again.status).to.equal(200);
        expect(again.html).to.include('autocomplete="current-password"');
        expect(again.html).not.to.include('Set up two-step verification');
      });

      it('refuses a user whose only factor is SMS the same way', async () => {
        const flow = await startFlow(config, f.client, smsOnly);
        expect(flow.page.status).to.equal(403);
        expect(errorPage(flow.page.html).message).to.equal('Your organisation requires a second sign-in step that this service cannot provide right now.');
        const events = (await refusals()).filter((e) => e.userId === smsOnlyId);
        expect(events.map((e) => e.details)).to.deep.equal([{ allowed: ['sms'], reasons: ['mode-always', 'factors-disallowed'] }]);
      });

      it('offers nothing to add on the account page, says why, and refuses adding SMS', async () => {
        // optional: the password alone signs in to the account page
        await setPolicy(f, { mfa: { mode: 'optional' } });
        try {
          const { browser } = await consoleSignIn(f.server.url, `/account?tenant=${f.tenant}`, f.user);
          const page = await unlockSecurity(browser, f.user.password);
          expect(page.status).to.equal(200);
          expect(choicesOn(page.html)).to.deep.equal([]);
          expect(page.html).not.to.include('<h2>Add a method</h2>').and.not.to.include('id="phone-section"');
          expect(textById(page.html, 'undeliverable')).to.equal(
            'Your organisation allows these methods, but this service cannot provide them right now: Text message.',
          );

          const refused = await open(browser, '/account/security/factors/add', { csrf: csrfOf(page.html, '/account/security/lock'), type: 'sms' });
          expect(refused.status).to.equal(400);
          expect(alertText(refused.html)).to.equal('This method cannot be added to your account.');
          expect(await f.server.container.factors.list((await f.server.container.users.findByEmail(tenantId, f.user.email))!.id)).to.deep.equal([]);
        } finally {
          await setPolicy(f, { mfa: { mode: 'always' } });
        }
      });
    });

    describe('a tenant that allows SMS and TOTP', () => {
      before(() => setPolicy(f, { mfa: { mode: 'always', factors: ['sms', 'totp'] } }));

      it('offers only the authenticator app at the sign-in enrolment', async () => {
        const flow = await startFlow(config, f.client, f.user);
        expect(flow.page.status).to.equal(200);
        expect(flow.page.html).to.include('Set up two-step verification');
        expect(choicesOn(flow.page.html)).to.deep.equal(['Authenticator app']);
      });

      it('offers a user whose only factor is SMS the authenticator app to enrol', async () => {
        const flow = await startFlow(config, f.client, smsOnly);
        expect(flow.page.status).to.equal(200);
        expect(flow.page.html).to.include('Set up two-step verification');
        expect(choicesOn(flow.page.html)).to.deep.equal(['Authenticator app']);
      });

      it('asks a user who holds an authenticator app for its code, as ever', async () => {
        const flow = await startFlow(config, f.client, totpHolder);
        expect(flow.page.html).to.include('authenticator app');
        const done = await post(flow.browser, flow.page, '/mfa', { code: await totpCodeAt(totpSecret, clock.now()) });
        const { claims } = await finishFlow(config, f.client, flow, done);
        expect(claims.amr).to.deep.equal(['pwd', 'otp', 'mfa']);
      });

      it('offers only the authenticator app on the account page, and says SMS cannot be provided', async () => {
        await setPolicy(f, { mfa: { mode: 'optional' } });
        try {
          const { browser } = await consoleSignIn(f.server.url, `/account?tenant=${f.tenant}`, f.user);
          const page = await unlockSecurity(browser, f.user.password);
          expect(page.status).to.equal(200);
          expect(page.html).to.include('<h2>Add a method</h2>');
          expect(choicesOn(page.html)).to.deep.equal(['Authenticator app']);
          expect(page.html).not.to.include('id="phone-section"');
          expect(textById(page.html, 'undeliverable')).to.equal(
            'Your organisation allows these methods, but this service cannot provide them right now: Text message.',
          );
        } finally {
          await setPolicy(f, { mfa: { mode: 'always' } });
        }
      });
    });
  });
}
