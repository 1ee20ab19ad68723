import { expect } from 'chai';
import { createHmac, randomBytes } from 'node:crypto';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { setPolicy } from '../../support/accounts.ts';
import { signIn } from '../../support/relying-party.ts';
import { Browser, findForm } from '../../support/browser.ts';
import { cli } from '../../support/cli.ts';
import { openSignIn, submit, alertText, type Page } from '../../support/sign-in-pages.ts';
import { outbox, waitForMail } from '../../support/outbox.ts';
import { AuditEventEntity } from '../../../src/store/entities/index.ts';

const WRONG = 'definitely not the password';
const REFUSAL = 'The email address or password is not correct.';
const LOCKED_MAIL = 'Your account was locked';

/** the cookies that make a browser known: on this http issuer, plain names (`__Host-` on https) */
type KnownCookies = Map<string, string>;

/**
 * Known browsers (the device-cookie model): a browser that completed a sign-in as a user carries a
 * signed cookie naming that user, and its password attempts for that user count against a budget
 * of its own. A lock caused by other browsers does not keep it out; its own failures lock only it.
 */
for (const kind of BACKENDS) {
  describe(`known browsers keep their own lockout budget (${kind})`, function () {
    this.timeout(120_000);
    let f: Fixture;
    let config: oidc.Configuration;
    let tenantId = '';

    before(async () => {
      ({ f, config } = await startFixture(kind));
      // every attempt of this file comes from 127.0.0.1: the IP throttle stays out of the way of the budgets
      await setPolicy(f, { lockout: { ipMaxFailures: 100_000 } });
      tenantId = (await f.server.container.tenants.getByName(f.tenant)).id;
    });
    after(() => disposeFixture(f));

    const newUser = async () => {
      const credentials = { email: `u-${randomBytes(4).toString('hex')}@example.com`, password: 'a long and honest passphrase 7' };
      const user = await f.server.container.users.create({ tenantId, ...credentials });
      return { ...credentials, id: user.id };
    };
    const origin = () => new URL(config.serverMetadata().issuer).origin;
    /** signs the user in with a new browser and keeps its known-browser cookie and signature (what stays after signing out) */
    const knownAs = async (user: { email: string; password: string }): Promise<KnownCookies> => {
      const { browser } = await signIn(config, f.client, user);
      const cookies = new Map([...browser.cookies].filter(([name]) => name === 'lk.known' || name === 'lk.known.sig'));
      expect([...cookies.keys()].sort()).to.deep.equal(['lk.known', 'lk.known.sig']);
      expect(cookies.get('lk.known')).to.match(
        new RegExp(`^${(await f.server.container.users.findByEmail(tenantId, user.email))!.id}\\.[A-Za-z0-9_-]{22}\\.\\d+$`),
      );
      return cookies;
    };
    /** a browser with no session, holding these cookies (none: an unknown browser) */
    const browserWith = (cookies?: KnownCookies) => {
      const browser = new Browser(origin());
      for (const [name, value] of cookies ?? []) browser.cookies.set(name, value);
      return browser;
    };
    const attempt = async (email: string, password: string, cookies?: KnownCookies): Promise<Page> => {
      const { browser, page } = await openSignIn(config, f.client, browserWith(cookies));
      return submit(browser, page, '/login', { email, password });
    };
    const expectRefused = (page: Page) => {
      expect(page.status).to.equal(401);
      expect(alertText(page.html)).to.equal(REFUSAL);
    };
    const expectSignedIn = (page: Page) => {
      expect(page.url, page.html.slice(0, 300)).to.match(new RegExp(`^${f.client.redirectUri}\\?code=`));
    };
    const lockFromElsewhere = async (email: string) => {
      for (let i = 0; i < 5; i += 1) expectRefused(await attempt(email, WRONG));
    };
    /** the lockout's audit rows of a user, oldest first */
    const lockoutRows = async (userId: string) =>
      (
        await f.server.container.db
          .em()
          .fork()
          .find(AuditEventEntity, { userId, action: { $in: ['signin.failed', 'user.locked', 'signin.refused_locked'] } }, { orderBy: { createdAt: 'asc' } })
      ).map((e) => ({ action: e.action, actor: e.actor, budget: e.details?.budget, attempt: e.details?.attempt }));
    const count = (rows: { action: string; budget?: unknown }[], action: string, budget: string) =>
      rows.filter((r) => r.action === action && r.budget === budget).length;

    it("lets the owner's known browser sign in with the right password while other browsers' failures lock the account", async () => {
      const user = await newUser();
      const known = await knownAs(user);
      await lockFromElsewhere(user.email);
      expectRefused(await attempt(user.email, user.password));

      expectSignedIn(await attempt(user.email, user.password, known));

      // the account's lock still holds for every other browser
      expectRefused(await attempt(user.email, user.password));
      expect(await lockoutRows(user.id)).to.deep.equal([
        ...[1, 2, 3, 4, 5].map((n) => ({ action: 'signin.failed', actor: 'anonymous', budget: 'account', attempt: n })),
        { action: 'user.locked', actor: 'system', budget: 'account', attempt: undefined },
        { action: 'signin.refused_locked', actor: 'anonymous', budget: 'account', attempt: undefined },
        { action: 'signin.refused_locked', actor: 'anonymous', budget: 'account', attempt: undefined },
      ]);
    });

    it('names no user on the locked refusal of an email that names none', async () => {
      const ghost = `ghost-${randomBytes(4).toString('hex')}@example.com`;
      await lockFromElsewhere(ghost);
      const since = new Date();
      const refused = await attempt(ghost, WRONG);
      expectRefused(refused);
      const rows = await f.server.container.db
        .em()
        .fork()
        .find(AuditEventEntity, { tenantId, action: 'signin.refused_locked', createdAt: { $gte: since } });
      expect(rows.map((r) => ({ userId: r.userId ?? null, details: r.details }))).to.deep.equal([{ userId: null, details: { budget: 'account' } }]);
    });

    it('locks a known browser out by its own wrong passwords after its budget, and only that browser: no lock email', async () => {
      const user = await newUser();
      const known = await knownAs(user);
      const other = await knownAs(user);
      expect(other.get('lk.known'), 'each browser has its own id').to.not.equal(known.get('lk.known'));
      for (let i = 0; i < 5; i += 1) expectRefused(await attempt(user.email, WRONG, known));
      const refused = await attempt(user.email, user.password, known);
      expectRefused(refused);
      // the same page as any refusal of an unknown browser
      const unknownFailure = await attempt(`nobody-${randomBytes(4).toString('hex')}@example.com`, WRONG);
      const normalise = (p: Page) => p.html.replace(/value="[^"]*"/g, '').replace(/\/interaction\/[^/"?]+/g, '');
      expect(normalise(refused)).to.equal(normalise(unknownFailure));

      // the account is not locked: another known browser and an unknown one sign in
      expectSignedIn(await attempt(user.email, user.password, other));
      expectSignedIn(await attempt(user.email, user.password));
      expect(await lockoutRows(user.id)).to.deep.equal([
        ...[1, 2, 3, 4, 5].map((n) => ({ action: 'signin.failed', actor: 'anonymous', budget: 'device', attempt: n })),
        { action: 'user.locked', actor: 'system', budget: 'device', attempt: undefined },
        { action: 'signin.refused_locked', actor: 'anonymous', budget: 'device', attempt: undefined },
      ]);

      // the lock email goes out for the account's lock only (one, sent after the browser's lock)
      await lockFromElsewhere(user.email);
      await waitForMail(f.server.url, user.email, LOCKED_MAIL);
      expect((await outbox(f.server.url, user.email)).filter((m) => m.subject === LOCKED_MAIL)).to.have.length(1);
      // and the browser's failures never counted toward it: the account locked on the fifth failure of its own
      expect(count(await lockoutRows(user.id), 'signin.failed', 'account')).to.equal(5);
    });

    it('counts a known browser against its own budget only: its failures bring no account lock nearer', async () => {
      const user = await newUser();
      const known = await knownAs(user);
      for (let i = 0; i < 4; i += 1) expectRefused(await attempt(user.email, WRONG, known));
      for (let i = 0; i < 4; i += 1) expectRefused(await attempt(user.email, WRONG));
      expectSignedIn(await attempt(user.email, user.password));
      expectSignedIn(await attempt(user.email, user.password, known));
      const rows = await lockoutRows(user.id);
      expect([
        count(rows, 'signin.failed', 'device'),
        count(rows, 'signin.failed', 'account'),
        rows.filter((r) => r.action === 'user.locked').length,
      ]).to.deep.equal([4, 4, 0]);
    });

    it("treats a tampered, unsigned or other user's cookie as an unknown browser", async () => {
      const user = await newUser();
      const someoneElse = await newUser();
      const known = await knownAs(user);
      const theirs = await knownAs(someoneElse);
      await lockFromElsewhere(user.email);

      const value = known.get('lk.known')!;
      const [id, device, issued] = value.split('.') as [string, string, string];
      const flipped = `${device.slice(0, -1)}${device.endsWith('A') ? 'B' : 'A'}`;
      const forgeries: Record<string, KnownCookies> = {
        'another device id under the signature': new Map([...known, ['lk.known', `${id}.${flipped}.${issued}`]]),
        'a later issue time under the signature': new Map([...known, ['lk.known', `${id}.${device}.${Number(issued) + 1}`]]),
        'a signature of another value': new Map([...known, ['lk.known.sig', theirs.get('lk.known.sig')!]]),
        'no signature': new Map([['lk.known', value]]),
        "another user's genuine cookie": theirs,
        "another user's cookie rewritten to name this user": new Map([...theirs, ['lk.known', `${id}.${theirs.get('lk.known')!.split('.')[1]}.${issued}`]]),
      };
      for (const [what, cookies] of Object.entries(forgeries)) {
        const page = await attempt(user.email, user.password, cookies);
        expect([page.status, alertText(page.html)], what).to.deep.equal([401, REFUSAL]);
      }
      const rows = await lockoutRows(user.id);
      expect(count(rows, 'signin.refused_locked', 'account')).to.equal(Object.keys(forgeries).length);
      expect(count(rows, 'signin.refused_locked', 'device')).to.equal(0);
      // the genuine cookie still counts
      expectSignedIn(await attempt(user.email, user.password, known));
    });

    it('runs at most 5 password verifications for 100 parallel wrong passwords from one known browser; its lock then holds, the account stays open', async () => {
      const user = await newUser();
      const known = await knownAs(user);
      const forms = await Promise.all(
        Array.from({ length: 100 }, async () => {
          const { browser, page } = await openSignIn(config, f.client, browserWith(known));
          return { browser, form: findForm(page.html, '/login') };
        }),
      );
      const results = await Promise.all(
        forms.map(({ browser, form }) => browser.request(form.action, { form: { ...form.fields, email: user.email, password: WRONG } })),
      );
      expect(results.map((r) => r.status)).to.deep.equal(Array.from({ length: 100 }, () => 401));

      const rows = await lockoutRows(user.id);
      expect(count(rows, 'signin.failed', 'device'), 'password verifications').to.be.within(1, 5);
      expect(count(rows, 'user.locked', 'device')).to.equal(1);
      expect(count(rows, 'signin.failed', 'device') + count(rows, 'signin.refused_locked', 'device')).to.equal(100);
      expect(rows.filter((r) => r.budget === 'account')).to.deep.equal([]);

      expectRefused(await attempt(user.email, user.password, known));
      expectSignedIn(await attempt(user.email, user.password));
    });

    it('holds each budget to 5 verifications when one known and many unknown browsers send 100 wrong passwords at once', async () => {
      const user = await newUser();
      const known = await knownAs(user);
      const forms = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const { browser, page } = await openSignIn(config, f.client, browserWith(i % 2 === 0 ? known : undefined));
          return { browser, form: findForm(page.html, '/login') };
        }),
      );
      const results = await Promise.all(
        forms.map(({ browser, form }) => browser.request(form.action, { form: { ...form.fields, email: user.email, password: WRONG } })),
      );
      expect(results.every((r) => r.status === 401)).to.equal(true);

      const rows = await lockoutRows(user.id);
      for (const budget of ['device', 'account']) {
        expect(count(rows, 'signin.failed', budget), `${budget} verifications`).to.be.within(1, 5);
        expect(count(rows, 'user.locked', budget), budget).to.equal(1);
        expect(count(rows, 'signin.failed', budget) + count(rows, 'signin.refused_locked', budget), budget).to.equal(50);
      }
      expectRefused(await attempt(user.email, user.password, known));
      expectRefused(await attempt(user.email, user.password));
    });

    it("ends a known browser's own lock with the account's through `latchkey user unlock`", async () => {
      const user = await newUser();
      const known = await knownAs(user);
      for (let i = 0; i < 5; i += 1) expectRefused(await attempt(user.email, WRONG, known));
      expectRefused(await attempt(user.email, user.password, known));
      const out = await cli(f.server.env, ['user', 'unlock', '--tenant', f.tenant, '--email', user.email]);
      expect(out.unlocked).to.equal(true);
      expectSignedIn(await attempt(user.email, user.password, known));
    });

    it('keeps a browser known for 180 days after its last sign-in: an older cookie is an unknown browser', async () => {
      const user = await newUser();
      const [id, device] = (await knownAs(user)).get('lk.known')!.split('.') as [string, string];
      // the server's own signature (Koa's signed cookies: HMAC-SHA1 of name=value with COOKIE_KEYS) over a cookie issued long ago
      const [key] = f.server.env.COOKIE_KEYS!.split(',');
      const issuedAgo = (ms: number): KnownCookies => {
        const value = `${id}.${device}.${Math.floor((Date.now() - ms) / 1000)}`;
        return new Map([
          ['lk.known', value],
          ['lk.known.sig', createHmac('sha1', key!).update(`lk.known=${value}`).digest('base64url')],
        ]);
      };
      const day = 86_400_000;
      await lockFromElsewhere(user.email);
      expectRefused(await attempt(user.email, user.password, issuedAgo(180 * day + 60 * 60_000)));
      expectSignedIn(await attempt(user.email, user.password, issuedAgo(180 * day - 60 * 60_000)));
      const rows = await lockoutRows(user.id);
      expect(rows.filter((r) => r.action === 'signin.refused_locked').map((r) => r.budget)).to.deep.equal(['account']);
    });
  });
}
