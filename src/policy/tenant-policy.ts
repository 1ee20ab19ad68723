import { z } from 'zod';

/**
 * A tenant's security policy. Stored as the tenant's overrides; every field has a default,
 * so an empty object is the default policy. Pure data: no I/O here.
 */
export const CHARACTER_CLASSES = ['lowercase', 'uppercase', 'digit', 'symbol'] as const;
export type CharacterClass = (typeof CHARACTER_CLASSES)[number];
export const MFA_MODES = ['always', 'outside-allowlist', 'optional'] as const;
export type MfaMode = (typeof MFA_MODES)[number];

export const passwordPolicySchema = z.object({
  /** null: NIST SP 800-63B-4 defaults (15 when the password is the only factor, 8 with 2FA always) */
  minLength: z.number().int().min(8).max(256).nullable().default(null),
  maxLength: z.number().int().min(128).max(1024).default(256),
  requiredClasses: z.array(z.enum(CHARACTER_CLASSES)).max(4).default([]),
  /** zxcvbn score 0-4 */
  minStrength: z.number().int().min(0).max(4).default(3),
  rejectCommon: z.boolean().default(true),
  historyCount: z.number().int().min(0).max(24).default(5),
  /** 0: passwords never expire (NIST); the seed-001 preset sets 90 */
  maxAgeDays: z.number().int().min(0).max(3650).default(0),
  resetLinkMinutes: z.number().int().min(5).max(1440).default(60),
}).strict();

export const lockoutPolicySchema = z.object({
  maxFailures: z.number().int().min(1).max(100).default(5),
  windowMinutes: z.number().int().min(1).max(1440).default(15),
  lockMinutes: z.number().int().min(1).max(10080).default(10),
  /** failed passwords from one IP across all accounts in the window before it is throttled */
  ipMaxFailures: z.number().int().min(5).max(100000).default(50),
}).strict();

export const mfaPolicySchema = z.object({
  mode: z.enum(MFA_MODES).default('optional'),
}).strict();

export const tenantPolicySchema = z.object({
  password: passwordPolicySchema.default(() => passwordPolicySchema.parse({})),
  lockout: lockoutPolicySchema.default(() => lockoutPolicySchema.parse({})),
  mfa: mfaPolicySchema.default(() => mfaPolicySchema.parse({})),
}).strict();

export type TenantPolicy = z.infer<typeof tenantPolicySchema>;
export type PasswordPolicy = TenantPolicy['password'];
export type LockoutPolicy = TenantPolicy['lockout'];

export const defaultTenantPolicy = (): TenantPolicy => tenantPolicySchema.parse({});

/** the stored overrides merged over the defaults, validated */
export function effectivePolicy(stored: unknown): TenantPolicy {
  return tenantPolicySchema.parse(stored ?? {});
}
