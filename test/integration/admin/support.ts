import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import { cli } from '../../support/cli.ts';
import type { BackendKind } from '../../support/backends.ts';

export interface Call {
  status: number;
  json: Record<string, any>;
  headers: Headers;
}

export interface TenantAdmin {
  tenant: string;
  tenantId: string;
  email: string;
  password: string;
  userId: string;
  /** admin:read and admin:write */
  token: string;
  tokenId: string;
}

/** one running Latchkey (PostgreSQL + Redis unless told) with two tenants, each with an owner holding a read/write token */
export interface AdminWorld {
  f: Fixture;
  clock: ReturnType<typeof movableClock>;
  env: Record<string, string>;
  a: TenantAdmin;
  b: TenantAdmin;
  api(method: string, path: string, options?: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> }): Promise<Call>;
}

export const PASSWORD = 'correct horse battery staple 42';

export async function startAdminWorld(kind: BackendKind = 'postgres'): Promise<AdminWorld> {
  const clock = movableClock();
  const f = await createFixture(kind, { clock });
  const env = f.server.env;
  const a = await tenantAdmin(env, f.tenant);
  const bName = `t-${randomBytes(3).toString('hex')}`;
  await cli(env, ['tenant', 'create', '--name', bName]);
  const b = await tenantAdmin(env, bName);
  const api: AdminWorld['api'] = async (method, path, options = {}) => {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    const token = options.token === undefined ? a.token : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${f.server.url}/admin/v1${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: Record<string, any> = {};
    if (text) {
      expect(res.headers.get('content-type') ?? '', `${method} ${path}: ${text.slice(0, 200)}`).to.match(/^application\/json/);
      json = JSON.parse(text) as Record<string, any>;
    }
    return { status: res.status, json, headers: res.headers };
  };
  return { f, clock, env, a, b, api };
}

export const stopAdminWorld = (w: AdminWorld | undefined) => disposeFixture(w?.f);

/** an owner of the tenant and a read/write token of theirs, made through the CLI */
export async function tenantAdmin(env: Record<string, string>, tenant: string): Promise<TenantAdmin> {
  const email = `owner-${randomBytes(3).toString('hex')}@example.com`;
  const created = await cli(env, ['user', 'create', '--tenant', tenant, '--email', email, '--password', PASSWORD, '--role', 'owner', '--first-name', 'Olive']);
  const issued = await cli(env, ['token', 'create', '--tenant', tenant, '--email', email, '--name', 'setup', '--scope', 'admin:read,admin:write']);
  const shown = await cli(env, ['tenant', 'show', '--name', tenant]);
  return {
    tenant, tenantId: String((shown.tenant as { id: string }).id), email, password: PASSWORD,
    userId: String((created.user as { id: string }).id),
    token: String(issued.token), tokenId: String((issued.api_token as { id: string }).id),
  };
}

/** a 4xx answer in the documented shape, with the expected status and code */
export function expectError(call: Call, status: number, code: string): void {
  expect(call.status, JSON.stringify(call.json)).to.equal(status);
  expect(call.json.error, JSON.stringify(call.json)).to.be.an('object');
  expect(call.json.error.code).to.equal(code);
  expect(call.json.error.message).to.be.a('string').and.not.match(/\bat \w+ \(|node_modules|\.ts:\d+/);
}

/** a new user of the tenant through the CLI */
export async function addUser(w: AdminWorld, tenant: string, options: { role?: string; first?: string; last?: string; email?: string } = {}) {
  const email = options.email ?? `u-${randomBytes(4).toString('hex')}@example.com`;
  const out = await cli(w.env, ['user', 'create', '--tenant', tenant, '--email', email, '--password', PASSWORD,
    '--role', options.role ?? 'member', '--first-name', options.first ?? 'Una', '--last-name', options.last ?? 'User']);
  return { id: String((out.user as { id: string }).id), email };
}

/** the newest audit events of the tenant with this action, straight from the API */
export async function auditEvents(w: AdminWorld, action: string, admin: TenantAdmin = w.a) {
  const res = await w.api('GET', `/tenants/${admin.tenant}/audit-events?action=${action}&limit=100`, { token: admin.token });
  expect(res.status, JSON.stringify(res.json)).to.equal(200);
  return res.json.items as Array<Record<string, any>>;
}
