import { randomBytes } from 'node:crypto';
import { createBackend, type Backend, type BackendKind } from './backends.ts';
import { startTestServer, type TestServer } from './server.ts';
import type { RegisteredTestClient } from './relying-party.ts';
import type { Clock } from '../../src/lib/clock.ts';
import type * as oidc from 'openid-client';
import { discover } from './relying-party.ts';

export interface Fixture {
  backend: Backend;
  server: TestServer;
  tenant: string;
  user: { email: string; password: string };
  client: RegisteredTestClient;
  /** a client_credentials-only confidential client */
  machine: { clientId: string; clientSecret: string };
}

/**
 * One running Latchkey with a tenant, a user, a web client and a machine client, created
 * through the server's own services (in process: spawning the CLI four times per fixture cost
 * most of the suite's time). The same setup through the CLI is tested in
 * test/integration/cli/setup-commands.test.ts.
 */
export interface FixtureOptions {
  env?: Record<string, string>;
  clock?: Clock;
  /** rewrites the backend's settings before the server starts (e.g. to reach PostgreSQL through a gate) */
  mapBackendEnv?: (env: Record<string, string>) => Record<string, string>;
  /** the issuer's host (default 127.0.0.1); passkeys need a name, such as localhost, not an address */
  issuerHost?: string;
}

export async function createFixture(kind: BackendKind, options: FixtureOptions = {}): Promise<Fixture> {
  const backend = await createBackend(kind);
  const server = await startTestServer(options.mapBackendEnv ? { ...backend, env: options.mapBackendEnv(backend.env) } : backend, options);
  const { tenants, users, clients } = server.container;
  const tenant = `t-${randomBytes(3).toString('hex')}`;
  const { id: tenantId } = await tenants.create({ name: tenant });
  const user = { email: 'alice@example.com', password: 'correct horse battery staple 42' };
  await users.create({ tenantId, email: user.email, password: user.password, firstName: 'Alice' });
  const redirectUri = 'http://127.0.0.1:9/callback';
  const web = await clients.create({
    tenantId,
    name: 'Web app',
    redirectUris: [redirectUri],
    postLogoutRedirectUris: ['http://127.0.0.1:9/bye'],
    grants: ['authorization_code', 'refresh_token'],
  });
  const machine = await clients.create({
    tenantId,
    name: 'Worker',
    grants: ['client_credentials'],
    resources: [{ resource: 'https://api.example.test', scope: 'reports:read reports:write' }],
  });
  return {
    backend,
    server,
    tenant,
    user,
    client: { clientId: web.clientId, clientSecret: String(web.clientSecret), redirectUri },
    machine: { clientId: machine.clientId, clientSecret: String(machine.clientSecret) },
  };
}

export async function disposeFixture(f: Fixture | undefined) {
  if (!f) return;
  await f.server.stop();
  await f.backend.dispose();
}

/** createFixture plus the web client's openid-client configuration */
export async function startFixture(kind: BackendKind, options: FixtureOptions = {}): Promise<{ f: Fixture; config: oidc.Configuration }> {
  const f = await createFixture(kind, options);
  return { f, config: await discover(f.server.url, f.client) };
}

/** a clock the test moves forward: travel(ms) sets how far ahead of real time the server lives */
export function movableClock(): Clock & { travel(ms: number): void } {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    travel: (ms) => {
      offset = ms;
    },
  };
}
