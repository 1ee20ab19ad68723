import { tenantPolicySchema, type TenantPolicy, type TenantPolicyOverrides } from './tenant-policy.ts';

/**
 * Three common account-security setups, ready to apply. A preset holds only the overrides its
 * setup calls for; everything else keeps the default. Apply one with
 * `latchkey tenant set-policy`; the tenant's own allowlist still has to be filled in.
 */
export const PRESET_NAMES = ['ip-allowlist', 'email-always', 'optional-passphrase'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

export interface PolicyPreset {
  name: PresetName;
  description: string;
  overrides: TenantPolicyOverrides;
}

export const POLICY_PRESETS: Readonly<Record<PresetName, PolicyPreset>> = {
  // 2FA only from unknown IPs, by authenticator app or SMS/callback;
  // devices remembered 14 days from any IP; passwords expire after 90 days, no reuse.
  'ip-allowlist': {
    name: 'ip-allowlist',
    description:
      'Password suffices inside the IP allowlist; elsewhere an authenticator app, SMS or voice code; devices remembered 14 days from any IP; passwords expire after 90 days.',
    overrides: {
      password: { maxAgeDays: 90, historyCount: 5 },
      lockout: { lockMinutes: 10 },
      mfa: { mode: 'outside-allowlist', factors: ['totp', 'sms', 'voice'], phoneCodeMinutes: 5 },
      devices: { trustDays: 14, binding: 'browser' },
    },
  },
  // 2FA on every sign-in by an emailed code; a trusted device is the
  // browser plus its IP; 2FA again when the last one is over 30 days old even on a trusted
  // device; an email for every sign-in from an untrusted device. Trusted devices are kept
  // until revoked, so trust outlasts the re-check: the re-check, not expiry, brings the code back.
  'email-always': {
    name: 'email-always',
    description: 'An emailed code on every sign-in; browser+IP devices skip it until the last code is 30 days old; new-device emails.',
    overrides: {
      mfa: { mode: 'always', factors: ['email'], emailCodeMinutes: 10 },
      devices: { trustDays: 365, recheckDays: 30, binding: 'browser+ip', newDeviceEmail: true },
    },
  },
  // Optional 2FA by authenticator app; 30-character passphrases advised, not required.
  'optional-passphrase': {
    name: 'optional-passphrase',
    description: 'Two-factor by authenticator app for users who enrol; passphrases of 30 characters advised.',
    overrides: {
      password: { recommendedLength: 30 },
      mfa: { mode: 'optional', factors: ['totp'] },
    },
  },
};

export function isPresetName(name: string): name is PresetName {
  return (PRESET_NAMES as readonly string[]).includes(name);
}

/** The full policy a preset gives a tenant with no other overrides. */
export function presetPolicy(name: PresetName): TenantPolicy {
  return tenantPolicySchema.parse(POLICY_PRESETS[name].overrides);
}
