import { parseAddress } from '../lib/ip.ts';

/**
 * What the per-IP send limit counts a client address as: an IPv4 address on its own (IPv4-mapped
 * IPv6 included), an IPv6 address as its /64, because one subscriber or server gets a whole /64
 * and could otherwise give every request an address of its own. Text that is no address (the
 * unreadable client of a proxy) is one scope of its own.
 */
export function sendLimitScope(ip: string): string {
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
