/**
 * Token endpoint benchmark: the client_credentials grant (HTTP Basic client authentication,
 * no resource parameter, so an opaque access token is issued and stored) against three
 * targets, one after the other, in one run (docs/benchmarks.md explains how to read it):
 *
 *   1. Latchkey on PostgreSQL + Redis  (`node src/main.ts`, fresh database and Redis prefix)
 *   2. Latchkey on the embedded default (SQLite + in-process store, fresh DATA_DIR)
 *   3. a bare oidc-provider            (bench/bare-provider.ts, in-memory adapter)
 *
 * Each target is its own child process. This process is the load generator: N concurrent
 * loops on node's fetch (undici, keep-alive), a warm-up, then a measured window.
 *
 *   npx node bench/token.ts [--concurrency 32] [--seconds 15] [--warmup 2] [--quick]
 *                           [--targets postgres,embedded,bare[,ceiling]]
 *                           [--log-level warn] [--cpu-prof DIR]
 *
 * Everything created (children, database, Redis keys, temporary folders) is removed at the
 * end, also on failure and on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { arch, cpus, platform, release, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createBackend, POSTGRES_ADMIN_URL, REDIS_URL, type Backend } from '../test/support/backends.ts';
import { cli } from '../test/support/cli.ts';
import { freePort } from '../test/support/server.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MAIN = join(ROOT, 'src/main.ts');
const BARE = join(ROOT, 'bench/bare-provider.ts');

type TargetKind = 'postgres' | 'embedded' | 'bare' | 'ceiling';
const TARGET_LABELS: Record<TargetKind, string> = {
  postgres: 'Latchkey (PostgreSQL + Redis)',
  embedded: 'Latchkey (embedded SQLite)',
  bare: 'bare oidc-provider',
  ceiling: 'plain node:http (ceiling)',
};

const USAGE = `Usage: npx node bench/token.ts [options]

  --concurrency N     concurrent request loops (default 32)
  --seconds S         measured seconds per target (default 15)
  --warmup S          warm-up seconds per target before measuring (default 2)
  --quick             measure 3 s per target
  --targets LIST      comma-separated, in the order given, from postgres, embedded, bare and
                      ceiling (default postgres,embedded,bare); ceiling is a node:http server
                      answering a fixed token, showing what this load generator can drive
  --log-level LEVEL   LOG_LEVEL of the Latchkey children (default warn)
  --cpu-prof DIR      run the children with --cpu-prof, profiles written to DIR
  -h, --help`;

interface Options {
  concurrency: number;
  seconds: number;
  warmup: number;
  targets: TargetKind[];
  logLevel: string;
  cpuProfDir: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const options = {
    concurrency: { type: 'string' },
    seconds: { type: 'string' },
    warmup: { type: 'string' },
    quick: { type: 'boolean' },
    targets: { type: 'string' },
    'log-level': { type: 'string' },
    'cpu-prof': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof options; strict: true; allowPositionals: false }>>;
  try {
    parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const number = (raw: string | undefined, fallback: number, name: string, min: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min}`);
    return n;
  };
  const concurrency = Math.floor(number(values.concurrency, 32, 'concurrency', 1));
  const seconds = values.quick ? 3 : number(values.seconds, 15, 'seconds', 0.5);
  const warmup = number(values.warmup, 2, 'warmup', 0);
  const targets = (values.targets ?? 'postgres,embedded,bare')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of targets) {
    if (!(t in TARGET_LABELS)) throw new UsageError(`--targets: unknown target ${t} (postgres, embedded, bare, ceiling)`);
  }
  if (!targets.length) throw new UsageError('--targets: at least one target');
  return {
    concurrency,
    seconds,
    warmup,
    targets: [...new Set(targets)] as TargetKind[],
    logLevel: values['log-level'] ?? 'warn',
    cpuProfDir: values['cpu-prof'] ? resolve(values['cpu-prof']) : undefined,
  };
}

class UsageError extends Error {}

// ---------------------------------------------------------------------------------------
// Cleanup: every resource registers how to undo itself; undone newest first, exactly once.

const cleanups: { name: string; run: () => Promise<void> }[] = [];
let interrupted = false;

/** Registers an undo step; returns a function that runs it now (and unregisters it). */
function onCleanup(name: string, run: () => Promise<void>): () => Promise<void> {
  const entry = { name, run };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i === -1) return;
    cleanups.splice(i, 1);
    await run();
  };
}

async function runCleanups(): Promise<void> {
  while (cleanups.length) {
    const { name, run } = cleanups.pop()!;
    try {
      await run();
    } catch (err) {
      process.stderr.write(`bench: cleanup "${name}" failed: ${(err as Error).message}\n`);
    }
  }
}

const children = new Set<ChildProcess>();
// Last resort when this process dies without running the async cleanups.
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) {
      process.stderr.write('bench: second signal, exiting without cleanup\n');
      process.exit(130);
    }
    interrupted = true;
    process.stderr.write(`\nbench: ${signal}, cleaning up...\n`);
    void runCleanups().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------
// PostgreSQL, Redis, child processes

function childEnv(env: Record<string, string>): Record<string, string> {
  // Only what the child needs: no DATABASE_URL etc. leaking in from the caller's shell.
  return { PATH: process.env.PATH ?? '', ...env };
}

interface Child {
  url: string;
  pid: number;
  output(): string;
  exited(): boolean;
  /** exit code or signal, once exited */
  status(): string;
  stop(): Promise<void>;
}

async function spawnChild(name: string, args: string[], env: Record<string, string>, readyPath: string, options: Options): Promise<Child> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const execArgv = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`, `--cpu-prof-name=${name}.${Date.now()}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...execArgv, ...args], {
    cwd: ROOT,
    env: childEnv({ ...env, PORT: String(port), ISSUER: url }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  const keep = (d: Buffer) => {
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const exit = new Promise<void>((r) => child.once('exit', () => r()));

  const stop = onCleanup(`stop ${name}`, async () => {
    if (!exited()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited()) child.kill('SIGKILL');
      }, 10_000);
      await exit;
      clearTimeout(timer);
    }
    children.delete(child);
  });

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited()) throw new Error(`${name} exited during start-up (${child.exitCode ?? child.signalCode}):\n${output}`);
    try {
      const res = await fetch(`${url}${readyPath}`);
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${name} did not become ready in 30 s:\n${output}`);
    await sleep(100);
  }
  return { url, pid: child.pid!, output: () => output, exited, status: () => String(child.exitCode ?? child.signalCode), stop };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------
// Targets

interface Target {
  kind: TargetKind;
  child: Child;
  clientId: string;
  clientSecret: string;
  /** stops the child and removes what was created for it */
  dispose(): Promise<void>;
}

/** production settings over the backend's own (fresh database and Redis prefix, or DATA_DIR) */
function latchkeyEnv(backend: Backend, options: Options): Record<string, string> {
  return {
    ...backend.env,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    LOG_LEVEL: options.logLevel,
    ARGON2_MEMORY_KIB: '19456',
    ARGON2_ITERATIONS: '2',
    OUTBOUND_ALLOW_PRIVATE_ADDRESSES: 'false',
    // required in production; the token endpoint sends no mail, so nothing needs to listen there
    SMTP_URL: 'smtp://127.0.0.1:2525',
  };
}

async function startLatchkey(kind: 'postgres' | 'embedded', options: Options): Promise<Target> {
  // the same isolated backends the tests use (test/support/backends.ts)
  const backend = await createBackend(kind);
  const undo: (() => Promise<void>)[] = [onCleanup(`dispose ${kind} backend`, () => backend.dispose())];
  const env = latchkeyEnv(backend, options);
  if (kind === 'postgres') await cli(env, ['migrate']);
  // For the embedded target the CLI creates the SQLite schema; it runs before the server
  // so two processes never write the file at the same time.
  await cli(env, ['tenant', 'create', '--name', 'bench']);
  const client = await cli(env, ['client', 'create', '--tenant', 'bench', '--name', 'Token bench', '--grant', 'client_credentials']);

  const child = await spawnChild(`latchkey-${kind}`, [MAIN], env, '/healthz', options);
  undo.unshift(child.stop);
  return {
    kind,
    child,
    clientId: String(client.client_id),
    clientSecret: String(client.client_secret),
    async dispose() {
      for (const step of undo) await step();
    },
  };
}

async function startBare(options: Options): Promise<Target> {
  const clientId = `bench-${randomBytes(8).toString('hex')}`;
  const clientSecret = randomBytes(32).toString('base64url');
  const child = await spawnChild(
    'bare-provider',
    [BARE],
    {
      NODE_ENV: 'production',
      BENCH_CLIENT_ID: clientId,
      BENCH_CLIENT_SECRET: clientSecret,
    },
    '/.well-known/openid-configuration',
    options,
  );
  return { kind: 'bare', child, clientId, clientSecret, dispose: child.stop };
}

/**
 * Not an OpenID provider: reads the body and answers a fixed token response. Its rate is
 * about the most this load generator can drive on this machine, whatever the server.
 */
const CEILING_SERVER = `
import { createServer } from 'node:http';
const body = JSON.stringify({ access_token: 'x'.repeat(43), expires_in: 900, token_type: 'Bearer' });
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(body);
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1');
for (const s of ['SIGTERM', 'SIGINT']) process.once(s, () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
`;

async function startCeiling(options: Options): Promise<Target> {
  const child = await spawnChild('ceiling', ['--input-type=module', '-e', CEILING_SERVER], {}, '/', options);
  return { kind: 'ceiling', child, clientId: 'x', clientSecret: 'y', dispose: child.stop };
}

// ---------------------------------------------------------------------------------------
// Load

interface Result {
  kind: TargetKind;
  ok: number;
  errors: number;
  errorKinds: Map<string, number>;
  seconds: number;
  rps: number;
  medianMs: number;
  p95Ms: number;
  /** CPU time of the target process over the window, in % of one core (Linux only) */
  serverCpu: number | undefined;
  /** CPU time of this (load generator) process over the window, in % of one core */
  benchCpu: number;
  /** the rest of the machine (PostgreSQL, Redis, kernel, anything else), % of one core (Linux only) */
  otherCpu: number | undefined;
  /** unused CPU over the window, % of one core (Linux only) */
  idleCpu: number | undefined;
  /** CPU time the hypervisor took away (steal), % of one core (Linux only) */
  stealCpu: number | undefined;
}

function tokenRequest(target: Target) {
  const basic = Buffer.from(`${encodeURIComponent(target.clientId)}:${encodeURIComponent(target.clientSecret)}`).toString('base64');
  return {
    url: `${target.child.url}/token`,
    init: {
      method: 'POST',
      headers: {
        authorization: `Basic ${basic}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials',
    },
  };
}

/** One request before the load, so a misconfigured target fails loudly instead of counting errors. */
async function checkToken(target: Target): Promise<void> {
  const { url, init } = tokenRequest(target);
  const res = await fetch(url, init);
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  if (res.status !== 200 || typeof body.access_token !== 'string' || body.token_type !== 'Bearer') {
    throw new Error(`${TARGET_LABELS[target.kind]}: token request answered ${res.status}: ${text.slice(0, 500)}`);
  }
  if (body.access_token.includes('.')) {
    throw new Error(`${TARGET_LABELS[target.kind]}: expected an opaque access token, got a JWT`);
  }
}

/** Machine-wide CPU counters from /proc/stat, summed over all cores (undefined elsewhere). */
function machineCpuTicks(): { busy: number; steal: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    // cpu user nice system idle iowait irq softirq steal guest guest_nice
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
    return { busy: user + nice + system + irq + softirq, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
  } catch {
    return undefined;
  }
}

/** Busy, idle and stolen CPU between two readings, each in % of one core. */
function cpuShares(
  from: ReturnType<typeof machineCpuTicks>,
  to: ReturnType<typeof machineCpuTicks>,
): { busy: number; idle: number; steal: number } | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  const scale = (cpus().length * 100) / (to.total - from.total);
  const busy = (to.busy - from.busy) * scale;
  const steal = (to.steal - from.steal) * scale;
  return { busy, steal, idle: Math.max(0, cpus().length * 100 - busy - steal) };
}

/** utime + stime of a process in seconds, from /proc (undefined elsewhere). */
function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

async function measure(target: Target, options: Options): Promise<Result> {
  const { url, init } = tokenRequest(target);
  const latencies: number[] = [];
  const errorKinds = new Map<string, number>();
  let errors = 0;
  const countError = (kind: string) => {
    errors += 1;
    errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
  };

  const start = performance.now();
  const measureStart = start + options.warmup * 1000;
  const end = measureStart + options.seconds * 1000;
  let cpuAtStart: { server: number | undefined; bench: NodeJS.CpuUsage; machine: ReturnType<typeof machineCpuTicks> } | undefined;
  const startTimer = setTimeout(() => {
    cpuAtStart = { server: processCpuSeconds(target.child.pid), bench: process.cpuUsage(), machine: machineCpuTicks() };
  }, options.warmup * 1000);

  // No AbortSignal per request: it costs the load generator about a quarter of its
  // throughput. On Ctrl-C the children are killed, which ends every request in flight.
  const loop = async () => {
    while (!interrupted && performance.now() < end && !target.child.exited()) {
      const t0 = performance.now();
      let failure: string | undefined;
      try {
        const res = await fetch(url, init);
        await res.arrayBuffer();
        if (res.status !== 200) failure = `HTTP ${res.status}`;
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        failure = cause?.code ?? cause?.message ?? (err as Error).message;
      }
      const t1 = performance.now();
      // a request belongs to the window it completes in
      if (t1 < measureStart || t1 > end) continue;
      if (failure) countError(failure);
      else latencies.push(t1 - t0);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  clearTimeout(startTimer);
  if (interrupted) throw new Error('interrupted');
  if (target.child.exited()) {
    throw new Error(`${TARGET_LABELS[target.kind]} exited during the run (${target.child.status()}):\n${target.child.output()}`);
  }

  const windowSeconds = options.seconds;
  const serverCpuEnd = processCpuSeconds(target.child.pid);
  const benchCpuDelta = process.cpuUsage(cpuAtStart?.bench);
  const serverCpu = cpuAtStart?.server !== undefined && serverCpuEnd !== undefined ? ((serverCpuEnd - cpuAtStart.server) / windowSeconds) * 100 : undefined;
  const benchCpu = ((benchCpuDelta.user + benchCpuDelta.system) / 1e6 / windowSeconds) * 100;
  // /proc/stat counts ticks of all cores: share of the total, times the cores, is % of one core
  const machine = cpuShares(cpuAtStart?.machine, machineCpuTicks());
  const sorted = Float64Array.from(latencies).sort();
  const quantile = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : NaN);
  return {
    kind: target.kind,
    ok: latencies.length,
    errors,
    errorKinds,
    seconds: windowSeconds,
    rps: latencies.length / windowSeconds,
    medianMs: quantile(0.5),
    p95Ms: quantile(0.95),
    serverCpu,
    benchCpu,
    otherCpu: machine && serverCpu !== undefined ? Math.max(0, machine.busy - serverCpu - benchCpu) : undefined,
    idleCpu: machine?.idle,
    stealCpu: machine?.steal,
  };
}

// ---------------------------------------------------------------------------------------
// Report

async function describeMachine(options: Options): Promise<string[]> {
  const cpuList = cpus();
  const lines = [
    `date:     ${new Date().toISOString()}`,
    `machine:  ${cpuList.length} cores (${cpuList[0]?.model.trim() ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${platform()} ${release()} ${arch()}`,
    `node:     ${process.version}`,
  ];
  if (options.targets.includes('postgres')) {
    const db = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await db.connect();
    const [row] = (await db.query<{ server_version: string }>('show server_version').finally(() => db.end())).rows;
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      const info = await redis.info('server');
      const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
      lines.push(`backends: PostgreSQL ${row?.server_version ?? '?'}, Redis ${version} (same machine)`);
    } finally {
      redis.disconnect();
    }
  }
  lines.push(
    `load:     client_credentials, HTTP Basic, opaque token; concurrency ${options.concurrency}, ` +
      `warm-up ${options.warmup} s, measured ${options.seconds} s per target; Latchkey LOG_LEVEL=${options.logLevel}`,
  );
  // The targets and this load generator share the machine: anything else running skews them.
  const before = machineCpuTicks();
  await sleep(1000);
  const quiet = cpuShares(before, machineCpuTicks());
  if (quiet) {
    lines.push(
      `before:   machine ${quiet.busy.toFixed(0)}% busy (of ${cpuList.length * 100}%) in the second before the run` +
        (quiet.busy > 25 ? ' -- WARNING: something else is running; the numbers will be skewed' : ''),
    );
  }
  return lines;
}

const percent = (v: number | undefined) => (v === undefined ? 'n/a' : `${v.toFixed(0)}%`);

function table(results: Result[]): string {
  const head = ['target', 'req/s', 'median', 'p95', 'errors', 'server CPU', 'bench CPU', 'other CPU', 'idle CPU'];
  const rows = results.map((r) => [
    TARGET_LABELS[r.kind],
    r.rps.toFixed(1),
    `${r.medianMs.toFixed(2)} ms`,
    `${r.p95Ms.toFixed(2)} ms`,
    String(r.errors),
    percent(r.serverCpu),
    percent(r.benchCpu),
    percent(r.otherCpu),
    percent(r.idleCpu) + (r.stealCpu !== undefined && r.stealCpu >= 1 ? ` (${percent(r.stealCpu)} stolen)` : ''),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

function ratios(results: Result[]): string[] {
  const bare = results.find((r) => r.kind === 'bare');
  if (!bare || bare.rps === 0) return [];
  const lines: string[] = [];
  for (const r of results) {
    if (r.kind === 'bare' || r.kind === 'ceiling') continue;
    const ratio = r.rps / bare.rps;
    const name = r.kind === 'postgres' ? 'Latchkey(PostgreSQL+Redis)/bare' : 'Latchkey(embedded)/bare';
    const goal = r.kind === 'postgres' ? `   (target >= 0.80: ${ratio >= 0.8 ? 'met' : 'NOT met'})` : '';
    lines.push(`${name.padEnd(32)} ${ratio.toFixed(2)}${goal}`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.cpuProfDir) mkdirSync(options.cpuProfDir, { recursive: true });
  const machine = await describeMachine(options);
  process.stdout.write(`Latchkey token endpoint benchmark\n${machine.join('\n')}\n\n`);

  const results: Result[] = [];
  const outputs: [TargetKind, string][] = [];
  for (const kind of options.targets) {
    process.stdout.write(`${TARGET_LABELS[kind]}: starting... `);
    const target = kind === 'bare' ? await startBare(options) : kind === 'ceiling' ? await startCeiling(options) : await startLatchkey(kind, options);
    try {
      await checkToken(target);
      process.stdout.write(`measuring ${options.warmup} + ${options.seconds} s... `);
      const result = await measure(target, options);
      results.push(result);
      if (target.child.output().trim()) outputs.push([kind, target.child.output()]);
      process.stdout.write(`${result.rps.toFixed(1)} req/s\n`);
    } finally {
      await target.dispose();
    }
  }

  process.stdout.write(`\n${table(results)}\n`);
  process.stdout.write(
    'CPU columns: % of one core over the measured window; other = PostgreSQL, Redis, kernel and\n' +
      'any other process; while bench CPU is near 100%, the load generator, not the target, sets the rate.\n',
  );
  const ratioLines = ratios(results);
  if (ratioLines.length) process.stdout.write(`\n${ratioLines.join('\n')}\n`);
  for (const r of results) {
    if (!r.errors) continue;
    const kinds = [...r.errorKinds].map(([k, n]) => `${k} x${n}`).join(', ');
    process.stdout.write(`\nerrors of ${TARGET_LABELS[r.kind]}: ${kinds}\n`);
  }
  for (const [kind, output] of outputs) {
    const lines = output.trim().split('\n');
    process.stdout.write(`\n${TARGET_LABELS[kind]} wrote ${lines.length} line(s) while running; the last ones:\n${lines.slice(-5).join('\n')}\n`);
  }
  if (options.cpuProfDir) process.stdout.write(`\nCPU profiles of the children: ${options.cpuProfDir}\n`);
}

main().then(
  async () => {
    await runCleanups();
    process.exit(0);
  },
  async (err: unknown) => {
    if (interrupted) return; // the signal handler cleans up and exits
    if (err instanceof UsageError) {
      process.stderr.write(`bench: ${err.message}\n${USAGE}\n`);
    } else {
      process.stderr.write(`\nbench: failed: ${(err as Error).stack ?? String(err)}\n`);
    }
    await runCleanups();
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
