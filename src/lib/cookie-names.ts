/**
 * The one rule every cookie Latchkey sets follows. On an https issuer:
 * - a cookie for the whole host is named `__Host-…`: browsers accept it only when it is Secure,
 *   has Path=/ and no Domain, so no other host (not even a sibling subdomain) can plant or
 *   overwrite it;
 * - a cookie that must stay on one path (oidc-provider's interaction and resume cookies, each
 *   scoped to its own sign-in's path) cannot be `__Host-` and is named `__Secure-…`: browsers
 *   accept it only when it is Secure and set from an https page.
 * On an http issuer (development) the names stay plain and nothing is Secure, which is the only
 * way a browser keeps cookies over plain http.
 */
export function isHttpsIssuer(issuer: string): boolean {
  return new URL(issuer).protocol === 'https:';
}

export interface HostCookieOptions {
  httpOnly: true;
  sameSite: 'lax';
  secure: boolean;
  path: '/';
  overwrite: true;
}

/**
 * A whole-host cookie: its name for this issuer and the options that go with that name.
 * HttpOnly, and SameSite=Lax because the sign-in pages are reached by top-level redirects
 * from relying applications. Callers add `signed` and `maxAge`.
 */
export function hostCookie(issuer: string, name: string): { name: string; options: HostCookieOptions } {
  const secure = isHttpsIssuer(issuer);
  return { name: secure ? `__Host-${name}` : name, options: { httpOnly: true, sameSite: 'lax', secure, path: '/', overwrite: true } };
}

/** the name of a cookie scoped to a path below / (set Secure on an https issuer) */
export function pathCookieName(issuer: string, name: string): string {
  return isHttpsIssuer(issuer) ? `__Secure-${name}` : name;
}
