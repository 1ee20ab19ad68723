import { defineEntity, p } from '@mikro-orm/core';
import { UserEntity } from './user.ts';

/** Hashes of a user's previous passwords, for the no-reuse rule. */
export const PasswordHistoryEntity = defineEntity({
  name: 'PasswordHistory',
  tableName: 'password_history',
  indexes: [{ properties: ['user', 'createdAt'] }],
  properties: {
    id: p.uuid().primary(),
    user: () => p.manyToOne(UserEntity).deleteRule('cascade'),
    hash: p.text(),
    createdAt: p.datetime(),
  },
});
