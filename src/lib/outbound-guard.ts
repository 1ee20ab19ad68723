import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * What keeps Latchkey's own outgoing requests (audit webhooks, upstream identity providers) off
 * loopback and private networks unless OUTBOUND_ALLOW_PRIVATE_ADDRESSES is set.
 */

/** only globally routable unicast addresses: no loopback, private, link-local, CGNAT, multicast or reserved ranges */
export function isPublicAddress(address: string): boolean {
  try {
    return ipaddr.process(address).range() === 'unicast';
  } catch {
    return false;
  }
}

/** the URL's host without the brackets of an IPv6 literal */
export const hostOf = (url: URL): string => url.hostname.replace(/^\[|\]$/g, '');

/** the URL names a literal non-public address (connected to without any lookup, so checked apart) */
export function isPrivateLiteral(url: URL): boolean {
  const host = hostOf(url);
  return isIP(host) !== 0 && !isPublicAddress(host);
}

/**
 * A dns lookup for outgoing requests that fails when a name resolves to any non-public address.
 * The socket connects to the address checked here, so a name that changes its answer between
 * the check and the connection (DNS rebinding) gains nothing.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, '', 0);
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused || addresses.length === 0) {
      const error = Object.assign(new Error(`${hostname} resolves to a private or reserved address`), { code: 'EPRIVATEADDRESS' });
      return callback(error, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
