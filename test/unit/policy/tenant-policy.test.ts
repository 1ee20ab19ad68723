import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import {
  devicePolicySchema,
  effectivePolicy,
  lifecyclePolicySchema,
  lockoutPolicySchema,
  mfaPolicySchema,
  networkPolicySchema,
  passwordPolicySchema,
  tenantPolicySchema,
} from '../../../src/policy/tenant-policy.ts';
import { COUNTRY_CODES } from '../../../src/policy/country-codes.ts';

/** the first problem as the tenant service reports it: path and message */
function problem(stored: unknown): string | undefined {
  const result = tenantPolicySchema.safeParse(stored);
  const issue = result.error?.issues[0];
  return issue && `${issue.path.join('.')}: ${issue.message}`;
}

describe('tenant policy: two-factor, devices and network', () => {
  it('fills every new default from an empty policy and keeps the existing ones', () => {
    const p = effectivePolicy({});
    expect(p.mfa).to.deep.equal({
      mode: 'optional',
      factors: ['totp', 'email', 'sms', 'voice'],
      emailCodeMinutes: 10,
      phoneCodeMinutes: 5,
      codeMaxAttempts: 5,
      userCodeFailures: 10,
      codeFailureWindowMinutes: 15,
      resendIntervalSeconds: 30,
      sendsPerHour: 5,
      phoneSendsPerNumberPerHour: 5,
      phoneSendsPerTenantPerHour: 200,
      phoneSendsPerIpPerHour: 20,
      phoneSendsPerPrefixPerHour: 20,
      phoneCountries: [],
      recoveryCodeCount: 10,
      passkeyRoles: [],
    });
    expect(p.devices).to.deep.equal({ trustDays: 14, recheckDays: 30, binding: 'browser', newDeviceEmail: true });
    expect(p.network).to.deep.equal({ allowlist: [], strict: false });
    expect(p.password).to.deep.equal({
      minLength: null,
      recommendedLength: null,
      maxLength: 256,
      requiredClasses: [],
      minStrength: 3,
      rejectCommon: true,
      historyCount: 5,
      maxAgeDays: 0,
      expiryWarningDays: [14, 3],
      resetLinkMinutes: 60,
      resetEmailsPerAddressPerHour: 3,
      resetRequestsPerIpPerHour: 20,
    });
    expect(p.lockout).to.deep.equal({ maxFailures: 5, windowMinutes: 15, lockMinutes: 10, ipMaxFailures: 50 });
    expect(p.lifecycle).to.deep.equal({ invitationHours: 72, inactivityDays: 180, inactivityWarningDays: 14 });
  });

  it('a policy stored before these sections existed still reads, with the defaults', () => {
    const p = effectivePolicy({ password: { maxAgeDays: 90 }, mfa: { mode: 'always' } });
    expect(p.mfa.mode).to.equal('always');
    expect(p.mfa.factors).to.deep.equal(['totp', 'email', 'sms', 'voice']);
    expect(p.devices.trustDays).to.equal(14);
  });

  it('does not share the default factor list between policies', () => {
    effectivePolicy({}).mfa.factors.pop();
    expect(effectivePolicy({}).mfa.factors).to.have.length(4);
  });

  describe('number ranges', () => {
    const ranges: [string, string, number, number][] = [
      ['mfa', 'emailCodeMinutes', 1, 60],
      ['mfa', 'phoneCodeMinutes', 1, 30],
      ['mfa', 'codeMaxAttempts', 1, 20],
      ['mfa', 'userCodeFailures', 1, 100],
      ['mfa', 'codeFailureWindowMinutes', 1, 1440],
      ['mfa', 'resendIntervalSeconds', 5, 3600],
      ['mfa', 'sendsPerHour', 1, 60],
      ['mfa', 'phoneSendsPerNumberPerHour', 1, 60],
      ['mfa', 'phoneSendsPerTenantPerHour', 1, 100_000],
      ['mfa', 'phoneSendsPerIpPerHour', 1, 10_000],
      ['mfa', 'phoneSendsPerPrefixPerHour', 1, 10_000],
      ['mfa', 'recoveryCodeCount', 5, 50],
      ['devices', 'trustDays', 1, 365],
      ['devices', 'recheckDays', 1, 365],
      ['password', 'recommendedLength', 8, 256],
      ['password', 'resetEmailsPerAddressPerHour', 1, 60],
      ['password', 'resetRequestsPerIpPerHour', 1, 100_000],
      ['lifecycle', 'inactivityWarningDays', 0, 365],
    ];
    for (const [section, field, min, max] of ranges) {
      it(`${section}.${field} accepts ${min}–${max} and refuses outside it or fractions`, () => {
        expect(effectivePolicy({ [section]: { [field]: min } })[section as 'mfa'][field as 'sendsPerHour']).to.equal(min);
        expect(effectivePolicy({ [section]: { [field]: max } })[section as 'mfa'][field as 'sendsPerHour']).to.equal(max);
        for (const bad of [min - 1, max + 1, min + 0.5, '5', null]) {
          if (bad === null && field === 'recommendedLength') continue;
          expect(problem({ [section]: { [field]: bad } }), `${field}=${String(bad)}`).to.match(new RegExp(`^${section}\\.${field}: `));
        }
      });
    }
    it('password.recommendedLength may be null (advice names the minimum)', () => {
      expect(effectivePolicy({ password: { recommendedLength: null } }).password.recommendedLength).to.equal(null);
    });
  });

  describe('factors', () => {
    it('accepts any non-empty subset, in any order', () => {
      expect(effectivePolicy({ mfa: { factors: ['sms', 'totp'] } }).mfa.factors).to.deep.equal(['sms', 'totp']);
      expect(effectivePolicy({ mfa: { factors: ['email'] } }).mfa.factors).to.deep.equal(['email']);
    });
    it('refuses none, repeats and unknown factors with a clear message', () => {
      expect(problem({ mfa: { factors: [] } })).to.equal('mfa.factors: allow at least one factor');
      expect(problem({ mfa: { factors: ['sms', 'sms'] } })).to.equal('mfa.factors: list each factor once');
      expect(problem({ mfa: { factors: ['totp', 'pigeon'] } })).to.match(/^mfa\.factors\.1: /);
      expect(problem({ mfa: { factors: 'totp' } })).to.match(/^mfa\.factors: /);
    });
  });

  describe('deadline warnings', () => {
    it('password.expiryWarningDays takes up to 10 day counts, each 1–365 and once; empty sends none', () => {
      expect(effectivePolicy({ password: { expiryWarningDays: [30, 7, 1] } }).password.expiryWarningDays).to.deep.equal([30, 7, 1]);
      expect(effectivePolicy({ password: { expiryWarningDays: [365] } }).password.expiryWarningDays).to.deep.equal([365]);
      expect(effectivePolicy({ password: { expiryWarningDays: [] } }).password.expiryWarningDays).to.deep.equal([]);
      expect(problem({ password: { expiryWarningDays: [14, 14] } })).to.equal('password.expiryWarningDays: list each number of days once');
      expect(problem({ password: { expiryWarningDays: Array.from({ length: 11 }, (_, i) => i + 1) } })).to.equal(
        'password.expiryWarningDays: at most 10 warnings',
      );
      for (const bad of [0, 366, 1.5, '3'])
        expect(problem({ password: { expiryWarningDays: [14, bad] } }), String(bad)).to.match(/^password\.expiryWarningDays\.1: /);
      expect(problem({ password: { expiryWarningDays: 14 } })).to.match(/^password\.expiryWarningDays: /);
    });
  });

  describe('phone countries', () => {
    it('takes ISO 3166-1 alpha-2 codes (and XK for Kosovo), trimmed and in capitals', () => {
      expect(effectivePolicy({ mfa: { phoneCountries: ['GB', ' us ', 'de', 'XK'] } }).mfa.phoneCountries).to.deep.equal(['GB', 'US', 'DE', 'XK']);
    });
    it('refuses codes that are not assigned countries, naming the entry and its position', () => {
      expect(problem({ mfa: { phoneCountries: ['GB', 'UK'] } })).to.equal(
        'mfa.phoneCountries.1: "UK" is not an ISO 3166-1 alpha-2 country code (such as GB, US or DE)',
      );
      for (const bad of ['EU', 'GBR', '44', '', 'ZZ', 'AC']) expect(problem({ mfa: { phoneCountries: [bad] } }), bad).to.match(/^mfa\.phoneCountries\.0: "/);
      expect(problem({ mfa: { phoneCountries: [44] } })).to.match(/^mfa\.phoneCountries\.0: /);
      expect(problem({ mfa: { phoneCountries: 'GB' } })).to.match(/^mfa\.phoneCountries: /);
    });
    it('refuses a country listed twice, in any spelling', () => {
      expect(problem({ mfa: { phoneCountries: ['GB', 'gb'] } })).to.equal('mfa.phoneCountries: list each country once');
    });
    it('holds every country at once', () => {
      expect(COUNTRY_CODES.size).to.equal(250);
      expect(effectivePolicy({ mfa: { phoneCountries: [...COUNTRY_CODES] } }).mfa.phoneCountries).to.have.length(250);
    });
  });

  describe('devices', () => {
    it('binds to the browser or to browser and IP, nothing else', () => {
      expect(effectivePolicy({ devices: { binding: 'browser+ip' } }).devices.binding).to.equal('browser+ip');
      expect(problem({ devices: { binding: 'ip' } })).to.match(/^devices\.binding: /);
    });
    it('refuses unknown settings and a non-boolean newDeviceEmail', () => {
      expect(problem({ devices: { remember: true } })).to.match(/^devices: /);
      expect(problem({ devices: { newDeviceEmail: 'no' } })).to.match(/^devices\.newDeviceEmail: /);
    });
  });

  describe('network', () => {
    it('accepts addresses and ranges of both families and trims spaces', () => {
      const p = effectivePolicy({ network: { allowlist: ['203.0.113.7', ' 198.51.100.0/24 ', '2001:db8::/32', '::1'], strict: true } });
      expect(p.network).to.deep.equal({ allowlist: ['203.0.113.7', '198.51.100.0/24', '2001:db8::/32', '::1'], strict: true });
    });
    it('names the bad entry and its position', () => {
      expect(problem({ network: { allowlist: ['203.0.113.7', '10.0.0.0/33'] } })).to.equal(
        'network.allowlist.1: "10.0.0.0/33" is not an IPv4 or IPv6 address or CIDR range (e.g. 203.0.113.7, 203.0.113.0/24, 2001:db8::1 or 2001:db8::/32)',
      );
      expect(problem({ network: { allowlist: ['intranet'] } })).to.match(/^network\.allowlist\.0: "intranet" is not/);
      expect(problem({ network: { allowlist: [42] } })).to.match(/^network\.allowlist\.0: /);
    });
    it('holds at most 500 entries', () => {
      const many = Array.from({ length: 500 }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}`);
      expect(effectivePolicy({ network: { allowlist: many } }).network.allowlist).to.have.length(500);
      expect(problem({ network: { allowlist: [...many, '10.9.9.9'] } })).to.equal('network.allowlist: at most 500 allowlist entries');
    });
    it('refuses strict mode with an empty allowlist, which would lock everyone out', () => {
      expect(problem({ network: { strict: true } })).to.equal('network.strict: strict mode needs a non-empty allowlist (it would refuse every sign-in)');
      expect(problem({ network: { strict: true, allowlist: [] } })).to.match(/^network\.strict: /);
    });
  });

  it('docs/policy.md documents every field of every section', () => {
    const docs = readFileSync(new URL('../../../docs/policy.md', import.meta.url), 'utf8');
    const sections = {
      password: passwordPolicySchema,
      lockout: lockoutPolicySchema,
      mfa: mfaPolicySchema,
      devices: devicePolicySchema,
      network: networkPolicySchema,
      lifecycle: lifecyclePolicySchema,
    };
    for (const [section, schema] of Object.entries(sections)) {
      expect(docs, section).to.include(`## ${section}`);
      for (const field of Object.keys(schema.shape)) expect(docs, `${section}.${field}`).to.include(`| \`${field}\` |`);
    }
  });
});
