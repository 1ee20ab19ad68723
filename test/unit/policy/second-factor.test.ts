import { expect } from 'chai';
import { MFA_ACR, PHR_ACR, PWD_ACR, type StepUpRequest } from '../../../src/policy/authentication-context.ts';
import { decideSecondFactor, type SecondFactorInput } from '../../../src/policy/second-factor.ts';
import { MFA_MODES, effectivePolicy, type FactorType, type MfaMode, type TenantPolicy } from '../../../src/policy/tenant-policy.ts';
import { deviceSkipsSecondFactor, type DeviceRecognition } from '../../../src/policy/device-trust.ts';
import { POLICY_PRESETS } from '../../../src/policy/presets.ts';

const now = 1_800_000_000_000;
const INSIDE = '203.0.113.7';
const OUTSIDE = '198.51.100.1';
/** the tenant allows every factor but voice */
const ALLOWED: FactorType[] = ['totp', 'email', 'sms'];

const tenant = (mode: MfaMode, network: { strict?: boolean; allowlist?: string[] } = {}): TenantPolicy =>
  effectivePolicy({
    mfa: { mode, factors: ALLOWED },
    network: { allowlist: ['203.0.113.0/24', '2001:db8::/32'], ...network },
  });

const ENROLLMENT = {
  /** no factor at all */
  none: [] as FactorType[],
  /** voice is not allowed, so only sms and totp are usable */
  usable: ['voice', 'sms', 'totp'] as FactorType[],
  /** only a factor the tenant does not allow */
  disallowed: ['voice'] as FactorType[],
};
type Enrollment = keyof typeof ENROLLMENT;

const STEP_UPS: Record<string, { request: StepUpRequest; reasons: string[] }> = {
  'no step-up': { request: { acrValues: [], reauthentication: false }, reasons: [] },
  'acr_values pwd (not a step-up)': { request: { acrValues: [PWD_ACR], reauthentication: false }, reasons: [] },
  'acr_values mfa': { request: { acrValues: ['urn:example:other', MFA_ACR], reauthentication: false }, reasons: ['step-up-acr'] },
  'essential acr mfa': { request: { acrValues: [], essentialAcr: [MFA_ACR], reauthentication: false }, reasons: ['step-up-acr'] },
  /** max_age or prompt=login: a fresh authentication, not a higher level */
  max_age: { request: { acrValues: [], reauthentication: true }, reasons: ['reauthentication'] },
  'acr_values mfa and max_age': { request: { acrValues: [MFA_ACR], reauthentication: true }, reasons: ['step-up-acr', 'reauthentication'] },
};

function decide(policy: TenantPolicy, userFactors: FactorType[], request: StepUpRequest, ip: string, extra: Partial<SecondFactorInput> = {}) {
  return decideSecondFactor({ policy, userFactors, request: { ...request, ip }, now, ...extra });
}

/** What each mode asks for without step-up, by place and enrollment (the rules of DESIGN.md, written out). */
const BY_MODE: Record<MfaMode, Record<'inside' | 'outside', Record<Enrollment, string>>> = {
  always: {
    inside: { none: 'enroll', usable: 'challenge', disallowed: 'enroll' },
    outside: { none: 'enroll', usable: 'challenge', disallowed: 'enroll' },
  },
  'outside-allowlist': {
    inside: { none: 'none', usable: 'none', disallowed: 'none' },
    outside: { none: 'enroll', usable: 'challenge', disallowed: 'enroll' },
  },
  optional: {
    inside: { none: 'none', usable: 'challenge', disallowed: 'enroll' },
    outside: { none: 'none', usable: 'challenge', disallowed: 'enroll' },
  },
};
/** a step-up always gets a second factor */
const STEP_UP: Record<Enrollment, string> = { none: 'enroll', usable: 'challenge', disallowed: 'enroll' };
const MODE_REASON: Record<MfaMode, Record<'inside' | 'outside', string>> = {
  always: { inside: 'mode-always', outside: 'mode-always' },
  'outside-allowlist': { inside: 'inside-allowlist', outside: 'outside-allowlist' },
  optional: { inside: 'mode-optional', outside: 'mode-optional' },
};
const ENROLLMENT_REASON: Record<Enrollment, string> = { none: 'not-enrolled', usable: 'user-enrolled', disallowed: 'factors-disallowed' };

describe('decideSecondFactor', () => {
  describe('every mode × place × enrollment × step-up × strict network', () => {
    for (const mode of MFA_MODES) {
      for (const place of ['inside', 'outside'] as const) {
        for (const enrollment of Object.keys(ENROLLMENT) as Enrollment[]) {
          for (const [stepUpName, stepUp] of Object.entries(STEP_UPS)) {
            for (const strict of [false, true]) {
              const title = `${mode}, ${place}, ${enrollment}, ${stepUpName}${strict ? ', strict' : ''}`;
              it(title, () => {
                const d = decide(tenant(mode, { strict }), ENROLLMENT[enrollment], stepUp.request, place === 'inside' ? INSIDE : OUTSIDE);
                if (strict && place === 'outside') {
                  expect(d).to.deep.equal({ action: 'deny', reasons: ['strict-network', 'outside-allowlist'] });
                  return;
                }
                // a fresh authentication alone asks what the mode asks; only a step-up raises the level
                const action = stepUp.reasons.includes('step-up-acr') ? STEP_UP[enrollment] : BY_MODE[mode][place][enrollment];
                const reasons = [...stepUp.reasons, MODE_REASON[mode][place], ENROLLMENT_REASON[enrollment]];
                if (action === 'none') expect(d).to.deep.equal({ action, reasons });
                if (action === 'challenge') expect(d).to.deep.equal({ action, factors: ['totp', 'sms'], reasons });
                if (action === 'enroll') expect(d).to.deep.equal({ action, factors: ALLOWED, reasons });
              });
            }
          }
        }
      }
    }
  });

  describe('network', () => {
    const plain = STEP_UPS['no step-up']!.request;

    it('reads IPv6 and IPv4-mapped clients against the allowlist', () => {
      const policy = tenant('outside-allowlist');
      expect(decide(policy, ['totp'], plain, '2001:db8::5').action).to.equal('none');
      expect(decide(policy, ['totp'], plain, '::ffff:203.0.113.9').action).to.equal('none');
      expect(decide(policy, ['totp'], plain, '2001:db9::5').action).to.equal('challenge');
    });

    it('treats an address it cannot read as outside: 2FA, or denial in strict mode', () => {
      for (const ip of ['', 'unknown', '203.0.113.0/24']) {
        expect(decide(tenant('outside-allowlist'), ['totp'], plain, ip).reasons, ip).to.include('outside-allowlist');
        expect(decide(tenant('outside-allowlist', { strict: true }), ['totp'], plain, ip).action, ip).to.equal('deny');
      }
    });

    it('with the default empty allowlist, outside-allowlist mode asks everyone for a second factor', () => {
      const policy = effectivePolicy({ mfa: { mode: 'outside-allowlist' } });
      expect(decide(policy, ['email'], plain, INSIDE)).to.deep.equal({
        action: 'challenge',
        factors: ['email'],
        reasons: ['outside-allowlist', 'user-enrolled'],
      });
    });

    it('strict mode denies before step-up, enrollment or mode are considered', () => {
      const d = decide(tenant('optional', { strict: true }), [], STEP_UPS['acr_values mfa and max_age']!.request, OUTSIDE);
      expect(d).to.deep.equal({ action: 'deny', reasons: ['strict-network', 'outside-allowlist'] });
    });
  });

  describe('factors offered', () => {
    const plain = STEP_UPS['no step-up']!.request;
    const always = effectivePolicy({ mfa: { mode: 'always' } });

    it('puts the preferred factor first and the rest in the stable order totp, email, sms, voice', () => {
      expect(decide(always, ['voice', 'sms', 'email', 'totp'], plain, OUTSIDE))
        .to.have.property('factors')
        .deep.equal(['totp', 'email', 'sms', 'voice']);
      expect(decide(always, ['voice', 'sms', 'email', 'totp'], plain, OUTSIDE, { preferred: 'sms' }))
        .to.have.property('factors')
        .deep.equal(['sms', 'totp', 'email', 'voice']);
      expect(decide(always, ['voice', 'totp'], plain, OUTSIDE, { preferred: 'voice' }))
        .to.have.property('factors')
        .deep.equal(['voice', 'totp']);
    });

    it('ignores a preference the user cannot use (not theirs, or not allowed)', () => {
      expect(decide(always, ['totp', 'sms'], plain, OUTSIDE, { preferred: 'email' }))
        .to.have.property('factors')
        .deep.equal(['totp', 'sms']);
      expect(decide(tenant('always'), ['voice', 'sms'], plain, OUTSIDE, { preferred: 'voice' }))
        .to.have.property('factors')
        .deep.equal(['sms']);
    });

    it('lists a factor once even if the caller repeats it', () => {
      expect(decide(always, ['sms', 'sms', 'totp'], plain, OUTSIDE))
        .to.have.property('factors')
        .deep.equal(['totp', 'sms']);
    });

    it('offers enrollment in exactly the factors the tenant allows', () => {
      const emailOnly = effectivePolicy({ mfa: { mode: 'always', factors: ['email'] } });
      expect(decide(emailOnly, [], plain, OUTSIDE)).to.deep.equal({ action: 'enroll', factors: ['email'], reasons: ['mode-always', 'not-enrolled'] });
      expect(decide(emailOnly, ['totp'], plain, OUTSIDE)).to.deep.equal({
        action: 'enroll',
        factors: ['email'],
        reasons: ['mode-always', 'factors-disallowed'],
      });
      expect(decide(always, [], plain, OUTSIDE))
        .to.have.property('factors')
        .deep.equal(['totp', 'email', 'sms', 'voice']);
    });
  });

  describe('what it does not depend on', () => {
    const policy = tenant('outside-allowlist');
    const request = STEP_UPS['no step-up']!.request;

    it('an existing session, even one that completed mfa, never lowers the requirement', () => {
      const without = decide(policy, ['totp'], STEP_UPS.max_age!.request, INSIDE);
      for (const session of [
        { accountIdMatches: true, amr: ['pwd', 'otp', 'mfa'], authTime: now - 60_000 },
        { accountIdMatches: false, amr: ['pwd'], authTime: now - 60_000 },
      ]) {
        expect(decide(policy, ['totp'], STEP_UPS.max_age!.request, INSIDE, { session })).to.deep.equal(without);
        expect(decide(policy, ['totp'], request, OUTSIDE, { session }).action).to.equal('challenge');
      }
    });

    it("does not depend on the time (device expiry and re-check are deviceSkipsSecondFactor's to judge)", () => {
      expect(decideSecondFactor({ policy, userFactors: ['totp'], request: { ...request, ip: OUTSIDE }, now: 0 })).to.deep.equal(
        decideSecondFactor({ policy, userFactors: ['totp'], request: { ...request, ip: OUTSIDE }, now: now * 2 }),
      );
    });
  });

  describe('remembered device × mode × place × enrollment × step-up × strict network', () => {
    for (const mode of MFA_MODES) {
      for (const place of ['inside', 'outside'] as const) {
        for (const enrollment of Object.keys(ENROLLMENT) as Enrollment[]) {
          it(`${mode}, ${place}, ${enrollment} (every step-up, strict or not, device skipping or not)`, () => {
            for (const [stepUpName, stepUp] of Object.entries(STEP_UPS)) {
              for (const strict of [false, true]) {
                const ip = place === 'inside' ? INSIDE : OUTSIDE;
                const policy = tenant(mode, { strict });
                const without = decide(policy, ENROLLMENT[enrollment], stepUp.request, ip);
                const label = `${stepUpName}${strict ? ', strict' : ''}`;
                expect(decide(policy, ENROLLMENT[enrollment], stepUp.request, ip, { device: { skip: false } }), `${label}, device not trusted`).to.deep.equal(
                  without,
                );
                const remembered = decide(policy, ENROLLMENT[enrollment], stepUp.request, ip, { device: { skip: true } });
                // only a challenge the mode asked for gives way; a step-up, a denial or an enrollment owed does not
                if (without.action === 'challenge' && stepUp.reasons.length === 0) {
                  expect(remembered, label).to.deep.equal({ action: 'none', reasons: [...without.reasons, 'remembered-device'] });
                } else {
                  expect(remembered, label).to.deep.equal(without);
                }
              }
            }
          });
        }
      }
    }

    it('a remembered device turns the challenge of every mode into none, with its reason', () => {
      const plain = STEP_UPS['no step-up']!.request;
      expect(decide(tenant('always'), ['totp'], plain, OUTSIDE, { device: { skip: true } })).to.deep.equal({
        action: 'none',
        reasons: ['mode-always', 'user-enrolled', 'remembered-device'],
      });
      expect(decide(tenant('outside-allowlist'), ['totp'], plain, OUTSIDE, { device: { skip: true } })).to.deep.equal({
        action: 'none',
        reasons: ['outside-allowlist', 'user-enrolled', 'remembered-device'],
      });
      expect(decide(tenant('optional'), ['totp'], plain, INSIDE, { device: { skip: true } })).to.deep.equal({
        action: 'none',
        reasons: ['mode-optional', 'user-enrolled', 'remembered-device'],
      });
    });

    it('a fresh authentication (max_age, prompt=login) gets the second factor the mode asks for, never spared by a remembered device', () => {
      const fresh = STEP_UPS.max_age!.request;
      expect(decide(tenant('outside-allowlist'), ['totp'], fresh, OUTSIDE, { device: { skip: true } })).to.deep.equal({
        action: 'challenge',
        factors: ['totp'],
        reasons: ['reauthentication', 'outside-allowlist', 'user-enrolled'],
      });
      expect(decide(tenant('always'), ['totp'], fresh, INSIDE, { device: { skip: true } })).to.deep.equal({
        action: 'challenge',
        factors: ['totp'],
        reasons: ['reauthentication', 'mode-always', 'user-enrolled'],
      });
      expect(decide(tenant('optional'), ['sms'], fresh, INSIDE, { device: { skip: true } })).to.deep.equal({
        action: 'challenge',
        factors: ['sms'],
        reasons: ['reauthentication', 'mode-optional', 'user-enrolled'],
      });
    });

    it('a fresh authentication does not raise the level: where the password suffices, a fresh password is enough', () => {
      const fresh = STEP_UPS.max_age!.request;
      expect(decide(tenant('outside-allowlist'), ['totp'], fresh, INSIDE, { device: { skip: true } })).to.deep.equal({
        action: 'none',
        reasons: ['reauthentication', 'inside-allowlist', 'user-enrolled'],
      });
      expect(decide(tenant('optional'), [], fresh, OUTSIDE)).to.deep.equal({ action: 'none', reasons: ['reauthentication', 'mode-optional', 'not-enrolled'] });
    });

    it('step-up still gets a second factor on a remembered device', () => {
      for (const name of ['acr_values mfa', 'essential acr mfa', 'max_age', 'acr_values mfa and max_age']) {
        const d = decide(tenant('always'), ['totp'], STEP_UPS[name]!.request, OUTSIDE, { device: { skip: true } });
        expect(d.action, name).to.equal('challenge');
        expect(d.reasons, name).to.not.include('remembered-device');
      }
    });

    it('strict network still denies, and a user without a usable factor still enrols', () => {
      const plain = STEP_UPS['no step-up']!.request;
      expect(decide(tenant('always', { strict: true }), ['totp'], plain, OUTSIDE, { device: { skip: true } })).to.deep.equal({
        action: 'deny',
        reasons: ['strict-network', 'outside-allowlist'],
      });
      expect(decide(tenant('always'), [], plain, OUTSIDE, { device: { skip: true } })).to.deep.equal({
        action: 'enroll',
        factors: ALLOWED,
        reasons: ['mode-always', 'not-enrolled'],
      });
      expect(decide(tenant('always'), ['voice'], plain, OUTSIDE, { device: { skip: true } })).to.deep.equal({
        action: 'enroll',
        factors: ALLOWED,
        reasons: ['mode-always', 'factors-disallowed'],
      });
    });
  });

  describe('with deviceSkipsSecondFactor, over the presets', () => {
    const DAY = 86_400_000;
    const plain = STEP_UPS['no step-up']!.request;
    const HOME = '192.0.2.10';
    const device = (boundIp: string | null) => ({ createdAt: now - DAY, expiresAt: now + 13 * DAY, boundIp });

    /** the sign-in's two calls, in order */
    function signIn(
      policy: TenantPolicy,
      input: { recognised: DeviceRecognition; boundIp?: string | null; lastSecondFactorAt?: number; ip: string; request?: StepUpRequest },
    ) {
      const trust = deviceSkipsSecondFactor({
        policy: policy.devices,
        recognised: input.recognised,
        device: device(input.boundIp ?? null),
        lastSecondFactorAt: input.lastSecondFactorAt,
        ip: input.ip,
        now,
      });
      return decide(policy, [...policy.mfa.factors], input.request ?? plain, input.ip, { device: trust }).action;
    }

    it('ip-allowlist preset: outside the allowlist a remembered device signs in with the password for 14 days, from any IP', () => {
      const policy = effectivePolicy({ ...POLICY_PRESETS['ip-allowlist'].overrides, network: { allowlist: ['203.0.113.0/24'] } });
      expect(signIn(policy, { recognised: 'ok', ip: OUTSIDE, lastSecondFactorAt: now - DAY })).to.equal('none');
      expect(signIn(policy, { recognised: 'ok', ip: '2001:db8::9', lastSecondFactorAt: now - DAY })).to.equal('none');
      expect(signIn(policy, { recognised: 'expired', ip: OUTSIDE, lastSecondFactorAt: now - DAY })).to.equal('challenge');
      expect(signIn(policy, { recognised: 'other-user', ip: OUTSIDE, lastSecondFactorAt: now - DAY })).to.equal('challenge');
      expect(signIn(policy, { recognised: 'no-cookie', ip: INSIDE })).to.equal('none');
      expect(signIn(policy, { recognised: 'ok', ip: OUTSIDE, lastSecondFactorAt: now - DAY, request: STEP_UPS.max_age!.request })).to.equal('challenge');
    });

    it('email-always preset: an emailed code every time, except on a browser+IP device whose last code is under 30 days old', () => {
      const policy = effectivePolicy(POLICY_PRESETS['email-always'].overrides);
      expect(signIn(policy, { recognised: 'ok', boundIp: HOME, ip: HOME, lastSecondFactorAt: now - 29 * DAY })).to.equal('none');
      expect(signIn(policy, { recognised: 'ok', boundIp: HOME, ip: HOME, lastSecondFactorAt: now - 31 * DAY })).to.equal('challenge');
      expect(signIn(policy, { recognised: 'ok', boundIp: HOME, ip: HOME })).to.equal('challenge');
      expect(signIn(policy, { recognised: 'ip-mismatch', boundIp: HOME, ip: OUTSIDE, lastSecondFactorAt: now - DAY })).to.equal('challenge');
      expect(signIn(policy, { recognised: 'ok', boundIp: HOME, ip: OUTSIDE, lastSecondFactorAt: now - DAY }), 'checked again in the policy').to.equal(
        'challenge',
      );
      expect(signIn(policy, { recognised: 'unknown', ip: HOME, lastSecondFactorAt: now - DAY })).to.equal('challenge');
    });
  });
});

describe('decideSecondFactor: passkeys', () => {
  const withPasskeys = (extra: Partial<TenantPolicy['mfa']> = {}) =>
    effectivePolicy({ mfa: { mode: 'optional', factors: ['passkey', 'totp', 'email'], ...extra }, network: { allowlist: [] } });
  const plain: StepUpRequest = { acrValues: [], reauthentication: false };
  const phr: StepUpRequest = { acrValues: [PHR_ACR], reauthentication: false };

  it('a phishing-resistant request asks a user with a passkey for the passkey only', () => {
    const decision = decide(withPasskeys(), ['totp', 'passkey'], phr, INSIDE);
    expect(decision).to.deep.equal({ action: 'challenge', factors: ['passkey'], reasons: ['step-up-phr', 'mode-optional', 'user-enrolled'] });
  });

  it('a phishing-resistant request has a user without a passkey prove a factor of theirs, then set a passkey up', () => {
    expect(decide(withPasskeys(), ['totp'], phr, INSIDE)).to.deep.equal({
      action: 'challenge',
      factors: ['totp'],
      thenEnroll: ['passkey'],
      reasons: ['step-up-phr', 'mode-optional', 'factors-disallowed'],
    });
  });

  it('a phishing-resistant request has a user with no factor at all set a passkey up right away', () => {
    expect(decide(withPasskeys(), [], phr, INSIDE)).to.deep.equal({
      action: 'enroll',
      factors: ['passkey'],
      reasons: ['step-up-phr', 'mode-optional', 'not-enrolled'],
    });
  });

  it('a phishing-resistant request to a tenant without passkeys is answered at the mfa level with the allowed factors', () => {
    const policy = effectivePolicy({ mfa: { mode: 'optional', factors: ['totp'] } });
    expect(decide(policy, ['totp'], phr, INSIDE)).to.deep.equal({
      action: 'challenge',
      factors: ['totp'],
      reasons: ['step-up-phr', 'mode-optional', 'user-enrolled'],
    });
  });

  it('a remembered device never spares a phishing-resistant request', () => {
    expect(decide(withPasskeys(), ['passkey'], phr, INSIDE, { device: { skip: true } }).action).to.equal('challenge');
  });

  it("holds the tenant's passkey roles to a passkey, whatever the mode and a remembered device", () => {
    const policy = withPasskeys({ passkeyRoles: ['owner', 'admin'] });
    expect(decide(policy, ['passkey', 'totp'], plain, INSIDE, { role: 'admin', device: { skip: true } })).to.deep.equal({
      action: 'challenge',
      factors: ['passkey'],
      reasons: ['passkey-role', 'mode-optional', 'user-enrolled'],
    });
    expect(decide(policy, ['totp'], plain, INSIDE, { role: 'owner' })).to.deep.equal({
      action: 'challenge',
      factors: ['totp'],
      thenEnroll: ['passkey'],
      reasons: ['passkey-role', 'mode-optional', 'factors-disallowed'],
    });
    // a member follows the mode: optional, with a factor of their own, is asked for one of them
    expect(decide(policy, ['totp'], plain, INSIDE, { role: 'member' })).to.deep.equal({
      action: 'challenge',
      factors: ['totp'],
      reasons: ['mode-optional', 'user-enrolled'],
    });
  });

  it('a tenant cannot hold roles to passkeys it does not allow', () => {
    expect(() => effectivePolicy({ mfa: { factors: ['totp'], passkeyRoles: ['admin'] } })).to.throw('passkeyRoles needs passkey among the allowed factors');
  });
});
