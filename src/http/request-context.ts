import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { Logger } from '../lib/logger.ts';
import { redactPath } from '../lib/redact.ts';
import { routeTemplateOf } from '../lib/route-template.ts';

/**
 * Gives every request an id (X-Request-Id is echoed), a child logger, and one access log
 * line with the path (without the token that reset, invitation and email-change links carry
 * in it) and the route template, never the query string (it can carry codes and tokens).
 */
export function requestContext(logger: Logger): Middleware {
  return async function requestContext(ctx, next) {
    const requestId = randomUUID();
    const started = process.hrtime.bigint();
    ctx.state.requestId = requestId;
    // the child logger is made on first use: most requests never log more than the access line
    let child: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', { get: () => (child ??= logger.child({ requestId })), configurable: true });
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      // never a return in here: it would swallow what next() threw
      if (logger.isLevelEnabled('info')) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        ctx.state.log.info(
          {
            method: ctx.method,
            path: loggedPath(ctx),
            status: ctx.status,
            route: routeTemplateOf(ctx.req),
            ms: Math.round(ms * 10) / 10,
            ip: ctx.state.clientIp,
            clientId: ctx.state.clientId,
            tenantId: ctx.state.tenantId,
          },
          'request',
        );
      }
    }
  };
}

/**
 * A routed path keeps its ids (an interaction uid ties a sign-in's lines together) but not its
 * `:token` parameter; a path no route matched loses every segment that looks like a token.
 */
function loggedPath(ctx: Context): string {
  const route = routeTemplateOf(ctx.req);
  const params = (ctx as { params?: Record<string, unknown> }).params;
  if (!route || route === 'other') return redactPath(ctx.path);
  if (typeof params?.token !== 'string' || params.token === '') return ctx.path;
  const path = ctx.path.replace(params.token, ':token');
  return path === ctx.path ? redactPath(ctx.path) : path;
}
