import { expect } from 'chai';
import { passkeyCounterMoved } from '../../../src/policy/passkey-counter.ts';

describe('passkey signature counter', () => {
  it('accepts an authenticator that keeps no counter (0 before, 0 now)', () => {
    expect(passkeyCounterMoved(0, 0)).to.equal(true);
  });
  it('accepts a counter that moved forward, by one or by many', () => {
    expect(passkeyCounterMoved(0, 1)).to.equal(true);
    expect(passkeyCounterMoved(41, 42)).to.equal(true);
    expect(passkeyCounterMoved(41, 4_000_000_000)).to.equal(true);
  });
  it('refuses a counter that stood still or went back: a clone', () => {
    expect(passkeyCounterMoved(42, 42)).to.equal(false);
    expect(passkeyCounterMoved(42, 7)).to.equal(false);
    expect(passkeyCounterMoved(42, 0)).to.equal(false);
  });
});
