import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import { shown, type StepOutcome } from './step-outcome.ts';
import { federationFailed, type FederationProblem } from './federation-failure.ts';
import type { LoginState } from './login-state.ts';
import type { UpstreamProvider } from '../federation/providers.ts';
import { failureOf, type UpstreamClaims } from '../federation/upstream-client.ts';
import type { UpstreamIdentity } from '../federation/identities.ts';
import { decideFederatedAccess, decideFirstSignIn, decideSignInForm, decideUpstreamSecondFactor } from '../policy/federation.ts';
import { lockoutKey } from '../accounts/sign-in-guard.ts';
import { normalizeEmail } from '../accounts/normalize.ts';
import type { User } from '../accounts/users.ts';
import { epochSeconds } from '../lib/clock.ts';
import { demandsFreshAuthentication } from '../policy/reauthentication.ts';

/**
 * The tenant's providers as the sign-in page shows them (buttons). The page's CSP admits one
 * image origin besides its own: a logo is shown when it is https and on the origin of the
 * tenant's logo, or of the first provider logo when the tenant has none; others show the label alone.
 */
export async function providerButtons(deps: LoginDeps, ctx: Context, ic: InteractionContext) {
  if (!ic.client.tenantHasProviders) return [];
  const providers = await deps.federation.providers.list(ic.client.tenantId);
  const locale = ctx.state.locale;
  return providers.map((p) => {
    const origin = p.logoUrl?.startsWith('https://') ? new URL(p.logoUrl).origin : undefined;
    if (origin && !ctx.state.imageOrigin) ctx.state.imageOrigin = origin;
    const logoUrl = origin && ctx.state.imageOrigin === origin ? p.logoUrl : null;
    return { id: p.id, logoUrl, text: deps.renderer.translate('federation.button', locale, { provider: p.label }) };
  });
}

/**
 * Home realm discovery on the sign-in form: an email of a provider's domain goes to it when no
 * password was typed, and always when the provider is exclusive. True when it redirected.
 */
export async function routeSignInForm(deps: LoginDeps, ctx: Context, ic: InteractionContext, email: string, passwordGiven: boolean): Promise<boolean> {
  if (!ic.client.tenantHasProviders) return false;
  const providers = await deps.federation.providers.list(ic.client.tenantId);
  const route = decideSignInForm(email, passwordGiven, providers);
  if (route.action !== 'redirect') return false;
  await startFederation(deps, ctx, ic, route.providerId, { loginHint: email.trim() });
  return true;
}

const PROVIDER_HINT = /^[A-Za-z0-9-]{1,64}$/;

/**
 * provider_hint (a provider's id or slug) on the authorization request: the sign-in goes straight
 * to that provider of the application's tenant, without the form. True when it redirected; an
 * unknown hint leaves the sign-in page as it is, and so does `?form` (the way back from a failed
 * federated sign-in, which would otherwise go straight to the same provider again).
 */
export async function followProviderHint(deps: LoginDeps, ctx: Context, ic: InteractionContext): Promise<boolean> {
  const hint = ic.view.params.provider_hint;
  if (!ic.client.tenantHasProviders || ctx.query.form !== undefined || typeof hint !== 'string' || !PROVIDER_HINT.test(hint)) return false;
  const provider = await deps.federation.providers.find(ic.client.tenantId, hint);
  if (!provider) return false;
  await startFederation(deps, ctx, ic, provider.id);
  return true;
}

/** a federated sign-in that ends on the failure page */
async function failed(
  deps: LoginDeps,
  ctx: Context,
  where: Parameters<typeof federationFailed>[2],
  problem: FederationProblem,
  detail?: string,
): Promise<StepOutcome> {
  await federationFailed(deps, ctx, where, problem, detail);
  return shown;
}

/**
 * Redirects to the provider's authorization endpoint, keeping state, nonce and PKCE verifier
 * server-side. When the application demands a fresh authentication (prompt=login, max_age=0),
 * so does the request to the upstream, whose auth_time is then checked on return.
 */
export async function startFederation(deps: LoginDeps, ctx: Context, ic: InteractionContext, providerId: string, options: { loginHint?: string } = {}) {
  const provider = await deps.federation.providers.find(ic.client.tenantId, providerId);
  const where = { tenantId: ic.client.tenantId, uid: ic.view.uid };
  if (!provider) return federationFailed(deps, ctx, where, 'provider-unknown');
  const fresh = demandsFreshAuthentication(ic.view.params);
  let begun: Awaited<ReturnType<LoginDeps['federation']['upstream']['begin']>>;
  try {
    begun = await deps.federation.upstream.begin(provider, { fresh });
  } catch (err) {
    const { failure, detail } = failureOf(err);
    return federationFailed(deps, ctx, { ...where, provider }, failure, detail);
  }
  await deps.federation.attempts.save({
    ...begun.checks,
    uid: ic.view.uid,
    providerId: provider.id,
    tenantId: provider.tenantId,
    startedAt: deps.clock.now(),
    ...(fresh ? { fresh } : {}),
  });
  if (options.loginHint) begun.url.searchParams.set('login_hint', options.loginHint);
  await deps.audit.record({
    action: 'federation.started',
    tenantId: provider.tenantId,
    actor: 'anonymous',
    ...requestFacts(ctx),
    details: { provider: provider.slug },
  });
  ctx.status = 303;
  ctx.redirect(begun.url.toString());
}

/**
 * $ISSUER/federation/callback: the interaction cookie is scoped to /interaction/<uid>, so the
 * callback only finds which interaction the state belongs to and continues there, where the
 * browser must prove it holds that interaction before the code is spent.
 */
export async function federationCallback(deps: LoginDeps, ctx: Context) {
  const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
  const attempt = state ? await deps.federation.attempts.peek(state) : undefined;
  if (!attempt) return federationFailed(deps, ctx, {}, 'state-mismatch');
  ctx.status = 303;
  ctx.redirect(`/interaction/${attempt.uid}/federation/return?${ctx.querystring}`);
}

/** The callback, in its interaction: one use of the state, the code exchanged, the person identified. */
export async function completeFederation(deps: LoginDeps, ctx: Context, ic: InteractionContext): Promise<StepOutcome> {
  const state = typeof ctx.query.state === 'string' ? ctx.query.state : '';
  const attempt = state ? await deps.federation.attempts.take(state) : undefined;
  const where = { tenantId: ic.client.tenantId, uid: ic.view.uid };
  if (!attempt || attempt.uid !== ic.view.uid || attempt.tenantId !== ic.client.tenantId) return failed(deps, ctx, where, 'state-mismatch');
  const provider = await deps.federation.providers.find(attempt.tenantId, attempt.providerId);
  if (!provider) return failed(deps, ctx, where, 'provider-unknown');
  let claims: UpstreamClaims;
  try {
    const callback = new URL(deps.federation.callbackUrl);
    callback.search = ctx.querystring;
    // a fresh authentication was asked: the upstream's auth_time must not be before the redirect to it
    const maxAge = attempt.fresh ? Math.ceil((deps.clock.now() - attempt.startedAt) / 1000) : undefined;
    claims = await deps.federation.upstream.complete(provider, callback, attempt, maxAge === undefined ? {} : { maxAge });
  } catch (err) {
    const { failure, detail } = failureOf(err);
    return failed(deps, ctx, { ...where, provider }, failure, detail);
  }
  const email = typeof claims.email === 'string' ? normalizeEmail(claims.email).slice(0, 320) : undefined;
  const identity: UpstreamIdentity = { providerId: provider.id, issuer: claims.iss, subject: claims.sub, email };
  const upstreamFactor = decideUpstreamSecondFactor({ amr: provider.mfaAmr, acr: provider.mfaAcr }, claims).counts;
  const linked = await deps.federation.identities.findUser(identity);
  if (linked) return continueFederated(deps, ctx, ic, provider, linked, identity, { upstreamFactor, methods: ['fed'] });

  const verified = claims.email_verified === true && !!email;
  const existing = verified ? await deps.federation.identities.matchByEmail(provider.tenantId, email, provider.id) : undefined;
  const decision = decideFirstSignIn({
    provisionRole: provider.provisionRole,
    domains: provider.domains,
    upstream: { email, emailVerified: claims.email_verified },
    ...(existing ? { existing: { status: existing.user.status, hasPassword: existing.hasPassword, linkedToProvider: existing.linkedToProvider } } : {}),
  });
  switch (decision.action) {
    case 'refuse':
      return failed(deps, ctx, { ...where, provider, ...(existing ? { userId: existing.user.id } : {}) }, decision.reason);
    case 'link-with-password': {
      // the flow shows the link step: the account's password, once
      const pending: LoginState = {
        userId: existing!.user.id,
        passwordAt: 0,
        methods: [],
        secondFactor: { action: 'none' },
        linking: { providerId: provider.id, issuer: identity.issuer, subject: identity.subject, email: email!, upstreamFactor },
      };
      return { kind: 'progress', state: pending };
    }
    case 'provision': {
      const user = await deps.federation.identities.provision(
        provider.tenantId,
        {
          email: email!,
          role: decision.role as User['role'],
          ...(typeof claims.given_name === 'string' ? { firstName: claims.given_name } : {}),
          ...(typeof claims.family_name === 'string' ? { lastName: claims.family_name } : {}),
        },
        identity,
      );
      await deps.audit.record({
        action: 'federation.provisioned',
        tenantId: provider.tenantId,
        userId: user.id,
        actor: 'system',
        ...requestFacts(ctx),
        details: { provider: provider.slug, role: user.role },
      });
      return continueFederated(deps, ctx, ic, provider, user, identity, { upstreamFactor, methods: ['fed'] });
    }
  }
}

/**
 * A federated user is identified: the same rules as a password sign-in follow (deactivation,
 * lockout, then network and second factor through the flow), except that the
 * upstream's own second factor stands in for ours when the provider counts it.
 */
export async function continueFederated(
  deps: LoginDeps,
  ctx: Context,
  ic: InteractionContext,
  provider: UpstreamProvider,
  user: User,
  identity: UpstreamIdentity,
  options: { upstreamFactor: boolean; methods: LoginState['methods'] },
): Promise<StepOutcome> {
  const where = { tenantId: provider.tenantId, uid: ic.view.uid, provider, userId: user.id };
  if (user.tenantId !== ic.client.tenantId) return failed(deps, ctx, where, 'no-account');
  const lockedUntil = await deps.counters.lockedUntil(lockoutKey(user.tenantId, user.email));
  const access = decideFederatedAccess(user, lockedUntil, deps.clock.now());
  if (!access.allow) return failed(deps, ctx, where, access.reason);
  await Promise.all([deps.federation.identities.touch(identity), deps.users.recordLogin(user.id)]);
  await deps.audit.record({
    action: 'federation.succeeded',
    tenantId: user.tenantId,
    userId: user.id,
    actor: `user:${user.id}`,
    ...requestFacts(ctx),
    details: { provider: provider.slug, upstreamFactor: options.upstreamFactor },
  });
  const methods: LoginState['methods'] = [...options.methods, ...(options.upstreamFactor ? ['upstream-mfa' as const] : [])];
  return {
    kind: 'identified',
    first: {
      state: { userId: user.id, passwordAt: epochSeconds(deps.clock), methods, secondFactor: { action: 'none' } },
      lastSecondFactorAt: await deps.federation.identities.lastSecondFactorAt(user.id),
      upstreamFactor: options.upstreamFactor,
    },
  };
}
