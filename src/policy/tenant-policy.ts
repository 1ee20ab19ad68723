import { z } from 'zod';
import { allowlistEntryProblem } from './ip-rules.ts';
import { isCountryCode } from './country-codes.ts';
import { DEFAULT_ALLOWED_FACTORS, FACTOR_TYPES } from './factor-types.ts';

/**
 * A tenant's security policy. Stored as the tenant's overrides; every field has a default,
 * so an empty object is the default policy. Pure data: no I/O here.
 */
export const CHARACTER_CLASSES = ['lowercase', 'uppercase', 'digit', 'symbol'] as const;
export type CharacterClass = (typeof CHARACTER_CLASSES)[number];
export const MFA_MODES = ['always', 'outside-allowlist', 'optional'] as const;
export type MfaMode = (typeof MFA_MODES)[number];
// the factor types are listed once, in src/policy/factor-types.ts
export { FACTOR_TYPES, type FactorType } from './factor-types.ts';
/** roles a tenant can hold to passkeys (members sign in as the tenant's mode says) */
export const PASSKEY_ROLES = ['owner', 'admin'] as const;
export type PasskeyRole = (typeof PASSKEY_ROLES)[number];
export const DEVICE_BINDINGS = ['browser', 'browser+ip'] as const;
export type DeviceBinding = (typeof DEVICE_BINDINGS)[number];

export const passwordPolicySchema = z
  .object({
    /** null: NIST SP 800-63B-4 defaults (15 when the password is the only factor, 8 with 2FA always) */
    minLength: z.number().int().min(8).max(256).nullable().default(null),
    /** advice only (e.g. 30-character passphrases); null: the advice names the minimum */
    recommendedLength: z.number().int().min(8).max(256).nullable().default(null),
    maxLength: z.number().int().min(128).max(1024).default(256),
    requiredClasses: z.array(z.enum(CHARACTER_CLASSES)).max(4).default([]),
    /** zxcvbn score 0-4 */
    minStrength: z.number().int().min(0).max(4).default(3),
    rejectCommon: z.boolean().default(true),
    historyCount: z.number().int().min(0).max(24).default(5),
    /** 0: passwords never expire (NIST); the ip-allowlist preset sets 90 */
    maxAgeDays: z.number().int().min(0).max(3650).default(0),
    /** with maxAgeDays: the daily job warns the user this many days before the password expires, once each; empty: never */
    expiryWarningDays: z
      .array(z.number().int().min(1).max(365))
      .max(10, 'at most 10 warnings')
      .refine((d) => new Set(d).size === d.length, 'list each number of days once')
      .default(() => [14, 3]),
    resetLinkMinutes: z.number().int().min(5).max(1440).default(60),
    /** forgot-password emails to one address per hour (requests beyond it get the same page, and no email) */
    resetEmailsPerAddressPerHour: z.number().int().min(1).max(60).default(3),
    /** forgot-password requests from one client IP per hour, whatever the addresses */
    resetRequestsPerIpPerHour: z.number().int().min(1).max(100_000).default(20),
  })
  .strict();

export const lockoutPolicySchema = z
  .object({
    maxFailures: z.number().int().min(1).max(100).default(5),
    windowMinutes: z.number().int().min(1).max(1440).default(15),
    lockMinutes: z.number().int().min(1).max(10080).default(10),
    /** failed passwords from one IP across all accounts in the window before it is throttled */
    ipMaxFailures: z.number().int().min(5).max(100000).default(50),
  })
  .strict();

const COUNTRY_LIST_MAX = 250;
const phoneCountry = z
  .string()
  .trim()
  .toUpperCase()
  .refine(isCountryCode, {
    error: (issue) => `"${String(issue.input)}" is not an ISO 3166-1 alpha-2 country code (such as GB, US or DE)`,
  });

export const mfaPolicySchema = z
  .object({
    mode: z.enum(MFA_MODES).default('optional'),
    factors: z
      .array(z.enum(FACTOR_TYPES))
      .min(1, 'allow at least one factor')
      .max(FACTOR_TYPES.length)
      .refine((f) => new Set(f).size === f.length, 'list each factor once')
      .default(() => [...DEFAULT_ALLOWED_FACTORS]),
    emailCodeMinutes: z.number().int().min(1).max(60).default(10),
    /** SMS and voice-callback codes */
    phoneCodeMinutes: z.number().int().min(1).max(30).default(5),
    /** wrong codes that void one challenge */
    codeMaxAttempts: z.number().int().min(1).max(20).default(5),
    /** wrong codes per user across parallel sign-ins within codeFailureWindowMinutes */
    userCodeFailures: z.number().int().min(1).max(100).default(10),
    codeFailureWindowMinutes: z.number().int().min(1).max(1440).default(15),
    resendIntervalSeconds: z.number().int().min(5).max(3600).default(30),
    sendsPerHour: z.number().int().min(1).max(60).default(5),
    /** toll-fraud guards for SMS and voice */
    phoneSendsPerNumberPerHour: z.number().int().min(1).max(60).default(5),
    phoneSendsPerTenantPerHour: z.number().int().min(1).max(100_000).default(200),
    /** per client IP (an IPv6 client's /64) and per number prefix (the number without its last 4 digits) */
    phoneSendsPerIpPerHour: z.number().int().min(1).max(10_000).default(20),
    phoneSendsPerPrefixPerHour: z.number().int().min(1).max(10_000).default(20),
    /** ISO 3166-1 alpha-2 codes of the countries whose numbers may get SMS and calls; empty: any country */
    phoneCountries: z
      .array(phoneCountry)
      .max(COUNTRY_LIST_MAX)
      .refine((c) => new Set(c).size === c.length, 'list each country once')
      .default(() => []),
    recoveryCodeCount: z.number().int().min(5).max(50).default(10),
    /** the roles whose members sign in with a passkey as their second factor, and enrol one if they have none */
    passkeyRoles: z
      .array(z.enum(PASSKEY_ROLES))
      .refine((r) => new Set(r).size === r.length, 'list each role once')
      .default(() => []),
  })
  .strict()
  .refine((m) => m.passkeyRoles.length === 0 || m.factors.includes('passkey'), {
    message: 'passkeyRoles needs passkey among the allowed factors',
    path: ['passkeyRoles'],
  });

/** Remembered devices (issue 5 acts on these; defined here so set-policy covers them). */
export const devicePolicySchema = z
  .object({
    trustDays: z.number().int().min(1).max(365).default(14),
    /** 2FA again when the user's last 2FA is older than this, even on a remembered device */
    recheckDays: z.number().int().min(1).max(365).default(30),
    binding: z.enum(DEVICE_BINDINGS).default('browser'),
    newDeviceEmail: z.boolean().default(true),
  })
  .strict();

const allowlistEntry = z
  .string()
  .trim()
  .superRefine((entry, ctx) => {
    const problem = allowlistEntryProblem(entry);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const networkPolicySchema = z
  .object({
    allowlist: z
      .array(allowlistEntry)
      .max(500, 'at most 500 allowlist entries')
      .default(() => []),
    /** deny sign-in from outside the allowlist */
    strict: z.boolean().default(false),
  })
  .strict()
  .refine((n) => !n.strict || n.allowlist.length > 0, {
    message: 'strict mode needs a non-empty allowlist (it would refuse every sign-in)',
    path: ['strict'],
  });

/** Account lifecycle: invitations and automatic deactivation. */
export const lifecyclePolicySchema = z
  .object({
    /** validity of invitation and email-verification links */
    invitationHours: z.number().int().min(1).max(720).default(72),
    /** deactivate users with no sign-in for this many days (data kept); 0: never */
    inactivityDays: z.number().int().min(0).max(3650).default(180),
    /** with inactivityDays: the daily job warns the user this many days before the deactivation, once; 0: never */
    inactivityWarningDays: z.number().int().min(0).max(365).default(14),
  })
  .strict();

export const tenantPolicySchema = z
  .object({
    password: passwordPolicySchema.default(() => passwordPolicySchema.parse({})),
    lockout: lockoutPolicySchema.default(() => lockoutPolicySchema.parse({})),
    mfa: mfaPolicySchema.default(() => mfaPolicySchema.parse({})),
    devices: devicePolicySchema.default(() => devicePolicySchema.parse({})),
    network: networkPolicySchema.default(() => networkPolicySchema.parse({})),
    lifecycle: lifecyclePolicySchema.default(() => lifecyclePolicySchema.parse({})),
  })
  .strict();

export type TenantPolicy = z.infer<typeof tenantPolicySchema>;
export type PasswordPolicy = TenantPolicy['password'];
export type LockoutPolicy = TenantPolicy['lockout'];
export type MfaPolicy = TenantPolicy['mfa'];
export type DevicePolicy = TenantPolicy['devices'];
export type NetworkPolicy = TenantPolicy['network'];
export type LifecyclePolicy = TenantPolicy['lifecycle'];
/** what a tenant stores and presets hold: any subset, defaults fill the rest */
export type TenantPolicyOverrides = z.input<typeof tenantPolicySchema>;

export const defaultTenantPolicy = (): TenantPolicy => tenantPolicySchema.parse({});

/** the stored overrides merged over the defaults, validated */
export function effectivePolicy(stored: unknown): TenantPolicy {
  return tenantPolicySchema.parse(stored ?? {});
}
