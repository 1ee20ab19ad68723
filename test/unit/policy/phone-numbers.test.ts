import { expect } from 'chai';
import { decidePhoneNumber, PHONE_NUMBER_TYPES, type PhoneChannel, type PhoneNumberDecision, type PhoneNumberType } from '../../../src/policy/phone-numbers.ts';

const CHANNELS: PhoneChannel[] = ['sms', 'voice'];
const CHARGED: PhoneNumberType[] = ['premium-rate', 'shared-cost', 'uan'];
/** what each channel can reach when nothing else refuses the number */
const REACHABLE: Record<PhoneChannel, PhoneNumberType[]> = {
  sms: ['mobile', 'fixed-line-or-mobile'],
  voice: ['mobile', 'fixed-line-or-mobile', 'fixed-line'],
};
const COUNTRY_LISTS: string[][] = [[], ['GB'], ['US', 'GB'], ['DE']];

/** the rule written out plainly, to compare the function against over every combination */
function expected(valid: boolean, type: PhoneNumberType, country: string | null, channel: PhoneChannel, allowed: string[]): PhoneNumberDecision {
  if (!valid) return { allowed: false, reason: 'invalid' };
  if (country === null) return { allowed: false, reason: 'international-network' };
  if (CHARGED.includes(type)) return { allowed: false, reason: 'premium-rate' };
  if (allowed.length && !allowed.includes(country)) return { allowed: false, reason: 'country-not-allowed' };
  if (!REACHABLE[channel].includes(type)) return { allowed: false, reason: 'type-not-accepted' };
  return { allowed: true };
}

describe('phone number policy: which numbers may get SMS and voice codes', () => {
  it('decides every combination of validity, type, country, channel and country list by the rule', () => {
    let cases = 0;
    for (const valid of [true, false]) {
      for (const type of PHONE_NUMBER_TYPES) {
        for (const country of ['GB', 'US', 'DE', 'XK', null]) {
          for (const channel of CHANNELS) {
            for (const allowed of COUNTRY_LISTS) {
              const facts = { valid, type, country };
              expect(decidePhoneNumber(facts, channel, allowed), JSON.stringify({ facts, channel, allowed })).to.deep.equal(
                expected(valid, type, country, channel, allowed),
              );
              cases += 1;
            }
          }
        }
      }
    }
    expect(cases).to.equal(2 * PHONE_NUMBER_TYPES.length * 5 * 2 * 4);
  });

  describe('by default (any country)', () => {
    it('sends SMS to mobile numbers and to numbers that may be mobile (the US and Canada cannot tell)', () => {
      for (const type of ['mobile', 'fixed-line-or-mobile'] as const) {
        expect(decidePhoneNumber({ valid: true, type, country: 'US' }, 'sms', [])).to.deep.equal({ allowed: true });
      }
    });
    it('calls fixed lines too, but does not text them', () => {
      expect(decidePhoneNumber({ valid: true, type: 'fixed-line', country: 'GB' }, 'voice', [])).to.deep.equal({ allowed: true });
      expect(decidePhoneNumber({ valid: true, type: 'fixed-line', country: 'GB' }, 'sms', [])).to.deep.equal({ allowed: false, reason: 'type-not-accepted' });
    });
    it('refuses premium-rate, shared-cost and UAN numbers on both channels', () => {
      for (const type of CHARGED) {
        for (const channel of CHANNELS) {
          expect(decidePhoneNumber({ valid: true, type, country: 'GB' }, channel, [])).to.deep.equal({ allowed: false, reason: 'premium-rate' });
        }
      }
    });
    it('refuses numbers of international networks, which belong to no country, even when the plan calls them mobile', () => {
      for (const channel of CHANNELS) {
        expect(decidePhoneNumber({ valid: true, type: 'mobile', country: null }, channel, [])).to.deep.equal({
          allowed: false,
          reason: 'international-network',
        });
      }
    });
    it('refuses toll-free, VoIP, pager, personal, voicemail and unknown numbers', () => {
      for (const type of ['toll-free', 'voip', 'pager', 'personal-number', 'voicemail', 'unknown'] as const) {
        for (const channel of CHANNELS) {
          expect(decidePhoneNumber({ valid: true, type, country: 'FR' }, channel, [])).to.deep.equal({ allowed: false, reason: 'type-not-accepted' });
        }
      }
    });
    it('refuses a number the plan does not know, whatever it looks like', () => {
      expect(decidePhoneNumber({ valid: false, type: 'mobile', country: 'GB' }, 'sms', [])).to.deep.equal({ allowed: false, reason: 'invalid' });
    });
  });

  describe("with the tenant's country list", () => {
    it('accepts mobiles of the listed countries only', () => {
      expect(decidePhoneNumber({ valid: true, type: 'mobile', country: 'GB' }, 'sms', ['GB'])).to.deep.equal({ allowed: true });
      expect(decidePhoneNumber({ valid: true, type: 'fixed-line-or-mobile', country: 'US' }, 'sms', ['GB'])).to.deep.equal({
        allowed: false,
        reason: 'country-not-allowed',
      });
    });
    it('names a premium number as premium even in a country that is not listed', () => {
      expect(decidePhoneNumber({ valid: true, type: 'premium-rate', country: 'US' }, 'sms', ['GB'])).to.deep.equal({ allowed: false, reason: 'premium-rate' });
    });
    it('names the country before the type: no number of that country would do', () => {
      expect(decidePhoneNumber({ valid: true, type: 'fixed-line', country: 'US' }, 'sms', ['GB'])).to.deep.equal({
        allowed: false,
        reason: 'country-not-allowed',
      });
    });
    it('never lets a listed country admit what is refused everywhere', () => {
      expect(decidePhoneNumber({ valid: true, type: 'shared-cost', country: 'GB' }, 'voice', ['GB'])).to.deep.equal({ allowed: false, reason: 'premium-rate' });
      expect(decidePhoneNumber({ valid: true, type: 'toll-free', country: 'GB' }, 'voice', ['GB'])).to.deep.equal({
        allowed: false,
        reason: 'type-not-accepted',
      });
    });
  });
});
