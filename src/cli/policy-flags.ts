import { z } from 'zod';
import { AppError } from '../lib/errors.ts';
import { defaultTenantPolicy, tenantPolicySchema, type TenantPolicy } from '../policy/tenant-policy.ts';

/**
 * The flags of `latchkey tenant set-policy`: one per field of the tenant policy schema. Only the
 * names and help texts are written here; what a flag accepts (range, choices, list or not) and its
 * default are read from the schema, so they cannot disagree with it.
 */
export type PolicySection = keyof TenantPolicy;

interface FlagNaming {
  readonly flag: string;
  readonly aliases?: readonly string[];
  readonly help: string;
  /** how to show a null default, which the schema cannot explain */
  readonly nullMeans?: string;
}

// Typed over the schema: a field added to a section without a flag here does not compile.
const NAMING: { readonly [S in PolicySection]: { readonly [F in keyof TenantPolicy[S]]-?: FlagNaming } } = {
  password: {
    minLength: { flag: 'password-min-length', help: 'shortest password', nullMeans: 'NIST: 15, or 8 with mfa mode always' },
    recommendedLength: { flag: 'password-recommended-length', help: 'length the forms advise, not required', nullMeans: 'the minimum' },
    maxLength: { flag: 'password-max-length', help: 'longest password' },
    requiredClasses: { flag: 'password-classes', help: "required character classes; '' clears" },
    minStrength: { flag: 'password-min-strength', help: 'lowest zxcvbn score' },
    rejectCommon: { flag: 'password-reject-common', help: 'refuse common and breached passwords' },
    historyCount: { flag: 'password-history', help: 'recent passwords that may not be reused' },
    maxAgeDays: { flag: 'password-max-age-days', help: 'days before a password must change; 0 never' },
    expiryWarningDays: { flag: 'password-expiry-warning-days', help: "days before the expiry the user is warned, each once; '' never" },
    resetLinkMinutes: { flag: 'reset-link-minutes', help: 'validity of password reset links' },
    resetEmailsPerAddressPerHour: { flag: 'reset-emails-per-address-per-hour', help: 'forgot-password emails to one address per hour' },
    resetRequestsPerIpPerHour: { flag: 'reset-requests-per-ip-per-hour', help: 'forgot-password requests from one IP per hour' },
  },
  lockout: {
    maxFailures: { flag: 'lockout-max-failures', help: 'wrong passwords in the window that lock the account' },
    windowMinutes: { flag: 'lockout-window-minutes', help: 'the counting window' },
    lockMinutes: { flag: 'lockout-minutes', help: 'how long a lock lasts' },
    ipMaxFailures: { flag: 'lockout-ip-max-failures', help: 'failures from one IP in the window before it is throttled' },
  },
  mfa: {
    mode: { flag: 'mfa-mode', help: 'when a second factor is required' },
    factors: { flag: 'mfa-factors', help: 'factors users may enrol and use' },
    emailCodeMinutes: { flag: 'email-code-minutes', help: 'validity of an emailed code' },
    phoneCodeMinutes: { flag: 'phone-code-minutes', help: 'validity of an SMS or voice code' },
    codeMaxAttempts: { flag: 'code-max-attempts', help: 'wrong codes that void a challenge' },
    userCodeFailures: { flag: 'user-code-failures', help: 'wrong codes per user in the failure window' },
    codeFailureWindowMinutes: { flag: 'code-failure-window-minutes', help: 'the window of --user-code-failures' },
    resendIntervalSeconds: { flag: 'resend-interval-seconds', help: 'shortest time between two codes' },
    sendsPerHour: { flag: 'sends-per-hour', help: 'codes sent per user per hour' },
    phoneSendsPerNumberPerHour: { flag: 'phone-sends-per-number-per-hour', help: 'SMS and calls per number per hour' },
    phoneSendsPerTenantPerHour: { flag: 'phone-sends-per-tenant-per-hour', help: 'SMS and calls per tenant per hour' },
    phoneSendsPerIpPerHour: { flag: 'phone-sends-per-ip-per-hour', help: 'SMS and calls asked from one client IP (an IPv6 /64) per hour' },
    phoneSendsPerPrefixPerHour: {
      flag: 'phone-sends-per-prefix-per-hour',
      help: 'SMS and calls per number block (the number without its last 4 digits) per hour',
    },
    phoneCountries: { flag: 'phone-countries', help: "ISO 3166-1 alpha-2 codes of countries whose numbers may get SMS and calls; '' allows any" },
    recoveryCodeCount: { flag: 'recovery-code-count', help: 'recovery codes generated at a time' },
    passkeyRoles: { flag: 'passkey-roles', help: "roles (owner, admin) that sign in with a passkey as their second factor; '' for none" },
  },
  devices: {
    trustDays: { flag: 'trust-days', help: 'days a remembered device skips 2FA' },
    recheckDays: { flag: 'recheck-days', help: '2FA again when the last one is older than this' },
    binding: { flag: 'device-binding', help: 'what a remembered device is bound to' },
    newDeviceEmail: { flag: 'new-device-email', help: 'email the user after a sign-in from a new device' },
  },
  network: {
    allowlist: { flag: 'network-allowlist', aliases: ['allowlist'], help: "comma-separated IPv4/IPv6 addresses and CIDR ranges; '' clears" },
    strict: { flag: 'network-strict', help: 'deny sign-in from outside the allowlist' },
  },
  lifecycle: {
    invitationHours: { flag: 'invitation-hours', help: 'validity of invitation and email-verification links' },
    inactivityDays: { flag: 'inactivity-days', help: 'deactivate users with no sign-in for this long; 0 never' },
    inactivityWarningDays: { flag: 'inactivity-warning-days', help: 'days before that deactivation the user is warned; 0 never' },
  },
};

/** What a flag takes, read from the field's schema. */
export type FlagValue =
  | { readonly kind: 'int'; readonly min: number; readonly max: number; readonly nullable: boolean }
  | { readonly kind: 'bool' }
  | { readonly kind: 'enum'; readonly choices: readonly string[] }
  /** comma-separated; choices when the items are an enum, range when they are whole numbers, else free text the schema checks */
  | { readonly kind: 'list'; readonly choices?: readonly string[]; readonly range?: { readonly min: number; readonly max: number } };

export interface PolicyFlag extends FlagNaming {
  readonly section: PolicySection;
  readonly field: string;
  readonly value: FlagValue;
  readonly default: unknown;
  /** the field's own schema, the final judge of a parsed value */
  readonly schema: z.ZodType;
}

function flagValueOf(schema: z.ZodType, where: string): FlagValue {
  let inner: z.ZodType = schema instanceof z.ZodDefault ? (schema.unwrap() as z.ZodType) : schema;
  const nullable = inner instanceof z.ZodNullable;
  if (inner instanceof z.ZodNullable) inner = inner.unwrap() as z.ZodType;
  if (inner instanceof z.ZodNumber && inner.isInt && inner.minValue !== null && inner.maxValue !== null) {
    return { kind: 'int', min: inner.minValue, max: inner.maxValue, nullable };
  }
  if (inner instanceof z.ZodBoolean) return { kind: 'bool' };
  if (inner instanceof z.ZodEnum) return { kind: 'enum', choices: inner.options as string[] };
  if (inner instanceof z.ZodArray) {
    const item = inner.element as z.ZodType;
    if (item instanceof z.ZodEnum) return { kind: 'list', choices: item.options as string[] };
    if (item instanceof z.ZodString) return { kind: 'list' };
    if (item instanceof z.ZodNumber && item.isInt && item.minValue !== null && item.maxValue !== null) {
      return { kind: 'list', range: { min: item.minValue, max: item.maxValue } };
    }
  }
  throw new Error(`policy flag for ${where}: no parser for this schema type; add one in src/cli/policy-flags.ts`);
}

type SectionShapes = Record<PolicySection, z.ZodDefault<z.ZodObject>>;

export const POLICY_FLAGS: readonly PolicyFlag[] = (() => {
  const defaults = defaultTenantPolicy() as unknown as Record<string, Record<string, unknown>>;
  const sections = tenantPolicySchema.shape as unknown as SectionShapes;
  return (Object.keys(NAMING) as PolicySection[]).flatMap((section) => {
    const shape = sections[section].unwrap().shape as Record<string, z.ZodType>;
    return Object.entries(NAMING[section] as Record<string, FlagNaming>).map(([field, naming]) => {
      const schema = shape[field];
      if (!schema) throw new Error(`policy flag --${naming.flag}: ${section}.${field} is not in the schema`);
      return { ...naming, section, field, schema, value: flagValueOf(schema, `${section}.${field}`), default: defaults[section]?.[field] };
    });
  });
})();

/** a refused command-line value: the CLI exits with code 2 and changes nothing */
export const usageError = (message: string) => new AppError(400, 'cli.invalid_option', message);

/** The accepted values in a few words, as usage, errors and docs show them. */
export function allowedValues(flag: PolicyFlag): string {
  const v = flag.value;
  switch (v.kind) {
    case 'int':
      return `${v.min}-${v.max}${v.nullable ? '|default' : ''}`;
    case 'bool':
      return 'true|false';
    case 'enum':
      return v.choices.join('|');
    case 'list':
      if (v.range) return `comma-separated whole numbers, each ${v.range.min}-${v.range.max}`;
      return v.choices ? `any of ${v.choices.join(',')}` : 'comma-separated list';
  }
}

export function defaultText(flag: PolicyFlag): string {
  const d = flag.default;
  if (d === null) return flag.nullMeans ?? 'none';
  if (Array.isArray(d)) return d.length ? d.join(',') : 'none';
  return String(d);
}

const listItems = (raw: string | readonly string[]) =>
  (typeof raw === 'string' ? [raw] : raw)
    .flatMap((r) => r.split(','))
    .map((s) => s.trim())
    .filter(Boolean);

/** Parses one flag's text into the field's value; `given` is the name the user typed (an alias, maybe). */
export function parseFlagValue(flag: PolicyFlag, raw: string | readonly string[], given = flag.flag): unknown {
  const v = flag.value;
  const text = typeof raw === 'string' ? raw.trim() : raw.join(',').trim();
  const refuse = (expected: string): never => {
    throw usageError(`--${given} must be ${expected} (got "${text.length > 60 ? `${text.slice(0, 60)}…` : text}")`);
  };
  let value: unknown;
  if (v.kind === 'int') {
    if (v.nullable && text === 'default') return null;
    const n = /^[0-9]{1,9}$/.test(text) ? Number(text) : NaN;
    if (!(n >= v.min && n <= v.max)) refuse(`a whole number from ${v.min} to ${v.max}${v.nullable ? ', or "default"' : ''}`);
    value = n;
  } else if (v.kind === 'bool') {
    if (text !== 'true' && text !== 'false') refuse('true or false');
    value = text === 'true';
  } else if (v.kind === 'enum') {
    if (!v.choices.includes(text)) refuse(`one of ${v.choices.join(', ')}`);
    value = text;
  } else {
    const items = listItems(raw);
    const choices = v.choices;
    if (choices && items.some((i) => !choices.includes(i))) refuse(`a comma-separated list of ${choices.join(', ')}`);
    const range = v.range;
    const parsed: readonly unknown[] = range ? items.map((i) => (/^[0-9]{1,9}$/.test(i) ? Number(i) : NaN)) : items;
    if (range && parsed.some((n) => !(Number(n) >= range.min && Number(n) <= range.max)))
      refuse(`a comma-separated list of whole numbers from ${range.min} to ${range.max}`);
    if (new Set(parsed).size !== parsed.length) refuse('a list naming each value once');
    value = parsed;
  }
  const checked = flag.schema.safeParse(value);
  if (!checked.success) throw usageError(`--${given}: ${checked.error.issues[0]?.message ?? 'invalid value'}`);
  return checked.data;
}

export type PolicyLayer = Record<string, Record<string, unknown>>;

/** The overrides the given flags ask for, and which flag set each `section.field`. */
export function policyFlagOverrides(values: Readonly<Record<string, unknown>>): { overrides: PolicyLayer; setBy: Map<string, string> } {
  const overrides: PolicyLayer = {};
  const setBy = new Map<string, string>();
  for (const flag of POLICY_FLAGS) {
    const given = [flag.flag, ...(flag.aliases ?? [])].filter((name) => values[name] !== undefined);
    if (!given.length) continue;
    const raws = given.flatMap((name) => values[name] as string | string[]);
    const value = parseFlagValue(flag, flag.value.kind === 'list' ? raws : raws[raws.length - 1]!, given[0]);
    overrides[flag.section] ??= {};
    overrides[flag.section]![flag.field] = value;
    setBy.set(`${flag.section}.${flag.field}`, given[0]!);
  }
  return { overrides, setBy };
}

/** Options for node:util parseArgs: every flag and alias takes a value; lists may repeat. */
export function policyFlagOptions(): Record<string, { type: 'string'; multiple?: boolean }> {
  return Object.fromEntries(
    POLICY_FLAGS.flatMap((f) =>
      [f.flag, ...(f.aliases ?? [])].map((name) => [
        name,
        f.value.kind === 'list' ? ({ type: 'string', multiple: true } as const) : ({ type: 'string' } as const),
      ]),
    ),
  );
}

/** Later layers win, field by field within a section (as the stored policy is merged). */
export function mergePolicyLayers(...layers: readonly Readonly<Record<string, unknown>>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const isObject = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
  for (const layer of layers) {
    for (const [section, value] of Object.entries(layer)) {
      const base = out[section];
      out[section] = isObject(value) && isObject(base) ? { ...base, ...value } : value;
    }
  }
  return out;
}
