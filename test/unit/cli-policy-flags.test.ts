import { expect } from 'chai';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import {
  POLICY_FLAGS,
  allowedValues,
  defaultText,
  mergePolicyLayers,
  parseFlagValue,
  policyFlagOptions,
  policyFlagOverrides,
  type PolicyFlag,
} from '../../src/cli/policy-flags.ts';
import { POLICY_PRESETS, PRESET_NAMES } from '../../src/policy/presets.ts';
import { DEVICE_BINDINGS, FACTOR_TYPES, MFA_MODES, defaultTenantPolicy, tenantPolicySchema } from '../../src/policy/tenant-policy.ts';
import { AppError } from '../../src/lib/errors.ts';

const byFlag = (name: string): PolicyFlag => {
  const flag = POLICY_FLAGS.find((f) => f.flag === name || f.aliases?.includes(name));
  if (!flag) throw new Error(`no flag --${name}`);
  return flag;
};
const parse = (name: string, raw: string | string[]) => parseFlagValue(byFlag(name), raw, name);
const refusal = (name: string, raw: string | string[]): AppError => {
  try {
    parse(name, raw);
  } catch (err) {
    expect(err).to.be.instanceOf(AppError);
    return err as AppError;
  }
  throw new Error(`--${name} ${String(raw)} was accepted`);
};
const schemaFields = () =>
  Object.entries(tenantPolicySchema.shape).flatMap(([section, schema]) =>
    Object.keys((schema.unwrap() as z.ZodObject).shape).map((field) => `${section}.${field}`),
  );

describe('set-policy flags (src/cli/policy-flags.ts)', () => {
  describe('the flag table', () => {
    it('has exactly one flag for every field of every section of the policy schema', () => {
      const flagged = POLICY_FLAGS.map((f) => `${f.section}.${f.field}`);
      expect(flagged.length).to.be.greaterThan(30);
      expect([...flagged].sort()).to.deep.equal(schemaFields().sort());
      expect(new Set(flagged).size).to.equal(flagged.length);
    });

    it("uses each name once and none of the command's own options", () => {
      const names = POLICY_FLAGS.flatMap((f) => [f.flag, ...(f.aliases ?? [])]);
      expect(new Set(names).size).to.equal(names.length);
      for (const own of ['name', 'policy', 'preset', 'json', 'help']) expect(names).to.not.include(own);
      for (const name of names) expect(name).to.match(/^[a-z][a-z0-9-]*$/);
    });

    it('reads ranges, choices and defaults from the schema', () => {
      expect(byFlag('trust-days').value).to.deep.equal({ kind: 'int', min: 1, max: 365, nullable: false });
      expect(byFlag('password-min-length').value).to.deep.equal({ kind: 'int', min: 8, max: 256, nullable: true });
      expect(byFlag('mfa-mode').value).to.deep.equal({ kind: 'enum', choices: [...MFA_MODES] });
      expect(byFlag('device-binding').value).to.deep.equal({ kind: 'enum', choices: [...DEVICE_BINDINGS] });
      expect(byFlag('mfa-factors').value).to.deep.equal({ kind: 'list', choices: [...FACTOR_TYPES] });
      expect(byFlag('allowlist').value).to.deep.equal({ kind: 'list' });
      expect(byFlag('allowlist')).to.equal(byFlag('network-allowlist'));
      expect(byFlag('network-strict').value).to.deep.equal({ kind: 'bool' });
      const defaults = defaultTenantPolicy() as unknown as Record<string, Record<string, unknown>>;
      for (const f of POLICY_FLAGS) expect(f.default, f.flag).to.deep.equal(defaults[f.section]![f.field]);
      expect(defaultText(byFlag('trust-days'))).to.equal('14');
      expect(defaultText(byFlag('mfa-factors'))).to.equal('totp,email,sms,voice');
      expect(defaultText(byFlag('allowlist'))).to.equal('none');
      expect(defaultText(byFlag('password-min-length'))).to.include('15');
      expect(allowedValues(byFlag('lockout-minutes'))).to.equal('1-10080');
    });

    it('gives parseArgs a string option for every name, repeatable for lists', () => {
      const options = policyFlagOptions();
      expect(options['trust-days']).to.deep.equal({ type: 'string' });
      expect(options.allowlist).to.deep.equal({ type: 'string', multiple: true });
      expect(options['network-allowlist']).to.deep.equal({ type: 'string', multiple: true });
      expect(Object.keys(options)).to.have.length(POLICY_FLAGS.length + 1);
    });
  });

  describe('parsing every flag', () => {
    it("accepts each flag's own default written as text", () => {
      for (const f of POLICY_FLAGS) {
        const text = f.default === null ? 'default' : Array.isArray(f.default) ? f.default.join(',') : String(f.default);
        expect(parseFlagValue(f, text), f.flag).to.deep.equal(f.default);
      }
    });

    it('accepts the ends of every range and refuses just outside them, naming flag and range', () => {
      for (const f of POLICY_FLAGS) {
        if (f.value.kind !== 'int') continue;
        const { min, max } = f.value;
        expect(parseFlagValue(f, String(min))).to.equal(min);
        expect(parseFlagValue(f, String(max))).to.equal(max);
        for (const bad of [String(max + 1), ...(min > 0 ? [String(min - 1)] : [])]) {
          expect(() => parseFlagValue(f, bad), `${f.flag} ${bad}`).to.throw(AppError, `--${f.flag} must be a whole number from ${min} to ${max}`);
        }
      }
    });

    it('accepts every choice of every enum and refuses others, listing the choices', () => {
      for (const f of POLICY_FLAGS) {
        if (f.value.kind !== 'enum') continue;
        for (const choice of f.value.choices) expect(parseFlagValue(f, choice)).to.equal(choice);
        expect(() => parseFlagValue(f, 'sometimes')).to.throw(AppError, `--${f.flag} must be one of ${f.value.choices.join(', ')} (got "sometimes")`);
      }
    });
  });

  describe('values', () => {
    it('reads whole numbers only', () => {
      expect(parse('trust-days', '30')).to.equal(30);
      expect(parse('trust-days', ' 7 ')).to.equal(7);
      for (const bad of ['0', '-1', '1.5', '1e2', '0x10', '', 'ten', '99999999999']) {
        const err = refusal('trust-days', bad);
        expect(err.code).to.equal('cli.invalid_option');
        expect(err.message).to.equal(`--trust-days must be a whole number from 1 to 365 (got "${bad}")`);
      }
    });

    it('clears a nullable number with "default", and only a nullable one', () => {
      expect(parse('password-min-length', 'default')).to.equal(null);
      expect(parse('password-recommended-length', 'default')).to.equal(null);
      expect(refusal('password-min-length', '7').message).to.equal('--password-min-length must be a whole number from 8 to 256, or "default" (got "7")');
      expect(refusal('password-max-length', 'default').message).to.include('from 128 to 1024 (got "default")');
    });

    it('reads true and false, nothing else', () => {
      expect(parse('network-strict', 'true')).to.equal(true);
      expect(parse('new-device-email', 'false')).to.equal(false);
      expect(refusal('password-reject-common', 'yes').message).to.equal('--password-reject-common must be true or false (got "yes")');
    });

    it('reads lists of choices, each once; an empty text clears where the schema allows it', () => {
      expect(parse('mfa-factors', 'totp, email')).to.deep.equal(['totp', 'email']);
      expect(parse('password-classes', 'digit,symbol')).to.deep.equal(['digit', 'symbol']);
      expect(parse('password-classes', '')).to.deep.equal([]);
      expect(refusal('mfa-factors', 'totp,fax').message).to.equal(
        '--mfa-factors must be a comma-separated list of passkey, totp, email, sms, voice (got "totp,fax")',
      );
      expect(refusal('mfa-factors', 'sms,sms').message).to.include('each value once');
      expect(refusal('mfa-factors', '').message).to.equal('--mfa-factors: allow at least one factor');
    });

    it('reads lists of whole numbers within the range, each once; an empty text clears', () => {
      const flag = 'password-expiry-warning-days';
      expect(byFlag(flag).value).to.deep.equal({ kind: 'list', range: { min: 1, max: 365 } });
      expect(allowedValues(byFlag(flag))).to.equal('comma-separated whole numbers, each 1-365');
      expect(policyFlagOptions()[flag]).to.deep.equal({ type: 'string', multiple: true });
      expect(parse(flag, '30, 7,1')).to.deep.equal([30, 7, 1]);
      expect(parse(flag, ['14', '3'])).to.deep.equal([14, 3]);
      expect(parse(flag, '')).to.deep.equal([]);
      for (const bad of ['14,0', '14,366', '14,two', '1.5', '-3']) {
        expect(refusal(flag, bad).message, bad).to.equal(`--${flag} must be a comma-separated list of whole numbers from 1 to 365 (got "${bad}")`);
      }
      expect(refusal(flag, '3,03').message).to.equal(`--${flag} must be a list naming each value once (got "3,03")`);
    });

    it('checks allowlist entries with the schema, naming the flag as typed and the entry', () => {
      expect(parse('allowlist', '10.0.0.0/8, 2001:db8::/32')).to.deep.equal(['10.0.0.0/8', '2001:db8::/32']);
      expect(parse('allowlist', ['10.0.0.0/8', '192.0.2.1'])).to.deep.equal(['10.0.0.0/8', '192.0.2.1']);
      expect(parse('allowlist', '')).to.deep.equal([]);
      const err = refusal('allowlist', '10.0.0.0/8,10.0.0.0/33');
      expect(err.message).to.match(/^--allowlist: "10\.0\.0\.0\/33" is not an IPv4 or IPv6 address or CIDR range/);
      expect(refusal('network-allowlist', '010.0.0.1').message).to.match(/^--network-allowlist: "010\.0\.0\.1"/);
    });

    it('reads phone countries as ISO codes in capitals; an empty text allows any country', () => {
      expect(parse('phone-countries', 'gb, IE')).to.deep.equal(['GB', 'IE']);
      expect(parse('phone-countries', ['GB', 'XK'])).to.deep.equal(['GB', 'XK']);
      expect(parse('phone-countries', '')).to.deep.equal([]);
      expect(refusal('phone-countries', 'GB,UK').message).to.equal('--phone-countries: "UK" is not an ISO 3166-1 alpha-2 country code (such as GB, US or DE)');
      expect(refusal('phone-countries', 'GB,gb').message).to.equal('--phone-countries: list each country once');
    });
  });

  describe('overrides from parsed options', () => {
    it('puts each flag under its section and remembers which flag set it', () => {
      const { overrides, setBy } = policyFlagOverrides({
        'mfa-mode': 'always',
        'trust-days': '30',
        allowlist: ['10.0.0.0/8'],
        'network-allowlist': ['192.0.2.0/24'],
        'password-classes': [''],
        name: 'acme',
      });
      expect(overrides).to.deep.equal({
        mfa: { mode: 'always' },
        devices: { trustDays: 30 },
        network: { allowlist: ['192.0.2.0/24', '10.0.0.0/8'] },
        password: { requiredClasses: [] },
      });
      expect(setBy.get('devices.trustDays')).to.equal('trust-days');
      expect(setBy.get('network.allowlist')).to.equal('network-allowlist');
      expect(tenantPolicySchema.safeParse(overrides).success).to.equal(true);
    });

    it('gives nothing for no flags, and refuses the first bad one', () => {
      expect(policyFlagOverrides({ name: 'acme' }).overrides).to.deep.equal({});
      expect(() => policyFlagOverrides({ 'mfa-mode': 'always', 'trust-days': '0' })).to.throw(AppError, '--trust-days must be');
    });

    it('merges layers field by field, later layers winning', () => {
      const preset = { mfa: { mode: 'always', factors: ['email'] }, devices: { trustDays: 365 } };
      const json = { mfa: { factors: ['totp'] } };
      const flags = { mfa: { mode: 'optional' }, network: { allowlist: [] } };
      expect(mergePolicyLayers(preset, json, flags)).to.deep.equal({
        mfa: { mode: 'optional', factors: ['totp'] },
        devices: { trustDays: 365 },
        network: { allowlist: [] },
      });
      expect(preset.mfa.mode, 'inputs are left alone').to.equal('always');
    });
  });

  describe('config/presets', () => {
    const dir = new URL('../../config/presets/', import.meta.url);
    it('holds one file per preset, equal to POLICY_PRESETS (UPDATE_PRESET_FILES=1 rewrites them)', () => {
      if (process.env.UPDATE_PRESET_FILES === '1') {
        for (const name of PRESET_NAMES) writeFileSync(new URL(`${name}.json`, dir), `${JSON.stringify(POLICY_PRESETS[name], null, 2)}\n`);
      }
      expect(readdirSync(dir).sort()).to.deep.equal(PRESET_NAMES.map((n) => `${n}.json`).sort());
      for (const name of PRESET_NAMES) {
        const file = JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as unknown;
        expect(file, `config/presets/${name}.json`).to.deep.equal(POLICY_PRESETS[name]);
      }
    });
  });

  describe('docs/policy.md', () => {
    it('has a row for every flag with its default', () => {
      const doc = readFileSync(fileURLToPath(new URL('../../docs/policy.md', import.meta.url)), 'utf8');
      for (const f of POLICY_FLAGS) {
        const row = doc.split('\n').find((line) => line.startsWith(`| \`--${f.flag}\``));
        expect(row, `--${f.flag}`).to.be.a('string');
        expect(row, `--${f.flag}`)
          .to.include(`\`${f.section}.${f.field}\``)
          .and.include(`| ${defaultText(f)} |`);
      }
    });
  });
});
