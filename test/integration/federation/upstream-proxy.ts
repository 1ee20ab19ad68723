import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';

/**
 * Stands in front of the upstream Latchkey as its issuer address, passing every request through
 * unless told to misbehave: 'wrong-issuer' serves a discovery document naming another issuer,
 * 'swap-jwks' serves keys with the real key ids that did not sign anything, 'hang' accepts and
 * never answers.
 */
export type ProxyMode = 'pass' | 'wrong-issuer' | 'swap-jwks' | 'hang';

export interface UpstreamProxy {
  url: string;
  mode: ProxyMode;
  pointAt(port: number): void;
  close(): Promise<void>;
}

/** `host` is the name its URL uses (it listens on 127.0.0.1; localhost resolves there too) */
export async function startUpstreamProxy(options: { host?: string } = {}): Promise<UpstreamProxy> {
  let targetPort = 0;
  const sockets = new Set<Socket>();
  const proxy: UpstreamProxy = {
    url: '',
    mode: 'pass',
    pointAt: (port) => {
      targetPort = port;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const server = createServer((req, res) => {
    if (proxy.mode === 'hang') return;
    void forward(req, res);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function forward(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const upstream = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const out = request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (r) => {
        const body: Buffer[] = [];
        r.on('data', (c: Buffer) => body.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(body) }));
      });
      out.on('error', reject);
      out.end(Buffer.concat(chunks));
    });
    let body = upstream.body;
    const path = (req.url ?? '').split('?')[0];
    if (proxy.mode === 'wrong-issuer' && path === '/.well-known/openid-configuration') {
      body = Buffer.from(JSON.stringify({ ...JSON.parse(body.toString()), issuer: 'http://127.0.0.1:1/not-this-one' }));
    }
    if (proxy.mode === 'swap-jwks' && path === '/jwks') body = Buffer.from(JSON.stringify(await impostorKeys(JSON.parse(body.toString()))));
    const headers: Record<string, string | string[] | undefined> = { ...upstream.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    res.writeHead(upstream.status, headers);
    res.end(body);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://${options.host ?? '127.0.0.1'}:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/** new keys under the real keys' ids and algorithms: the signature cannot verify against them */
async function impostorKeys(jwks: { keys: Array<{ kid: string; alg?: string; kty: string; use?: string }> }) {
  const keys = await Promise.all(
    jwks.keys.map(async (k) => {
      const alg = k.alg ?? (k.kty === 'EC' ? 'ES256' : k.kty === 'OKP' ? 'EdDSA' : 'RS256');
      const { publicKey } = await generateKeyPair(alg, { extractable: true });
      return { ...(await exportJWK(publicKey)), kid: k.kid, alg, ...(k.use ? { use: k.use } : {}) };
    }),
  );
  return { keys };
}
