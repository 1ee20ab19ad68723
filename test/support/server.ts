import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../../src/config/load.ts';
import { createContainer, type Container } from '../../src/app/container.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import type { Clock } from '../../src/lib/clock.ts';
import type { Backend } from './backends.ts';

export interface TestServer {
  url: string;
  env: Record<string, string>;
  container: Container;
  stop(): Promise<void>;
}

/**
 * Starts Latchkey in this process on a free port, after applying the PostgreSQL migrations
 * in process (the `latchkey migrate` command itself is tested in core/migrations.test.ts).
 */
export async function startTestServer(
  backend: Backend,
  options: { env?: Record<string, string>; clock?: Clock; issuerHost?: string } = {},
): Promise<TestServer> {
  const port = await freePort();
  const env = { ...backend.env, PORT: String(port), ISSUER: `http://${options.issuerHost ?? '127.0.0.1'}:${port}`, KEYS_RELOAD_INTERVAL: '1', ...options.env };
  const container = await createContainer(loadSettings(env), options.clock ? { clock: options.clock } : {});
  if (backend.kind === 'postgres') await container.db.migrate();
  let running: RunningServer;
  try {
    running = await startServer(container);
  } catch (err) {
    await container.close();
    throw err;
  }
  return { url: env.ISSUER, env, container, stop: () => running.stop(2000) };
}

export interface SpawnedServer {
  url: string;
  /** this process's own address (differs from url when several replicas sit behind one issuer) */
  direct: string;
  env: Record<string, string>;
  process: ChildProcess;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

/** Starts `node src/main.ts` as its own process and waits until /healthz answers. */
export async function spawnServer(env: Record<string, string>): Promise<SpawnedServer> {
  const port = await freePort();
  const fullEnv = { PATH: process.env.PATH ?? '', PORT: String(port), ISSUER: `http://127.0.0.1:${port}`, ...env };
  const child = spawn(process.execPath, [MAIN], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const url = fullEnv.ISSUER;
  const direct = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}):\n${output}`);
    try {
      if ((await fetch(`${direct}/healthz`)).ok) break;
    } catch {
      /* not yet listening */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    direct,
    env: fullEnv,
    process: child,
    output: () => output,
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
      }),
  };
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
