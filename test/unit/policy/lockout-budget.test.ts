import { expect } from 'chai';
import { KNOWN_BROWSER_DAYS, KNOWN_BROWSER_LIFETIME_MS, decideBudget } from '../../../src/policy/lockout-budget.ts';
import { formatKnownBrowser, parseKnownBrowser } from '../../../src/http/known-browser-cookie.ts';

const now = 1_800_000_000_000;
const userId = '3f2b8f0e-1c4d-4e8a-9b7c-2d1e0f9a8b7c';
const browser = { userId, deviceId: 'AbCdEfGhIjKlMnOpQrSt_-', issuedAt: now - 60_000 };

describe('lockout budget (known browsers)', () => {
  it('counts a browser known as the user the attempt is for against its own budget', () => {
    expect(decideBudget(browser, userId, now)).to.equal('device');
  });

  it('counts every other attempt against the account: no cookie, no such user, another user', () => {
    expect(decideBudget(undefined, userId, now)).to.equal('account');
    expect(decideBudget(browser, undefined, now)).to.equal('account');
    expect(decideBudget(browser, 'another-user', now)).to.equal('account');
  });

  it(`keeps a browser known for ${KNOWN_BROWSER_DAYS} days after its cookie was issued, not a moment longer`, () => {
    expect(KNOWN_BROWSER_LIFETIME_MS).to.equal(180 * 86_400_000);
    expect(decideBudget({ ...browser, issuedAt: now - KNOWN_BROWSER_LIFETIME_MS + 1 }, userId, now)).to.equal('device');
    expect(decideBudget({ ...browser, issuedAt: now - KNOWN_BROWSER_LIFETIME_MS }, userId, now)).to.equal('account');
  });

  it('accepts a cookie issued up to five minutes ahead (replica clocks), not one from further in the future', () => {
    expect(decideBudget({ ...browser, issuedAt: now + 5 * 60_000 }, userId, now)).to.equal('device');
    expect(decideBudget({ ...browser, issuedAt: now + 5 * 60_000 + 1 }, userId, now)).to.equal('account');
  });

  it('reads back the cookie value it writes (to the second), and nothing else', () => {
    const value = formatKnownBrowser({ ...browser, issuedAt: now + 999 });
    expect(value).to.equal(`${userId}.AbCdEfGhIjKlMnOpQrSt_-.1800000000`);
    expect(parseKnownBrowser(value)).to.deep.equal({ ...browser, issuedAt: now });
    for (const bad of [undefined, '', `${userId}.short.1800000000`, `${userId}.AbCdEfGhIjKlMnOpQrSt_-.`, `${userId}.AbCdEfGhIjKlMnOpQrSt_-.18e8`, `a.b.c.d`]) {
      expect(parseKnownBrowser(bad), String(bad)).to.equal(undefined);
    }
  });
});
