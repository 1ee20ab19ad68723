import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { setPolicy } from '../../support/accounts.ts';
import { openSignIn, submit, alertText, type Page } from '../../support/sign-in-pages.ts';
import { enrollTotpDirectly, post, recoveryCodesOn, startFlow, textOf, type Flow } from '../../support/two-factor.ts';
import { waitForMail } from '../../support/outbox.ts';
import { totpCodeAt } from '../../../src/factors/totp.ts';
import { AuditEventEntity } from '../../../src/store/entities/index.ts';

const WRONG = 'definitely not the password';
const REFUSAL = 'The email address or password is not correct.';
const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] ?? '';

/**
 * A browser that passed the password before the account was locked (by wrong passwords from
 * elsewhere) or deactivated gets no further: each step that would complete the sign-in checks
 * the account again and answers like the password step does for a locked account.
 */
for (const kind of BACKENDS) {
  describe(`a lock or deactivation during a sign-in in progress (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;
    let tenantId = '';

    before(async () => {
      ({ f, config } = await startFixture(kind));
      await setPolicy(f, { mfa: { mode: 'always', factors: ['totp', 'email'] } });
      tenantId = (await f.server.container.tenants.getByName(f.tenant)).id;
    });
    after(() => disposeFixture(f));

    const newUser = async () => {
      const credentials = { email: `u-${randomBytes(4).toString('hex')}@example.com`, password: 'a long and honest passphrase 7' };
      const user = await f.server.container.users.create({ tenantId, ...credentials });
      return { ...credentials, id: user.id };
    };
    const passwordAttempt = async (email: string, password: string): Promise<Page> => {
      const { browser, page } = await openSignIn(config, f.client);
      return submit(browser, page, '/login', { email, password });
    };
    const lockFromElsewhere = async (email: string) => {
      for (let i = 0; i < 5; i += 1) expect((await passwordAttempt(email, WRONG)).status).to.equal(401);
    };
    // the sign-in page without what differs from request to request (tokens, typed email, interaction ids)
    const normalise = (p: Page) => p.html.replace(/value="[^"]*"/g, '').replace(/\/interaction\/[^/"?]+/g, '');
    const eventsOf = async (userId: string) =>
      (await f.server.container.db.em().find(AuditEventEntity, { userId }, { orderBy: { createdAt: 'asc' } })).map((e) => ({
        action: e.action,
        step: e.details?.step,
      }));

    /** the refusal is the password step's page for a locked account, the sign-in in progress is gone, and no session came of it */
    const expectRefused = async (flow: Flow, refused: Page, user: { email: string; password: string }, lastStep: Page, lastAction: string) => {
      expect(refused.status).to.equal(401);
      expect(refused.url).to.include('/interaction/');
      expect(alertText(refused.html)).to.equal(REFUSAL);
      const lockedPasswordPage = await passwordAttempt(user.email, user.password);
      expect(normalise(refused)).to.equal(normalise(lockedPasswordPage));
      const again = await post(flow.browser, lastStep, lastAction);
      expect(again.status, 'the sign-in in progress was cleared').to.equal(400);
      expect(again.html).to.include('This sign-in page has expired');
      const next = await startFlow(config, f.client, undefined, { browser: flow.browser });
      expect(next.page.html, 'no session: a new sign-in asks for the password').to.include('autocomplete="current-password"');
    };

    it('refuses the emailed code of a browser that passed the password before the lock', async () => {
      const user = await newUser();
      const factor = await f.server.container.factors.addPending(user.id, 'email');
      await f.server.container.factors.confirm(user.id, factor.id);
      const since = Date.now();
      const flow = await startFlow(config, f.client, user);
      expect(flow.page.html).to.include('We sent a 6-digit code');
      const code = codeIn((await waitForMail(f.server.url, user.email, 'Your sign-in code', since)).text);

      await lockFromElsewhere(user.email);
      const refused = await post(flow.browser, flow.page, '/mfa', { code });

      await expectRefused(flow, refused, user, flow.page, '/mfa');
      expect(await eventsOf(user.id)).to.deep.include({ action: 'signin.refused_locked', step: 'second-factor' });
      expect((await eventsOf(user.id)).map((e) => e.action)).to.not.include('mfa.succeeded');
    });

    it('refuses the TOTP code of a browser that passed the password before the lock', async () => {
      const user = await newUser();
      // enrolled with the previous step's code, so the sign-in's code (this step) is no replay
      const { secret } = await enrollTotpDirectly(f.server.container, f.tenant, user.email, Date.now() - 30_000);
      const flow = await startFlow(config, f.client, user);
      expect(flow.page.html).to.include('authenticator app');

      await lockFromElsewhere(user.email);
      const refused = await post(flow.browser, flow.page, '/mfa', { code: await totpCodeAt(secret, Date.now()) });

      await expectRefused(flow, refused, user, flow.page, '/mfa');
      expect(await eventsOf(user.id)).to.deep.include({ action: 'signin.refused_locked', step: 'second-factor' });
    });

    it('refuses the forced password change of a browser that passed the password and code before the lock, and keeps the old password', async () => {
      const user = await newUser();
      const { secret } = await enrollTotpDirectly(f.server.container, f.tenant, user.email, Date.now() - 30_000);
      await f.server.container.passwords.forceChange(user.id);
      const flow = await startFlow(config, f.client, user);
      const change = await post(flow.browser, flow.page, '/mfa', { code: await totpCodeAt(secret, Date.now()) });
      expect(change.html).to.include('autocomplete="new-password"');

      await lockFromElsewhere(user.email);
      const next = 'an entirely new passphrase for this account 19';
      const refused = await post(flow.browser, change, '/change-password', { password: next, confirm: next });

      await expectRefused(flow, refused, user, change, '/change-password');
      expect(await eventsOf(user.id)).to.deep.include({ action: 'signin.refused_locked', step: 'change-password' });
      expect((await eventsOf(user.id)).map((e) => e.action)).to.not.include('password.changed');
      expect((await f.server.container.users.verifyPassword(tenantId, user.email, user.password)).ok, 'the old password still stands').to.equal(true);
    });

    it('refuses to finish the sign-in of a user deactivated while the recovery codes were shown', async () => {
      const user = await newUser();
      const flow = await startFlow(config, f.client, user);
      let page = await post(flow.browser, flow.page, '/enroll/start', { type: 'totp' });
      const secret = textOf(page.html, 'totp-secret');
      page = await post(flow.browser, page, '/enroll/confirm', { code: await totpCodeAt(secret, Date.now()) });
      expect(recoveryCodesOn(page.html)).to.have.length(10);

      await f.server.container.lifecycle.deactivate({ userId: user.id, actor: 'cli' });
      const refused = await post(flow.browser, page, '/continue');

      expect(refused.status).to.equal(401);
      expect(alertText(refused.html)).to.equal(REFUSAL);
      expect(normalise(refused)).to.equal(normalise(await passwordAttempt(user.email, user.password)));
      const again = await post(flow.browser, page, '/continue');
      expect(again.status, 'the sign-in in progress was cleared').to.equal(400);
      expect(again.html).to.include('This sign-in page has expired');
      const next = await startFlow(config, f.client, undefined, { browser: flow.browser });
      expect(next.page.html, 'no session: a new sign-in asks for the password').to.include('autocomplete="current-password"');
      expect(await eventsOf(user.id)).to.deep.include({ action: 'signin.refused_inactive', step: 'recovery-codes' });
    });
  });
}
