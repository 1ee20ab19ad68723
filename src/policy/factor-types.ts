/**
 * The kinds of second factor: the only list of factor types. The tenant policy schema, the
 * entities, the CLI flags, the admin API, the console, the views and the metrics take the list
 * from here, and each type has one implementation in src/factors/ behind the Factor interface.
 * Listed in the order a sign-in offers them when the user has no preference: a passkey first (it
 * resists phishing), then the authenticator app (it needs no network and no phone line).
 */
export const FACTOR_TYPES = ['passkey', 'totp', 'email', 'sms', 'voice'] as const;
export type FactorType = (typeof FACTOR_TYPES)[number];
/**
 * What a tenant allows unless its policy says otherwise. Passkeys are the tenant's choice to
 * add (`mfa.factors`): a policy stored before them keeps its list, and a new one starts alike.
 */
export const DEFAULT_ALLOWED_FACTORS: readonly FactorType[] = FACTOR_TYPES.filter((f) => f !== 'passkey');

export interface FactorKind {
  /**
   * the RFC 8176 authentication method a proof of it earns (a passkey: hwk, or swk when its key
   * is synced between devices; src/policy/authentication-context.ts)
   */
  amr: 'hwk' | 'otp' | 'sms' | 'tel';
  /** how its proof is made: a key the user's device holds, an app they hold, their account email, their phone */
  delivery: 'authenticator' | 'app' | 'email' | 'phone';
  /** bound to the origin it signs in to, so a look-alike site cannot relay it */
  phishingResistant: boolean;
}

export const FACTOR_KINDS: Readonly<Record<FactorType, FactorKind>> = {
  passkey: { amr: 'hwk', delivery: 'authenticator', phishingResistant: true },
  totp: { amr: 'otp', delivery: 'app', phishingResistant: false },
  email: { amr: 'otp', delivery: 'email', phishingResistant: false },
  sms: { amr: 'sms', delivery: 'phone', phishingResistant: false },
  voice: { amr: 'tel', delivery: 'phone', phishingResistant: false },
};

/** a factor whose proof is a code we send (email, SMS, a call), rather than one the user's app makes */
export type CodeFactorType = Exclude<FactorType, 'totp' | 'passkey'>;
export function isCodeFactor(type: string): type is CodeFactorType {
  if (!(FACTOR_TYPES as readonly string[]).includes(type)) return false;
  const { delivery } = FACTOR_KINDS[type as FactorType];
  return delivery === 'email' || delivery === 'phone';
}

/** a factor whose code goes to the user's phone: it needs a phone transport (Twilio) */
export function isPhoneFactor(type: string): type is 'sms' | 'voice' {
  return (FACTOR_TYPES as readonly string[]).includes(type) && FACTOR_KINDS[type as FactorType].delivery === 'phone';
}

export function isFactorType(value: unknown): value is FactorType {
  return typeof value === 'string' && (FACTOR_TYPES as readonly string[]).includes(value);
}

/**
 * One-time recovery codes: the backup every user with a factor holds. Not a type a tenant
 * allows or a user enrols; a proof at sign-in like any factor (amr otp).
 */
export const RECOVERY_CODE = 'recovery';
/** what a second-factor proof at sign-in can be: a factor, or a recovery code */
export const SECOND_FACTOR_METHODS = [...FACTOR_TYPES, RECOVERY_CODE] as const;
export type SecondFactorMethod = (typeof SECOND_FACTOR_METHODS)[number];
