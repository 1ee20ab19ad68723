import type { Middleware } from 'koa';
import type { Metrics } from '../lib/metrics.ts';
import { rememberRouteTemplate } from '../lib/route-template.ts';

/**
 * Counts and times every request by the template of the route that answered it
 * ('/interaction/:uid/login', '/auth/:uid', '/admin/v1/tenants/:tenant/users'), never by
 * its raw path: paths carry interaction ids, tenant names and tokens, and each distinct
 * value would become a new series. Both @koa/router and oidc-provider's router leave the
 * template in ctx._matchedRoute; anything no route matched (404s, probes for random paths)
 * is 'other'. The template is also left on the request for the tracing's server span.
 */
export function requestMetrics(metrics: Pick<Metrics, 'request'>): Middleware {
  return async function requestMetrics(ctx, next) {
    const started = process.hrtime.bigint();
    let status: number | undefined;
    try {
      await next();
    } catch (err) {
      // the error handler turns errors into responses; one that got past it is answered with 500 by Koa
      status = 500;
      throw err;
    } finally {
      const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
      const route = typeof matched === 'string' ? matched : 'other';
      rememberRouteTemplate(ctx.req, route);
      metrics.request(route, ctx.method, status ?? ctx.status, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
}
