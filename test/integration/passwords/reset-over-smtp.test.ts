import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { signIn } from '../../support/relying-party.ts';
import { openSignIn, submit } from '../../support/sign-in-pages.ts';
import { Browser } from '../../support/browser.ts';
import { linkIn } from '../../support/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.ts';

for (const kind of BACKENDS) {
  describe(`forgot password with the link sent over SMTP (${kind})`, () => {
    let sink: SmtpSink;
    let f: Fixture;
    let config: oidc.Configuration;
    before(async () => {
      sink = await startSmtpSink();
      ({ f, config } = await startFixture(kind, { env: { SMTP_URL: sink.url } }));
    });
    after(async () => {
      await disposeFixture(f);
      await sink?.close();
    });

    it('emails a text and HTML reset link through the SMTP server; the link sets a new password', async () => {
      // Arrange: ask for a link from the sign-in page, as a user would
      const since = Date.now();
      const { browser, page } = await openSignIn(config, f.client);
      const forgot = await browser.navigate(/href="([^"]*\/forgot)"/.exec(page.html)![1]!);
      const asked = await submit(browser, { status: 200, url: forgot.url, html: forgot.html }, '/forgot', { email: f.user.email });
      expect(asked.html).to.include('If an account exists for that address');

      // the mail really went over SMTP, in both parts, with the same link
      const mail = await sink.waitForMail(f.user.email.toUpperCase(), 'Reset your password', since);
      expect(mail.to).to.deep.equal([f.user.email]);
      expect(mail.text, 'text part').to.be.a('string').and.not.equal('');
      expect(mail.html, 'HTML part')
        .to.be.a('string')
        .and.match(/<html|<p|<a /i);
      const link = linkIn(mail.text!, '/password/reset/');
      expect(link.startsWith(`${f.server.url}/password/reset/`)).to.equal(true);
      expect(mail.html!.replace(/&amp;/g, '&')).to.include(`href="${link}"`);

      // Act: follow the link and choose a new password
      const resetBrowser = new Browser(f.server.url);
      const form = await resetBrowser.navigate(link);
      expect(form.res.status).to.equal(200);
      const next = 'lanterns drift over the quiet harbour';
      const done = await submit(resetBrowser, { status: 200, url: form.url, html: form.html }, '/password/reset/', { password: next, confirm: next });

      // Assert: changed, the new password signs in, and the change was confirmed by mail
      expect(done.html).to.include('Your password was changed');
      f.user.password = next;
      expect((await signIn(config, f.client, f.user)).callbackUrl.searchParams.get('code')).to.be.a('string');
      const notice = await sink.waitForMail(f.user.email, 'Your password was changed', since);
      expect(notice.text).to.be.a('string').and.not.equal('');
      expect(notice.html).to.be.a('string').and.not.equal('');
    });
  });
}
