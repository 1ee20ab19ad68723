import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { openSignIn, submit, type Page } from '../../support/sign-in-pages.ts';
import { Browser, findForm } from '../../support/browser.ts';
import { requirePasswordChange } from '../../support/accounts.ts';
import { linkIn } from '../../support/outbox.ts';
import { startSmtpSink, type SmtpSink } from '../../support/smtp-sink.ts';
import { consoleSignIn, unlockSecurity } from '../console/support.ts';
import { post } from '../../support/two-factor.ts';

const SUBJECT = 'Reset your password';
const NO_LONGER_WORKS = 'This reset link no longer works: a newer link was sent, or the password was changed since.';

for (const kind of BACKENDS) {
  describe(`reset links stop working when a newer one is sent or the password changes (${kind})`, function () {
    this.timeout(60_000);
    let sink: SmtpSink;
    let f: Fixture;
    let config: oidc.Configuration;
    let tenantId: string;
    before(async () => {
      sink = await startSmtpSink();
      ({ f, config } = await startFixture(kind, { env: { SMTP_URL: sink.url } }));
      tenantId = (await f.server.container.tenants.getByName(f.tenant)).id;
    });
    after(async () => {
      await disposeFixture(f);
      await sink?.close();
    });

    /** a user of its own for each story, so no story sees another's links */
    const newUser = async (name: string) => {
      const user = { email: `${name}@example.com`, password: `the old passphrase of ${name} 2024` };
      await f.server.container.users.create({ tenantId, email: user.email, password: user.password, firstName: name });
      return user;
    };

    /** "Forgot your password?" on the sign-in page, as a user would */
    const forgot = async (email: string) => {
      const { browser, page } = await openSignIn(config, f.client);
      const form = await browser.navigate(/href="([^"]*\/forgot)"/.exec(page.html)![1]!);
      const sent = await submit(browser, { status: 200, url: form.url, html: form.html }, '/forgot', { email });
      expect(sent.html).to.include('If an account exists for that address');
    };

    /** the reset links mailed to the address so far, waiting for the `count`-th */
    const links = async (email: string, count: number) => (await sink.waitForMails(email, SUBJECT, count)).map((m) => linkIn(m.text!, '/password/reset/'));

    const openLink = async (link: string): Promise<{ browser: Browser; page: Page }> => {
      const browser = new Browser(f.server.url);
      const { res, url, html } = await browser.navigate(link);
      return { browser, page: { status: res.status, url, html } };
    };

    const expectRefused = (page: Page) => {
      expect(page.status).to.equal(410);
      expect(page.html).to.include('This link cannot be used');
      expect(page.html).to.include(NO_LONGER_WORKS);
    };

    it('refuses the older link once a newer one was sent and used, even with its form already open', async () => {
      const user = await newUser('ada');
      await forgot(user.email);
      const [first] = await links(user.email, 1);
      const firstForm = await openLink(first!);
      expect(firstForm.page.status).to.equal(200);

      await forgot(user.email);
      const second = (await links(user.email, 2))[1]!;
      expect(second).to.not.equal(first);
      const secondForm = await openLink(second);
      const chosen = 'copper kettles hum in the morning fog';
      const done = await submit(secondForm.browser, secondForm.page, '/password/reset/', { password: chosen, confirm: chosen });
      expect(done.status).to.equal(200);
      expect(done.html).to.include('Your password was changed');

      const late = 'seven herons wade through the cold river';
      expectRefused(await submit(firstForm.browser, firstForm.page, '/password/reset/', { password: late, confirm: late }));
      expectRefused((await openLink(first!)).page);
    });

    it('refuses the older link as soon as a newer one is sent, before that one is used', async () => {
      const user = await newUser('brook');
      await forgot(user.email);
      await links(user.email, 1);
      await forgot(user.email);
      const [first, second] = await links(user.email, 2);

      expectRefused((await openLink(first!)).page);
      const newest = await openLink(second!);
      expect(newest.page.status).to.equal(200);
      expect(newest.page.html).to.include('autocomplete="new-password"');
    });

    it('lets only one of two links used at the same moment set the password', async () => {
      const user = await newUser('cyd');
      await Promise.all([forgot(user.email), forgot(user.email)]);
      const both = await links(user.email, 2);
      // one browser holds the form of whichever link still opens; its fields go to both links at once
      const opened = await Promise.all(both.map(openLink));
      const open = opened.find((o) => o.page.status === 200)!;
      const fields = findForm(open.page.html, '/password/reset/').fields;
      const chosen = 'amber lanterns sway above the harbour';
      const answers = await Promise.all(both.map((link) => open.browser.navigate(link, { form: { ...fields, password: chosen, confirm: chosen } })));

      expect(answers.map((a) => a.res.status).sort()).to.deep.equal([200, 410]);
      expect(answers.filter((a) => a.html.includes('Your password was changed'))).to.have.length(1);
    });

    it('refuses a link sent before the user changed the password in the account console', async () => {
      const user = await newUser('dara');
      await forgot(user.email);
      const [link] = await links(user.email, 1);

      const { browser } = await consoleSignIn(f.server.url, `/account?tenant=${f.tenant}`, user);
      const security = await unlockSecurity(browser, user.password);
      const fresh = 'quiet orchards keep their winter apples';
      const changed = await post(browser, security, '/account/security/password', { current: user.password, password: fresh, confirm: fresh });
      expect(changed.status).to.equal(200);
      expect(changed.html).to.include('Your password was changed');

      expectRefused((await openLink(link!)).page);
    });

    it("refuses a reset link once the user chose a new password at the sign-in's change step", async () => {
      const user = await newUser('emil');
      await forgot(user.email);
      const [link] = await links(user.email, 1);
      await requirePasswordChange(f, user.email);

      const { browser, page } = await openSignIn(config, f.client);
      const step = await submit(browser, page, '/login', user);
      expect(step.html).to.include('Choose a new password');
      const fresh = 'slow barges carry salt down the canal';
      const done = await submit(browser, step, '/change-password', { password: fresh, confirm: fresh });
      expect(done.url).to.match(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);

      expectRefused((await openLink(link!)).page);
    });
  });
}
