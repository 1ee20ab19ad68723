import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { createBackend, type Backend } from '../../support/backends.ts';
import { spawnServer, type SpawnedServer } from '../../support/server.ts';
import { createClient, createTenant, createUser, migrate, withServices } from '../../support/accounts.ts';
import { discover, exchange, signIn } from '../../support/relying-party.ts';

interface Received {
  path: string;
  contentType: string;
  body: string;
}

// prints every OpenTelemetry SDK module the process loads, so a test can tell whether tracing code ran at all
// (@opentelemetry/api, the no-op facade, is left out: prom-client loads it whenever it is installed)
const WATCH_IMPORTS = `--import=data:text/javascript,${encodeURIComponent(
  "import{registerHooks}from'node:module';registerHooks({resolve(s,c,n){const r=n(s,c);if(r.url.includes('@opentelemetry/')&&!r.url.includes('@opentelemetry/api/'))process.stderr.write('otel-module-loaded\\n');return r;}});",
)}`;

/** an OTLP/HTTP collector stand-in: keeps every POST it gets */
async function startReceiver(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise((r) => server.close(() => r())) };
}

describe('tracing: OTEL_EXPORTER_OTLP_ENDPOINT sends spans to an OTLP collector', function () {
  this.timeout(90_000);
  let backend: Backend;
  let server: SpawnedServer | undefined;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    backend = await createBackend('postgres');
    await migrate(backend.env);
    receiver = await startReceiver();
  });
  after(async () => {
    await server?.stop();
    await receiver?.close();
    await backend?.dispose();
  });

  it('traces a sign-in through HTTP, Koa, PostgreSQL and Redis, and sends no secret', async () => {
    server = await spawnServer({ ...backend.env, LOG_LEVEL: 'info', OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/`, NODE_OPTIONS: WATCH_IMPORTS });
    const password = 'a traced but secret passphrase 7';
    const created = await withServices(server.env, async (c) => {
      await createTenant(c, { name: 'traced' });
      await createUser(c, { tenant: 'traced', email: 'tess@example.com', password });
      return createClient(c, { tenant: 'traced', name: 'App', redirectUris: ['http://127.0.0.1:9/cb'] });
    });
    const client = { clientId: created.clientId, clientSecret: String(created.clientSecret), redirectUri: 'http://127.0.0.1:9/cb' };
    const config = await discover(server.url, client);
    const result = await signIn(config, client, { email: 'tess@example.com', password });
    const tokens = await exchange(config, result);
    await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    const traceId = randomBytes(16).toString('hex');
    await fetch(`${server.url}/jwks`, { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });

    // SIGTERM flushes the spans still buffered
    expect(await server.stop()).to.equal(0);
    expect(server.output()).to.include('tracing to OTLP collector').and.to.include('otel-module-loaded');
    const posts = receiver.received.filter((r) => r.path === '/v1/traces');
    expect(posts.length, 'at least one OTLP export arrived').to.be.greaterThan(0);
    const sent = posts.map((p) => p.body).join('\n');
    expect(sent).to.include('"service.name"').and.to.include('latchkey');
    for (const scope of ['instrumentation-http', 'instrumentation-koa', 'instrumentation-pg', 'instrumentation-ioredis']) {
      expect(sent, scope).to.include(`@opentelemetry/${scope}`);
    }
    expect(sent, 'server spans are named by route template').to.include('"POST /interaction/:uid/login"');
    expect(sent).to.include('"GET /auth/:uid"').and.to.include('"POST /token"');
    expect(sent, 'middleware spans are named').to.include('middleware - errorHandler');
    expect(sent, 'probes are not traced').not.to.include('/healthz');
    expect(sent, 'a trace started by a proxy (W3C traceparent) goes on').to.include(traceId);
    const secrets = [
      password,
      client.clientSecret,
      result.callbackUrl.searchParams.get('code')!,
      tokens.access_token,
      tokens.refresh_token!,
      tokens.id_token!,
      result.codeVerifier,
      backend.env.COOKIE_KEYS!,
      backend.env.KEY_ENCRYPTION_KEY!,
      'tess@example.com',
    ];
    for (const secret of secrets) expect(sent.includes(secret), `a secret in the spans: ${secret.slice(0, 12)}…`).to.equal(false);
  });

  it('refuses an endpoint that is not an http(s) URL, and loads no OpenTelemetry SDK code when it is unset', async () => {
    const refused = await spawnServer({ ...backend.env, OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://collector:4317' }).catch((err: Error) => err.message);
    expect(refused).to.include('OTEL_EXPORTER_OTLP_ENDPOINT: must be an http(s) URL');

    const plain = await spawnServer({ ...backend.env, LOG_LEVEL: 'info', NODE_OPTIONS: WATCH_IMPORTS });
    expect((await fetch(`${plain.url}/.well-known/openid-configuration`)).status).to.equal(200);
    expect(await plain.stop()).to.equal(0);
    expect(plain.output()).to.include('latchkey listening');
    expect(plain.output()).not.to.include('otel-module-loaded');
    expect(plain.output()).not.to.include('tracing to OTLP collector');
  });
});
