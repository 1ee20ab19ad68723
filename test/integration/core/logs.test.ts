import { expect } from 'chai';
import * as oidc from 'openid-client';
import { createBackend, type Backend } from '../../support/backends.ts';
import { spawnServer, type SpawnedServer } from '../../support/server.ts';
import { createClient, createTenant, createUser, migrate, withServices } from '../../support/accounts.ts';
import { discover, exchange, signIn } from '../../support/relying-party.ts';

describe('logs', () => {
  let backend: Backend;
  let server: SpawnedServer;
  before(async () => {
    backend = await createBackend('postgres');
    await migrate(backend.env);
    server = await spawnServer({ ...backend.env, LOG_LEVEL: 'trace' });
  });
  after(async () => {
    await server?.stop();
    await backend?.dispose();
  });

  it('are JSON lines with a request id and never carry a password, secret, code or token', async () => {
    const password = 'a long and secret passphrase 9';
    const created = await withServices(server.env, async (c) => {
      await createTenant(c, { name: 'logs' });
      await createUser(c, { tenant: 'logs', email: 'bob@example.com', password });
      return createClient(c, { tenant: 'logs', name: 'App', redirectUris: ['http://127.0.0.1:9/cb'] });
    });
    const client = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: 'http://127.0.0.1:9/cb' };
    const config = await discover(server.url, client);
    const result = await signIn(config, client, { email: 'bob@example.com', password });
    const tokens = await exchange(config, result);
    await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    await oidc.fetchUserInfo(config, tokens.access_token, oidc.skipSubjectCheck);
    await new Promise((r) => setTimeout(r, 300));

    const lines = server
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    const requests = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request');
    expect(requests.length).to.be.greaterThan(5);
    for (const r of requests) expect(r.requestId).to.match(/^[0-9a-f-]{36}$/);
    const secrets = [
      password,
      client.clientSecret,
      result.callbackUrl.searchParams.get('code')!,
      tokens.access_token,
      tokens.refresh_token!,
      tokens.id_token!,
      result.codeVerifier,
    ];
    for (const secret of secrets) expect(server.output()).to.not.include(secret);
  });
});
