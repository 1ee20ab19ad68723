import { createHash } from 'node:crypto';
import type { SendLimits } from '../store/counters/send-limits.ts';
import type { Tenant } from './tenants.ts';
import { normalizeEmail } from './normalize.ts';

const HOUR_MS = 3_600_000;

export type ResetRequestVerdict = { ok: true } | { ok: false; limit: 'address' | 'ip' };

/**
 * The hourly limits of anonymous forgot-password requests, from the tenant's password policy:
 * per address (resetEmailsPerAddressPerHour) and per client IP (resetRequestsPerIpPerHour).
 * Every request is counted the same way whether or not the address has an account, so neither
 * the answer nor its timing tells. Admin and CLI resets are not counted: they are authenticated
 * and audited, and an owner must be able to send a link to a user someone is flooding.
 */
export interface ResetRequestLimits {
  /** counts the request under both limits in one atomic step, unless one is reached (then nothing is counted) */
  admit(tenant: Tenant, email: string, ip: string | undefined): Promise<ResetRequestVerdict>;
}

export function createResetRequestLimits(limits: SendLimits): ResetRequestLimits {
  return {
    async admit(tenant, email, ip) {
      const policy = tenant.policy.password;
      // keyed by a hash of the normalised address: no email in clear in the store
      const address = `address:${createHash('sha256').update(normalizeEmail(email)).digest('base64url')}`;
      const verdict = await limits.take(
        `password-reset:${tenant.id}`,
        [...(ip ? [{ key: `ip:${ip}`, limit: policy.resetRequestsPerIpPerHour }] : []), { key: address, limit: policy.resetEmailsPerAddressPerHour }],
        HOUR_MS,
      );
      if (verdict.ok) return verdict;
      return { ok: false, limit: verdict.refusedBy === address ? 'address' : 'ip' };
    },
  };
}
