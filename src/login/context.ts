import type { Context } from 'koa';
import type { ProviderHost, InteractionView } from '../oidc/provider-host.ts';
import type { TenantService, Tenant } from '../accounts/tenants.ts';
import type { UserService } from '../accounts/users.ts';
import type { SignInGuard } from '../accounts/sign-in-guard.ts';
import type { PasswordService } from '../accounts/passwords.ts';
import type { PasswordRecovery } from '../accounts/password-recovery.ts';
import type { UserSessions } from '../accounts/user-sessions.ts';
import type { Notifications } from '../accounts/notifications.ts';
import type { AuditAction, AuditLog } from '../accounts/audit.ts';
import type { LoginState, LoginStateStore } from './login-state.ts';
import type { Logger } from '../lib/logger.ts';
import type { Clock } from '../lib/clock.ts';
import type { Renderer } from '../http/views.ts';
import type { Csrf } from '../http/csrf.ts';
import type { FactorService } from '../accounts/factors.ts';
import type { CodeChallenges } from '../factors/code-challenges.ts';
import type { CodeDelivery } from '../factors/code-delivery.ts';
import type { FactorScope, SecondFactors } from '../factors/factor.ts';
import type { Passkeys } from '../factors/passkeys.ts';
import type { AttemptCounters } from '../store/counters/types.ts';
import type { PhoneSender } from '../factors/delivery/phone.ts';
import type { DeviceService } from '../accounts/devices.ts';
import type { Federation } from '../federation/services.ts';
import { AppError } from '../lib/errors.ts';
import { requestFacts } from '../http/request-facts.ts';
import { applyLocale } from '../http/locale.ts';
import { isStoreOutage, storeUnavailable } from '../lib/outage.ts';

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
  /** every factor's send and verify paths (src/factors/second-factors.ts) */
  secondFactors: SecondFactors;
  /** WebAuthn ceremonies: a passkey as the whole sign-in (src/factors/passkeys.ts) */
  passkeys: Passkeys;
  counters: AttemptCounters;
  phone: PhoneSender;
  devices: DeviceService;
  /** upstream providers: buttons, home realm discovery, the callback */
  federation: Federation;
  /** the issuer URL: the device cookie is __Host- prefixed when it is https */
  issuer: string;
  logger: Logger;
  clock: Clock;
}

export interface InteractionContext {
  view: InteractionView;
  client: {
    clientId: string;
    name: string;
    tenantId: string;
    tenantName: string;
    tenantLogoUrl: string | null;
    firstParty: boolean;
    /** the application's tenant has upstream providers (else the sign-in never looks them up) */
    tenantHasProviders: boolean;
  };
  /**
   * The tenant whose policy the sign-in follows: the application's, or, for a reseller's
   * application, the child tenant of the user being signed in (see signInTenant).
   */
  tenant: Tenant;
  /** the sign-in's progress as this request found it (read once, here; steps write it through deps.loginState) */
  state: LoginState | undefined;
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
    if (isStoreOutage(err)) throw storeUnavailable(err);
    throw new AppError(400, 'error.session', 'This sign-in page has expired', { cause: err });
  }
  if (view.uid !== ctx.params.uid) throw new AppError(400, 'error.session', 'This sign-in page has expired');
  const client = await deps.host.findClient(view.clientId);
  if (!client) throw new AppError(400, 'error.session', 'The application is no longer registered');
  const owner = await deps.tenants.findById(client.tenantId);
  if (!owner) throw new AppError(400, 'error.session', 'The application is no longer registered');
  const state = await deps.loginState.get(view.uid);
  const tenant = owner.hasChildren ? await signInTenant(deps, ctx, view, owner, state) : owner;
  await applyInteractionLocale(deps, ctx, view, state);
  ctx.state.clientId = client.clientId;
  ctx.state.tenantId = tenant.id;
  if (owner.logoUrl) ctx.state.imageOrigin = new URL(owner.logoUrl).origin;
  // an error page later in this request still shows whose sign-in it is
  ctx.state.brand = { tenantName: owner.displayName, tenantLogoUrl: owner.logoUrl };
  return {
    view,
    client: {
      clientId: client.clientId,
      name: client.name ?? client.clientId,
      tenantId: owner.id,
      tenantName: owner.displayName,
      tenantLogoUrl: owner.logoUrl,
      firstParty: client.firstParty,
      tenantHasProviders: owner.hasProviders,
    },
    tenant,
    state,
  };
}

/**
 * A reseller's applications admit the users of its child tenants, and each user signs in under
 * their own tenant's policy (lockout, second factor, devices, password rules): the child tenant
 * of the user named by the email typed on this request, else of the user this sign-in has
 * already identified, else of the session's user (a step-up). An unknown or ambiguous email
 * stays with the reseller, whose password check then refuses it (users.verifyPassword).
 */
async function signInTenant(deps: LoginDeps, ctx: Context, view: InteractionView, owner: Tenant, state: LoginState | undefined): Promise<Tenant> {
  const typed = (ctx.request as { body?: unknown }).body as Record<string, unknown> | undefined;
  let tenantId: string | undefined;
  if (typeof typed?.email === 'string' && typed.email.length <= 320) {
    const subject = await deps.users.findSignInSubject(owner.id, typed.email);
    tenantId = subject.kind === 'user' ? subject.tenantId : undefined;
  } else {
    const userId = state?.userId ?? view.accountId;
    tenantId = userId ? (await deps.users.findById(userId))?.tenantId : undefined;
  }
  if (!tenantId || tenantId === owner.id) return owner;
  const child = await deps.tenants.findById(tenantId);
  return child?.parentId === owner.id ? child : owner;
}

/**
 * The language of the interaction's pages: its ui_locales, then the user's setting once the
 * password step (or the session, at consent) has named the user, then Accept-Language.
 */
async function applyInteractionLocale(deps: LoginDeps, ctx: Context, view: InteractionView, state: LoginState | undefined) {
  const userLocale = state ? state.locale : view.prompt.name === 'consent' && view.accountId ? (await deps.users.findById(view.accountId))?.locale : undefined;
  applyLocale(ctx, { uiLocales: view.params.ui_locales ?? '', user: { locale: userLocale } });
}

/** pages show the application's tenant: naming a child tenant before the password is checked would tell where an email belongs */
export function pageData(ic: InteractionContext, extra: Record<string, unknown>) {
  return { tenantName: ic.client.tenantName, tenantLogoUrl: ic.client.tenantLogoUrl, clientName: ic.client.name, ...extra };
}

/** what a factor's proof in this sign-in is bound to: the interaction, its tenant and user, the page's language */
export function factorScope(ctx: Context, ic: InteractionContext, user: FactorScope['user'], purpose: 'signin' | 'enroll'): FactorScope {
  return { purpose, uid: ic.view.uid, tenant: ic.tenant, user, locale: ctx.state.locale, ip: requestFacts(ctx).ip };
}

/** an audit event of the user this sign-in is for, in the tenant whose policy it follows, with the request's IP and browser */
export function auditSignIn(
  deps: Pick<LoginDeps, 'audit'>,
  ctx: Context,
  ic: InteractionContext,
  userId: string,
  action: AuditAction,
  details?: Record<string, unknown>,
): Promise<void> {
  return deps.audit.record({ tenantId: ic.tenant.id, userId, actor: `user:${userId}`, action, ...requestFacts(ctx), ...(details ? { details } : {}) });
}
