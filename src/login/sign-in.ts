import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { pageData, requestFacts } from './context.ts';
import { renderChangePassword } from './change-password.ts';
import { epochSeconds } from '../lib/clock.ts';

const MAX_PASSWORD_INPUT = 1024;

export function renderSignIn(deps: LoginDeps, ctx: Context, ic: InteractionContext, options: { error?: string; email?: string } = {}) {
  const locale = ctx.state.locale as string;
  ctx.type = 'html';
  ctx.body = deps.renderer.render('sign-in', pageData(ic, {
    title: deps.renderer.translate('signIn.title', locale),
    action: `/interaction/${ic.view.uid}/login`,
    abortAction: `/interaction/${ic.view.uid}/abort`,
    forgotLink: `/interaction/${ic.view.uid}/forgot`,
    csrf: deps.csrf.token(ctx),
    email: options.email ?? (typeof ic.view.params.login_hint === 'string' ? ic.view.params.login_hint : ''),
    ...(options.error ? { error: options.error } : {}),
  }), locale);
}

/**
 * Email + password under the tenant's lockout policy. Every failure (unknown email, wrong
 * password, locked account, throttled IP) gets the same page and message.
 */
export async function submitPassword(deps: LoginDeps, ctx: Context, ic: InteractionContext) {
  const body = ctx.request.body as Record<string, unknown>;
  const email = typeof body.email === 'string' ? body.email.slice(0, 320) : '';
  const password = typeof body.password === 'string' ? body.password : '';
  const locale = ctx.state.locale as string;
  if (!email.trim() || !password || password.length > MAX_PASSWORD_INPUT) {
    ctx.status = 400;
    return renderSignIn(deps, ctx, ic, { email, error: deps.renderer.translate('signIn.missing', locale) });
  }
  const outcome = await deps.guard.attempt(ic.tenant, email, password, requestFacts(ctx));
  if (!outcome.ok) {
    ctx.state.log.info({ tenantId: ic.tenant.id, reason: outcome.reason }, 'sign-in refused');
    ctx.status = 401;
    return renderSignIn(deps, ctx, ic, { email, error: deps.renderer.translate('signIn.failed', locale) });
  }
  const { user } = outcome;
  await deps.users.recordLogin(user.id);
  const reason = deps.passwords.changeRequired(user, ic.tenant.policy);
  if (reason) {
    await deps.loginState.put(ic.view.uid, { userId: user.id, passwordAt: epochSeconds(deps.clock), pending: 'change-password', reason });
    return renderChangePassword(deps, ctx, ic, { reason });
  }
  return finishLogin(deps, ctx, ic, user.id);
}

export function finishLogin(deps: LoginDeps, ctx: Context, ic: InteractionContext, userId: string) {
  ctx.state.log.info({ tenantId: ic.tenant.id, userId }, 'sign-in succeeded');
  return deps.host.interactionFinished(ctx, {
    login: { accountId: userId, amr: ['pwd'], acr: 'urn:latchkey:acr:pwd', remember: true },
  });
}
