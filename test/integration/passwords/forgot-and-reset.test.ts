import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { signIn } from '../../support/relying-party.ts';
import { openSignIn, submit, alertText } from '../../support/sign-in-pages.ts';
import { Browser, findForm } from '../../support/browser.ts';
import { outbox, waitForMail, linkIn } from '../../support/outbox.ts';

for (const kind of BACKENDS) {
  describe(`forgot password and reset links (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    const clock = movableClock();
    before(async () => {
      ({ f, config } = await startFixture(kind, { clock }));
      // these stories ask for more links for one address than the default hourly limit lets through
      const tenant = await f.server.container.tenants.getByName(f.tenant);
      await f.server.container.tenants.updatePolicy(tenant.id, { password: { resetEmailsPerAddressPerHour: 10 } });
    });
    after(() => disposeFixture(f));

    const requestLink = async (email: string) => {
      const { browser, page } = await openSignIn(config, f.client);
      const forgotHref = /href="([^"]*\/forgot)"/.exec(page.html)![1]!;
      const forgot = await browser.navigate(forgotHref);
      return submit(browser, { status: 200, url: forgot.url, html: forgot.html }, '/forgot', { email });
    };

    it('answers the same page whether or not the email has an account', async () => {
      const known = await requestLink(f.user.email);
      const unknown = await requestLink('nobody@example.com');
      expect(known.status).to.equal(unknown.status);
      const strip = (html: string) => html.replace(/value="[^"]*"/g, '').replace(/\/interaction\/[^/"]+/g, '');
      expect(strip(known.html)).to.equal(strip(unknown.html));
      expect(known.html).to.include('If an account exists for that address');
      await waitForMail(f.server.url, f.user.email, 'Reset your password');
      expect(await outbox(f.server.url, 'nobody@example.com')).to.deep.equal([]);
    });

    it('sets a new password through the emailed link, once; the link then says it was used', async () => {
      const since = Date.now();
      await requestLink(f.user.email);
      const mail = await waitForMail(f.server.url, f.user.email, 'Reset your password', since);
      const link = linkIn(mail.text, '/password/reset/');
      const browser = new Browser(f.server.url);
      const page = await browser.navigate(link);
      expect(page.res.status).to.equal(200);
      const weak = await submit(browser, { status: 200, url: page.url, html: page.html }, '/password/reset/', { password: 'password', confirm: 'password' });
      expect(weak.status).to.equal(400);
      expect(alertText(weak.html)).to.include('common or breached');
      const next = 'marble owls guard the winter orchard';
      const done = await submit(browser, weak, '/password/reset/', { password: next, confirm: next });
      expect(done.html).to.include('Your password was changed');
      f.user.password = next;
      expect((await signIn(config, f.client, f.user)).callbackUrl.searchParams.get('code')).to.be.a('string');

      const reused = await new Browser(f.server.url).navigate(link);
      expect(reused.res.status).to.equal(410);
      expect(reused.html).to.include('already been used');
      const replay = await fetch(link, { method: 'POST' });
      expect(replay.status).to.be.within(400, 499);
    });

    it('refuses an expired link with a clear page', async () => {
      const since = Date.now();
      await requestLink(f.user.email);
      const link = linkIn((await waitForMail(f.server.url, f.user.email, 'Reset your password', since)).text, '/password/reset/');
      clock.travel(61 * 60_000);
      try {
        const page = await new Browser(f.server.url).navigate(link);
        expect(page.res.status).to.equal(410);
        expect(page.html).to.include('This reset link has expired.');
      } finally {
        clock.travel(0);
      }
    });

    it('answers a made-up token with a 404 page, not an error', async () => {
      for (const token of ['x'.repeat(43), 'short', '%00%ff']) {
        const res = await fetch(`${f.server.url}/password/reset/${token}`, { headers: { accept: 'text/html' } });
        expect(res.status, token).to.equal(404);
        expect(await res.text()).to.include('This link cannot be used');
      }
    });

    it('needs the CSRF token to set the password', async () => {
      const since = Date.now();
      await requestLink(f.user.email);
      const link = linkIn((await waitForMail(f.server.url, f.user.email, 'Reset your password', since)).text, '/password/reset/');
      const browser = new Browser(f.server.url);
      const page = await browser.navigate(link);
      const form = findForm(page.html, '/password/reset/');
      const res = await browser.request(form.action, { form: { ...form.fields, csrf: 'forged', password: 'x', confirm: 'x' } });
      expect(res.status).to.equal(403);
    });
  });
}
