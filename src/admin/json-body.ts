import { koaBody } from 'koa-body';
import type { Middleware } from 'koa';
import { AppError } from '../lib/errors.ts';

/**
 * JSON bodies for the admin API's writes: anything else with a body is 415, a body over the
 * limit 413 (koa-body stops reading at the limit), malformed JSON or a bare value 400.
 */
export function jsonBody(limitKb: number): Middleware {
  const parse = koaBody({
    json: true,
    urlencoded: false,
    text: false,
    multipart: false,
    jsonLimit: `${limitKb}kb`,
    jsonStrict: true,
    parsedMethods: ['POST', 'PATCH', 'PUT', 'DELETE'] as never,
    onError: (err) => {
      const status = (err as { status?: number }).status;
      // co-body marks unparsable and non-object JSON 400; too large is 413 (raw-body)
      if (status === 400 || err instanceof SyntaxError)
        throw new AppError(400, 'request.invalid_json', 'The request body is not valid JSON (an object is expected)');
      throw err;
    },
  }) as Middleware;
  return async (ctx, next) => {
    const hasBody = Number(ctx.get('content-length') || 0) > 0 || ctx.get('transfer-encoding') !== '';
    if (hasBody && !ctx.is('application/json', '+json')) {
      throw new AppError(415, 'request.unsupported_media_type', 'Send the request body as application/json');
    }
    if (!hasBody) {
      ctx.request.body = undefined;
      return next();
    }
    return parse(ctx, next);
  };
}
