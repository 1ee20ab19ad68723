/**
 * The remembered-device cookie. With an https issuer its name carries the __Host- prefix, so
 * the browser accepts it only Secure, for Path=/ and without Domain: no other host (not even
 * a sibling subdomain) can plant or overwrite it. It is HttpOnly, and SameSite=Lax because the
 * sign-in page is reached by top-level redirects from relying applications.
 *
 * Not signed with COOKIE_KEYS: the value is a random 256-bit token that only counts when its
 * hash is in the database, so a signature would add a second cookie and no protection.
 */
export function DEVICE_COOKIE_NAME(issuer: string): string {
  return isHttps(issuer) ? '__Host-lk.device' : 'lk.device';
}

export interface DeviceCookieOptions {
  httpOnly: true;
  sameSite: 'lax';
  secure: boolean;
  path: '/';
  /** milliseconds, as Koa's ctx.cookies.set takes it (the cookies package writes it as Expires) */
  maxAge: number;
  signed: false;
  overwrite: true;
}

/**
 * Options for `ctx.cookies.set(DEVICE_COOKIE_NAME(issuer), token, deviceCookieOptions(issuer, s))`.
 * To forget the device in the browser, set the value to null with the same options.
 */
export function deviceCookieOptions(issuer: string, maxAgeSeconds: number): DeviceCookieOptions {
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0) throw new TypeError('deviceCookieOptions: maxAgeSeconds must be a whole number of seconds, 0 or more');
  return { httpOnly: true, sameSite: 'lax', secure: isHttps(issuer), path: '/', maxAge: maxAgeSeconds * 1000, signed: false, overwrite: true };
}

function isHttps(issuer: string): boolean {
  return new URL(issuer).protocol === 'https:';
}
