import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { pageData } from './context.ts';

const MAX_PASSWORD_INPUT = 1024;

export function renderSignIn(deps: LoginDeps, ctx: Context, ic: InteractionContext, options: { error?: string; email?: string } = {}) {
  const locale = ctx.state.locale as string;
  ctx.type = 'html';
  ctx.body = deps.renderer.render('sign-in', pageData(ic, {
    title: deps.renderer.translate('signIn.title', locale),
    action: `/interaction/${ic.view.uid}/login`,
    abortAction: `/interaction/${ic.view.uid}/abort`,
    csrf: deps.csrf.token(ctx),
    email: options.email ?? (typeof ic.view.params.login_hint === 'string' ? ic.view.params.login_hint : ''),
    ...(options.error ? { error: options.error } : {}),
  }), locale);
}

/**
 * Email + password. Every failure (unknown email, wrong password, inactive user) gets the
 * same message and costs one argon2 verification.
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
  const user = await deps.users.verifyPassword(ic.tenant.id, email, password);
  if (!user) {
    ctx.state.log.info({ tenantId: ic.tenant.id }, 'sign-in failed');
    ctx.status = 401;
    return renderSignIn(deps, ctx, ic, { email, error: deps.renderer.translate('signIn.failed', locale) });
  }
  await deps.users.recordLogin(user.id);
  ctx.state.log.info({ tenantId: ic.tenant.id, userId: user.id }, 'sign-in succeeded');
  return deps.host.interactionFinished(ctx, {
    login: { accountId: user.id, amr: ['pwd'], acr: 'urn:latchkey:acr:pwd', remember: true },
  });
}
