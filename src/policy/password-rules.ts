import type { CharacterClass, MfaMode, PasswordPolicy } from './tenant-policy.ts';

/** What the password service measured about a candidate; the policy decides on these. */
export interface PasswordFacts {
  /** length in Unicode code points, after NFKC normalisation */
  length: number;
  classes: ReadonlySet<CharacterClass>;
  /** zxcvbn score 0-4, with the user's email, names and tenant name as dictionary words */
  strength: number;
  /** on the bundled list of common and breached passwords */
  common: boolean;
  /** equal to one of the user's last `historyCount` passwords (current one included) */
  reused: boolean;
}

export type PasswordFailure =
  | { rule: 'too_short'; min: number }
  | { rule: 'too_long'; max: number }
  | { rule: 'missing_classes'; classes: CharacterClass[] }
  | { rule: 'too_weak'; min: number }
  | { rule: 'common' }
  | { rule: 'reused'; count: number };

export interface PasswordDecision {
  ok: boolean;
  failures: PasswordFailure[];
}

/** NIST SP 800-63B-4: 15 when the password is the only factor, 8 when 2FA is required on every sign-in. */
export function minimumLength(policy: PasswordPolicy, mfaMode: MfaMode): number {
  return policy.minLength ?? (mfaMode === 'always' ? 8 : 15);
}

/** Every rule that fails, in the order a person should fix them. */
export function decidePassword(policy: PasswordPolicy, mfaMode: MfaMode, facts: PasswordFacts): PasswordDecision {
  const failures: PasswordFailure[] = [];
  const min = minimumLength(policy, mfaMode);
  if (facts.length < min) failures.push({ rule: 'too_short', min });
  if (facts.length > policy.maxLength) failures.push({ rule: 'too_long', max: policy.maxLength });
  const missing = policy.requiredClasses.filter((c) => !facts.classes.has(c));
  if (missing.length) failures.push({ rule: 'missing_classes', classes: missing });
  if (policy.rejectCommon && facts.common) failures.push({ rule: 'common' });
  else if (facts.strength < policy.minStrength) failures.push({ rule: 'too_weak', min: policy.minStrength });
  if (facts.reused && policy.historyCount > 0) failures.push({ rule: 'reused', count: policy.historyCount });
  return { ok: failures.length === 0, failures };
}

/** Character classes present in a password (any other character counts as a symbol). */
export function characterClasses(password: string): Set<CharacterClass> {
  const classes = new Set<CharacterClass>();
  for (const ch of password) {
    if (/\p{Ll}/u.test(ch)) classes.add('lowercase');
    else if (/\p{Lu}/u.test(ch)) classes.add('uppercase');
    else if (/\p{Nd}/u.test(ch)) classes.add('digit');
    else if (!/\p{L}/u.test(ch)) classes.add('symbol');
  }
  return classes;
}

/** Whether a password has outlived the tenant's maximum age (0 = never). */
export function passwordExpired(policy: PasswordPolicy, changedAtMs: number, nowMs: number): boolean {
  return policy.maxAgeDays > 0 && nowMs - changedAtMs >= policy.maxAgeDays * 86_400_000;
}
