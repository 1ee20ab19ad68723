import ipaddr from 'ipaddr.js';
import { parseStrictAddress } from '../lib/ip.ts';

/**
 * A tenant's IP allowlist: IPv4/IPv6 addresses and CIDR ranges. Pure (ipaddr.js only).
 *
 * Entries are read strictly: ipaddr.js alone would take "10" as 0.0.0.10 and "010.0.0.1" as
 * 8.0.0.1 (inet_aton forms), which an administrator almost never means, so only four-part
 * decimal IPv4 and standard IPv6 are accepted. Zone ids (fe80::1%eth0) are refused: they name
 * an interface of one machine and mean nothing in a tenant's policy.
 */
export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;
export type AllowlistRange = readonly [IpAddress, number];
export interface Allowlist {
  readonly ranges: readonly AllowlistRange[];
}

const EXAMPLES = 'e.g. 203.0.113.7, 203.0.113.0/24, 2001:db8::1 or 2001:db8::/32';
const MAX_ENTRY_LENGTH = 100;

function parseEntry(entry: string): AllowlistRange | undefined {
  if (entry.length > MAX_ENTRY_LENGTH || entry.includes('%')) return undefined;
  if (ipaddr.IPv4.isValidFourPartDecimal(entry)) return [ipaddr.IPv4.parse(entry), 32];
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(entry)) return ipaddr.IPv4.parseCIDR(entry);
  if (ipaddr.IPv6.isValid(entry)) return [ipaddr.IPv6.parse(entry), 128];
  if (ipaddr.IPv6.isValidCIDR(entry)) return ipaddr.IPv6.parseCIDR(entry);
  return undefined;
}

/** Why an allowlist entry is refused, naming the entry; undefined when it is valid. */
export function allowlistEntryProblem(entry: string): string | undefined {
  if (parseEntry(entry)) return undefined;
  const shown = entry.length > 60 ? `${entry.slice(0, 60)}…` : entry;
  return `"${shown}" is not an IPv4 or IPv6 address or CIDR range (${EXAMPLES})`;
}

/** Parses validated entries; throws naming the first bad entry (the policy schema refuses those first). */
export function parseAllowlist(entries: readonly string[]): Allowlist {
  const ranges = entries.map((entry, index) => {
    const range = parseEntry(entry);
    if (!range) throw new TypeError(`allowlist[${index}]: ${allowlistEntryProblem(entry)}`);
    return range;
  });
  return { ranges };
}

/**
 * Whether a client address lies in the allowlist. An IPv4 client also matches IPv6 ranges
 * through its IPv4-mapped form (so ::ffff:10.0.0.0/104 covers 10.1.2.3); an address that does
 * not parse never matches.
 */
export function isAllowed(ip: string, allowlist: Allowlist): boolean {
  const addr = parseStrictAddress(ip);
  if (!addr) return false;
  const mapped = addr.kind() === 'ipv4' ? (addr as ipaddr.IPv4).toIPv4MappedAddress() : undefined;
  return allowlist.ranges.some(([net, bits]) => {
    if (net.kind() === addr.kind()) return addr.match(net, bits);
    return mapped?.match(net, bits);
  });
}
