import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { BACKENDS } from '../../support/backends.ts';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { openSignIn, submit, alertText, type Page } from '../../support/sign-in-pages.ts';
import { signIn } from '../../support/relying-party.ts';
import { findForm } from '../../support/browser.ts';
import { scrape, metricValue } from '../../support/prometheus.ts';

const WRONG = 'definitely not the password';

/**
 * Sign-ins answered 503 because the argon2 work was refused never had their password checked:
 * they give their count back, so a busy moment can neither lock the owner out nor bring a lock
 * nearer. Only verified wrong passwords count.
 */
for (const kind of BACKENDS) {
  describe(`sign-ins refused for overload do not count toward the lockout (${kind})`, function () {
    this.timeout(60_000);
    let f: Fixture;
    let config: oidc.Configuration;
    // one argon2 job at a time and none waiting: while the test holds that one slot, every password check is refused
    before(async () => ({ f, config } = await startFixture(kind, { env: { ARGON2_MAX_CONCURRENCY: '1', ARGON2_MAX_QUEUE: '0' } })));
    after(() => disposeFixture(f));

    const attempt = async (email: string, password: string): Promise<Page> => {
      const { browser, page } = await openSignIn(config, f.client);
      return submit(browser, page, '/login', { email, password });
    };
    /** the password POST's own answer (a 503 is not a page to follow) */
    const answerTo = async (email: string, password: string) => {
      const { browser, page } = await openSignIn(config, f.client);
      const form = findForm(page.html, '/login');
      return browser.request(form.action, { form: { ...form.fields, email, password } });
    };
    /** occupies the server's one argon2 slot (as another sign-in's hash would) until the returned function is called */
    const occupyArgon2 = () => {
      let done!: () => void;
      const finished = f.server.container.argon2Limiter.run(
        () =>
          new Promise<void>((resolve) => {
            done = resolve;
          }),
      );
      expect(f.server.container.argon2Limiter.active).to.equal(1);
      return async () => {
        done();
        await finished;
      };
    };
    const signInMetrics = async () => {
      const samples = await scrape(f.server.url);
      return {
        failed: metricValue(samples, 'latchkey_signins_total', { result: 'failed' }),
        locked: metricValue(samples, 'latchkey_signins_total', { result: 'locked' }),
        locks: metricValue(samples, 'latchkey_locks_total'),
        argon2Refused: metricValue(samples, 'latchkey_argon2_refused_total'),
      };
    };

    it('lets the right password in after more busy answers than the lock limit, and the lock is no nearer', async () => {
      const before = await signInMetrics();
      const release = occupyArgon2();
      try {
        for (let i = 0; i < 6; i += 1) {
          const res = await answerTo(f.user.email, i % 2 === 0 ? WRONG : f.user.password);
          expect(res.status).to.equal(503);
          expect(res.headers.get('retry-after')).to.match(/^\d+$/);
          expect(await res.text()).to.include('Too many sign-ins right now');
        }
      } finally {
        await release();
      }
      // four verified wrong passwords: one short of the limit, as if the busy answers never happened
      for (let i = 0; i < 4; i += 1) {
        const page = await attempt(f.user.email, WRONG);
        expect(page.status).to.equal(401);
        expect(alertText(page.html)).to.equal('The email address or password is not correct.');
      }
      const ok = await signIn(config, f.client, f.user);
      expect(ok.callbackUrl.searchParams.get('code')).to.be.a('string');

      const after = await signInMetrics();
      expect(after.argon2Refused - before.argon2Refused).to.equal(6);
      expect(after.failed - before.failed).to.equal(4);
      expect(after.locked - before.locked).to.equal(0);
      expect(after.locks - before.locks).to.equal(0);
    });
  });
}
