import { expect } from 'chai';
import * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { createUser } from '../../support/accounts.ts';
import { Browser } from '../../support/browser.ts';
import { linkIn, outbox, waitForMail } from '../../support/outbox.ts';
import { exchange, signIn } from '../../support/relying-party.ts';
import { openSignIn, submit, alertText, type Page } from '../../support/sign-in-pages.ts';
import type { Container } from '../../../src/app/container.ts';
import type { User } from '../../../src/accounts/users.ts';

const DAY = 86_400_000;
const FAILED = 'The email address or password is not correct.';
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
/** the test's requests come from the loopback address (no proxy is trusted) */
const CLIENT_IP = '127.0.0.1';
const SUBJECTS = {
  'new-device': 'New sign-in to your account',
  'account-locked': 'Your account was locked',
  'password-changed': 'Your password was changed',
  'factor-added': 'A two-step verification method was added',
  'factor-removed': 'A two-step verification method was removed',
  'email-changed': 'Your email address was changed',
} as const;
type Notice = keyof typeof SUBJECTS;
const LEADS: Record<Notice, (tenant: string) => string> = {
  'new-device': (t) => `You are reporting that the sign-in to your ${t} account from a new device was not you.`,
  'account-locked': (t) => `You are reporting that the wrong passwords that locked your ${t} account were not yours.`,
  'password-changed': (t) => `You are reporting that you did not change the password of your ${t} account.`,
  'factor-added': (t) => `You are reporting that you did not add a two-step verification method to your ${t} account.`,
  'factor-removed': (t) => `You are reporting that you did not remove a two-step verification method from your ${t} account.`,
  'email-changed': (t) => `You are reporting that you did not expect the change of your ${t} account's email address.`,
};
const LINK_TEXT = "This wasn't me\n";
const LINK_LINE = 'Opens a page that blocks your password at once, signs you out everywhere and emails you a link to choose a new one.';
const CANNOT = 'This link cannot be used';

/** the page's visible text, tags dropped and entities read */
const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/&#x3D;/g, '=')
    .replace(/\s+/g, ' ')
    .trim();
const leadOf = (html: string) => textOf(/<p class="lead"[^>]*>([\s\S]*?)<\/p>/.exec(html)?.[1] ?? '');
const headingOf = (html: string) => textOf(/<h1>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? '');

/**
 * The "This wasn't me" link of security notices: every notice carries one; its page asks to
 * confirm; confirming blocks the password, ends sessions, refresh tokens and devices, emails the
 * reset link and the tenant's owners, and is audited. Used, expired and tampered links are refused.
 */
for (const kind of BACKENDS) {
  describe(`"This wasn't me" links in security notices (${kind})`, function () {
    this.timeout(90_000);
    let f: Fixture;
    let config: oidc.Configuration;
    let c: Container;
    let tenantId = '';
    const clock = movableClock();
    let counter = 0;

    before(async () => {
      ({ f, config } = await startFixture(kind, { clock }));
      c = f.server.container;
      tenantId = (await c.tenants.getByName(f.tenant)).id;
      await createUser(f, { email: 'olga@example.com', password: 'the owner olga has a long passphrase', role: 'owner', firstName: 'Olga' });
      const otto = await createUser(f, { email: 'otto@example.com', password: 'the owner otto has a long passphrase', role: 'owner' });
      await c.lifecycle.deactivate({ userId: otto.id, actor: 'cli' });
      await createUser(f, { email: 'adam@example.com', password: 'the admin adam has a long passphrase', role: 'admin' });
    });
    after(() => disposeFixture(f));
    afterEach(() => clock.travel(0));

    const newUser = async (role = 'member'): Promise<User & { password: string }> => {
      counter += 1;
      const password = `the passphrase of user number ${counter} here`;
      const user = await createUser(f, { email: `reporter${counter}@example.com`, password, role, firstName: 'Rita', lastName: `Number${counter}` });
      return { ...user, password };
    };
    const browser = () => {
      const b = new Browser(f.server.url);
      b.headers['user-agent'] = UA;
      return b;
    };
    const open = async (b: Browser, link: string): Promise<Page> => {
      const { res, url, html } = await b.navigate(link);
      return { status: res.status, url, html };
    };
    const notMeLink = async (to: string, notice: Notice, since: number) => {
      const mail = await waitForMail(f.server.url, to, SUBJECTS[notice], since);
      expect(mail.text, notice).to.include(`${LINK_TEXT}${f.server.url}/account/not-me/`).and.include(LINK_LINE);
      return linkIn(mail.text, '/account/not-me/');
    };
    /** makes the notice go out through the service that sends it, and returns its link */
    const notice = async (user: User, which: Notice): Promise<string> => {
      const since = clock.now();
      const tenant = await c.tenants.getByName(f.tenant);
      if (which === 'account-locked') await c.recovery.notifyLocked(tenant, user, 10);
      if (which === 'password-changed') await c.notifications.passwordChanged(user);
      if (which === 'factor-added') await c.notifications.factorAdded(user, 'totp');
      if (which === 'factor-removed') await c.notifications.factorRemoved(user, 'sms');
      if (which === 'new-device') await signIn(config, f.client, { email: user.email, password: (user as User & { password: string }).password });
      if (which === 'email-changed') {
        const moved = `moved-${user.email}`;
        await c.emailChanges.requestEmailChange({ userId: user.id, newEmail: moved, actor: 'cli' });
        const confirm = await waitForMail(f.server.url, moved, 'Confirm your new email address', since);
        const b = browser();
        const page = await open(b, linkIn(confirm.text, '/email-change/'));
        expect((await submit(b, page, '/email-change/', {})).status).to.equal(200);
      }
      return notMeLink(user.email, which, since);
    };
    const passwordStep = async (credentials: { email: string; password: string }) => {
      const { browser: b, page } = await openSignIn(config, f.client);
      return submit(b, page, '/login', credentials);
    };
    const reports = async (userId: string) =>
      (await c.audit.list({ tenantId, userId, action: 'account.reported_not_me', limit: 10 })).events.map((e) => ({ actor: e.actor, details: e.details }));

    it('confirming blocks the password, ends the session, refresh tokens, devices and API tokens, emails the reset link and the owners, and is audited', async () => {
      const user = await newUser('admin');
      const since = clock.now();
      const tokens = await exchange(config, await signIn(config, f.client, user));
      const tenant = await c.tenants.getByName(f.tenant);
      await c.devices.remember({ userId: user.id, tenantId, userAgent: UA, ip: CLIENT_IP, policy: tenant.policy.devices });
      await c.apiTokens.create(user.id, { name: 'script', scopes: ['admin:read'] }, 'cli');
      const link = await notMeLink(user.email, 'new-device', since);

      const b = browser();
      const page = await open(b, link);
      expect(page.status).to.equal(200);
      expect(headingOf(page.html)).to.equal('Secure your account');
      expect(leadOf(page.html)).to.equal(LEADS['new-device'](f.tenant));
      expect(textOf(page.html)).to.include(
        'When you confirm: Your password stops working at once, for whoever knows it. Every session, remembered device and API token of your account ends. ' +
          'We email you a link to choose a new password; only that link lets you sign in again. The owners of your organisation are told. Secure my account',
      );
      expect((await c.users.findById(user.id))?.resetRequired, 'opening the page changes nothing').to.equal(false);
      expect(await c.devices.list(user.id)).to.have.length(1);
      expect((await c.apiTokens.list(user.id)).map((t) => t.status)).to.deep.equal(['active']);

      const confirmedAt = clock.now();
      const done = await submit(b, page, '/account/not-me/', {});
      expect(done.status).to.equal(200);
      expect(headingOf(done.html)).to.equal('Your account is secured');
      expect(leadOf(done.html)).to.equal(`We sent a link to ${user.email} to choose a new password. Until then, your old password signs nothing in.`);

      const refused = await passwordStep(user);
      expect(refused.status).to.equal(401);
      expect(alertText(refused.html)).to.equal(FAILED);
      const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!).catch((e: unknown) => e);
      expect((refreshed as oidc.ResponseBodyError).error).to.equal('invalid_grant');
      expect(await c.devices.list(user.id)).to.deep.equal([]);
      expect((await c.apiTokens.list(user.id)).map((t) => t.status)).to.deep.equal(['revoked']);
      expect((await c.users.findById(user.id))?.resetRequired).to.equal(true);

      const reset = await waitForMail(f.server.url, user.email, 'Reset your password', confirmedAt);
      expect(reset.text).to.include(`${f.server.url}/password/reset/`);
      const owner = await waitForMail(f.server.url, 'olga@example.com', `${user.email} reported a sign-in or change they did not make`, confirmedAt);
      expect(owner.text).to.include(
        `Rita Number${counter} (${user.email}) of ${f.tenant} used the “This wasn't me” link of a security email, reporting that they did not make the sign-in or change it described.`,
      );
      expect(owner.text).to.include('The email was: New sign-in to your account');
      for (const other of ['otto@example.com', 'adam@example.com', user.email]) {
        expect(
          (await outbox(f.server.url, other)).filter((m) => m.subject.includes('reported a sign-in')),
          other,
        ).to.deep.equal([]);
      }

      const { events } = await c.audit.list({ tenantId, userId: user.id, limit: 20 });
      const reported = events.find((e) => e.action === 'account.reported_not_me');
      expect(reported).to.deep.include({ actor: `user:${user.id}`, ip: CLIENT_IP, userAgent: UA, details: { notice: 'new-device' } });
      const forced = events.find((e) => e.action === 'password.reset_forced');
      expect(forced).to.deep.include({ actor: `user:${user.id}`, ip: CLIENT_IP, userAgent: UA });

      // once only: the same form again, and the link itself
      const again = await submit(b, page, '/account/not-me/', {});
      expect(again.status).to.equal(410);
      expect(headingOf(again.html)).to.equal(CANNOT);
      expect(leadOf(again.html)).to.equal('This link has already been used.');
      const reopened = await open(browser(), link);
      expect(reopened.status).to.equal(410);
      expect(leadOf(reopened.html)).to.equal('This link has already been used.');
      expect(await reports(user.id)).to.have.length(1);
    });

    it('every notice carries its own working link, naming the notice in the page and the audit; using one voids the others', async () => {
      const notices = Object.keys(SUBJECTS) as Notice[];
      for (const which of notices) {
        const user = await newUser();
        const link = await notice(user, which);
        // a second notice of the same user keeps the first link working; using one voids the other
        const other = which === 'factor-added' ? await notice(user, 'factor-removed') : await notice(user, 'factor-added');
        const b = browser();
        const page = await open(b, link);
        expect(page.status, which).to.equal(200);
        expect(leadOf(page.html), which).to.equal(LEADS[which](f.tenant));
        const done = await submit(b, page, '/account/not-me/', {});
        expect(done.status, which).to.equal(200);
        expect(await reports(user.id), which).to.deep.equal([{ actor: `user:${user.id}`, details: { notice: which } }]);
        const voided = await open(browser(), other);
        expect(voided.status, which).to.equal(410);
        expect(leadOf(voided.html), which).to.equal('This account was already secured through the link of another email.');
      }
    });

    it('refuses a link past its 7 days, also when its page was opened in time', async () => {
      const user = await newUser();
      const link = await notice(user, 'factor-added');
      const b = browser();
      const page = await open(b, link);
      expect(page.status).to.equal(200);
      clock.travel(7 * DAY - 60_000);
      expect((await open(browser(), link)).status, 'a minute before it expires').to.equal(200);
      clock.travel(7 * DAY + 1000);
      const late = await submit(b, page, '/account/not-me/', {});
      expect(late.status).to.equal(410);
      expect(headingOf(late.html)).to.equal(CANNOT);
      expect(leadOf(late.html)).to.equal('This link has expired.');
      expect(textOf(late.html)).to.include(
        'If you still think someone else is using your account, choose a new password with “Forgot your password?” on the sign-in page, and tell your account owner.',
      );
      expect((await open(browser(), link)).status).to.equal(410);
      expect((await c.users.findById(user.id))?.resetRequired).to.equal(false);
      expect(await reports(user.id)).to.deep.equal([]);
    });

    it('refuses a tampered link, and a reset link used as one, changing nothing', async () => {
      const user = await newUser();
      const link = await notice(user, 'password-changed');
      const token = link.slice(link.lastIndexOf('/') + 1);
      const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
      const b = browser();
      const page = await open(b, link);
      for (const bad of [flipped, token.slice(0, -1), `${token}x`, 'not-a-token']) {
        const opened = await open(browser(), `/account/not-me/${bad}`);
        expect(opened.status, bad).to.equal(404);
        expect(headingOf(opened.html), bad).to.equal(CANNOT);
        expect(leadOf(opened.html), bad).to.equal('This link is not valid.');
        const posted = await submit(b, { ...page, html: page.html.replace(token, bad) }, `/account/not-me/${bad}`, {});
        expect(posted.status, bad).to.equal(404);
      }
      const since = clock.now();
      await c.recovery.request(await c.tenants.getByName(f.tenant), user.email, {});
      const resetLink = linkIn((await waitForMail(f.server.url, user.email, 'Reset your password', since)).text, '/password/reset/');
      const resetToken = resetLink.slice(resetLink.lastIndexOf('/') + 1);
      expect((await open(browser(), `/account/not-me/${resetToken}`)).status).to.equal(404);
      expect((await c.users.findById(user.id))?.resetRequired).to.equal(false);
      expect(await reports(user.id)).to.deep.equal([]);
      // the real link still works afterwards
      expect((await submit(b, page, '/account/not-me/', {})).status).to.equal(200);
    });

    it('refuses a confirmation without the form token', async () => {
      const user = await newUser();
      const link = await notice(user, 'factor-removed');
      const res = await browser().request(link, { form: { csrf: 'forged' } });
      expect(res.status).to.equal(403);
      expect((await c.users.findById(user.id))?.resetRequired).to.equal(false);
    });
  });
}
