import { defineEntity, p } from '@mikro-orm/core';
import { TenantEntity } from './tenant.ts';

/** Registered OIDC client metadata, in oidc-provider's snake_case names. */
export interface ClientMetadata {
  redirect_uris: string[];
  post_logout_redirect_uris?: string[];
  grant_types: string[];
  response_types: string[];
  token_endpoint_auth_method: string;
  backchannel_logout_uri?: string;
  backchannel_logout_session_required?: boolean;
  [key: string]: unknown;
}

export const ClientEntity = defineEntity({
  name: 'Client',
  tableName: 'clients',
  properties: {
    id: p.string().length(64).primary(),
    tenant: () => p.manyToOne(TenantEntity).deleteRule('cascade'),
    name: p.string().length(200),
    /** sealed with KEY_ENCRYPTION_KEY; null for public clients */
    secretSealed: p.text().nullable(),
    firstParty: p.boolean().default(true),
    metadata: p.json<ClientMetadata>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p
      .datetime()
      .onCreate(() => new Date())
      .onUpdate(() => new Date()),
  },
});
