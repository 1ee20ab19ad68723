import { expect } from 'chai';
import { MFA_ACR } from '../../../src/policy/authentication-context.ts';
import { minimumLength } from '../../../src/policy/password-rules.ts';
import { POLICY_PRESETS, PRESET_NAMES, isPresetName, presetPolicy } from '../../../src/policy/presets.ts';
import { decideSecondFactor } from '../../../src/policy/second-factor.ts';
import { effectivePolicy, tenantPolicySchema, type FactorType, type TenantPolicy } from '../../../src/policy/tenant-policy.ts';

const now = 1_800_000_000_000;
const signIn = (policy: TenantPolicy, userFactors: FactorType[], ip: string, acrValues: string[] = []) =>
  decideSecondFactor({ policy, userFactors, request: { ip, acrValues, reauthentication: false }, now });

describe('policy presets', () => {
  it('has the three presets, each parsing with the tenant policy schema', () => {
    expect(Object.keys(POLICY_PRESETS)).to.deep.equal([...PRESET_NAMES]);
    expect([...PRESET_NAMES]).to.deep.equal(['ip-allowlist', 'email-always', 'optional-passphrase']);
    for (const name of PRESET_NAMES) {
      expect(POLICY_PRESETS[name].name).to.equal(name);
      expect(tenantPolicySchema.safeParse(POLICY_PRESETS[name].overrides).success, name).to.equal(true);
      expect(presetPolicy(name)).to.deep.equal(effectivePolicy(POLICY_PRESETS[name].overrides));
      // the tenant fills in its own allowlist; no preset ships one or denies by network
      expect(presetPolicy(name).network).to.deep.equal({ allowlist: [], strict: false });
    }
  });

  it('recognises preset names', () => {
    expect(isPresetName('email-always')).to.equal(true);
    expect(isPresetName('toString')).to.equal(false);
    expect(isPresetName('')).to.equal(false);
  });

  describe('ip-allowlist', () => {
    const p = presetPolicy('ip-allowlist');
    it('asks for a second factor only outside the allowlist, by app, SMS or callback', () => {
      expect(p.mfa.mode).to.equal('outside-allowlist');
      expect(p.mfa.factors).to.deep.equal(['totp', 'sms', 'voice']);
      expect(p.mfa.phoneCodeMinutes).to.equal(5);
    });
    it('remembers devices 14 days from any IP', () => {
      expect(p.devices).to.include({ trustDays: 14, binding: 'browser' });
    });
    it('expires passwords after 90 days, refuses recent ones and locks for 10 minutes', () => {
      expect(p.password).to.include({ maxAgeDays: 90, historyCount: 5 });
      expect(p.lockout.lockMinutes).to.equal(10);
      expect(minimumLength(p.password, p.mfa.mode)).to.equal(15);
    });
    it('decides as the setup describes once the tenant adds its offices', () => {
      const tenant = effectivePolicy({ ...POLICY_PRESETS['ip-allowlist'].overrides, network: { allowlist: ['203.0.113.0/24'] } });
      expect(signIn(tenant, ['totp'], '203.0.113.7').action).to.equal('none');
      expect(signIn(tenant, ['totp'], '198.51.100.1')).to.deep.equal({
        action: 'challenge',
        factors: ['totp'],
        reasons: ['outside-allowlist', 'user-enrolled'],
      });
      expect(signIn(tenant, ['email'], '198.51.100.1')).to.deep.equal({
        action: 'enroll',
        factors: ['totp', 'sms', 'voice'],
        reasons: ['outside-allowlist', 'factors-disallowed'],
      });
      expect(signIn(tenant, ['totp'], '203.0.113.7', [MFA_ACR]).action).to.equal('challenge');
    });
  });

  describe('email-always', () => {
    const p = presetPolicy('email-always');
    it('asks for an emailed code on every sign-in', () => {
      expect(p.mfa).to.include({ mode: 'always', emailCodeMinutes: 10 });
      expect(p.mfa.factors).to.deep.equal(['email']);
      expect(signIn(p, ['email'], '203.0.113.7')).to.deep.equal({ action: 'challenge', factors: ['email'], reasons: ['mode-always', 'user-enrolled'] });
    });
    it('binds devices to browser and IP, re-checks after 30 days and emails about new devices', () => {
      expect(p.devices).to.deep.equal({ trustDays: 365, recheckDays: 30, binding: 'browser+ip', newDeviceEmail: true });
      expect(p.devices.trustDays).to.be.above(p.devices.recheckDays);
    });
    it('keeps password expiry off and, with 2FA always on, the NIST minimum of 8', () => {
      expect(p.password.maxAgeDays).to.equal(0);
      expect(minimumLength(p.password, p.mfa.mode)).to.equal(8);
    });
  });

  describe('optional-passphrase', () => {
    const p = presetPolicy('optional-passphrase');
    it('offers an authenticator app to those who want it', () => {
      expect(p.mfa.mode).to.equal('optional');
      expect(p.mfa.factors).to.deep.equal(['totp']);
      expect(signIn(p, [], '198.51.100.1')).to.deep.equal({ action: 'none', reasons: ['mode-optional', 'not-enrolled'] });
      expect(signIn(p, ['totp'], '198.51.100.1').action).to.equal('challenge');
    });
    it('advises 30-character passphrases without requiring them', () => {
      expect(p.password.recommendedLength).to.equal(30);
      expect(p.password.minLength).to.equal(null);
      expect(minimumLength(p.password, p.mfa.mode)).to.equal(15);
    });
  });
});
