import { expect } from 'chai';
import { createBackend, type Backend } from '../../support/backends.ts';
import { spawnServer, type SpawnedServer } from '../../support/server.ts';
import { Browser, findForm } from '../../support/browser.ts';

describe('quick start on the embedded default', () => {
  let backend: Backend;
  let server: SpawnedServer;
  before(async () => {
    backend = await createBackend('embedded');
    // as a newcomer runs it: no secrets given, demo data on its default (auto)
    const { COOKIE_KEYS: _c, KEY_ENCRYPTION_KEY: _k, DEMO_DATA: _d, NODE_ENV: _n, ...env } = backend.env;
    server = await spawnServer({ ...env, LOG_LEVEL: 'info' });
  });
  after(async () => {
    await server?.stop();
    await backend?.dispose();
  });

  it('prints a demo tenant, user and client on first start and signs in at /demo', async () => {
    const out = server.output();
    const password = /password:\s+(\S+)/.exec(out)?.[1];
    expect(out).to.include('demo@example.com');
    expect(out).to.match(/client_id:\s+\S+/);
    expect(password, out).to.be.a('string');

    const browser = new Browser(server.url);
    const home = await browser.navigate('/demo');
    expect(home.html).to.include('/demo/start');
    const signIn = await browser.navigate('/demo/start');
    const form = findForm(signIn.html, '/login');
    const done = await browser.navigate(form.action, { form: { ...form.fields, email: 'demo@example.com', password: password! } });
    expect(done.res.status).to.equal(200);
    expect(done.url).to.include('/demo/callback');
    expect(done.html).to.include('&quot;sub&quot;');
    expect(done.html).to.include('demo@example.com');
  });

  it('keeps the generated secrets under DATA_DIR, readable only by the owner', async () => {
    const { statSync } = await import('node:fs');
    const mode = statSync(`${backend.env.DATA_DIR}/secrets.json`).mode & 0o777;
    expect(mode).to.equal(0o600);
  });
});
