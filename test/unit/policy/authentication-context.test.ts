import { expect } from 'chai';
import {
  ACR_VALUES_SUPPORTED,
  AUTH_METHODS,
  MFA_ACR,
  PWD_ACR,
  acrSatisfied,
  authenticationResult,
  stepUpReasons,
  stepUpRequestOf,
  stepUpRequested,
  secondFactorCompleted,
  PASSKEY_METHODS,
  PHR_ACR,
  type AuthMethod,
  type LocalAuthMethod,
  type StepUpRequest,
} from '../../../src/policy/authentication-context.ts';

type CodeMethod = Exclude<LocalAuthMethod, 'pwd' | 'passkey' | 'passkey-synced'>;
/** the second factors that prove a code (a passkey is both factors at once: below) */
const SECOND_FACTORS = AUTH_METHODS.filter((m): m is CodeMethod => m !== 'pwd' && !(PASSKEY_METHODS as readonly string[]).includes(m));
/** RFC 8176 value of each second factor */
const AMR: Record<CodeMethod, string> = { totp: 'otp', email: 'otp', recovery: 'otp', sms: 'sms', voice: 'tel' };

function subsets<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((all, item) => all.concat(all.map((s) => [...s, item])), [[]]);
}

describe('authentication context (acr / amr)', () => {
  it('advertises the single-factor level first, then mfa, then phishing-resistant', () => {
    expect(ACR_VALUES_SUPPORTED).to.deep.equal(['urn:latchkey:acr:pwd', 'urn:latchkey:acr:mfa', 'urn:latchkey:acr:phr']);
    expect(PHR_ACR).to.equal('urn:latchkey:acr:phr');
    expect(PWD_ACR).to.equal('urn:latchkey:acr:pwd');
    expect(MFA_ACR).to.equal('urn:latchkey:acr:mfa');
  });

  it('a password alone is pwd, never mfa', () => {
    expect(authenticationResult(['pwd'])).to.deep.equal({ acr: PWD_ACR, amr: ['pwd'] });
    expect(authenticationResult(['pwd', 'pwd'])).to.deep.equal({ acr: PWD_ACR, amr: ['pwd'] });
  });

  for (const factor of SECOND_FACTORS) {
    it(`password + ${factor} is mfa with amr pwd, ${AMR[factor]}, mfa (in either order)`, () => {
      const expected = { acr: MFA_ACR, amr: ['pwd', AMR[factor], 'mfa'] };
      expect(authenticationResult(['pwd', factor])).to.deep.equal(expected);
      expect(authenticationResult([factor, 'pwd'])).to.deep.equal(expected);
    });

    it(`${factor} without a password is single-factor and claims no mfa`, () => {
      expect(authenticationResult([factor])).to.deep.equal({ acr: PWD_ACR, amr: [AMR[factor]] });
    });
  }

  it('lists each RFC 8176 value once, in a fixed order', () => {
    expect(authenticationResult(['voice', 'email', 'pwd', 'totp', 'sms', 'recovery'])).to.deep.equal({
      acr: MFA_ACR,
      amr: ['pwd', 'otp', 'sms', 'tel', 'mfa'],
    });
  });

  describe('passkeys', () => {
    it('a passkey alone (user verified) is phishing-resistant: amr hwk, user, mfa', () => {
      expect(authenticationResult(['passkey'])).to.deep.equal({ acr: PHR_ACR, amr: ['hwk', 'user', 'mfa'] });
    });
    it('a synced passkey is a software-held key: amr swk', () => {
      expect(authenticationResult(['passkey-synced'])).to.deep.equal({ acr: PHR_ACR, amr: ['swk', 'user', 'mfa'] });
    });
    it('a password and a passkey: pwd, hwk, user, mfa at the phishing-resistant level', () => {
      expect(authenticationResult(['pwd', 'passkey'])).to.deep.equal({ acr: PHR_ACR, amr: ['pwd', 'hwk', 'user', 'mfa'] });
      expect(authenticationResult(['fed', 'passkey-synced'])).to.deep.equal({ acr: PHR_ACR, amr: ['fed', 'swk', 'user', 'mfa'] });
    });
    it('counts as a second factor once a first one was proven', () => {
      expect(secondFactorCompleted(['pwd', 'passkey'])).to.equal(true);
      expect(secondFactorCompleted(['passkey-synced'])).to.equal(true);
    });
  });

  it('over every combination of methods, mfa appears exactly when a password and a second factor were both completed, or a passkey', () => {
    for (const methods of subsets(AUTH_METHODS).filter((s) => s.length > 0)) {
      const { acr, amr } = authenticationResult(methods);
      const passkey = methods.some((m) => (PASSKEY_METHODS as readonly string[]).includes(m));
      const honest = passkey || (methods.includes('pwd') && methods.length > 1);
      expect(acr, methods.join('+')).to.equal(passkey ? PHR_ACR : honest ? MFA_ACR : PWD_ACR);
      expect(amr.includes('mfa'), methods.join('+')).to.equal(honest);
      expect(amr.includes('pwd'), methods.join('+')).to.equal(methods.includes('pwd'));
      expect(new Set(amr).size).to.equal(amr.length);
    }
  });

  describe('federated sign-ins', () => {
    it('a federated sign-in alone is single-factor with amr fed', () => {
      expect(authenticationResult(['fed'])).to.deep.equal({ acr: PWD_ACR, amr: ['fed'] });
    });

    it("the upstream's counted second factor makes it mfa: amr fed, mfa", () => {
      expect(authenticationResult(['fed', 'upstream-mfa'])).to.deep.equal({ acr: MFA_ACR, amr: ['fed', 'mfa'] });
    });

    for (const factor of SECOND_FACTORS) {
      it(`fed + local ${factor} is mfa with amr fed, ${AMR[factor]}, mfa`, () => {
        expect(authenticationResult(['fed', factor])).to.deep.equal({ acr: MFA_ACR, amr: ['fed', AMR[factor], 'mfa'] });
      });
    }

    it('an upstream factor counts only beside a federated sign-in, never beside a password or alone', () => {
      expect(authenticationResult(['pwd', 'upstream-mfa'])).to.deep.equal({ acr: PWD_ACR, amr: ['pwd'] });
      expect(authenticationResult(['upstream-mfa'])).to.deep.equal({ acr: PWD_ACR, amr: [] });
    });

    it('a password and a federated sign-in are two first factors, not mfa', () => {
      expect(authenticationResult(['pwd', 'fed'])).to.deep.equal({ acr: PWD_ACR, amr: ['pwd', 'fed'] });
    });
  });

  it('refuses an empty or unknown list of methods rather than guess', () => {
    expect(() => authenticationResult([])).to.throw(TypeError, 'no completed method');
    expect(() => authenticationResult(['pwd', 'webauthn' as AuthMethod])).to.throw(TypeError, 'unknown method "webauthn"');
    expect(() => authenticationResult(['pwd', 'toString' as AuthMethod])).to.throw(TypeError, 'unknown method');
  });

  describe('step-up requests', () => {
    const plain: StepUpRequest = { acrValues: [], reauthentication: false };
    const cases: [string, StepUpRequest, string[]][] = [
      ['nothing asked', plain, []],
      ['acr_values pwd', { ...plain, acrValues: [PWD_ACR] }, []],
      ['an unknown acr value', { ...plain, acrValues: ['urn:example:loa:3'] }, []],
      ['essential acr pwd', { ...plain, essentialAcr: [PWD_ACR] }, []],
      ['acr_values mfa', { ...plain, acrValues: [MFA_ACR] }, ['step-up-acr']],
      ['acr_values mfa among others', { ...plain, acrValues: ['urn:example:loa:3', PWD_ACR, MFA_ACR] }, ['step-up-acr']],
      ['essential acr mfa', { ...plain, essentialAcr: [MFA_ACR] }, ['step-up-acr']],
      ['essential acr pwd or mfa', { ...plain, essentialAcr: [PWD_ACR, MFA_ACR] }, ['step-up-acr']],
      // freshness is not a level: max_age or prompt=login alone is no step-up
      ['max_age or prompt=login', { ...plain, reauthentication: true }, []],
      ['acr_values mfa and max_age', { acrValues: [MFA_ACR], reauthentication: true }, ['step-up-acr']],
      ['essential acr mfa and max_age', { acrValues: [], essentialAcr: [MFA_ACR], reauthentication: true }, ['step-up-acr']],
      ['acr_values phr', { ...plain, acrValues: [PHR_ACR] }, ['step-up-phr']],
      ['essential acr phr', { ...plain, essentialAcr: [PHR_ACR] }, ['step-up-phr']],
      // a request that accepts mfa is satisfied by mfa
      ['acr_values phr or mfa', { ...plain, acrValues: [PHR_ACR, MFA_ACR] }, ['step-up-acr']],
    ];
    for (const [name, request, reasons] of cases) {
      it(`${name}: ${reasons.length ? reasons.join(', ') : 'no step-up'}`, () => {
        expect(stepUpReasons(request)).to.deep.equal(reasons);
        expect(stepUpRequested(request)).to.equal(reasons.length > 0);
        // a step-up is satisfied by a session at its level or above; any session (or none) satisfies the rest
        for (const passkeysOffered of [true, false]) {
          const tenant = { passkeysOffered };
          expect(acrSatisfied(PHR_ACR, request, tenant)).to.equal(true);
          // the phishing-resistant level needs a passkey where the tenant offers them; elsewhere it is answered at mfa
          expect(acrSatisfied(MFA_ACR, request, tenant)).to.equal(!reasons.includes('step-up-phr') || !passkeysOffered);
          expect(acrSatisfied(PWD_ACR, request, tenant)).to.equal(reasons.length === 0);
          expect(acrSatisfied(undefined, request, tenant)).to.equal(reasons.length === 0);
          expect(acrSatisfied('urn:example:loa:3', request, tenant)).to.equal(reasons.length === 0);
        }
      });
    }
  });

  describe('reading the request (stepUpRequestOf)', () => {
    const cases: [string, Record<string, unknown>, StepUpRequest][] = [
      ['nothing', {}, { acrValues: [], reauthentication: false }],
      ['acr_values', { acr_values: `${PWD_ACR}  ${MFA_ACR}` }, { acrValues: [PWD_ACR, MFA_ACR], reauthentication: false }],
      [
        'an essential acr claim with value and values',
        { claims: JSON.stringify({ id_token: { acr: { essential: true, value: MFA_ACR, values: [PWD_ACR, 7] } } }) },
        { acrValues: [], essentialAcr: [MFA_ACR, PWD_ACR], reauthentication: false },
      ],
      ['a voluntary acr claim', { claims: JSON.stringify({ id_token: { acr: { values: [MFA_ACR] } } }) }, { acrValues: [], reauthentication: false }],
      ['malformed claims', { claims: '{' }, { acrValues: [], reauthentication: false }],
      ['max_age of any value', { max_age: '300' }, { acrValues: [], reauthentication: true }],
      ['prompt=login (what oidc-provider makes of max_age=0)', { prompt: 'login' }, { acrValues: [], reauthentication: true }],
      ['prompt=consent login', { prompt: 'consent login' }, { acrValues: [], reauthentication: true }],
      ['prompt=consent', { prompt: 'consent' }, { acrValues: [], reauthentication: false }],
      ['prompt=loginx', { prompt: 'loginx' }, { acrValues: [], reauthentication: false }],
    ];
    for (const [name, params, expected] of cases) {
      it(name, () => expect(stepUpRequestOf(params)).to.deep.equal(expected));
    }
  });
});
