import { hostCookie, type HostCookieOptions } from '../lib/cookie-names.ts';
import { KNOWN_BROWSER_LIFETIME_MS, type KnownBrowser } from '../policy/lockout-budget.ts';

/**
 * The known-browser cookie (src/policy/lockout-budget.ts): a whole-host cookie
 * (src/lib/cookie-names.ts), `__Host-lk.known` on an https issuer, signed with COOKIE_KEYS (its
 * `.sig` twin), whose value names the user it signed in as, the browser's random id and when it
 * was issued: `<userId>.<deviceId>.<issued at, epoch seconds>`. Unlike the remembered-device
 * cookie (src/http/device-cookie.ts) nothing of it is stored: the signature alone makes it count.
 */
export function KNOWN_BROWSER_COOKIE_NAME(issuer: string): string {
  return hostCookie(issuer, 'lk.known').name;
}

export interface KnownBrowserCookieOptions extends HostCookieOptions {
  signed: true;
  /** milliseconds, as Koa's ctx.cookies.set takes it */
  maxAge: number;
}

export function knownBrowserCookieOptions(issuer: string): KnownBrowserCookieOptions {
  return { ...hostCookie(issuer, 'lk.known').options, signed: true, maxAge: KNOWN_BROWSER_LIFETIME_MS };
}

export function formatKnownBrowser(browser: KnownBrowser): string {
  return `${browser.userId}.${browser.deviceId}.${Math.floor(browser.issuedAt / 1000)}`;
}

const VALUE = /^([A-Za-z0-9-]{1,64})\.([A-Za-z0-9_-]{22})\.(\d{1,12})$/;

/** the cookie's value as its signature vouched for it; undefined when it is not one this server writes */
export function parseKnownBrowser(value: string | undefined): KnownBrowser | undefined {
  const match = value === undefined ? null : VALUE.exec(value);
  if (!match) return undefined;
  return { userId: match[1]!, deviceId: match[2]!, issuedAt: Number(match[3]) * 1000 };
}
