import { defineEntity, p } from '@mikro-orm/core';
import { UserEntity } from './user.ts';
import { UpstreamProviderEntity } from './upstream-provider.ts';

/**
 * A local user's identity at an upstream provider: (provider, issuer, subject). The issuer is
 * kept so that an identity linked under one issuer never matches after the provider is pointed
 * at another. Removing the provider or the user removes its links.
 */
export const FederatedIdentityEntity = defineEntity({
  name: 'FederatedIdentity',
  tableName: 'federated_identities',
  uniques: [{ properties: ['provider', 'issuer', 'subject'] }],
  indexes: [{ properties: ['user'] }],
  properties: {
    id: p.uuid().primary(),
    user: () => p.manyToOne(UserEntity).deleteRule('cascade'),
    provider: () => p.manyToOne(UpstreamProviderEntity).deleteRule('cascade'),
    issuer: p.string().length(2048),
    subject: p.string().length(255),
    /** the upstream's verified email when linked, to show the user which account it is */
    email: p.string().length(320).nullable(),
    createdAt: p.datetime(),
    lastUsedAt: p.datetime().nullable(),
  },
});
