import type { FactorKind, FactorType, SecondFactorMethod } from '../policy/factor-types.ts';
import type { AuthMethod } from '../policy/authentication-context.ts';
import type { TenantPolicy } from '../policy/tenant-policy.ts';
import type { Recipient } from '../accounts/notifications.ts';
import type { VerifyRefusal } from './code-challenges.ts';
import type { SendOutcome } from './code-delivery.ts';

/**
 * One second factor, as every path that uses one sees it: the sign-in's second-factor step, the
 * enrolment step of a sign-in, and the account console's add-factor page all verify and send
 * through this interface, so a factor's rules (attempt limits, send limits, replay) live once.
 */
export interface FactorScope {
  /** what the proof is for: a sign-in, an enrolment during one, or a factor added on the account page */
  purpose: 'signin' | 'enroll' | 'account';
  /** the sign-in's interaction uid, or the account page's pending factor id: codes and attempts are bound to it */
  uid: string;
  tenant: { id: string; displayName: string; policy: TenantPolicy };
  user: { id: string } & Recipient;
  /** the page's language: an SMS or a call speaks it */
  locale: string;
  ip: string;
}

/**
 * a proof's check; `method` is what was proven (a sent code is the channel it went by, whichever
 * factor the page showed; a passkey says whether its key is synced). `cloneWarning`: a passkey
 * whose signature counter went back, refused (a copy of the key may exist).
 */
export type ProofCheck =
  | { ok: true; method: Exclude<AuthMethod, 'pwd' | 'fed' | 'upstream-mfa'> }
  | { ok: false; reason: VerifyRefusal; attemptsLeft?: number; cloneWarning?: boolean };

/** the options a page hands the browser for a passkey ceremony (navigator.credentials.create or .get) */
export type CeremonyOptions = Record<string, unknown>;

export interface SecondFactor {
  readonly type: SecondFactorMethod;
  /** its RFC 8176 amr and whether it resists phishing (src/policy/factor-types.ts) */
  readonly kind: Pick<FactorKind, 'amr' | 'phishingResistant'>;
  /** a code factor: issue a code for this scope and send it to the destination (email address or number) */
  issue?(scope: FactorScope, destination: string): Promise<SendOutcome>;
  /** checks a proof of a confirmed factor (or a recovery code), under the factor's attempt limits */
  verify(scope: FactorScope, code: string): Promise<ProofCheck>;
  /** confirms a pending factor of this type with its first proof; then it is the user's */
  confirm?(scope: FactorScope, factorId: string, code: string): Promise<ProofCheck>;
  /** a passkey: the options for proving one of the user's passkeys, the challenge bound to the scope */
  proofOptions?(scope: FactorScope): Promise<CeremonyOptions>;
  /** a passkey: the options for creating one, the challenge bound to the scope */
  enrolOptions?(scope: FactorScope): Promise<CeremonyOptions>;
  /** a passkey: the browser's answer to enrolOptions becomes a confirmed factor named `name` */
  enrol?(
    scope: FactorScope,
    answer: string,
    name: string,
  ): Promise<{ ok: true; factorId: string; method: 'passkey' | 'passkey-synced' } | { ok: false; reason: 'invalid' | 'expired' | 'duplicate' }>;
}

/** every factor type has its implementation; the recovery codes too */
export interface SecondFactors {
  get(type: FactorType | 'recovery'): SecondFactor;
}
