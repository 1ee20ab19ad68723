import type { Middleware } from 'koa';

/**
 * No inline script or style anywhere (oidc-provider adds a hash for its own form_post page).
 * form-action is left out on purpose: Chromium applies it to the redirect chain that follows
 * a sign-in form, which ends at the application's redirect_uri.
 * A page showing a tenant's logo names its origin in `ctx.state.imageOrigin` (an https origin
 * from a validated URL): img-src admits that origin on that response only.
 */
export function contentSecurityPolicy(imageOrigin?: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' data:${imageOrigin ? ` ${imageOrigin}` : ''}`,
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function securityHeaders(options: { https: boolean }): Middleware {
  const csp = contentSecurityPolicy();
  return async function securityHeaders(ctx, next) {
    ctx.set('Content-Security-Policy', csp);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Permissions-Policy', 'camera=(), microphone=(), geolocation=(), payment=()');
    if (options.https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    try {
      await next();
    } finally {
      const origin = ctx.state.imageOrigin;
      if (origin && /^https:\/\/[a-z0-9.-]+(:\d+)?$/.test(origin)) ctx.set('Content-Security-Policy', contentSecurityPolicy(origin));
    }
  };
}
