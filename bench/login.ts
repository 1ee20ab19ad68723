// Full password sign-ins per second through HTTP, beside bare argon2id verifications with the
// same parameters, measured in the same run on the same machine.
//   npx node bench/login.ts [--seconds 15] [--concurrency 8] [--quick]
// One sign-in = authorization request -> hosted form -> password -> code -> token exchange.
// Latchkey runs as its own process on PostgreSQL + Redis (a fresh database and key prefix).
import argon2 from 'argon2';
import { cpus } from 'node:os';
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createBackend } from '../test/support/backends.ts';
import { spawnServer } from '../test/support/server.ts';
import { cli } from '../test/support/cli.ts';
import { discover, exchange, signIn } from '../test/support/relying-party.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string' }, concurrency: { type: 'string' }, quick: { type: 'boolean' } } });
const seconds = values.quick ? 3 : Number(values.seconds ?? 15);
const concurrency = Number(values.concurrency ?? 8);
const WARMUP_MS = 2000;
const ARGON2 = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

interface Result {
  rate: number;
  median: number;
  p95: number;
  errors: number;
  done: number;
  clientCpuMs: number;
  serverCpuMs: number;
  serverMainCpuMs: number;
  storesCpuMs: number;
}

/** user+system CPU of a process (all its threads) in ms, from /proc */
function processCpuMs(pid: number | undefined, thread?: number): number {
  if (!pid) return 0;
  try {
    const fields = readFileSync(thread ? `/proc/${pid}/task/${thread}/stat` : `/proc/${pid}/stat`, 'utf8')
      .split(') ')[1]!
      .split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return 0;
  }
}

/** CPU of every PostgreSQL and Redis process on this machine (they serve the sign-ins) */
function storesCpuMs(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (comm.startsWith('postgres') || comm.startsWith('redis-server')) total += processCpuMs(Number(pid));
    } catch {
      /* the process ended */
    }
  }
  return total;
}

async function measure(name: string, once: (loop: number) => Promise<void>): Promise<Result> {
  const run = async (ms: number, record: boolean) => {
    const latencies: number[] = [];
    let errors = 0;
    const end = performance.now() + ms;
    await Promise.all(
      Array.from({ length: concurrency }, async (_, loop) => {
        while (performance.now() < end) {
          const t = performance.now();
          try {
            await once(loop);
            if (record) latencies.push(performance.now() - t);
          } catch (err) {
            errors += 1;
            if (errors === 1) console.error(`${name}: first error: ${(err as Error).message}`);
          }
        }
      }),
    );
    return { latencies, errors };
  };
  await run(WARMUP_MS, false);
  const started = performance.now();
  const clientBefore = process.cpuUsage();
  const serverBefore = processCpuMs(server?.process.pid);
  const storesBefore = storesCpuMs();
  // the server's main (JavaScript) thread; argon2 runs on libuv's worker threads
  const mainBefore = processCpuMs(server?.process.pid, server?.process.pid);
  const { latencies, errors } = await run(seconds * 1000, true);
  const elapsed = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const serverCpu = processCpuMs(server?.process.pid) - serverBefore;
  const storesCpu = storesCpuMs() - storesBefore;
  const mainCpu = processCpuMs(server?.process.pid, server?.process.pid) - mainBefore;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  const per = Math.max(1, latencies.length);
  return {
    rate: latencies.length / elapsed,
    median: at(0.5),
    p95: at(0.95),
    errors,
    done: latencies.length,
    clientCpuMs: (client.user + client.system) / 1000 / per,
    serverCpuMs: serverCpu / per,
    serverMainCpuMs: mainCpu / per,
    storesCpuMs: storesCpu / per,
  };
}

let server: Awaited<ReturnType<typeof spawnServer>> | undefined;
const backend = await createBackend('postgres');
const env = {
  ...backend.env,
  NODE_ENV: 'production',
  SMTP_URL: 'smtp://127.0.0.1:1',
  LOG_LEVEL: 'warn',
  ARGON2_MEMORY_KIB: String(ARGON2.memoryCost),
  ARGON2_ITERATIONS: String(ARGON2.timeCost),
  ARGON2_PARALLELISM: String(ARGON2.parallelism),
};
const cleanup = async () => {
  await server?.stop();
  await backend.dispose();
};
process.once('SIGINT', () => {
  void cleanup().then(() => process.exit(130));
});
try {
  await cli(env, ['migrate']);
  await cli(env, ['tenant', 'create', '--name', 'bench']);
  // one user per loop: a sign-in in flight counts toward its user's lockout window until it
  // succeeds, so more than maxFailures parallel sign-ins of ONE user would be refused by design
  const password = 'a bench passphrase that is long enough';
  const users = Array.from({ length: concurrency }, (_, i) => ({ email: `bench${i}@example.com`, password }));
  for (const u of users) await cli(env, ['user', 'create', '--tenant', 'bench', '--email', u.email, '--password', u.password]);
  const user = users[0]!;
  const created = await cli(env, ['client', 'create', '--tenant', 'bench', '--name', 'Bench', '--redirect-uri', 'http://127.0.0.1:9/cb']);
  const client = { clientId: String(created.client_id), clientSecret: String(created.client_secret), redirectUri: 'http://127.0.0.1:9/cb' };
  server = await spawnServer(process.env.BENCH_SERVER_NODE_OPTIONS ? { ...env, NODE_OPTIONS: process.env.BENCH_SERVER_NODE_OPTIONS } : env);
  const config = await discover(server.url, client);

  const hash = await argon2.hash(user.password, { type: argon2.argon2id, ...ARGON2 });
  // BENCH_SKIP_BARE=1 measures only the sign-ins (for profiling the server)
  const bare = process.env.BENCH_SKIP_BARE
    ? { rate: NaN, median: NaN, p95: NaN, errors: 0, done: 0, clientCpuMs: NaN, serverCpuMs: NaN, serverMainCpuMs: NaN, storesCpuMs: NaN }
    : await measure('argon2id verify', async () => {
        if (!(await argon2.verify(hash, user.password))) throw new Error('verify failed');
      });
  const full = await measure('latchkey sign-in', async (loop) => {
    const tokens = await exchange(config, await signIn(config, client, users[loop]!, { scope: 'openid' }));
    if (!tokens.id_token) throw new Error('no id_token');
  });

  const row = (name: string, r: Result) =>
    `| ${name} | ${r.rate.toFixed(1)} | ${r.median.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.errors} | ${r.clientCpuMs.toFixed(1)} | ${r.serverCpuMs.toFixed(1)} | ${r.serverMainCpuMs.toFixed(1)} | ${r.storesCpuMs.toFixed(1)} |`;
  console.log(`\n${new Date().toISOString()} · ${cpus().length} cores · node ${process.version} · concurrency ${concurrency} · ${seconds} s each`);
  console.log(`argon2id m=${ARGON2.memoryCost} KiB t=${ARGON2.timeCost} p=${ARGON2.parallelism}\n`);
  console.log(
    '| target | per second | median ms | p95 ms | errors | bench-process CPU ms each | server CPU ms each | of it main thread | PostgreSQL + Redis CPU ms each |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  console.log(row('bare argon2id verifications (in the bench process)', bare));
  console.log(row('Latchkey full sign-ins (PostgreSQL + Redis)', full));
  console.log(`\nratio sign-ins / argon2id verifications: ${(full.rate / bare.rate).toFixed(2)} (target >= 0.80)`);
  // where a sign-in's CPU goes on this machine: the argon2 share of all of it, and of the server's
  const total = full.clientCpuMs + full.serverCpuMs + full.storesCpuMs;
  console.log(
    `argon2id share of all CPU per sign-in: ${(bare.clientCpuMs / total).toFixed(2)}; of the server's CPU per sign-in: ${(bare.clientCpuMs / full.serverCpuMs).toFixed(2)}`,
  );
} finally {
  await cleanup();
}
