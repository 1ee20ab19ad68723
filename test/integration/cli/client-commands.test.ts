import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import * as jose from 'jose';
import { BACKENDS, createBackend, type Backend } from '../../support/backends.ts';
import { cli, runCli } from '../../support/cli.ts';
import { migrate, withServices } from '../../support/accounts.ts';

const publicJwk = async (kid: string) => ({ ...(await jose.exportJWK((await jose.generateKeyPair('ES256', { extractable: true })).publicKey)), kid });

/** `latchkey client create` for native apps and clients with keys, and `latchkey client set-keys` */
for (const kind of BACKENDS) {
  describe(`CLI client commands (${kind})`, () => {
    let backend: Backend;
    let tenant: string;
    const stored = (clientId: string) => withServices(backend.env, async (c) => (await c.clients.find(clientId))!.metadata);

    before(async () => {
      backend = await createBackend(kind);
      await migrate(backend.env);
      tenant = `cli-${kind}`;
      await withServices(backend.env, (c) => c.tenants.create({ name: tenant }));
    });
    after(() => backend.dispose());

    it('--native registers a public native application with loopback and private-use redirects', async function () {
      this.timeout(60_000);
      const out = await cli(backend.env, [
        'client',
        'create',
        '--tenant',
        tenant,
        '--name',
        'Notes',
        '--native',
        '--redirect-uri',
        'http://127.0.0.1/callback',
        '--redirect-uri',
        'com.example.notes:/oauth2redirect',
      ]);
      expect(out.client_id).to.be.a('string');
      expect(out).not.to.have.property('client_secret');
      expect(await stored(String(out.client_id))).to.deep.include({
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        redirect_uris: ['http://127.0.0.1/callback', 'com.example.notes:/oauth2redirect'],
      });
    });

    it('--auth-method private_key_jwt with --jwks FILE, --require-par; set-keys replaces the keys and is audited', async function () {
      this.timeout(60_000);
      const dir = mkdtempSync(join(tmpdir(), 'latchkey-jwks-'));
      const first = await publicJwk('k1');
      const file = join(dir, 'jwks.json');
      writeFileSync(file, JSON.stringify({ keys: [first] }));
      const out = await cli(backend.env, [
        'client',
        'create',
        '--tenant',
        tenant,
        '--name',
        'Billing',
        '--redirect-uri',
        'https://billing.example.test/cb',
        '--auth-method',
        'private_key_jwt',
        '--jwks',
        file,
        '--require-par',
      ]);
      expect(out).not.to.have.property('client_secret');
      const clientId = String(out.client_id);
      expect(await stored(clientId)).to.deep.include({
        token_endpoint_auth_method: 'private_key_jwt',
        jwks: { keys: [first] },
        require_pushed_authorization_requests: true,
        application_type: 'web',
      });

      const second = await publicJwk('k2');
      const rotated = await cli(backend.env, [
        'client',
        'set-keys',
        '--tenant',
        tenant,
        '--client-id',
        clientId,
        '--jwks',
        JSON.stringify({ keys: [first, second] }),
      ]);
      expect(rotated).to.deep.equal({ ok: true, client_id: clientId, kids: ['k1', 'k2'] });
      expect((await stored(clientId)).jwks).to.deep.equal({ keys: [first, second] });
      const events = await withServices(backend.env, async (c) => {
        const { id } = await c.tenants.getByName(tenant);
        return (await c.audit.list({ tenantId: id, action: 'client.updated', limit: 10 })).events;
      });
      expect(events).to.have.length(1);
      expect(events[0]).to.deep.include({ actor: 'cli' });
      expect(events[0]!.details).to.deep.equal({ clientId, before: { jwks: { keys: [first] } }, after: { jwks: { keys: [first, second] } } });
    });

    it('refuses a wrong command line before connecting (exit 2), naming the flag', async function () {
      this.timeout(60_000);
      const refusals: Array<[string[], string]> = [
        [
          ['--native', '--redirect-uri', 'http://notes.example.test/cb'],
          'latchkey: --redirect-uri (0): of a native application uses http only on the loopback interface (http://127.0.0.1/... or http://[::1]/...)\n',
        ],
        [
          ['--redirect-uri', 'com.example.notes:/cb'],
          'latchkey: --redirect-uri (0): must be an http or https URL for a web application (a private-use scheme such as com.example.app:/callback is for a native application)\n',
        ],
        [['--grant', 'client_credentials', '--auth-method', 'private_key_jwt'], 'latchkey: --jwks: private_key_jwt needs the public keys: jwks or jwksUri\n'],
        [['--grant', 'client_credentials', '--jwks', '/nonexistent/jwks.json'], 'latchkey: --jwks: cannot read /nonexistent/jwks.json (ENOENT)\n'],
        [
          ['--grant', 'client_credentials', '--auth-method', 'mtls'],
          'latchkey: --auth-method: Invalid option: expected one of "client_secret_basic"|"client_secret_post"|"client_secret_jwt"|"private_key_jwt"|"none"\n',
        ],
      ];
      for (const [flags, stderr] of refusals) {
        const result = await runCli(backend.env, ['client', 'create', '--tenant', tenant, '--name', 'Refused', ...flags]);
        expect(result.code, flags.join(' ')).to.equal(2);
        expect(result.stderr, flags.join(' ')).to.equal(stderr);
      }
      const neither = await runCli(backend.env, ['client', 'set-keys', '--tenant', tenant, '--client-id', 'x']);
      expect(neither.code).to.equal(2);
      expect(neither.stderr).to.equal('latchkey: give --jwks or --jwks-uri (one of them)\n');
      const unknown = await runCli(backend.env, [
        'client',
        'set-keys',
        '--tenant',
        tenant,
        '--client-id',
        'no-such-client',
        '--jwks-uri',
        'https://keys.example.test/jwks',
      ]);
      expect(unknown.code).to.equal(1);
      expect(unknown.stderr).to.equal('latchkey: No such client in this tenant\n');
    });
  });
}
