import { defineEntity, p } from '@mikro-orm/core';
import { TenantEntity } from './tenant.ts';

/**
 * An upstream OpenID Connect provider a tenant's users may sign in through (Latchkey is its
 * relying party). The client secret is sealed with KEY_ENCRYPTION_KEY and never shown again.
 * Several providers may share an issuer (say, two client registrations at one IdP).
 */
export const UpstreamProviderEntity = defineEntity({
  name: 'UpstreamProvider',
  tableName: 'upstream_providers',
  uniques: [{ properties: ['tenant', 'slug'] }],
  properties: {
    id: p.uuid().primary(),
    tenant: () => p.manyToOne(TenantEntity).deleteRule('cascade'),
    /** short name, unique in the tenant, used by the CLI and the admin API */
    slug: p.string().length(64),
    /** the button's text: "Sign in with <label>" */
    label: p.string().length(100),
    /** https URL of a small logo shown on the button (null: the label alone) */
    logoUrl: p.string().length(2048).nullable(),
    /** the issuer identifier; discovery is read from <issuer>/.well-known/openid-configuration */
    issuer: p.string().length(2048),
    clientId: p.string().length(255),
    clientSecretSealed: p.text(),
    /** space-separated, always with openid */
    scopes: p.string().length(512),
    /** lower-case email domains whose users are sent to this provider (home realm discovery) */
    domains: p.json<string[]>(),
    /** for its domains, the password form is not accepted: this provider is the only way in */
    exclusive: p.boolean().default(false),
    /** role given to a user created on first sign-in (null: no just-in-time provisioning) */
    provisionRole: p.string().length(16).nullable(),
    /** upstream amr values that count as this sign-in's second factor (empty: none does) */
    mfaAmr: p.json<string[]>(),
    /** upstream acr values that count as this sign-in's second factor (empty: none does) */
    mfaAcr: p.json<string[]>(),
    createdAt: p.datetime(),
    updatedAt: p.datetime(),
  },
});
