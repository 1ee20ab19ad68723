import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { AppError } from '../../lib/errors.ts';

/** only globally routable unicast addresses: no loopback, private, link-local, CGNAT, multicast or reserved ranges */
export function isPublicAddress(address: string): boolean {
  try {
    return ipaddr.process(address).range() === 'unicast';
  } catch {
    return false;
  }
}

const MAX_URL = 2048;

/**
 * A webhook target as stored: http(s) without credentials or fragment, https in production, and
 * no literal private address or localhost unless OUTBOUND_ALLOW_PRIVATE_ADDRESSES is set (names
 * are checked again against what they resolve to at every send).
 */
export function checkWebhookUrl(raw: string, options: { allowPrivate: boolean; requireHttps: boolean }): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid('must be an absolute http or https URL');
  }
  if (raw.length > MAX_URL) throw invalid(`must be at most ${MAX_URL} characters`);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !options.requireHttps)) {
    throw invalid(options.requireHttps ? 'must be an https URL' : 'must be an http or https URL');
  }
  if (url.username || url.password) throw invalid('must not carry credentials');
  if (url.hash || raw.includes('#')) throw invalid('must not have a fragment');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const local = host === 'localhost' || host.endsWith('.localhost') || (isIP(host) !== 0 && !isPublicAddress(host));
  if (local && !options.allowPrivate) {
    throw new AppError(400, 'webhook.private_address', 'The webhook URL points to a loopback or private address');
  }
  return url.toString();
}

const invalid = (message: string) => new AppError(400, 'webhook.invalid_url', `The webhook URL ${message}`);

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
