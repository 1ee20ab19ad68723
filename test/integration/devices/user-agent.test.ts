import { expect } from 'chai';
import { describeUserAgent } from '../../../src/accounts/user-agent.ts';

// Pure, but kept beside the device tests it serves: these names are what users see in their device list.
describe('describeUserAgent', () => {
  const cases: [string, string, string, string][] = [
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0', 'Firefox', 'Windows', 'Firefox on Windows'],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
      'Chrome',
      'macOS',
      'Chrome on macOS',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'Safari',
      'iOS',
      'Safari on iOS',
    ],
    [
      'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
      'Microsoft Edge',
      'Linux',
      'Microsoft Edge on Linux',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
      'Chrome',
      'Android',
      'Chrome on Android',
    ],
    // the e2e tests' Chromium is the same family as Chrome
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36', 'Chrome', 'Linux', 'Chrome on Linux'],
  ];
  for (const [ua, family, os, suggestedName] of cases) {
    it(`${suggestedName}`, () => {
      expect(describeUserAgent(ua)).to.deep.equal({ family, os, suggestedName });
    });
  }

  it('names what it cannot read Unknown browser / Unknown OS', () => {
    for (const ua of [undefined, '', '   ', 'curl/8.5.0', 'garbage', 42 as unknown as string]) {
      expect(describeUserAgent(ua), String(ua)).to.deep.equal({ family: 'Unknown browser', os: 'Unknown OS', suggestedName: 'Unknown browser' });
    }
  });

  it('ignores versions, so an update is the same device', () => {
    const older = describeUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0');
    const newer = describeUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:131.0) Gecko/20100101 Firefox/131.0');
    expect(newer).to.deep.equal(older);
  });

  it('reads only the first 512 characters of the header', () => {
    const firefox = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
    expect(describeUserAgent(`${firefox} ${'('.repeat(100_000)}`).family).to.equal('Firefox');
    expect(describeUserAgent(`${' x'.repeat(300)} ${firefox}`).family, 'named past the limit').to.equal('Unknown browser');
  });
});
