import type { Context } from 'koa';
import type { ProviderHost, InteractionView } from '../oidc/provider-host.ts';
import type { TenantService, Tenant } from '../accounts/tenants.ts';
import type { UserService } from '../accounts/users.ts';
import type { SignInGuard } from '../accounts/sign-in-guard.ts';
import type { PasswordService } from '../accounts/passwords.ts';
import type { PasswordRecovery } from '../accounts/password-recovery.ts';
import type { UserSessions } from '../accounts/user-sessions.ts';
import type { Notifications } from '../accounts/notifications.ts';
import type { AuditLog } from '../accounts/audit.ts';
import type { LoginStateStore } from './login-state.ts';
import type { Logger } from '../lib/logger.ts';
import type { Clock } from '../lib/clock.ts';
import type { Renderer } from '../http/views.ts';
import type { Csrf } from '../http/csrf.ts';
import type { FactorService } from '../accounts/factors.ts';
import type { CodeChallenges } from '../factors/code-challenges.ts';
import type { CodeDelivery } from '../factors/code-delivery.ts';
import type { AttemptCounters } from '../store/counters/types.ts';
import type { PhoneSender } from '../factors/delivery/phone.ts';
import type { DeviceService } from '../accounts/devices.ts';
import { AppError } from '../lib/errors.ts';

export interface LoginDeps {
  host: ProviderHost;
  tenants: TenantService;
  users: UserService;
  renderer: Renderer;
  csrf: Csrf;
  guard: SignInGuard;
  passwords: PasswordService;
  recovery: PasswordRecovery;
  userSessions: UserSessions;
  notifications: Notifications;
  audit: AuditLog;
  loginState: LoginStateStore;
  factors: FactorService;
  challenges: CodeChallenges;
  codes: CodeDelivery;
  counters: AttemptCounters;
  phone: PhoneSender;
  devices: DeviceService;
  /** the issuer URL: the device cookie is __Host- prefixed when it is https */
  issuer: string;
  logger: Logger;
  clock: Clock;
}

export interface InteractionContext {
  view: InteractionView;
  client: { clientId: string; name: string; tenantId: string; firstParty: boolean };
  tenant: Tenant;
}

/**
 * Loads the interaction named in the URL, with its client and tenant. A missing or
 * expired interaction cookie, or a URL naming another interaction, is a clear 400 page.
 */
export async function loadInteraction(deps: LoginDeps, ctx: Context): Promise<InteractionContext> {
  let view: InteractionView;
  try {
    view = await deps.host.interactionDetails(ctx);
  } catch (err) {
    throw new AppError(400, 'error.session', 'This sign-in page has expired', { cause: err });
  }
  if (view.uid !== ctx.params.uid) throw new AppError(400, 'error.session', 'This sign-in page has expired');
  const client = await deps.host.current().Client.find(view.clientId) as unknown as
    ({ clientId: string; clientName?: string; tenant_id: string; first_party: boolean } | undefined);
  if (!client) throw new AppError(400, 'error.session', 'The application is no longer registered');
  const tenant = await deps.tenants.findById(client.tenant_id);
  if (!tenant) throw new AppError(400, 'error.session', 'The application is no longer registered');
  ctx.state.clientId = client.clientId;
  ctx.state.tenantId = tenant.id;
  return {
    view,
    client: { clientId: client.clientId, name: client.clientName ?? client.clientId, tenantId: tenant.id, firstParty: client.first_party },
    tenant,
  };
}

export function pageData(ic: InteractionContext, extra: Record<string, unknown>) {
  return { tenantName: ic.tenant.displayName, clientName: ic.client.name, ...extra };
}

/** the request facts every audit event and counter wants */
export function requestFacts(ctx: Context): { ip: string; userAgent?: string } {
  const ua = ctx.get('user-agent');
  return { ip: String(ctx.state.clientIp ?? ctx.ip), ...(ua ? { userAgent: ua.slice(0, 512) } : {}) };
}
