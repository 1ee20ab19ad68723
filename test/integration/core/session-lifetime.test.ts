import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { disposeFixture, movableClock, startFixture, type Fixture } from '../../support/fixture.ts';
import type { Browser } from '../../support/browser.ts';
import { finishFlow, post, startFlow } from '../../support/two-factor.ts';
import { consoleSignIn, open, sessionsOn, unlockSecurity } from '../console/support.ts';

/**
 * A sign-in session ends at the first of two limits: SESSION_TTL without use (idle, each single
 * sign-on starts it again) and SESSION_MAX_LIFETIME after its creation, however much it is used.
 * Here 300 s and 600 s; every test signs in at its own time 0 and moves the server's clock on.
 */
for (const kind of BACKENDS) {
  describe(`sign-in session: idle timeout and absolute lifetime (${kind})`, function () {
    this.timeout(30_000);
    const clock = movableClock();
    let f: Fixture;
    let config: oidc.Configuration;

    before(async () => ({ f, config } = await startFixture(kind, { clock, env: { SESSION_TTL: '300', SESSION_MAX_LIFETIME: '600' } })));
    after(() => disposeFixture(f));
    afterEach(() => clock.travel(0));

    const at = (seconds: number) => clock.travel(seconds * 1000);

    /** a user of the fixture's tenant of this test's own, so no other test's sessions are listed with theirs */
    const newUser = async (name: string) => {
      const tenant = await f.server.container.tenants.getByName(f.tenant);
      const user = { email: `${name}@example.com`, password: `${name} has a long enough passphrase` };
      await f.server.container.users.create({ tenantId: tenant.id, email: user.email, password: user.password });
      return user;
    };

    /** signs in with the password in a new browser; returns it and the user's subject */
    const signIn = async (user: { email: string; password: string }) => {
      const flow = await startFlow(config, f.client, user);
      return { browser: flow.browser, sub: (await finishFlow(config, f.client, flow)).claims.sub };
    };

    /** an application's authorization request with prompt=none: the browser's session answers alone */
    const silently = (browser: Browser) => startFlow(config, f.client, undefined, { browser, extra: { prompt: 'none' } });

    const expectSingleSignOn = async (browser: Browser, sub: string) => {
      const flow = await silently(browser);
      expect((await finishFlow(config, f.client, flow)).claims.sub).to.equal(sub);
    };

    const expectLoginRequired = async (browser: Browser) => {
      const flow = await silently(browser);
      const back = new URL(flow.page.url);
      expect(`${back.origin}${back.pathname}`).to.equal(f.client.redirectUri);
      expect(back.searchParams.get('error')).to.equal('login_required');
      expect(back.searchParams.get('code')).to.equal(null);
    };

    it('ends a session left unused for SESSION_TTL, before its absolute lifetime', async () => {
      const { browser, sub } = await signIn(await newUser('idle'));
      at(200);
      await expectSingleSignOn(browser, sub);
      // 310 s after its last use, 90 s before its absolute lifetime would end it
      at(510);
      await expectLoginRequired(browser);
    });

    it('ends a session SESSION_MAX_LIFETIME after its sign-in however much it is used; the user signs in again', async () => {
      const user = await newUser('busy');
      const { browser, sub } = await signIn(user);
      at(130);
      await expectSingleSignOn(browser, sub);
      at(250);
      await expectSingleSignOn(browser, sub);
      // idle time counts from the last use: 320 s after the sign-in, 70 s after the last use
      at(320);
      await expectSingleSignOn(browser, sub);
      at(440);
      await expectSingleSignOn(browser, sub);
      at(560);
      await expectSingleSignOn(browser, sub);

      at(610);
      await expectLoginRequired(browser);
      const again = await startFlow(config, f.client, undefined, { browser });
      expect(again.page.status).to.equal(200);
      expect(again.page.url).to.match(/\/interaction\/[A-Za-z0-9_-]+$/);
      expect(again.page.html).to.include('autocomplete="current-password"');
      const signedIn = await post(browser, again.page, '/login', user);
      expect((await finishFlow(config, f.client, again, signedIn)).claims.sub).to.equal(sub);
      // the new session counts from this sign-in
      at(900);
      await expectSingleSignOn(browser, sub);
    });

    it("leaves a session past its absolute lifetime out of the account console's session list", async () => {
      const user = await newUser('listed');
      const app = await signIn(user);
      for (const use of [130, 250, 370]) {
        at(use);
        await expectSingleSignOn(app.browser, app.sub);
      }
      at(400);
      const { browser: here } = await consoleSignIn(f.server.url, `/account?tenant=${f.tenant}`, user);
      at(490);
      await expectSingleSignOn(app.browser, app.sub);

      at(590);
      const before = sessionsOn((await unlockSecurity(here, user.password)).html);
      expect(before.map((s) => s.current).sort()).to.deep.equal([false, true]);
      at(610);
      const after = sessionsOn((await open(here, '/account/security')).html);
      expect(after.map((s) => s.handle)).to.deep.equal(before.filter((s) => s.current).map((s) => s.handle));
    });
  });
}
