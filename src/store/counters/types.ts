/** Counters that guard against guessing: atomic, and in Redis shared by every replica. */
export interface AttemptSnapshot {
  /** attempts counted in the user's current window, this one included (0 while locked) */
  userAttempts: number;
  /** attempts from this IP in its window, this one included (0 while the user is locked) */
  ipAttempts: number;
  /** epoch ms until which the user is locked */
  lockedUntil?: number;
}

export interface AttemptCounters {
  /**
   * Counts one attempt for the user key and the IP key in one atomic step, unless the user is
   * locked (then nothing is counted and lockedUntil says until when). Called BEFORE the password
   * is verified, so parallel guesses can never run more verifications than the limit.
   */
  reserve(userKey: string, ipKey: string, windowMs: number): Promise<AttemptSnapshot>;
  /** the password was right: the user's count starts over and the IP attempt is given back */
  succeeded(userKey: string, ipKey: string): Promise<void>;
  /**
   * Gives back an attempt that `reserve` counted but whose password was never checked (work
   * refused, a store failed, the attempt was refused before verification): only a verified
   * wrong password uses up the budget. Both counts go down by one, never below zero.
   */
  release(userKey: string, ipKey: string): Promise<void>;
  /** locks the user until the given time; the count starts over for after the lock */
  lock(userKey: string, untilMs: number): Promise<void>;
  /** ends the lock and the count of the user and (for a user key) those of each of its browsers (browserKey) */
  unlock(userKey: string): Promise<void>;
  lockedUntil(userKey: string): Promise<number | undefined>;
}

/**
 * The key of one browser's own budget under a user key (src/policy/lockout-budget.ts): counted,
 * locked and given back like a user key, and unlocked with its user key.
 */
export function browserKey(userKey: string, deviceId: string): string {
  return `${userKey}${BROWSER_SEPARATOR}${deviceId}`;
}

const BROWSER_SEPARATOR = '/';

/** the user key a browser's key belongs to (undefined for a user key) */
export function userKeyOf(key: string): string | undefined {
  const at = key.indexOf(BROWSER_SEPARATOR);
  return at < 0 ? undefined : key.slice(0, at);
}
