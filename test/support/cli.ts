import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
/** a command still running after this long is stuck: it is asked what it waits on, then killed */
const STUCK_MS = 45_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

/** Runs `latchkey ARGS --json` as a separate process with the given settings. */
export function runCli(env: Record<string, string>, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args, '--json'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const stuck = setTimeout(() => {
      child.kill('SIGUSR2');
      setTimeout(() => child.kill('SIGKILL'), 1000).unref();
    }, STUCK_MS);
    child.once('close', (code, signal) => {
      clearTimeout(stuck);
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
      } catch {
        /* left empty: the assertion on json will say so */
      }
      const killed = signal ? `latchkey ${args.join(' ')} was stuck for ${STUCK_MS / 1000} s and killed\n` : '';
      resolve({ code: code ?? 1, stdout, stderr: stderr + killed, json });
    });
  });
}

export async function cli(env: Record<string, string>, args: string[]): Promise<Record<string, unknown>> {
  const result = await runCli(env, args);
  if (result.code !== 0) throw new Error(`latchkey ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.json;
}
