import { expect } from 'chai';
import { allowlistEntryProblem, isAllowed, parseAllowlist } from '../../../src/policy/ip-rules.ts';

const allow = (...entries: string[]) => parseAllowlist(entries);

describe('IP allowlist', () => {
  describe('entries', () => {
    const valid = [
      '203.0.113.7',
      '203.0.113.0/24',
      '0.0.0.0/0',
      '10.0.0.1/8',
      '2001:db8::1',
      '2001:db8::/32',
      '::1',
      '::/0',
      '::ffff:10.0.0.0/104',
      '::ffff:192.0.2.1',
    ];
    for (const entry of valid) {
      it(`accepts ${entry}`, () => {
        expect(allowlistEntryProblem(entry)).to.equal(undefined);
        expect(allow(entry).ranges).to.have.length(1);
      });
    }

    const invalid = [
      '',
      'localhost',
      '10',
      '1.2.3',
      '010.0.0.1',
      '0x0a.0.0.1',
      '256.0.0.1',
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/-1',
      '2001:db8::/129',
      '2001:db8:::1',
      'fe80::1%eth0',
      ' 10.0.0.1',
      '10.0.0.1 ',
      '10.0.0.0/8,10.1.0.0/16',
      `1${'0'.repeat(200)}`,
    ];
    for (const entry of invalid) {
      it(`refuses ${JSON.stringify(entry.slice(0, 30))} with a message naming it`, () => {
        const problem = allowlistEntryProblem(entry);
        expect(problem).to.be.a('string');
        expect(problem).to.include(`"${entry.slice(0, 60)}`);
        expect(problem).to.include('is not an IPv4 or IPv6 address or CIDR range');
      });
    }

    it('shortens a very long entry in the message', () => {
      const problem = allowlistEntryProblem('x'.repeat(500))!;
      expect(problem.length).to.be.below(200);
    });

    it('parseAllowlist throws naming the index and the bad entry', () => {
      expect(() => parseAllowlist(['10.0.0.0/8', 'nope'])).to.throw(TypeError, 'allowlist[1]: "nope" is not an IPv4 or IPv6 address');
    });
  });

  describe('isAllowed', () => {
    const list = allow('203.0.113.0/24', '198.51.100.7', '2001:db8::/32', '::ffff:192.0.2.0/120');

    it('matches an IPv4 CIDR range at both ends and nothing past them', () => {
      expect(isAllowed('203.0.113.0', list)).to.equal(true);
      expect(isAllowed('203.0.113.255', list)).to.equal(true);
      expect(isAllowed('203.0.112.255', list)).to.equal(false);
      expect(isAllowed('203.0.114.0', list)).to.equal(false);
    });

    it('matches a single IPv4 address exactly', () => {
      expect(isAllowed('198.51.100.7', list)).to.equal(true);
      expect(isAllowed('198.51.100.8', list)).to.equal(false);
    });

    it('matches IPv6 ranges in any spelling', () => {
      expect(isAllowed('2001:db8::5', list)).to.equal(true);
      expect(isAllowed('2001:0db8:ffff:0000:0000:0000:0000:0001', list)).to.equal(true);
      expect(isAllowed('2001:db9::1', list)).to.equal(false);
    });

    it('matches an IPv4-mapped IPv6 client against IPv4 ranges', () => {
      expect(isAllowed('::ffff:203.0.113.9', list)).to.equal(true);
      expect(isAllowed('::ffff:198.51.100.7', list)).to.equal(true);
      expect(isAllowed('::ffff:203.0.114.9', list)).to.equal(false);
    });

    it('matches an IPv4 client against an IPv4-mapped IPv6 range', () => {
      expect(isAllowed('192.0.2.200', list)).to.equal(true);
      expect(isAllowed('::ffff:192.0.2.200', list)).to.equal(true);
      expect(isAllowed('192.0.3.1', list)).to.equal(false);
    });

    it('keeps IPv4 and IPv6 apart otherwise', () => {
      expect(isAllowed('::1', allow('0.0.0.0/0'))).to.equal(false);
      expect(isAllowed('203.0.113.9', allow('2001:db8::/32'))).to.equal(false);
      expect(isAllowed('203.0.113.9', allow('0.0.0.0/0'))).to.equal(true);
    });

    it('never matches an address that does not parse strictly', () => {
      const everything = allow('0.0.0.0/0', '::/0');
      for (const ip of [
        '',
        'unknown',
        '10',
        '1.2.3',
        '010.0.0.1',
        '0x0a.0.0.1',
        '203.0.113.0/24',
        ' 203.0.113.7',
        '203.0.113.7:443',
        '999.1.1.1',
        'x'.repeat(1000),
      ]) {
        expect(isAllowed(ip, everything), ip).to.equal(false);
      }
      expect(isAllowed(undefined as unknown as string, everything)).to.equal(false);
      // "010.0.0.1" would be 8.0.0.1 to a lax parser
      expect(isAllowed('010.0.0.1', allow('8.0.0.0/8'))).to.equal(false);
    });

    it('matches nothing with an empty allowlist', () => {
      expect(isAllowed('203.0.113.7', allow())).to.equal(false);
      expect(isAllowed('2001:db8::1', allow())).to.equal(false);
    });
  });
});
