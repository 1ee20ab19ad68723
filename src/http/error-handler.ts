import type { RequestState } from './request-state.ts';
import type { Context, Middleware } from 'koa';
import { AppError } from '../lib/errors.ts';
import { isStoreOutage, outageStore, storeUnavailable } from '../lib/outage.ts';
import type { Metrics } from '../lib/metrics.ts';
import type { Renderer } from './views.ts';

/**
 * The one place errors become responses: AppError and client errors (status < 500 with
 * `expose`) keep their message; everything else becomes a generic page or JSON and is
 * logged with its stack. Pages for browsers, JSON for APIs. A request that Redis or
 * PostgreSQL failed is counted in `metrics` (by the store that failed).
 */
export function errorHandler(renderer: Renderer, metrics?: Pick<Metrics, 'storeError'>): Middleware {
  return async function errorHandler(ctx, next) {
    try {
      await next();
    } catch (err) {
      respondWithError(ctx, renderer, err, metrics);
    }
  };
}

export function respondWithError(ctx: Context, renderer: Renderer, thrown: unknown, metrics?: Pick<Metrics, 'storeError'>): void {
  const outage = outageOf(thrown);
  if (outage !== undefined) metrics?.storeError(outageStore(outage), 'request');
  const err = !(thrown instanceof AppError) && outage !== undefined ? storeUnavailable(thrown) : thrown;
  const e = err as { status?: number; statusCode?: number; expose?: boolean; message?: string; code?: string; type?: string };
  let status = e.status ?? e.statusCode ?? 500;
  if (!Number.isInteger(status) || status < 400 || status > 599) status = 500;
  const exposed = err instanceof AppError ? err.expose : status < 500 && e.expose !== false;
  const code = err instanceof AppError ? err.code : codeForStatus(status, e.type);
  const locale = (ctx.state as Partial<RequestState>).locale ?? 'en';
  const message = exposed ? (e.message ?? 'Bad request') : renderer.translate('error.generic.message', locale);
  if (status >= 500) ctx.state.log?.error({ err }, 'request failed');
  else ctx.state.log?.info({ code, status }, 'request rejected');

  ctx.status = status;
  if (status === 503 || status === 429) {
    const retryAfter = err instanceof AppError ? err.details?.retryAfter : undefined;
    ctx.set('Retry-After', String(typeof retryAfter === 'number' ? retryAfter : 5));
  }
  if (wantsJson(ctx)) {
    // the admin API documents one error shape for everything under /admin (src/admin/errors.ts)
    ctx.body = ctx.path.startsWith('/admin/') ? { error: { code, message } } : { error: code, message, request_id: ctx.state.requestId };
    return;
  }
  ctx.type = 'html';
  const known = KNOWN_ERROR_PAGES.includes(code);
  ctx.body = renderer.render(
    'error',
    {
      ...ctx.state.brand,
      title: renderer.translate(known ? `${code}.heading` : 'error.generic.heading', locale),
      heading: renderer.translate(known ? `${code}.heading` : 'error.generic.heading', locale),
      message: known ? renderer.translate(`${code}.message`, locale) : message,
      next: renderer.translate(known && code !== 'error.notFound' ? `${code}.next` : 'error.generic.next', locale),
      code,
      requestId: ctx.state.requestId,
    },
    locale,
  );
}

/**
 * The errors that have a page of their own (catalogue keys <code>.heading, .message, .next):
 * what happened and what to do next, in the reader's language.
 */
const KNOWN_ERROR_PAGES = [
  'error.csrf',
  'error.form',
  'error.session',
  'error.notFound',
  'error.unavailable',
  'error.insecure',
  'error.busy',
  'error.network',
  'error.noDeliverableFactor',
  'error.mfaVoided',
];

/** the store error behind `thrown`: itself, or the cause of the 503 a lower layer already made of it */
function outageOf(thrown: unknown): unknown {
  if (thrown instanceof AppError) return thrown.code === 'error.unavailable' && thrown.cause !== undefined ? thrown.cause : undefined;
  return isStoreOutage(thrown) ? thrown : undefined;
}

function codeForStatus(status: number, type?: string): string {
  if (type === 'entity.too.large' || status === 413) return 'request.too_large';
  if (status === 415) return 'request.unsupported_media_type';
  if (status === 404) return 'error.notFound';
  if (status === 503) return 'error.unavailable';
  if (status < 500) return 'request.invalid';
  return 'server.error';
}

export function wantsJson(ctx: Context): boolean {
  if (ctx.path.startsWith('/admin/') || ctx.path === '/readyz' || ctx.path === '/healthz') return true;
  return ctx.accepts('html', 'json') === 'json';
}
