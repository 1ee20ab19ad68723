import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import type { LoginDeps } from './context.ts';
import { requestFacts, type RequestFacts } from '../http/request-facts.ts';
import { KNOWN_BROWSER_COOKIE_NAME, formatKnownBrowser, knownBrowserCookieOptions, parseKnownBrowser } from '../http/known-browser-cookie.ts';
import { decideBudget, type KnownBrowser } from '../policy/lockout-budget.ts';

/**
 * Known browsers in the sign-in (src/policy/lockout-budget.ts): which user, if any, this browser
 * has completed a sign-in as, and marking it once a sign-in completes. Not a remembered device
 * (src/login/device-trust.ts): it spares no second factor, it only gives the browser a failure
 * budget of its own at the password step.
 */

/** what this browser's signed cookie says, when its signature (COOKIE_KEYS) holds and its value is well formed */
export function knownBrowser(deps: Pick<LoginDeps, 'issuer'>, ctx: Context): KnownBrowser | undefined {
  return parseKnownBrowser(ctx.cookies.get(KNOWN_BROWSER_COOKIE_NAME(deps.issuer), { signed: true }));
}

/** the request's facts for the sign-in guard: where it came from, and the browser it says it is */
export function signInFacts(deps: Pick<LoginDeps, 'issuer'>, ctx: Context): RequestFacts & { browser?: KnownBrowser } {
  const browser = knownBrowser(deps, ctx);
  return { ...requestFacts(ctx), ...(browser ? { browser } : {}) };
}

/**
 * At the end of a sign-in of `userId`: this browser is known as that user from now on, for the
 * full lifetime again. A browser already known as that user keeps its id (and so its budget's
 * count); any other cookie (another user's, an expired one) is replaced by a new id.
 */
export function markKnownBrowser(deps: Pick<LoginDeps, 'issuer' | 'clock'>, ctx: Context, userId: string): void {
  const now = deps.clock.now();
  const current = knownBrowser(deps, ctx);
  const deviceId = current && decideBudget(current, userId, now) === 'device' ? current.deviceId : randomBytes(16).toString('base64url');
  ctx.cookies.set(KNOWN_BROWSER_COOKIE_NAME(deps.issuer), formatKnownBrowser({ userId, deviceId, issuedAt: now }), knownBrowserCookieOptions(deps.issuer));
}
