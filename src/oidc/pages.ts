import type { RequestState } from '../http/request-state.ts';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { Renderer } from '../http/views.ts';
import { isStoreOutage } from '../lib/outage.ts';

type ErrorOut = { error: string; error_description?: string };

/** oidc-provider's own pages (errors, logout) in our layout and language. */
export function providerPages(renderer: Renderer): Pick<Configuration, 'renderError'> & {
  logoutSource: NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>['logoutSource'];
  postLogoutSuccessSource: NonNullable<NonNullable<Configuration['features']>['rpInitiatedLogout']>['postLogoutSuccessSource'];
} {
  const locale = (ctx: KoaContextWithOIDC) => (ctx.state as Partial<RequestState>).locale ?? 'en';
  return {
    async renderError(ctx, out: ErrorOut, error) {
      const outage = isStoreOutage(error);
      if (outage) {
        ctx.status = 503;
        ctx.set('Retry-After', '5');
      }
      const status = outage ? 503 : ((error as { status?: number }).status ?? 500);
      if (status >= 500) ctx.state.log?.error({ err: error }, 'provider error');
      const l = locale(ctx);
      const session = out.error === 'invalid_request' && /interaction session|session/i.test(out.error_description ?? '');
      const kind = outage ? 'error.unavailable' : status >= 500 ? 'error.generic' : session ? 'error.session' : 'error.protocol';
      ctx.type = 'html';
      ctx.body = renderer.render(
        'error',
        {
          title: renderer.translate(`${kind}.heading`, l),
          heading: renderer.translate(`${kind}.heading`, l),
          message:
            session || outage
              ? renderer.translate(`${kind}.message`, l)
              : status >= 500
                ? renderer.translate('error.generic.message', l)
                : (out.error_description ?? out.error),
          next: renderer.translate(`${kind}.next`, l),
          code: out.error,
          requestId: ctx.state.requestId,
        },
        l,
      );
    },
    async logoutSource(ctx, form) {
      ctx.type = 'html';
      ctx.body = renderer.render('logout', { title: renderer.translate('logout.title', locale(ctx)), form }, locale(ctx));
    },
    async postLogoutSuccessSource(ctx) {
      ctx.type = 'html';
      ctx.body = renderer.render('logged-out', { title: renderer.translate('loggedOut.title', locale(ctx)) }, locale(ctx));
    },
  };
}
