import { defineEntity, p } from '@mikro-orm/core';
import { UserEntity } from './user.ts';

import type { FactorType } from '../../policy/factor-types.ts';

/** A user's second factor; pending (confirmedAt null) until its first code was verified. */
export const MfaFactorEntity = defineEntity({
  name: 'MfaFactor',
  tableName: 'mfa_factors',
  indexes: [{ properties: ['user'] }],
  properties: {
    id: p.uuid().primary(),
    user: () => p.manyToOne(UserEntity).deleteRule('cascade'),
    type: p.string().length(8).$type<FactorType>(),
    /** the name the user sees in the list of factors */
    label: p.string().length(64),
    /** TOTP only: the base32 secret sealed with KEY_ENCRYPTION_KEY, bound to this row's id */
    secretSealed: p.text().nullable(),
    /** sms and voice only, E.164 */
    phone: p.string().length(16).nullable(),
    confirmedAt: p.datetime().nullable(),
    /**
     * TOTP replay guard: the time step of the last accepted code. A 32-bit integer holds
     * 30-second steps until the year 4000.
     */
    lastUsedStep: p.integer().nullable(),
    lastUsedAt: p.datetime().nullable(),
    preferred: p.boolean().default(false),
    createdAt: p.datetime(),
  },
});
