import type { Middleware } from 'koa';
import { inRanges, parseAddress, parseRange, parseStrictAddress, UNREADABLE_ADDRESS, type IpRange } from '../lib/ip.ts';

/**
 * The client IP is the right-most X-Forwarded-For hop that is not one of our trusted
 * proxies (Koa's own `proxy` mode takes the left-most, which the client controls).
 * Forwarded headers from a peer that is not a trusted proxy are removed before anything
 * else reads them, and X-Forwarded-Host is always removed: the issuer never changes.
 *
 * A hop that cannot be read where the client's address should be (junk, an address form no
 * proxy writes, a header of blank entries) gives UNREADABLE_ADDRESS, which matches no range:
 * never the proxy's own address, which an allowlist may well cover.
 */
export function clientAddressFrom(peer: string, forwardedFor: string | undefined, trusted: readonly IpRange[]): string {
  const peerAddr = parseAddress(peer)?.toString() ?? peer;
  if (!forwardedFor || !inRanges(peerAddr, trusted)) return peerAddr;
  const hops = forwardedFor.split(',').map((h) => h.trim());
  let candidate = UNREADABLE_ADDRESS;
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = parseStrictAddress(hops[i]!);
    if (!hop) return UNREADABLE_ADDRESS;
    candidate = hop.toString();
    if (!inRanges(candidate, trusted)) return candidate;
  }
  return candidate;
}

export function clientIpMiddleware(trustProxy: readonly string[], options: { issuerHost?: string } = {}): Middleware {
  const trusted = trustProxy.map(parseRange);
  // a connection's peer does not change: parse it once per socket, not once per request
  const peers = new WeakMap<object, { address: string; trusted: boolean }>();
  const peerOf = (socket: { remoteAddress?: string | undefined }) => {
    let known = peers.get(socket);
    if (!known) {
      const raw = socket.remoteAddress ?? '';
      known = { address: parseAddress(raw)?.toString() ?? raw, trusted: inRanges(raw, trusted) };
      peers.set(socket, known);
    }
    return known;
  };
  return async function clientIp(ctx, next) {
    const { address: peer, trusted: fromTrustedProxy } = peerOf(ctx.req.socket);
    const headers = ctx.req.headers;
    delete headers['x-forwarded-host'];
    // oidc-provider builds endpoint URLs from the Host header: pin it to the issuer's.
    if (options.issuerHost) headers.host = options.issuerHost;
    const forwardedFor = headerValue(headers['x-forwarded-for']);
    const ip = fromTrustedProxy ? clientAddressFrom(peer, forwardedFor, trusted) : peer;
    if (ip === UNREADABLE_ADDRESS) {
      // the header is the client's text: a bounded sample, for the operator to find the proxy at fault
      ctx.state.log?.warn({ peer, forwardedFor: forwardedFor!.slice(0, 128), length: forwardedFor!.length }, 'client address unreadable in X-Forwarded-For');
    }
    if (!fromTrustedProxy) {
      delete headers['x-forwarded-for'];
      delete headers['x-forwarded-proto'];
      delete headers.forwarded;
    }
    ctx.request.ip = ip;
    ctx.state.clientIp = ip;
    await next();
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
