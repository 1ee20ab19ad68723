import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import { federationFailed } from './federation-failure.ts';
import { failureOf } from '../federation/upstream-client.ts';
import { decideSignInForm } from '../policy/federation.ts';
import { demandsFreshAuthentication } from '../policy/reauthentication.ts';

/*
 * The ways into a federated sign-in, used by the sign-in page and the routes: the provider
 * buttons, home realm discovery, provider_hint, the redirect to the provider and its callback.
 * Not a step: the step is the return from the provider (federation.ts).
 */

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
