import { expect } from 'chai';
import { decideNextStep, type SecondFactorDue, type SignInProgress } from '../../../src/policy/sign-in-steps.ts';

const DUES: Record<string, SecondFactorDue> = {
  none: { action: 'none' },
  challenge: { action: 'challenge', factors: ['totp', 'email'] },
  enroll: { action: 'enroll', factors: ['sms'] },
  /** a passkey is asked for and the user has none: a factor of theirs first, then a passkey set up */
  challengeThenPasskey: { action: 'challenge', factors: ['totp', 'email'], thenEnroll: ['passkey'] },
};

/** the rule written out plainly, against which every combination is checked */
function expected(p: SignInProgress) {
  if (p.account !== 'usable') return { step: 'refuse', reason: p.account };
  if (p.linkPending) return { step: 'link-identity' };
  if (p.secondFactor.action === 'challenge' && !p.secondFactorDone) return { step: 'second-factor', factors: ['totp', 'email'] };
  if (p.secondFactor.action === 'enroll' && !p.secondFactorDone) return { step: 'enroll', factors: ['sms'] };
  if (p.secondFactor.action === 'challenge' && p.secondFactor.thenEnroll && !p.passkeyDone) return { step: 'enroll', factors: ['passkey'] };
  if (p.recoveryCodesPending) return { step: 'recovery-codes' };
  if (p.passwordChange) return { step: 'change-password', reason: p.passwordChange };
  return { step: 'finish' };
}

describe('decideNextStep', () => {
  it('decides every combination of account, link, second factor, recovery codes and password change', () => {
    let count = 0;
    for (const account of ['usable', 'locked', 'inactive', 'reset-required'] as const) {
      for (const linkPending of [false, true]) {
        for (const [dueName, secondFactor] of Object.entries(DUES)) {
          for (const secondFactorDone of [false, true]) {
            for (const passkeyDone of [false, true]) {
              for (const recoveryCodesPending of [false, true]) {
                for (const passwordChange of [undefined, 'forced', 'expired'] as const) {
                  const progress: SignInProgress = { account, linkPending, secondFactor, secondFactorDone, passkeyDone, recoveryCodesPending, passwordChange };
                  const label = JSON.stringify({ account, linkPending, dueName, secondFactorDone, passkeyDone, recoveryCodesPending, passwordChange });
                  expect(decideNextStep(progress), label).to.deep.equal(expected(progress));
                  count += 1;
                }
              }
            }
          }
        }
      }
    }
    expect(count).to.equal(4 * 2 * 4 * 2 * 2 * 2 * 3);
  });

  const base: SignInProgress = {
    account: 'usable',
    linkPending: false,
    secondFactor: DUES.none!,
    secondFactorDone: false,
    passkeyDone: false,
    recoveryCodesPending: false,
  };

  it('asks a user who must add a passkey to prove a factor of theirs first: the password alone never adds one', () => {
    const due = DUES.challengeThenPasskey!;
    expect(decideNextStep({ ...base, secondFactor: due })).to.deep.equal({ step: 'second-factor', factors: ['totp', 'email'] });
    expect(decideNextStep({ ...base, secondFactor: due, secondFactorDone: true })).to.deep.equal({ step: 'enroll', factors: ['passkey'] });
    expect(decideNextStep({ ...base, secondFactor: due, secondFactorDone: true, passkeyDone: true })).to.deep.equal({ step: 'finish' });
  });

  it('refuses a locked or deactivated account before anything else, even a finished sign-in', () => {
    expect(decideNextStep({ ...base, account: 'locked', secondFactorDone: true })).to.deep.equal({ step: 'refuse', reason: 'locked' });
    expect(decideNextStep({ ...base, account: 'inactive', passwordChange: 'forced' })).to.deep.equal({ step: 'refuse', reason: 'inactive' });
  });

  it('never reaches the password change before a due second factor: a stolen password alone cannot change it', () => {
    expect(decideNextStep({ ...base, secondFactor: DUES.challenge!, passwordChange: 'forced' })).to.have.property('step', 'second-factor');
    expect(decideNextStep({ ...base, secondFactor: DUES.enroll!, passwordChange: 'expired' })).to.have.property('step', 'enroll');
    expect(decideNextStep({ ...base, secondFactor: DUES.challenge!, secondFactorDone: true, passwordChange: 'forced' })).to.deep.equal({
      step: 'change-password',
      reason: 'forced',
    });
  });

  it('shows new recovery codes before the password change, and finishes when nothing is due', () => {
    expect(decideNextStep({ ...base, secondFactor: DUES.enroll!, secondFactorDone: true, recoveryCodesPending: true, passwordChange: 'forced' })).to.deep.equal(
      { step: 'recovery-codes' },
    );
    expect(decideNextStep(base)).to.deep.equal({ step: 'finish' });
    // a second factor done without being due (an upstream's) does not hold the sign-in up
    expect(decideNextStep({ ...base, secondFactorDone: true })).to.deep.equal({ step: 'finish' });
  });

  it('links a pending upstream identity before the second factor', () => {
    expect(decideNextStep({ ...base, linkPending: true, secondFactor: DUES.challenge! })).to.deep.equal({ step: 'link-identity' });
  });
});
