/** One limit on sends: at most `limit` under `key` within the window. */
export interface SendLimit {
  key: string;
  limit: number;
}

export type SendLimitResult = { ok: true } | { ok: false; refusedBy: string };

/**
 * Sliding-window counts of sends (emails to an address, requests from an IP), atomic and, in
 * Redis, shared by every replica; in process for the embedded default. Times come from the
 * injected clock, so windows follow it.
 */
export interface SendLimits {
  /**
   * Counts one send under every key when none of them has reached its limit within the last
   * windowMs, in one atomic step; otherwise counts nothing and names the first key at its limit.
   * `group` holds the keys together (one Redis hash slot), e.g. a tenant id.
   */
  take(group: string, limits: readonly SendLimit[], windowMs: number): Promise<SendLimitResult>;
}

export const GROUP_FORMAT = /^[A-Za-z0-9_.:-]{1,100}$/;

export function checkLimits(group: string, limits: readonly SendLimit[], windowMs: number): void {
  if (!GROUP_FORMAT.test(group)) throw new Error('send limit group must be 1-100 letters, digits or _.:-');
  if (!Number.isInteger(windowMs) || windowMs <= 0) throw new Error('send limit window must be a positive whole number of ms');
  for (const { key, limit } of limits) {
    if (!key || key.length > 200 || /[{}\s]/.test(key)) throw new Error('send limit key must be 1-200 characters without braces or spaces');
    if (!Number.isInteger(limit) || limit < 1) throw new Error('send limit must be a whole number of at least 1');
  }
}
