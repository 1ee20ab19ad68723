import type { Container } from '../app/container.ts';
import { AppError } from '../lib/errors.ts';
import { USER_ROLES } from '../store/entities/user.ts';
import type { User } from '../accounts/users.ts';

type Out = Record<string, unknown>;
type Values = Record<string, string | string[] | boolean | undefined>;

/** the shape of an entry of src/cli.ts's command table */
export interface CliCommand {
  options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  run: (c: Container, v: Values) => Promise<Out>;
  check?: (v: Values) => void;
  text?: (out: Out) => string;
}

export const LIFECYCLE_USAGE = `  user invite --tenant NAME --email EMAIL [--role owner|admin|member] [--first-name TEXT] [--last-name TEXT]
              creates the user as invited and emails a link (valid lifecycle.invitationHours) to set a password
  user resend-invitation --tenant NAME --email EMAIL   a new invitation link; the old one stops working
  user deactivate --tenant NAME --email EMAIL [--reason TEXT]
              no more sign-ins; sessions, refresh tokens and remembered devices end at once; data is kept
  user reactivate --tenant NAME --email EMAIL [--reset-required]
              active again; the next sign-in must change the password, or (--reset-required) the old
              password signs nothing in until the reset link emailed now sets a new one
  jobs run inactivity                          deactivates users with no sign-in for their tenant's lifecycle.inactivityDays`;

const one = (v: unknown, name: string): string => {
  if (typeof v !== 'string' || !v) throw new AppError(400, 'cli.missing_option', `--${name} is required`);
  return v;
};
const usage = (message: string) => new AppError(400, 'cli.invalid_option', message);

const checkUser = (v: Values) => {
  one(v.tenant, 'tenant');
  one(v.email, 'email');
};
const userOptions = { tenant: { type: 'string' }, email: { type: 'string' } } as const;

async function findUser(c: Container, v: Values): Promise<{ user: User; tenant: string }> {
  const tenant = await c.tenants.getByName(one(v.tenant, 'tenant'));
  const user = await c.users.findByEmail(tenant.id, one(v.email, 'email'));
  if (!user) throw new AppError(404, 'user.not_found', `No user ${String(v.email)} in tenant ${tenant.name}`);
  return { user, tenant: tenant.name };
}

const shown = (user: User, tenant: string) => ({ id: user.id, tenant, email: user.email, role: user.role, status: user.status });

export const LIFECYCLE_COMMANDS: Record<string, CliCommand> = {
  'user invite': {
    options: { ...userOptions, role: { type: 'string' }, 'first-name': { type: 'string' }, 'last-name': { type: 'string' } },
    check: (v) => {
      checkUser(v);
      if (v.role !== undefined && !(USER_ROLES as readonly unknown[]).includes(v.role)) throw usage(`--role must be one of ${USER_ROLES.join(', ')}`);
    },
    run: async (c, v) => {
      const tenant = await c.tenants.getByName(one(v.tenant, 'tenant'));
      const { user, expiresAt } = await c.invitations.invite({
        tenantId: tenant.id,
        email: one(v.email, 'email'),
        actor: 'cli',
        ...(typeof v.role === 'string' ? { role: v.role } : {}),
        ...(typeof v['first-name'] === 'string' ? { firstName: v['first-name'] } : {}),
        ...(typeof v['last-name'] === 'string' ? { lastName: v['last-name'] } : {}),
      });
      return { user: shown(user, tenant.name), invitation: { sent_to: user.email, expires_at: expiresAt.toISOString() } };
    },
  },
  'user resend-invitation': {
    options: userOptions,
    check: checkUser,
    run: async (c, v) => {
      const found = await findUser(c, v);
      const { user, expiresAt } = await c.invitations.resendInvitation({ userId: found.user.id, actor: 'cli' });
      return { user: shown(user, found.tenant), invitation: { sent_to: user.email, expires_at: expiresAt.toISOString() } };
    },
  },
  'user deactivate': {
    options: { ...userOptions, reason: { type: 'string' } },
    check: (v) => {
      checkUser(v);
      if (typeof v.reason === 'string' && v.reason.length > 200) throw usage('--reason must be at most 200 characters');
    },
    run: async (c, v) => {
      const found = await findUser(c, v);
      const { user, ended } = await c.lifecycle.deactivate({ userId: found.user.id, actor: 'cli', reason: typeof v.reason === 'string' ? v.reason : 'cli' });
      // on the embedded default, sessions and grants live in the server process: its provider refuses a deactivated user's tokens
      const revoked = c.redis ? ended : { devices: ended.devices };
      return { user: shown(user, found.tenant), revoked };
    },
  },
  'user reactivate': {
    options: { ...userOptions, 'reset-required': { type: 'boolean' } },
    check: checkUser,
    run: async (c, v) => {
      const found = await findUser(c, v);
      const { user, mustChangePassword, invitationSent } = await c.lifecycle.reactivate({ userId: found.user.id, actor: 'cli' });
      // the old password may be the reason it was deactivated: it then signs nothing in until the emailed link
      const resetRequired = v['reset-required'] === true && user.status === 'active';
      if (resetRequired) await c.recovery.force(await c.tenants.getByName(found.tenant), user, 'cli');
      return {
        user: shown(user, found.tenant),
        must_change_password: mustChangePassword && !resetRequired,
        reset_required: resetRequired,
        invitation_sent: invitationSent,
      };
    },
  },
  'jobs run inactivity': {
    options: {},
    run: async (c) => {
      const report = await c.lifecycle.runInactivityJob();
      return {
        ran_at: report.ranAt.toISOString(),
        deactivated: report.deactivated,
        expiry_warnings: report.expiryWarnings,
        inactivity_warnings: report.inactivityWarnings,
        tenants: report.tenants.map((t) => ({
          tenant: t.tenantName,
          inactivity_days: t.inactivityDays,
          deactivated: t.deactivated,
          expiry_warnings: t.expiryWarnings,
          inactivity_warnings: t.inactivityWarnings,
        })),
      };
    },
    text: (out) => {
      const tenants = out.tenants as { tenant: string; inactivity_days: number; deactivated: number }[];
      const rows = tenants.map(
        (t) => `  ${t.tenant}: ${t.inactivity_days ? `${t.deactivated} deactivated (no sign-in for ${t.inactivity_days} days)` : 'off (inactivityDays 0)'}`,
      );
      const warnings = `warnings sent: ${String(out.expiry_warnings)} password expiry, ${String(out.inactivity_warnings)} inactivity`;
      return [`deactivated: ${String(out.deactivated)}`, warnings, ...(rows.length ? ['tenants:', ...rows] : ['tenants: (none)'])].join('\n');
    },
  },
};
