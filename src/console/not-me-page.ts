import Router from '@koa/router';
import type { Context } from 'koa';
import type { Renderer } from '../http/views.ts';
import type { Csrf } from '../http/csrf.ts';
import { formBody } from '../http/body.ts';
import { applyLocale } from '../http/locale.ts';
import { requestFacts } from '../http/request-facts.ts';
import type { NotMeReports, NotMeState } from '../accounts/not-me-reports.ts';

export const NOT_ME_PREFIX = '/account/not-me';

/**
 * /account/not-me/<token>: the "This wasn't me" link of a security notice. No sign-in: the token,
 * from the user's mailbox, is the proof. The page says what will happen and asks to confirm with
 * a button (a mail scanner opening the link changes nothing); confirming secures the account
 * (NotMeReports.confirm). Single use, 7 days; a used, expired or unknown link gets the page that
 * says so.
 */
export function createNotMeRouter(deps: { renderer: Renderer; csrf: Csrf; notMeReports: NotMeReports }, options: { bodyLimitKb: number }): Router {
  const router = new Router({ prefix: NOT_ME_PREFIX });
  router.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    await next();
  });
  const t = (ctx: Context, key: string, vars?: Record<string, unknown>) => deps.renderer.translate(key, ctx.state.locale, vars);
  const render = (ctx: Context, page: string, title: string, data: Record<string, unknown>) => {
    ctx.type = 'html';
    ctx.body = deps.renderer.render(page, { title: t(ctx, title), ...data }, ctx.state.locale);
  };
  const invalid = (ctx: Context, reason: Extract<NotMeState, { valid: false }>['reason']) => {
    ctx.status = reason === 'unknown' ? 404 : 410;
    // another notice's link was used: the account was secured from there
    const text = reason === 'replaced' ? t(ctx, 'notMe.invalid.replaced') : t(ctx, `linkInvalid.${reason}`);
    render(ctx, 'link-invalid', 'linkInvalid.title', { reason: text, next: t(ctx, 'linkInvalid.next.not_me') });
  };
  const token = (ctx: Context) => String(ctx.params.token);

  router.get('/:token', async (ctx) => {
    const state = await deps.notMeReports.inspect(token(ctx));
    if (!state.valid) return invalid(ctx, state.reason);
    // the link came in the user's email: its pages speak the user's language
    applyLocale(ctx, { user: state.user });
    render(ctx, 'not-me', 'notMe.title', {
      tenantName: state.tenant.displayName,
      lead: t(ctx, `notMe.lead.${state.notice}`, { tenant: state.tenant.displayName }),
      action: ctx.path,
      csrf: deps.csrf.token(ctx),
    });
  });

  router.post('/:token', formBody(options.bodyLimitKb), deps.csrf.verify, async (ctx) => {
    const outcome = await deps.notMeReports.confirm({ token: token(ctx), ...requestFacts(ctx) });
    if (outcome.status === 'invalid') return invalid(ctx, outcome.reason);
    applyLocale(ctx, { user: outcome.user });
    render(ctx, 'not-me-done', 'notMeDone.title', { tenantName: outcome.tenant.displayName, email: outcome.user.email });
  });
  return router;
}
