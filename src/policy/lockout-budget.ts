/**
 * Whose failure budget a sign-in attempt counts against (the "device cookie" model of OWASP's
 * authentication guidance). A browser that has completed a sign-in as a user carries a signed
 * cookie naming that user; its attempts for that user count against a small budget of its own
 * (the tenant's `lockout.maxFailures` per `lockout.windowMinutes`, locked for `lockMinutes`), so
 * a lock caused by wrong passwords from anywhere else does not keep it out. Every other attempt
 * (no cookie, a cookie of another user, an expired one) counts against the account's budget, as
 * the lock has always worked. A known browser's failures count against its own budget only, never
 * toward the account's lock: its budget exhausted, that browser is locked out on its own, and
 * without its cookie it is one more unknown browser, under the account's budget.
 *
 * The cookie is bound to its user and proves nothing else: it spares no second factor and opens
 * no session. Times are epoch milliseconds.
 */
export type LockoutBudget = 'account' | 'device';

/** how long a browser stays known after its last completed sign-in as the user */
export const KNOWN_BROWSER_DAYS = 180;
export const KNOWN_BROWSER_LIFETIME_MS = KNOWN_BROWSER_DAYS * 24 * 60 * 60_000;
/** a cookie issued this far in the future still counts (the clocks of replicas differ a little) */
const CLOCK_SKEW_MS = 5 * 60_000;

/** what a browser's signed cookie says: the user it signed in as, its own random id, when it was issued */
export interface KnownBrowser {
  userId: string;
  deviceId: string;
  issuedAt: number;
}

/**
 * The browser's own budget when its cookie names the user the attempt is for (`userId`, the user
 * the typed email or the passkey names; undefined when none) and is no older than its lifetime;
 * the account's otherwise.
 */
export function decideBudget(browser: KnownBrowser | undefined, userId: string | undefined, now: number): LockoutBudget {
  if (!browser || userId === undefined || browser.userId !== userId) return 'account';
  if (browser.issuedAt > now + CLOCK_SKEW_MS || now - browser.issuedAt >= KNOWN_BROWSER_LIFETIME_MS) return 'account';
  return 'device';
}
