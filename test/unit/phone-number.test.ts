import { expect } from 'chai';
import { describePhoneNumber, phoneRefusalDetails, screenPhoneNumber } from '../../src/factors/phone-number.ts';

const ANY = { phoneCountries: [] };

describe('phone numbers: what the numbering plan says, and the screening every SMS and call goes through', () => {
  it('reads type, country and the block of 10,000 numbers from libphonenumber-js full metadata', () => {
    expect(describePhoneNumber('+12015550123')).to.deep.equal({
      phone: '+12015550123',
      prefix: '+1201555',
      valid: true,
      type: 'fixed-line-or-mobile',
      country: 'US',
    });
    expect(describePhoneNumber('+447400123456')).to.deep.equal({ phone: '+447400123456', prefix: '+44740012', valid: true, type: 'mobile', country: 'GB' });
    expect(describePhoneNumber('+19005550123')).to.deep.include({ valid: true, type: 'premium-rate', country: 'US' });
    expect(describePhoneNumber('+443001234567')).to.deep.include({ valid: true, type: 'uan', country: 'GB' });
    expect(describePhoneNumber('+8823421234')).to.deep.include({ valid: true, type: 'mobile', country: null });
  });

  it('counts Ascension Island numbers as Saint Helena, as ISO 3166-1 does, and Kosovo as XK', () => {
    expect(describePhoneNumber('+24762123')).to.deep.include({ valid: true, country: 'SH' });
    expect(describePhoneNumber('+38345123456')).to.deep.include({ valid: true, type: 'mobile', country: 'XK' });
  });

  it('calls a number outside every allocated range invalid: the 07700 900 drama range, fictional 555 ranges with no area code', () => {
    expect(describePhoneNumber('+447700900123')).to.deep.include({ valid: false, type: 'unknown' });
    expect(describePhoneNumber('+15555550100')).to.deep.include({ valid: false, type: 'unknown' });
  });

  it('accepts what people type and keeps the canonical number: spaces, brackets and a national 0 after the country code', () => {
    expect(screenPhoneNumber(' +44 (0)7400 123456', 'sms', ANY)).to.deep.equal({ ok: true, phone: '+447400123456', prefix: '+44740012' });
  });

  it('tells input that is no international number apart from a number that is refused', () => {
    for (const input of [undefined, 42, '', '07400 123456', '+0123456789', 'x'.repeat(41)]) {
      expect(screenPhoneNumber(input, 'sms', ANY), String(input)).to.deep.equal({ ok: false, reason: 'malformed' });
    }
    expect(screenPhoneNumber('+449090000000', 'voice', ANY)).to.deep.equal({
      ok: false,
      reason: 'premium-rate',
      channel: 'voice',
      phone: '+449090000000',
      type: 'premium-rate',
      country: 'GB',
    });
  });

  it("applies the tenant's countries", () => {
    expect(screenPhoneNumber('+12015550123', 'sms', { phoneCountries: ['GB'] })).to.deep.include({ ok: false, reason: 'country-not-allowed', country: 'US' });
    expect(screenPhoneNumber('+447400123456', 'sms', { phoneCountries: ['GB'] })).to.deep.include({ ok: true });
  });

  it('describes a refusal for the audit log with the number masked', () => {
    const refused = screenPhoneNumber('+979123456789', 'sms', ANY);
    if (refused.ok || refused.reason === 'malformed') throw new Error('expected a refusal');
    expect(phoneRefusalDetails(refused)).to.deep.equal({
      channel: 'sms',
      reason: 'international-network',
      type: 'premium-rate',
      country: null,
      phone: '+**********89',
    });
  });
});
