import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Container } from './app/container.ts';
import { createApp } from './app.ts';
import { ensureDemoData } from './app/demo-data.ts';
import { ConfigError } from './config/load.ts';

export interface RunningServer {
  server: Server;
  url: string;
  /** stop accepting, let in-flight requests finish (up to timeoutMs), close stores */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * A stopping server keeps reading requests that clients had already sent until none has
 * started for SETTLE_MS (at most SETTLE_MAX_MS): a busy event loop may not yet have parsed
 * them, and closing would reset those connections.
 */
const SETTLE_MS = 250;
const SETTLE_MAX_MS = 5000;

export async function startServer(c: Container): Promise<RunningServer> {
  const pending = await c.db.pendingMigrations();
  if (pending.length) {
    throw new ConfigError([`DATABASE_URL: ${pending.length} migration(s) not applied (${pending.join(', ')}); run \`latchkey migrate\` first`]);
  }
  const createdKeys = await c.keys.ensureActiveKeys();
  if (createdKeys.length) c.logger.info({ kids: createdKeys }, 'generated signing keys');
  await ensureDemoData(c);

  const { app, host } = await createApp(c);
  const inFlight = new Set<Promise<void>>();
  const handler = app.callback();
  let stopping: Promise<void> | undefined;
  let lastRequestAt = 0;
  const server = createServer((req, res) => {
    lastRequestAt = Date.now();
    if (stopping) res.setHeader('Connection', 'close');
    const done = new Promise<void>((resolve) => res.on('close', resolve));
    inFlight.add(done);
    void done.then(() => inFlight.delete(done));
    void handler(req, res);
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(c.settings.PORT, c.settings.HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // audit events queued for tenants' webhooks go out from every replica (leases keep them single)
  c.webhooks.worker.start();
  c.logger.info({ port, issuer: c.issuer, database: c.db.kind, store: c.redis ? 'redis' : 'memory', secrets: c.secrets.source }, 'latchkey listening');

  return {
    server,
    url: `http://127.0.0.1:${port}`,
    stop(timeoutMs = 25_000) {
      stopping ??= (async () => {
        host.close();
        // server.close() drops every connection without a parsed request, including ones whose
        // request was already sent: give those a moment to be read and counted as in flight.
        const settleUntil = Date.now() + SETTLE_MAX_MS;
        do {
          await new Promise((r) => setTimeout(r, SETTLE_MS));
        } while (Date.now() - lastRequestAt < SETTLE_MS && Date.now() < settleUntil);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const drained = Promise.all([...inFlight]);
        await Promise.race([drained, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
        server.closeAllConnections();
        await closed;
        await c.close();
      })();
      return stopping;
    },
  };
}
