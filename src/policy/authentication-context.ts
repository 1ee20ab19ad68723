import { FACTOR_KINDS, FACTOR_TYPES, SECOND_FACTOR_METHODS, type FactorType } from './factor-types.ts';

/**
 * What a sign-in proves, in the words tokens use: `acr` (our three levels) and `amr` (RFC 8176).
 * Honest by construction: the mfa level and the 'mfa' method appear only when a first factor
 * (password or federated sign-in) and a second factor were both completed in this authentication,
 * or a passkey was used with user verification (the key the device holds, unlocked by the user's
 * PIN or biometric: two factors in one proof). The phishing-resistant level needs a passkey: its
 * signature is bound to this site's origin, so a look-alike site can neither use nor relay it.
 */
export const PWD_ACR = 'urn:latchkey:acr:pwd';
export const MFA_ACR = 'urn:latchkey:acr:mfa';
export const PHR_ACR = 'urn:latchkey:acr:phr';
/** for discovery's acr_values_supported: lowest level first */
export const ACR_VALUES_SUPPORTED = [PWD_ACR, MFA_ACR, PHR_ACR] as const;
export type Acr = (typeof ACR_VALUES_SUPPORTED)[number];

/**
 * A passkey proof: 'passkey' for a key bound to one device (amr hwk), 'passkey-synced' for one
 * its platform syncs between the user's devices (amr swk). User verification is always required.
 */
export const PASSKEY_METHODS = ['passkey', 'passkey-synced'] as const;
export const AUTH_METHODS = ['pwd', ...SECOND_FACTOR_METHODS, 'passkey-synced'] as const;
/**
 * A sign-in through an upstream provider ('fed', RFC 8176), and that provider's own second
 * factor when the tenant counts it (its ID token's amr or acr said so: src/policy/federation.ts).
 */
export const FEDERATION_METHODS = ['fed', 'upstream-mfa'] as const;
export type LocalAuthMethod = (typeof AUTH_METHODS)[number];
export type AuthMethod = LocalAuthMethod | (typeof FEDERATION_METHODS)[number];

/** RFC 8176: each factor's own value (src/policy/factor-types.ts); recovery codes are one-time passwords too. */
const AMR_OF: Readonly<Record<AuthMethod, string | null>> = {
  pwd: 'pwd',
  fed: 'fed',
  recovery: 'otp',
  ...(Object.fromEntries(FACTOR_TYPES.map((t) => [t, FACTOR_KINDS[t].amr])) as Record<FactorType, string>),
  // the upstream's factor has no RFC 8176 value of ours: it shows only as 'mfa' beside 'fed'
  'upstream-mfa': null,
  'passkey-synced': 'swk',
};
/** 'user': a passkey always tests the user's presence (and here verifies the user) */
const AMR_ORDER = ['pwd', 'fed', 'hwk', 'swk', 'otp', 'sms', 'tel', 'user'];
const isPasskey = (m: AuthMethod) => (PASSKEY_METHODS as readonly string[]).includes(m);
const LOCAL_SECOND_FACTORS: readonly AuthMethod[] = SECOND_FACTOR_METHODS;

/** a second factor: a local one, or for a federated sign-in the upstream's own that the tenant counts */
export function secondFactorCompleted(methods: readonly AuthMethod[]): boolean {
  return methods.some((m) => LOCAL_SECOND_FACTORS.includes(m) || isPasskey(m)) || (methods.includes('fed') && methods.includes('upstream-mfa'));
}

export interface AuthenticationResult {
  acr: Acr;
  amr: string[];
}

/**
 * The acr and amr of a sign-in from the methods it completed (in any order, repeats allowed).
 * A first factor is a password or a federated sign-in; the second is a local factor, or for a
 * federated sign-in the upstream's own multi-factor authentication when the tenant counts it.
 */
export function authenticationResult(methods: readonly AuthMethod[]): AuthenticationResult {
  if (methods.length === 0) throw new TypeError('authenticationResult: no completed method');
  for (const m of methods) {
    if (!Object.hasOwn(AMR_OF, m)) throw new TypeError(`authenticationResult: unknown method ${JSON.stringify(m)}`);
  }
  const passkey = methods.some(isPasskey);
  const values = new Set([...methods.map((m) => AMR_OF[m]), ...(passkey ? ['user'] : [])]);
  const amr = AMR_ORDER.filter((v) => values.has(v));
  if (passkey) return { acr: PHR_ACR, amr: [...amr, 'mfa'] };
  const firstFactor = methods.includes('pwd') || methods.includes('fed');
  const secondFactor = secondFactorCompleted(methods);
  return firstFactor && secondFactor ? { acr: MFA_ACR, amr: [...amr, 'mfa'] } : { acr: PWD_ACR, amr };
}

/**
 * What an authorization request asks of the authentication, in two separate questions:
 * - the level (step-up): an mfa acr in acr_values or in an essential acr claim. It always gets a
 *   second factor, whatever the tenant's mode, the network or a remembered device.
 * - freshness (re-authentication): max_age of any value, or prompt=login (which oidc-provider
 *   makes of max_age=0). The user proves now every factor this sign-in needs, so a remembered
 *   device, whose second factor was proven in an earlier sign-in, never stands in for one. It
 *   does not raise the level: where the tenant's rules let a password suffice, a fresh password
 *   is a fresh authentication at the password level.
 */
export interface StepUpRequest {
  /** the request's acr_values, split on spaces */
  acrValues: readonly string[];
  /** the values of an essential acr claim, if the request has one */
  essentialAcr?: readonly string[];
  /** max_age or prompt=login: an authentication made now */
  reauthentication: boolean;
}

export type StepUpReason = 'step-up-acr' | 'step-up-phr';

/**
 * Why a request demands a second factor (empty: it does not): the mfa acr, or the phishing-resistant
 * one, which asks for a passkey. Unknown acr values are ignored.
 */
export function stepUpReasons(request: StepUpRequest): StepUpReason[] {
  const asked = [...request.acrValues, ...(request.essentialAcr ?? [])];
  // a request that accepts the mfa level is satisfied by it, even if it names the higher one too
  if (asked.includes(MFA_ACR)) return ['step-up-acr'];
  return asked.includes(PHR_ACR) ? ['step-up-phr'] : [];
}

export function stepUpRequested(request: StepUpRequest): boolean {
  return stepUpReasons(request).length > 0;
}

/** The request's demands, read from its authorization parameters as oidc-provider keeps them. */
export function stepUpRequestOf(params: Record<string, unknown>): StepUpRequest {
  const acrValues = typeof params.acr_values === 'string' ? params.acr_values.split(' ').filter(Boolean) : [];
  let essentialAcr: string[] | undefined;
  if (typeof params.claims === 'string') {
    try {
      const acr = (JSON.parse(params.claims) as { id_token?: { acr?: { essential?: boolean; value?: unknown; values?: unknown } } }).id_token?.acr;
      if (acr?.essential) essentialAcr = [acr.value, ...(Array.isArray(acr.values) ? acr.values : [])].filter((v): v is string => typeof v === 'string');
    } catch {
      /* oidc-provider has already refused malformed claims */
    }
  }
  const prompts = typeof params.prompt === 'string' ? params.prompt.split(' ') : [];
  const reauthentication = params.max_age !== undefined || prompts.includes('login');
  return { acrValues, ...(essentialAcr ? { essentialAcr } : {}), reauthentication };
}

/**
 * Whether an existing session's acr is enough for the request, so no new sign-in is needed.
 * A step-up request is satisfied only by a session at its level or above (mfa: mfa or phr; phr:
 * phr, or mfa where the tenant offers no passkeys); freshness (max_age, prompt=login) is
 * oidc-provider's check (auth_time), not this one's.
 */
export function acrSatisfied(sessionAcr: string | undefined, request: StepUpRequest, tenant: { passkeysOffered: boolean }): boolean {
  const reasons = stepUpReasons(request);
  // a tenant without passkeys answers the phishing-resistant level at mfa (decideSecondFactor): so does this check
  if (reasons.includes('step-up-phr') && tenant.passkeysOffered) return sessionAcr === PHR_ACR;
  return reasons.length === 0 || sessionAcr === MFA_ACR || sessionAcr === PHR_ACR;
}
