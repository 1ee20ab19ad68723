import type { Configuration } from 'oidc-provider';
import { OIDC_SCOPES, SCOPE_CLAIMS } from '../policy/claims.ts';

/** the scopes oidc-provider knows as OpenID scopes (discovery's scopes_supported) */
export const SCOPES = [...OIDC_SCOPES];

/**
 * oidc-provider's claims configuration: the claims of each scope (src/policy/claims.ts) and the
 * claims that stand alone; together they are discovery's claims_supported. acr, amr and
 * auth_time ride on the openid scope so every ID token states how the user signed in.
 */
export const CLAIMS: NonNullable<Configuration['claims']> = {
  ...Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([scope, claims]) => [scope, [...claims]])),
  acr: null,
  amr: null,
  auth_time: null,
  sid: null,
  iss: null,
};
