import { expect } from 'chai';
import { epochSeconds } from '../../src/lib/clock.ts';

describe('clock', () => {
  it('converts milliseconds to whole epoch seconds', () => {
    expect(epochSeconds({ now: () => 1_700_000_000_999 })).to.equal(1_700_000_000);
  });
});
