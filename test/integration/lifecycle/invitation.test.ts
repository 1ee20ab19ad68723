import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { signIn } from '../../support/relying-party.ts';
import { cli } from '../../support/cli.ts';
import { openSignIn, submit, alertText, type Page } from '../../support/sign-in-pages.ts';
import { Browser, findForm } from '../../support/browser.ts';
import { waitForMail, linkIn } from '../../support/outbox.ts';
import { AuditEventEntity, UserEntity } from '../../../src/store/entities/index.ts';

const HOUR = 3_600_000;
const GOOD = 'amber kites follow the slow river home';

for (const kind of BACKENDS) {
  describe(`invitations: invite, verify by link, then sign in (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    const clock = movableClock();
    before(async () => ({ f, config } = await startFixture(kind, { clock })));
    after(() => disposeFixture(f));
    afterEach(() => clock.travel(0));

    const invitationMail = async (email: string, since: number) => {
      const mail = await waitForMail(f.server.url, email, `You are invited to ${f.tenant}`, since);
      return { link: linkIn(mail.text, '/invitation/'), mail };
    };
    /** `latchkey user invite`, whose printed user and expiry the first test reads */
    const inviteThroughCli = async (email: string, extra: string[] = []) => {
      const since = Date.now();
      const out = await cli(f.server.env, ['user', 'invite', '--tenant', f.tenant, '--email', email, '--first-name', 'Iris', ...extra]);
      return { out, ...(await invitationMail(email, since)) };
    };
    /** the same invitation made in process, where the command is not what the test is about */
    const invite = async (email: string) => {
      const since = Date.now();
      const { id: tenantId } = await f.server.container.tenants.getByName(f.tenant);
      const { user } = await f.server.container.invitations.invite({ tenantId, email, firstName: 'Iris', actor: 'cli' });
      return { user, ...(await invitationMail(email, since)) };
    };
    const open = async (link: string, browser = new Browser(f.server.url)): Promise<{ browser: Browser; page: Page }> => {
      const { res, url, html } = await browser.navigate(link);
      return { browser, page: { status: res.status, url, html } };
    };
    const signInFailure = async (email: string, password: string) => {
      const { browser, page } = await openSignIn(config, f.client);
      return submit(browser, page, '/login', { email, password });
    };
    const auditActions = async (userId: string) =>
      (await f.server.container.db.em().find(AuditEventEntity, { userId }, { orderBy: { createdAt: 'asc' } })).map((e) => e.action);

    it('creates an invited user without a password and emails a 72-hour link', async () => {
      const { out, mail } = await inviteThroughCli('iris@example.com', ['--role', 'admin']);
      const user = out.user as { id: string; status: string; role: string };
      expect(user).to.include({ status: 'invited', role: 'admin' });
      const expires = Date.parse((out.invitation as { expires_at: string }).expires_at);
      expect(expires - Date.now()).to.be.within(71.9 * HOUR, 72.1 * HOUR);
      expect(mail.text).to.include('expires in 72 hours').and.include('Hello Iris,');
      const stored = await f.server.container.db.em().findOneOrFail(UserEntity, { id: user.id });
      expect(stored.emailVerified).to.equal(false);
      expect(await auditActions(user.id)).to.include('user.invited');
    });

    it('refuses to sign in before the invitation is accepted, with the same message as an unknown user', async () => {
      await invite('ivan@example.com');
      const invited = await signInFailure('ivan@example.com', GOOD);
      const unknown = await signInFailure('nobody@example.com', GOOD);
      expect(invited.status).to.equal(401);
      expect(alertText(invited.html)).to.equal('The email address or password is not correct.');
      expect(alertText(unknown.html)).to.equal(alertText(invited.html));
    });

    it('sets the password under the rules, verifies the address, then signs in; the link works once', async () => {
      const { user, link } = await invite('ines@example.com');
      const { browser, page } = await open(link);
      expect(page.status).to.equal(200);
      expect(page.html).to.include('ines@example.com').and.include('autocomplete="new-password"');

      let step = await submit(browser, page, '/invitation/', { password: 'password', confirm: 'password' });
      expect(step.status).to.equal(400);
      expect(alertText(step.html)).to.include('common or breached');
      step = await submit(browser, step, '/invitation/', { password: GOOD, confirm: `${GOOD}!` });
      expect(alertText(step.html)).to.equal('The two passwords do not match.');
      // a refused password leaves the link usable and the user invited
      expect((await f.server.container.users.findById(user.id))!.status).to.equal('invited');

      step = await submit(browser, step, '/invitation/', { password: GOOD, confirm: GOOD });
      expect(step.status).to.equal(200);
      expect(step.html).to.include('Your account is ready').and.include('You can now sign in');
      const userId = user.id;
      const stored = await f.server.container.db.em().findOneOrFail(UserEntity, { id: userId });
      expect(stored).to.include({ status: 'active', emailVerified: true, mustChangePassword: false });
      expect(await auditActions(userId)).to.include.members(['user.invited', 'user.verified']);

      const result = await signIn(config, f.client, { email: 'ines@example.com', password: GOOD });
      expect(result.callbackUrl.searchParams.get('code')).to.be.a('string');

      const again = await open(link);
      expect(again.page.status).to.equal(410);
      expect(again.page.html).to.include('This link has already been used.');
      const replay = await fetch(link, { method: 'POST' });
      expect(replay.status).to.be.within(400, 499);
    });

    it('offers strength feedback on the invitation page', async () => {
      const { link } = await invite('ida@example.com');
      const { browser, page } = await open(link);
      const meter = /data-strength-action="([^"]+)"/.exec(page.html)![1]!;
      const csrf = /name="csrf" value="([^"]+)"/.exec(page.html)![1]!;
      const weak = (await (await browser.request(meter, { form: { csrf, password: 'kq7Zxw' } })).json()) as { ok: boolean; messages: string[] };
      expect(weak.ok).to.equal(false);
      expect(weak.messages).to.include('Use at least 15 characters.');
      const good = (await (await browser.request(meter, { form: { csrf, password: GOOD } })).json()) as { ok: boolean };
      expect(good.ok).to.equal(true);
    });

    it('refuses an expired link with a clear page, and a resent link replaces the old one', async () => {
      const { link, user } = await invite('inga@example.com');
      clock.travel(73 * HOUR);
      const expired = await open(link);
      expect(expired.page.status).to.equal(410);
      expect(expired.page.html).to.include('This link has expired.').and.include('Ask your account owner to send you a new invitation.');
      clock.travel(0);

      const since = Date.now();
      const resent = await cli(f.server.env, ['user', 'resend-invitation', '--tenant', f.tenant, '--email', 'inga@example.com']);
      expect((resent.invitation as { sent_to: string }).sent_to).to.equal('inga@example.com');
      const fresh = linkIn((await waitForMail(f.server.url, 'inga@example.com', `You are invited to ${f.tenant}`, since)).text, '/invitation/');
      expect(fresh).to.not.equal(link);
      const old = await open(link);
      expect(old.page.status).to.equal(410);
      expect(old.page.html).to.include('A newer link was sent');
      const { browser, page } = await open(fresh);
      expect(page.status).to.equal(200);
      const done = await submit(browser, page, '/invitation/', { password: GOOD, confirm: GOOD });
      expect(done.html).to.include('Your account is ready');
      expect(await auditActions(user.id)).to.include('user.invitation_resent');
    });

    it('answers a made-up token with a 404 page and needs the CSRF token to accept', async () => {
      for (const token of ['x'.repeat(43), 'short']) {
        const res = await fetch(`${f.server.url}/invitation/${token}`);
        expect(res.status, token).to.equal(404);
        expect(await res.text()).to.include('This link is not valid.');
      }
      const { link } = await invite('isla@example.com');
      const { browser, page } = await open(link);
      const form = findForm(page.html, '/invitation/');
      const forged = await browser.request(form.action, { form: { ...form.fields, csrf: 'forged', password: GOOD, confirm: GOOD } });
      expect(forged.status).to.equal(403);
    });

    it('stops an invitation link once the invited user is deactivated', async () => {
      const { link, user } = await invite('iona@example.com');
      await f.server.container.lifecycle.deactivate({ userId: user.id, actor: 'cli', reason: 'left before starting' });
      const page = await open(link);
      expect(page.page.status).to.equal(404);
      expect(page.page.html).to.include('This link is not valid.');
    });
  });
}
