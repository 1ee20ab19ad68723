import type { Context, Middleware } from 'koa';
import type { z } from 'zod';
import { AppError } from '../lib/errors.ts';

/** the error body of every admin API response that is not a success */
export interface AdminErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** where a refused value was: path parameter, query string or JSON body */
export type InputPart = 'path' | 'query' | 'body';

export function invalidInput(part: InputPart, error: z.ZodError): AppError {
  const issues = error.issues.slice(0, 50).map((issue) => ({
    in: part,
    path: issue.path.map(String).join('.'),
    code: issue.code,
    message: issue.message,
  }));
  const first = issues[0];
  const where = first ? `${first.in}${first.path ? ` ${first.path}` : ''}` : part;
  return new AppError(400, 'request.invalid', `The request is not valid: ${where}: ${first?.message ?? 'invalid'}`, { details: { issues } });
}

/** 401 and 403 for bearer tokens carry WWW-Authenticate (RFC 6750 section 3) */
export const unauthorized = (code: string, message: string) =>
  new AppError(401, code, message, { details: { bearerError: code === 'auth.required' ? undefined : 'invalid_token' } });
export const insufficientScope = (scope: string) =>
  new AppError(403, 'auth.insufficient_scope', `This call needs the ${scope} scope`, { details: { requiredScope: scope } });

/** statuses whose message is ours to choose when the thrower was not an AppError */
const GENERIC: Record<number, [string, string]> = {
  400: ['request.invalid', 'The request is not valid'],
  404: ['route.not_found', 'There is no such admin API route'],
  413: ['request.too_large', 'The request body is too large'],
  415: ['request.unsupported_media_type', 'Send the request body as application/json'],
};

/**
 * Every error under /admin/v1 becomes `{ error: { code, message, details? } }`: AppErrors keep
 * their code and message, other client errors get a generic one, anything else is a 500 that
 * says nothing of its cause (it is logged with the stack).
 */
export function adminErrors(): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      render(ctx, err);
    }
  };
}

function render(ctx: Context, err: unknown): void {
  const e = err as { status?: unknown; expose?: unknown; type?: unknown };
  let status = typeof e.status === 'number' && Number.isInteger(e.status) && e.status >= 400 && e.status <= 599 ? e.status : 500;
  let body: AdminErrorBody;
  if (err instanceof AppError && (status < 500 || err.expose)) {
    const { bearerError, requiredScope, ...details } = err.details ?? {};
    if (status === 401) ctx.set('WWW-Authenticate', `Bearer realm="latchkey-admin"${bearerError ? `, error="${String(bearerError)}"` : ''}`);
    if (typeof requiredScope === 'string') ctx.set('WWW-Authenticate', `Bearer realm="latchkey-admin", error="insufficient_scope", scope="${requiredScope}"`);
    const retry = details.retryAfter;
    if (typeof retry === 'number') ctx.set('Retry-After', String(retry));
    body = { error: { code: err.code, message: err.message, ...(Object.keys(details).length ? { details } : {}) } };
  } else if (status < 500) {
    if (e.type === 'entity.too.large') status = 413;
    const [code, message] = GENERIC[status] ?? [`request.status_${status}`, 'The request was refused'];
    body = { error: { code, message } };
  } else if (status === 503) {
    // overload (such as the argon2 queue): worth retrying, unlike a fault
    ctx.set('Retry-After', '5');
    body = { error: { code: 'server.busy', message: 'The server is busy; try again in a few seconds' } };
  } else {
    status = 500;
    body = { error: { code: 'server.error', message: 'Something went wrong on our side; the request id helps us find it' } };
  }
  if (status >= 500) ctx.state.log?.error({ err }, 'admin request failed');
  else ctx.state.log?.info({ code: body.error.code, status }, 'admin request rejected');
  ctx.status = status;
  ctx.set('Cache-Control', 'no-store');
  ctx.body = body;
}
