import { parseArgs } from 'node:util';
import { loadSettings, ConfigError } from './config/load.ts';
import { createContainer, type Container } from './app/container.ts';
import { AppError } from './lib/errors.ts';
import { CLIENT_COMMANDS, CLIENT_USAGE } from './cli/client-commands.ts';
import { passwordMessages } from './login/password-messages.ts';
import { PRESET_NAMES } from './policy/presets.ts';
import type { TenantPolicy } from './policy/tenant-policy.ts';
import { checkPolicyArgs, policyFlagUsage, readPolicyArgs, renderPolicy } from './cli/policy-args.ts';
import { policyFlagOptions } from './cli/policy-flags.ts';
import { apiTokenInputSchema, type ApiTokenInput } from './admin/api-tokens.ts';
import { LIFECYCLE_COMMANDS, LIFECYCLE_USAGE } from './cli/lifecycle-commands.ts';
import { resetFactors } from './accounts/factor-reset.ts';
import { PROVIDER_COMMANDS, PROVIDER_USAGE } from './cli/provider-commands.ts';
import { checkLogoUrl } from './accounts/tenants.ts';
import { changes } from './admin/changes.ts';
import { ADMIN_SCOPES } from './admin/scopes.ts';

const USAGE = `Usage: latchkey <command> [options] [--json]

  migrate                                      apply PostgreSQL migrations
  tenant create --name NAME [--display-name TEXT] [--logo-url https://...] [--parent RESELLER]
              with --parent, a child tenant that the reseller's admins administer and whose users
              may sign in to the reseller's applications (one level: a child has no children)
  user create --tenant NAME --email EMAIL --password PASSWORD [--role owner|admin|member]
              [--first-name TEXT] [--last-name TEXT]
${CLIENT_USAGE}
  user reset-password --tenant NAME --email EMAIL   the password is compromised: it no longer signs in, everything the user holds ends, a reset link is emailed now
  user unlock --tenant NAME --email EMAIL           ends a lockout at once
  user revoke-devices --tenant NAME --email EMAIL   forgets every remembered device: the next sign-in asks the second factor
  user reset-factors --tenant NAME --email EMAIL    removes every second factor, recovery code and remembered device (a lost
              phone or key) and emails the user; the next sign-in sets up a factor again under the tenant's policy
  tenant set-policy --name NAME [--preset NAME|FILE.json] [--policy JSON] [POLICY FLAGS]
              merges into the tenant's policy: the preset, then the JSON (e.g. '{"password":{"maxAgeDays":90}}'),
              then the flags; settings not named keep their values; nothing is stored if any value is refused
  tenant show --name NAME                           the tenant and its effective policy
  tenant set --name NAME [--display-name TEXT] [--logo-url https://...|'']
              the name and logo the sign-in pages show ('' removes the logo)
  keys rotate                                  new active signing keys; old ones verify until their tokens expire
  token create --tenant NAME --email EMAIL --name NAME --scope SCOPE[,SCOPE] [--expires-days 90]
              an admin API token for an owner or admin (SCOPE: ${ADMIN_SCOPES.join(', ')});
              printed this once, only its hash is kept
${LIFECYCLE_USAGE}
${PROVIDER_USAGE}

Presets: ${PRESET_NAMES.join(', ')} (config/presets/NAME.json)

POLICY FLAGS (value, [default]):
${policyFlagUsage()}

Settings come from the same environment variables as the server (DATABASE_URL, DATA_DIR, ...).
Exit codes: 0 done, 1 the command failed, 2 the command line was refused (nothing was changed).`;

type Out = Record<string, unknown>;
type Values = Record<string, string | string[] | boolean | undefined>;
type Command = (c: Container, v: Values) => Promise<Out>;

const one = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || !v) throw new AppError(400, 'cli.missing_option', `--${name} is required`);
  return v;
};
const many = (v: unknown): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);

/** the options of a command about one user, checked before anything starts */
const USER_OPTIONS = { tenant: { type: 'string' }, email: { type: 'string' } } as const;
const checkUserOptions = (v: Values) => {
  one(v.tenant, 'tenant');
  one(v.email, 'email');
};

/** the tenant and the user a command names, or a 404 */
async function userOf(c: Container, v: Values) {
  const tenant = await c.tenants.getByName(one(v.tenant, 'tenant'));
  const user = await c.users.findByEmail(tenant.id, one(v.email, 'email'));
  if (!user) throw new AppError(404, 'user.not_found', `No user ${String(v.email)} in tenant ${tenant.name}`);
  return { tenant, user };
}

const commands: Record<
  string,
  {
    options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
    run: Command;
    /** checks of the command line that need no database: a refusal exits before connecting */
    check?: (v: Values) => void;
    /** the output without --json, when the generic rendering is not readable enough */
    text?: (out: Out) => string;
  }
> = {
  migrate: {
    options: {},
    run: async (c) => {
      if (c.db.kind !== 'postgres') return { applied: [], note: 'the embedded SQLite schema is created at start; nothing to migrate' };
      return { applied: await c.db.migrate() };
    },
  },
  'tenant create': {
    options: { name: { type: 'string' }, 'display-name': { type: 'string' }, 'logo-url': { type: 'string' }, parent: { type: 'string' } },
    check: (v) => {
      logoUrlOption(v);
    },
    run: async (c, v) => {
      const parent = typeof v.parent === 'string' ? await c.tenants.getByName(v.parent) : undefined;
      const t = await c.tenants.create({
        name: one(v.name, 'name'),
        ...(typeof v['display-name'] === 'string' ? { displayName: v['display-name'] } : {}),
        ...(parent ? { parentId: parent.id } : {}),
        logoUrl: logoUrlOption(v) ?? null,
      });
      if (parent)
        await c.audit.record({
          action: 'tenant.created',
          tenantId: parent.id,
          actor: 'cli',
          details: { childId: t.id, name: t.name, displayName: t.displayName },
        });
      return { tenant: t };
    },
  },
  'user create': {
    options: {
      tenant: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      role: { type: 'string' },
      'first-name': { type: 'string' },
      'last-name': { type: 'string' },
    },
    run: async (c, v) => {
      const tenant = await c.tenants.getByName(one(v.tenant, 'tenant'));
      const candidate = { id: '', email: one(v.email, 'email'), firstName: String(v['first-name'] ?? ''), lastName: String(v['last-name'] ?? '') };
      const decision = await c.passwords.evaluate(one(v.password, 'password'), { user: candidate, tenantName: tenant.displayName, policy: tenant.policy });
      if (!decision.ok) {
        throw new AppError(
          400,
          'user.weak_password',
          `The password breaks the tenant's policy: ${passwordMessages(c.renderer, 'en', decision.failures).join(' ')}`,
        );
      }
      const user = await c.users.create({
        tenantId: tenant.id,
        email: one(v.email, 'email'),
        password: one(v.password, 'password'),
        ...(typeof v.role === 'string' ? { role: v.role } : {}),
        ...(typeof v['first-name'] === 'string' ? { firstName: v['first-name'] } : {}),
        ...(typeof v['last-name'] === 'string' ? { lastName: v['last-name'] } : {}),
      });
      return { user: { id: user.id, tenant: tenant.name, email: user.email, role: user.role } };
    },
  },
  'user reset-password': {
    options: { tenant: { type: 'string' }, email: { type: 'string' } },
    run: async (c, v) => {
      const { tenant, user } = await userOf(c, v);
      await c.recovery.force(tenant, user, 'cli');
      return { user: { id: user.id, email: user.email }, reset_required: true, reset_link_sent: true };
    },
  },
  'user unlock': {
    options: { tenant: { type: 'string' }, email: { type: 'string' } },
    run: async (c, v) => {
      const tenant = await c.tenants.getByName(one(v.tenant, 'tenant'));
      const wasLocked = await c.guard.unlock(tenant, one(v.email, 'email'), 'cli');
      // on the embedded default the counters live in the server process, which honours the unlock
      return { unlocked: true, ...(c.redis ? { was_locked: wasLocked } : {}) };
    },
  },
  'user revoke-devices': {
    options: USER_OPTIONS,
    check: checkUserOptions,
    run: async (c, v) => {
      const { tenant, user } = await userOf(c, v);
      const revoked = await c.devices.revokeAll(user.id);
      await c.audit.record({ action: 'devices.revoked_all', tenantId: tenant.id, userId: user.id, actor: 'cli', details: { count: revoked } });
      return { user: { id: user.id, email: user.email }, revoked };
    },
  },
  'user reset-factors': {
    options: USER_OPTIONS,
    check: checkUserOptions,
    run: async (c, v) => {
      const { user } = await userOf(c, v);
      const removed = await resetFactors(c, user, { actor: 'cli' });
      return { user: { id: user.id, email: user.email }, factors: removed.factors, recovery_codes: removed.recoveryCodes, devices: removed.devices };
    },
  },
  'tenant set-policy': {
    options: { name: { type: 'string' }, policy: { type: 'string' }, preset: { type: 'string' }, ...policyFlagOptions() },
    check: (v) => {
      one(v.name, 'name');
      readPolicyArgs(v);
    },
    run: async (c, v) => {
      const name = one(v.name, 'name');
      const args = readPolicyArgs(v);
      const tenant = await c.tenants.getByName(name);
      checkPolicyArgs(tenant.policy, args);
      const updated = await c.tenants.updatePolicy(tenant.id, args.overrides);
      return { tenant: updated.name, policy: updated.policy };
    },
    text: (out) => `tenant: ${String(out.tenant)}\npolicy:\n${renderPolicy(out.policy as TenantPolicy)}`,
  },
  'tenant show': {
    options: { name: { type: 'string' } },
    run: async (c, v) => {
      const tenant = await c.tenants.getByName(one(v.name, 'name'));
      return { tenant: { id: tenant.id, name: tenant.name, display_name: tenant.displayName, logo_url: tenant.logoUrl }, policy: tenant.policy };
    },
    text: (out) => {
      const t = out.tenant as { id: string; name: string; display_name: string; logo_url: string | null };
      return `tenant: ${t.name} (${t.display_name})\nid: ${t.id}\nlogo: ${t.logo_url ?? '(none)'}\npolicy:\n${renderPolicy(out.policy as TenantPolicy)}`;
    },
  },
  'keys rotate': {
    options: {},
    run: async (c) => c.keys.rotate(),
  },
  'token create': {
    options: {
      tenant: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      scope: { type: 'string', multiple: true },
      'expires-days': { type: 'string' },
    },
    check: (v) => {
      one(v.tenant, 'tenant');
      one(v.email, 'email');
      tokenInput(v);
    },
    run: async (c, v) => {
      const { user } = await userOf(c, v);
      const { token, apiToken } = await c.apiTokens.create(user.id, tokenInput(v), 'cli');
      return { token, api_token: { id: apiToken.id, name: apiToken.name, scopes: apiToken.scopes, expires_at: apiToken.expiresAt.toISOString() } };
    },
    text: (out) => `${String(out.token)}\n(shown this once: only its hash is stored)`,
  },
  'tenant set': {
    options: { name: { type: 'string' }, 'display-name': { type: 'string' }, 'logo-url': { type: 'string' } },
    check: (v) => {
      one(v.name, 'name');
      if (v['display-name'] === undefined && v['logo-url'] === undefined)
        throw new AppError(400, 'cli.missing_option', '--display-name or --logo-url is required');
      logoUrlOption(v);
    },
    run: async (c, v) => {
      const tenant = await c.tenants.getByName(one(v.name, 'name'));
      const logoUrl = logoUrlOption(v);
      const updated = await c.tenants.updateBranding(tenant.id, {
        ...(typeof v['display-name'] === 'string' ? { displayName: v['display-name'] } : {}),
        ...(logoUrl !== undefined ? { logoUrl } : {}),
      });
      const diff = changes({ displayName: tenant.displayName, logoUrl: tenant.logoUrl }, { displayName: updated.displayName, logoUrl: updated.logoUrl });
      if (diff) await c.audit.record({ action: 'tenant.updated', tenantId: tenant.id, actor: 'cli', details: diff });
      return { tenant: { id: updated.id, name: updated.name, display_name: updated.displayName, logo_url: updated.logoUrl } };
    },
  },
  ...LIFECYCLE_COMMANDS,
  ...PROVIDER_COMMANDS,
  ...CLIENT_COMMANDS,
};

/** --logo-url: an https URL, '' to remove the logo (null), absent (undefined); refused before connecting when invalid */
function logoUrlOption(v: Values): string | null | undefined {
  const value = v['logo-url'];
  if (typeof value !== 'string') return undefined;
  if (value.trim() === '') return null;
  try {
    return checkLogoUrl(value);
  } catch (err) {
    throw new AppError(400, 'cli.invalid_option', `--logo-url: ${(err as Error).message}`);
  }
}

/** --scope may be repeated or comma-separated; refused before connecting when not valid */
function tokenInput(v: Values): ApiTokenInput {
  const days = v['expires-days'];
  const parsed = apiTokenInputSchema.safeParse({
    name: one(v.name, 'name'),
    scopes: many(v.scope)
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
    ...(days === undefined ? {} : { expiresInDays: /^\d{1,4}$/.test(String(days)) ? Number(days) : String(days) }),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flag = ({ scopes: 'scope', expiresInDays: 'expires-days' } as Record<string, string>)[String(issue.path[0])] ?? String(issue.path[0] ?? 'name');
    throw new AppError(400, 'cli.invalid_option', `--${flag}: ${issue.message}`);
  }
  return parsed.data;
}

async function main(argv: string[]): Promise<number> {
  // the longest command name the arguments start with ('jobs run inactivity' has three words)
  const key = [3, 2, 1].map((n) => argv.slice(0, n).join(' ')).find((name) => !!commands[name]);
  if (!key || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return key || argv.includes('--help') || argv.includes('-h') ? 0 : 2;
  }
  const command = commands[key]!;
  const rest = argv.slice(key.split(' ').length);
  let values: Values;
  let json = false;
  try {
    const parsed = parseArgs({ args: rest, options: { ...command.options, json: { type: 'boolean' } }, strict: true, allowPositionals: false });
    ({ json = false, ...values } = parsed.values as Record<string, never>);
  } catch (err) {
    // the full usage is long: one line says what is wrong, --help shows the rest
    process.stderr.write(`latchkey: ${(err as Error).message}\nlatchkey: see latchkey --help\n`);
    return 2;
  }
  const refuse = (err: unknown): number => {
    if (!(err instanceof AppError)) throw err;
    process.stdout.write(json ? `${JSON.stringify({ ok: false, error: err.code, message: err.message })}\n` : '');
    process.stderr.write(`latchkey: ${err.message}\n`);
    // cli.* errors refuse the command line itself, like an unknown option
    return err.code.startsWith('cli.') ? 2 : 1;
  };
  try {
    command.check?.(values);
  } catch (err) {
    return refuse(err);
  }
  const settings = loadSettings();
  const container = await createContainer({ ...settings, LOG_LEVEL: settings.LOG_LEVEL === 'info' ? 'warn' : settings.LOG_LEVEL });
  try {
    const out = await command.run(container, values);
    process.stdout.write(json ? `${JSON.stringify({ ok: true, ...out })}\n` : `${(command.text ?? render)(out)}\n`);
    return 0;
  } catch (err) {
    return refuse(err);
  } finally {
    // the answer is out; a connection that will not close must not keep the command from exiting
    const closing = container.close().catch(() => undefined);
    await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  }
}

function render(out: Out, indent = ''): string {
  return Object.entries(out)
    .map(([k, v]) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? `${indent}${k}:\n${render(v as Out, `${indent}  `)}`
        : `${indent}${k}: ${Array.isArray(v) ? v.join(', ') || '(none)' : String(v)}`,
    )
    .join('\n');
}

// `kill -USR2 <pid>` on a command that seems stuck says what it is waiting on (sockets,
// timers, file handles), without stopping it.
process.on('SIGUSR2', () => {
  process.stderr.write(`latchkey: waiting on ${process.getActiveResourcesInfo().join(', ') || 'nothing'}\n`);
});

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) for (const p of err.problems) process.stderr.write(`latchkey: ${p}\n`);
    else process.stderr.write(`latchkey: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
