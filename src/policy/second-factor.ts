import { stepUpReasons, type StepUpRequest } from './authentication-context.ts';
import type { DeviceTrustDecision } from './device-trust.ts';
import { isAllowed, parseAllowlist } from './ip-rules.ts';
import { FACTOR_TYPES, type FactorType, type TenantPolicy } from './tenant-policy.ts';

/**
 * Does this sign-in need a second factor, and which? Decided after the password, from the
 * tenant policy, the user's confirmed factors and the request. Pure: time comes in as `now`.
 */
export interface SecondFactorInput {
  policy: TenantPolicy;
  /** factors the user has confirmed (the caller decides whether a verified email counts as one) */
  userFactors: readonly FactorType[];
  preferred?: FactorType;
  /** the user's role in the tenant: the tenant may hold some roles to passkeys */
  role?: string;
  request: StepUpRequest & { ip: string };
  /**
   * The browser's existing session, if any. It never lowers the decision: acr and amr describe
   * this authentication, so a factor completed in an earlier one is not carried over.
   * (Whether to authenticate at all is acrSatisfied's question.)
   */
  session?: { accountIdMatches: boolean; amr: readonly string[]; authTime: number };
  /**
   * The browser's remembered device, as deviceSkipsSecondFactor judged it (which already
   * refuses expired, rebound and re-check-due devices). A skip lifts a challenge that comes
   * from the mode or the allowlist; never a step-up request, a request for a fresh
   * authentication (its second factor was proven earlier), a strict network's denial, or an
   * enrollment the user still owes.
   */
  device?: Pick<DeviceTrustDecision, 'skip'>;
  /** epoch milliseconds */
  now: number;
}

export type SecondFactorReason =
  | 'strict-network'
  | 'outside-allowlist'
  | 'inside-allowlist'
  | 'step-up-acr'
  | 'step-up-phr'
  | 'passkey-role'
  | 'reauthentication'
  | 'mode-always'
  | 'mode-optional'
  | 'user-enrolled'
  | 'not-enrolled'
  | 'factors-disallowed'
  | 'remembered-device';

export type SecondFactorDecision =
  | { action: 'none'; reasons: SecondFactorReason[] }
  /**
   * factors the user can use now, the preferred one first; `thenEnroll`: a passkey is asked for
   * and the user has none, so one of their factors is proven first and a passkey set up after
   * (the password alone never adds a factor to an account that has one)
   */
  | { action: 'challenge'; factors: FactorType[]; thenEnroll?: FactorType[]; reasons: SecondFactorReason[] }
  /** the user has no usable factor: these are the ones the tenant lets them enrol */
  | { action: 'enroll'; factors: FactorType[]; reasons: SecondFactorReason[] }
  | { action: 'deny'; reasons: SecondFactorReason[] };

type ModeReason = Extract<SecondFactorReason, 'mode-always' | 'mode-optional' | 'outside-allowlist' | 'inside-allowlist'>;
type Enrollment = Extract<SecondFactorReason, 'user-enrolled' | 'not-enrolled' | 'factors-disallowed'>;

function usableFactors(allowed: readonly FactorType[], userFactors: readonly FactorType[], preferred?: FactorType): FactorType[] {
  const usable = FACTOR_TYPES.filter((f) => allowed.includes(f) && userFactors.includes(f));
  return preferred && usable.includes(preferred) ? [preferred, ...usable.filter((f) => f !== preferred)] : usable;
}

function enrollment(userFactors: readonly FactorType[], usable: readonly FactorType[]): Enrollment {
  if (usable.length > 0) return 'user-enrolled';
  return userFactors.some((f) => FACTOR_TYPES.includes(f)) ? 'factors-disallowed' : 'not-enrolled';
}

/** What the tenant's mode says, and whether that alone requires a second factor. */
function modeRule(policy: TenantPolicy, insideAllowlist: boolean, state: Enrollment): { reason: ModeReason; requires: boolean } {
  switch (policy.mfa.mode) {
    case 'always':
      return { reason: 'mode-always', requires: true };
    case 'outside-allowlist':
      return insideAllowlist ? { reason: 'inside-allowlist', requires: false } : { reason: 'outside-allowlist', requires: true };
    // a user who enrolled a factor the tenant no longer allows asked for 2FA: they enrol an allowed one rather than lose it
    case 'optional':
      return { reason: 'mode-optional', requires: state !== 'not-enrolled' };
  }
}

/**
 * Only a passkey will do when the application asked for the phishing-resistant level or the
 * tenant holds the user's role to passkeys, and the tenant allows passkeys. (A tenant that does
 * not allow them answers a phishing-resistant request at the mfa level: the ID token's acr says
 * so, and the application decides.)
 */
function passkeyOnly(input: SecondFactorInput, stepUp: readonly string[]): SecondFactorReason | undefined {
  if (!input.policy.mfa.factors.includes('passkey')) return undefined;
  if (stepUp.includes('step-up-phr')) return 'step-up-phr';
  const roles: readonly string[] = input.policy.mfa.passkeyRoles;
  return input.role !== undefined && roles.includes(input.role) ? 'passkey-role' : undefined;
}

export function decideSecondFactor(input: SecondFactorInput): SecondFactorDecision {
  const { policy, request } = input;
  const inside = isAllowed(request.ip, parseAllowlist(policy.network.allowlist));
  if (policy.network.strict && !inside) return { action: 'deny', reasons: ['strict-network', 'outside-allowlist'] };

  const stepUp = stepUpReasons(request);
  const onlyPasskey = passkeyOnly(input, stepUp);
  const allowed = onlyPasskey ? policy.mfa.factors.filter((f) => f === 'passkey') : policy.mfa.factors;
  const usable = usableFactors(allowed, input.userFactors, input.preferred);
  const state = enrollment(input.userFactors, usable);
  const mode = modeRule(policy, inside, state);
  const reasons: SecondFactorReason[] = [
    ...stepUp,
    ...(onlyPasskey === 'passkey-role' ? [onlyPasskey] : []),
    ...(request.reauthentication ? ['reauthentication' as const] : []),
    mode.reason,
    state,
  ];
  const required = stepUp.length > 0 || onlyPasskey !== undefined || mode.requires;

  if (!required) return { action: 'none', reasons };
  if (usable.length === 0 && onlyPasskey) {
    const proven = usableFactors(policy.mfa.factors, input.userFactors, input.preferred);
    if (proven.length > 0) return { action: 'challenge', factors: proven, thenEnroll: ['passkey'], reasons };
  }
  if (usable.length > 0) {
    // only the mode asked, no fresh authentication was asked, and this browser proved a factor recently
    if (stepUp.length === 0 && !onlyPasskey && !request.reauthentication && input.device?.skip === true) {
      return { action: 'none', reasons: [...reasons, 'remembered-device'] };
    }
    return { action: 'challenge', factors: usable, reasons };
  }
  return { action: 'enroll', factors: FACTOR_TYPES.filter((f) => allowed.includes(f)), reasons };
}
