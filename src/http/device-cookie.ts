import { hostCookie } from '../lib/cookie-names.ts';

/**
 * The remembered-device cookie, a whole-host cookie (src/lib/cookie-names.ts): `__Host-lk.device`
 * on an https issuer, so no other host (not even a sibling subdomain) can plant or overwrite it.
 *
 * Not signed with COOKIE_KEYS: the value is a random 256-bit token that only counts when its
 * hash is in the database, so a signature would add a second cookie and no protection.
 */
export function DEVICE_COOKIE_NAME(issuer: string): string {
  return hostCookie(issuer, 'lk.device').name;
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
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 0)
    throw new TypeError('deviceCookieOptions: maxAgeSeconds must be a whole number of seconds, 0 or more');
  return { ...hostCookie(issuer, 'lk.device').options, maxAge: maxAgeSeconds * 1000, signed: false };
}
