import ipaddr from 'ipaddr.js';

/** A parsed address range; a plain address is a range of one. */
export type IpRange = [ipaddr.IPv4 | ipaddr.IPv6, number];

export function parseRange(text: string): IpRange {
  if (text.includes('/')) return ipaddr.parseCIDR(text);
  const addr = ipaddr.parse(text);
  return [addr, addr.kind() === 'ipv4' ? 32 : 128];
}

export function isValidCidrOrAddress(text: string): boolean {
  try {
    parseRange(text);
    return true;
  } catch {
    return false;
  }
}

/** Normalises IPv4-mapped IPv6 (::ffff:1.2.3.4) to IPv4 so ranges of either kind match. */
export function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  try {
    return ipaddr.process(text.trim());
  } catch {
    return undefined;
  }
}

/**
 * The client address when X-Forwarded-For from a trusted proxy holds no readable address where
 * the client's should be. It is no address: it matches no range (an allowlist never covers it,
 * a device bound to an address never matches it), and all such requests share one per-IP budget.
 */
export const UNREADABLE_ADDRESS = 'unreadable';

const MAX_ADDRESS_LENGTH = 100;

/**
 * An address as a proxy writes it: four-part decimal IPv4 or standard IPv6 (IPv4-mapped IPv6
 * becomes IPv4). The inet_aton forms ipaddr.js would also take ("10", "0x7f.0.0.1",
 * "010.0.0.1") and zone ids are refused: no proxy writes them, so they are junk, not addresses.
 */
export function parseStrictAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined {
  if (typeof text !== 'string' || text.length > MAX_ADDRESS_LENGTH || text.includes('%')) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (ipaddr.IPv6.isValid(text)) return ipaddr.process(text);
  return undefined;
}

export function inRanges(address: string, ranges: readonly IpRange[]): boolean {
  const addr = parseAddress(address);
  if (!addr) return false;
  return ranges.some(([net, bits]) => addr.kind() === net.kind() && addr.match(net, bits));
}

/**
 * The network a client address stands for, for limits per client: an IPv4 address on its own
 * (IPv4-mapped IPv6 included), an IPv6 address as its /64, because one subscriber or server gets
 * a whole /64 and could otherwise give every request an address of its own. Text that is no
 * address (the unreadable client of a proxy) is one network of its own.
 */
export function clientNetwork(ip: string): string {
  const address = parseAddress(ip);
  if (!address) return 'unreadable';
  if (address.kind() === 'ipv4') return address.toString();
  const parts = address
    .toNormalizedString()
    .split(':')
    .slice(0, 4)
    .map((p) => p.replace(/^0+(?=.)/, ''));
  return `${parts.join(':')}::/64`;
}
