import { expect } from 'chai';
import type * as oidc from 'openid-client';
import type { Fixture } from '../../support/fixture.ts';
import { freePort, spawnServer } from '../../support/server.ts';
import { createBackend } from '../../support/backends.ts';
import { migrate } from '../../support/accounts.ts';
import { startFixtureOnOwnRedis, startOwnRedis, type OwnRedis } from '../../support/redis-process.ts';
import { exchange, signIn } from '../../support/relying-party.ts';
import { openSignIn, submit } from '../../support/sign-in-pages.ts';

describe('faults: Redis stops and comes back', function () {
  this.timeout(120_000);
  let f: Fixture;
  let config: oidc.Configuration;
  let redis: OwnRedis;
  let dispose: (() => Promise<void>) | undefined;

  before(async () => {
    ({ f, config, redis, dispose } = await startFixtureOnOwnRedis());
  });
  after(async () => {
    await dispose?.();
  });

  it('answers 503 on /readyz and a clear 503 page for sign-in while Redis is down, and recovers without a restart', async () => {
    await exchange(config, await signIn(config, f.client, f.user));
    const opened = await openSignIn(config, f.client);
    await redis.stop();

    const posted = await submit(opened.browser, opened.page, '/login', { email: f.user.email, password: f.user.password });
    expect(posted.status, 'our own sign-in step answers 503 too').to.equal(503);
    expect(posted.html).to.include('temporarily unavailable');

    const started = Date.now();
    const ready = await fetch(`${f.server.url}/readyz`);
    expect(ready.status).to.equal(503);
    const authorize = await fetch(
      `${f.server.url}/auth?client_id=${f.client.clientId}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(f.client.redirectUri)}&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256`,
      {
        headers: { accept: 'text/html' },
        redirect: 'manual',
      },
    );
    expect(authorize.status).to.equal(503);
    expect(await authorize.text()).to.include('temporarily unavailable');
    expect(Date.now() - started, 'answers promptly, no hang').to.be.below(15_000);
    expect((await fetch(`${f.server.url}/healthz`)).status, 'the process itself is alive').to.equal(200);

    await redis.start();
    const deadline = Date.now() + 20_000;
    while ((await fetch(`${f.server.url}/readyz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('not ready again after Redis came back');
      await new Promise((r) => setTimeout(r, 250));
    }
    const tokens = await exchange(config, await signIn(config, f.client, f.user));
    expect(tokens.id_token).to.be.a('string');
  });
});

describe('faults: SIGTERM while Redis is down', function () {
  this.timeout(120_000);

  it('exits promptly with code 0 instead of waiting for Redis', async () => {
    const redis = await startOwnRedis(await freePort());
    const backend = await createBackend('postgres');
    try {
      await migrate(backend.env);
      const server = await spawnServer({ ...backend.env, REDIS_URL: redis.url });
      await redis.stop();
      expect((await fetch(`${server.direct}/readyz`)).status).to.equal(503);
      const started = Date.now();
      const code = await server.stop('SIGTERM');
      expect(code).to.equal(0);
      expect(Date.now() - started).to.be.below(15_000);
    } finally {
      await redis.dispose();
      await backend.dispose();
    }
  });
});
