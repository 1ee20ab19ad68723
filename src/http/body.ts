import { koaBody } from 'koa-body';
import type { Middleware } from 'koa';

/** Form bodies for our pages only (oidc-provider parses its own). Oversized: 413. */
export function formBody(limitKb: number): Middleware {
  return koaBody({
    urlencoded: true,
    json: false,
    text: false,
    multipart: false,
    formLimit: `${limitKb}kb`,
    parsedMethods: ['POST'] as never,
    onError: (err) => {
      throw err;
    },
  }) as Middleware;
}
