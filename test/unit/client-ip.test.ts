import { expect } from 'chai';
import { clientAddressFrom } from '../../src/http/client-ip.ts';
import { parseRange, UNREADABLE_ADDRESS } from '../../src/lib/ip.ts';

const ranges = (...items: string[]) => items.map(parseRange);

describe('clientAddressFrom', () => {
  describe('without trusted proxies', () => {
    it('returns the peer address and ignores X-Forwarded-For', () => {
      expect(clientAddressFrom('203.0.113.7', '198.51.100.1', [])).to.equal('203.0.113.7');
      expect(clientAddressFrom('203.0.113.7', '198.51.100.1, 10.0.0.1', [])).to.equal('203.0.113.7');
      expect(clientAddressFrom('203.0.113.7', undefined, [])).to.equal('203.0.113.7');
    });

    it('normalises an IPv4-mapped IPv6 peer to IPv4', () => {
      expect(clientAddressFrom('::ffff:203.0.113.7', '198.51.100.1', [])).to.equal('203.0.113.7');
    });

    it('ignores X-Forwarded-For from a peer outside the trusted ranges', () => {
      expect(clientAddressFrom('203.0.113.7', '198.51.100.1', ranges('10.0.0.0/8'))).to.equal('203.0.113.7');
    });
  });

  describe('behind one trusted proxy', () => {
    const trusted = ranges('10.0.0.5');

    it('takes the right-most hop', () => {
      expect(clientAddressFrom('10.0.0.5', '198.51.100.1', trusted)).to.equal('198.51.100.1');
    });

    it('never lets a forged left-most entry win', () => {
      expect(clientAddressFrom('10.0.0.5', '1.2.3.4, 198.51.100.1', trusted)).to.equal('198.51.100.1');
      expect(clientAddressFrom('10.0.0.5', '10.0.0.5, 198.51.100.1', trusted)).to.equal('198.51.100.1');
    });

    it('returns the proxy itself when there is no X-Forwarded-For', () => {
      expect(clientAddressFrom('10.0.0.5', undefined, trusted)).to.equal('10.0.0.5');
      expect(clientAddressFrom('10.0.0.5', '', trusted)).to.equal('10.0.0.5');
    });

    it('gives no address, not the proxy, for a header of blank entries', () => {
      expect(clientAddressFrom('10.0.0.5', ' , ,', trusted)).to.equal(UNREADABLE_ADDRESS);
    });

    it('tolerates spaces around entries', () => {
      expect(clientAddressFrom('10.0.0.5', '  1.2.3.4 ,   198.51.100.1  ', trusted)).to.equal('198.51.100.1');
    });
  });

  describe('behind a chain of trusted proxies', () => {
    const trusted = ranges('10.0.0.0/8', '172.16.0.0/12', 'fd00::/8');

    it('skips every trusted hop from the right (CIDR ranges)', () => {
      expect(clientAddressFrom('10.1.2.3', '198.51.100.1, 172.16.4.4, 10.9.9.9', trusted)).to.equal('198.51.100.1');
    });

    it('stops at the first untrusted hop, whatever stands to its left', () => {
      expect(clientAddressFrom('10.1.2.3', '6.6.6.6, 198.51.100.1, 10.9.9.9', trusted)).to.equal('198.51.100.1');
      // an attacker prepending a "trusted" address gains nothing either
      expect(clientAddressFrom('10.1.2.3', '10.0.0.1, 198.51.100.1, 10.9.9.9', trusted)).to.equal('198.51.100.1');
    });

    it('handles IPv6 proxies and an IPv6 client', () => {
      expect(clientAddressFrom('fd00::1', '2001:db8::42, fd12:3456::9', trusted)).to.equal('2001:db8::42');
      expect(clientAddressFrom('fd00::1', '2001:DB8:0:0:0:0:0:42', trusted)).to.equal('2001:db8::42');
    });

    it('matches IPv4-mapped IPv6 peers and hops against IPv4 ranges', () => {
      expect(clientAddressFrom('::ffff:10.1.2.3', '198.51.100.1, ::ffff:172.16.0.9', trusted)).to.equal('198.51.100.1');
      expect(clientAddressFrom('::ffff:10.1.2.3', '::ffff:198.51.100.1', trusted)).to.equal('198.51.100.1');
    });

    it('returns the left-most hop when every hop is trusted', () => {
      expect(clientAddressFrom('10.1.2.3', '10.0.0.1, 172.16.0.1', trusted)).to.equal('10.0.0.1');
    });

    it('mixes IPv6 peer with an IPv4 client', () => {
      expect(clientAddressFrom('fd00::1', '203.0.113.9, 10.0.0.2', trusted)).to.equal('203.0.113.9');
    });
  });

  describe('garbage entries', () => {
    const trusted = ranges('10.0.0.0/8');

    it('gives no address when the hop where the client should be cannot be read', () => {
      expect(clientAddressFrom('10.0.0.1', 'not-an-ip', trusted)).to.equal(UNREADABLE_ADDRESS);
      expect(clientAddressFrom('10.0.0.1', '198.51.100.1, garbage, 10.0.0.2', trusted)).to.equal(UNREADABLE_ADDRESS);
      expect(clientAddressFrom('10.0.0.1', 'x'.repeat(10_000), trusted)).to.equal(UNREADABLE_ADDRESS);
    });

    it('ignores garbage to the left of a real untrusted hop', () => {
      expect(clientAddressFrom('10.0.0.1', 'garbage, <script>, 198.51.100.1', trusted)).to.equal('198.51.100.1');
    });

    it('never returns anything but a parsed address from the header', () => {
      for (const header of ['a', '999.1.1.1', '1.2.3.4:8080', '[2001:db8::1]', 'unknown', '1.2.3.4.5', '; drop table', '\u0000', 'fe80::1%eth0']) {
        expect(clientAddressFrom('10.0.0.1', header, trusted), header).to.equal(UNREADABLE_ADDRESS);
      }
    });

    it('refuses the inet_aton spellings no proxy writes (octal, hex, short forms)', () => {
      for (const header of ['0x7f.0.0.1', '1.2.3', '10', '012.0.0.1']) {
        expect(clientAddressFrom('10.0.0.1', header, trusted), header).to.equal(UNREADABLE_ADDRESS);
      }
      expect(clientAddressFrom('10.0.0.1', '198.51.100.1, 012.0.0.1', trusted)).to.equal(UNREADABLE_ADDRESS);
    });

    it('keeps an unparsable peer as it is and trusts nothing from it', () => {
      expect(clientAddressFrom('', '198.51.100.1', trusted)).to.equal('');
      expect(clientAddressFrom('weird', '198.51.100.1', ranges('0.0.0.0/0'))).to.equal('weird');
    });
  });
});
