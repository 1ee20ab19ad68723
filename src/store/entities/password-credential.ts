import { defineEntity, p } from '@mikro-orm/core';
import { UserEntity } from './user.ts';

export const PasswordCredentialEntity = defineEntity({
  name: 'PasswordCredential',
  tableName: 'password_credentials',
  properties: {
    id: p.uuid().primary(),
    user: () => p.oneToOne(UserEntity).owner().unique().deleteRule('cascade'),
    /** argon2id PHC string */
    hash: p.text(),
    changedAt: p.datetime(),
  },
});
