import { randomBytes } from 'node:crypto';
import { createBackend, type Backend, type BackendKind } from './backends.ts';
import { startTestServer, type TestServer } from './server.ts';
import { cli } from './cli.ts';
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
 * One running Latchkey with a tenant, a user, a web client and a machine client, all
 * created through the CLI as an operator would.
 */
export interface FixtureOptions {
  env?: Record<string, string>;
  clock?: Clock;
  /** rewrites the backend's settings before the server starts (e.g. to reach PostgreSQL through a gate) */
  mapBackendEnv?: (env: Record<string, string>) => Record<string, string>;
}

export async function createFixture(kind: BackendKind, options: FixtureOptions = {}): Promise<Fixture> {
  const backend = await createBackend(kind);
  const server = await startTestServer(options.mapBackendEnv ? { ...backend, env: options.mapBackendEnv(backend.env) } : backend, options);
  const env = server.env;
  const tenant = `t-${randomBytes(3).toString('hex')}`;
  await cli(env, ['tenant', 'create', '--name', tenant]);
  const user = { email: 'alice@example.com', password: 'correct horse battery staple 42' };
  await cli(env, ['user', 'create', '--tenant', tenant, '--email', user.email, '--password', user.password, '--first-name', 'Alice']);
  const redirectUri = 'http://127.0.0.1:9/callback';
  const web = await cli(env, [
    'client', 'create', '--tenant', tenant, '--name', 'Web app', '--redirect-uri', redirectUri,
    '--post-logout-redirect-uri', 'http://127.0.0.1:9/bye', '--grant', 'authorization_code,refresh_token',
  ]);
  const machine = await cli(env, ['client', 'create', '--tenant', tenant, '--name', 'Worker', '--grant', 'client_credentials',
    '--resource', 'https://api.example.test=reports:read reports:write']);
  return {
    backend, server, tenant, user,
    client: { clientId: String(web.client_id), clientSecret: String(web.client_secret), redirectUri },
    machine: { clientId: String(machine.client_id), clientSecret: String(machine.client_secret) },
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
  return { now: () => Date.now() + offset, travel: (ms) => { offset = ms; } };
}
