import compose from 'koa-compose';
import type Router from '@koa/router';
import type { Middleware } from 'koa';

/**
 * Our routers, each reached only for its own path prefix: a request for the provider's
 * endpoints (/token, /auth, ...) passes through one Map lookup instead of every router.
 */
export function routeByPrefix(routers: Record<string, Router>): Middleware {
  const table = new Map<string, Middleware>();
  for (const [prefix, router] of Object.entries(routers)) {
    table.set(prefix, compose([router.routes() as Middleware, router.allowedMethods() as Middleware]));
  }
  return function ourRoutes(ctx, next) {
    const second = ctx.path.indexOf('/', 1);
    const first = second === -1 ? ctx.path : ctx.path.slice(0, second);
    const twoLevels = second === -1 ? undefined : ctx.path.slice(0, ctx.path.indexOf('/', second + 1) === -1 ? undefined : ctx.path.indexOf('/', second + 1));
    const handler = (twoLevels && table.get(twoLevels)) ?? table.get(first) ?? table.get(ctx.path);
    return handler ? handler(ctx, next) : next();
  };
}
