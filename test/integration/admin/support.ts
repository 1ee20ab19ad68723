import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { createFixture, disposeFixture, movableClock, type Fixture } from '../../support/fixture.ts';
import type { Container } from '../../../src/app/container.ts';
import type { BackendKind } from '../../support/backends.ts';
import type { ApiTokenInput } from '../../../src/admin/api-tokens.ts';

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
  const container = f.server.container;
  const a = await tenantAdmin(container, f.tenant);
  const bName = `t-${randomBytes(3).toString('hex')}`;
  await container.tenants.create({ name: bName });
  const b = await tenantAdmin(container, bName);
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

/**
 * An owner of the tenant and a read/write token of theirs, made in process through the
 * services the CLI uses (`latchkey user create` and `token create` have their own tests).
 */
export async function tenantAdmin(c: Container, tenant: string): Promise<TenantAdmin> {
  const email = `owner-${randomBytes(3).toString('hex')}@example.com`;
  const { id: tenantId } = await c.tenants.getByName(tenant);
  const user = await c.users.create({ tenantId, email, password: PASSWORD, role: 'owner', firstName: 'Olive' });
  const { token, apiToken } = await c.apiTokens.create(user.id, { name: 'setup', scopes: ['admin:read', 'admin:write'] }, 'cli');
  return { tenant, tenantId, email, password: PASSWORD, userId: user.id, token, tokenId: apiToken.id };
}

/** a 4xx answer in the documented shape, with the expected status and code */
export function expectError(call: Call, status: number, code: string): void {
  expect(call.status, JSON.stringify(call.json)).to.equal(status);
  expect(call.json.error, JSON.stringify(call.json)).to.be.an('object');
  expect(call.json.error.code).to.equal(code);
  expect(call.json.error.message)
    .to.be.a('string')
    .and.not.match(/\bat \w+ \(|node_modules|\.ts:\d+/);
}

/** a new user of the tenant, made in process */
export async function addUser(w: AdminWorld, tenant: string, options: { role?: string; first?: string; last?: string; email?: string } = {}) {
  const c = w.f.server.container;
  const email = options.email ?? `u-${randomBytes(4).toString('hex')}@example.com`;
  const { id: tenantId } = await c.tenants.getByName(tenant);
  const user = await c.users.create({
    tenantId,
    email,
    password: PASSWORD,
    role: options.role ?? 'member',
    firstName: options.first ?? 'Una',
    lastName: options.last ?? 'User',
  });
  return { id: user.id, email: user.email };
}

/** an admin API token of an owner or admin, made in process as `latchkey token create` makes it (tested in tokens.test.ts) */
export async function issueToken(w: AdminWorld, userId: string, scopes: ApiTokenInput['scopes'], name = 'x'): Promise<{ token: string; id: string }> {
  const { token, apiToken } = await w.f.server.container.apiTokens.create(userId, { name, scopes }, 'cli');
  return { token, id: apiToken.id };
}

/** the newest audit events of the tenant with this action, straight from the API */
export async function auditEvents(w: AdminWorld, action: string, admin: TenantAdmin = w.a) {
  const res = await w.api('GET', `/tenants/${admin.tenant}/audit-events?action=${action}&limit=100`, { token: admin.token });
  expect(res.status, JSON.stringify(res.json)).to.equal(200);
  return res.json.items as Array<Record<string, any>>;
}
