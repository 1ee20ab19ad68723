import { expect } from 'chai';
import * as oidc from 'openid-client';
import { createBackend, type Backend } from '../../support/backends.ts';
import { freePort, spawnServer, type SpawnedServer } from '../../support/server.ts';
import { cli } from '../../support/cli.ts';
import { createClient, createTenant, createUser, migrate, unlockUser, withServices } from '../../support/accounts.ts';
import { startReplicaProxy } from '../../support/replica-proxy.ts';
import { discover } from '../../support/relying-party.ts';
import { Browser, findForm } from '../../support/browser.ts';
import { alertText } from '../../support/sign-in-pages.ts';

/** Two Latchkey processes on their own ports, one issuer in front, sharing PostgreSQL and Redis. */
describe('two replicas behind one issuer (PostgreSQL + Redis)', function () {
  this.timeout(120_000);
  let backend: Backend;
  let a: SpawnedServer;
  let b: SpawnedServer;
  let proxy: { url: string; close(): Promise<void> };
  let config: oidc.Configuration;
  const user = { email: 'rita@example.com', password: 'replicas share every counter' };
  let client: { clientId: string; clientSecret: string; redirectUri: string };

  before(async () => {
    backend = await createBackend('postgres');
    const port = await freePort();
    const env = { ...backend.env, ISSUER: `http://127.0.0.1:${port}`, KEYS_RELOAD_INTERVAL: '1' };
    await migrate(env);
    const created = await withServices(env, async (c) => {
      await createTenant(c, { name: 'shared' });
      await createUser(c, { tenant: 'shared', ...user });
      return createClient(c, { tenant: 'shared', name: 'App', redirectUris: ['http://127.0.0.1:9/cb'], grants: ['authorization_code', 'refresh_token'] });
    });
    client = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: 'http://127.0.0.1:9/cb' };
    [a, b] = await Promise.all([spawnServer(env), spawnServer(env)]);
    proxy = await startReplicaProxy(port, { a: a.direct, b: b.direct });
    config = await discover(proxy.url, client);
  });
  after(async () => {
    await proxy?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await backend?.dispose();
  });

  const browserOn = (replica: string) => {
    const browser = new Browser(proxy.url);
    browser.headers['x-replica'] = replica;
    return browser;
  };
  const authorizationUrl = async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: client.redirectUri,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return { url: url.toString(), verifier };
  };

  it('finishes on one replica a sign-in started on the other, and the tokens work on both', async () => {
    const browser = browserOn('a');
    const { url, verifier } = await authorizationUrl();
    const page = await browser.navigate(url);
    const form = findForm(page.html, '/login');
    browser.headers['x-replica'] = 'b';
    const done = await browser.navigate(form.action, { form: { ...form.fields, ...user } });
    expect(done.url).to.match(/^http:\/\/127\.0\.0\.1:9\/cb\?code=/);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), { pkceCodeVerifier: verifier, idTokenExpected: true });
    for (const replica of [a, b]) {
      const info = await fetch(`${replica.direct}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      expect(info.status, replica.direct).to.equal(200);
    }
  });

  it('sees on one replica the session created on the other', async () => {
    const browser = browserOn('a');
    const first = await authorizationUrl();
    const page = await browser.navigate(first.url);
    const form = findForm(page.html, '/login');
    await browser.navigate(form.action, { form: { ...form.fields, ...user } });
    browser.headers['x-replica'] = 'b';
    const again = await browser.navigate((await authorizationUrl()).url);
    expect(again.url, 'no sign-in page: the session is shared').to.match(/^http:\/\/127\.0\.0\.1:9\/cb\?code=/);
  });

  it('holds on one replica a lock caused through the other', async () => {
    const browser = browserOn('a');
    for (let i = 0; i < 5; i += 1) {
      const page = await browser.navigate((await authorizationUrl()).url);
      const form = findForm(page.html, '/login');
      const failed = await browser.navigate(form.action, { form: { ...form.fields, email: user.email, password: `wrong guess ${i}` } });
      expect(failed.res.status).to.equal(401);
    }
    browser.headers['x-replica'] = 'b';
    const page = await browser.navigate((await authorizationUrl()).url);
    const form = findForm(page.html, '/login');
    const refused = await browser.navigate(form.action, { form: { ...form.fields, ...user } });
    expect(refused.res.status).to.equal(401);
    expect(alertText(refused.html)).to.equal('The email address or password is not correct.');
    await withServices(a.env, (c) => unlockUser(c, user.email, 'shared'));
  });

  it('publishes on both replicas a key rotated through the CLI', async () => {
    const kids = async (server: SpawnedServer) => ((await (await fetch(`${server.direct}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    const before = new Set(await kids(a));
    await cli(a.env, ['keys', 'rotate']);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [onA, onB] = await Promise.all([kids(a), kids(b)]);
      const fresh = (list: string[]) => list.filter((k) => !before.has(k));
      if (fresh(onA).length > 0 && fresh(onB).length > 0) {
        expect(fresh(onA).sort()).to.deep.equal(fresh(onB).sort());
        break;
      }
      if (Date.now() > deadline) throw new Error(`new keys not published by both: a=${onA} b=${onB}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });
});
