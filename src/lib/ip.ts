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

export function inRanges(address: string, ranges: readonly IpRange[]): boolean {
  const addr = parseAddress(address);
  if (!addr) return false;
  return ranges.some(([net, bits]) => addr.kind() === net.kind() && addr.match(net, bits));
}
