import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { pageData } from './context.ts';
import { shown, type StepOutcome } from './step-outcome.ts';
import { ACR_STEP_UP_REASON, TENANT_MISMATCH_REASON } from '../oidc/interaction-policy.ts';
import { epochSeconds } from '../lib/clock.ts';
import { providerButtons, routeSignInForm } from './federation-entry.ts';
import { applyLocale } from '../http/locale.ts';
import { readForm } from '../http/form.ts';
import { passkeyAnswerForm, signInForm } from './forms.ts';
import { identifyByPasskey, passwordlessForm } from './passkey-ceremony.ts';
import { signInFacts } from './known-browser.ts';

/** the sign-in form: email and password, the upstream providers' buttons */
export async function renderSignIn(
  deps: LoginDeps,
  ctx: Context,
  ic: InteractionContext,
  options: { error?: string; email?: string; passkeyRefused?: boolean } = {},
) {
  const locale = ctx.state.locale;
  const [providers, passkey] = await Promise.all([providerButtons(deps, ctx, ic), passwordlessForm(deps, ctx, ic)]);
  ctx.type = 'html';
  ctx.body = deps.renderer.render(
    'sign-in',
    pageData(ic, {
      title: deps.renderer.translate('signIn.title', locale),
      action: `/interaction/${ic.view.uid}/login`,
      abortAction: `/interaction/${ic.view.uid}/abort`,
      forgotLink: `/interaction/${ic.view.uid}/forgot`,
      csrf: deps.csrf.token(ctx),
      // after a refused password: what to do next, the same list whatever the reason (it names none)
      failed: ctx.status === 401 && !options.passkeyRefused,
      // a refused passkey names no field the user typed in
      fieldError: options.error !== undefined && !options.passkeyRefused,
      otherTenant: ic.view.prompt.reasons.includes(TENANT_MISMATCH_REASON),
      email: options.email ?? (typeof ic.view.params.login_hint === 'string' ? ic.view.params.login_hint : ''),
      ...(options.error ? { error: options.error } : {}),
      providers,
      ...(passkey ? { passkey } : {}),
      providerAction: `/interaction/${ic.view.uid}/federation/start`,
    }),
    locale,
  );
}

/**
 * Email + password under the tenant's lockout policy. Every failure (unknown email, wrong
 * password, locked account, throttled IP) gets the same page and message.
 */
export async function submitPassword(deps: LoginDeps, ctx: Context, ic: InteractionContext): Promise<StepOutcome> {
  const { email, password } = readForm(ctx, signInForm);
  const locale = ctx.state.locale;
  // home realm discovery: an email of a provider's domain (always, if the provider is exclusive) goes there
  if (email.trim() && (await routeSignInForm(deps, ctx, ic, email, password !== ''))) return shown;
  if (!email.trim() || !password) {
    ctx.status = 400;
    await renderSignIn(deps, ctx, ic, { email, error: deps.renderer.translate('signIn.missing', locale) });
    return shown;
  }
  const outcome = await deps.guard.attempt(ic.tenant, email, password, signInFacts(deps, ctx));
  if (!outcome.ok) {
    ctx.state.log.info({ tenantId: ic.tenant.id, reason: outcome.reason }, 'sign-in refused');
    ctx.status = 401;
    await renderSignIn(deps, ctx, ic, { email, error: deps.renderer.translate('signIn.failed', locale) });
    return shown;
  }
  const { user } = outcome;
  await deps.users.recordLogin(user.id);
  // from here on the pages speak the user's language (unless the application asked for one)
  applyLocale(ctx, { uiLocales: ic.view.params.ui_locales ?? '', user });
  const changeReason = deps.passwords.changeRequired(user, ic.tenant.policy);
  return {
    kind: 'identified',
    first: {
      state: {
        userId: user.id,
        passwordAt: epochSeconds(deps.clock),
        methods: ['pwd'],
        secondFactor: { action: 'none' },
        locale: user.locale,
        ...(changeReason ? { changeReason } : {}),
      },
      lastSecondFactorAt: user.lastSecondFactorAt,
    },
  };
}

/**
 * "Sign in with a passkey" (or a passkey picked in the email field's autofill): the passkey is
 * the whole sign-in. Every failure gets one message, whatever the reason (it names none).
 */
export async function submitPasskey(deps: LoginDeps, ctx: Context, ic: InteractionContext): Promise<StepOutcome> {
  const form = readForm(ctx, passkeyAnswerForm);
  const first = form.credential ? await identifyByPasskey(deps, ctx, ic, form.credential) : undefined;
  if (!first) {
    ctx.status = 401;
    await renderSignIn(deps, ctx, ic, { error: deps.renderer.translate('passkey.refused', ctx.state.locale), passkeyRefused: true });
    return shown;
  }
  return { kind: 'identified', first };
}

/**
 * A step-up on an existing session (the application asked for the mfa acr the session lacks):
 * the session's password stands, only the second factor is asked. A re-authentication for
 * max_age, or anything else, asks for the password again.
 */
export async function stepUpOnSession(deps: LoginDeps, ctx: Context, ic: InteractionContext): Promise<StepOutcome | undefined> {
  const reasons = ic.view.prompt.reasons;
  const stepUpOnly = reasons.length > 0 && reasons.every((r) => r === ACR_STEP_UP_REASON || r === 'essential_acr' || r === 'essential_acrs');
  if (!stepUpOnly || !ic.view.accountId || !ic.view.sessionAmr?.includes('pwd')) return undefined;
  const user = await deps.users.findById(ic.view.accountId);
  if (user?.status !== 'active' || user.tenantId !== ic.tenant.id) return undefined;
  applyLocale(ctx, { uiLocales: ic.view.params.ui_locales ?? '', user });
  return {
    kind: 'identified',
    first: {
      state: { userId: user.id, passwordAt: epochSeconds(deps.clock), methods: ['pwd'], secondFactor: { action: 'none' }, locale: user.locale },
      stepUp: true,
    },
  };
}
