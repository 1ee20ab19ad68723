import { defineEntity, p } from '@mikro-orm/core';
import { UserEntity } from './user.ts';

/**
 * Single-use recovery codes, stored as SHA-256 hex of the normalised code salted with the
 * user id. A fast hash is right here, unlike for passwords: a code is 10 random symbols of a
 * 32-symbol alphabet (50 bits, not a human choice), so there is no dictionary to try first;
 * an offline search of a leaked table still needs ~2^49 hashes per code, the salt keeps one
 * search from covering every user, and a code is useless without the password.
 */
export const RecoveryCodeEntity = defineEntity({
  name: 'RecoveryCode',
  tableName: 'recovery_codes',
  indexes: [{ properties: ['user'] }],
  properties: {
    id: p.uuid().primary(),
    user: () => p.manyToOne(UserEntity).deleteRule('cascade'),
    /** hex SHA-256 */
    codeHash: p.string().length(64),
    usedAt: p.datetime().nullable(),
    createdAt: p.datetime(),
  },
});
