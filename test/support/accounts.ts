import { createContainer, type Container } from '../../src/app/container.ts';
import { loadSettings } from '../../src/config/load.ts';
import type { Tenant } from '../../src/accounts/tenants.ts';
import type { User } from '../../src/accounts/users.ts';
import type { ClientInput } from '../../src/accounts/clients.ts';
import type { TenantPolicy } from '../../src/policy/tenant-policy.ts';
import type { Fixture } from './fixture.ts';

/**
 * Tenants, users, clients and policies arranged in process through the server's own services,
 * the way the `latchkey` commands make them (a spawned command loads the whole app: a second of
 * CPU or more each). The commands themselves are tested in test/integration/cli/ and
 * test/integration/lifecycle/cli.test.ts, and where a test is about a command's output.
 *
 * Each verb takes a fixture (its server's services, its tenant unless another is named) or a
 * container (see withServices), and names the tenant by name, as the commands do.
 */
export type Services = Pick<Fixture, 'server' | 'tenant'> | Container;

/** what `tenant set-policy` flags or --policy JSON set: some fields of some sections */
export type PolicyOverrides = { [S in keyof TenantPolicy]?: Partial<TenantPolicy[S]> };

const containerOf = (s: Services): Container => ('server' in s ? s.server.container : s);

function tenantOf(s: Services, name: string | undefined): Promise<Tenant> {
  const tenant = name ?? ('server' in s ? s.tenant : undefined);
  if (!tenant) throw new Error('name the tenant when arranging through a container');
  return containerOf(s).tenants.getByName(tenant);
}

/**
 * Opens the services on a server's settings (one started with spawnServer, or before it starts)
 * for as long as `use` runs, as a `latchkey` command would; its own logs are left out of the test's.
 */
export async function withServices<T>(env: Record<string, string>, use: (c: Container) => Promise<T>): Promise<T> {
  const container = await createContainer({ ...loadSettings(env), LOG_LEVEL: 'silent' });
  try {
    return await use(container);
  } finally {
    await container.close();
  }
}

/** `latchkey migrate`: the PostgreSQL schema (the embedded SQLite schema is made at start) */
export async function migrate(env: Record<string, string>): Promise<void> {
  await withServices(env, async (c) => {
    if (c.db.kind === 'postgres') await c.db.migrate();
  });
}

/** `latchkey tenant create` (with parent: a child of that reseller tenant) */
export async function createTenant(s: Services, input: { name: string; displayName?: string; parent?: string }): Promise<Tenant> {
  const c = containerOf(s);
  const parent = input.parent === undefined ? undefined : await c.tenants.getByName(input.parent);
  return c.tenants.create({
    name: input.name,
    ...(input.displayName !== undefined ? { displayName: input.displayName } : {}),
    ...(parent ? { parentId: parent.id } : {}),
  });
}

/** `latchkey tenant set-policy`: merges the overrides into the tenant's stored policy */
export async function setPolicy(s: Services, overrides: PolicyOverrides, tenant?: string): Promise<TenantPolicy> {
  const { id } = await tenantOf(s, tenant);
  return (await containerOf(s).tenants.updatePolicy(id, overrides)).policy;
}

/** `latchkey user create` */
export async function createUser(
  s: Services,
  input: {
    tenant?: string;
    email: string;
    password: string;
    role?: string;
    firstName?: string;
    lastName?: string;
  },
): Promise<User> {
  const { tenant, ...fields } = input;
  const { id: tenantId } = await tenantOf(s, tenant);
  return containerOf(s).users.create({ tenantId, ...fields });
}

/** `latchkey client create`: a confidential client unless `public`; its secret is returned this once */
export async function createClient(
  s: Services,
  input: Omit<ClientInput, 'tenantId'> & { tenant?: string },
): Promise<{ clientId: string; clientSecret?: string }> {
  const { tenant, ...fields } = input;
  const { id: tenantId } = await tenantOf(s, tenant);
  return containerOf(s).clients.create({ tenantId, ...fields });
}

async function userOf(s: Services, email: string, tenant: string | undefined): Promise<{ tenant: Tenant; user: User }> {
  const found = await tenantOf(s, tenant);
  const user = await containerOf(s).users.findByEmail(found.id, email);
  if (!user) throw new Error(`no user ${email} in tenant ${found.name}`);
  return { tenant: found, user };
}

/**
 * `latchkey user reset-password`: the password is compromised: it signs nothing in, everything
 * the user holds ends, a reset link is emailed
 */
export async function forcePasswordReset(s: Services, email: string, tenant?: string): Promise<void> {
  const found = await userOf(s, email, tenant);
  await containerOf(s).recovery.force(found.tenant, found.user, 'cli');
}

/** the next sign-in goes through the change-password step (as after a reactivation that asks it) */
export async function requirePasswordChange(s: Services, email: string, tenant?: string): Promise<void> {
  const found = await userOf(s, email, tenant);
  await containerOf(s).passwords.forceChange(found.user.id);
}

/** `latchkey user unlock`: ends a lockout at once */
export async function unlockUser(s: Services, email: string, tenant?: string): Promise<void> {
  await containerOf(s).guard.unlock(await tenantOf(s, tenant), email, 'cli');
}
