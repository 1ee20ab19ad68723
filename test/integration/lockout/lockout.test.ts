import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { signIn } from '../../support/relying-party.ts';
import { cli } from '../../support/cli.ts';
import { setPolicy } from '../../support/accounts.ts';
import { openSignIn, submit, alertText, type Page } from '../../support/sign-in-pages.ts';
import { waitForMail, linkIn } from '../../support/outbox.ts';
import { AuditEventEntity } from '../../../src/store/entities/index.ts';

const WRONG = 'definitely not the password';

for (const kind of BACKENDS) {
  describe(`lockout (${kind})`, () => {
    let f: Fixture;
    let config: oidc.Configuration;
    const clock = movableClock();
    before(async () => ({ f, config } = await startFixture(kind, { clock })));
    after(() => disposeFixture(f));

    const attempt = async (email: string, password: string): Promise<Page> => {
      const { browser, page } = await openSignIn(config, f.client);
      return submit(browser, page, '/login', { email, password });
    };
    const normalise = (p: Page) => ({
      status: p.status,
      alert: alertText(p.html),
      html: p.html.replace(/value="[^"]*"/g, '').replace(/\/interaction\/[^/"]+/g, ''),
    });
    const events = async (action: string) => f.server.container.db.em().count(AuditEventEntity, { action });

    it('locks after 5 wrong passwords; the right one is refused while locked, with the same page', async () => {
      const failures = [];
      for (let i = 0; i < 5; i += 1) failures.push(normalise(await attempt(f.user.email, WRONG)));
      const whileLocked = normalise(await attempt(f.user.email, f.user.password));
      const unknownEmail = normalise(await attempt('ghost@example.com', WRONG));
      expect(whileLocked.status).to.equal(401);
      expect(whileLocked.alert).to.equal('The email address or password is not correct.');
      // known, unknown and locked all look alike
      expect(whileLocked.html).to.equal(failures[0]!.html.replace(`value`, 'value'));
      expect(unknownEmail.html).to.equal(whileLocked.html);
      expect(await events('user.locked')).to.equal(1);
      expect(await events('signin.refused_locked')).to.be.at.least(1);
    });

    it('emails the user about the lock with a link to reset the password', async () => {
      const mail = await waitForMail(f.server.url, f.user.email, 'Your account was locked');
      expect(mail.text).to.include('locked for 10 minutes');
      expect(linkIn(mail.text, '/password/reset/')).to.match(/[A-Za-z0-9_-]{43}$/);
    });

    it('ends the lock by itself after the lock duration', async () => {
      clock.travel(9 * 60_000);
      expect(alertText((await attempt(f.user.email, f.user.password)).html)).to.not.equal('');
      clock.travel(11 * 60_000);
      const ok = await signIn(config, f.client, f.user);
      expect(ok.callbackUrl.searchParams.get('code')).to.be.a('string');
      clock.travel(0);
    });

    it('ends the lock at once through `latchkey user unlock`', async () => {
      for (let i = 0; i < 5; i += 1) await attempt(f.user.email, WRONG);
      expect(alertText((await attempt(f.user.email, f.user.password)).html)).to.not.equal('');
      const out = await cli(f.server.env, ['user', 'unlock', '--tenant', f.tenant, '--email', f.user.email]);
      expect(out.unlocked).to.equal(true);
      if (kind === 'postgres') expect(out.was_locked).to.equal(true);
      expect((await signIn(config, f.client, f.user)).callbackUrl.searchParams.get('code')).to.be.a('string');
      expect(await events('user.unlocked')).to.be.at.least(1);
    });

    it('starts counting again after a successful sign-in', async () => {
      for (let i = 0; i < 4; i += 1) await attempt(f.user.email, WRONG);
      await signIn(config, f.client, f.user);
      for (let i = 0; i < 4; i += 1) await attempt(f.user.email, WRONG);
      expect((await signIn(config, f.client, f.user)).callbackUrl.searchParams.get('code')).to.be.a('string');
    });

    it('writes every failure, lock and unlock to the audit log with IP and user agent', async () => {
      const rows = await f.server.container.db.em().find(AuditEventEntity, { action: 'signin.failed' }, { limit: 1 });
      expect(rows[0]!.ip).to.match(/^127\.0\.0\.1$|^::1$/);
      expect(rows[0]!.userAgent).to.be.a('string');
      expect(rows[0]!.tenantId).to.be.a('string');
    });

    it('throttles one IP that fails across many accounts (credential stuffing)', async () => {
      await setPolicy(f, { lockout: { ipMaxFailures: 5 } });
      try {
        await f.server.container.counters.succeeded('reset', '127.0.0.1');
        for (let i = 0; i < 6; i += 1) await attempt(`victim${i}@example.com`, WRONG);
        const page = await attempt(f.user.email, f.user.password);
        expect(page.status).to.equal(401);
        expect(await events('signin.throttled_ip')).to.be.at.least(1);
      } finally {
        await setPolicy(f, { lockout: { ipMaxFailures: 50 } });
        clock.travel(16 * 60_000);
      }
    });
  });
}
