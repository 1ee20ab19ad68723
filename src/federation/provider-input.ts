import { z } from 'zod';
import { USER_ROLES } from '../store/entities/user.ts';

/**
 * What an admin sends to add or change an upstream provider (admin API and CLI share it).
 * The issuer's scheme is checked against the deployment (https only, unless
 * FEDERATION_ALLOW_HTTP outside production) by the provider service, which knows the settings.
 */
const domain = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a domain name such as corp.example');

const httpUrl = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .refine((v) => {
      try {
        const url = new URL(v);
        return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password && !url.hash && !v.includes('#');
      } catch {
        return false;
      }
    }, 'must be an absolute http(s) URL without credentials or fragment');

const claimValues = z
  .array(z.string().trim().min(1).max(255))
  .max(20)
  .refine((v) => new Set(v).size === v.length, 'list each value once');

/** the fields of a provider, each once: creation adds the slug and defaults, a change takes any subset */
const fields = {
  label: z.string().trim().min(1).max(100).describe('the button says "Sign in with <label>"'),
  logoUrl: httpUrl(2048).nullable().describe('https URL of a small logo for the button'),
  issuer: httpUrl(2048).describe('issuer identifier; discovery at <issuer>/.well-known/openid-configuration'),
  clientId: z.string().trim().min(1).max(255),
  clientSecret: z.string().min(1).max(1024).describe('write-only: stored sealed, never returned'),
  scopes: z
    .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,64}$/, 'not a valid scope'))
    .max(20)
    .transform((s) => ['openid', ...new Set(s.filter((x) => x !== 'openid'))])
    .refine((s) => s.join(' ').length <= 512, 'at most 512 characters in all')
    .describe('scopes asked of the provider; openid is always included'),
  domains: z
    .array(domain)
    .max(50)
    .refine((d) => new Set(d).size === d.length, 'list each domain once')
    .describe('email domains sent to this provider (home realm discovery); a domain belongs to at most one provider of the tenant'),
  exclusive: z.boolean().describe('for its domains the provider is the only way in: passwords are refused'),
  provisionRole: z.enum(USER_ROLES).nullable().describe('role of users created on their first sign-in; null: only existing users may link'),
  mfaAmr: claimValues.describe("upstream amr values that count as the second factor, such as ['mfa','otp','hwk']; empty: none"),
  mfaAcr: claimValues.describe('upstream acr values that count as the second factor; empty: none'),
};

const exclusiveNeedsDomains = { message: 'an exclusive provider needs at least one domain', path: ['exclusive'] };

export const providerFieldsSchema = z
  .object({
    ...fields,
    slug: z
      .string()
      .trim()
      .toLowerCase()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'letters, digits and dashes, at most 63 characters')
      .describe('short name, unique in the tenant'),
    logoUrl: fields.logoUrl.default(null),
    scopes: fields.scopes.default(['openid', 'email', 'profile']),
    domains: fields.domains.default([]),
    exclusive: fields.exclusive.default(false),
    provisionRole: fields.provisionRole.default(null),
    mfaAmr: fields.mfaAmr.default([]),
    mfaAcr: fields.mfaAcr.default([]),
  })
  .strict()
  .refine((p) => !p.exclusive || p.domains.length > 0, exclusiveNeedsDomains);

export type ProviderFields = z.output<typeof providerFieldsSchema>;

/** a change: any field but the slug; a new secret replaces the sealed one */
export const providerChangeSchema = z.object(fields).partial().strict();

export type ProviderChange = z.output<typeof providerChangeSchema>;
