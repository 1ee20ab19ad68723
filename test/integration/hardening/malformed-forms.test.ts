import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { Browser, findForm } from '../../support/browser.ts';
import { signIn } from '../../support/relying-party.ts';
import { openSignIn, submit } from '../../support/sign-in-pages.ts';
import { outbox, waitForMail, linkIn } from '../../support/outbox.ts';
import { consoleSignIn, open, sessionsOn, unlockSecurity } from '../console/support.ts';

/**
 * Forms of the hosted sign-in and the account console that no page of ours sends: a field
 * twice (it arrives as a list), a field as an object (`a[b]=c`), a value longer than any form
 * allows. Each gets 400 and the "form could not be read" page (JSON for the strength meter),
 * and changes nothing: the same sign-in, password and link still work afterwards.
 */
const HEADING = '<h1>The form could not be read</h1>';
const MESSAGE = '<p class="lead">A field of the form was sent more than once, in an unexpected shape, or longer than allowed. Nothing was changed.</p>';

/** posts exactly these fields (repeats kept, in order) with the browser's cookies; redirects are not followed */
async function postFields(browser: Browser, action: string, fields: [string, string][], accept = 'text/html') {
  const res = await fetch(new URL(action, browser.origin), {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams(fields).toString(),
    headers: {
      ...browser.headers,
      accept,
      'content-type': 'application/x-www-form-urlencoded',
      cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
    },
  });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

function expectRefusedForm(answer: { status: number; type: string; body: string }) {
  expect(answer.status, answer.body.slice(0, 500)).to.equal(400);
  expect(answer.type).to.match(/^text\/html/);
  expect(answer.body).to.include(HEADING).and.to.include(MESSAGE).and.to.include('<code>error.form</code>');
}

for (const kind of BACKENDS) {
  describe(`malformed sign-in and account forms (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    before(async () => ({ f, config } = await startFixture(kind)));
    after(() => disposeFixture(f));

    describe('hosted sign-in', () => {
      it('refuses the email twice, a password object and an over-long password with 400; the same sign-in then goes through', async () => {
        const { browser, page } = await openSignIn(config, f.client);
        const form = findForm(page.html, '/login');
        const csrf = form.fields.csrf!;
        const twice = await postFields(browser, form.action, [
          ['csrf', csrf],
          ['email', f.user.email],
          ['email', f.user.email],
          ['password', f.user.password],
        ]);
        expectRefusedForm(twice);
        const object = await postFields(browser, form.action, [
          ['csrf', csrf],
          ['email', f.user.email],
          ['password[value]', f.user.password],
        ]);
        expectRefusedForm(object);
        const long = await postFields(browser, form.action, [
          ['csrf', csrf],
          ['email', f.user.email],
          ['password', 'p'.repeat(1025)],
        ]);
        expectRefusedForm(long);

        const done = await submit(browser, page, '/login', { email: f.user.email, password: f.user.password });
        expect(done.url).to.match(new RegExp(`^${f.client.redirectUri.replace(/[.?]/g, '\\$&')}\\?code=`));
      });

      it('still answers an empty sign-in form with its own message', async () => {
        const { browser, page } = await openSignIn(config, f.client);
        const form = findForm(page.html, '/login');
        const empty = await postFields(browser, form.action, [['csrf', form.fields.csrf!]]);
        expect(empty.status).to.equal(400);
        expect(empty.body).to.include('Enter your email address and password.').and.not.to.include(HEADING);
      });

      it('answers the strength meter with JSON: the malformed form says so, a well-formed one keeps its answer', async () => {
        const { browser, page } = await openSignIn(config, f.client);
        const csrf = findForm(page.html, '/login').fields.csrf!;
        const meter = `${new URL(page.url).pathname}/password-strength`;
        const twice = await postFields(
          browser,
          meter,
          [
            ['csrf', csrf],
            ['password', 'a'],
            ['password', 'b'],
          ],
          'application/json',
        );
        expect(twice.status).to.equal(400);
        const body = JSON.parse(twice.body) as Record<string, unknown>;
        expect({ error: body.error, message: body.message }).to.deep.equal({
          error: 'error.form',
          message: 'The form could not be read: password was sent more than once',
        });
        const long = await postFields(
          browser,
          meter,
          [
            ['csrf', csrf],
            ['password', 'x'.repeat(1025)],
          ],
          'application/json',
        );
        expect(long.status).to.equal(400);
        expect((JSON.parse(long.body) as { message: string }).message).to.equal('The form could not be read: password is longer than 1024 characters');
        const wellFormed = await postFields(
          browser,
          meter,
          [
            ['csrf', csrf],
            ['password', 'x'],
          ],
          'application/json',
        );
        expect(wellFormed.status).to.equal(400);
        expect(JSON.parse(wellFormed.body)).to.deep.equal({ error: 'request.invalid', message: 'No password change is in progress' });
      });

      it('refuses a forgot-password form with the email twice and sends nothing; a reset link survives a malformed form', async () => {
        const { browser, page } = await openSignIn(config, f.client);
        const forgotHref = /href="([^"]*\/forgot)"/.exec(page.html)![1]!;
        const forgot = await browser.navigate(forgotHref);
        const form = findForm(forgot.html, '/forgot');
        const twice = await postFields(browser, form.action, [
          ['csrf', form.fields.csrf!],
          ['email', f.user.email],
          ['email', 'mallory@example.com'],
        ]);
        expectRefusedForm(twice);
        const resets = async () => (await outbox(f.server.url, f.user.email)).filter((m) => m.subject === 'Reset your password');
        expect(await resets()).to.deep.equal([]);

        const since = Date.now();
        const sent = await submit(browser, { status: 200, url: forgot.url, html: forgot.html }, '/forgot', { email: f.user.email });
        expect(sent.status).to.equal(200);
        const link = linkIn((await waitForMail(f.server.url, f.user.email, 'Reset your password', since)).text, '/password/reset/');
        const holder = new Browser(f.server.url);
        const reset = await holder.navigate(link);
        const resetForm = findForm(reset.html, '/password/reset/');
        const next = 'marble owls guard the winter orchard';
        const confirmTwice = await postFields(holder, resetForm.action, [
          ['csrf', resetForm.fields.csrf!],
          ['password', next],
          ['confirm', next],
          ['confirm', next],
        ]);
        expectRefusedForm(confirmTwice);
        expect((await signIn(config, f.client, f.user)).callbackUrl.searchParams.get('code'), 'the old password still works').to.be.a('string');
        const again = await holder.navigate(link);
        expect(again.res.status, 'the link is still unused').to.equal(200);
        expect(again.html).to.include('autocomplete="new-password"');
      });
    });

    describe('account console', () => {
      it('refuses a repeated unlock password with 400, then opens with the password', async () => {
        const { browser } = await consoleSignIn(f.server.url, `/account?tenant=${f.tenant}`, f.user);
        const locked = await open(browser, '/account/security');
        const form = findForm(locked.html, '/account/security/unlock');
        const twice = await postFields(browser, form.action, [
          ['csrf', form.fields.csrf!],
          ['password', f.user.password],
          ['password', f.user.password],
        ]);
        expectRefusedForm(twice);
        const opened = await unlockSecurity(browser, f.user.password);
        expect(opened.status).to.equal(200);
        expect(opened.html).to.include('id="password-form"');
      });

      it('refuses a password change with the new password twice or an over-long current one; the password is unchanged', async () => {
        const { browser } = await consoleSignIn(f.server.url, `/account?tenant=${f.tenant}`, f.user);
        const page = await unlockSecurity(browser, f.user.password);
        const form = findForm(page.html, '/account/security/password');
        const next = 'a fresh passphrase for alice 99';
        const twice = await postFields(browser, form.action, [
          ['csrf', form.fields.csrf!],
          ['current', f.user.password],
          ['password', next],
          ['password', next],
          ['confirm', next],
        ]);
        expectRefusedForm(twice);
        const long = await postFields(browser, form.action, [
          ['csrf', form.fields.csrf!],
          ['current', 'c'.repeat(1025)],
          ['password', next],
          ['confirm', next],
        ]);
        expectRefusedForm(long);
        expect((await signIn(config, f.client, f.user)).callbackUrl.searchParams.get('code'), 'the old password still works').to.be.a('string');
      });

      it('refuses a name sent as an object or twice, or a session handle twice; nothing changes', async () => {
        const { browser, page } = await consoleSignIn(f.server.url, `/account?tenant=${f.tenant}`, f.user);
        const tenant = await f.server.container.tenants.getByName(f.tenant);
        const before = (await f.server.container.users.findByEmail(tenant.id, f.user.email))!;
        const profile = findForm(page.html, '/account/profile');
        const object = await postFields(browser, profile.action, [
          ['csrf', profile.fields.csrf!],
          ['firstName[first]', 'Mallory'],
          ['lastName', 'Ng'],
        ]);
        expectRefusedForm(object);
        const twice = await postFields(browser, profile.action, [
          ['csrf', profile.fields.csrf!],
          ['firstName', 'Mallory'],
          ['firstName', 'Eve'],
          ['lastName', 'Ng'],
        ]);
        expectRefusedForm(twice);
        const after = (await f.server.container.users.findByEmail(tenant.id, f.user.email))!;
        expect([after.firstName, after.lastName]).to.deep.equal([before.firstName, before.lastName]);

        const security = await unlockSecurity(browser, f.user.password);
        const sessions = sessionsOn(security.html);
        expect(sessions.length).to.be.greaterThan(1);
        const end = findForm(security.html, '/account/security/sessions/end');
        const handles = await postFields(browser, end.action, [
          ['csrf', end.fields.csrf!],
          ['session', end.fields.session!],
          ['session', end.fields.session!],
        ]);
        expectRefusedForm(handles);
        const still = await open(browser, '/account/security');
        expect(still.status).to.equal(200);
        expect(
          sessionsOn(still.html).map((x) => x.handle),
          'no session was ended',
        ).to.deep.equal(sessions.map((x) => x.handle));
      });
    });
  });
}
