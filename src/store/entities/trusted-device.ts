import { defineEntity, p } from '@mikro-orm/core';
import { TenantEntity } from './tenant.ts';
import { UserEntity } from './user.ts';

/**
 * A browser the user chose to remember after a second factor. The browser holds a random
 * token in a cookie; only its SHA-256 is stored, so a leaked table opens no session, and the
 * lookup by hash compares no secret in JavaScript.
 */
export const TrustedDeviceEntity = defineEntity({
  name: 'TrustedDevice',
  tableName: 'trusted_devices',
  indexes: [{ properties: ['user'] }],
  properties: {
    id: p.uuid().primary(),
    user: () => p.manyToOne(UserEntity).deleteRule('cascade'),
    tenant: () => p.manyToOne(TenantEntity).deleteRule('cascade'),
    /** hex SHA-256 of the cookie's token */
    tokenHash: p.string().length(64).unique(),
    /** the user's name for it; suggested from the user agent */
    name: p.string().length(64),
    /** browser family from the user agent, such as 'Firefox'; a cookie seen in another family is refused */
    uaFamily: p.string().length(64),
    os: p.string().length(64),
    /** the address it was remembered from */
    ip: p.string().length(64),
    lastIp: p.string().length(64),
    /** with the tenant's 'browser+ip' binding: the only address it is recognised from */
    boundIp: p.string().length(64).nullable(),
    lastUsedAt: p.datetime(),
    createdAt: p.datetime(),
    expiresAt: p.datetime(),
  },
});
