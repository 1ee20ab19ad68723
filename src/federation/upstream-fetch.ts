import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hostOf, isPrivateLiteral, publicOnlyLookup } from '../lib/outbound-guard.ts';

/** what openid-client hands its customFetch */
export interface UpstreamFetchInit {
  body?: unknown;
  headers: Record<string, string>;
  method: string;
  signal?: AbortSignal;
}

export type UpstreamFetch = (url: string, init: UpstreamFetchInit) => Promise<Response>;

/** the largest discovery document, JWKS or token response read from an upstream */
const MAX_RESPONSE_BYTES = 256 * 1024;

/**
 * The fetch openid-client uses for every call to an upstream provider (discovery, JWKS, token):
 * node:http(s), so the address the socket connects to is the one checked (loopback and private
 * addresses refused unless OUTBOUND_ALLOW_PRIVATE_ADDRESSES, as for webhooks), a deadline over
 * the whole exchange (FEDERATION_TIMEOUT_MS) so a silent upstream ends in an error rather than
 * a hanging sign-in, a bounded body, and no redirects followed.
 */
export function createUpstreamFetch(options: { allowPrivate: boolean; timeoutMs: number }): UpstreamFetch {
  return (href, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(href);
      if (!options.allowPrivate && isPrivateLiteral(url)) {
        return reject(Object.assign(new Error(`${hostOf(url)} is a private or reserved address`), { code: 'EPRIVATEADDRESS' }));
      }
      const deadline = AbortSignal.timeout(options.timeoutMs);
      const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const outgoing = send(
        url,
        {
          method: init.method,
          headers: init.headers,
          agent: false,
          signal,
          ...(options.allowPrivate ? {} : { lookup: publicOnlyLookup }),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let seen = 0;
          res.on('data', (chunk: Buffer) => {
            seen += chunk.length;
            if (seen > MAX_RESPONSE_BYTES) outgoing.destroy(Object.assign(new Error('upstream response too large'), { code: 'ETOOLARGE' }));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            const status = res.statusCode ?? 502;
            const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status: status < 200 || status > 599 ? 502 : status, headers: headersOf(res.headers) }));
          });
          res.on('error', reject);
        },
      );
      outgoing.on('error', (err: NodeJS.ErrnoException) =>
        reject(deadline.aborted ? Object.assign(new Error('upstream timed out'), { code: 'ETIMEDOUT', cause: err }) : err),
      );
      outgoing.end(bodyOf(init.body));
    });
}

function bodyOf(body: unknown): string | Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string') return body;
  if (body instanceof URLSearchParams) return body.toString();
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError('unsupported request body for an upstream call');
}

function headersOf(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}
