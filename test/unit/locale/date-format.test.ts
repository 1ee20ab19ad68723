import { expect } from 'chai';
import { formatInstant, toDate, validTimeZone } from '../../../src/lib/date-format.ts';

describe("dates and times in the reader's language, zone and formats", () => {
  const instant = new Date(Date.UTC(2025, 2, 12, 14, 5, 30));

  it('shows UTC, said so, when the reader has no zone', () => {
    expect(formatInstant(instant, 'en')).to.equal('Mar 12, 2025, 2:05 PM UTC');
    expect(formatInstant(instant, 'de')).to.equal('12. März 2025, 14:05 UTC');
    expect(formatInstant(instant, 'ja')).to.equal('2025年3月12日 14:05 UTC');
  });

  it("converts to the reader's zone and names it", () => {
    expect(formatInstant(instant, 'de', { timeZone: 'Europe/Berlin' })).to.equal('12. März 2025, 15:05 MEZ');
    expect(formatInstant(instant, 'en', { timeZone: 'America/New_York' })).to.equal('Mar 12, 2025, 10:05 AM EDT');
    expect(formatInstant(instant, 'en', { timeZone: 'Asia/Tokyo' })).to.equal('Mar 12, 2025, 11:05 PM GMT+9');
    // the date moves with the zone
    expect(formatInstant(new Date(Date.UTC(2025, 2, 12, 23, 30)), 'en', { timeZone: 'Asia/Kolkata' }, 'date')).to.equal('Mar 13, 2025');
    expect(formatInstant(new Date(Date.UTC(2025, 2, 12, 2, 0)), 'en', { timeZone: 'America/Los_Angeles' }, 'date')).to.equal('Mar 11, 2025');
  });

  it('follows the chosen clock', () => {
    expect(formatInstant(instant, 'en', { timeFormat: '24h' })).to.equal('Mar 12, 2025, 14:05 UTC');
    expect(formatInstant(instant, 'de', { timeFormat: '12h' })).to.match(/^12\. März 2025, 2:05\sPM UTC$/);
    expect(formatInstant(new Date(Date.UTC(2025, 0, 1, 0, 7)), 'en', { timeFormat: '24h' })).to.equal('Jan 1, 2025, 00:07 UTC');
    expect(formatInstant(new Date(Date.UTC(2025, 0, 1, 0, 7)), 'en', { timeFormat: '12h' })).to.equal('Jan 1, 2025, 12:07 AM UTC');
  });

  it("follows the chosen date order, with the language's separator", () => {
    expect(formatInstant(instant, 'en', { dateFormat: 'ymd', timeFormat: '24h' })).to.equal('2025-03-12 14:05 UTC');
    expect(formatInstant(instant, 'en', { dateFormat: 'dmy' }, 'date')).to.equal('12/03/2025');
    expect(formatInstant(instant, 'en', { dateFormat: 'mdy' }, 'date')).to.equal('03/12/2025');
    expect(formatInstant(instant, 'de', { dateFormat: 'dmy' }, 'date')).to.equal('12.03.2025');
    expect(formatInstant(instant, 'pl', { dateFormat: 'dmy', timeFormat: '24h' })).to.equal('12.03.2025 14:05 UTC');
    expect(formatInstant(instant, 'ja', { dateFormat: 'ymd' }, 'date')).to.equal('2025-03-12');
    expect(formatInstant(new Date(Date.UTC(2025, 2, 12, 23, 30)), 'en', { dateFormat: 'ymd', timeZone: 'Asia/Tokyo' }, 'date')).to.equal('2025-03-13');
  });

  it('crosses a daylight-saving change correctly', () => {
    const berlin = { timeZone: 'Europe/Berlin', timeFormat: '24h' };
    // 30 March 2025: clocks jump from 02:00 CET to 03:00 CEST at 01:00 UTC
    expect(formatInstant(new Date(Date.UTC(2025, 2, 30, 0, 59)), 'en', berlin)).to.equal('Mar 30, 2025, 01:59 GMT+1');
    expect(formatInstant(new Date(Date.UTC(2025, 2, 30, 1, 0)), 'en', berlin)).to.equal('Mar 30, 2025, 03:00 GMT+2');
    // 2 November 2025 in New York: 01:30 happens twice, told apart by the zone name
    const ny = { timeZone: 'America/New_York' };
    expect(formatInstant(new Date(Date.UTC(2025, 10, 2, 5, 30)), 'en', ny)).to.equal('Nov 2, 2025, 1:30 AM EDT');
    expect(formatInstant(new Date(Date.UTC(2025, 10, 2, 6, 30)), 'en', ny)).to.equal('Nov 2, 2025, 1:30 AM EST');
  });

  it('falls back to UTC for an unknown or malformed zone, and to English for a bad locale', () => {
    for (const timeZone of ['Mars/Olympus', '', 'Europe/Berlin; drop', 'x'.repeat(100), null]) {
      expect(formatInstant(instant, 'en', { timeZone }), String(timeZone)).to.equal('Mar 12, 2025, 2:05 PM UTC');
    }
    expect(formatInstant(instant, 'not a locale!')).to.equal('Mar 12, 2025, 2:05 PM UTC');
    expect(formatInstant(instant, 'en', { dateFormat: 'bogus', timeFormat: 'bogus' })).to.equal('Mar 12, 2025, 2:05 PM UTC');
  });

  it('knows IANA zones and their canonical spelling', () => {
    expect(validTimeZone('Europe/Prague')).to.equal('Europe/Prague');
    expect(validTimeZone('utc')).to.equal('UTC');
    expect(validTimeZone('Nowhere/City')).to.equal(undefined);
    expect(validTimeZone(undefined)).to.equal(undefined);
  });

  it('reads what a template may hold as an instant', () => {
    expect(toDate(instant)).to.equal(instant);
    expect(toDate(instant.toISOString())!.getTime()).to.equal(instant.getTime());
    expect(toDate(instant.getTime())!.getTime()).to.equal(instant.getTime());
    for (const junk of ['not a date', undefined, null, {}, new Date(Number.NaN)]) expect(toDate(junk)).to.equal(undefined);
  });
});
