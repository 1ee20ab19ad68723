import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { createFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { discover } from '../../support/relying-party.ts';
import { openSignIn } from '../../support/sign-in-pages.ts';
import { findForm } from '../../support/browser.ts';

describe('bounded argon2 work', () => {
  let f: Fixture;
  let config: oidc.Configuration;
  before(async () => {
    f = await createFixture('postgres', {
      env: { ARGON2_MEMORY_KIB: '19456', ARGON2_ITERATIONS: '2', ARGON2_MAX_CONCURRENCY: '1', ARGON2_MAX_QUEUE: '2' },
    });
    config = await discover(f.server.url, f.client);
  });
  after(() => disposeFixture(f));

  it('queues a few password checks and answers the rest 503 with Retry-After, never 500', async () => {
    const forms = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const { browser, page } = await openSignIn(config, f.client);
        return { browser, form: findForm(page.html, '/login') };
      }),
    );
    const responses = await Promise.all(
      forms.map(({ browser, form }, i) =>
        browser.request(form.action, { form: { ...form.fields, email: `someone${i}@example.com`, password: 'wrong but long enough' } }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 503).length, statuses.join(',')).to.be.at.least(1);
    expect(statuses.filter((s) => s === 401).length, statuses.join(',')).to.be.at.least(3);
    expect(statuses.every((s) => s === 401 || s === 503)).to.equal(true);
    const busy = responses.find((r) => r.status === 503)!;
    expect(busy.headers.get('retry-after')).to.match(/^\d+$/);
    expect(await busy.text()).to.include('Too many sign-ins right now');
  });
});
