import { expect } from 'chai';
import * as oidc from 'openid-client';
import { BACKENDS, createBackend, type Backend } from '../../support/backends.ts';
import { cli, runCli } from '../../support/cli.ts';
import { startTestServer, type TestServer } from '../../support/server.ts';
import { discover, exchange, signIn } from '../../support/relying-party.ts';

/**
 * What an operator does on a new installation, entirely through `latchkey`: migrate, create a
 * tenant, a user and two clients; then the user signs in through the web client and the machine
 * client gets a token. (The other suites' fixtures make the same objects in process.)
 */
for (const kind of BACKENDS) {
  describe(`CLI setup commands (${kind})`, () => {
    let backend: Backend;
    let server: TestServer | undefined;
    before(async () => {
      backend = await createBackend(kind);
    });
    after(async () => {
      await server?.stop();
      await backend.dispose();
    });

    it('migrate, tenant create, user create and client create make a working installation', async function () {
      this.timeout(180_000); // seven CLI processes in a row; on a loaded 2-core machine each can take several seconds
      const env = backend.env;
      const migrated = await cli(env, ['migrate']);
      expect(migrated.applied).to.be.an('array');
      const tenant = await cli(env, ['tenant', 'create', '--name', 'acme', '--display-name', 'Acme Inc.']);
      expect(tenant.tenant).to.include({ name: 'acme', displayName: 'Acme Inc.' });

      const weak = await runCli(env, ['user', 'create', '--tenant', 'acme', '--email', 'bob@example.com', '--password', 'password']);
      expect(weak.code).to.not.equal(0);
      expect(weak.stderr).to.match(/policy/i);

      const user = { email: 'alice@example.com', password: 'correct horse battery staple 42' };
      const created = await cli(env, ['user', 'create', '--tenant', 'acme', '--email', user.email, '--password', user.password, '--role', 'admin']);
      expect(created.user).to.include({ tenant: 'acme', email: user.email, role: 'admin' });

      const redirectUri = 'http://127.0.0.1:9/callback';
      const web = await cli(env, [
        'client',
        'create',
        '--tenant',
        'acme',
        '--name',
        'Web app',
        '--redirect-uri',
        redirectUri,
        '--grant',
        'authorization_code,refresh_token',
      ]);
      const machine = await cli(env, [
        'client',
        'create',
        '--tenant',
        'acme',
        '--name',
        'Worker',
        '--grant',
        'client_credentials',
        '--resource',
        'https://api.example.test=reports:read',
      ]);
      expect(web.client_id).to.be.a('string');
      expect(web.client_secret).to.be.a('string');

      server = await startTestServer(backend);
      const client = { clientId: String(web.client_id), clientSecret: String(web.client_secret), redirectUri };
      const config = await discover(server.url, client);
      const tokens = await exchange(config, await signIn(config, client, user));
      expect(tokens.claims()?.sub).to.equal((created.user as { id: string }).id);

      const machineConfig = await discover(server.url, { clientId: String(machine.client_id), clientSecret: String(machine.client_secret), redirectUri });
      const cc = await oidc.clientCredentialsGrant(machineConfig, { resource: 'https://api.example.test', scope: 'reports:read' });
      expect(cc.access_token).to.be.a('string');
      expect(cc.scope).to.equal('reports:read');
    });
  });
}
