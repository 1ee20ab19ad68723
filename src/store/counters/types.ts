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
  unlock(userKey: string): Promise<void>;
  lockedUntil(userKey: string): Promise<number | undefined>;
}
