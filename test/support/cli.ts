import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, unknown>;
}

/** Runs `latchkey ARGS --json` as a separate process with the given settings. */
export function runCli(env: Record<string, string>, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--json'], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
      } catch { /* left empty: the assertion on json will say so */ }
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, json });
    });
  });
}

export async function cli(env: Record<string, string>, args: string[]): Promise<Record<string, unknown>> {
  const result = await runCli(env, args);
  if (result.code !== 0) throw new Error(`latchkey ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.json;
}
