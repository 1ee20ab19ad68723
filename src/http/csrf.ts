import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import { AppError } from '../lib/errors.ts';
import { hostCookie } from '../lib/cookie-names.ts';

/**
 * Double-submit token: a random value in a signed, HttpOnly, SameSite=Lax cookie, echoed
 * in a hidden form field. The cookie is signed with COOKIE_KEYS, so it cannot be planted, and
 * is a whole-host cookie (`__Host-lk.csrf` on an https issuer, src/lib/cookie-names.ts).
 */
export interface Csrf {
  token(ctx: Context): string;
  /** rejects unsafe requests whose form field does not match the cookie */
  verify: Middleware;
}

export function createCsrf(options: { issuer: string }): Csrf {
  const cookie = hostCookie(options.issuer, 'lk.csrf');
  const { name } = cookie;
  const cookieOptions = { ...cookie.options, signed: true };
  return {
    token(ctx) {
      const existing = ctx.cookies.get(name, { signed: true });
      if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
      const created = randomBytes(32).toString('base64url');
      ctx.cookies.set(name, created, cookieOptions);
      return created;
    },
    async verify(ctx, next) {
      const cookie = ctx.cookies.get(name, { signed: true });
      const body = ctx.request.body as Record<string, unknown> | undefined;
      const field = typeof body?.csrf === 'string' ? body.csrf : '';
      if (!cookie || !equal(cookie, field)) {
        throw new AppError(403, 'error.csrf', 'The form was sent without a valid security token.');
      }
      await next();
    },
  };
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
