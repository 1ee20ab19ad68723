import type { FactorType } from './tenant-policy.ts';

/**
 * The order of the hosted sign-in, in one place. After a first factor (a password, an upstream
 * provider) the sign-in is a sequence of steps, each of which may or may not be due; this
 * decides, from what the sign-in has established so far, which one comes next. Pure: the login
 * flow (src/login/flow.ts) gathers the facts, runs the step this names, and asks again.
 *
 * The order is fixed so a stolen password alone never reaches the password change: the account
 * is checked first (locked or deactivated since the password), then a pending account link, the
 * second factor or its enrolment, the recovery codes just made, the password change, the finish.
 */
export type SignInStep =
  | { step: 'refuse'; reason: 'locked' | 'inactive' | 'reset-required' }
  | { step: 'link-identity' }
  | { step: 'second-factor'; factors: FactorType[] }
  | { step: 'enroll'; factors: FactorType[] }
  | { step: 'recovery-codes' }
  | { step: 'change-password'; reason: 'forced' | 'expired' }
  | { step: 'finish' };

/** what the sign-in needs of a second factor, decided once right after the first factor (decideSecondFactor) */
export type SecondFactorDue =
  | { action: 'none' }
  /** `thenEnroll`: once a factor is proven, a passkey is set up (the request or the user's role asks for one) */
  | { action: 'challenge'; factors: FactorType[]; thenEnroll?: FactorType[] }
  | { action: 'enroll'; factors: FactorType[] };

export interface SignInProgress {
  /** the account as read at this moment: still active, not locked, not awaiting a password reset */
  account: 'usable' | 'locked' | 'inactive' | 'reset-required';
  /** an upstream identity waits to be linked to this account by its password */
  linkPending: boolean;
  secondFactor: SecondFactorDue;
  /** a second factor (ours, or the upstream's that the tenant counts) was completed in this sign-in */
  secondFactorDone: boolean;
  /** a passkey was proven or set up in this sign-in */
  passkeyDone: boolean;
  /** recovery codes were made in this sign-in and are shown once, before it goes on */
  recoveryCodesPending: boolean;
  /** the password must change before the application gets its code */
  passwordChange?: 'forced' | 'expired' | undefined;
}

export function decideNextStep(progress: SignInProgress): SignInStep {
  if (progress.account !== 'usable') return { step: 'refuse', reason: progress.account };
  if (progress.linkPending) return { step: 'link-identity' };
  const due = progress.secondFactor;
  if (due.action !== 'none' && !progress.secondFactorDone) {
    return due.action === 'challenge' ? { step: 'second-factor', factors: due.factors } : { step: 'enroll', factors: due.factors };
  }
  if (due.action === 'challenge' && due.thenEnroll && !progress.passkeyDone) return { step: 'enroll', factors: due.thenEnroll };
  if (progress.recoveryCodesPending) return { step: 'recovery-codes' };
  if (progress.passwordChange) return { step: 'change-password', reason: progress.passwordChange };
  return { step: 'finish' };
}
