import { expect } from 'chai';
import * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { exchange, signIn } from '../../support/relying-party.ts';
import { runCli } from '../../support/cli.ts';
import { forcePasswordReset, requirePasswordChange, setPolicy } from '../../support/accounts.ts';
import { openSignIn, submit, alertText } from '../../support/sign-in-pages.ts';
import { waitForMail, linkIn } from '../../support/outbox.ts';

const DAY = 86_400_000;

for (const kind of BACKENDS) {
  describe(`password policy and the change-password step (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    const clock = movableClock();
    before(async () => ({ f, config } = await startFixture(kind, { clock })));
    after(() => disposeFixture(f));

    it('refuses weak, common and reused passwords with a message for each, then lets a good one through', async () => {
      await requirePasswordChange(f, f.user.email);
      const { browser, page } = await openSignIn(config, f.client);
      let step = await submit(browser, page, '/login', f.user);
      expect(step.html).to.include('Choose a new password');
      expect(step.html).to.include('autocomplete="new-password"');

      // strength feedback while typing: the page loads its script from /assets (no inline script)
      expect(step.html).to.include('<script src="/assets/password-meter.js" defer></script>');
      expect(step.html).to.not.match(/<script>(?!<\/script>)/);
      const meterAction = /data-strength-action="([^"]+)"/.exec(step.html)![1]!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(step.html)![1]!;
      const weakFeedback = await browser.request(meterAction, { form: { csrf, password: 'kq7Zxw' }, headers: { accept: 'application/json' } });
      const weakBody = (await weakFeedback.json()) as { ok: boolean; messages: string[] };
      expect(weakBody.ok).to.equal(false);
      expect(weakBody.messages).to.include('Use at least 15 characters.');
      const goodFeedback = await browser.request(meterAction, {
        form: { csrf, password: 'velvet lanterns drift over quiet harbours' },
        headers: { accept: 'application/json' },
      });
      expect(((await goodFeedback.json()) as { ok: boolean }).ok).to.equal(true);
      expect((await fetch(`${f.server.url}/assets/password-meter.js`)).headers.get('content-type')).to.match(/javascript/);

      step = await submit(browser, step, '/change-password', { password: 'kq7Zxw', confirm: 'kq7Zxw' });
      expect(step.status).to.equal(400);
      expect(alertText(step.html)).to.include('Use at least 15 characters.').and.include('too easy to guess');

      step = await submit(browser, step, '/change-password', { password: '1qaz2wsx3edc4rfv', confirm: '1qaz2wsx3edc4rfv' });
      expect(alertText(step.html)).to.include('list of common or breached passwords');

      step = await submit(browser, step, '/change-password', { password: f.user.password, confirm: f.user.password });
      expect(alertText(step.html)).to.include('You used this password recently');

      step = await submit(browser, step, '/change-password', { password: 'alice@example.com', confirm: 'alice@example.com' });
      expect(alertText(step.html)).to.include('too easy to guess');

      step = await submit(browser, step, '/change-password', { password: 'a', confirm: 'b' });
      expect(alertText(step.html)).to.equal('The two passwords do not match.');

      const next = 'velvet lanterns drift over quiet harbours';
      step = await submit(browser, step, '/change-password', { password: next, confirm: next });
      expect(step.url, step.html.slice(step.html.indexOf('<h1>'), step.html.indexOf('<h1>') + 600)).to.match(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
      await waitForMail(f.server.url, f.user.email, 'Your password was changed');
      // the old password is gone, the new one works, and the forced change is over
      const again = await signIn(config, f.client, { email: f.user.email, password: next });
      expect(again.callbackUrl.searchParams.get('code')).to.be.a('string');
      f.user.password = next;
    });

    it('sends the user to the change step once the password is older than the tenant maximum age', async () => {
      await setPolicy(f, { password: { maxAgeDays: 90 } });
      clock.travel(89 * DAY);
      expect((await signIn(config, f.client, f.user)).callbackUrl.searchParams.get('code')).to.be.a('string');
      clock.travel(91 * DAY);
      const { browser, page } = await openSignIn(config, f.client);
      const step = await submit(browser, page, '/login', f.user);
      expect(step.html).to.include('Your password has expired');
      const next = 'copper kettles hum beneath the stairs';
      const done = await submit(browser, step, '/change-password', { password: next, confirm: next });
      expect(done.url).to.match(/callback\?code=/);
      f.user.password = next;
      clock.travel(0);
      await setPolicy(f, { password: { maxAgeDays: 0 } });
    });

    it('ends the other sessions and revokes their refresh tokens when the password changes', async () => {
      const elsewhere = await signIn(config, f.client, f.user);
      const tokens = await exchange(config, elsewhere);
      await requirePasswordChange(f, f.user.email);
      const { browser, page } = await openSignIn(config, f.client);
      const step = await submit(browser, page, '/login', f.user);
      const next = 'seven herons counting paper boats';
      await submit(browser, step, '/change-password', { password: next, confirm: next });
      f.user.password = next;

      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!).catch((e: unknown) => e);
      expect((refreshed as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      const reopened = await openSignIn(config, f.client, elsewhere.browser);
      expect(reopened.page.html, 'the other browser must sign in again').to.include('autocomplete="current-password"');
    });

    it('lets a browser already signed in as the user change the forced password and finish the sign-in (prompt=login)', async () => {
      const first = await signIn(config, f.client, f.user);
      await requirePasswordChange(f, f.user.email);
      const verifier = oidc.randomPKCECodeVerifier();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: f.client.redirectUri,
        scope: 'openid email',
        prompt: 'login',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      const opened = await first.browser.navigate(url.toString());
      const step = await submit(first.browser, { status: opened.res.status, url: opened.url, html: opened.html }, '/login', f.user);
      const next = 'nine lanterns over a quiet harbour';
      const done = await submit(first.browser, step, '/change-password', { password: next, confirm: next });
      f.user.password = next;
      expect(done.url, done.html.slice(0, 600)).to.match(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    });

    it('gives the reset link of a forced reset by email', async () => {
      const before = Date.now();
      await forcePasswordReset(f, f.user.email);
      const mail = await waitForMail(f.server.url, f.user.email, 'Reset your password', before - 1000);
      expect(linkIn(mail.text, '/password/reset/')).to.match(/\/password\/reset\/[A-Za-z0-9_-]{43}$/);
    });

    it('refuses a weak password for a new user from the CLI, with the reason', async () => {
      const result = await runCli(f.server.env, ['user', 'create', '--tenant', f.tenant, '--email', 'weak@example.com', '--password', 'password1']);
      expect(result.code).to.equal(1);
      expect(result.json.error).to.equal('user.weak_password');
      expect(String(result.json.message)).to.include('common or breached');
    });
  });
}
