import { defineEntity, p } from '@mikro-orm/core';
import { TenantEntity } from './tenant.ts';

export const USER_ROLES = ['owner', 'admin', 'member'] as const;
export type UserRole = (typeof USER_ROLES)[number];
export const USER_STATUSES = ['active', 'invited', 'deactivated'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const UserEntity = defineEntity({
  name: 'User',
  tableName: 'users',
  uniques: [{ properties: ['tenant', 'email'] }],
  properties: {
    id: p.uuid().primary(),
    tenant: () => p.manyToOne(TenantEntity).deleteRule('cascade'),
    /** stored lower-cased and NFKC-normalised */
    email: p.string().length(320),
    emailVerified: p.boolean().default(false),
    firstName: p.string().length(100).default(''),
    lastName: p.string().length(100).default(''),
    role: p.string().length(16).$type<UserRole>().default('member'),
    status: p.string().length(16).$type<UserStatus>().default('active'),
    /** the next sign-in goes through the change-password step (admin reset, reactivation) */
    mustChangePassword: p.boolean().default(false),
    createdAt: p.datetime().onCreate(() => new Date()),
    lastLoginAt: p.datetime().nullable(),
    /** when the user last completed a second factor: a remembered device asks again once this is too old */
    lastSecondFactorAt: p.datetime().nullable(),
  },
});
