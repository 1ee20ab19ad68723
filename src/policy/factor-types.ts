/**
 * The kinds of second factor: the only list of factor types. The tenant policy schema, the
 * entities, the CLI flags, the admin API, the console, the views and the metrics take the list
 * from here, and each type has one implementation in src/factors/ behind the Factor interface.
 * Listed in the order a sign-in offers them when the user has no preference (authenticator app
 * first: it needs no network and no phone line).
 */
export const FACTOR_TYPES = ['totp', 'email', 'sms', 'voice'] as const;
export type FactorType = (typeof FACTOR_TYPES)[number];

export interface FactorKind {
  /** the RFC 8176 authentication method a proof of it earns */
  amr: 'otp' | 'sms' | 'tel';
  /** how its proof reaches the user: an app they hold, their account email, their phone */
  delivery: 'app' | 'email' | 'phone';
  /** bound to the origin it signs in to, so a look-alike site cannot relay it */
  phishingResistant: boolean;
}

export const FACTOR_KINDS: Readonly<Record<FactorType, FactorKind>> = {
  totp: { amr: 'otp', delivery: 'app', phishingResistant: false },
  email: { amr: 'otp', delivery: 'email', phishingResistant: false },
  sms: { amr: 'sms', delivery: 'phone', phishingResistant: false },
  voice: { amr: 'tel', delivery: 'phone', phishingResistant: false },
};

/** a factor whose proof is a code we send (email, SMS, a call), rather than one the user's app makes */
export type CodeFactorType = Exclude<FactorType, 'totp'>;
export function isCodeFactor(type: string): type is CodeFactorType {
  return (FACTOR_TYPES as readonly string[]).includes(type) && FACTOR_KINDS[type as FactorType].delivery !== 'app';
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
