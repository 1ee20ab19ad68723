import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from '../lib/logger.ts';

/**
 * Gives every request an id (X-Request-Id is echoed), a child logger, and one access log
 * line with the route, never the query string (it can carry codes and tokens).
 */
export function requestContext(logger: Logger): Middleware {
  return async (ctx, next) => {
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
      if (!logger.isLevelEnabled('info')) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      ctx.state.log.info({
        method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10,
        ip: ctx.state.clientIp, clientId: ctx.state.clientId, tenantId: ctx.state.tenantId,
      }, 'request');
    }
  };
}
