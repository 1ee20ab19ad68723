import { expect } from 'chai';
import * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { exchange, signIn } from '../../support/relying-party.ts';
import { createUser } from '../../support/accounts.ts';
import { openSignIn, submit, alertText } from '../../support/sign-in-pages.ts';
import { Browser, findForm } from '../../support/browser.ts';
import { outbox, waitForMail, linkIn } from '../../support/outbox.ts';
import { rejection } from '../../support/rejection.ts';
import { AuditEventEntity } from '../../../src/store/entities/index.ts';
import type { Container } from '../../../src/app/container.ts';

const HOUR = 3_600_000;

for (const kind of BACKENDS) {
  describe(`email change by verification, names and roles (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    let c: Container;
    let userId: string;
    const clock = movableClock();
    const password = 'paper boats cross the wide grey lake';
    before(async () => {
      ({ f, config } = await startFixture(kind, { clock }));
      c = f.server.container;
      userId = (await createUser(f, { email: 'eve@example.com', password, firstName: 'Eve' })).id;
    });
    after(() => disposeFixture(f));
    afterEach(() => clock.travel(0));

    const requestChange = async (newEmail: string) => {
      const since = Date.now();
      const result = await c.emailChanges.requestEmailChange({ userId, newEmail, actor: 'admin:00000000-0000-4000-8000-000000000001' });
      const mail = await waitForMail(f.server.url, newEmail, 'Confirm your new email address', since);
      return { result, link: linkIn(mail.text, '/email-change/') };
    };
    const failedSignIn = async (email: string) => {
      const { browser, page } = await openSignIn(config, f.client);
      return submit(browser, page, '/login', { email, password });
    };

    it('changes the address only once the link sent to the new one is confirmed, and tells the old one', async () => {
      const { result, link } = await requestChange('eve.new@example.com');
      expect(result.pending).to.equal(true);
      expect(result.expiresAt.getTime() - Date.now()).to.be.within(71.9 * HOUR, 72.1 * HOUR);
      expect(await outbox(f.server.url, 'eve@example.com')).to.deep.equal([]);

      // opening the link (as a mail scanner would) changes nothing by itself
      const browser = new Browser(f.server.url);
      const page = await browser.navigate(link);
      expect(page.res.status).to.equal(200);
      expect(page.html).to.include('eve.new@example.com').and.include('eve@example.com');
      expect((await c.users.findById(userId))!.email).to.equal('eve@example.com');
      expect((await signIn(config, f.client, { email: 'eve@example.com', password })).callbackUrl.searchParams.get('code')).to.be.a('string');

      const form = findForm(page.html, '/email-change/');
      const forged = await browser.request(form.action, { form: { ...form.fields, csrf: 'forged' } });
      expect(forged.status).to.equal(403);
      const done = await browser.navigate(form.action, { form: form.fields });
      expect(done.res.status).to.equal(200);
      expect(done.html).to.include('Your email address was changed').and.include('eve.new@example.com');

      const user = (await c.users.findById(userId))!;
      expect(user).to.include({ email: 'eve.new@example.com', emailVerified: true });
      const told = await waitForMail(f.server.url, 'eve@example.com', 'Your email address was changed');
      expect(told.text).to.include('eve.new@example.com');

      const tokens = await exchange(config, await signIn(config, f.client, { email: 'eve.new@example.com', password }));
      expect((await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck)).email).to.equal('eve.new@example.com');
      expect(alertText((await failedSignIn('eve@example.com')).html)).to.equal('The email address or password is not correct.');

      const used = await new Browser(f.server.url).navigate(link);
      expect(used.res.status).to.equal(410);
      expect(used.html).to.include('This link has already been used.');

      const events = await c.db
        .em()
        .find(AuditEventEntity, { userId, action: { $in: ['user.email_change_requested', 'user.email_changed'] } }, { orderBy: { createdAt: 'asc' } });
      expect(events.map((e) => e.action)).to.deep.equal(['user.email_change_requested', 'user.email_changed']);
      expect(events[1]!.details).to.deep.include({ before: { email: 'eve@example.com' }, after: { email: 'eve.new@example.com' } });
      expect(events[1]!.actor).to.equal(`user:${userId}`);
    });

    it('lets an expired or replaced link change nothing', async () => {
      const first = await requestChange('eve.one@example.com');
      const second = await requestChange('eve.two@example.com');
      const replaced = await new Browser(f.server.url).navigate(first.link);
      expect(replaced.res.status).to.equal(410);
      expect(replaced.html).to.include('A newer link was sent');
      clock.travel(73 * HOUR);
      const expired = await new Browser(f.server.url).navigate(second.link);
      expect(expired.res.status).to.equal(410);
      expect(expired.html).to.include('This link has expired.');
      expect((await c.users.findById(userId))!.email).to.equal('eve.new@example.com');
    });

    it('refuses a bad, unchanged or taken address', async () => {
      const taken = await rejection(c.emailChanges.requestEmailChange({ userId, newEmail: f.user.email, actor: 'cli' }));
      expect(taken).to.include({ status: 409, code: 'user.exists' });
      expect(await rejection(c.emailChanges.requestEmailChange({ userId, newEmail: 'not an email', actor: 'cli' }))).to.include({
        status: 400,
        code: 'user.invalid_email',
      });
      expect(await rejection(c.emailChanges.requestEmailChange({ userId, newEmail: ' EVE.NEW@example.com ', actor: 'cli' }))).to.include({
        status: 400,
        code: 'user.email_unchanged',
      });
    });

    it('gives the link to the new address of a user who is still invited, as a new invitation', async () => {
      const tenant = await c.tenants.getByName(f.tenant);
      const { user } = await c.invitations.invite({ tenantId: tenant.id, email: 'typo@exmaple.com', actor: 'cli' });
      const since = Date.now();
      const moved = await c.emailChanges.requestEmailChange({ userId: user.id, newEmail: 'tim@example.com', actor: 'cli' });
      expect(moved.pending).to.equal(false);
      expect(moved.user).to.include({ email: 'tim@example.com', status: 'invited' });
      const link = linkIn((await waitForMail(f.server.url, 'tim@example.com', `You are invited to ${f.tenant}`, since)).text, '/invitation/');
      expect((await new Browser(f.server.url).navigate(link)).html).to.include('tim@example.com');
    });

    it('changes names with before/after in the audit, and refuses bad values', async () => {
      const updated = await c.profiles.updateProfile({ userId, firstName: '  Evelyn ', lastName: 'Stone', actor: `user:${userId}` });
      expect(updated).to.include({ firstName: 'Evelyn', lastName: 'Stone' });
      const event = await c.db.em().findOneOrFail(AuditEventEntity, { userId, action: 'user.profile_updated' });
      expect(event.details).to.deep.equal({ before: { firstName: 'Eve', lastName: '' }, after: { firstName: 'Evelyn', lastName: 'Stone' } });
      expect(event.actor).to.equal(`user:${userId}`);
      const tokens = await exchange(config, await signIn(config, f.client, { email: 'eve.new@example.com', password }));
      expect((await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck)).name).to.equal('Evelyn Stone');

      expect(await rejection(c.profiles.updateProfile({ userId, firstName: 'x'.repeat(101), actor: 'cli' }))).to.include({
        status: 400,
        code: 'user.invalid_name',
      });
      expect(await rejection(c.profiles.updateProfile({ userId, lastName: 'bad\u0000name', actor: 'cli' }))).to.include({
        status: 400,
        code: 'user.invalid_name',
      });
      expect(await rejection(c.profiles.updateProfile({ userId, actor: 'cli' }))).to.include({ status: 400, code: 'user.nothing_to_change' });
      expect(await rejection(c.profiles.setRole({ userId, role: 'superuser', actor: 'cli' }))).to.include({ status: 400, code: 'user.invalid_role' });
      expect((await c.users.findById(userId))!).to.include({ firstName: 'Evelyn', role: 'member' });
    });
  });
}
