import { expect } from 'chai';
import { canDeliver, deliverableFactors, undeliverableFactors } from '../../../src/policy/deliverable-factors.ts';
import { FACTOR_TYPES, type FactorType } from '../../../src/policy/factor-types.ts';

/** every subset of the factor types (the empty one too), each in reverse canonical order */
const SUBSETS: FactorType[][] = Array.from({ length: 2 ** FACTOR_TYPES.length }, (_, mask) => FACTOR_TYPES.filter((_, i) => mask & (1 << i)).reverse());

describe('deliverable factor types', () => {
  it('delivers a passkey, an app and email always, texts and calls only with a phone transport', () => {
    const table = FACTOR_TYPES.map((type) => [type, canDeliver(type, { phone: true }), canDeliver(type, { phone: false })]);
    expect(table).to.deep.equal([
      ['passkey', true, true],
      ['totp', true, true],
      ['email', true, true],
      ['sms', true, false],
      ['voice', true, false],
    ]);
  });

  it('with a phone transport, is every allowed type, in canonical order', () => {
    for (const allowed of SUBSETS) {
      expect(deliverableFactors(allowed, { phone: true }), allowed.join(',')).to.deep.equal(FACTOR_TYPES.filter((t) => allowed.includes(t)));
      expect(undeliverableFactors(allowed, { phone: true }), allowed.join(',')).to.deep.equal([]);
    }
  });

  it('without a phone transport, is the allowed types but sms and voice, in canonical order, and none stands in for them', () => {
    for (const allowed of SUBSETS) {
      const expected = FACTOR_TYPES.filter((t) => allowed.includes(t) && t !== 'sms' && t !== 'voice');
      expect(deliverableFactors(allowed, { phone: false }), allowed.join(',')).to.deep.equal(expected);
      expect(undeliverableFactors(allowed, { phone: false }), allowed.join(',')).to.deep.equal(
        FACTOR_TYPES.filter((t) => allowed.includes(t) && !expected.includes(t)),
      );
    }
  });

  it('names the cases that matter', () => {
    expect(deliverableFactors(['sms'], { phone: false })).to.deep.equal([]);
    expect(deliverableFactors(['voice', 'sms'], { phone: false })).to.deep.equal([]);
    expect(deliverableFactors(['sms', 'totp'], { phone: false })).to.deep.equal(['totp']);
    expect(deliverableFactors(['voice', 'email', 'sms', 'totp'], { phone: false })).to.deep.equal(['totp', 'email']);
    expect(deliverableFactors(['voice', 'email', 'sms', 'totp'], { phone: true })).to.deep.equal(['totp', 'email', 'sms', 'voice']);
    expect(deliverableFactors([], { phone: true })).to.deep.equal([]);
    expect(undeliverableFactors(['voice', 'sms', 'totp'], { phone: false })).to.deep.equal(['sms', 'voice']);
  });

  it('lists each type once, whatever the input repeats, and leaves the input alone', () => {
    const allowed: FactorType[] = ['sms', 'totp', 'sms', 'totp'];
    expect(deliverableFactors(allowed, { phone: true })).to.deep.equal(['totp', 'sms']);
    expect(deliverableFactors(allowed, { phone: false })).to.deep.equal(['totp']);
    expect(allowed).to.deep.equal(['sms', 'totp', 'sms', 'totp']);
  });
});
