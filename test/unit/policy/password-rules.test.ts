import { expect } from 'chai';
import { characterClasses, decidePassword, minimumLength, passwordExpired, type PasswordFacts } from '../../../src/policy/password-rules.ts';
import { defaultTenantPolicy, effectivePolicy, MFA_MODES, CHARACTER_CLASSES, type PasswordPolicy } from '../../../src/policy/tenant-policy.ts';

const policy = (overrides: Partial<PasswordPolicy> = {}): PasswordPolicy => ({ ...defaultTenantPolicy().password, ...overrides });
const good: PasswordFacts = { length: 20, classes: new Set(['lowercase']), strength: 4, common: false, reused: false };

describe('password rules', () => {
  describe('minimum length (NIST SP 800-63B-4)', () => {
    it('is 15 when the password may be the only factor and 8 when 2FA is always required', () => {
      expect(minimumLength(policy(), 'optional')).to.equal(15);
      expect(minimumLength(policy(), 'outside-allowlist')).to.equal(15);
      expect(minimumLength(policy(), 'always')).to.equal(8);
    });
    it('follows the tenant when it sets one, whatever the 2FA mode', () => {
      for (const mode of MFA_MODES) expect(minimumLength(policy({ minLength: 30 }), mode)).to.equal(30);
    });
    for (const mode of MFA_MODES) {
      it(`refuses one character short and accepts the limit (${mode})`, () => {
        const min = minimumLength(policy(), mode);
        expect(decidePassword(policy(), mode, { ...good, length: min - 1 }).failures).to.deep.equal([{ rule: 'too_short', min }]);
        expect(decidePassword(policy(), mode, { ...good, length: min }).ok).to.equal(true);
      });
    }
  });

  it('refuses more than the maximum length and accepts it exactly', () => {
    expect(decidePassword(policy(), 'optional', { ...good, length: 257 }).failures).to.deep.equal([{ rule: 'too_long', max: 256 }]);
    expect(decidePassword(policy(), 'optional', { ...good, length: 256 }).ok).to.equal(true);
  });

  it('has no composition rules by default', () => {
    expect(decidePassword(policy(), 'optional', { ...good, classes: new Set() }).ok).to.equal(true);
  });

  it('names every missing character class a tenant requires', () => {
    const p = policy({ requiredClasses: [...CHARACTER_CLASSES] });
    const d = decidePassword(p, 'optional', { ...good, classes: new Set(['lowercase', 'digit']) });
    expect(d.failures).to.deep.equal([{ rule: 'missing_classes', classes: ['uppercase', 'symbol'] }]);
  });

  it('refuses a score below the minimum strength and accepts it at the minimum', () => {
    expect(decidePassword(policy(), 'optional', { ...good, strength: 2 }).failures).to.deep.equal([{ rule: 'too_weak', min: 3 }]);
    expect(decidePassword(policy(), 'optional', { ...good, strength: 3 }).ok).to.equal(true);
    expect(decidePassword(policy({ minStrength: 0 }), 'optional', { ...good, strength: 0 }).ok).to.equal(true);
  });

  it('refuses a common password (and says so rather than "weak")', () => {
    expect(decidePassword(policy(), 'optional', { ...good, common: true, strength: 0 }).failures).to.deep.equal([{ rule: 'common' }]);
    expect(decidePassword(policy({ rejectCommon: false }), 'optional', { ...good, common: true }).ok).to.equal(true);
  });

  it('refuses a reused password unless history is off', () => {
    expect(decidePassword(policy(), 'optional', { ...good, reused: true }).failures).to.deep.equal([{ rule: 'reused', count: 5 }]);
    expect(decidePassword(policy({ historyCount: 0 }), 'optional', { ...good, reused: true }).ok).to.equal(true);
  });

  it('reports every failing rule at once, in order', () => {
    const d = decidePassword(policy({ requiredClasses: ['digit'] }), 'optional', { length: 3, classes: new Set(), strength: 0, common: false, reused: true });
    expect(d.failures.map((f) => f.rule)).to.deep.equal(['too_short', 'missing_classes', 'too_weak', 'reused']);
    expect(d.ok).to.equal(false);
  });

  describe('character classes', () => {
    it('recognises letters of any script, digits and symbols, emoji and spaces included', () => {
      expect([...characterClasses('abc')]).to.deep.equal(['lowercase']);
      expect(characterClasses('Äb1 ')).to.deep.equal(new Set(['uppercase', 'lowercase', 'digit', 'symbol']));
      expect(characterClasses('🔑')).to.deep.equal(new Set(['symbol']));
      expect(characterClasses('パスワード')).to.deep.equal(new Set());
      expect(characterClasses('')).to.deep.equal(new Set());
    });
  });

  describe('maximum age', () => {
    const day = 86_400_000;
    it('never expires with the default (0)', () => {
      expect(passwordExpired(policy(), 0, 10_000 * day)).to.equal(false);
    });
    it('expires exactly at maxAgeDays', () => {
      const p = policy({ maxAgeDays: 90 });
      expect(passwordExpired(p, 0, 90 * day - 1)).to.equal(false);
      expect(passwordExpired(p, 0, 90 * day)).to.equal(true);
    });
  });

  describe('tenant policy', () => {
    it('fills every default from an empty object and keeps overrides', () => {
      const p = effectivePolicy({ password: { maxAgeDays: 90 } });
      expect(p.password.maxAgeDays).to.equal(90);
      expect(p.password.historyCount).to.equal(5);
      expect(p.lockout).to.deep.equal({ maxFailures: 5, windowMinutes: 15, lockMinutes: 10, ipMaxFailures: 50 });
      expect(p.mfa.mode).to.equal('optional');
    });
    it('refuses out-of-range and unknown settings', () => {
      expect(() => effectivePolicy({ password: { maxLength: 64 } })).to.throw();
      expect(() => effectivePolicy({ password: { minLength: 4 } })).to.throw();
      expect(() => effectivePolicy({ lockout: { maxFailures: 0 } })).to.throw();
      expect(() => effectivePolicy({ password: { nope: 1 } })).to.throw();
      expect(() => effectivePolicy({ mfa: { mode: 'sometimes' } })).to.throw();
    });
  });
});
