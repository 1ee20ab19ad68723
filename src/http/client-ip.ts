import type { Middleware } from 'koa';
import { inRanges, parseAddress, parseRange, type IpRange } from '../lib/ip.ts';

/**
 * The client IP is the right-most X-Forwarded-For hop that is not one of our trusted
 * proxies (Koa's own `proxy` mode takes the left-most, which the client controls).
 * Forwarded headers from a peer that is not a trusted proxy are removed before anything
 * else reads them, and X-Forwarded-Host is always removed: the issuer never changes.
 */
export function clientAddressFrom(peer: string, forwardedFor: string | undefined, trusted: readonly IpRange[]): string {
  const peerAddr = parseAddress(peer)?.toString() ?? peer;
  if (!forwardedFor || !inRanges(peerAddr, trusted)) return peerAddr;
  const hops = forwardedFor.split(',').map((h) => h.trim()).filter(Boolean);
  let candidate = peerAddr;
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = parseAddress(hops[i]!);
    if (!hop) return candidate; // garbage in the chain: stop at the last hop we could trust
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
    const ip = fromTrustedProxy ? clientAddressFrom(peer, headerValue(headers['x-forwarded-for']), trusted) : peer;
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
