import type { Context } from 'koa';
import type { LoginDeps, InteractionContext } from './context.ts';
import { pageData } from './context.ts';
import { requestFacts } from '../http/request-facts.ts';
import { readForm } from '../http/form.ts';
import { forgotPasswordForm } from './forms.ts';

export function renderForgot(deps: LoginDeps, ctx: Context, ic: InteractionContext, options: { sent?: boolean; email?: string } = {}) {
  const locale = ctx.state.locale;
  ctx.type = 'html';
  ctx.body = deps.renderer.render(
    'forgot-password',
    pageData(ic, {
      title: deps.renderer.translate('forgot.title', locale),
      action: `/interaction/${ic.view.uid}/forgot`,
      backLink: `/interaction/${ic.view.uid}`,
      csrf: deps.csrf.token(ctx),
      sent: options.sent ?? false,
      email: options.email ?? '',
    }),
    locale,
  );
}

/** Answers the same whether or not the email belongs to someone; the email goes out in the background. */
export async function submitForgot(deps: LoginDeps, ctx: Context, ic: InteractionContext) {
  const { email } = readForm(ctx, forgotPasswordForm);
  if (email.trim()) {
    await deps.recovery.request(ic.tenant, email, { ...requestFacts(ctx), locale: ctx.state.locale });
  }
  return renderForgot(deps, ctx, ic, { sent: true });
}
