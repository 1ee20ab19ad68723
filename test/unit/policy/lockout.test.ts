import { expect } from 'chai';
import { decideAfterFailure, decideAttempt, decideCompletion } from '../../../src/policy/lockout.ts';
import { defaultTenantPolicy } from '../../../src/policy/tenant-policy.ts';

const policy = defaultTenantPolicy().lockout;
const now = 1_800_000_000_000;

describe('lockout', () => {
  it('verifies attempts up to the limit, counting this one', () => {
    for (let n = 1; n <= policy.maxFailures; n += 1) {
      expect(decideAttempt(policy, { userAttempts: n, ipAttempts: n }, now)).to.deep.equal({ verify: true });
    }
  });

  it('refuses the attempt past the limit without verifying it', () => {
    expect(decideAttempt(policy, { userAttempts: policy.maxFailures + 1, ipAttempts: 1 }, now)).to.deep.equal({
      verify: false,
      reason: 'user_locked',
      retryAfterMs: 10 * 60_000,
    });
  });

  it('refuses while locked, with the time left, and verifies again once the lock has passed', () => {
    expect(decideAttempt(policy, { userAttempts: 1, ipAttempts: 1, lockedUntil: now + 30_000 }, now)).to.deep.equal({
      verify: false,
      reason: 'user_locked',
      retryAfterMs: 30_000,
    });
    expect(decideAttempt(policy, { userAttempts: 1, ipAttempts: 1, lockedUntil: now }, now)).to.deep.equal({ verify: true });
  });

  it('throttles an IP that failed too often across accounts', () => {
    expect(decideAttempt(policy, { userAttempts: 1, ipAttempts: policy.ipMaxFailures + 1 }, now)).to.deep.equal({
      verify: false,
      reason: 'ip_throttled',
      retryAfterMs: 15 * 60_000,
    });
    expect(decideAttempt(policy, { userAttempts: 1, ipAttempts: policy.ipMaxFailures }, now)).to.deep.equal({ verify: true });
  });

  it('locks on the failure that reaches the limit, for the tenant duration', () => {
    expect(decideAfterFailure(policy, policy.maxFailures - 1, now)).to.deep.equal({});
    expect(decideAfterFailure(policy, policy.maxFailures, now)).to.deep.equal({ lockUntil: now + 10 * 60_000 });
    expect(decideAfterFailure({ ...policy, maxFailures: 3, lockMinutes: 1 }, 3, now)).to.deep.equal({ lockUntil: now + 60_000 });
  });

  describe('completing a sign-in past its password', () => {
    it('admits an active account that is not locked, or whose lock has passed', () => {
      expect(decideCompletion({ status: 'active' }, undefined, now)).to.deep.equal({ allow: true });
      expect(decideCompletion({ status: 'active' }, now, now)).to.deep.equal({ allow: true });
      expect(decideCompletion({ status: 'active' }, now - 1, now)).to.deep.equal({ allow: true });
    });

    it('refuses an account locked meanwhile, to the last millisecond of the lock', () => {
      expect(decideCompletion({ status: 'active' }, now + 1, now)).to.deep.equal({ allow: false, reason: 'locked' });
      expect(decideCompletion({ status: 'active' }, now + 10 * 60_000, now)).to.deep.equal({ allow: false, reason: 'locked' });
    });

    it('refuses a deactivated, invited or vanished account, locked or not', () => {
      for (const status of ['deactivated', 'invited']) {
        expect(decideCompletion({ status }, undefined, now)).to.deep.equal({ allow: false, reason: 'inactive' });
        expect(decideCompletion({ status }, now + 60_000, now)).to.deep.equal({ allow: false, reason: 'inactive' });
      }
      expect(decideCompletion(undefined, undefined, now)).to.deep.equal({ allow: false, reason: 'inactive' });
      expect(decideCompletion(undefined, now + 60_000, now)).to.deep.equal({ allow: false, reason: 'inactive' });
    });

    it('refuses an account awaiting its password reset, whether locked or not; a deactivated one stays inactive', () => {
      expect(decideCompletion({ status: 'active', resetRequired: true }, undefined, now)).to.deep.equal({ allow: false, reason: 'reset-required' });
      expect(decideCompletion({ status: 'active', resetRequired: true }, now + 60_000, now)).to.deep.equal({ allow: false, reason: 'reset-required' });
      expect(decideCompletion({ status: 'deactivated', resetRequired: true }, undefined, now)).to.deep.equal({ allow: false, reason: 'inactive' });
      expect(decideCompletion({ status: 'active', resetRequired: false }, undefined, now)).to.deep.equal({ allow: true });
    });
  });
});
