import { expect } from 'chai';
import { ciValues, find, helm, renderChart, renderOk } from './helm.ts';

/**
 * Values the chart must refuse: helm template stops with a message that says what is wrong,
 * and nothing is rendered. Each refusal has a passing neighbour, so the test cannot pass on a
 * chart that refuses everything.
 */

const EMBEDDED_REFUSAL = 'refusing to run the embedded default with more than one replica';

async function refusal(values: string[], extra: string[]): Promise<string> {
  const { result, manifests } = await renderChart(values, extra);
  expect(result.code, 'helm template should have failed').to.not.equal(0);
  expect(manifests).to.be.empty;
  return result.stderr;
}

describe('Helm chart refusals', function () {
  this.timeout(300_000);
  before(async () => {
    await helm();
  });

  describe('the embedded default (no DATABASE_URL / REDIS_URL) with several replicas', () => {
    const embedded = [ciValues('embedded')];

    it('renders one replica', async () => {
      const manifests = await renderOk(embedded);
      expect(find(manifests, 'Deployment')[0]!.spec).to.deep.include({ replicas: 1 });
    });

    it('refuses replicaCount > 1 and says what to set', async () => {
      const message = await refusal(embedded, ['--set', 'replicaCount=3', '--set', 'persistence.enabled=false']);
      expect(message).to.include(EMBEDDED_REFUSAL);
      expect(message).to.include('replicaCount=3');
      expect(message).to.include('without DATABASE_URL and REDIS_URL');
      expect(message).to.include('Set DATABASE_URL and REDIS_URL');
    });

    it('refuses autoscaling', async () => {
      const message = await refusal(embedded, ['--set', 'autoscaling.enabled=true', '--set', 'persistence.enabled=false']);
      expect(message).to.include(EMBEDDED_REFUSAL);
      expect(message).to.include('autoscaling.enabled=true');
    });

    it('refuses PostgreSQL without Redis (the session store would still be per pod)', async () => {
      const message = await refusal([ciValues('minimal')], ['--set', 'secrets.values.REDIS_URL=']);
      expect(message).to.include(EMBEDDED_REFUSAL);
      expect(message).to.include('without REDIS_URL');
    });

    it('refuses an existing Secret that maps no DATABASE_URL', async () => {
      const message = await refusal([ciValues('existing-secret')], ['--set', 'secrets.existingSecretKeys.DATABASE_URL=']);
      expect(message).to.include(EMBEDDED_REFUSAL);
      expect(message).to.include('without DATABASE_URL');
    });
  });

  describe('values the schema refuses', () => {
    it('keeps the hardened security context', async () => {
      for (const weakened of [
        'securityContext.readOnlyRootFilesystem=false',
        'securityContext.runAsNonRoot=false',
        'securityContext.allowPrivilegeEscalation=true',
        'podSecurityContext.runAsNonRoot=false',
      ]) {
        const message = await refusal([ciValues('minimal')], ['--set', weakened]);
        expect(message, weakened).to.include("values don't meet the specifications of the schema");
      }
    });

    it('refuses a secret setting under config, so it can never reach the ConfigMap', async () => {
      for (const name of ['COOKIE_KEYS', 'DATABASE_URL', 'KEY_ENCRYPTION_KEY']) {
        const message = await refusal([ciValues('minimal')], ['--set', `config.${name}=x`]);
        expect(message, name).to.include(`additional properties '${name}' not allowed`);
      }
    });

    it('refuses a key-encryption key that is not 32 bytes in base64', async () => {
      const message = await refusal([ciValues('minimal')], ['--set', 'secrets.values.KEY_ENCRYPTION_KEY=c2hvcnQ=']);
      expect(message).to.include('/secrets/values/KEY_ENCRYPTION_KEY');
    });

    it('refuses a setting out of its range', async () => {
      const message = await refusal([ciValues('minimal')], ['--set', 'config.ACCESS_TOKEN_TTL=10']);
      expect(message).to.include('/config/ACCESS_TOKEN_TTL');
    });
  });

  describe('settings Latchkey would refuse at start', () => {
    it('needs ISSUER', async () => {
      expect(await refusal([ciValues('minimal')], ['--set', 'config.ISSUER='])).to.include('config.ISSUER is required');
    });

    it('needs TRUST_PROXY with an https issuer', async () => {
      expect(await refusal([ciValues('minimal')], ['--set', 'config.TRUST_PROXY='])).to.include('config.TRUST_PROXY is required with an https config.ISSUER');
      await renderOk([ciValues('minimal')], ['--set', 'config.TRUST_PROXY=', '--set', 'config.ISSUER=http://login.internal']);
    });

    it('needs COOKIE_KEYS, KEY_ENCRYPTION_KEY and SMTP_URL in production', async () => {
      const message = await refusal([ciValues('minimal')], ['--set', 'secrets.values.SMTP_URL=', '--set', 'secrets.values.COOKIE_KEYS=']);
      expect(message).to.include('COOKIE_KEYS, SMTP_URL required with config.NODE_ENV=production');
      await renderOk(
        [ciValues('minimal')],
        ['--set', 'secrets.values.SMTP_URL=', '--set', 'secrets.values.COOKIE_KEYS=', '--set', 'config.NODE_ENV=development'],
      );
    });

    it('needs the three Twilio settings together', async () => {
      const message = await refusal([ciValues('minimal')], ['--set', 'config.TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef']);
      expect(message).to.include('set all three or none');
    });

    it('refuses inline secrets beside an existing Secret', async () => {
      const message = await refusal([ciValues('existing-secret')], ['--set', 'secrets.values.COOKIE_KEYS=0123456789abcdef0123456789abcdef']);
      expect(message).to.include('secrets.values.COOKIE_KEYS is set together with secrets.existingSecret');
    });

    it('refuses an Ingress host other than the issuer host', async () => {
      const message = await refusal([ciValues('ingress-tls')], ['--set', 'ingress.host=other.example.org']);
      expect(message).to.include('differs from the host of config.ISSUER');
    });

    it('refuses a grace period shorter than the drain', async () => {
      const message = await refusal([ciValues('minimal')], ['--set', 'terminationGracePeriodSeconds=39']);
      expect(message).to.include('must be at least preStopSleepSeconds + 35 = 40');
      await renderOk([ciValues('minimal')], ['--set', 'terminationGracePeriodSeconds=40']);
    });
  });
});
