import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { settingNames } from '../../../src/config/schema.ts';
import { chartDir } from './helm.ts';

/**
 * The chart's values stay in step with the settings schema (src/config/schema.ts) and with its
 * README: a new setting must be given a place in the chart, and every value is documented.
 */

const SECRET_SETTINGS = ['DATABASE_URL', 'REDIS_URL', 'COOKIE_KEYS', 'KEY_ENCRYPTION_KEY', 'SMTP_URL', 'TWILIO_AUTH_TOKEN'];
// set by the chart itself: PORT from containerPort, DATA_DIR is the mounted volume
const CHART_OWNED = ['PORT', 'DATA_DIR'];

interface JsonSchema {
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean;
}

const read = (file: string) => readFileSync(`${chartDir}${file}`, 'utf8');
const valuesSchema = JSON.parse(read('values.schema.json')) as JsonSchema;
const values = parse(read('values.yaml')) as Record<string, unknown>;
const readme = read('README.md');

/** Value paths down to the chart's own structure; Kubernetes objects passed through (resources, affinity...) count as one value. */
function valuePaths(value: unknown, schema: JsonSchema | undefined, prefix: string): string[] {
  const own = schema?.properties && schema.additionalProperties === false;
  if (!own || value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, child]) => valuePaths(child, schema.properties?.[key], prefix ? `${prefix}.${key}` : key));
}

describe('Helm chart values', () => {
  const configKeys = Object.keys(valuesSchema.properties?.config?.properties ?? {});

  it('offers every non-secret setting under config, and only real settings', () => {
    const missing = settingNames.filter((n) => !SECRET_SETTINGS.includes(n) && !CHART_OWNED.includes(n) && !configKeys.includes(n));
    expect(missing, 'settings of src/config/schema.ts missing from values.schema.json config (add them there and to the chart README)').to.deep.equal([]);
    expect(
      configKeys.filter((k) => !(settingNames as string[]).includes(k)),
      'config keys that are not settings',
    ).to.deep.equal([]);
    for (const name of [...SECRET_SETTINGS, ...CHART_OWNED]) expect(configKeys, name).not.to.include(name);
  });

  it('takes every secret setting from the Secret, and the templates pass exactly those', () => {
    expect(SECRET_SETTINGS.every((n) => (settingNames as string[]).includes(n))).to.equal(true);
    const secrets = valuesSchema.properties?.secrets?.properties;
    expect(Object.keys(secrets?.values?.properties ?? {}).sort()).to.deep.equal([...SECRET_SETTINGS].sort());
    expect(Object.keys(secrets?.existingSecretKeys?.properties ?? {}).sort()).to.deep.equal([...SECRET_SETTINGS].sort());
    const helpers = read('templates/_helpers.tpl');
    const listed = /define "latchkey\.secretNames" -\}\}\n(.*)\n/.exec(helpers)?.[1]?.split(' ');
    expect(listed).to.deep.equal(SECRET_SETTINGS);
  });

  it('validates every top-level value it ships (and nothing it does not)', () => {
    const schemaKeys = Object.keys(valuesSchema.properties ?? {}).filter((k) => k !== 'global');
    expect(schemaKeys.sort()).to.deep.equal(Object.keys(values).sort());
  });

  it('documents every value in helm/latchkey/README.md', () => {
    const undocumented = [...valuePaths(values, valuesSchema, ''), ...configKeys.map((k) => `config.${k}`)].filter((path) => !readme.includes(`\`${path}\``));
    expect(undocumented).to.deep.equal([]);
  });
});
