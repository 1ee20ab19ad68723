import { expect } from 'chai';
import pg from 'pg';
import type * as oidc from 'openid-client';
import { createBackend, type Backend } from '../../support/backends.ts';
import { spawnServer, type SpawnedServer } from '../../support/server.ts';
import { createClient, createTenant, createUser, migrate, withServices } from '../../support/accounts.ts';
import { discover, signIn } from '../../support/relying-party.ts';
import { openSignIn, submit, alertText, type Page } from '../../support/sign-in-pages.ts';
import { Browser, findForm } from '../../support/browser.ts';

const WRONG = 'definitely not the password';
const REFUSAL = 'The email address or password is not correct.';

/** A known browser's own budget lives in Redis like the account's: both replicas count, lock and refuse it as one. */
describe('known browsers on two replicas (PostgreSQL + Redis)', function () {
  this.timeout(120_000);
  let backend: Backend;
  const servers: SpawnedServer[] = [];
  const configs: oidc.Configuration[] = [];
  const user = { email: 'kim@example.com', password: 'an honest and rather long passphrase' };
  let client: { clientId: string; clientSecret: string; redirectUri: string };

  before(async () => {
    backend = await createBackend('postgres');
    await migrate(backend.env);
    const created = await withServices(backend.env, async (c) => {
      await createTenant(c, { name: 'acme' });
      await createUser(c, { tenant: 'acme', ...user });
      // every attempt here comes from 127.0.0.1: the IP throttle stays out of the way of the budgets
      await c.tenants.updatePolicy((await c.tenants.getByName('acme')).id, { lockout: { ipMaxFailures: 100_000 } });
      return createClient(c, { tenant: 'acme', name: 'App', redirectUris: ['http://127.0.0.1:9/cb'] });
    });
    client = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: 'http://127.0.0.1:9/cb' };
    // each replica is kept as soon as it runs, so `after` stops it even when this hook times out halfway
    for (let i = 0; i < 2; i += 1) {
      servers.push(await spawnServer(backend.env));
      configs.push(await discover(servers[i]!.url, client));
    }
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await backend?.dispose();
  });

  /** signs in on replica `on` and keeps the known-browser cookie and its signature */
  const knownOn = async (on: number) => {
    const { browser } = await signIn(configs[on]!, client, user);
    const cookies = new Map([...browser.cookies].filter(([name]) => name.startsWith('lk.known')));
    expect([...cookies.keys()].sort()).to.deep.equal(['lk.known', 'lk.known.sig']);
    return cookies;
  };
  /** a browser on replica `on` with no session, holding these cookies (none: an unknown browser) */
  const browserOn = (on: number, cookies?: Map<string, string>) => {
    const browser = new Browser(servers[on]!.url);
    for (const [name, value] of cookies ?? []) browser.cookies.set(name, value);
    return browser;
  };
  const attempt = async (on: number, password: string, cookies?: Map<string, string>): Promise<Page> => {
    const { browser, page } = await openSignIn(configs[on]!, client, browserOn(on, cookies));
    return submit(browser, page, '/login', { email: user.email, password });
  };
  const expectRefused = (page: Page) => expect([page.status, alertText(page.html)]).to.deep.equal([401, REFUSAL]);
  const expectSignedIn = (page: Page) => expect(page.url, page.html.slice(0, 300)).to.match(/^http:\/\/127\.0\.0\.1:9\/cb\?code=/);

  it("shares one known browser's budget: 100 parallel wrong passwords on both replicas run at most 5 verifications, its lock holds on both, the account stays open", async () => {
    const known = await knownOn(0);
    const forms = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const on = i % 2;
        const { browser, page } = await openSignIn(configs[on]!, client, browserOn(on, known));
        return { browser, form: findForm(page.html, '/login') };
      }),
    );
    const results = await Promise.all(
      forms.map(({ browser, form }) => browser.request(form.action, { form: { ...form.fields, email: user.email, password: WRONG } })),
    );
    expect(results.map((r) => r.status)).to.deep.equal(Array.from({ length: 100 }, () => 401));

    const counts = await auditCounts(backend.env.DATABASE_URL!);
    expect(counts['signin.failed/device'], 'password verifications').to.be.within(1, 5);
    expect(counts['user.locked/device']).to.equal(1);
    expect((counts['signin.failed/device'] ?? 0) + (counts['signin.refused_locked/device'] ?? 0)).to.equal(100);
    expect(Object.keys(counts).filter((k) => k.endsWith('/account'))).to.deep.equal([]);

    for (const on of [0, 1]) expectRefused(await attempt(on, user.password, known));
    for (const on of [0, 1]) expectSignedIn(await attempt(on, user.password));
  });

  it('lets a known browser in on one replica while the account is locked through the other', async () => {
    const known = await knownOn(1);
    for (let i = 0; i < 5; i += 1) expectRefused(await attempt(1, WRONG));
    for (const on of [0, 1]) expectRefused(await attempt(on, user.password));
    expectSignedIn(await attempt(0, user.password, known));
    const counts = await auditCounts(backend.env.DATABASE_URL!);
    expect([counts['user.locked/account'], counts['signin.refused_locked/account']]).to.deep.equal([1, 2]);
  });
});

/** audit rows by action and the budget they name ('signin.failed/device') */
async function auditCounts(url: string): Promise<Record<string, number>> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ key: string; n: string }>(
      "select action || '/' || (details->>'budget') as key, count(*) as n from audit_events where details->>'budget' is not null group by 1",
    );
    return Object.fromEntries(rows.map((r) => [r.key, Number(r.n)]));
  } finally {
    await db.end();
  }
}
