import { defineEntity, p } from '@mikro-orm/core';
import { TenantEntity } from './tenant.ts';
import { UserEntity } from './user.ts';

/**
 * A personal token for the admin API, `lk_<id>_<secret>`. Only the SHA-256 of the 256-bit
 * secret is kept: the id finds the row, the secret's hash is compared in constant time.
 * After a rotation the previous hash stays valid until graceUntil, so callers can roll over.
 */
export const ApiTokenEntity = defineEntity({
  name: 'ApiToken',
  tableName: 'api_tokens',
  indexes: [{ properties: ['user', 'createdAt'] }],
  properties: {
    id: p.uuid().primary(),
    user: () => p.manyToOne(UserEntity).deleteRule('cascade'),
    tenant: () => p.manyToOne(TenantEntity).deleteRule('cascade'),
    name: p.string().length(100),
    /** such as ['admin:read', 'admin:write'] */
    scopes: p.json<string[]>(),
    /** hex SHA-256 of the current secret */
    tokenHash: p.string().length(64),
    /** hex SHA-256 of the secret before the last rotation, accepted until graceUntil */
    previousHash: p.string().length(64).nullable(),
    graceUntil: p.datetime().nullable(),
    expiresAt: p.datetime(),
    createdAt: p.datetime(),
    /** written at most once a minute per token */
    lastUsedAt: p.datetime().nullable(),
    revokedAt: p.datetime().nullable(),
  },
});
