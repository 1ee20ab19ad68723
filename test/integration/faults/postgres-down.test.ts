import { expect } from 'chai';
import type * as oidc from 'openid-client';
import { startFixture, disposeFixture, type Fixture } from '../../support/fixture.ts';
import { POSTGRES_ADMIN_URL } from '../../support/backends.ts';
import { startTcpGate } from '../../support/tcp-gate.ts';
import { exchange, signIn } from '../../support/relying-party.ts';
import { openSignIn, submit } from '../../support/sign-in-pages.ts';

describe('faults: PostgreSQL unreachable and back', function () {
  this.timeout(120_000);
  let f: Fixture;
  let config: oidc.Configuration;
  let gate: Awaited<ReturnType<typeof startTcpGate>>;

  before(async () => {
    const admin = new URL(POSTGRES_ADMIN_URL);
    gate = await startTcpGate(admin.hostname, Number(admin.port || 5432));
    // the server (and its CLI) reach PostgreSQL only through the gate the test can cut
    ({ f, config } = await startFixture('postgres', {
      mapBackendEnv: (env) => {
        const url = new URL(env.DATABASE_URL!);
        url.port = String(gate.port);
        return { ...env, DATABASE_URL: url.toString() };
      },
    }));
  });
  after(async () => {
    gate?.restore();
    await disposeFixture(f);
    await gate?.close();
  });

  it('answers 503 on /readyz and on the password step while the database is cut, and recovers without a restart', async () => {
    await exchange(config, await signIn(config, f.client, f.user));
    const opened = await openSignIn(config, f.client);
    gate.cut();

    const started = Date.now();
    expect((await fetch(`${f.server.url}/readyz`)).status).to.equal(503);
    const posted = await submit(opened.browser, opened.page, '/login', { email: f.user.email, password: f.user.password });
    expect(posted.status).to.equal(503);
    expect(posted.html).to.include('temporarily unavailable');
    expect(Date.now() - started, 'answers promptly, no hang').to.be.below(20_000);

    gate.restore();
    const deadline = Date.now() + 20_000;
    while ((await fetch(`${f.server.url}/readyz`)).status !== 200) {
      if (Date.now() > deadline) throw new Error('not ready again after PostgreSQL came back');
      await new Promise((r) => setTimeout(r, 250));
    }
    const tokens = await exchange(config, await signIn(config, f.client, f.user));
    expect(tokens.id_token).to.be.a('string');
  });
});
