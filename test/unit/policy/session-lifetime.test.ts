import { expect } from 'chai';
import { sessionEnded, sessionKeepSeconds, type SessionLifetime } from '../../../src/policy/session-lifetime.ts';

describe('session lifetime policy', () => {
  const lifetime: SessionLifetime = { idleSeconds: 300, maxSeconds: 600 };
  const created = 1_000_000;

  describe('sessionKeepSeconds', () => {
    const cases: [string, number, number][] = [
      ['at creation: the idle time', 0, 300],
      ['used early on: the idle time again', 130, 300],
      ['exactly where the idle time meets the lifetime', 300, 300],
      ['used late: cut where the lifetime ends', 320, 280],
      ['one second before the end', 599, 1],
      ['at the end: one second, never zero', 600, 1],
      ['past the end: one second', 900, 1],
    ];
    for (const [name, age, keep] of cases) {
      it(`${name} (age ${age} s -> ${keep} s)`, () => expect(sessionKeepSeconds(created, created + age, lifetime)).to.equal(keep));
    }

    it('keeps the idle time when both limits are equal, until the lifetime cuts it', () => {
      const equal = { idleSeconds: 86_400, maxSeconds: 86_400 };
      expect(sessionKeepSeconds(created, created, equal)).to.equal(86_400);
      expect(sessionKeepSeconds(created, created + 3600, equal)).to.equal(82_800);
    });
  });

  describe('sessionEnded', () => {
    const cases: [string, { createdAt: unknown; expiresAt: unknown }, number, boolean][] = [
      ['fresh', { createdAt: created, expiresAt: created + 300 }, created + 10, false],
      ['one second before its idle time runs out', { createdAt: created, expiresAt: created + 300 }, created + 299, false],
      ['when its idle time runs out', { createdAt: created, expiresAt: created + 300 }, created + 300, true],
      ['after its idle time', { createdAt: created, expiresAt: created + 300 }, created + 301, true],
      ['used continually, one second before its lifetime ends', { createdAt: created, expiresAt: created + 600 }, created + 599, false],
      ['used continually, when its lifetime ends', { createdAt: created, expiresAt: created + 600 }, created + 600, true],
      ["stored under a longer lifetime than today's", { createdAt: created, expiresAt: created + 900 }, created + 700, true],
      ['without a creation time', { createdAt: undefined, expiresAt: created + 300 }, created, true],
      ['without an expiry', { createdAt: created, expiresAt: undefined }, created, true],
      ['with times that are not numbers', { createdAt: String(created), expiresAt: String(created + 300) }, created, true],
      ['with a time that is not finite', { createdAt: created, expiresAt: Number.POSITIVE_INFINITY }, created, true],
      ['with a creation time that is not a number', { createdAt: Number.NaN, expiresAt: created + 300 }, created, true],
    ];
    for (const [name, times, now, ended] of cases) {
      it(`${ended ? 'ends' : 'lives'} ${name}`, () => expect(sessionEnded(times, now, lifetime)).to.equal(ended));
    }
  });
});
