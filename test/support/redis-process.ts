import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type * as oidc from 'openid-client';
import { disposeFixture, startFixture, type Fixture } from './fixture.ts';
import { freePort } from './server.ts';

export type OwnRedis = Awaited<ReturnType<typeof startOwnRedis>>;

/** A redis-server of the test's own, on its own port, that the test stops and starts again. */
export async function startOwnRedis(port: number): Promise<{ url: string; stop(): Promise<void>; start(): Promise<void>; dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-redis-'));
  let child: ChildProcess | undefined;
  const url = `redis://127.0.0.1:${port}`;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {
        /* not up yet */
      });
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        if (Date.now() > deadline) throw new Error(`redis-server did not start on ${port}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  await start();
  return {
    url,
    start,
    stop,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** a fixture on PostgreSQL and a Redis of the test's own (to stop and start); dispose() ends both */
export async function startFixtureOnOwnRedis(): Promise<{ f: Fixture; config: oidc.Configuration; redis: OwnRedis; dispose(): Promise<void> }> {
  const redis = await startOwnRedis(await freePort());
  const { f, config } = await startFixture('postgres', { env: { REDIS_URL: redis.url } });
  return {
    f,
    config,
    redis,
    async dispose() {
      await disposeFixture(f);
      await redis.dispose();
    },
  };
}
