import { expect } from 'chai';

import pg from 'pg';
import { createBackend, type Backend } from '../../support/backends.ts';
import { spawnServer, type SpawnedServer } from '../../support/server.ts';
import { createClient, createTenant, createUser, migrate, withServices } from '../../support/accounts.ts';
import { discover } from '../../support/relying-party.ts';
import { openSignIn } from '../../support/sign-in-pages.ts';
import { findForm } from '../../support/browser.ts';

describe('lockout under a parallel attack on two replicas (PostgreSQL + Redis)', () => {
  let backend: Backend;
  const servers: SpawnedServer[] = [];
  const email = 'target@example.com';
  const password = 'an honest and rather long passphrase';
  let client: { clientId: string; clientSecret: string; redirectUri: string };

  before(async () => {
    backend = await createBackend('postgres');
    await migrate(backend.env);
    const created = await withServices(backend.env, async (c) => {
      await createTenant(c, { name: 'acme' });
      await createUser(c, { tenant: 'acme', email, password });
      return createClient(c, { tenant: 'acme', name: 'App', redirectUris: ['http://127.0.0.1:9/cb'] });
    });
    client = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: 'http://127.0.0.1:9/cb' };
    // each replica is kept as soon as it runs, so `after` stops it even when this hook times out halfway
    for (let i = 0; i < 2; i += 1) servers.push(await spawnServer(backend.env));
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await backend?.dispose();
  });

  it('runs at most 5 password verifications for 100 parallel wrong attempts, and the lock holds on both', async () => {
    // 100 sign-in forms, half opened on each replica
    const forms = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const server = servers[i % 2]!;
        const config = await discover(server.url, client);
        const { browser, page } = await openSignIn(config, client);
        return { browser, form: findForm(page.html, '/login') };
      }),
    );
    const results = await Promise.all(
      forms.map(({ browser, form }) => browser.request(form.action, { form: { ...form.fields, email, password: 'wrong guess' } })),
    );
    expect(results.every((r) => r.status === 401)).to.equal(true);

    const counts = await auditCounts(backend.env.DATABASE_URL!);
    expect(counts['signin.failed'], 'password verifications').to.be.at.most(5);
    expect(counts['signin.failed']).to.be.at.least(1);
    expect(counts['user.locked']).to.equal(1);
    expect((counts['signin.failed'] ?? 0) + (counts['signin.refused_locked'] ?? 0)).to.equal(100);

    // the right password is refused on either replica while the lock holds
    for (const server of servers) {
      const config = await discover(server.url, client);
      const { browser, page } = await openSignIn(config, client);
      const form = findForm(page.html, '/login');
      const res = await browser.request(form.action, { form: { ...form.fields, email, password } });
      expect(res.status).to.equal(401);
    }
  });
});

async function auditCounts(url: string): Promise<Record<string, number>> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const { rows } = await db.query<{ action: string; n: string }>('select action, count(*) as n from audit_events group by action');
    return Object.fromEntries(rows.map((r) => [r.action, Number(r.n)]));
  } finally {
    await db.end();
  }
}
