import type { IncomingMessage } from 'node:http';

/**
 * The route template that answered a request ('/interaction/:uid/login'), kept on the Node
 * request so that code outside Koa (the tracing's HTTP server span) can name the request by it.
 */
const TEMPLATE = Symbol('latchkey.routeTemplate');

type WithTemplate = IncomingMessage & { [TEMPLATE]?: string };

export function rememberRouteTemplate(req: IncomingMessage, route: string): void {
  (req as WithTemplate)[TEMPLATE] = route;
}

export function routeTemplateOf(req: IncomingMessage): string | undefined {
  return (req as WithTemplate)[TEMPLATE];
}
