import type { Context } from 'koa';
import { z } from 'zod';
import type { ProviderHost } from '../oidc/provider-host.ts';
import type { TenantService, Tenant } from '../accounts/tenants.ts';
import type { UserService, User } from '../accounts/users.ts';
import type { SignInGuard } from '../accounts/sign-in-guard.ts';
import type { Notifications } from '../accounts/notifications.ts';
import type { AuditLog, AuditAction } from '../accounts/audit.ts';
import type { FactorService } from '../accounts/factors.ts';
import type { DeviceService } from '../accounts/devices.ts';
import type { CodeChallenges } from '../factors/code-challenges.ts';
import type { SecondFactors } from '../factors/factor.ts';
import type { PhoneSender } from '../factors/delivery/phone.ts';
import type { AttemptCounters } from '../store/counters/types.ts';
import type { Renderer } from '../http/views.ts';
import type { Csrf } from '../http/csrf.ts';
import type { Logger } from '../lib/logger.ts';
import type { ProfileService } from '../accounts/profile.ts';
import type { Clock } from '../lib/clock.ts';
import type { ClientService } from '../accounts/clients.ts';
import type { AccountSettings, AccountSettingsService } from '../accounts/account-settings.ts';
import type { SessionIndex } from '../accounts/session-index.ts';
import type { PasswordService } from '../accounts/passwords.ts';
import type { UserSessions } from '../accounts/user-sessions.ts';
import type { AccountNotices } from '../accounts/account-notices.ts';
import type { FactorType } from '../policy/tenant-policy.ts';
import { deliverableFactors, type DeploymentDelivery } from '../policy/deliverable-factors.ts';
import { requestFacts } from '../http/request-facts.ts';
import { readForm } from '../http/form.ts';
import type { SecurityUnlock, SecurityUnlocks } from './unlock-store.ts';
import type { ConsoleApiTokens } from './console-api-tokens.ts';
import type { Federation } from '../federation/services.ts';

/** what the account pages use; app.ts passes the sign-in's services plus the unlock store */
export interface ConsoleDeps {
  host: Pick<ProviderHost, 'findSession'>;
  tenants: TenantService;
  users: UserService;
  renderer: Renderer;
  csrf: Csrf;
  guard: SignInGuard;
  factors: FactorService;
  challenges: CodeChallenges;
  /** every factor's send and verify paths, shared with the sign-in (src/factors/second-factors.ts) */
  secondFactors: SecondFactors;
  counters: AttemptCounters;
  phone: Pick<PhoneSender, 'transport'>;
  notifications: Notifications;
  audit: AuditLog;
  devices: DeviceService;
  /** the issuer URL: it decides the device cookie's name */
  issuer: string;
  logger: Logger;
  clock: Clock;
  unlocks: SecurityUnlocks;
  profiles: Pick<ProfileService, 'updateProfile'>;
  clients: Pick<ClientService, 'find' | 'listForTenant'>;
  accountSettings: AccountSettingsService;
  sessions: SessionIndex;
  passwords: Pick<PasswordService, 'change'>;
  userSessions: UserSessions;
  /** personal admin API tokens (owners and admins) */
  apiTokens: ConsoleApiTokens;
  notices: AccountNotices;
  /** identities at upstream providers linked to the user (listed and removed on the security page) */
  federation: Pick<Federation, 'identities'>;
}

/** the signed-in user of this browser, from the provider's session */
export interface SignedIn {
  sessionId: string;
  /** the provider session's stable uid (its id changes at every sign-in in this browser; the uid stays) */
  sessionUid: string;
  /** epoch seconds of the session's last authentication */
  authTime?: number;
  user: User;
  tenant: Tenant;
  settings: AccountSettings;
}

/** a signed-in user who re-entered the password (or signed in again upstream) within the unlock window */
export interface Unlocked extends SignedIn {
  unlock: SecurityUnlock;
}

export const ACCOUNT_PATH = '/account';
export const SECURITY_PATH = '/account/security';

export function translator(deps: ConsoleDeps, ctx: Context) {
  const locale = ctx.state.locale;
  return (key: string, vars?: Record<string, unknown>) => deps.renderer.translate(key, locale, vars);
}

export function renderPage(deps: ConsoleDeps, ctx: Context, who: SignedIn, page: string, data: Record<string, unknown>) {
  ctx.type = 'html';
  ctx.body = deps.renderer.render(
    page,
    {
      tenantName: who.tenant.displayName,
      csrf: deps.csrf.token(ctx),
      base: SECURITY_PATH,
      ...data,
    },
    ctx.state.locale,
    ctx.state.regional,
  );
}

/** records an event the user caused on the account page, with the request's IP and browser */
export function audit(deps: ConsoleDeps, ctx: Context, who: SignedIn, action: AuditAction, details: Record<string, unknown>) {
  return deps.audit.record({
    tenantId: who.tenant.id,
    userId: who.user.id,
    actor: `user:${who.user.id}`,
    action,
    ...requestFacts(ctx),
    details: { ...details, via: 'account-security' },
  });
}

/**
 * One text field of a console form that has no schema of its own (an item's id, a name, a
 * setting), read with readForm: a field sent twice or as an object is refused with 400, a
 * missing one reads as '', and a longer value is cut to `max` (an id cut short is not found).
 */
export function formField(ctx: Context, name: string, max = 64): string {
  const form = readForm(ctx, z.object({ [name]: z.string().default('') }));
  return (form[name] ?? '').slice(0, max);
}

/** what this deployment can deliver: no Twilio, no SMS and no calls */
export function deploymentDelivery(deps: Pick<ConsoleDeps, 'phone'>): DeploymentDelivery {
  return { phone: deps.phone.transport !== 'none' };
}

/** the factor types the tenant allows and this deployment can deliver, as the sign-in has them (possibly none) */
export function offeredTypes(deps: ConsoleDeps, tenant: Tenant): FactorType[] {
  return deliverableFactors(tenant.policy.mfa.factors, deploymentDelivery(deps));
}
